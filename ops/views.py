import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .health import run_checks
from .metrics import render


@never_cache
@require_GET
def healthz(request):
    """200 when every check holds, 503 naming those that failed. Open to all (load balancers and
    monitors ask without credentials): it shows states and ages, never a secret or a record."""
    result = run_checks()
    return JsonResponse(result, status=200 if result["status"] == "ok" else 503)


def _loopback_direct(request) -> bool:
    if request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_X_REAL_IP"):
        return False  # came through a proxy (nginx on the same host connects from loopback too)
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    return _loopback_direct(request)


@never_cache
@require_GET
def metrics(request):
    """Prometheus text format. With METRICS_TOKEN: only "Authorization: Bearer <token>"; without:
    only requests made directly on the loopback interface."""
    if not metrics_allowed(request):
        return HttpResponse(
            _("Không được phép đọc số liệu vận hành."), status=403, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
