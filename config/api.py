"""API plumbing shared by every room: pagination and one error format (API.md §2)."""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from initiatives.exceptions import ApplicationError, RefusedInput


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


NOT_FOUND = "Không tìm thấy / Not found."
FORBIDDEN = "Bạn không có quyền thực hiện thao tác này ở đây / You may not do this here."


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.detail, "code": exc.code, **exc.extra}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        if isinstance(exc, RefusedInput):  # a 400 that names its reason for programs too
            detail = {**detail, "detail": exc.detail, "code": exc.api_code}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        message = str(exc) or FORBIDDEN
        return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return Response({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {"detail": f"Nội dung yêu cầu không phải JSON hợp lệ / The request body is not valid JSON ({exc.detail})"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        if isinstance(exc.detail, dict | list):
            response.data = _bilingual(exc.detail)
        else:
            response.data = {"detail": _bilingual(exc.detail)}
    return response


# DRF's own messages come in one language; ours say both. Generic pairs by error code:
DRF_MESSAGES = {
    "required": ("Trường này là bắt buộc", "This field is required"),
    "null": ("Trường này không được để trống (null)", "This field may not be null"),
    "blank": ("Trường này không được để trống", "This field may not be blank"),
    "invalid": ("Giá trị không hợp lệ", "Invalid value"),
    "not_a_list": ("Cần một danh sách", "Expected a list"),
    "not_a_dict": ("Cần một đối tượng", "Expected an object"),
    "empty": ("Danh sách không được để trống", "This list may not be empty"),
    "invalid_choice": ("Lựa chọn không hợp lệ", "Not a valid choice"),
    "max_length": ("Quá dài", "Too long"),
    "min_length": ("Quá ngắn", "Too short"),
    "max_value": ("Giá trị quá lớn", "Value too large"),
    "min_value": ("Giá trị quá nhỏ", "Value too small"),
    "max_string_length": ("Giá trị quá lớn", "Value too large"),
    "max_digits": ("Quá nhiều chữ số", "Too many digits"),
    "max_decimal_places": ("Quá nhiều chữ số thập phân", "Too many decimal places"),
    "max_whole_digits": ("Quá nhiều chữ số", "Too many digits"),
    "date": ("Cần một ngày, không phải ngày giờ", "Expected a date, not a date and time"),
    "not_authenticated": (
        "Bạn chưa đăng nhập (thiếu thông tin xác thực)",
        "Authentication credentials were not provided",
    ),
    "authentication_failed": ("Thông tin xác thực không đúng", "Incorrect authentication credentials"),
    "permission_denied": ("Bạn không có quyền thực hiện thao tác này", "You may not do this"),
    "not_found": ("Không tìm thấy", "Not found"),
    "method_not_allowed": ("Phương thức này không được hỗ trợ ở đây", "Method not allowed here"),
    "not_acceptable": ("Không thể trả lời theo định dạng yêu cầu", "Cannot answer in the requested format"),
    "unsupported_media_type": ("Kiểu nội dung không được hỗ trợ (hãy gửi JSON)", "Unsupported media type (send JSON)"),
    "throttled": ("Quá nhiều yêu cầu, hãy thử lại sau", "Too many requests, try again later"),
}


def _bilingual(detail):
    if isinstance(detail, dict):
        return {k: _bilingual(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_bilingual(v) for v in detail]
    text = str(detail)
    if " / " in text:
        return text
    pair = DRF_MESSAGES.get(getattr(detail, "code", None))
    if pair is None:
        return text
    vi, en = pair
    out = f"{vi} / {en}"
    if text.strip().rstrip(".") not in (vi, en):
        out += f" ({text.strip()})"
    return out


def not_found(request, exception=None):
    """404 for the whole site: JSON under /api/, the page otherwise."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    return page_not_found(request, exception)
