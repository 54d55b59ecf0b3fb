"""The Prometheus metrics the processes update as they work (ops.views.metrics serves them).

Kept here, at the bottom of the stairs, so the audit room can count each action where it records
the action's entry without importing anything above it. With PROMETHEUS_MULTIPROC_DIR set (several
gunicorn workers, deploy/gunicorn.conf.py) prometheus_client keeps them in files there, one per
process, and ops.views sums them at each scrape.
"""

import os

from prometheus_client import Counter, Histogram

# a process started with the variable but without the directory (a command run by hand with the
# web's environment) must not fail at its first count
if _multiproc_dir := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(_multiproc_dir, exist_ok=True)

REQUEST_LATENCY = Histogram(
    "sangkien_http_request_duration_seconds",
    "Time to answer a request, by view (URL name) and method",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUESTS = Counter(
    "sangkien_http_requests",
    "Requests answered, by view and status class (2xx, 3xx, 4xx, 5xx)",
    ["view", "status"],
)
ACTIONS = Counter(
    "sangkien_actions",
    "Audited actions committed by this instance's processes, by kind (the audit entry's action)",
    ["action"],
)


def count_action(action: str, n: int = 1) -> None:
    """Count audited actions once their transaction has committed (a rolled-back one never happened)."""
    from django.db import transaction

    transaction.on_commit(lambda: ACTIONS.labels(action=action).inc(n))
