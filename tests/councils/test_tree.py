import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import Organisation
from councils.selectors import nearest_council, organisation_ancestors, organisation_subtree

pytestmark = pytest.mark.django_db


def build_tree(depth=6, fanout=3):
    """A chain of ``depth`` levels, each node with ``fanout`` children, the first of which goes on."""
    root = Organisation.objects.add_root({"code": "R", "name": "Gốc", "level": "federation"})
    expected = {"R": {"R"}}
    chain = [root]
    node = root
    for d in range(1, depth):
        children = []
        for i in range(fanout):
            code = f"N{d}-{i}"
            child = Organisation.objects.add_child(
                Organisation.objects.get(pk=node.pk),
                {"code": code, "name": code, "level": "unit" if d > 2 else "sector"},
            )
            children.append(child)
            expected[code] = {code}
            for anc in chain:
                expected[anc.code].add(code)
        node = children[0]
        chain.append(node)
    return expected


def test_subtrees_at_depth_six_hold_exactly_the_descendants():
    expected = build_tree(depth=6, fanout=3)
    deepest = Organisation.objects.get(code="N5-0")
    assert deepest.depth == 6
    for org in Organisation.objects.all():
        got = set(organisation_subtree(organisation=org).values_list("code", flat=True))
        assert got == expected[org.code], org.code
    assert [o.code for o in organisation_ancestors(organisation=deepest)] == ["R", "N1-0", "N2-0", "N3-0", "N4-0"]


def test_a_subtree_is_one_query_whatever_its_size():
    build_tree(depth=6, fanout=4)
    root = Organisation.objects.get(code="R")
    with CaptureQueriesContext(connection) as ctx:
        n = len(list(organisation_subtree(organisation=root)))
    assert n == 1 + 5 * 4 and len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert "LIKE" in sql.upper()  # a range scan on the path index, no recursion


def test_moving_a_subtree_moves_its_descendants():
    build_tree(depth=5, fanout=2)
    mover = Organisation.objects.get(code="N2-0")
    target = Organisation.objects.get(code="N1-1")
    Organisation.objects.move(mover, target, pos="last-child")
    target.refresh_from_db()
    moved = set(organisation_subtree(organisation=Organisation.objects.get(code="N2-0")).values_list("code", flat=True))
    assert moved == {"N2-0", "N3-0", "N3-1", "N4-0", "N4-1"}
    under_target = set(organisation_subtree(organisation=target).values_list("code", flat=True))
    assert moved <= under_target
    assert not moved & set(
        organisation_subtree(organisation=Organisation.objects.get(code="N1-0")).values_list("code", flat=True)
    )


def test_nearest_council_looks_up_the_ancestors(structure):
    from councils.models import Council

    xn1 = Organisation.objects.get(code="XN1")
    xn2 = Organisation.objects.get(code="XN2")
    assert nearest_council(organisation=xn1, kind="advisory").code == "XN1-TV"
    # XN2 keeps no advisory team: its corporation's serves it
    assert nearest_council(organisation=xn2, kind="advisory").code == "TCTA-TV"
    assert nearest_council(organisation=xn2, kind="corporation").code == "TCTA-HD"
    assert nearest_council(organisation=Organisation.objects.get(code="XN3"), kind="corporation") is None
    assert Council.objects.count() == 7
