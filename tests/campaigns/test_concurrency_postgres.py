"""The same batch run by four workers at once (a duplicated or retried Celery task): each recipient
is mailed once. The claim is one UPDATE; its row locks are real only on PostgreSQL."""

import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection

from campaigns.actions import campaign_batches, campaign_create, campaign_send_batch
from campaigns.models import CampaignRecipient
from councils.models import Organisation, User


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_on_the_same_batch_mail_each_person_once(users, settings):
    settings.CAMPAIGN_BATCH_SIZE = 1000
    for u in User.objects.all():
        u.email = f"{u.username}@example.org"
        u.save(update_fields=["email"])
    # the batches are not queued on commit: the four workers below run the one batch themselves
    with mock.patch("campaigns.actions.campaign_schedule"):
        campaign = campaign_create(
            actor=users["admin_n"],
            organisation=Organisation.objects.get(code="NGANH"),
            subject="Mời viết sáng kiến",
            message="Hãy gửi ý tưởng của bạn.",
            audience="without_initiative",
        )
    ((first, last),) = campaign_batches(campaign_id=campaign.pk)
    mail.outbox = []
    barrier = threading.Barrier(4)
    results, lock = [], threading.Lock()

    def work():
        try:
            barrier.wait(timeout=30)
            outcome = campaign_send_batch(campaign_id=campaign.pk, first_id=first, last_id=last)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            outcome = {"error": repr(e)}
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    recipients = CampaignRecipient.objects.filter(campaign=campaign).count()
    assert recipients > 10 and all("error" not in r for r in results), results
    assert sum(r["sent"] for r in results) == recipients
    addresses = [m.to[0] for m in mail.outbox]
    assert len(addresses) == len(set(addresses)) == recipients
    campaign.refresh_from_db()
    assert campaign.state == "done"
