"""The data migrations of issue 8: sessions that existed before them get their rules from their
council (or the ballot they were held under), and the anonymous decision rows earlier secret
votes wrote at cast time are written again, in a random order, by the migration."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from councils.models import Council
from workflow.models import BallotCast, CouncilSession, Vote

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _old_vote(at, **fields):
    """A decision row written as the release at migration ``at`` wrote it (its own columns only:
    later releases add columns the old schema lacks)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    OldVote = executor.loader.project_state(at).apps.get_model("workflow", "Vote")
    fields = {f"{k}_id" if k in ("session", "voter") else k: getattr(v, "pk", v) for k, v in fields.items()}
    return OldVote.objects.create(**fields)


def _latest_workflow():
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == "workflow"]


def test_sessions_opened_before_the_migration_take_their_councils_rules(flow):
    iid = flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )
    open_id = CouncilSession.objects.get(initiative_id=iid).pk
    latest = _latest_workflow()
    held_secret = flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )
    held_secret_session = CouncilSession.objects.get(initiative_id=held_secret)
    _migrate([("workflow", "0001_initial")])
    try:
        Council.objects.filter(code="XN2-HD").update(
            ballot="open", quorum=3, threshold_numerator=1, threshold_denominator=2
        )
        # an earlier secret vote (an anonymous decision), then the council turned open
        with connection.cursor() as c:
            c.execute(
                "INSERT INTO workflow_vote (id, session_id, decision, comment) VALUES (%s, %s, 'approve', '')",
                ["0" * 32, held_secret_session.pk],
            )
    finally:
        _migrate(latest)
    session = CouncilSession.objects.get(pk=open_id)
    assert (session.ballot, session.quorum, session.threshold_display, session.decision_days) == (
        "open",
        3,
        "1/2",
        90,
    )
    # but a session already voted in keeps the ballot it was held under
    assert CouncilSession.objects.get(pk=held_secret_session.pk).ballot == "secret"


def test_anonymous_decisions_written_at_cast_time_are_written_again(flow, users):
    iid = flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )
    session = CouncilSession.objects.get(initiative_id=iid)
    latest = _latest_workflow()
    _migrate([("workflow", "0002_session_rules")])
    try:
        # what a secret vote wrote before sealed ballots: a cast and an anonymous decision, together
        for user, decision in (("u2_chair", "approve"), ("u2_m1", "reject"), ("u2_m2", "approve")):
            BallotCast.objects.create(session=session, voter=users[user], cast_at=session.opened_at)
            _old_vote(("workflow", "0002_session_rules"), session=session, decision=decision, comment=user)
        before = set(Vote.objects.filter(session=session).values_list("pk", flat=True))
    finally:
        _migrate(latest)
    after = list(Vote.objects.filter(session=session))
    assert sorted(v.comment for v in after) == ["u2_chair", "u2_m1", "u2_m2"]
    assert not before & {v.pk for v in after}


def test_only_secret_sessions_open_with_anonymous_rows_may_count_them_at_the_close(flow, users):
    """Migration 0004 counts the anonymous rows of the secret sessions open when it runs; every
    other session (closed, open ballot, none such rows) keeps 0."""
    xn2 = {"organisation": "XN2", "adviser": "a_adv", "user": "author2"}
    held, closed, clean = (
        flow.to_unit_council(**xn2, authors=[{"username": "author2", "share_percent": 100}]) for _ in range(3)
    )
    opened = flow.to_unit_council()  # XN1: an open ballot
    sessions = {iid: CouncilSession.objects.get(initiative_id=iid) for iid in (held, closed, clean, opened)}
    latest = _latest_workflow()
    OLD = ("workflow", "0003_sealed_ballots")
    _migrate([OLD])
    try:
        for iid in (held, closed):
            for user in ("u2_chair", "u2_m1"):
                BallotCast.objects.create(session=sessions[iid], voter=users[user], cast_at=sessions[iid].opened_at)
                _old_vote(OLD, session=sessions[iid], decision="approve", comment=user)
        CouncilSession.objects.filter(pk=sessions[closed].pk).update(closed_at=sessions[closed].opened_at)
        _old_vote(OLD, session=sessions[opened], voter=users["u1_chair"], decision="approve", comment="")
    finally:
        _migrate(latest)
    counted = dict(CouncilSession.objects.values_list("initiative_id", "legacy_votes"))
    assert counted == {held: 2, closed: 0, clean: 0, opened: 0}
