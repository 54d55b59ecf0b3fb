"""Concurrent awards cannot overrun a budget: the budget row is locked in the award's own
transaction (after the quota rows). Row locks are real only on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from awards.actions import adhoc_commend, certificate_issue
from awards.models import Award, Budget, Certificate, Quota
from councils.models import Organisation
from initiatives.exceptions import ApplicationError


def _race(jobs):
    barrier = threading.Barrier(len(jobs))
    results, lock = [], threading.Lock()

    def work(job):
        try:
            barrier.wait(timeout=60)
            job()  # each in its own transaction on its own connection
            outcome = "ok"
        except ApplicationError as e:
            outcome = e.code
        except Exception as e:  # noqa: BLE001 - reported by the assertions
            outcome = f"error: {e!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return sorted(results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_cannot_overrun_the_budget(users, recognised, sector_council):
    sector = Organisation.objects.get(code="NGANH")
    budget = Budget.objects.create(organisation=sector, year=timezone.localdate().year, amount_vnd=10_000_000)
    Quota.objects.filter(award=Award.SECTOR_CERTIFICATE).update(cap=100, amount_vnd=1_000_000)
    initiatives = recognised(16)
    chair = users["s_chair"]

    def certify(i):
        def job():
            with transaction.atomic():
                certificate_issue(initiative=i, award=Award.SECTOR_CERTIFICATE, actor=chair, council=sector_council)

        return job

    def adhoc(i):  # a durable action: its own transaction
        return lambda: adhoc_commend(
            organisation=sector, initiative_id=i.pk, reason="Đột xuất", amount_vnd=1_000_000, actor=chair
        )

    # eight certificates and eight ad-hoc commendations of 1 M each race for a 10 M budget
    codes = _race([certify(i) for i in initiatives[:8]] + [adhoc(i) for i in initiatives[8:]])
    assert codes.count("ok") == 10 and codes.count("budget_exhausted") == 6, codes
    standing = Certificate.objects.filter(budget=budget, revoked_at__isnull=True)
    assert standing.count() == 10
    assert sum(standing.values_list("amount_vnd", flat=True)) == 10_000_000
