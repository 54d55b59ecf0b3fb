"""The optional read replica (DATABASE_REPLICA_URL): the reports' reads go there.

ops.middleware marks a GET or HEAD request for a reports page or the reports API; while it runs
their reads use the "replica" alias. Writes, and the reads of sessions, tokens and sign-in state
(which a lagging replica could answer wrongly just after a sign-in), always use the primary.
"""

import contextvars

from django.conf import settings

use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("use_replica", default=False)

REPLICA_PATHS = ("/reports/", "/api/v1/reports/")
PRIMARY_ONLY_APPS = {"sessions", "authtoken", "axes", "contenttypes", "otp_totp", "otp_static", "django_otp"}


def wants_replica(request) -> bool:
    return (
        "replica" in settings.DATABASES
        and request.method in ("GET", "HEAD")
        and request.path_info.startswith(REPLICA_PATHS)
    )


class ReportsReplicaRouter:
    def db_for_read(self, model, **hints):
        if use_replica.get() and "replica" in settings.DATABASES and model._meta.app_label not in PRIMARY_ONLY_APPS:
            return "replica"
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the replica follows the primary by replication
