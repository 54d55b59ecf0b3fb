"""The officers' register import page (/imports/; issue 9, build 6): download the template, upload
the register, read every refused row before anything is written, then import it all. The checks and
the import are ``initiatives.imports`` (the same as ``manage.py import_initiatives``); this page only
keeps the uploaded file between the check and the confirmation."""

import hashlib
import io
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from councils.models import Role, RoleAssignment
from initiatives.files import XLSX, sniff
from initiatives.imports import ImportRefused, initiatives_import, initiatives_import_preview

# the template's headings (what ``initiatives.imports.COLUMNS`` reads) and what goes in each
TEMPLATE_COLUMNS = [
    ("Số hồ sơ", "Không bắt buộc. Để trống thì hệ thống cấp số."),
    ("Tên sáng kiến", "Bắt buộc, 10–300 ký tự."),
    ("Mã đơn vị", "Bắt buộc: mã công đoàn cơ sở (ví dụ PCBD-XN1). Bạn phải là cán bộ của đơn vị đó."),
    ("Lĩnh vực", "Bắt buộc: technical, management, union, covid hoặc tên lĩnh vực bằng tiếng Việt."),
    ("Tác giả", "Bắt buộc: “tên đăng nhập hoặc họ tên:tỷ lệ; …”, tổng 100; không ghi tỷ lệ thì chia đều."),
    ("Giá trị làm lợi (VND)", "Số nguyên ≥ 0 (trên 0, trừ lĩnh vực công đoàn và phòng chống Covid-19)."),
    ("Ngày áp dụng", "YYYY-MM-DD hoặc dd/mm/yyyy."),
    ("Ngày đăng ký", "Bắt buộc: YYYY-MM-DD hoặc dd/mm/yyyy, không ở tương lai."),
    ("Ngày công nhận", "Không bắt buộc: ngày hội đồng cấp đơn vị công nhận, không trước ngày đăng ký."),
]
SESSION_KEY = "register_import"


def _may_import(user) -> bool:
    return user.is_superuser or RoleAssignment.objects.filter(user=user, role=Role.OFFICER).exists()


def _folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def _denied(request):
    return render(
        request,
        "workflow/denied.html",
        {
            "title": _("Nhập sổ sáng kiến"),
            "message": _("Chỉ cán bộ công đoàn mới nhập được sổ sáng kiến của đơn vị mình."),
        },
        status=403,
    )


def _discard(request):
    held = request.session.pop(SESSION_KEY, None)
    if held:
        (_folder() / f"{held['token']}.xlsx").unlink(missing_ok=True)


@login_required
def import_page(request):
    if not _may_import(request.user):
        return _denied(request)
    context = {"max_mb": settings.ATTACHMENT_MAX_MB, "errors": [], "file_error": None, "ready": None}
    if request.method != "POST":
        return render(request, "web/import.html", context)
    upload = request.FILES.get("file")
    limit = int(settings.ATTACHMENT_MAX_MB * 1024 * 1024)
    if upload is None:
        context["file_error"] = _("Hãy chọn tệp sổ sáng kiến (.xlsx) để tải lên.")
    elif upload.size > limit:
        context["file_error"] = _("Tệp lớn hơn %(mb)s MB.") % {"mb": settings.ATTACHMENT_MAX_MB}
    elif sniff(upload) != XLSX:
        context["file_error"] = _("Tệp không phải sổ Excel (.xlsx): hãy dùng mẫu của trang này.")
    if context["file_error"]:
        return render(request, "web/import.html", context, status=400)
    _discard(request)
    token = secrets.token_urlsafe(16)
    path = _folder() / f"{token}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    errors, rows = initiatives_import_preview(path=path, actor=request.user)
    context.update(name=upload.name[:200], rows=rows)
    if errors or not rows:
        path.unlink(missing_ok=True)
        context["errors"] = errors or [_("Sổ không có dòng nào để nhập.")]
        return render(request, "web/import.html", context, status=400)
    request.session[SESSION_KEY] = {"token": token, "sha256": digest.hexdigest(), "name": context["name"]}
    context["ready"] = token
    return render(request, "web/import.html", context)


@login_required
def import_confirm(request):
    if request.method != "POST":
        return redirect("import-page")
    if not _may_import(request.user):
        return _denied(request)
    held = request.session.get(SESSION_KEY)
    token = request.POST.get("token", "")
    path = _folder() / f"{held['token']}.xlsx" if held else None
    if (
        not held
        or not secrets.compare_digest(token, held["token"])
        or not path.exists()
        or hashlib.sha256(path.read_bytes()).hexdigest() != held["sha256"]
    ):
        _discard(request)
        messages.error(request, _("Không còn tệp đã kiểm tra: hãy tải sổ lên lại."))
        return redirect("import-page")
    try:
        created = initiatives_import(path=path, actor=request.user)
    except ImportRefused as e:  # something changed since the check (a reference taken meanwhile …)
        _discard(request)
        context = {"max_mb": settings.ATTACHMENT_MAX_MB, "errors": e.errors, "file_error": None, "ready": None}
        context["name"] = held["name"]
        return render(request, "web/import.html", context, status=400)
    _discard(request)
    messages.success(
        request,
        ngettext("Đã nhập %(n)d sáng kiến từ %(name)s.", "Đã nhập %(n)d sáng kiến từ %(name)s.", created)
        % {"n": created, "name": held["name"]},
    )
    return redirect("/initiatives/?order=newest")


@login_required
def import_template(request):
    """The register's template: the headings on the first sheet, what each column takes on the second."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "So sang kien"
    ws.append([heading for heading, _help in TEMPLATE_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHI", (14, 50, 14, 14, 40, 20, 14, 14, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("Huong dan")
    guide.append(["Cột", "Cách ghi"])
    for row in TEMPLATE_COLUMNS:
        guide.append(list(row))
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 24, 100
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(buf.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-so-sang-kien.xlsx"'
    return response
