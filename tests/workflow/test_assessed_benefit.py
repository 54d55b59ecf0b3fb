"""The assessed benefit (API.md: POST /initiatives/{id}/votes/ and …/actions/close/ extended with
``assessed_benefit_vnd``): members estimate with their vote, the close records the council's value
(the closer's, else the members' median) beside the declared one; reports, counters and the Bằng's
eligibility use it; on a secret ballot the estimate is sealed with the decision and published
anonymously at the close."""

import pytest
from django.db import connection

from awards.selectors import eligibility_for
from councils.models import Organisation
from initiatives.counters import progress_counters_rebuild
from initiatives.models import Initiative, ProgressCount
from workflow.models import BallotCast, CouncilSession, SealedBallot, Vote

pytestmark = pytest.mark.django_db

UNIT = ["u1_chair", "u1_sec", "u1_m1"]


def _vote(api, users, user, iid, decision="approve", expect=201, **extra):
    r = api(users[user]).post(
        f"/api/v1/initiatives/{iid}/votes/", {"decision": decision, "score": 80, **extra}, format="json"
    )
    assert r.status_code == expect, r.content
    return r.json()


def _close(api, users, user, iid, expect=200, **extra):
    r = api(users[user]).post(f"/api/v1/initiatives/{iid}/actions/close/", extra, format="json")
    assert r.status_code == expect, r.content
    return r.json()


def _benefit(api, users, code="TCTA", **params):
    r = api(users["officer_a"]).get("/api/v1/reports/progress/", {"organisation": code, **params})
    assert r.status_code == 200, r.content
    return r.json()["results"][0]["benefit_value_vnd"]


def _live_benefit(code="TCTA"):
    from initiatives.models import Programme
    from reports.selectors import period_for, progress_report

    period = period_for(programme=Programme.objects.get(code="T-PROG"))
    return progress_report(root=Organisation.objects.get(code=code), period=period, counters=False)[0][
        "benefit_value_vnd"
    ]


def test_members_estimates_give_the_median_and_the_counters_move_once(flow, api, users):
    iid = flow.to_unit_council(benefit_value_vnd=90_000_000)
    before = _benefit(api, users)
    receipt = _vote(api, users, "u1_chair", iid, assessed_benefit_vnd=70_000_000)
    assert receipt["assessed_benefit_vnd"] == 70_000_000  # open ballot: the receipt says what was cast
    _vote(api, users, "u1_sec", iid, assessed_benefit_vnd="100000000")
    _vote(api, users, "u1_m1", iid)  # no estimate: not counted in the median
    detail = _close(api, users, "u1_chair", iid)
    assert detail["benefit_value_vnd"] == 90_000_000  # the declared value never changes
    assert detail["assessed_benefit_vnd"] == 85_000_000  # median of 70M and 100M
    assert detail["assessed_by"] == "XN1-HD" and detail["assessed_at"]
    close = [h for h in flow.history("u1_chair", iid) if h["action"] == "close"][-1]
    assert close["details"]["assessed_benefit_vnd"] == 85_000_000
    assert close["details"]["assessment"] == {
        "value": 85_000_000,
        "source": "members_median",
        "estimates": 2,
        "declared_benefit_vnd": 90_000_000,
    }
    votes = {v["voter"]: v for v in close["details"]["votes"]}
    assert votes["u1_chair"]["assessed_benefit_vnd"] == 70_000_000 and "assessed_benefit_vnd" not in votes["u1_m1"]
    session = CouncilSession.objects.get(initiative_id=iid, council__code="XN1-HD")
    assert session.assessed_benefit_vnd == 85_000_000 and session.minutes["assessed_benefit_vnd"] == 85_000_000
    # the progress report counts the assessed value, from the counters and live alike, and a
    # rebuild of the counters gives the same answer
    assert _benefit(api, users) == before - 90_000_000 + 85_000_000 == _live_benefit()
    kept = sorted(ProgressCount.objects.values_list("organisation_id", "month", "category", "benefit_registered"))
    progress_counters_rebuild()
    assert sorted(ProgressCount.objects.values_list("organisation_id", "month", "category", "benefit_registered")) == (
        kept
    )
    # the corporation council's chair gives its own value at its close: the latest council wins
    for v in ("c_chair", "c_m1"):
        _vote(api, users, v, iid, assessed_benefit_vnd=10_000_000)
    detail = _close(api, users, "c_chair", iid, assessed_benefit_vnd=120_000_000)
    assert detail["assessed_benefit_vnd"] == 120_000_000 and detail["assessed_by"] == "TCTA-HD"
    close = [h for h in flow.history("c_chair", iid) if h["action"] == "close"][-1]
    assert close["details"]["assessment"]["source"] == "closer"
    assert _benefit(api, users) == before - 90_000_000 + 120_000_000 == _live_benefit()


@pytest.mark.parametrize(
    "value, message",
    [
        (-1, "không được âm"),
        ("abc", "số nguyên"),
        (1.5, "số nguyên"),
        (True, "số nguyên"),
        (10**15 + 1, "quá lớn"),
        ([1], "số nguyên"),
    ],
)
def test_bad_values_answer_400_naming_the_field(flow, api, users, value, message):
    iid = flow.to_unit_council()
    r = api(users["u1_chair"]).post(
        f"/api/v1/initiatives/{iid}/votes/", {"decision": "approve", "assessed_benefit_vnd": value}, format="json"
    )
    assert r.status_code == 400 and message in r.json()["assessed_benefit_vnd"][0], r.content
    assert not BallotCast.objects.filter(session__initiative_id=iid).exists()  # nothing written
    for v in UNIT:
        _vote(api, users, v, iid)
    r = api(users["u1_chair"]).post(
        f"/api/v1/initiatives/{iid}/actions/close/", {"assessed_benefit_vnd": value}, format="json"
    )
    assert r.status_code == 400 and message in r.json()["assessed_benefit_vnd"][0], r.content
    assert flow.state(iid) == "unit_council"


def test_only_the_close_takes_an_assessment(flow, api, users):
    iid = flow.draft()
    r = api(users["author1"]).post(
        f"/api/v1/initiatives/{iid}/actions/submit/", {"assessed_benefit_vnd": 1}, format="json"
    )
    assert r.status_code == 400 and "assessed_benefit_vnd" in r.json()
    r = api(users["author1"]).post(
        f"/api/v1/initiatives/{iid}/actions/submit/",
        {"assessed_benefit_vnd": 1},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "close" in r.json()["assessed_benefit_vnd"][0]


def test_eligibility_flips_when_the_assessed_value_crosses_the_threshold(flow, api, users, eligibility_rules):
    users["author1"].qualification = "Cao đẳng"  # workers: the Bằng needs 80 million a year
    users["author1"].save(update_fields=["qualification"])
    iid = flow.to_unit_council(benefit_value_vnd=90_000_000)
    initiative = Initiative.objects.get(pk=iid)

    def eligible():
        initiative.refresh_from_db()
        return eligibility_for(initiative=initiative, award="federation_certificate")[0]["eligible"]

    assert eligible() is True  # as declared: 90 million ≥ 80 million
    for v in UNIT:
        _vote(api, users, v, iid)
    # below 80 million a year, and below 120 million over the 3 years the other rule counts
    _close(api, users, "u1_chair", iid, assessed_benefit_vnd="39999999")
    assert eligible() is False
    for v in ("c_chair", "c_m1"):
        _vote(api, users, v, iid, assessed_benefit_vnd=80_000_000)
    _close(api, users, "c_chair", iid)
    assert eligible() is True


def test_a_secret_ballot_seals_the_estimate_and_publishes_it_without_the_voter(flow, api, users):
    iid = flow.to_unit_council(
        user="author2", adviser="a_adv", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}]
    )
    session = CouncilSession.objects.get(initiative_id=iid, closed_at=None)
    assert session.is_secret
    receipt = _vote(api, users, "u2_chair", iid, assessed_benefit_vnd=50_000_000)
    assert "assessed_benefit_vnd" not in receipt and "decision" not in receipt
    _vote(api, users, "u2_m1", iid)  # without an estimate: the sealed ballot has the same size
    _vote(api, users, "u2_m2", iid, assessed_benefit_vnd=70_000_000)
    # before the close: who voted (public), sealed ballots of one size, no decision and no estimate
    sizes = {len(bytes(b)) for b in SealedBallot.objects.filter(session=session).values_list("sealed", flat=True)}
    assert len(sizes) == 1
    assert not Vote.objects.filter(session=session).exists()
    with connection.cursor() as cursor:  # what a DBA reads: no estimate in any row of the session
        cursor.execute("SELECT * FROM workflow_ballotcast WHERE session_id = %s", [session.pk])
        rows = cursor.fetchall()
    assert len(rows) == 3 and not any("50000000" in str(r) or "70000000" in str(r) for r in rows)
    votes = [h for h in flow.history("u2_chair", iid) if h["action"] == "vote"]
    assert len(votes) == 3 and all("assessed_benefit_vnd" not in h["details"] for h in votes)
    assert all("decision" not in h["details"] for h in votes)
    detail = _close(api, users, "u2_chair", iid)
    assert detail["assessed_benefit_vnd"] == 60_000_000  # median of 50M and 70M
    # after: the decisions with their estimates, no voter, no time; the sealed copies gone
    rows = list(Vote.objects.filter(session=session).values("voter_id", "cast_at", "assessed_benefit_vnd"))
    assert sorted(r["assessed_benefit_vnd"] or 0 for r in rows) == [0, 50_000_000, 70_000_000]
    assert all(r["voter_id"] is None and r["cast_at"] is None for r in rows)
    assert not SealedBallot.objects.filter(session=session).exists()
    close = [h for h in flow.history("auditor_n", iid) if h["action"] == "close"][-1]
    assert all("voter" not in v for v in close["details"]["votes"])
    assert close["details"]["assessment"]["source"] == "members_median"


def test_the_page_shows_both_values_and_the_hint_to_authors_and_councils_only(flow, api, users, client):
    iid = flow.to_unit_council(benefit_value_vnd=100_000_000)
    client.force_login(users["u1_m1"])  # a member: the vote form has the estimate field
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert 'name="assessed_benefit_vnd"' in page
    r = client.post(f"/initiatives/{iid}/vote/", {"decision": "approve", "assessed_benefit_vnd": "không biết"})
    assert r.status_code == 400 and "số nguyên" in r.content.decode()
    r = client.post(f"/initiatives/{iid}/vote/", {"decision": "approve", "assessed_benefit_vnd": "80.000.000"})
    assert r.status_code == 302
    assert Vote.objects.get(session__initiative_id=iid, voter=users["u1_m1"]).assessed_benefit_vnd == 80_000_000
    for v in ("u1_chair", "u1_sec"):
        _vote(api, users, v, iid)
    client.force_login(users["u1_chair"])
    r = client.post(f"/initiatives/{iid}/act/close/", {"assessed_benefit_vnd": "75.000.000"})
    assert r.status_code == 302
    assert Initiative.objects.get(pk=iid).assessed_benefit_vnd == 75_000_000
    for who, sees_hint in (("author1", True), ("u1_chair", True), ("officer_x1", False), ("auditor_n", False)):
        client.force_login(users[who])
        page = client.get(f"/initiatives/{iid}/").content.decode()
        assert 'id="benefit-declared"' in page and "100.000.000" in page, who
        assert 'id="benefit-assessed"' in page and "75.000.000" in page, who
        assert ('id="remuneration"' in page) is sees_hint, who
    client.force_login(users["author1"])
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert "5.250.000" in page  # 7 % of the assessed 75 million a year


def test_a_confidential_dossier_hides_both_values_from_outsiders(flow, api, users, client):
    iid = flow.to_unit_council(confidential=True, benefit_value_vnd=100_000_000)
    for v in UNIT:
        _vote(api, users, v, iid, assessed_benefit_vnd=66_000_000)
    _close(api, users, "u1_chair", iid)
    data = api(users["officer_x1"]).get(f"/api/v1/initiatives/{iid}/").json()
    assert "assessed_benefit_vnd" not in data and "benefit_value_vnd" not in data
    assert api(users["author1"]).get(f"/api/v1/initiatives/{iid}/").json()["assessed_benefit_vnd"] == 66_000_000
    client.force_login(users["officer_x1"])
    page = client.get(f"/initiatives/{iid}/").content.decode()
    assert "66.000.000" not in page and 'id="remuneration"' not in page


def test_the_sealed_payload_keeps_one_size_and_ballots_sealed_before_still_open():
    import os
    import struct

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from workflow import sealing

    sizes = {
        len(sealing.seal(session_id=7, decision="approve", score=s, comment=c, estimate=e)[1])
        for s, c, e in ((None, "", None), (100, "x" * sealing.MAX_COMMENT_CHARS, 10**15), (0, "ý kiến", 0))
    }
    assert len(sizes) == 1
    kid, blob = sealing.seal(session_id=7, decision="reject", score=5, comment="lý do", estimate=123)
    opened = sealing.unseal_all(session_id=7, ballots=[(kid, blob)])[0]
    assert (opened.decision, opened.score, opened.comment, opened.estimate) == ("reject", 5, "lý do", 123)
    # a ballot sealed by the release before estimates (payload format 1) opens, without an estimate
    key = sealing.current_key()
    body = struct.pack(">BBHI", 1, 7, 60, 2) + b"approve" + b"ok"
    nonce = os.urandom(sealing.NONCE_BYTES)
    old = nonce + AESGCM(key).encrypt(
        nonce, body + bytes(sealing.BLOCK - len(body)), sealing._associated_data(7, sealing.key_id(key))
    )
    opened = sealing.unseal_all(session_id=7, ballots=[(sealing.key_id(key), old)])[0]
    assert (opened.decision, opened.score, opened.comment, opened.estimate) == ("approve", 60, "ok", None)
