"""The outbox's kick after a commit, cheaply: ONE Redis ``LPUSH`` of the very message Celery's
``apply_async`` would push (protocol 2, JSON body, the default queue), built here in a few dicts
instead of through Celery's router, amqp builder, producer pool and kombu's channel (issue 12: the
kick cost a close about as much client CPU as its SQL).

Delivery stays as reliable as before: the outbox row, written in the action's transaction, is the
record; the kick only wakes a worker sooner, and when it fails (broker down) the beat's re-drive
delivers the row (``notifications.outbox``). Still one kick per transaction.

Taken only where the message is exactly Celery's (tests/notifications/test_kick.py pushes both and
compares them): a ``redis://`` broker, not eager, no routes, no custom queues or transport options,
JSON and protocol 2, no time limits, and not from inside a running task (Celery then links the
message to its parent). Otherwise ``apply_async`` as before. ``before_task_publish`` and
``after_task_publish`` are sent as Celery sends them (the request id travels in the headers).
"""

import base64
import os
import uuid

from celery import current_app, signals
from celery.utils.nodenames import anon_nodename
from celery.utils.saferepr import saferepr
from kombu.utils.json import dumps

_client = {}  # (pid, broker url) -> redis client (a forked worker opens its own)
_settled = {}  # (task name, broker url) -> whether the rest of the configuration allows the fast path


def _fast_path_ok(app, task) -> bool:
    """Live: eager or not, the broker, inside a task or not (tests switch these); the rest of the
    configuration, which does not change while a process runs, asked once per task and broker
    (Celery's settings lookups cost more than the message)."""
    conf = app.conf
    if conf.task_always_eager or app.current_worker_task is not None:
        return False
    broker = str(conf.broker_url or "")
    key = (task.name, broker)
    if key not in _settled:
        _settled[key] = broker.startswith("redis://") and _static_ok(conf, task)
    return _settled[key]


def _static_ok(conf, task) -> bool:
    return (
        not conf.task_routes
        and not conf.task_queues
        and not conf.broker_transport_options
        and conf.task_serializer == "json"
        and conf.task_protocol == 2
        and not conf.task_compression
        and conf.task_default_priority is None
        and conf.task_time_limit is None
        and conf.task_soft_time_limit is None
        and task.time_limit is None
        and task.soft_time_limit is None
        and getattr(task, "queue", None) is None
    )


def _redis(app):
    key = (os.getpid(), str(app.conf.broker_url))
    client = _client.get(key)
    if client is None:
        import redis

        _client.clear()
        timeout = app.conf.broker_connection_timeout or 4  # as Celery's own connection: never hang the action
        client = _client[key] = redis.Redis.from_url(
            app.conf.broker_url, socket_connect_timeout=timeout, socket_timeout=timeout
        )
    return client


def message(task, args: tuple, *, app=None) -> tuple[str, str, dict]:
    """(queue, task id, message) of ``task.apply_async(args)`` on the Redis transport."""
    app = app or current_app
    queue = app.conf.task_default_queue
    task_id = str(uuid.uuid4())
    headers = {
        "lang": "py",
        "task": task.name,
        "id": task_id,
        "shadow": None,
        "eta": None,
        "expires": None,
        "group": None,
        "group_index": None,
        "retries": 0,
        "timelimit": [None, None],
        "root_id": task_id,
        "parent_id": None,
        "argsrepr": saferepr(args, app.conf.task_argsrepr_maxsize if "task_argsrepr_maxsize" in app.conf else 1024),
        "kwargsrepr": "{}",
        "origin": anon_nodename(),
        "ignore_result": bool(task.ignore_result),
        "replaced_task_nesting": 0,
        "stamped_headers": None,
        "stamps": {},
    }
    body = [list(args), {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}]
    properties = {
        "correlation_id": task_id,
        "reply_to": app.thread_oid,
        "delivery_mode": 2,
    }
    signals.before_task_publish.send(
        sender=task.name,
        body=body,
        exchange="",
        routing_key=queue,
        headers=headers,
        properties=properties,
        declare=[],
        retry_policy=None,
    )
    return (
        queue,
        task_id,
        {
            "body": base64.b64encode(dumps(body).encode()).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": {
                **properties,
                "delivery_info": {"exchange": "", "routing_key": queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": str(uuid.uuid4()),
            },
        },
    )


def publish(task, args: tuple) -> None:
    """``task.apply_async(args, retry=False)``, as one ``LPUSH`` where that is the same message."""
    app = current_app
    if not _fast_path_ok(app, task):
        task.apply_async(args, retry=False)
        return
    queue, _task_id, msg = message(task, args, app=app)
    _redis(app).lpush(queue, dumps(msg))
    signals.after_task_publish.send(sender=task.name, body=msg, exchange="", routing_key=queue)
