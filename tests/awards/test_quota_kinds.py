"""Quota kinds: a cap reads as used and remaining; a target ("at least") as progress toward the
goal, never refused when exceeded — in GET /quotas/ (fields added, the old ones kept) and on the
committee's page."""

import pytest

from awards.actions import certificate_issue
from awards.models import Award, Quota

pytestmark = pytest.mark.django_db


def rows(api, user):
    r = api(user).get("/api/v1/quotas/")
    assert r.status_code == 200, r.content
    return {row["award"]: row for row in r.json()["results"]}


def test_a_target_reads_as_progress_and_is_never_refused(api, users, recognised, sector_council, client):
    Quota.objects.filter(award=Award.SECTOR_CERTIFICATE).update(kind=Quota.Kind.TARGET, cap=2)
    a, b, c = recognised(3)
    certificate_issue(initiative=a, award=Award.SECTOR_CERTIFICATE, actor=users["s_chair"], council=sector_council)
    row = rows(api, users["outsider"])["sector_certificate"]
    assert (row["kind"], row["cap"], row["used"], row["remaining"]) == ("target", 2, 1, 1)  # the old fields
    assert (row["reading"], row["progress_percent"], row["to_goal"], row["reached"]) == ("progress", 50, 1, False)
    for i in (b, c):  # past the goal: celebrated, not refused
        certificate_issue(initiative=i, award=Award.SECTOR_CERTIFICATE, actor=users["s_chair"], council=sector_council)
    row = rows(api, users["outsider"])["sector_certificate"]
    assert (row["used"], row["progress_percent"], row["to_goal"], row["reached"], row["over_by"]) == (
        3,
        150,
        0,
        True,
        1,
    )
    cap = rows(api, users["outsider"])["federation_certificate"]
    assert (cap["reading"], cap["to_goal"], cap["remaining"]) == ("used_remaining", None, 6)

    client.force_login(users["s_chair"])
    html = client.get("/awards/").content.decode()
    assert "ít nhất 2" in html and "vượt 1" in html and "150 %" in html
