"""Beat reminds each union's officers to nominate, three days before the month closes."""

import datetime

import pytest
from django.conf import settings

from awards.actions import nominations_remind
from awards.tasks import remind_nominations
from notifications.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db


def test_officers_are_reminded_three_days_before_the_month_closes(
    structure, mailoutbox, django_capture_on_commit_callbacks
):
    for u in structure.values():
        u.email = f"{u.username}@example.org"
        u.save(update_fields=["email"])
    assert nominations_remind(today=datetime.date(2026, 1, 27)) == 0  # four days before: nothing
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # delivered from the outbox after the commit
        sent = nominations_remind(today=datetime.date(2026, 1, 28))
    to = sorted(m.to[0] for m in mailoutbox)
    assert sent == len(to) and "officer_x1@example.org" in to and "officer_a@example.org" in to
    assert all(len(m.to) == 1 for m in mailoutbox)
    mail = next(m for m in mailoutbox if m.to == ["officer_x1@example.org"])
    assert "01/2026" in mail.subject and "Công đoàn Tổng công ty A" in mail.body and "31/01/2026" in mail.body
    assert Notification.objects.filter(recipient=structure["officer_x1"], url__contains="organisation=XN1").exists()
    # beat running twice on one day queues nothing twice; nobody gets a second mail
    with django_capture_on_commit_callbacks(execute=True):
        assert nominations_remind(today=datetime.date(2026, 1, 28)) == 0
    assert len(mailoutbox) == len(to)
    assert OutboxMessage.objects.filter(task="awards.tasks.remind_union", state="sent").count() >= 2
    assert nominations_remind(today=datetime.date(2026, 2, 25)) > 0  # February has 28 days in 2026


def test_the_beat_schedule_runs_the_reminder_task_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["nomination-reminders"]
    assert entry["task"] == remind_nominations.name == "awards.tasks.remind_nominations"


def test_the_task_runs_through_celery(structure):
    assert remind_nominations.delay(days_before=40).get() == 0  # no month closes 40 days ahead
