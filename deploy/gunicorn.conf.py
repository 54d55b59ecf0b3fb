"""gunicorn configuration for the web processes (docs/operations.md).

    gunicorn -c deploy/gunicorn.conf.py config.wsgi

Every value can be overridden from the environment (GUNICORN_*), so the systemd unit, compose and
the tests all run this one file. Listens on loopback: nginx in front serves static files, TLS and
the upload limit, and passes on X-Forwarded-*.
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# sized by cores: 2 × cores + 1 synchronous workers (the classic rule for I/O-bound Django), at most 17
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 17)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# a request taking longer is killed (a report at national scale takes seconds, not minutes)
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# recycle workers now and then (a slow leak never becomes an outage); jitter spreads the restarts
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# uploads larger than this never reach Django (nginx refuses them first; see client_max_body_size)
limit_request_line = 8190
# logs to standard output / error (the journal, docker logs). Django logs one JSON line per request
# with its id (config/logs.py), so gunicorn's own access log is off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
capture_output = True
# nginx on the same host is the only proxy trusted for X-Forwarded-* (gunicorn's own handling)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "sangkien-web"
# workers import the application after forking: each opens its own database connections
preload_app = False

# Prometheus multiprocess mode (prometheus_client): each worker writes its counters to files here
# and /metrics sums them. The directory is emptied when gunicorn starts, and a dead worker's gauges
# are dropped.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(
    os.environ.get("RUNTIME_DIRECTORY") or tempfile.gettempdir(), f"sangkien-metrics-{bind.replace(':', '-')}"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, mode=0o700, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
