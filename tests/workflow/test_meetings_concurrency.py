"""Council meetings under real concurrency (PostgreSQL): a meeting closes once, and a dossier's own
close racing the meeting's close decides it once."""

import pytest

from audit.models import AuditEntry
from audit.selectors import audit_verify
from tests.workflow.test_concurrency import at_once, client_for
from workflow.models import CouncilMeeting, CouncilSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

XN1 = ("u1_chair", "u1_sec", "u1_m1")


@pytest.fixture
def meeting(flow, users):
    ids = [flow.to_unit_council() for _ in range(2)]
    for iid in ids:
        for u in XN1:
            flow.vote(u, iid, "approve")
    r = client_for(users["u1_chair"]).post(
        "/api/v1/councils/XN1-HD/meetings/",
        {"held_on": "2026-12-20", "place": "Phòng họp", "initiatives": ids},
        format="json",
    )
    assert r.status_code == 201, r.content
    return r.json()["id"], ids


def test_two_closes_of_one_meeting_at_once(meeting, users, flow):
    mid, ids = meeting
    chair, sec = client_for(users["u1_chair"]), client_for(users["u1_sec"])
    url = f"/api/v1/meetings/{mid}/close/"
    results = at_once([lambda: chair.post(url, {}, format="json"), lambda: sec.post(url, {}, format="json")])
    assert sorted(r.status_code for r in results) == [200, 409], [r.content for r in results]
    assert [r.json()["code"] for r in results if r.status_code == 409] == ["meeting_closed"]
    for iid in ids:
        assert AuditEntry.objects.filter(action="close", object_id=str(iid)).count() == 1
        assert flow.state(iid) == "corporation_council"
    assert AuditEntry.objects.filter(action="meeting_close").count() == 1
    assert audit_verify().ok


def test_a_dossiers_own_close_racing_the_meetings_decides_it_once(meeting, users, flow):
    mid, ids = meeting
    chair, sec = client_for(users["u1_chair"]), client_for(users["u1_sec"])
    results = at_once(
        [
            lambda: chair.post(f"/api/v1/meetings/{mid}/close/", {}, format="json"),
            lambda: sec.post(f"/api/v1/initiatives/{ids[0]}/actions/close/", {}, format="json"),
        ]
    )
    assert results[0].status_code == 200, results[0].content
    assert results[1].status_code in (200, 409), results[1].content
    assert CouncilSession.objects.filter(initiative_id=ids[0], closed_at__isnull=False).count() == 1
    assert AuditEntry.objects.filter(action="close", object_id=str(ids[0])).count() == 1
    item = CouncilMeeting.objects.get(pk=mid).items.get(initiative_id=ids[0])
    assert item.status in ("decided", "decided_before") and item.outcome == "approve"
    assert audit_verify().ok
