"""The outbox's cheap kick (notifications/kick.py) pushes the very message Celery's apply_async
pushes: both sent to a Redis queue of the test's own and compared field by field (ids aside)."""

import base64
import json
import os
import uuid

import pytest
from celery import current_app, signals

from notifications import kick
from notifications.tasks import deliver_outbox, deliver_outbox_many

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="needs REDIS_URL (a real broker)")

IDS = ("id", "root_id", "correlation_id", "delivery_tag")


@pytest.fixture
def broker():
    conf = current_app.conf
    saved = conf.task_always_eager, conf.broker_url, conf.task_default_queue
    queue = f"i12c-kick-{uuid.uuid4().hex[:8]}"
    conf.task_always_eager, conf.broker_url, conf.task_default_queue = False, REDIS_URL, queue
    client = kick._redis(current_app)
    yield client, queue
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    conf.task_always_eager, conf.broker_url, conf.task_default_queue = saved
    kick._client.clear()


def _plain(raw):
    m = json.loads(raw)
    body = json.loads(base64.b64decode(m["body"]))
    for part in (m["headers"], m["properties"]):
        for k in IDS:
            if k in part:
                part[k] = bool(part[k])
    m["body"] = body
    return m


@pytest.mark.parametrize(("task", "args"), [(deliver_outbox, (7,)), (deliver_outbox_many, ([7, 8, 9],))])
def test_the_kick_pushes_what_apply_async_pushes(broker, task, args):
    client, queue = broker
    assert kick._fast_path_ok(current_app, task)
    task.apply_async(args, retry=False)
    kick.publish(task, args)
    celerys, ours = (_plain(raw) for raw in reversed(client.lrange(queue, 0, -1)))  # LPUSH: newest first
    assert ours == celerys
    assert ours["body"][0] == list(args) and ours["headers"]["task"] == task.name


def test_the_kick_carries_the_publish_signals_headers(broker):
    client, queue = broker

    def add(headers=None, **kwargs):
        headers["request_id"] = "rq-kick"

    signals.before_task_publish.connect(add, weak=False)
    try:
        kick.publish(deliver_outbox, (3,))
    finally:
        signals.before_task_publish.disconnect(add)
    (raw,) = client.lrange(queue, 0, -1)
    assert json.loads(raw)["headers"]["request_id"] == "rq-kick"


def test_an_eager_or_routed_app_takes_celerys_own_path(broker):
    conf = current_app.conf
    conf.task_routes = {"notifications.tasks.*": {"queue": "elsewhere"}}
    kick._settled.clear()
    try:
        assert not kick._fast_path_ok(current_app, deliver_outbox)
    finally:
        conf.task_routes = None
        kick._settled.clear()
    conf.task_always_eager = True
    assert not kick._fast_path_ok(current_app, deliver_outbox)
