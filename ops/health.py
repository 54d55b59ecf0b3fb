"""The checks behind /healthz. Each answers ``{"ok": bool, ...}`` with ages and a short code, never
a secret (no URL, no exception text) and never data."""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from audit.models import AuditCheckpoint, AuditEntry
from config.celery import app as celery_app

from .tasks import HEARTBEAT_KEY


def _eager() -> bool:
    return bool(celery_app.conf.task_always_eager)


def check_database() -> dict:
    started = time.perf_counter()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_cache() -> dict:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    key, value = "ops:health-probe", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=30)
        ok = cache.get(key) == value
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": type(exc).__name__}
    return {"ok": ok, "backend": backend} if ok else {"ok": False, "backend": backend, "error": "read_back_differs"}


def check_broker() -> dict:
    if _eager():
        return {"ok": True, "mode": "eager"}  # no broker: tasks run in the web process
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_worker() -> dict:
    if _eager():
        return {"ok": True, "mode": "eager"}
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if beat is None:
        return {"ok": False, "error": "no_heartbeat"}
    age = max(0.0, time.time() - float(beat))
    out = {"ok": age <= settings.HEALTH_HEARTBEAT_MAX_AGE, "heartbeat_age_seconds": round(age, 1)}
    if not out["ok"]:
        out["error"] = "heartbeat_stale"
    return out


def check_audit_checkpoint() -> dict:
    """Fails when an audit entry has waited longer than HEALTH_CHECKPOINT_MAX_AGE for a signed
    checkpoint (a quiet trail with no new entry needs no new checkpoint)."""
    now = timezone.now()
    try:
        last = AuditCheckpoint.objects.order_by("-seq", "-id").values("seq", "at").first()
        covered = last["seq"] if last else 0
        waiting = AuditEntry.objects.filter(seq__gt=covered).order_by("seq").values_list("at", flat=True).first()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    out = {"ok": True, "checkpoint_age_seconds": round((now - last["at"]).total_seconds()) if last else None}
    if waiting is not None:
        unsigned = (now - waiting).total_seconds()
        out["unsigned_for_seconds"] = round(unsigned)
        if unsigned > settings.HEALTH_CHECKPOINT_MAX_AGE:
            out.update(ok=False, error="checkpoint_overdue")
    return out


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
    "audit_checkpoint": check_audit_checkpoint,
}


def run_checks() -> dict:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check must never take the page down
            results[name] = {"ok": False, "error": type(exc).__name__}
    failed = [name for name, r in results.items() if not r["ok"]]
    return {"status": "fail" if failed else "ok", "failed": failed, "checks": results}
