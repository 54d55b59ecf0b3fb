"""What /metrics reads at each scrape, besides the counters the processes keep (config.metrics):
queue depth, task failures, overdue council sessions, the worker heartbeat's age."""

import os
import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from config.celery import app as celery_app

from .signals import FAILURES_KEY
from .tasks import HEARTBEAT_KEY

# kombu's Redis transport keeps a queue with priorities as several lists: name, name\x06\x163, …
PRIORITY_SEP = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def queue_depth() -> int | None:
    if celery_app.conf.task_always_eager or not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return None
    import redis

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        keys = [queue] + [f"{queue}{PRIORITY_SEP}{p}" for p in PRIORITY_STEPS if p]
        return sum(client.llen(k) for k in keys)
    finally:
        client.close()


def _task_names():
    return sorted(name for name in celery_app.tasks if not name.startswith("celery."))


class StateCollector:
    def collect(self):
        from workflow.models import CouncilSession

        depth = GaugeMetricFamily("sangkien_queue_depth", "Tasks waiting in the Celery queue", labels=["queue"])
        try:
            value = queue_depth()
        except Exception:
            value = None
        if value is not None:
            depth.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], value)
        yield depth

        names = _task_names()
        failures = CounterMetricFamily("sangkien_task_failures", "Celery tasks that failed, by task", labels=["task"])
        try:
            counts = cache.get_many([FAILURES_KEY.format(n) for n in names])
        except Exception:
            counts = {}
        for n in names:
            failures.add_metric([n], counts.get(FAILURES_KEY.format(n), 0) or 0)
        yield failures

        overdue = GaugeMetricFamily("sangkien_overdue_sessions", "Open council sessions past their due date")
        try:
            overdue.add_metric(
                [], CouncilSession.objects.filter(closed_at__isnull=True, due_at__lt=timezone.now()).count()
            )
        except Exception:
            pass  # the database down: /healthz says so
        yield overdue

        try:
            beat = cache.get(HEARTBEAT_KEY)
        except Exception:
            beat = None
        if beat is not None:
            yield GaugeMetricFamily(
                "sangkien_worker_heartbeat_age_seconds",
                "Seconds since a worker last ran the heartbeat task",
                value=max(0.0, time.time() - float(beat)),
            )


def render() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        processes = generate_latest(registry)
    else:
        processes = generate_latest(REGISTRY)
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector())
    return processes + generate_latest(state)
