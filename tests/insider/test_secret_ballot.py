"""Secret ballots against someone who can read the database, its backups and its logs.

The attacks: read every table before the close for a decision; join who voted (``BallotCast``)
to what was decided (``Vote``) on the transaction id (PostgreSQL ``xmin``), on physical position
(``ctid``, SQLite ``rowid``), on key or insertion order; read the audit trail's ``vote`` entries;
read the reasons the close writes; read the SQL a vote sends.

So that no test passes by luck, the attacks that look at order run on two dossiers where the
same three members cast the same three distinct decisions in opposite orders, with the random
shuffle of the close replaced by a stand-in that ignores the order it is given (it sorts by
content): every order-based attack must then read the same thing from both dossiers, i.e. the
order carries nothing about the cast. The shuffle itself is checked to draw from the operating
system's randomness."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from workflow import models as wm
from workflow.models import BallotCast, CouncilSession, Vote

MARKS = {"approve": "MARK-approve-7391", "reject": "MARK-reject-2846", "return": "MARK-return-5173"}
SCORES = {"approve": 91, "reject": 17, "return": 53}
# the same three members casting the same three decisions, in opposite orders
ORDER_A = [("u2_chair", "approve"), ("u2_m1", "reject"), ("u2_m2", "return")]
ORDER_B = list(reversed(ORDER_A))


def _dossier(flow):
    return flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )


def _cast(flow, iid, order):
    for user, decision in order:
        flow.vote(user, iid, decision, score=SCORES[decision], comment=MARKS[decision])


def _session(iid):
    return CouncilSession.objects.get(initiative_id=iid, council__code="XN2-HD")


def _every_row():
    """(table, row) for every row of every table, as a DBA dumping the database reads them."""
    with connection.cursor() as c:
        for table in connection.introspection.table_names(c):
            c.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in c.fetchall():
                yield table, row


def _text(value):
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


@pytest.fixture
def stand_in_shuffle(monkeypatch):
    """The close's shuffle replaced by a permutation that ignores the order it is given."""
    from workflow import sealing

    def by_content(ballots):
        return sorted(ballots, key=lambda b: (b.decision, b.score if b.score is not None else -1, b.comment))

    monkeypatch.setattr(sealing, "shuffled", by_content)


@pytest.mark.django_db
def test_before_the_close_no_row_holds_a_decision(flow, api, users, insider):
    iid = _dossier(flow)
    _cast(flow, iid, ORDER_A)
    session = _session(iid)

    insider.tried("dump every table and search for the members' decisions, comments and scores before the close")
    hits = [(t, r) for t, r in _every_row() if any(m in _text(v) for v in r for m in MARKS.values())]
    assert hits == []
    assert not Vote.objects.filter(session=session).exists()
    insider.held("no table holds a comment before the close; the decision table has no row for the session")

    insider.tried("read the sealed ballots: who, when, and how long each one is")
    sealed = list(wm.SealedBallot.objects.filter(session=session))
    assert len(sealed) == 3 == BallotCast.objects.filter(session=session).count()
    columns = {f.column for f in wm.SealedBallot._meta.get_fields() if hasattr(f, "column")}
    assert columns == {"id", "session_id", "key_id", "sealed"}
    assert len({len(bytes(b.sealed)) for b in sealed}) == 1  # one fixed size, whatever the decision and comment
    assert all(MARKS[d].encode() not in bytes(b.sealed) for b in sealed for d in MARKS)
    insider.held("sealed ballots carry no voter and no time, and all have the same length: nothing to read")

    insider.tried("read the audit trail's vote entries and the vote receipts")
    for entry in AuditEntry.objects.filter(action="vote", object_id=str(iid)):
        blob = json.dumps(entry.details) + entry.comment
        assert not any(word in blob for word in ("approve", "reject", "return", *MARKS.values()))
        assert "score" not in entry.details and "decision" not in entry.details
    insider.held("a secret ballot's vote entry names the voter (who voted is public) and never the decision")

    insider.tried("ask for a tally before the close (chair, auditor, detail, history, list)")
    for who in ("u2_chair", "auditor_n"):
        c = api(users[who])
        for url in (f"/api/v1/initiatives/{iid}/", f"/api/v1/initiatives/{iid}/history/", "/api/v1/initiatives/"):
            body = c.get(url).content.decode()
            assert "tally" not in body and not any(m in body for m in MARKS.values())
    insider.held("nobody sees a tally before the close")


@pytest.mark.django_db
def test_a_vote_sends_no_decision_to_the_database(flow, insider):
    iid = _dossier(flow)
    insider.tried("read the SQL statements a secret vote sends (a DBA watching a live statement log)")
    with CaptureQueriesContext(connection) as ctx:
        flow.vote("u2_m1", iid, "reject", score=SCORES["reject"], comment=MARKS["reject"])
    sql = "\n".join(q["sql"] for q in ctx.captured_queries)
    assert MARKS["reject"] not in sql and "'reject'" not in sql
    insider.held("the vote's statements carry the voter and a ciphertext, never the decision or the comment")


def _close_both(flow, stand_in=True):
    a, b = _dossier(flow), _dossier(flow)
    _cast(flow, a, ORDER_A)
    _cast(flow, b, ORDER_B)
    assert [u for u, _ in ORDER_A] != [u for u, _ in ORDER_B]
    for iid in (a, b):
        flow.act("u2_chair", iid, "close")
    return a, b


@pytest.mark.django_db
def test_after_the_close_the_decisions_point_back_to_no_cast(flow, stand_in_shuffle, insider):
    a, b = _close_both(flow)
    sa, sb = _session(a), _session(b)

    insider.tried("look for the sealed copies after the close")
    assert not wm.SealedBallot.objects.filter(session__in=[sa, sb]).exists()
    insider.held("the close destroys the sealed ballots")

    insider.tried("join BallotCast to Vote on the voter or a cast time")
    for s in (sa, sb):
        votes = list(Vote.objects.filter(session=s))
        assert len(votes) == 3 and all(v.voter_id is None and v.cast_at is None for v in votes)
    insider.held("decision rows carry no voter and no time")

    insider.tried("read the decisions in insertion order (SQLite rowid / PostgreSQL ctid) on both dossiers")
    physical = "ctid" if connection.vendor == "postgresql" else "rowid"

    def in_physical_order(session):
        with connection.cursor() as c:
            c.execute(f"SELECT decision FROM workflow_vote WHERE session_id = %s ORDER BY {physical}", [session.pk])
            return [r[0] for r in c.fetchall()]

    assert in_physical_order(sa) == in_physical_order(sb) == ["approve", "reject", "return"]
    insider.held("opposite cast orders leave the same physical order: it carries nothing about the cast")

    insider.tried("read the minutes and the reasons in order")
    ma, mb = sa.minutes, sb.minutes
    assert ma["votes"] == mb["votes"] and ma["comment"] == mb["comment"]
    assert ma["members_present"] == mb["members_present"] == ["u2_chair", "u2_m1", "u2_m2"]
    insider.held("the minutes list decisions by content and members by name, identical for both cast orders")

    insider.tried("pair the audit trail's vote entries (in cast order) with the close's minutes")
    for iid, order in ((a, ORDER_A), (b, ORDER_B)):
        entries = AuditEntry.objects.filter(object_id=str(iid), action="vote").order_by("seq")
        assert [e.actor_name for e in entries] == [u for u, _ in order]
        assert all("decision" not in e.details for e in entries)
    close_a = AuditEntry.objects.get(object_id=str(a), action="close")
    close_b = AuditEntry.objects.get(object_id=str(b), action="close")
    assert close_a.details["votes"] == close_b.details["votes"] and close_a.comment == close_b.comment
    insider.held("the trail orders the voters; what the close writes does not depend on that order")


@pytest.mark.django_db
def test_the_close_shuffles_with_the_operating_systems_randomness(insider):
    import random

    from workflow import sealing

    insider.tried("predict the close's shuffle")
    assert isinstance(sealing._random, random.SystemRandom)
    items = list(range(50))
    assert sorted(sealing.shuffled(items)) == items
    insider.held("the decision rows are shuffled with SystemRandom (os.urandom), not a seeded generator")


@pytest.mark.django_db
def test_reasons_are_joined_by_content_not_cast_order(flow, mailoutbox, insider):
    iid = _dossier(flow)
    for user, reason in (("u2_chair", "zeta: chưa áp dụng"), ("u2_m1", "alpha: thiếu số liệu"), ("u2_m2", "mu: trùng")):
        flow.vote(user, iid, "reject", comment=reason)
    mailoutbox.clear()
    flow.act("u2_chair", iid, "close")  # no comment from the chair: the members' reasons are the reasons
    insider.tried("read the order of the reasons in the history and the authors' e-mail")
    expected = "alpha: thiếu số liệu\nmu: trùng\nzeta: chưa áp dụng"
    close = AuditEntry.objects.get(object_id=str(iid), action="close")
    assert close.comment == expected
    assert any(expected in m.body for m in mailoutbox)
    insider.held("reasons are joined in text order, never in the order the members cast them")


@pytest.mark.django_db
def test_restart_destroys_the_sealed_ballots(flow, insider):
    iid = _dossier(flow)
    _cast(flow, iid, ORDER_A[:2])
    voided = CouncilSession.objects.get(initiative_id=iid, closed_at__isnull=True)
    flow.act("u2_chair", iid, "restart", comment="bỏ phiếu lại")
    insider.tried("read the voided round's ballots after a restart")
    assert not wm.SealedBallot.objects.filter(session=voided).exists()
    assert not Vote.objects.filter(session=voided).exists()
    voided.refresh_from_db()
    assert "tally" not in voided.minutes and voided.minutes["votes_cast"] == 2
    insider.held("a voided secret round leaves who voted and how many, never a decision")


@pytest.mark.django_db
def test_the_dba_cannot_stuff_or_move_sealed_ballots(flow, insider):
    a, b = _dossier(flow), _dossier(flow)
    _cast(flow, a, ORDER_A)
    _cast(flow, b, ORDER_A[:2])
    sa, sb = _session(a), _session(b)

    insider.tried("replace one sealed ballot of a session by a copy of another (ballot stuffing)")
    first, second, _third = wm.SealedBallot.objects.filter(session=sa)
    wm.SealedBallot.objects.filter(pk=second.pk).update(sealed=first.sealed)
    r = flow.act("u2_chair", a, "close", expect=409)
    assert r["code"] == "ballot_integrity" and flow.state(a) == "unit_council"
    insider.held("a duplicated sealed ballot is refused; nothing changes")

    insider.tried("move a sealed ballot from one session into another")
    wm.SealedBallot.objects.create(session=sb, key_id=first.key_id, sealed=first.sealed)
    flow.vote("u2_m2", b, "return", comment="x")  # three casts, four sealed rows
    r = flow.act("u2_chair", b, "close", expect=409)
    assert r["code"] == "ballot_integrity"
    # keep the count equal to the casts: drop one of the session's own
    wm.SealedBallot.objects.filter(session=sb).exclude(sealed=first.sealed).first().delete()
    r = flow.act("u2_chair", b, "close", expect=409)
    assert r["code"] == "ballot_unsealing_failed" and flow.state(b) == "unit_council"
    insider.held("a sealed ballot is bound to its session: moved, it does not open")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_transaction_ids_and_physical_positions_link_nothing(flow, stand_in_shuffle, insider):
    """Each action is its own transaction here (transaction=True), as in production."""
    a, b = _dossier(flow), _dossier(flow)
    _cast(flow, a, ORDER_A)
    _cast(flow, b, ORDER_B)

    def rows(sql, params):
        with connection.cursor() as c:
            c.execute(sql, params)
            return c.fetchall()

    sa = _session(a)
    insider.tried("the finding's join, before the close: BallotCast ⋈ Vote ON session AND xmin")
    finding = (
        "SELECT b.voter_id, v.decision FROM workflow_ballotcast b JOIN workflow_vote v"
        " ON v.session_id = b.session_id AND v.xmin = b.xmin WHERE b.session_id = %s"
    )
    assert rows(finding, [sa.pk]) == []
    insider.held("no decision row exists to join before the close")

    insider.tried("before the close: join BallotCast to the sealed ballots on xmin")
    joined = rows(
        "SELECT b.voter_id, octet_length(s.sealed) FROM workflow_ballotcast b JOIN workflow_sealedballot s"
        " ON s.session_id = b.session_id AND s.xmin = b.xmin WHERE b.session_id = %s",
        [sa.pk],
    )
    assert len(joined) == 3 and len({n for _, n in joined}) == 1
    insider.held("xmin pairs each voter with a ciphertext of the same fixed length, which needs the key to open")

    insider.tried("before the close: search every table's rows as text for the comments")
    with connection.cursor() as c:
        for table in connection.introspection.table_names(c):
            c.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', ["%MARK-%"])
            assert c.fetchone()[0] == 0, table
    insider.held("no row of any table holds a comment before the close")

    for iid in (a, b):
        flow.act("u2_chair", iid, "close")

    insider.tried("the finding's join, after the close: BallotCast ⋈ Vote ON session AND xmin (both dossiers)")
    insider.tried("pair the decision rows' xmin with any vote's (its BallotCast row, its audit entry)")
    insider.tried("read the decisions by ctid (physical order) and adjacency (both dossiers)")
    for iid in (a, b):
        s = _session(iid)
        assert rows(finding, [s.pk]) == []
        decision_xmins = {r[0] for r in rows("SELECT xmin::text FROM workflow_vote WHERE session_id = %s", [s.pk])}
        cast_xmins = {r[0] for r in rows("SELECT xmin::text FROM workflow_ballotcast WHERE session_id = %s", [s.pk])}
        vote_entry_xmins = {
            r[0]
            for r in rows(
                "SELECT xmin::text FROM audit_auditentry WHERE object_id = %s AND action = 'vote'", [str(iid)]
            )
        }
        session_xmin = rows("SELECT xmin::text FROM workflow_councilsession WHERE id = %s", [s.pk])[0][0]
        assert len(decision_xmins) == 1 and len(cast_xmins) == 3 and len(vote_entry_xmins) == 3
        assert decision_xmins == {session_xmin}  # written by the close, with the session's minutes
        assert not decision_xmins & (cast_xmins | vote_entry_xmins)

        positions = rows("SELECT ctid::text, decision FROM workflow_vote WHERE session_id = %s ORDER BY ctid", [s.pk])
        assert [d for _, d in positions] == ["approve", "reject", "return"]  # the stand-in's order, both cast orders
        pages = {p.strip("()").split(",")[0] for p, _ in positions}
        slots = [int(p.strip("()").split(",")[1]) for p, _ in positions]
        assert len(pages) == 1 and slots == list(range(slots[0], slots[0] + 3))
    insider.held("the join on xmin finds nothing: no decision row shares a transaction with a vote")
    insider.held("the decision rows share one transaction id, the close's, different from every vote's")
    insider.held("the three rows sit together, in the shuffle's order, the same for opposite cast orders")

    insider.tried("read the sealed ballots after the close")
    assert rows("SELECT count(*) FROM workflow_sealedballot", [])[0][0] == 0
    insider.held("none left: the close deleted them in its own transaction")


@pytest.mark.django_db
def test_a_writer_without_the_key_cannot_swap_sealed_ballots_for_plain_rows(flow, insider):
    """Review finding: decision rows in an open secret session were counted as "legacy" votes."""
    iid = _dossier(flow)
    _cast(flow, iid, [("u2_chair", "reject"), ("u2_m1", "reject"), ("u2_m2", "reject")])
    session = _session(iid)
    n = wm.SealedBallot.objects.filter(session=session).count()

    insider.tried("delete the three sealed rejections and insert three anonymous approvals as plain rows")
    wm.SealedBallot.objects.filter(session=session).delete()
    Vote.objects.bulk_create([Vote(session=session, decision="approve") for _ in range(n)])
    r = flow.act("u2_chair", iid, "close", expect=409)
    assert r["code"] == "ballot_integrity" and r["unsealed_rows"] == 3
    assert flow.state(iid) == "unit_council" and _session(iid).closed_at is None
    assert Vote.objects.filter(session=session).count() == 3  # nothing changed: the auditors look
    insider.held("a decision row in a secret session opened since sealing is refused: 409, nothing changes")

    insider.tried("also mark the session as one that held rows before sealing (legacy_votes = 3)")
    CouncilSession.objects.filter(pk=session.pk).update(legacy_votes=n)
    r = flow.act("u2_chair", iid, "close", expect=409)
    assert r["code"] == "ballot_integrity"
    insider.held("the chained forward entry names the session it opened: the flag cannot make it a legacy one")

    insider.tried("keep one sealed ballot and add one plain row beside it (a mixed forgery)")
    iid2 = _dossier(flow)
    _cast(flow, iid2, [("u2_chair", "reject"), ("u2_m1", "reject")])
    s2 = _session(iid2)
    wm.SealedBallot.objects.filter(session=s2).first().delete()
    Vote.objects.create(session=s2, decision="approve")
    assert flow.act("u2_chair", iid2, "close", expect=409)["code"] == "ballot_integrity"
    insider.held("one plain row among sealed ballots is refused too")

    insider.tried("the chair restarts the forged round")
    flow.act("u2_chair", iid, "restart", comment="phiếu bị sửa trong cơ sở dữ liệu")
    assert not Vote.objects.filter(session=session).exists()
    fresh = CouncilSession.objects.get(initiative_id=iid, closed_at__isnull=True)
    assert fresh.pk != session.pk and fresh.legacy_votes == 0
    _cast(flow, iid, [("u2_chair", "reject"), ("u2_m1", "reject"), ("u2_m2", "reject")])
    assert flow.act("u2_chair", iid, "close")["state"] == "rejected"
    insider.held("a restart voids the forged round and the council's real votes decide")


# the members' estimates of the yearly benefit (assessed benefit), distinctive so a dump finds them
ESTIMATES = {"u2_chair": 73_190_001, "u2_m1": 28_460_002, "u2_m2": None}


@pytest.mark.django_db
def test_an_estimate_of_the_benefit_links_no_voter_to_a_decision(flow, api, users, stand_in_shuffle, insider):
    dossiers = []
    for order in (ORDER_A, ORDER_B):
        iid = _dossier(flow)
        for user, decision in order:
            body = {"decision": decision, "score": SCORES[decision], "comment": MARKS[decision]}
            if ESTIMATES[user] is not None:
                body["assessed_benefit_vnd"] = ESTIMATES[user]
            r = api(users[user]).post(f"/api/v1/initiatives/{iid}/votes/", body, format="json")
            assert r.status_code == 201 and "assessed_benefit_vnd" not in r.json()
        dossiers.append(iid)

    insider.tried("dump every table and read the vote statements for the members' estimates before the close")
    figures = [str(v) for v in ESTIMATES.values() if v is not None]
    assert [(t, r) for t, r in _every_row() if any(f in _text(v) for v in r for f in figures)] == []
    sealed = wm.SealedBallot.objects.filter(session__initiative_id__in=dossiers)
    assert len({len(bytes(b.sealed)) for b in sealed}) == 1  # with or without an estimate: one size
    for entry in AuditEntry.objects.filter(action="vote", object_id__in=[str(i) for i in dossiers]):
        assert "assessed_benefit_vnd" not in entry.details
    insider.held("an estimate is sealed with the decision: no table, trail entry or ballot size shows it")

    for iid in dossiers:
        flow.act("u2_chair", iid, "close")
    insider.tried("after the close, pair the published estimates with the voters (rows, minutes, order)")
    a, b = (_session(i) for i in dossiers)
    for s in (a, b):
        rows = list(Vote.objects.filter(session=s).values("voter_id", "cast_at", "assessed_benefit_vnd"))
        assert all(r["voter_id"] is None and r["cast_at"] is None for r in rows)
        assert sorted(r["assessed_benefit_vnd"] or 0 for r in rows) == [0, 28_460_002, 73_190_001]
        assert all("voter" not in v for v in s.minutes["votes"])
    assert a.minutes["votes"] == b.minutes["votes"]  # opposite cast orders, the same published list
    assert a.minutes["assessed_benefit_vnd"] == b.minutes["assessed_benefit_vnd"] == (73_190_001 + 28_460_002) // 2
    insider.held("estimates are published like decisions: anonymous, by content, whatever the cast order")
