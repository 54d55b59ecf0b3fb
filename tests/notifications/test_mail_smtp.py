"""Real mail: the outbox's mails go over SMTP to a real server on loopback (aiosmtpd): one recipient
per mail, Vietnamese intact, the monthly workbook attached; refusals, 4xx/5xx answers and a server
that is down are recorded on the mail's row and retried per policy, bounces never."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import DeliveryState, Notification, OutboxMessage, OutgoingMail
from notifications.outbox import outbox_redrive

from .smtp import SMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.OUTBOX_RETRY_BASE_SECONDS = 0  # retries due at once: the test drives them
    settings.OUTBOX_MAX_ATTEMPTS = 3
    yield server
    server.stop()


def _voters_mails(server, reference):
    return [m for m in server.received if m.subject == f"[Sáng kiến] Hồ sơ mới cần xét: {reference}"]


def test_a_session_opening_goes_over_smtp_one_recipient_each_in_vietnamese(flow, smtp):
    from initiatives.models import Initiative

    iid = flow.to_unit_council()
    reference = Initiative.objects.get(pk=iid).reference
    mails = _voters_mails(smtp, reference)
    rows = OutgoingMail.objects.filter(subject__contains=reference, subject__startswith="[Sáng kiến] Hồ sơ mới cần xét")
    assert len(mails) == rows.count() >= 3
    everyone = {r.to[0] for r in rows}
    for m in mails:
        assert len(m.rcpt_tos) == 1  # one envelope recipient …
        (to,) = m.rcpt_tos
        assert str(m.message["To"]) == to and m.message["Cc"] is None  # … and nobody else's address anywhere
        assert not any(other.encode() in m.raw for other in everyone - {to})
        assert m.subject == f"[Sáng kiến] Hồ sơ mới cần xét: {reference}"
        assert "Hồ sơ sáng kiến" in m.body and "Cải tiến quy trình kiểm tra máy biến áp" in m.body
        assert "Hạn quyết định" in m.body
        row = rows.get(to=[to])
        assert row.state == DeliveryState.SENT and row.attempts == 1 and row.sent_at
        assert str(m.message["Message-ID"]) == row.message_id
        assert row.notification.recipient.email == to and row.notification.subject == m.subject.removeprefix(
            "[Sáng kiến] "
        )
    assert {m.rcpt_tos[0] for m in mails} == everyone
    assert OutboxMessage.objects.filter(task="workflow.tasks.notify_session_opened", state="sent").count() == 1


def test_the_monthly_workbook_is_attached(structure, smtp):
    from openpyxl import load_workbook

    from councils.models import User
    from reports.tasks import send_monthly_reports

    User.objects.filter(username="officer_a").update(email="officer_a@example.org")
    User.objects.filter(username="officer_x1").update(email="officer_x1@example.org")
    assert send_monthly_reports(month="2022-07") == 2
    assert OutboxMessage.objects.filter(task="reports.tasks.send_monthly_report", state="sent").count() == 2
    xn1 = next(m for m in smtp.received if "Xí nghiệp 1" in m.subject)
    assert xn1.subject.startswith("Báo cáo sáng kiến tháng 07/2022")
    assert "Kính gửi cán bộ công đoàn" in xn1.body
    ((name, content, mime),) = xn1.attachments()
    assert name == "bao-cao-sang-kien-XN1-2022-07.xlsx" and mime.endswith("spreadsheetml.sheet")
    assert load_workbook(io.BytesIO(content)).sheetnames == ["Tổng hợp", "Danh sách sáng kiến"]


def test_a_refused_recipient_is_a_bounce_recorded_and_never_retried(flow, smtp):
    from initiatives.models import Initiative

    smtp.handler.refuse["u1_sec@example.org"] = "550 5.1.1 mailbox unavailable"
    iid = flow.to_unit_council()
    reference = Initiative.objects.get(pk=iid).reference
    bounced = OutgoingMail.objects.get(subject__contains=f"cần xét: {reference}", to=["u1_sec@example.org"])
    assert bounced.state == DeliveryState.FAILED and bounced.attempts == 1
    assert "550" in bounced.last_error and "u1_sec@example.org" in bounced.last_error
    others = OutgoingMail.objects.filter(subject__contains=f"cần xét: {reference}").exclude(pk=bounced.pk)
    assert others and all(m.state == DeliveryState.SENT for m in others)
    assert "u1_sec@example.org" not in {m.rcpt_tos[0] for m in smtp.received}
    job = bounced.outbox
    job.refresh_from_db()
    assert job.state == DeliveryState.FAILED and "u1_sec@example.org" in job.last_error
    # the notification in the application is there, and says its mail bounced
    assert bounced.notification.recipient.username == "u1_sec"
    del smtp.handler.refuse["u1_sec@example.org"]
    outbox_redrive()
    bounced.refresh_from_db()
    assert bounced.attempts == 1 and bounced.state == DeliveryState.FAILED  # never again


def test_a_temporary_failure_is_retried_until_it_goes(flow, smtp):
    smtp.handler.data_reply = "451 4.3.0 try again later"
    flow.draft()
    iid = flow.draft(title="Sáng kiến thứ hai về tiết kiệm điện")
    flow.act("author1", iid, "submit")
    flow.act("u1_adv", iid, "forward")
    waiting = OutgoingMail.objects.filter(state=DeliveryState.PENDING)
    assert waiting and all(m.attempts == 1 and "451" in m.last_error for m in waiting)
    assert smtp.received == []
    smtp.handler.data_reply = None
    outbox_redrive()
    assert not OutgoingMail.objects.exclude(state=DeliveryState.SENT).exists()
    assert len(smtp.received) == OutgoingMail.objects.count()
    assert all(m.attempts == 2 for m in OutgoingMail.objects.all())
    outbox_redrive()  # nothing is sent twice
    assert len(smtp.received) == OutgoingMail.objects.count()


def test_a_server_that_is_down_is_retried_then_given_up(flow, smtp, settings):
    smtp.stop()
    iid = flow.to_unit_council()
    rows = OutgoingMail.objects.all()
    assert rows and all(m.state == DeliveryState.PENDING and m.attempts == 1 for m in rows)
    assert all("ConnectionRefusedError" in m.last_error for m in rows)
    # the application's notifications are there already: only the mail waits
    assert Notification.objects.filter(recipient__username="u1_chair").exists()
    page = flow_page(flow, "u1_chair")
    assert "thư đang chờ gửi" in page
    outbox_redrive()
    outbox_redrive()
    assert all(m.state == DeliveryState.FAILED and m.attempts == 3 for m in OutgoingMail.objects.all())
    outbox_redrive()
    assert all(m.attempts == 3 for m in OutgoingMail.objects.all())  # given up: not retried forever
    assert iid


def flow_page(flow, username):
    from django.test import Client

    from councils.models import User

    c = Client()
    c.force_login(User.objects.get(username=username))
    r = c.get("/notifications/")
    assert r.status_code == 200
    return r.content.decode()


def test_backoff_doubles_and_is_capped(settings):
    from notifications.outbox import backoff

    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)
    assert timezone.now()
