"""History-aware tree: a unit moved to another corporation counts under the parent it had then."""

import copy
import datetime

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEntry
from councils.actions import organisation_move
from councils.models import Organisation, OrganisationMove
from councils.structure import StructureError
from workflow.structure import structure_load

pytestmark = pytest.mark.django_db


def rows(api, user, query):
    r = api(user).get(f"/api/v1/reports/progress/?{query}")
    assert r.status_code == 200, r.content
    return {row["organisation"]: row for row in r.json()["results"]}


def test_a_moved_unit_counts_under_its_old_parent_before_the_move_and_the_new_one_after(
    report_structure, make_initiative, api
):
    users = report_structure
    make_initiative("XN3", submitted=datetime.date(2022, 7, 1), authors=(("author3", None),))
    make_initiative("XN3", submitted=datetime.date(2023, 3, 1), authors=(("author3", None),))
    make_initiative("XN1", submitted=datetime.date(2022, 8, 1))
    with pytest.raises(PermissionDenied):
        organisation_move(
            organisation=Organisation.objects.get(code="XN3"),
            new_parent=Organisation.objects.get(code="TCTA"),
            effective=datetime.date(2023, 1, 1),
            actor=users["officer_a"],
        )
    organisation_move(
        organisation=Organisation.objects.get(code="XN3"),
        new_parent=Organisation.objects.get(code="TCTA"),
        effective=datetime.date(2023, 1, 1),
        actor=users["admin_n"],
    )
    assert Organisation.objects.get_parent(Organisation.objects.get(code="XN3")).code == "TCTA"
    move = OrganisationMove.objects.get()
    assert (move.old_parent.code, move.new_parent.code, move.effective) == ("TCTB", "TCTA", datetime.date(2023, 1, 1))
    assert AuditEntry.objects.filter(action="move_organisation", details__organisation="XN3").exists()

    auditor = users["auditor_n"]
    before = rows(api, auditor, "until=2022-12-31")
    assert before["XN3"]["parent"] == "TCTB" and before["XN3"]["depth"] == 4
    assert before["TCTB"]["registered"] == 1 and before["TCTA"]["registered"] == 1
    assert before["TCTB"]["headcount"] == 1000 and before["TCTB"]["authors"] == 1
    after = rows(api, auditor, "until=2023-06-30")
    assert after["XN3"]["parent"] == "TCTA"
    assert after["TCTB"]["registered"] == 0 and after["TCTA"]["registered"] == 3
    assert after["NGANH"]["registered"] == before["NGANH"]["registered"] + 1
    # ?on= chooses the tree's day independently of the period
    assert rows(api, auditor, "until=2023-06-30&on=2022-12-31")["TCTB"]["registered"] == 2
    # the corporation's own report before the move does not list the unit; after, it does
    officer = users["officer_a"]
    assert "XN3" not in rows(api, officer, "organisation=TCTA&until=2022-12-31")
    assert rows(api, officer, "organisation=TCTA&until=2023-06-30")["XN3"]["registered"] == 2
    # TCTB's auditor still sees the unit in TCTB's past reports (it was TCTB's then)
    assert rows(api, users["auditor_n"], "organisation=TCTB&until=2022-12-31")["XN3"]["registered"] == 1


def test_two_moves_replay_to_the_parent_of_each_day(report_structure, make_initiative, api):
    make_initiative("XN3", submitted=datetime.date(2022, 7, 1))
    xn3 = Organisation.objects.get(code="XN3")
    organisation_move(
        organisation=xn3,
        new_parent=Organisation.objects.get(code="TCTA"),
        effective=datetime.date(2023, 1, 1),
        actor=None,
    )
    organisation_move(
        organisation=Organisation.objects.get(code="XN3"),
        new_parent=Organisation.objects.get(code="XN1"),
        effective=datetime.date(2024, 1, 1),
        actor=None,
    )
    auditor = report_structure["auditor_n"]
    assert rows(api, auditor, "until=2022-12-31")["XN3"]["parent"] == "TCTB"
    mid = rows(api, auditor, "until=2023-06-30")
    assert mid["XN3"]["parent"] == "TCTA" and mid["XN1"]["registered"] == 0 and mid["TCTA"]["registered"] == 1
    late = rows(api, auditor, "until=2024-06-30")
    assert late["XN3"]["parent"] == "XN1" and late["XN1"]["registered"] == 1 and late["XN3"]["depth"] == 5


def test_the_structure_loader_records_moves_with_moved_on(structure_data):
    structure_load(data=structure_data)
    edited = copy.deepcopy(structure_data)
    sector = edited["organisations"][0]["children"][0]
    xn3 = sector["children"][1]["children"].pop()
    xn3["moved_on"] = "2025-07-01"
    sector["children"][0]["children"].append(xn3)
    structure_load(data=edited)
    move = OrganisationMove.objects.get(organisation__code="XN3")
    assert move.effective == datetime.date(2025, 7, 1) and move.old_parent.code == "TCTB"
    assert structure_load(data=copy.deepcopy(edited)) == 0  # idempotent: no second move
    assert OrganisationMove.objects.count() == 1

    bad = copy.deepcopy(edited)
    bad["organisations"][0]["children"][0]["children"][0]["children"][2]["moved_on"] = "01/07/2025"
    with pytest.raises(StructureError) as e:
        structure_load(data=bad)
    assert any(
        err.startswith("organisations[0].children[0].children[0].children[2].moved_on:") and "YYYY-MM-DD" in err
        for err in e.value.errors
    ), e.value.errors
