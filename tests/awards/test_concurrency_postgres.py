"""64 simultaneous certificate issues against a cap of 60: row locks are real only on PostgreSQL."""

import threading

import pytest
from django.db import connection, transaction

from awards.actions import certificate_issue
from awards.models import Award, Certificate, Quota
from initiatives.exceptions import ApplicationError


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_64_threads_against_a_cap_of_60_get_exactly_60(users, recognised, sector_council):
    Quota.objects.filter(award=Award.SECTOR_CERTIFICATE).update(cap=60)
    initiatives = recognised(64)
    chair = users["s_chair"]
    barrier = threading.Barrier(64)
    results, lock = [], threading.Lock()

    def work(initiative):
        try:
            barrier.wait(timeout=60)
            with transaction.atomic():  # its own transaction on its own connection
                certificate = certificate_issue(
                    initiative=initiative, award=Award.SECTOR_CERTIFICATE, actor=chair, council=sector_council
                )
            outcome = ("ok", certificate.serial)
        except ApplicationError as e:
            outcome = (e.code, None)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            outcome = (f"error: {e!r}", None)
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=work, args=(i,)) for i in initiatives]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    codes = sorted(code for code, _ in results)
    assert codes.count("ok") == 60, codes
    assert codes.count("quota_exhausted") == 4, codes
    assert len(results) == 64
    assert Certificate.objects.filter(award=Award.SECTOR_CERTIFICATE).count() == 60
    serials = sorted(s for code, s in results if code == "ok")
    assert len(set(serials)) == 60
    assert [int(s.rsplit("-", 1)[1]) for s in serials] == list(range(1, 61))
