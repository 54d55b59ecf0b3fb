"""/healthz, /metrics, and the request id that follows a request into its logs and tasks."""

import io
import json
import logging
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from config.celery import app as celery_app
from config.logs import JsonFormatter, RequestIdFilter, request_id
from ops.signals import FAILURES_KEY
from ops.tasks import HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.django_db

CHECKS = {"database", "cache", "broker", "worker", "audit_checkpoint"}


@pytest.fixture
def not_eager(settings):
    """As with a real broker: tasks are sent, not run in this process (the memory transport
    on SQLite; the CI's Redis on PostgreSQL). The worker heartbeat is then checked."""
    celery_app.conf.task_always_eager = False
    cache.delete(HEARTBEAT_KEY)
    yield
    cache.delete(HEARTBEAT_KEY)


def test_healthz_names_each_check_and_answers_200_when_all_hold():
    r = Client().get("/healthz")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "ok" and body["failed"] == [] and set(body["checks"]) == CHECKS
    assert all(c["ok"] for c in body["checks"].values())
    assert r["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_503_naming_the_cache_when_redis_is_unreachable(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:s3cret@127.0.0.1:9/0",
        }
    }
    r = Client().get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["failed"] == ["cache"] or set(body["failed"]) >= {"cache"}
    assert body["checks"]["cache"]["ok"] is False and body["checks"]["database"]["ok"] is True
    # no secret and no address leaks into the answer
    assert "s3cret" not in r.content.decode() and "127.0.0.1" not in r.content.decode()


def test_the_worker_check_reads_the_heartbeat_the_beat_task_writes(not_eager, settings):
    r = Client().get("/healthz")
    assert r.status_code == 503 and "worker" in r.json()["failed"]
    assert r.json()["checks"]["worker"]["error"] == "no_heartbeat"
    heartbeat.apply()  # what a worker does when beat sends it
    r = Client().get("/healthz")
    assert r.json()["checks"]["worker"]["ok"] is True, r.json()
    assert r.json()["checks"]["worker"]["heartbeat_age_seconds"] < 5
    cache.set(HEARTBEAT_KEY, time.time() - settings.HEALTH_HEARTBEAT_MAX_AGE - 5, timeout=None)
    r = Client().get("/healthz")
    assert r.status_code == 503 and r.json()["checks"]["worker"]["error"] == "heartbeat_stale"


def test_an_audit_entry_left_unsigned_too_long_fails_the_check_until_a_checkpoint(flow, settings):
    flow.to_unit_council()
    assert Client().get("/healthz").status_code == 200  # just written: within the allowed delay
    settings.HEALTH_CHECKPOINT_MAX_AGE = 0  # (the entries cannot be aged: their time is hashed)
    r = Client().get("/healthz")
    assert r.status_code == 503 and r.json()["failed"] == ["audit_checkpoint"]
    assert r.json()["checks"]["audit_checkpoint"]["error"] == "checkpoint_overdue"
    call_command("audit_checkpoint")
    r = Client().get("/healthz")
    assert r.status_code == 200, r.json()
    assert r.json()["checks"]["audit_checkpoint"]["checkpoint_age_seconds"] < 5


def _metrics(client=None, **extra):
    return (client or Client()).get("/metrics", **extra)


def _value(text, name, **labels):
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        if metric.split("{")[0] != name:
            continue
        if all(f'{k}="{v}"' in metric for k, v in labels.items()):
            return float(value)
    return None


def test_metrics_are_only_for_direct_loopback_requests_without_a_token(settings):
    settings.METRICS_TOKEN = ""
    assert _metrics(REMOTE_ADDR="127.0.0.1").status_code == 200
    assert _metrics(REMOTE_ADDR="10.1.2.3").status_code == 403
    # nginx on the same host connects from loopback: its requests carry X-Forwarded-For
    assert _metrics(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


def test_with_a_token_metrics_need_it_from_anywhere(settings):
    settings.METRICS_TOKEN = "t0ken-for-tests"
    assert _metrics(REMOTE_ADDR="127.0.0.1").status_code == 403
    assert _metrics(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    r = _metrics(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer t0ken-for-tests")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")


def test_metrics_count_latency_by_view_actions_by_kind_and_overdue_sessions(flow, users, api):
    from workflow.models import CouncilSession

    before = _metrics(REMOTE_ADDR="127.0.0.1").content.decode()
    submits = _value(before, "sangkien_actions_total", action="submit") or 0
    forwards = _value(before, "sangkien_actions_total", action="forward") or 0
    detail = _value(before, "sangkien_http_request_duration_seconds_count", view="initiative-detail", method="GET") or 0
    iid = flow.to_unit_council()
    api(users["author1"]).get(f"/api/v1/initiatives/{iid}/")
    CouncilSession.objects.filter(initiative_id=iid).update(due_at=timezone.now() - timedelta(days=1))
    text = _metrics(REMOTE_ADDR="127.0.0.1").content.decode()
    assert _value(text, "sangkien_actions_total", action="submit") == submits + 1
    assert _value(text, "sangkien_actions_total", action="forward") == forwards + 1
    assert (
        _value(text, "sangkien_http_request_duration_seconds_count", view="initiative-detail", method="GET")
        == detail + 1
    )
    assert _value(text, "sangkien_overdue_sessions") == 1
    assert _value(text, "sangkien_task_failures_total", task="ops.tasks.heartbeat") is not None


def test_a_rolled_back_action_is_not_counted(flow, users, api):
    before = _value(_metrics(REMOTE_ADDR="127.0.0.1").content.decode(), "sangkien_actions_total", action="close") or 0
    iid = flow.to_unit_council()
    flow.act("u1_chair", iid, "close", expect=409)  # quorum not reached: nothing written, nothing counted
    after = _value(_metrics(REMOTE_ADDR="127.0.0.1").content.decode(), "sangkien_actions_total", action="close") or 0
    assert after == before


def test_task_failures_are_counted_by_task():
    @celery_app.task(name="tests.ops.always_fails")
    def always_fails():
        raise RuntimeError("boom")

    cache.delete(FAILURES_KEY.format("tests.ops.always_fails"))
    # as a worker runs them (the failure recorded, not raised into the caller)
    assert always_fails.apply(throw=False).state == "FAILURE"
    assert always_fails.apply(throw=False).state == "FAILURE"
    text = _metrics(REMOTE_ADDR="127.0.0.1").content.decode()
    assert _value(text, "sangkien_task_failures_total", task="tests.ops.always_fails") == 2


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="queue depth is read from the Redis broker")
def test_queue_depth_reads_the_redis_queue(settings, not_eager):
    import redis

    queue = f"i13o-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.rpush(queue, b"{}", b"{}", b"{}")
        text = _metrics(REMOTE_ADDR="127.0.0.1").content.decode()
        assert _value(text, "sangkien_queue_depth", queue=queue) == 3
    finally:
        client.delete(queue)


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sangkien")
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_the_request_id_is_kept_from_the_header_or_made_and_logged_as_json(json_log, flow, users, api):
    r = Client().get("/healthz", HTTP_X_REQUEST_ID="req-abc.123")
    assert r["X-Request-ID"] == "req-abc.123"
    made = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert made != "bad id\nwith newline" and len(made) == 32
    lines = json_log()
    first = next(line for line in lines if line["request_id"] == "req-abc.123")
    assert first["message"] == "request" and first["status"] == 200 and first["view"] == "healthz"
    assert first["path"] == "/healthz" and first["duration_ms"] >= 0 and first["time"].endswith("+00:00")
    assert request_id.get() == ""  # nothing left behind for the next request


@pytest.mark.django_db(transaction=True)
def test_the_request_id_follows_a_request_into_the_tasks_it_schedules(json_log, users, api, make_draft):
    """Submitting schedules the advisory team's notification (a task) when the action commits,
    inside the request: its log lines carry the request's id. (A real commit: no test transaction.)"""
    iid = make_draft("author1")["id"]
    r = api(users["author1"]).post(
        f"/api/v1/initiatives/{iid}/actions/submit/", {}, format="json", HTTP_X_REQUEST_ID="rq-42"
    )
    assert r.status_code == 200, r.content
    tasks = [line for line in json_log() if line["logger"] == "sangkien.task"]
    assert tasks and all(line["request_id"] == "rq-42" for line in tasks), tasks
    assert {line["message"] for line in tasks} == {"task started", "task done"}


def test_a_task_sent_to_the_broker_carries_the_request_id_and_the_worker_restores_it(not_eager, json_log):
    from celery.signals import before_task_publish

    sent = {}

    def record(headers=None, **kwargs):
        sent.update(headers or {})

    before_task_publish.connect(record, weak=False)
    queue = f"i13o-test-{uuid.uuid4().hex[:8]}"
    token = request_id.set("rq-worker-7")
    try:
        heartbeat.apply_async(queue=queue)
    finally:
        request_id.reset(token)
        before_task_publish.disconnect(record)
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
    assert sent["request_id"] == "rq-worker-7"
    # a worker runs the message with those headers: the id is back while the task runs, and gone after
    heartbeat.apply(headers={"request_id": sent["request_id"]})
    started = [line for line in json_log() if line["message"] == "task started"]
    assert started[-1]["request_id"] == "rq-worker-7" and started[-1]["task"] == "ops.tasks.heartbeat"
    assert request_id.get() == ""


def test_the_web_process_moves_what_it_keeps_out_of_the_collectors_way():
    """config/wsgi.py freezes what the process built (gc.freeze) at start and again after its first
    request (resolvers, templates, catalogues): full collections then walk only newer objects. In
    a process of its own, as gunicorn's worker imports it."""
    import subprocess
    import sys

    script = """
import gc, io, sys
import config.wsgi as w
at_start = gc.get_freeze_count()
def start_response(status, headers, exc_info=None):
    start_response.status = status
environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/no-such-page/", "SERVER_NAME": "127.0.0.1",
           "SERVER_PORT": "80", "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr}
response = w.application(environ, start_response)
b"".join(response)
response.close()  # as the server does: Django's request_finished
unfrozen = len(gc.get_objects())  # what the collector still walks
from django.core.signals import request_finished
waiting = any(key[0] == "sangkien-gc-freeze" for key, *_ in request_finished.receivers)
print(at_start, unfrozen, waiting, start_response.status.split()[0])
"""
    env = {**os.environ, "DATABASE_URL": "sqlite://:memory:", "DJANGO_SECRET_KEY": "x", "DJANGO_DEBUG": "0"}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    at_start, unfrozen, waiting, status = out.stdout.split()
    assert status == "404"
    assert int(at_start) > 50_000  # Django and the project, frozen at import
    assert int(unfrozen) < 2_000 and waiting == "False"  # the first request's keep frozen too, once
