"""The outbox through the doors users use (SQLite, Celery eager unless a test points it at a dead
broker): what an action sets going is a row of its own transaction, delivered once, retried with
backoff when building fails, re-driven when the broker was down, shown to the actor meanwhile."""

import logging

import pytest
from django.test import Client

from councils.models import User
from notifications.models import DeliveryState, Notification, OutboxMessage, OutgoingMail
from notifications.tasks import deliver_outbox, redrive_outbox
from tests.notifications.smtp import free_port

pytestmark = pytest.mark.django_db


def _page(user, lang="vi"):
    c = Client()
    c.force_login(user)
    r = c.get("/notifications/", HTTP_ACCEPT_LANGUAGE=lang)
    assert r.status_code == 200
    return r.content.decode()


@pytest.fixture
def dead_broker(settings):
    """Celery not eager, its broker a closed port: every enqueue fails as when Redis is down."""
    from config.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{free_port()}/0", False
    app._pool, app.amqp._producer_pool = None, None
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool, app.amqp._producer_pool = None, None


def test_a_refused_action_sets_nothing_going(flow, mailoutbox):
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    before = OutboxMessage.objects.count()
    mailoutbox.clear()
    flow.act("author1", iid, "forward", expect=403)  # only the advisory team forwards
    assert OutboxMessage.objects.count() == before and mailoutbox == []


def test_each_notification_is_built_and_mailed_once_however_often_delivery_runs(flow, mailoutbox):
    iid = flow.to_unit_council()
    row = OutboxMessage.objects.get(task="workflow.tasks.notify_session_opened")
    assert (
        row.state == DeliveryState.SENT and row.attempts == 1 and row.kwargs == {"session_id": row.kwargs["session_id"]}
    )
    sent = len(mailoutbox)
    notes = Notification.objects.count()
    deliver_outbox.delay(row.pk)
    deliver_outbox.delay(row.pk)
    redrive_outbox.delay()
    assert len(mailoutbox) == sent and Notification.objects.count() == notes
    assert iid and {m.to[0] for m in mailoutbox if "cần xét" in m.subject} == {
        m.to[0] for m in OutgoingMail.objects.filter(outbox=row)
    }


def test_the_broker_down_at_commit_the_action_succeeds_and_the_redrive_delivers(
    flow, users, mailoutbox, dead_broker, caplog, django_capture_on_commit_callbacks
):
    iid = flow.draft()
    with caplog.at_level(logging.WARNING, logger="notifications.outbox"):
        flow.act("author1", iid, "submit")  # 200: the broker's failure is not the user's
    assert "re-drive" in caplog.text
    row = OutboxMessage.objects.get(task="workflow.tasks.notify_advisory_team")
    assert row.state == DeliveryState.PENDING and row.actor == users["author1"]
    assert mailoutbox == [] and not Notification.objects.filter(subject__contains="Hồ sơ mới nộp").exists()
    page = _page(users["author1"])
    assert 'id="deliveries-pending"' in page and "1 thông báo do bạn tạo ra đang chờ gửi" in page
    assert "1 notification you set going is waiting to be sent" in _page(users["author1"], "en")
    assert 'id="deliveries-pending"' not in _page(users["u1_adv"])  # only the one who acted
    from config.celery import app

    app.conf.task_always_eager = True  # the broker is back: beat's re-drive runs
    redrive_outbox.delay()
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT
    advisers = {m.to[0] for m in mailoutbox}
    assert advisers and len(mailoutbox) == len(advisers)
    assert Notification.objects.filter(subject__contains="Hồ sơ mới nộp").count() == len(advisers)
    assert 'id="deliveries-pending"' not in _page(users["author1"])
    redrive_outbox.delay()
    assert len(mailoutbox) == len(advisers)


def test_a_failing_build_is_rolled_back_recorded_and_retried_with_backoff(
    flow, users, mailoutbox, settings, monkeypatch
):
    from workflow import tasks

    calls = {"n": 0}
    real = tasks._members

    def flaky(council, initiative):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return real(council, initiative)

    monkeypatch.setattr(tasks, "_members", flaky)
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    row = OutboxMessage.objects.get(task="workflow.tasks.notify_advisory_team")
    assert row.state == DeliveryState.PENDING and row.attempts == 1
    assert row.last_error == "RuntimeError: database hiccup"
    assert 29 <= (row.next_attempt_at - row.created_at).total_seconds() <= 60
    assert mailoutbox == [] and not Notification.objects.filter(subject__contains="Hồ sơ mới nộp").exists()
    redrive_outbox.delay()  # not due yet: nothing happens
    row.refresh_from_db()
    assert row.attempts == 1
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)  # the wait is over
    redrive_outbox.delay()
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT and row.attempts == 2 and row.last_error == ""
    assert mailoutbox and len(mailoutbox) == Notification.objects.filter(subject__contains="Hồ sơ mới nộp").count()


def test_a_build_that_keeps_failing_ends_failed_and_is_shown(flow, users, settings, monkeypatch):
    from workflow import tasks

    def broken(council, initiative):
        raise RuntimeError("always")

    monkeypatch.setattr(tasks, "_members", broken)
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    settings.OUTBOX_MAX_ATTEMPTS = 3
    iid = flow.draft()
    flow.act("author1", iid, "submit")
    redrive_outbox.delay()
    redrive_outbox.delay()
    row = OutboxMessage.objects.get(task="workflow.tasks.notify_advisory_team")
    assert row.state == DeliveryState.FAILED and row.attempts == 3
    redrive_outbox.delay()
    row.refresh_from_db()
    assert row.attempts == 3  # not retried forever
    assert 'id="deliveries-failed"' in _page(users["author1"])
    assert User.objects.filter(pk=users["author1"].pk).exists()


def test_delivered_rows_are_purged_after_the_keep_days_the_notifications_stay(flow):
    from datetime import timedelta

    from django.utils import timezone

    flow.to_unit_council()
    rows = OutboxMessage.objects.all()
    assert rows.count() >= 2 and not rows.exclude(state=DeliveryState.SENT).exists()
    old, recent = rows.order_by("pk")[0], rows.order_by("pk")[1]
    OutboxMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=31))
    notes = Notification.objects.count()
    assert redrive_outbox.delay().get()["purged"] == 1
    assert not OutboxMessage.objects.filter(pk=old.pk).exists() and OutboxMessage.objects.filter(pk=recent.pk).exists()
    assert Notification.objects.count() == notes


@pytest.mark.django_db(transaction=True)
def test_a_row_written_outside_any_transaction_is_queued_at_once(flow, mailoutbox):
    """Autocommit (a beat task, a shell): the row is committed as it is written, so its delivery is
    queued then — not left to the re-drive."""
    from notifications.outbox import outbox_enqueue

    flow.to_unit_council()
    session_id = OutboxMessage.objects.filter(task="workflow.tasks.notify_session_opened").first().kwargs["session_id"]
    mailoutbox.clear()
    row = outbox_enqueue("workflow.tasks.notify_session_opened", session_id=session_id)
    row.refresh_from_db()
    assert row.state == DeliveryState.SENT and row.attempts == 1
    assert mailoutbox and all("cần xét" in m.subject for m in mailoutbox)
