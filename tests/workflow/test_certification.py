"""The end of the path: certificates through close, with quotas taken in the same transaction."""

import pytest

from audit.selectors import audit_verify
from awards.models import Certificate, Quota
from initiatives.models import Initiative
from workflow.models import CouncilSession

pytestmark = pytest.mark.django_db


def test_draft_to_federation_certified(flow, api, users):
    iid = flow.to_sector()
    flow.council_decides(iid, ["s_chair", "s_sec"], "nominate", "s_sec")
    assert flow.state(iid) == "federation_review"
    flow.council_decides(iid, ["f_chair", "f_m1", "f_m2"], "certify", "f_chair")
    d = flow.get("author1", iid)
    assert d["state"] == "federation_certified" and d["available_actions"] == []
    assert [a["award"] for a in d["awards"]] == ["federation_certificate"]
    serial = d["awards"][0]["serial"]
    assert Certificate.objects.get(serial=serial).initiative_id == iid
    actions = [h["action"] for h in flow.history("auditor_n", iid)]
    assert actions[-2:] == ["award", "close"] or actions[-2:] == ["close", "award"]
    assert audit_verify().ok
    r = api(users["s_chair"]).get("/api/v1/quotas/")
    fed = [q for q in r.json()["results"] if q["award"] == "federation_certificate"]
    assert fed and fed[0]["used"] == 1


def test_draft_to_sector_certified(flow):
    iid = flow.to_sector()
    flow.council_decides(iid, ["s_chair", "s_m1"], "certify", "s_chair")
    assert flow.state(iid) == "sector_certified"
    assert Certificate.objects.filter(initiative_id=iid, award="sector_certificate").count() == 1


def test_close_answers_quota_exhausted_and_changes_nothing(flow):
    Quota.objects.filter(award="sector_certificate").update(cap=1)
    first = flow.to_sector()
    flow.council_decides(first, ["s_chair", "s_m1"], "certify", "s_chair")
    second = flow.to_sector()
    flow.vote("s_chair", second, "certify")
    flow.vote("s_m1", second, "certify")
    r = flow.act("s_chair", second, "close", expect=409)
    assert r["code"] == "quota_exhausted"
    i = Initiative.objects.get(pk=second)
    assert i.state == "sector_review" and i.council.code == "NGANH-HD"
    assert CouncilSession.objects.get(initiative_id=second, closed_at__isnull=True)
    assert not Certificate.objects.filter(initiative_id=second).exists()
    assert [h["action"] for h in flow.history("author1", second)][-1] == "vote"
    # the council may still nominate it for the federation instead
    flow.vote("s_sec", second, "nominate")


def test_monthly_suggestions_rank_by_council_scores(flow, api, users):
    from django.utils import timezone

    low = flow.to_unit_council(title="Sáng kiến điểm thấp nhưng lợi lớn", benefit_value_vnd=500_000_000)
    for u in ("u1_chair", "u1_sec", "u1_m1"):
        flow.vote(u, low, "approve", score=40)
    flow.act("u1_chair", low, "close")
    high = flow.to_unit_council(title="Sáng kiến điểm cao nhưng lợi nhỏ", benefit_value_vnd=10_000_000)
    for u in ("u1_chair", "u1_sec", "u1_m1"):
        flow.vote(u, high, "approve", score=95)
    flow.act("u1_chair", high, "close")
    month = timezone.localdate().strftime("%Y-%m")
    r = api(users["s_chair"]).get(f"/api/v1/awards/monthly/{month}/suggestions/", {"organisation": "NGANH"})
    assert r.status_code == 200, r.content
    rows = r.json()["results"] if isinstance(r.json(), dict) else r.json()
    ids = [row["id"] for row in rows]
    assert ids.index(high) < ids.index(low)
    assert {row["id"]: row["score"] for row in rows}[high] == 95.0


def test_after_quota_exhausted_the_chair_restarts_the_vote_and_the_council_nominates(flow, api, users):
    Quota.objects.filter(award="sector_certificate").update(cap=0)
    iid = flow.to_sector()
    flow.vote("s_chair", iid, "certify")
    flow.vote("s_m1", iid, "certify")
    assert flow.act("s_chair", iid, "close", expect=409)["code"] == "quota_exhausted"
    assert "restart" in flow.get("s_chair", iid)["available_actions"]
    assert "restart" not in flow.get("s_m1", iid)["available_actions"]
    flow.act("s_m1", iid, "restart", comment="x", expect=403)
    r = flow.act("s_chair", iid, "restart", expect=400)
    assert "comment" in r
    due = Initiative.objects.get(pk=iid).due_at
    flow.act("s_chair", iid, "restart", comment="Hết hạn mức chứng nhận: biểu quyết lại")
    sessions = list(CouncilSession.objects.filter(initiative_id=iid, council__code="NGANH-HD").order_by("id"))
    assert sessions[0].minutes["voided"] is True and sessions[0].closed_at and sessions[1].closed_at is None
    assert sessions[1].due_at == due  # the law's deadline does not move
    # everyone may vote again in the new round
    flow.vote("s_chair", iid, "nominate")
    flow.vote("s_m1", iid, "nominate")
    assert flow.act("s_chair", iid, "close")["state"] == "federation_review"
    actions = [h["action"] for h in flow.history("auditor_n", iid)]
    assert "restart" in actions
    flow.act("f_chair", iid, "restart", comment="chưa có phiếu", expect=409)
