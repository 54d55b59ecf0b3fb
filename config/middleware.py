"""Two gates every request and answer pass: text no view should ever meet, and the
Content-Security-Policy header on pages.

The first gate, for text no view should ever meet.

A NUL character in a path, a query parameter, a form field, a header, a cookie or a JSON string
would reach the database: PostgreSQL refuses NUL in text (a 500), SQLite stores it. A lone UTF-16
surrogate in a JSON string ("\\ud800") cannot even be encoded to UTF-8 on its way there. JSON nested
deeper than Python's recursion limit crashes the parser. This middleware answers all of them with a
400 that names where the bad value was — JSON ``{"<parameter or JSON path>": [message]}`` under
``/api/``, a short text page elsewhere — before any view, session or database is touched.
(Percent-encoded broken UTF-8 in paths, query strings and forms is already replaced by Django.)
"""

import json
import re

from csp.middleware import CSPMiddleware
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
JSON_TYPES = ("application/json", "+json")


def _problem(text: str) -> str | None:
    found = BAD_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("không được chứa ký tự NUL")
    return _("không được chứa ký tự không hợp lệ (nửa cặp UTF-16)")


def _walk_json(value):
    """(json path, message) of the first bad string (keys included), walking iteratively."""
    stack = [("", value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, str):
            if (problem := _problem(v)) is not None:
                return path or "non_field_errors", problem
        elif isinstance(v, dict):
            for k, item in v.items():
                if (problem := _problem(k)) is not None:
                    return path or "non_field_errors", problem
                stack.append((f"{path}.{k}" if path else k, item))
        elif isinstance(v, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(v))
    return None


class RejectUnsafeTextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = self._find(request)
        if found is not None:
            where, message = found
            if request.path_info.startswith("/api/"):
                return JsonResponse({where: [message]}, status=400)
            return HttpResponseBadRequest(f"{where}: {message}".encode(), content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def _find(self, request):
        if (problem := _problem(request.path_info)) is not None:
            return "detail", problem
        for key, values in request.GET.lists():
            for text in (key, *values):
                if (problem := _problem(text)) is not None:
                    return key, problem
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and (problem := _problem(value)) is not None:
                return key[5:].lower().replace("_", "-"), problem
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        content_type = request.content_type or ""
        if content_type.endswith(JSON_TYPES):
            try:
                data = json.loads(request.body.decode("utf-8"))
            except RecursionError:
                return "non_field_errors", _("JSON lồng nhau quá sâu")
            except ValueError:  # not JSON, or not UTF-8: the parser says so
                return None
            return _walk_json(data)
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                fields = request.POST.lists()
            except Exception:  # noqa: BLE001 - a malformed body: the view's own parsing answers it
                return None
            for key, values in fields:
                for text in (key, *values):
                    if (problem := _problem(text)) is not None:
                        return key, problem
        return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, but only for documents a browser renders with scripts and styles
    (HTML and SVG): a PDF, a workbook or a JSON answer gains nothing from the header, and a PDF
    viewer may refuse to open under ``object-src 'none'``."""

    RENDERED = ("text/html", "image/svg+xml")

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(self.RENDERED):
            return response
        return super().process_response(request, response)


class DatabaseUnavailableMiddleware:
    """The database went away in the middle of a page's request (a dropped connection, a restart):
    the page answers 503 saying that nothing was saved and to try again — never a bare 500. The
    action's transaction was rolled back with the connection, so nothing is half-written. (The API
    answers the same as JSON, ``database_unavailable``: config/api.py.) The page touches no database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError
        from django.template.response import SimpleTemplateResponse

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        response = SimpleTemplateResponse("database_unavailable.html", status=503)
        response["Retry-After"] = "5"
        return response.render()
