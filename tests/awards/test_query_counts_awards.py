"""Queries per award action, counted and held (issue 12), like tests/workflow/test_query_counts.py
for the lifecycle: a lock, the permission asked once, the checks read together (a standing award,
each cap's use, the budget locked then its committed sum, the authors: one round trip on
PostgreSQL), the serials in one upsert, the rows, the trail, one outbox row. A selection of five
commendations costs what a selection of one does: nothing is read or written once per dossier."""

import datetime
import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from awards.actions import adhoc_commend, certificate_issue, commendation_select
from awards.models import Award, Budget, Certificate, Quota
from councils.models import Organisation
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

# statements per call (savepoints of the test's own transaction included), the actor fresh each time.
# Before track i21a (PostgreSQL / SQLite): certificate_issue 16 / 17, with a budget 18 / 19 (the
# quotas read, locked, their organisation and programme read again; the standing award, each cap,
# the budget's lock and its sum, the authors each a round trip; the insert alone);
# commendation_select of one 20 / 21, of five 40 / 45 (per dossier: a serial, the authors, an
# insert, a trail lock and append); adhoc_commend 17 / 18 (the programme, the authors, the budget's
# lock and its sum alone).
EXPECTED = {
    "certificate_issue": {"sqlite": 14, "postgresql": 8},
    "certificate_issue_budget": {"sqlite": 16, "postgresql": 8},
    "commendation_select_1": {"sqlite": 20, "postgresql": 18},
    "commendation_select_5": {"sqlite": 20, "postgresql": 18},
    "adhoc_commend": {"sqlite": 17, "postgresql": 12},
}
MISMATCHES = []


def counted(name, fn, callbacks):
    with callbacks(execute=False):
        with CaptureQueriesContext(connection) as ctx:
            result = fn()
    n = len(ctx.captured_queries)
    if os.environ.get("QC_PRINT"):
        print(f"QC {connection.vendor} {name}: {n} statements")
        if os.environ["QC_PRINT"] == "sql":
            for q in ctx.captured_queries:
                print("   ", q["sql"][:160])
    if n != EXPECTED[name][connection.vendor]:
        MISMATCHES.append(f"{name}: {n} statements (expected {EXPECTED[name][connection.vendor]})")
    return result


def test_every_award_action_costs_its_counted_queries(
    users, recognised, sector_council, django_capture_on_commit_callbacks
):
    sector = Organisation.objects.get(code="NGANH")
    chair = users["s_chair"]

    def fresh():  # the actor as a request brings it: nothing the permission backends cached on it
        return type(chair).objects.get(pk=chair.pk)

    a, b, *rest = [Initiative(pk=i.pk) for i in recognised(9)]  # as the close passes it: by id
    cert = counted(
        "certificate_issue",
        lambda: certificate_issue(initiative=a, award=Award.SECTOR_CERTIFICATE, actor=chair, council=sector_council),
        django_capture_on_commit_callbacks,
    )
    assert cert.pk and Certificate.objects.get(pk=cert.pk).serial == cert.serial
    # with money: the budget locked and its committed sum read with the other checks
    Budget.objects.create(organisation=sector, year=timezone.localdate().year, amount_vnd=10_000_000)
    Quota.objects.filter(award=Award.SECTOR_CERTIFICATE).update(amount_vnd=1_000_000)
    cert = counted(
        "certificate_issue_budget",
        lambda: certificate_issue(initiative=b, award=Award.SECTOR_CERTIFICATE, actor=chair, council=sector_council),
        django_capture_on_commit_callbacks,
    )
    assert cert.amount_vnd == 1_000_000 and cert.budget.amount_vnd == 10_000_000
    month = datetime.date(2025, 3, 1)
    actor = fresh()
    (one,) = counted(
        "commendation_select_1",
        lambda: commendation_select(organisation=sector, month=month, initiative_ids=[rest[0].pk], actor=actor),
        django_capture_on_commit_callbacks,
    )
    actor = fresh()
    five = counted(
        "commendation_select_5",
        lambda: commendation_select(
            organisation=sector, month=datetime.date(2025, 4, 1), initiative_ids=[i.pk for i in rest[1:6]], actor=actor
        ),
        django_capture_on_commit_callbacks,
    )
    assert [c.initiative_id for c in five] == [i.pk for i in rest[1:6]]
    # the serials follow one another in the selection's order, and each has its chained entry
    numbers = [int(c.serial.rsplit("-", 1)[1]) for c in [one, *five]]
    assert numbers == list(range(numbers[0], numbers[0] + 6))
    for c in five:
        entry = AuditEntry.objects.get(action="award", object_id=str(c.initiative_id), details__serial=c.serial)
        assert entry.details["selection"] == [i.pk for i in rest[1:6]]
        assert Certificate.objects.get(pk=c.pk).recipients == c.recipients != []
    actor = fresh()
    adhoc = counted(
        "adhoc_commend",
        lambda: adhoc_commend(
            organisation=sector, initiative_id=rest[6].pk, reason="Đột xuất", amount_vnd=1_000_000, actor=actor
        ),
        django_capture_on_commit_callbacks,
    )
    assert adhoc.budget is not None and adhoc.recipients
    assert AuditEntry.objects.filter(action="award", details__serial=adhoc.serial).count() == 1
    mismatches, MISMATCHES[:] = list(MISMATCHES), []
    assert not mismatches, mismatches
