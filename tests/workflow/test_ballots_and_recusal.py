import json

import pytest
from django.db import connection

from audit.models import AuditEntry
from workflow.models import BallotCast, CouncilSession, Vote

pytestmark = pytest.mark.django_db


def test_an_author_on_the_council_is_recused(flow, api, users):
    # u1_m1 sits on XN1's council and co-authors this initiative (confirmed: the forward waits for it)
    iid = flow.draft(authors=[{"username": "author1", "share_percent": 50}, {"username": "u1_m1", "share_percent": 50}])
    r = api(users["u1_m1"]).post(f"/api/v1/initiatives/{iid}/authorship/", {"decision": "confirm"}, format="json")
    assert r.status_code == 200
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")
    r = flow.vote("u1_m1", iid, "approve", expect=403)
    assert r["detail"] == "Bạn là tác giả của sáng kiến này nên không được biểu quyết"
    assert "vote" not in flow.get("u1_m1", iid)["available_actions"]
    inbox = api(users["u1_m1"]).get("/api/v1/tasks/").json()["results"]
    assert iid not in [t["id"] for t in inbox]
    # recusal never lowers the quorum (3): without a substitute the two others cannot close it
    flow.vote("u1_chair", iid, "approve")
    flow.vote("u1_sec", iid, "approve")
    r = flow.act("u1_chair", iid, "close", expect=409)
    assert r["code"] == "quorum_not_reached" and r["quorum"] == 3 and r["eligible"] == 2
    assert flow.state(iid) == "unit_council"  # substitutes: tests/insider/test_recusal.py


def test_a_member_votes_once(flow):
    iid = flow.to_unit_council()
    flow.vote("u1_chair", iid, "approve")
    r = flow.vote("u1_chair", iid, "approve", expect=409)
    assert r["code"] == "already_voted"
    assert Vote.objects.count() == 1


def test_non_members_and_other_councils_may_not_vote(flow):
    iid = flow.to_unit_council()
    flow.vote("c_chair", iid, "approve", expect=404)  # cannot even see it
    r = flow.vote("officer_x1", iid, "approve", expect=403)
    assert r["detail"].startswith("Bạn không phải thành viên hội đồng")
    flow.vote("u2_chair", iid, "approve", expect=404)


def secret_case(flow):
    iid = flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )
    flow.vote("u2_chair", iid, "approve", score=90, comment="rất tốt")
    flow.vote("u2_m1", iid, "reject", score=20, comment="không mới")
    flow.vote("u2_m2", iid, "approve", score=70)
    return iid


def test_secret_ballots_never_link_a_person_to_a_decision(flow):
    iid = secret_case(flow)
    flow.vote("u2_m1", iid, "approve", expect=409)  # still refuses a second vote
    flow.act("u2_chair", iid, "close")
    assert flow.state(iid) == "corporation_council"
    session = CouncilSession.objects.get(initiative_id=iid, council__code="XN2-HD")
    votes = list(Vote.objects.filter(session=session))
    assert len(votes) == 3 and all(v.voter_id is None and v.cast_at is None for v in votes)
    assert set(BallotCast.objects.filter(session=session).values_list("voter__username", flat=True)) == {
        "u2_chair",
        "u2_m1",
        "u2_m2",
    }
    # no stored row anywhere holds a voter next to a decision
    for entry in AuditEntry.objects.filter(action="vote", object_id=str(iid)):
        blob = json.dumps(entry.details) + entry.comment
        assert "approve" not in blob and "reject" not in blob and "rất tốt" not in blob
    minutes = session.minutes
    assert minutes["tally"] == {"approve": 2, "reject": 1}
    assert all("voter" not in v for v in minutes["votes"])
    assert [v["decision"] for v in minutes["votes"]] == ["approve", "approve", "reject"]  # sorted, not cast order
    assert minutes["members_present"] == ["u2_chair", "u2_m1", "u2_m2"]
    # the same through the history, for an auditor
    for h in flow.history("auditor_n", iid):
        if h["action"] == "vote":
            assert "decision" not in h["details"]
    # and the raw database: the vote table has no column tying it to a person
    with connection.cursor() as c:
        c.execute("SELECT * FROM workflow_vote")
        cols = [d[0] for d in c.description]
        rows = c.fetchall()
    voter_col = cols.index("voter_id")
    assert all(r[voter_col] is None for r in rows)


def test_nobody_sees_a_tally_before_close(flow, api, users):
    iid = secret_case(flow)
    d = api(users["u2_chair"]).get(f"/api/v1/initiatives/{iid}/").json()
    assert "tally" not in json.dumps(d)
    assert all(h["action"] != "close" for h in flow.history("u2_chair", iid))


def test_the_inbox_holds_what_waits_for_each_person(flow, api, users):
    def inbox(u):
        r = api(users[u]).get("/api/v1/tasks/")
        assert r.status_code == 200
        return {t["id"]: t for t in r.json()["results"]}

    iid = flow.draft()
    assert iid in inbox("author1")
    flow.act("author1", iid, "submit")
    assert iid in inbox("u1_adv") and iid not in inbox("a_adv")
    assert inbox("u1_adv")[iid]["waiting_for"] == ["forward", "return"]
    flow.act("u1_adv", iid, "forward")
    assert iid not in inbox("u1_adv")
    for u in ("u1_chair", "u1_sec", "u1_m1"):
        assert inbox(u)[iid]["waiting_for"][0] == "vote"
    flow.vote("u1_m1", iid, "approve")
    assert iid not in inbox("u1_m1")
    flow.vote("u1_chair", iid, "approve")
    assert inbox("u1_chair")[iid]["waiting_for"] == ["close", "restart"]  # the chair must still close
    assert iid not in inbox("c_chair") and iid not in inbox("outsider")
