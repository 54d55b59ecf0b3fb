"""Imported dossiers bring their open work with them (issue 12, item 4: the open-work table is
written by the import too)."""

import datetime

import pytest

from initiatives.models import Initiative

from .test_import import register
from .test_import_api import _on_commit, row, upload  # noqa: F401  (the on-commit runner upload needs)

pytestmark = pytest.mark.django_db


def test_imported_dossiers_reach_the_advisory_team_and_the_next_council(report_structure, api, tmp_path):
    from workflow.opentask_check import inbox_differences, people_with_work

    rows = [
        row("OT-1", "Cải tiến dụng cụ đo điện trở tiếp địa"),
        row("OT-2", "Quy trình tiếp nhận hồ sơ điện tử", recognised=datetime.date(2022, 3, 1)),
    ]
    r = upload(api(report_structure["officer_x1"]), register(tmp_path, rows))
    assert r.status_code == 201 and r.json()["imported"] == 2, r.content
    registered = Initiative.objects.get(reference="OT-1")
    recognised = Initiative.objects.get(reference="OT-2")

    def inbox(name):
        got = api(report_structure[name]).get("/api/v1/tasks/", {"page_size": 500}).json()
        return {x["id"] for x in got["results"]}

    assert registered.pk in inbox("u1_adv") and recognised.pk not in inbox("u1_adv")
    council = recognised.council
    chair = council.memberships.get(role="chair").user
    assert recognised.pk in inbox(chair.username) and registered.pk not in inbox(chair.username)
    assert inbox_differences(people_with_work()) == []
