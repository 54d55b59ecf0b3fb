"""A whole instance on loopback, as deploy/ ships it: gunicorn with deploy/gunicorn.conf.py, a Celery
worker and beat with the systemd units' commands, a Redis of its own, a fresh PostgreSQL database
holding the demo, and an SMTP server (aiosmtpd) receiving the mail. Used by the deployment test
(tests/ops/test_deploy_e2e.py) and the HTTP load benchmark (bench/http_mix.py). Everything started
here is stopped by its pid."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TEST_BALLOT_KEY = "0123456789abcdef" * 4
TEST_AUDIT_SIGNING_KEY = "2Pm8x6mJ1tq6bq3q9sLQv4m8cGJx0yq4rN0Yb8m1o0c="
METRICS_TOKEN = "deploy-test-metrics-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(base_url: str, sql: str) -> None:
    u = urlparse(base_url)
    env = dict(os.environ, PGPASSWORD=u.password or "")
    subprocess.run(
        ["psql", "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
        + ["-d", "postgres", "-qc", sql],
        env=env,
        check=True,
        capture_output=True,
    )


class Mailbox:
    """An SMTP server on loopback that keeps every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                box.messages.append((list(envelope.rcpt_tos), msg))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()

    def wait_for(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in list(self.messages) if predicate(*m)]
            if found:
                return found
            time.sleep(0.3)
        return []


class Instance:
    def __init__(self, workdir: Path, database_base_url: str, *, web_workers: int = 2, threads: int = 1):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        u = urlparse(database_base_url)
        self.db_name = f"{u.path.lstrip('/') or 'sangkien'}_deploy_{os.getpid()}"[:60]
        self.database_url = u._replace(path=f"/{self.db_name}").geturl()
        self.base_url = database_base_url
        self.redis_port = free_port()
        self.web_port = free_port()
        self.web = f"http://127.0.0.1:{self.web_port}"
        self.mail = Mailbox()
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.env = {
            # nothing of the caller's services (its Redis, its broker, its mail) leaks in
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("CI_", "PYTEST_", "DJANGO_", "GUNICORN_", "EMAIL_", "CELERY_", "AUDIT_"))
                and k not in ("REDIS_URL", "DATABASE_REPLICA_URL", "PROMETHEUS_MULTIPROC_DIR", "MEDIA_ROOT")
            },
            "DATABASE_URL": self.database_url,
            "DJANGO_SECRET_KEY": "deploy-test-only-" + "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": self.web,
            "DJANGO_SESSION_COOKIE_SECURE": "0",  # plain HTTP on loopback in this test
            "DJANGO_CSRF_COOKIE_SECURE": "0",
            "BALLOT_SEALING_KEY": TEST_BALLOT_KEY,
            "AUDIT_SIGNING_KEY": TEST_AUDIT_SIGNING_KEY,
            "AUDIT_CHECKPOINT_DIR": str(self.workdir / "checkpoints"),
            "MEDIA_ROOT": str(self.workdir / "media"),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.mail.port),
            "METRICS_TOKEN": METRICS_TOKEN,
            "HEALTH_HEARTBEAT_SECONDS": "2",
            "LOG_FORMAT": "json",
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "GUNICORN_WORKERS": str(web_workers),
            "GUNICORN_THREADS": str(threads),
            "PYTHONUNBUFFERED": "1",
        }
        # the services use the Redis started here; commands run by manage() (migrate, the demo, the
        # pool of the benchmark) run their tasks eagerly, so nothing they schedule waits in the queue
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"

    # --- the pieces ------------------------------------------------------------------------------
    def _spawn(self, name, args, **extra_env):
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        self.procs[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, "REDIS_URL": self.redis_url, **extra_env},
            stdout=open(log, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.procs[name]

    def manage(self, *args, timeout=900):
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {done.stdout[-2000:]} {done.stderr[-4000:]}")
        return done.stdout

    def create_database(self, *, demo=True):
        _psql(self.base_url, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        _psql(self.base_url, f'CREATE DATABASE "{self.db_name}"')
        self.manage("migrate", "--noinput", "-v0")
        if demo:
            self.manage("seed_demo")

    def start_redis(self):
        redis = shutil.which("redis-server")
        if not redis:
            raise RuntimeError("redis-server is not installed")
        self._spawn(
            "redis",
            [redis, "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", ""]
            + ["--appendonly", "no", "--daemonize", "no"],
        )
        self._wait(lambda: _connects(self.redis_port), "redis")

    def start_services(self):
        """Web, worker and beat, with the commands deploy/systemd and deploy/compose.yaml run."""
        self.mail.start()
        self._spawn(
            "web",
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
            PROMETHEUS_MULTIPROC_DIR=str(self.workdir / "metrics"),
        )
        self._spawn(
            "worker",
            [str(BIN / "celery"), "-A", "config", "worker", "-l", "info", "-n", f"deploytest{os.getpid()}@%h"]
            + ["--concurrency", "1", "--without-gossip", "--without-mingle"],
        )
        self._spawn(
            "beat",
            [str(BIN / "celery"), "-A", "config", "beat", "-l", "info"]
            + ["--schedule", str(self.workdir / "celerybeat-schedule")],
        )
        self._wait(lambda: _connects(self.web_port), "web")

    def _wait(self, ready, name, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log(name)[-3000:]}")
            if ready():
                return
            time.sleep(0.3)
        raise RuntimeError(f"{name} not ready in {timeout} s: {self.log(name)[-3000:]}")

    def log(self, name) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def stop(self):
        """Stop every process by its pid: TERM, then KILL what is still there after 20 s."""
        for name in ("beat", "worker", "web", "redis"):
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        with contextlib.suppress(Exception):
            self.mail.stop()

    def drop_database(self):
        with contextlib.suppress(Exception):
            _psql(self.base_url, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def tokens(self, usernames) -> dict:
        code = (
            "import json; from rest_framework.authtoken.models import Token; from councils.models import User; "
            f"print(json.dumps({{u.username: Token.objects.get_or_create(user=u)[0].key "
            f"for u in User.objects.filter(username__in={list(usernames)!r})}}))"
        )
        import json

        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])


def _connects(port) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
