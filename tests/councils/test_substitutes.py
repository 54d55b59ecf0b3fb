"""The structure file's council ``substitutes``: validated like members, loaded idempotently,
audited like memberships."""

import copy

import pytest

from audit.models import AuditEntry
from councils.models import CouncilSubstitute
from councils.structure import StructureError, structure_validate
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db

XN1_HD = "organisations[0].children[0].children[0].children[0].councils[1]"


def _xn1_council(data):
    council = data["organisations"][0]["children"][0]["children"][0]["children"][0]["councils"][1]
    assert council["code"] == "XN1-HD"
    return council


def _with(data, substitutes, extra_people=("sub1", "sub2", "sub3")):
    data = copy.deepcopy(data)
    _xn1_council(data)["substitutes"] = substitutes
    data["people"] += [{"username": u, "organisation": "XN1"} for u in extra_people]
    return data


def _order():
    return list(
        CouncilSubstitute.objects.filter(council__code="XN1-HD")
        .order_by("position")
        .values_list("user__username", flat=True)
    )


@pytest.mark.parametrize(
    "substitutes, path, words",
    [
        (["sub1", "nobody"], f"{XN1_HD}.substitutes[1]", "nobody"),
        (["sub1", "sub1"], f"{XN1_HD}.substitutes[1]", "hai lần"),
        (["u1_m1"], f"{XN1_HD}.substitutes[0]", "thành viên"),
        (["sub1", 7], f"{XN1_HD}.substitutes[1]", "tên đăng nhập"),
        ("sub1", f"{XN1_HD}.substitutes", "danh sách"),
    ],
)
def test_bad_substitutes_are_refused_with_their_path(structure_data, substitutes, path, words):
    errors = structure_validate(_with(structure_data, substitutes))
    assert [e for e in errors if e.startswith(f"{path}:") and words in e], errors


def test_a_bad_substitute_writes_nothing(structure_data):
    with pytest.raises(StructureError):
        structure_load(data=_with(structure_data, ["sub1", "nobody"]))
    assert not CouncilSubstitute.objects.exists()


def test_substitutes_load_in_order_idempotently_and_audited(structure_data):
    data = _with(structure_data, ["sub2", "sub1", "sub3"])
    structure_load(data=data)
    assert _order() == ["sub2", "sub1", "sub3"]
    entries = AuditEntry.objects.filter(action="set_substitute").order_by("seq")
    assert [(e.details["user"], e.details["position"]) for e in entries] == [("sub2", 1), ("sub1", 2), ("sub3", 3)]
    assert all(e.details["council"] == "XN1-HD" for e in entries)

    assert structure_load(data=copy.deepcopy(data)) == 0  # the same file again changes nothing
    assert AuditEntry.objects.filter(action__in=["set_substitute", "remove_substitute"]).count() == 3

    structure_load(data=_with(structure_data, ["sub1", "sub2"]))  # reordered, sub3 dropped
    assert _order() == ["sub1", "sub2"]
    moved = AuditEntry.objects.filter(action="set_substitute").order_by("-seq")[:2]
    assert {(e.details["user"], e.details["position"], e.details["previous_position"]) for e in moved} == {
        ("sub1", 1, 2),
        ("sub2", 2, 1),
    }
    removed = AuditEntry.objects.get(action="remove_substitute")
    assert removed.details == {"user": "sub3", "council": "XN1-HD", "position": 3}

    structure_load(data=_with(structure_data, []))
    assert _order() == [] and AuditEntry.objects.filter(action="remove_substitute").count() == 3
