"""Emulation blocs: loaded from the structure file, ranked on participation and on target."""

import copy
import datetime

import pytest

from audit.models import AuditEntry
from councils.models import Bloc
from councils.structure import StructureError
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db

BLOCS = [
    {"code": "K1", "name": "Khối thi đua 1", "members": ["TCTA", "TCTB"]},
    {"code": "K2", "name": "Khối thi đua 2", "members": ["XN1", "XN2"]},
]


def test_blocs_load_idempotently_and_bad_ones_are_refused(structure_data):
    data = copy.deepcopy(structure_data)
    data["blocs"] = copy.deepcopy(BLOCS)
    structure_load(data=data)
    k1 = Bloc.objects.get(code="K1")
    assert k1.organisation.code == "NGANH"
    assert sorted(k1.members.values_list("code", flat=True)) == ["TCTA", "TCTB"]
    assert structure_load(data=copy.deepcopy(data)) == 0
    data["blocs"][1]["members"] = ["XN1"]
    assert structure_load(data=copy.deepcopy(data)) == 1
    assert list(Bloc.objects.get(code="K2").members.values_list("code", flat=True)) == ["XN1"]
    # every change is in the trail (the quarterly rankings depend on who is in which bloc)
    created = AuditEntry.objects.filter(action="create_bloc").order_by("seq")
    assert [e.details["bloc"] for e in created] == ["K1", "K2"]
    assert created[0].details["members_added"] == ["TCTA", "TCTB"]
    assert created[0].details["after"] == {"name": "Khối thi đua 1", "organisation": "NGANH"}
    update = AuditEntry.objects.get(action="update_bloc")
    assert update.details == {"bloc": "K2", "before": {}, "after": {}, "members_added": [], "members_removed": ["XN2"]}

    bad = copy.deepcopy(data)
    bad["blocs"] = [
        {"code": "K3", "name": "Khối lạ", "members": ["XN1", "XN3"]},
        {"code": "K4", "name": "Khối lỗi", "members": ["NOPE"]},
        {"code": "K4", "members": []},
    ]
    with pytest.raises(StructureError) as e:
        structure_load(data=bad)
    errors = e.value.errors
    assert any(err.startswith("blocs[0].members[1]:") and "XN3" in err and " / " not in err for err in errors), errors
    assert any(err.startswith("blocs[1].members[0]:") and "NOPE" in err for err in errors), errors
    assert any(err.startswith("blocs[2].code:") for err in errors)
    assert any(err.startswith("blocs[2].name:") for err in errors)
    assert any(err.startswith("blocs[2].members:") for err in errors)
    assert not Bloc.objects.filter(code="K3").exists()


@pytest.fixture
def blocs(report_structure, structure_data):
    data = copy.deepcopy(structure_data)
    data["blocs"] = copy.deepcopy(BLOCS)
    structure_load(data=data)


def test_members_are_ranked_by_participation_and_by_target(report_structure, blocs, make_initiative, api):
    # XN1 (300 members, target A 4): 3 initiatives by 3 people; XN2 (200 members, target A 3): 2 by 1 person
    for who in ("author1", "author1b", "u1_m1"):
        make_initiative("XN1", submitted=datetime.date(2022, 1, 10), authors=((who, None),))
    for _ in range(2):
        make_initiative("XN2", submitted=datetime.date(2022, 2, 10), authors=(("author2", None),))
    make_initiative("XN2", submitted=datetime.date(2022, 5, 10), authors=((None, "Khách"),))  # in Q2
    r = api(report_structure["auditor_n"]).get("/api/v1/reports/blocs/?phase=A&quarter=2022-Q1")
    assert r.status_code == 200, r.content
    body = r.json()
    by_code = {b["code"]: b for b in body["results"]}
    assert set(by_code) == {"K1", "K2"} and body["ends"] == "2022-03-31"
    k2 = {m["organisation"]: m for m in by_code["K2"]["members"]}
    assert k2["XN1"]["participation_percent"] == 1.0 and k2["XN2"]["participation_percent"] == 0.5
    assert (k2["XN1"]["rank_participation"], k2["XN2"]["rank_participation"]) == (1, 2)
    assert k2["XN1"]["percent_of_target"] == 75.0 and k2["XN2"]["percent_of_target"] == pytest.approx(66.7)
    assert (k2["XN1"]["rank_target"], k2["XN2"]["rank_target"]) == (1, 2)
    # the whole phase: XN2 reaches 100 % of its target and overtakes XN1 on target, not on participation
    k2 = {
        m["organisation"]: m
        for m in api(report_structure["auditor_n"])
        .get("/api/v1/reports/blocs/?phase=A")
        .json()["results"][1]["members"]
    }
    assert (k2["XN2"]["rank_target"], k2["XN1"]["rank_target"]) == (1, 2)
    assert k2["XN1"]["rank_participation"] == 1
    # an officer of TCTA sees only the blocs inside TCTA's subtree
    r = api(report_structure["officer_a"]).get("/api/v1/reports/blocs/")
    assert [b["code"] for b in r.json()["results"]] == ["K2"]
    assert api(report_structure["officer_a"]).get("/api/v1/reports/blocs/?quarter=2022-Q5").status_code == 400
