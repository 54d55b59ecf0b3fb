"""Report endpoints (API.md §2): progress, the monthly workbook, emulation bloc rankings.
Read-only: they call selectors only."""

import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import APIView

from config.api import Pagination
from config.params import MONTH_PATTERN, QUARTER_PATTERN, month_after, parse_day, parse_month, parse_quarter
from councils.models import Organisation
from initiatives.actions import programme_running
from initiatives.models import Phase, Programme

from .blocs import bloc_rankings
from .selectors import can_view_reports, current_programme, period_for, progress_report, report_roots
from .workbook import monthly_workbook, workbook_filename


class ProgressRowSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="code")
    name = serializers.CharField()
    level = serializers.CharField()
    depth = serializers.IntegerField(help_text="depth in the tree as it stood on `on`")
    parent = serializers.CharField(allow_null=True)
    target = serializers.IntegerField()
    registered = serializers.IntegerField()
    recognised = serializers.IntegerField()
    percent_of_target = serializers.FloatField(allow_null=True)
    authors = serializers.IntegerField(help_text="distinct authors of the registered initiatives")
    headcount = serializers.IntegerField()
    participation_percent = serializers.FloatField(allow_null=True)
    benefit_value_vnd = serializers.IntegerField()


def _date_param(request, name):
    raw = request.query_params.get(name)
    return parse_day(raw, name) if raw else None


def _programme_param(request, *, day=None):
    """The requested programme; without one, the programme running on ``day`` (a report as of a
    past day is a report of the programme of that day), else the current one."""
    code = request.query_params.get("programme")
    if code:
        programme = Programme.objects.filter(code=code).first()
        if programme is None:
            raise ValidationError({"programme": [_("không có chương trình '%(code)s'") % {"code": code}]})
        return programme
    programme = (programme_running(day) if day else None) or current_programme()
    if programme is None:
        raise ValidationError({"programme": [_("chưa có chương trình nào")]})
    return programme


def _phase_param(request, programme):
    code = request.query_params.get("phase")
    if not code:
        return None
    phase = Phase.objects.filter(programme=programme, code=code).first()
    if phase is None:
        raise ValidationError(
            {
                "phase": [
                    _("không có giai đoạn '%(code)s' trong chương trình %(programme_code)s")
                    % {"code": code, "programme_code": programme.code}
                ]
            }
        )
    return phase


def _organisation_param(request, *, required=False):
    """The requested organisation (400 when unknown, 403 without a role on it), or None."""
    code = request.query_params.get("organisation")
    if not code:
        if required:
            raise ValidationError({"organisation": [_("cần mã tổ chức")]})
        return None
    org = Organisation.objects.filter(code=code).first()
    if org is None:
        raise ValidationError({"organisation": [_("không có tổ chức '%(code)s'") % {"code": code}]})
    if not can_view_reports(user=request.user, organisation=org):
        raise PermissionDenied(_("bạn không có vai trò cán bộ, kiểm tra hay quản trị trên '%(code)s'") % {"code": code})
    return org


def _roots(request):
    org = _organisation_param(request)
    if org is not None:
        return [org]
    roots = report_roots(user=request.user)
    if not roots:
        raise PermissionDenied(_("bạn không có vai trò cán bộ, kiểm tra hay quản trị nào"))
    return roots


PERIOD_PARAMS = [
    OpenApiParameter("phase", str, description="phase code; without it, the whole programme"),
    OpenApiParameter(
        "programme",
        str,
        description="programme code (default: the one running on as_of or until, else the current one)",
    ),
    OpenApiParameter("until", OpenApiTypes.DATE, description="cut the period at this day (cumulative to it)"),
    OpenApiParameter("on", OpenApiTypes.DATE, description="count units under the parents they had that day"),
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATE,
        description="the report as it stood that day: cut there (unless until), the tree of that day (unless on), "
        "and the targets valid that day (a target revised later keeps its earlier value then)",
    ),
]


class ProgressView(APIView):
    """Progress of the programme per organisation. Definitions: ``reports.selectors`` docstring —
    registered = first submitted in the period and not withdrawn; recognised = first council approval
    in the period; figures rolled up through the whole subtree; target = own target, else the sum of
    the children's; percentages with 1 decimal, half up."""

    @extend_schema(
        parameters=[OpenApiParameter("organisation", str, description="root of the subtree (code)"), *PERIOD_PARAMS],
        responses={200: ProgressRowSerializer(many=True)},
    )
    def get(self, request):
        until, on = _date_param(request, "until"), _date_param(request, "on")
        as_of = _date_param(request, "as_of")
        programme = _programme_param(request, day=as_of or until)
        phase = _phase_param(request, programme)
        roots = _roots(request)
        period = period_for(programme=programme, phase=phase, until=until, on=on, as_of=as_of)
        rows = []
        for root in roots:
            rows += progress_report(root=root, period=period)
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(page)
        response.data["programme"] = programme.code
        response.data["phase"] = phase.code if phase else None
        response.data["starts"] = period.starts
        response.data["ends"] = period.ends
        response.data["on"] = period.on
        response.data["targets_on"] = period.targets_day
        return response


class MonthlyWorkbookView(APIView):
    """The monthly report workbook of one union (openpyxl .xlsx)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("organisation", str, required=True),
            OpenApiParameter(
                "month", str, OpenApiParameter.PATH, description="YYYY-MM (years 1900–2999)", pattern=MONTH_PATTERN
            ),
        ],
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
    )
    def get(self, request, month):
        first = parse_month(month, "month")
        org = _organisation_param(request, required=True)
        year, mon = first.year, first.month
        content = monthly_workbook(organisation=org, year=year, month=mon)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        filename = workbook_filename(organisation=org, year=year, month=mon)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class BlocRankingView(APIView):
    """Emulation blocs (khối thi đua) visible to the user, members ranked by participation % and by
    % of target. ``quarter=YYYY-Qn`` cuts the period at the quarter's end (cumulative)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("quarter", str, description="YYYY-Qn (years 1900–2999)", pattern=QUARTER_PATTERN),
            OpenApiParameter("organisation", str, description="only blocs within this subtree"),
            *PERIOD_PARAMS[:2],
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        programme = _programme_param(request)
        phase = _phase_param(request, programme)
        until = None
        raw = request.query_params.get("quarter")
        if raw:
            year, quarter = parse_quarter(raw, "quarter")
            until = month_after(datetime.date(year, quarter * 3, 1)) - datetime.timedelta(days=1)
        roots = _roots(request)
        period = period_for(programme=programme, phase=phase, until=until)
        results = bloc_rankings(roots=roots, period=period)
        paginator = Pagination()
        page = paginator.paginate_queryset(results, request, view=self)
        response = paginator.get_paginated_response(page)
        response.data["phase"] = phase.code if phase else None
        response.data["quarter"] = raw or None
        response.data["ends"] = period.ends
        return response
