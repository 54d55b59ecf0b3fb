"""Queries per write action, counted and held (issue 12): each action's statements are its own
database work — lock, permission asked once, state, change, trail — and one enqueue after the
commit. A change that adds a query to an action fails here; lower the figure when you cut one."""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from awards.actions import certificate_issue
from councils.models import Council
from initiatives.models import Initiative
from workflow.actions import initiative_close, initiative_forward, initiative_submit, vote_cast

# statements per call on each database (savepoints of the test's own transaction included);
# PostgreSQL adds the counters' advisory lock and the duplicate screen's statistics lookups
# (before issue 12 on PostgreSQL: submit 25, forward 14, vote 15, close 21: guardian's two queries
# per has_perm, asked twice by a close; the co-author refusals re-reading the authors; an exists()
# before the ballot's unique insert; the serial counter's three statements). A state change also
# rewrites the dossier's open tasks (initiatives/opentasks.py: delete, authors, insert): +1 to +3;
# each notification is an outbox row written in the transaction (notifications/outbox.py): +1 each.
# Track i12w (PostgreSQL): the chain's entry insert and head update one statement, the open-task
# rewrite one statement, the counters' lock in their upsert, a close's (or forward's) notices one
# insert; the submit's and the close's open tasks reuse the authors the action read; a close reads
# the closer's codenames, the authors, the session, the members and the votes in one round trip;
# the transitions' writes that need no answer travel with their next statement
# (config/sqlbatch.py: on PostgreSQL these figures are round trips, not statements)
# Track i12c: a dossier that owes nothing more (certified, rejected) has its open tasks deleted
# with the next statement, not in a round trip of its own (close_certify 22 -> 21)
# Track i12p (round 3): a submit that brings an author's first day of a period under its
# ancestors adds the first-day counters' two upserts (initiatives/counters.py: AuthorFirstCount,
# AuthorFirstMonth): +2 on both databases.
# Track i21a: the close's certificate_issue locks its quotas as it reads them (with their
# organisation and programme), reads the standing award, the caps' use, the budget and the authors
# in one round trip with the issuer's codenames and a duplicate mark, its certificate's insert
# travelling with the trail's lock (21 -> 13).
EXPECTED = {
    "submit": {"sqlite": 26, "postgresql": 20},
    "forward": {"sqlite": 15, "postgresql": 10},
    "vote": {"sqlite": 13, "postgresql": 12},
    "close_carried": {"sqlite": 19, "postgresql": 8},
    "close_certify": {"sqlite": 29, "postgresql": 13},
}


def counted(fn, callbacks):
    with callbacks(execute=True) as enqueued:  # the tasks run after the count, as after a commit
        with CaptureQueriesContext(connection) as ctx:
            result = fn()
    # /metrics counts each audited action after the commit too (config.metrics.count_action): not an enqueue
    tasks = [c for c in enqueued if not c.__qualname__.startswith("count_action")]
    return result, len(ctx.captured_queries), len(tasks)


def expect(name):
    return EXPECTED[name][connection.vendor]


MISMATCHES = []


def check(name, n, enq, enqueues):
    """Compare the counted statements and enqueues (the test fails at its end, naming every
    mismatch); QC_PRINT=1 prints them (pytest -s), to update EXPECTED."""
    if os.environ.get("QC_PRINT"):
        print(f"QC {connection.vendor} {name}: {n} statements, {enq} enqueues")
    if (n, enq) != (expect(name), enqueues):
        MISMATCHES.append(f"{name}: {n} statements, {enq} enqueues (expected {expect(name)}, {enqueues})")


@pytest.mark.django_db
def test_every_write_action_costs_its_counted_queries_and_enqueues_once(
    users, make_draft, django_capture_on_commit_callbacks
):
    u = users
    iid = make_draft()["id"]
    _, n, enq = counted(
        lambda: initiative_submit(initiative_id=iid, actor=u["author1"]), django_capture_on_commit_callbacks
    )
    check("submit", n, enq, 1)
    _, n, enq = counted(
        lambda: initiative_forward(initiative_id=iid, actor=u["u1_adv"]), django_capture_on_commit_callbacks
    )
    check("forward", n, enq, 1)  # the new session and the authors' notice: one enqueue
    for name in ("u1_chair", "u1_sec", "u1_m1"):
        _, n, enq = counted(
            lambda name=name: vote_cast(initiative_id=iid, actor=u[name], decision="approve"),
            django_capture_on_commit_callbacks,
        )
        check("vote", n, enq, 0)
    ini, n, enq = counted(
        lambda: initiative_close(initiative_id=iid, actor=u["u1_chair"]), django_capture_on_commit_callbacks
    )
    assert ini.state == "corporation_council"
    check("close_carried", n, enq, 1)  # the next session's members and the authors: one
    for name in ("c_chair", "c_m1", "c_m2"):
        vote_cast(initiative_id=iid, actor=u[name], decision="approve")
    initiative_close(initiative_id=iid, actor=u["c_chair"])
    for name in ("s_chair", "s_sec", "s_m1"):
        vote_cast(initiative_id=iid, actor=u[name], decision="certify")
    ini, n, enq = counted(
        lambda: initiative_close(initiative_id=iid, actor=u["s_chair"]), django_capture_on_commit_callbacks
    )
    assert ini.state == "sector_certified" and ini.certificates.count() == 1
    check("close_certify", n, enq, 1)
    mismatches, MISMATCHES[:] = list(MISMATCHES), []
    assert not mismatches, mismatches


@pytest.mark.django_db
def test_permission_is_still_asked_of_the_council_itself(users, make_draft):
    """The one-query permission answers exactly what guardian did: a member of another council, or
    a member made inactive, is refused."""
    from django.core.exceptions import PermissionDenied

    iid = make_draft()["id"]
    initiative_submit(initiative_id=iid, actor=users["author1"])
    initiative_forward(initiative_id=iid, actor=users["u1_adv"])
    with pytest.raises(PermissionDenied):
        vote_cast(initiative_id=iid, actor=users["u2_chair"], decision="approve")  # another unit's council
    sec = users["u1_sec"]
    sec.is_active = False
    sec.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        vote_cast(initiative_id=iid, actor=sec, decision="approve")
    with pytest.raises(PermissionDenied):
        initiative_close(initiative_id=iid, actor=users["u2_chair"])
    assert Initiative.objects.get(pk=iid).state == "unit_council"
    assert Council.objects.get(code="XN1-HD").pk == Initiative.objects.get(pk=iid).council_id
    # certificate_issue outside a close asks the same question of its council
    with pytest.raises(PermissionDenied):
        certificate_issue(
            initiative=Initiative.objects.get(pk=iid),
            award="sector_certificate",
            actor=users["u1_chair"],
            council=Council.objects.get(code="NGANH-HD"),
        )
