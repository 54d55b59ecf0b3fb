"""REST API of register imports (API.md §2, issue 11): ``POST /imports/``, ``GET /imports/{iid}/``,
``GET /imports/template.xlsx``; added: ``GET /imports/`` (your uploads) and
``POST /imports/{iid}/import/`` (import a checked register, optionally only its good rows)."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination
from councils.models import Organisation

from .files import XLSX
from .imports import (
    register_import_create,
    register_import_data,
    register_import_get_visible,
    register_import_start,
    register_template,
)
from .models import RegisterImport

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}


def _flag(value, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise serializers.ValidationError({field: [_("'%(value)s' không phải 1 hay 0") % {"value": text[:20]}]})


def _organisation(code) -> Organisation:
    if not isinstance(code, str) or not code.strip():
        raise serializers.ValidationError({"organisation": [_("cần mã tổ chức")]})
    org = Organisation.objects.filter(code=code.strip()[:40]).first()
    if org is None:
        raise serializers.ValidationError({"organisation": [_("không có tổ chức '%(code)s'") % {"code": code[:40]}]})
    return org


class RefusedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="the workbook's row number (1: the headings)")
    column = serializers.CharField(help_text="the column's heading as the workbook writes it")
    field = serializers.CharField(help_text="the column's key: reference, title, unit, category, authors, …")
    reason = serializers.CharField()


class ImportCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    organisation = serializers.CharField()
    similarity = serializers.FloatField()


class DuplicateRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    id = serializers.IntegerField(help_text="the initiative the row became")
    reference = serializers.CharField()
    title = serializers.CharField()
    candidates = ImportCandidateSerializer(many=True)


class RegisterImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField(help_text="checking · checked · importing · done · failed")
    organisation = serializers.CharField()
    file = serializers.CharField(help_text="the uploaded file's name (made safe)")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    partial = serializers.BooleanField(help_text="only the good rows are imported")
    by = serializers.CharField()
    rows = serializers.IntegerField(help_text="rows read (the headings not counted)")
    imported = serializers.IntegerField()
    refused_rows = serializers.IntegerField()
    refused = RefusedRowSerializer(many=True)
    duplicates = DuplicateRowSerializer(many=True, help_text="imported rows that look like earlier initiatives")
    duplicates_count = serializers.IntegerField(help_text="all of them (the list keeps the first 1,000)")
    done = serializers.IntegerField(help_text="rows handled by the import so far")
    total = serializers.IntegerField(help_text="rows to import")
    percent = serializers.FloatField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class RegisterImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the register workbook (.xlsx, judged by content), ≤ REGISTER_IMPORT_MAX_MB")
    organisation = serializers.CharField(help_text="the code of the organisation you are an officer of")
    partial = serializers.CharField(required=False, help_text="1: import only the good rows")


class RegisterImportListCreate(generics.GenericAPIView):
    """GET: your uploads, newest first. POST (multipart ``file`` + ``organisation`` (+ ``partial=1``)):
    an officer of the organisation uploads its register; the whole register is checked before
    anything is written, then imported in batches (Celery) when no row is refused or with
    ``partial=1`` only the good rows. 403 when not an officer of that organisation; 400 naming
    ``organisation`` (unknown) or ``file`` (missing, not an .xlsx by its content, too large). The
    same file already imported for that organisation answers 200 with that import: nothing twice."""

    serializer_class = RegisterImportSerializer
    pagination_class = Pagination
    queryset = RegisterImport.objects.none()

    @extend_schema(operation_id="v1_imports_list", responses=RegisterImportSerializer(many=True))
    def get(self, request):
        qs = RegisterImport.objects.filter(by=request.user).select_related("organisation", "by")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response([register_import_data(i) for i in page])

    @extend_schema(
        operation_id="v1_imports_create",
        request={"multipart/form-data": RegisterImportUploadSerializer},
        responses={201: RegisterImportSerializer, 200: RegisterImportSerializer},
    )
    def post(self, request):
        data = request.data if hasattr(request.data, "get") else {}
        organisation = _organisation(data.get("organisation"))
        partial = _flag(data.get("partial"), "partial")
        files = request.FILES.getlist("file")
        if len(files) > 1:
            raise serializers.ValidationError({"file": [_("Mỗi lần tải lên một tệp")]})
        imp, created = register_import_create(
            actor=request.user, organisation=organisation, upload=files[0] if files else None, partial=partial
        )
        imp.refresh_from_db()  # eager tasks may have checked and imported it already
        body = {**register_import_data(imp), "same_file": not created}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class RegisterImportDetail(APIView):
    """One import: its state (checking · checked · importing · done · failed), rows, imported,
    every refused row with its row, column and reason, the duplicates found, and the progress
    (``done`` of ``total``). 404 for who neither uploaded it nor is an officer or auditor of its
    organisation."""

    @extend_schema(operation_id="v1_imports_retrieve", responses=RegisterImportSerializer)
    def get(self, request, iid):
        try:
            imp = register_import_get_visible(user=request.user, pk=iid)
        except RegisterImport.DoesNotExist:
            raise NotFound(_("Không tìm thấy lần nhập này")) from None
        return Response(register_import_data(imp))


class RegisterImportStart(APIView):
    """Import a ``checked`` register: body ``{"partial": true}`` to import only its good rows when
    some were refused (409 ``rows_refused`` otherwise, ``invalid_state`` when not ``checked``,
    ``nothing_to_import`` when no row is good)."""

    @extend_schema(
        operation_id="v1_imports_import",
        request=inline_serializer("RegisterImportStartRequest", {"partial": serializers.BooleanField(required=False)}),
        responses={200: RegisterImportSerializer},
    )
    def post(self, request, iid):
        try:
            imp = register_import_get_visible(user=request.user, pk=iid)
        except RegisterImport.DoesNotExist:
            raise NotFound(_("Không tìm thấy lần nhập này")) from None
        data = request.data if hasattr(request.data, "get") else {}
        imp = register_import_start(import_id=imp.pk, actor=request.user, partial=_flag(data.get("partial"), "partial"))
        imp.refresh_from_db()
        return Response(register_import_data(imp))


class RegisterTemplate(APIView):
    """The register's template workbook: the headings the import reads, and a sheet on how to fill
    each column."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(operation_id="v1_imports_template", responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request):
        response = HttpResponse(register_template(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="mau-so-sang-kien.xlsx"'
        return response
