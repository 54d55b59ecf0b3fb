"""Faults, with real processes (CI's PostgreSQL pass): a Celery worker (with its embedded beat) of our
own, a Redis of our own on a private port (never the shared one) and a real SMTP server on loopback.

- the worker SIGKILLed while it sends a mail → after a new worker starts, every mail arrives once;
- Redis down during an action → the action succeeds, the mails arrive once Redis is back (re-drive);
- the request's database connection terminated (pg_terminate_backend of that connection only) → a
  clear 503, nothing half-written; the retry is recorded once and notified once.

Each would fail if the notifications bypassed the outbox (no rows to re-drive, a broker error
raised to the user, or nothing delivered)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from .smtp import SMTPServer, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def wait_for(check, timeout=60, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} not met within {timeout} s")


class Redis:
    """A redis-server of this test, on a private port; stopped and started by its own pid."""

    def __init__(self, tmp):
        self.port, self.tmp, self.proc = free_port(), tmp, None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(
            lambda: (
                subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip()
                == b"PONG"
            ),
            15,
            "redis up",
        )

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Worker:
    """``celery worker -B`` as shipped, on the test database, our Redis and the loopback SMTP server;
    its own process group, so SIGKILL takes its pool child too."""

    def __init__(self, tmp, redis, smtp):
        self.tmp, self.redis, self.smtp, self.proc, self.n = tmp, redis, smtp, None, 0

    def start(self):
        self.n += 1
        s = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
            "CELERY_BROKER_URL": self.redis.url,
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "EMAIL_TIMEOUT": "20",
            "OUTBOX_REDRIVE_SECONDS": "1",
            "OUTBOX_LEASE_SECONDS": "3",
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "test-only"),
        }
        self.log = self.tmp / f"worker-{self.n}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "-s",
                str(self.tmp / "beat-schedule"),
                "-l",
                "info",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log.read_text(errors="replace"), 60, "the worker ready")
        return self

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


@pytest.fixture
def rig(tmp_path):
    """Our Redis, our SMTP server, the test process's Celery pointed at our Redis, a worker factory."""
    from config.celery import app

    redis = Redis(tmp_path)
    redis.start()
    smtp = SMTPServer().start()
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = redis.url, False
    app._pool, app.amqp._producer_pool = None, None
    worker = Worker(tmp_path, redis, smtp)
    yield redis, smtp, worker
    worker.stop()
    app.conf.broker_url, app.conf.task_always_eager = saved
    app._pool, app.amqp._producer_pool = None, None
    smtp.stop()
    redis.stop()


def _with_mail(users):
    from councils.models import User

    for u in User.objects.all():
        User.objects.filter(pk=u.pk).update(email=f"{u.username}@example.org")


def _client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token, _ = Token.objects.get_or_create(user=user)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


def _submitted(users):
    from tests.conftest import draft_payload

    c = _client(users["author1"])
    iid = c.post("/api/v1/initiatives/", draft_payload(), format="json").json()["id"]
    assert c.post(f"/api/v1/initiatives/{iid}/actions/submit/", {}, format="json").status_code == 200
    return iid


def _all_delivered_once(smtp):
    from notifications.models import OutgoingMail

    rows = list(OutgoingMail.objects.all())
    if not rows or any(r.state != "sent" for r in rows):
        return False
    ids = [str(m.message["Message-ID"]) for m in smtp.received]
    assert len(ids) == len(set(ids)), "a mail arrived twice"
    return sorted(ids) == sorted(r.message_id for r in rows)


def _notifications_once():
    from django.db.models import Count

    from notifications.models import Notification

    doubled = Notification.objects.values("recipient", "subject").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubled.exists(), list(doubled)


def test_a_worker_killed_while_sending_leaves_every_mail_delivered_once(users, rig):
    from notifications.models import OutboxMessage, OutgoingMail

    redis, smtp, worker = rig
    _with_mail(users)
    smtp.handler.holding = True  # the first mail's DATA waits: the worker is caught mid-send
    worker.start()
    iid = _submitted(users)
    assert smtp.handler.held.wait(60), "no mail reached the SMTP server"
    worker.kill()
    caught = OutgoingMail.objects.get(state="sending")  # claimed, never marked: the crash window
    smtp.handler.holding = False
    smtp.handler.hold.set()
    assert smtp.received == []
    # a second action while no worker runs: its row waits in the outbox
    c = _client(users["u1_adv"])
    assert c.post(f"/api/v1/initiatives/{iid}/actions/forward/", {}, format="json").status_code == 200
    assert OutboxMessage.objects.filter(task="workflow.tasks.notify_session_opened").count() == 1
    worker.start()
    wait_for(
        lambda: _all_delivered_once(smtp) and not OutboxMessage.objects.exclude(state="sent").exists(),
        90,
        "every mail delivered",
    )
    caught.refresh_from_db()
    assert caught.state == "sent" and caught.attempts == 2
    assert {m.rcpt_tos[0] for m in smtp.received} >= {"u1_chair@example.org", "u1_adv@example.org"}
    _notifications_once()
    time.sleep(3)  # the re-drive keeps running: still nothing twice
    assert _all_delivered_once(smtp)


def test_redis_down_during_an_action_the_action_succeeds_and_mail_follows(users, rig):
    from audit.models import AuditEntry
    from notifications.models import OutboxMessage

    redis, smtp, worker = rig
    _with_mail(users)
    worker.start()
    iid = _submitted(users)
    wait_for(lambda: _all_delivered_once(smtp), 60, "the submission's mail")
    before = len(smtp.received)
    redis.stop()
    c = _client(users["u1_adv"])
    started = time.time()
    r = c.post(f"/api/v1/initiatives/{iid}/actions/forward/", {}, format="json")
    assert r.status_code == 200, r.content
    assert time.time() - started < 15
    assert AuditEntry.objects.filter(object_id=str(iid), action="forward").count() == 1
    row = OutboxMessage.objects.get(task="workflow.tasks.notify_session_opened")
    assert row.state == "pending"
    page = _page(users["u1_adv"])
    assert "đang chờ gửi" in page  # the one who acted is told the notifications follow
    time.sleep(2)
    assert len(smtp.received) == before
    redis.start()  # same port: the worker reconnects, its beat re-drives the row
    wait_for(
        lambda: _all_delivered_once(smtp) and OutboxMessage.objects.get(pk=row.pk).state == "sent",
        90,
        "the forward's mails after Redis came back",
    )
    assert len(smtp.received) > before
    _notifications_once()
    assert "đang chờ gửi" not in _page(users["u1_adv"])


def _page(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    r = c.get("/notifications/")
    assert r.status_code == 200
    return r.content.decode()


def test_a_dropped_database_connection_loses_and_doubles_nothing(users, rig, live_server):
    import json
    import urllib.error
    import urllib.request

    import psycopg
    from rest_framework.authtoken.models import Token

    from audit.models import AuditEntry
    from initiatives.models import Initiative
    from notifications.models import OutboxMessage

    redis, smtp, worker = rig
    _with_mail(users)
    worker.start()
    iid = _submitted(users)
    token, _ = Token.objects.get_or_create(user=users["u1_adv"])
    waiting = Initiative.objects.get(pk=iid).state

    def forward():
        req = urllib.request.Request(
            f"{live_server.url}/api/v1/initiatives/{iid}/actions/forward/",
            data=b"{}",
            method="POST",
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    s = connection.settings_dict
    dsn = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} dbname={s['NAME']}"
    import threading

    result = {}
    with psycopg.connect(dsn) as side, psycopg.connect(dsn, autocommit=True) as admin:
        # the dossier's row locked elsewhere: the request's action waits on it, mid-transaction
        side.execute(f"SELECT 1 FROM {Initiative._meta.db_table} WHERE id = %s FOR UPDATE", [iid])
        t = threading.Thread(target=lambda: result.update(first=forward()))
        t.start()
        victim = []

        def blocked():
            victim[:] = admin.execute(  # the connection waiting for our lock: the request's
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND %s = ANY(pg_blocking_pids(pid))",
                [side.info.backend_pid],
            ).fetchall()
            return len(victim) == 1

        wait_for(blocked, 30, "the request waiting on the row")
        admin.execute("SELECT pg_terminate_backend(%s)", [victim[0][0]])  # that connection only
        t.join(60)
        side.rollback()
    status, body = result["first"]
    assert status == 503 and body["code"] == "database_unavailable", (status, body)
    assert "thử lại" in body["detail"]
    assert Initiative.objects.get(pk=iid).state == waiting  # nothing half-written
    assert not AuditEntry.objects.filter(object_id=str(iid), action="forward").exists()
    assert not OutboxMessage.objects.filter(task="workflow.tasks.notify_session_opened").exists()
    status, body = forward()  # the retry
    assert status == 200, body
    assert Initiative.objects.get(pk=iid).state != waiting
    assert AuditEntry.objects.filter(object_id=str(iid), action="forward").count() == 1
    assert OutboxMessage.objects.filter(task="workflow.tasks.notify_session_opened").count() == 1
    wait_for(
        lambda: _all_delivered_once(smtp) and not OutboxMessage.objects.exclude(state="sent").exists(),
        90,
        "the forward's mails",
    )
    assert status == 200 and forward()[0] == 409  # a second retry is refused, not doubled
    assert AuditEntry.objects.filter(object_id=str(iid), action="forward").count() == 1
    _notifications_once()
