"""First middleware: the request id, the request's latency by view, one log line per request, and
the reports' reads on the replica (when there is one)."""

import logging
import time

from config.logs import accept_request_id, request_id
from config.metrics import REQUEST_LATENCY, REQUESTS

from .routers import use_replica, wants_replica

log = logging.getLogger("sangkien.request")


class RequestObservabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = accept_request_id(request.headers.get("X-Request-ID"))
        request.request_id = rid
        rid_token = request_id.set(rid)
        replica_token = use_replica.set(wants_replica(request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            use_replica.reset(replica_token)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match is not None else "unresolved"
        REQUEST_LATENCY.labels(view=view, method=request.method).observe(elapsed)
        REQUESTS.labels(view=view, status=f"{response.status_code // 100}xx").inc()
        user = getattr(request, "user", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,  # never the query string: searches may hold names
                "view": view,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        response["X-Request-ID"] = rid
        request_id.reset(rid_token)
        return response
