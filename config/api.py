"""API plumbing shared by every room: pagination and one error format (API.md §2)."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from initiatives.exceptions import ApplicationError, RefusedInput


class Pagination(PageNumberPagination):
    """``{"count", "count_exact", "next", "previous", "results"}``: the count is exact up to
    ``LIST_EXACT_COUNT_CAP`` rows, beyond it PostgreSQL's estimate (``count_exact`` false), so a
    first page of a hundred thousand dossiers never waits for ``COUNT(*)`` (``config.paging``)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    @property
    def django_paginator_class(self):
        from .paging import CappedCountPaginator

        return CappedCountPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_exact"] = self.page.paginator.count_exact
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "false when count is PostgreSQL's estimate (more rows than LIST_EXACT_COUNT_CAP)",
        }
        return schema


def _not_found():
    return _("Không tìm thấy.")


def _forbidden():
    return _("Bạn không có quyền thực hiện thao tác này ở đây.")


def exception_handler(exc, context):
    """One error format, in the request's language (``Accept-Language``, Vietnamese by default):
    our messages are gettext with Vietnamese sources; Django REST framework's own (English sources)
    are given Vietnamese in ``locale/vi``. A 409 carries a stable ``code``."""
    if isinstance(exc, OperationalError | InterfaceError):  # the database went away mid-request: nothing was saved
        return Response(
            {
                "detail": _("Mất kết nối tới cơ sở dữ liệu: thao tác chưa được lưu. Vui lòng thử lại."),
                "code": "database_unavailable",
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.detail, "code": exc.code, **exc.extra}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        if isinstance(exc, RefusedInput):  # a 400 that names its reason for programs too
            detail = {**detail, "detail": exc.detail, "code": exc.api_code}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        message = str(exc) or _forbidden()
        return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return Response({"detail": _not_found()}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"detail": _("Nội dung yêu cầu không phải JSON hợp lệ (%(reason)s)") % {"reason": exc.detail}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException) and not isinstance(exc.detail, dict | list):
        response.data = {"detail": exc.detail}
    return response


def not_found(request, exception=None):
    """404 for the whole site: JSON under /api/, the page otherwise."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _not_found()}, status=404)
    return page_not_found(request, exception)
