import time

from celery import shared_task
from django.core.cache import cache

HEARTBEAT_KEY = "ops:worker-heartbeat"


@shared_task
def heartbeat() -> float:
    """Beat → broker → a worker → the cache: /healthz reads the age of the last one."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, timeout=None)
    return now
