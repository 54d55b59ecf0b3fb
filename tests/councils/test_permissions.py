import copy

import pytest

from councils.models import Council, Organisation
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db


def org(code):
    return Organisation.objects.get(code=code)


def council(code):
    return Council.objects.get(code=code)


@pytest.mark.parametrize(
    "username,perm,code,expected",
    [
        # officer of a corporation: its subtree, not a sibling corporation's, not above it
        ("officer_a", "act_as_officer", "TCTA", True),
        ("officer_a", "act_as_officer", "XN1", True),
        ("officer_a", "act_as_officer", "XN2", True),
        ("officer_a", "act_as_officer", "XN3", False),
        ("officer_a", "act_as_officer", "NGANH", False),
        ("officer_a", "audit_in", "XN1", False),
        # officer of a unit: only the unit
        ("officer_x1", "act_as_officer", "XN1", True),
        ("officer_x1", "act_as_officer", "XN2", False),
        ("officer_x1", "act_as_officer", "TCTA", False),
        # auditor of the sector: everything under it, read-only
        ("auditor_n", "audit_in", "XN3", True),
        ("auditor_n", "audit_in", "TLD", False),
        ("auditor_n", "act_as_officer", "XN1", False),
        ("auditor_b", "audit_in", "XN3", True),
        ("auditor_b", "audit_in", "XN1", False),
        # admin role implies officer and auditor on the subtree
        ("admin_n", "administer", "XN2", True),
        ("admin_n", "act_as_officer", "XN2", True),
        ("admin_n", "audit_in", "XN2", True),
        # author role
        ("author1", "author_in", "XN1", True),
        ("author1", "author_in", "XN2", False),
        ("outsider", "author_in", "XN3", False),
    ],
)
def test_roles_hold_on_the_organisation_subtree(users, username, perm, code, expected):
    assert users[username].has_perm(f"councils.{perm}", org(code)) is expected


@pytest.mark.parametrize(
    "username,perm,code,expected",
    [
        ("u1_chair", "vote", "XN1-HD", True),
        ("u1_chair", "close_session", "XN1-HD", True),
        ("u1_sec", "close_session", "XN1-HD", True),
        ("u1_m1", "vote", "XN1-HD", True),
        ("u1_m1", "close_session", "XN1-HD", False),
        ("u1_chair", "vote", "XN2-HD", False),
        ("u1_chair", "vote", "TCTA-HD", False),
        ("c_chair", "vote", "XN1-HD", False),
        ("c_chair", "close_session", "TCTA-HD", True),
        ("u1_adv", "advise", "XN1-TV", True),
        ("u1_adv", "vote", "XN1-TV", False),
        ("u1_adv", "advise", "TCTA-TV", False),
        ("a_adv", "advise", "TCTA-TV", True),
        ("officer_a", "vote", "TCTA-HD", False),
        ("admin_n", "vote", "NGANH-HD", False),
    ],
)
def test_memberships_are_object_permissions_on_the_council(users, username, perm, code, expected):
    assert users[username].has_perm(f"councils.{perm}", council(code)) is expected


def test_a_role_is_not_a_global_permission(users):
    assert not users["officer_a"].has_perm("councils.act_as_officer")
    assert not users["u1_chair"].has_perm("councils.vote")


def test_removing_a_membership_or_role_revokes_the_permission(structure_data, users):
    data = copy.deepcopy(structure_data)
    xn1 = data["organisations"][0]["children"][0]["children"][0]["children"][0]
    xn1["councils"][1]["members"] = [{"username": "u1_sec", "role": "chair"}, {"username": "u1_m1"}]
    xn1["councils"][1]["quorum"] = 2
    for p in data["people"]:
        if p["username"] == "officer_a":
            p["roles"] = []
    structure_load(data=data)
    from councils.models import User

    chair = User.objects.get(username="u1_chair")
    assert not chair.has_perm("councils.vote", council("XN1-HD"))
    sec = User.objects.get(username="u1_sec")
    assert sec.has_perm("councils.close_session", council("XN1-HD"))
    assert not User.objects.get(username="officer_a").has_perm("councils.act_as_officer", org("XN1"))
    # a member demoted from chair loses the right to close
    data["organisations"][0]["children"][0]["children"][0]["children"][0]["councils"][1]["members"][0]["role"] = (
        "member"
    )
    structure_load(data=data)
    assert not User.objects.get(username="u1_sec").has_perm("councils.close_session", council("XN1-HD"))
    assert User.objects.get(username="u1_sec").has_perm("councils.vote", council("XN1-HD"))


def test_permissions_are_stored_in_guardians_direct_tables(users):
    from councils.models import CouncilPermission, RolePermission

    assert RolePermission.objects.filter(user=users["officer_a"], content_object=org("TCTA")).exists()
    assert CouncilPermission.objects.filter(
        user=users["u1_chair"], content_object=council("XN1-HD"), permission__codename="close_session"
    ).exists()
    from guardian.models import UserObjectPermission

    assert UserObjectPermission.objects.count() == 0


def test_object_permissions_are_read_once_per_request_and_afresh_outside_one(users):
    """``RequestObjectPermissionBackend``: within a request, "may vote?" and "may close?" of one
    council read the person's permissions on it once; outside a request (actions, commands) every
    question is asked afresh, so a permission withdrawn is seen at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from guardian.shortcuts import remove_perm

    from config.logs import request_id
    from councils.models import User

    council = Council.objects.get(code="XN1-HD")

    def ask(user):
        with CaptureQueriesContext(connection) as ctx:
            answers = (user.has_perm("councils.vote", council), user.has_perm("councils.close_session", council))
        return answers, len(ctx.captured_queries)

    outside, asked_outside = ask(User.objects.get(username="u1_chair"))
    token = request_id.set("a-request")
    try:
        inside, asked_inside = ask(User.objects.get(username="u1_chair"))
    finally:
        request_id.reset(token)
    assert outside == inside == (True, True)
    assert asked_inside < asked_outside
    user = User.objects.get(username="u1_chair")
    assert user.has_perm("councils.vote", council)
    remove_perm("councils.vote", user, council)
    assert not user.has_perm("councils.vote", council)  # outside a request: afresh
