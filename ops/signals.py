"""Celery signals: the request id travels in each task's headers and comes back while it runs;
each task logs its start and end; failures are counted (in the cache, which every process of the
instance shares) for /metrics."""

import logging
import time

from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun
from django.core.cache import cache

from config.logs import HEADER, request_id

log = logging.getLogger("sangkien.task")
FAILURES_KEY = "ops:task-failures:{}"


@before_task_publish.connect
def _carry_request_id(sender=None, headers=None, **kwargs):
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault(HEADER, rid)


def _header(task):
    req = task.request
    rid = getattr(req, HEADER, None)
    if not rid and isinstance(getattr(req, "headers", None), dict):
        rid = req.headers.get(HEADER)
    return rid


@task_prerun.connect
def _task_started(sender=None, task_id=None, task=None, **kwargs):
    rid = _header(task) if task is not None else None
    token = request_id.set(rid) if rid else None
    if task is not None:
        task.request._ops_token = token
        task.request._ops_started = time.monotonic()
    log.info("task started", extra={"task": getattr(sender, "name", ""), "task_id": task_id})


@task_postrun.connect
def _task_done(sender=None, task_id=None, task=None, state=None, **kwargs):
    started = getattr(task.request, "_ops_started", None) if task is not None else None
    duration = round((time.monotonic() - started) * 1000, 1) if started else None
    log.info(
        "task done",
        extra={"task": getattr(sender, "name", ""), "task_id": task_id, "state": state, "duration_ms": duration},
    )
    token = getattr(task.request, "_ops_token", None) if task is not None else None
    if token is not None:
        request_id.reset(token)
        task.request._ops_token = None


@task_failure.connect
def _task_failed(sender=None, task_id=None, exception=None, **kwargs):
    name = getattr(sender, "name", "") or "unknown"
    key = FAILURES_KEY.format(name)
    try:
        cache.add(key, 0, timeout=None)
        cache.incr(key)
    except Exception:  # the cache down must not hide the task's own failure
        log.warning("task failure not counted", exc_info=True)
    log.error("task failed", extra={"task": name, "task_id": task_id, "error": type(exception).__name__})
