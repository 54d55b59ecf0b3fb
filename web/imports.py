"""The officers' register import page (/imports/; issue 9, build 6; issue 11, item 5): download the
template, upload the register for one's organisation, read every refused row (row, column, reason)
before anything is written, then import it all — or only the good rows, or fix the file and upload
it again — and follow the import's progress (``static/js/site.js`` polls ``/api/v1/imports/{id}/``).
The checks and the import are ``initiatives.imports`` (the same as the API and, row for row,
``manage.py import_initiatives``); this page only parses the form and calls them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from councils.models import Organisation, Role, RoleAssignment
from initiatives.exceptions import ApplicationError, RefusedInput
from initiatives.files import XLSX
from initiatives.imports import (
    register_import_create,
    register_import_data,
    register_import_get_visible,
    register_import_max_bytes,
    register_import_start,
    register_imports_of,
    register_template,
)
from initiatives.models import RegisterImport


def _may_import(user) -> bool:
    return user.is_superuser or RoleAssignment.objects.filter(user=user, role=Role.OFFICER).exists()


def _organisations(user):
    """The organisations ``user`` may import for: those they are an officer of (admins: all)."""
    if user.is_superuser:
        return list(Organisation.objects.order_by("path"))
    ids = RoleAssignment.objects.filter(user=user, role__in=[Role.OFFICER, Role.ADMIN]).values_list(
        "organisation_id", flat=True
    )
    return list(Organisation.objects.filter(pk__in=ids).order_by("path"))


def _denied(request, message=None):
    return render(
        request,
        "workflow/denied.html",
        {
            "title": _("Nhập sổ sáng kiến"),
            "message": message or _("Chỉ cán bộ công đoàn mới nhập được sổ sáng kiến của đơn vị mình."),
        },
        status=403,
    )


def _form_context(request, **extra):
    organisations = _organisations(request.user)
    return {
        "max_mb": register_import_max_bytes() // (1024 * 1024),
        "organisations": organisations,
        "chosen": request.POST.get("organisation") or (organisations[0].code if len(organisations) == 1 else ""),
        "recent": register_imports_of(user=request.user),
        "file_error": None,
        "organisation_error": None,
        **extra,
    }


@login_required
def import_page(request):
    """GET: the form and your latest imports. POST: upload ``file`` for ``organisation``; the
    register is checked and the report page shows the result (nothing is imported before you
    confirm there)."""
    if not _may_import(request.user):
        return _denied(request)
    if request.method != "POST":
        return render(request, "web/import.html", _form_context(request))
    code = (request.POST.get("organisation") or "").strip()[:40]
    organisation = Organisation.objects.filter(code=code).first() if code else None
    if organisation is None:
        error = _("Hãy chọn tổ chức của sổ.") if not code else _("không có tổ chức '%(code)s'") % {"code": code}
        return render(request, "web/import.html", _form_context(request, organisation_error=error), status=400)
    try:
        imp, created = register_import_create(
            actor=request.user, organisation=organisation, upload=request.FILES.get("file"), start=False
        )
    except PermissionDenied as e:
        return _denied(request, str(e))
    except RefusedInput as e:
        return render(request, "web/import.html", _form_context(request, file_error=e.detail), status=400)
    except ValidationError as e:
        return render(request, "web/import.html", _form_context(request, file_error=" ".join(e.messages)), status=400)
    if not created:
        messages.info(
            request,
            _("Tệp này đã được nhập cho %(organisation)s (lần nhập #%(id)d): không nhập lại lần nữa.")
            % {"organisation": organisation.name, "id": imp.pk},
        )
    return redirect("import-detail", iid=imp.pk)


def _visible(request, iid) -> RegisterImport:
    try:
        return register_import_get_visible(user=request.user, pk=iid)
    except RegisterImport.DoesNotExist:
        raise Http404(_("Không tìm thấy lần nhập này")) from None


@login_required
def import_detail(request, iid):
    """The report of one import: checking (progress), checked (every refused row; import all, only
    the good rows, or fix and upload again), importing (progress), done (imported, refused,
    duplicates) or failed."""
    imp = _visible(request, iid)
    data = register_import_data(imp)
    return render(
        request,
        "web/import_detail.html",
        {
            "imp": imp,
            "d": data,
            "good": imp.total,
            "polling": imp.state in ("checking", "importing"),
            "may_start": imp.state == "checked" and imp.total > 0,
        },
    )


@login_required
def import_start(request, iid):
    """POST: import a checked register — all of it, or with ``partial=1`` only its good rows."""
    if request.method != "POST":
        return redirect("import-detail", iid=iid)
    imp = _visible(request, iid)
    try:
        register_import_start(import_id=imp.pk, actor=request.user, partial=request.POST.get("partial") == "1")
    except PermissionDenied as e:
        return _denied(request, str(e))
    except ApplicationError as e:
        messages.error(request, e.detail)
    return redirect("import-detail", iid=imp.pk)


@login_required
def import_template(request):
    """The register's template: the headings on the first sheet, what each column takes on the second."""
    response = HttpResponse(register_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-so-sang-kien.xlsx"'
    return response
