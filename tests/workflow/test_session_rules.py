"""A council's rules (ballot, quorum, threshold, decision days) change only for sessions opened
afterwards: a session keeps the rules it opened with, whatever an administrator does meanwhile."""

import pytest

from councils.models import Council
from workflow.models import CouncilSession

pytestmark = pytest.mark.django_db


def _xn2(flow):
    return flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )


def _minutes(flow, iid, council):
    return CouncilSession.objects.get(initiative_id=iid, council__code=council).minutes


def test_rule_changes_touch_only_sessions_opened_afterwards(flow):
    iid = _xn2(flow)  # XN2-HD: secret ballot, quorum 2, threshold 2/3, 3 members
    flow.vote("u2_chair", iid, "approve", score=90)
    # an administrator turns the council into an open, unanimous, one-vote council mid-session
    Council.objects.filter(code="XN2-HD").update(
        ballot="open", quorum=1, threshold_numerator=1, threshold_denominator=1, decision_days=10
    )
    # the session's quorum is still 2
    r = flow.act("u2_chair", iid, "close", expect=409)
    assert r["code"] == "quorum_not_reached" and r["quorum"] == 2
    # still a secret ballot: the receipt does not echo the decision
    receipt = flow.vote("u2_m1", iid, "approve", score=70)
    assert receipt["ballot"] == "secret" and "decision" not in receipt
    flow.vote("u2_m2", iid, "reject", comment="chưa mới")
    # no 500: the close follows the session's rules (2 of 3 carry under 2/3; unanimity would return it)
    assert flow.act("u2_chair", iid, "close")["state"] == "corporation_council"
    minutes = _minutes(flow, iid, "XN2-HD")
    assert minutes["ballot"] == "secret" and minutes["quorum"] == 2 and minutes["threshold"] == "2/3"
    assert minutes["outcome"] == "approve" and all("voter" not in v for v in minutes["votes"])
    session = CouncilSession.objects.get(initiative_id=iid, council__code="XN2-HD")
    assert (session.ballot, session.quorum, session.threshold_display, session.decision_days) == (
        "secret",
        2,
        "2/3",
        90,
    )

    # a session opened afterwards follows the new rules: open ballot, one vote, unanimity
    later = _xn2(flow)
    fresh = CouncilSession.objects.get(initiative_id=later, closed_at__isnull=True)
    assert (fresh.ballot, fresh.quorum, fresh.threshold_display, fresh.decision_days) == ("open", 1, "1/1", 10)
    receipt = flow.vote("u2_m1", later, "approve", score=60)
    assert receipt["decision"] == "approve" and receipt["voter"] == "u2_m1"
    assert flow.act("u2_chair", later, "close")["state"] == "draft"  # 1 of 3 is not unanimous
    minutes = _minutes(flow, later, "XN2-HD")
    assert minutes["ballot"] == "open" and minutes["quorum"] == 1 and minutes["threshold"] == "1/1"
    assert minutes["votes"][0]["voter"] == "u2_m1"


def test_a_restarted_round_keeps_the_rules_of_the_session_it_replaces(flow):
    iid = _xn2(flow)
    flow.vote("u2_chair", iid, "approve")
    Council.objects.filter(code="XN2-HD").update(ballot="open", quorum=1)
    flow.act("u2_chair", iid, "restart", comment="bỏ phiếu lại")
    fresh = CouncilSession.objects.get(initiative_id=iid, closed_at__isnull=True)
    assert (fresh.ballot, fresh.quorum) == ("secret", 2)


def test_an_opened_ballot_can_not_be_read_by_turning_the_council_open(flow):
    """Turning a secret council open mid-session must not make the secret ballots readable."""
    iid = _xn2(flow)
    flow.vote("u2_chair", iid, "approve", score=90, comment="rất tốt")
    flow.vote("u2_m1", iid, "reject", score=20, comment="không mới")
    Council.objects.filter(code="XN2-HD").update(ballot="open")
    flow.act("u2_chair", iid, "close")
    minutes = _minutes(flow, iid, "XN2-HD")
    assert all("voter" not in v for v in minutes["votes"]) and minutes["ballot"] == "secret"
