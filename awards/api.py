"""REST API of the awards room (API.md §2: /quotas/, /awards/monthly/…, plus /certificates/).
Views parse and answer; the rules live in ``awards.actions``."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination
from config.params import MONTH_PATTERN, parse_month
from councils.models import Organisation

from .actions import adhoc_commend, certificate_revoke, commendation_select, nominations_propose
from .models import Award, Certificate, Nomination, Quota
from .selectors import (
    budget_report,
    certificate_get_visible,
    certificate_list,
    may_see_budget,
    may_see_nominations,
    may_select_commendations,
    monthly_selection,
    monthly_suggestions,
    nominated_to,
    nominations_received,
    pdf_url,
    programme_for_month,
    quota_board,
    quota_for,
    quota_usage,
    verify_url,
)

MAX_ID = 2**63 - 1
MONTH_IN_PATH = OpenApiParameter(
    "month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM (years 1900–2999)", pattern=MONTH_PATTERN
)


def organisation_or_400(code, field: str = "organisation") -> Organisation:
    if not code:
        raise serializers.ValidationError({field: [_("cần mã tổ chức")]})
    org = Organisation.objects.filter(code=str(code)).first()
    if org is None:
        raise serializers.ValidationError({field: [_("không có tổ chức '%(code)s'") % {"code": code}]})
    return org


# ---- quotas ---------------------------------------------------------------------------------


class QuotaRowSerializer(serializers.Serializer):
    award = serializers.CharField()
    organisation = serializers.CharField()
    period = serializers.CharField(help_text='programme code, or "YYYY-MM" for a monthly quota')
    kind = serializers.CharField(help_text="cap (never exceeded) or target (a goal)")
    cap = serializers.IntegerField(help_text="the cap, or for a target the goal")
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    reading = serializers.CharField(help_text='"used_remaining" for a cap, "progress" for a target')
    progress_percent = serializers.IntegerField(help_text="used as a share of cap or goal (a target may pass 100)")
    to_goal = serializers.IntegerField(allow_null=True, help_text="a target: what is still missing (null for a cap)")
    reached = serializers.BooleanField(help_text="a target reached, or a cap fully used")
    over_by = serializers.IntegerField(help_text="a target: how far past the goal")
    amount_vnd = serializers.IntegerField(help_text="money each award of this quota commits from the budget")


@extend_schema(
    parameters=[
        OpenApiParameter(
            "month",
            OpenApiTypes.STR,
            description="YYYY-MM for monthly quotas (default: this month)",
            pattern=MONTH_PATTERN,
        ),
        OpenApiParameter("organisation", OpenApiTypes.STR, description="quotas of this organisation and above"),
        OpenApiParameter("award", OpenApiTypes.STR, enum=Award.values),
    ]
)
class QuotaList(generics.GenericAPIView):
    """Award quotas with their use. Visible to every signed-in user (quotas are public figures)."""

    serializer_class = QuotaRowSerializer
    pagination_class = Pagination
    queryset = Quota.objects.none()

    def get(self, request):
        month = request.query_params.get("month")
        on = parse_month(month) if month else timezone.localdate()
        qs = Quota.objects.all()
        if code := request.query_params.get("organisation"):
            org = organisation_or_400(code)
            qs = qs.filter(organisation__path__in=org.ancestor_paths(include_self=True))
        if award := request.query_params.get("award"):
            if award not in Award.values:
                raise serializers.ValidationError({"award": [_("không có loại '%(award)s'") % {"award": award}]})
            qs = qs.filter(award=award)
        qs = qs.order_by("programme__code", "organisation__path", "award", "per")
        page = self.paginate_queryset(qs)
        rows = quota_board(quotas=Quota.objects.filter(pk__in=[q.pk for q in page]), on=on)
        return self.get_paginated_response(QuotaRowSerializer(rows, many=True).data)


# ---- certificates ---------------------------------------------------------------------------


class CertificateSerializer(serializers.ModelSerializer):
    initiative = serializers.IntegerField(source="initiative_id")
    organisation = serializers.CharField(source="organisation.code")
    council = serializers.SerializerMethodField()
    month = serializers.SerializerMethodField()
    revoked = serializers.BooleanField()
    verify_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "serial",
            "award",
            "initiative",
            "title",
            "organisation",
            "council",
            "month",
            "issued_at",
            "revoked",
            "revoked_at",
            "revoke_reason",
            "verify_url",
            "pdf_url",
        ]

    def get_council(self, obj) -> str | None:
        return obj.council.code if obj.council_id else None

    def get_month(self, obj) -> str:
        return f"{obj.period_month:%Y-%m}"

    def get_verify_url(self, obj) -> str:
        return verify_url(obj.serial)

    def get_pdf_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(pdf_url(obj.serial))


@extend_schema(
    parameters=[
        OpenApiParameter("award", OpenApiTypes.STR, enum=Award.values),
        OpenApiParameter("initiative", OpenApiTypes.INT),
        OpenApiParameter("revoked", OpenApiTypes.BOOL),
    ]
)
class CertificateList(generics.ListAPIView):
    """Certificates and commendations this user may see: of their own initiatives, of the
    organisations they oversee (officer, auditor, admin), and those their council awarded."""

    serializer_class = CertificateSerializer

    def get_queryset(self):
        qs = certificate_list(user=self.request.user).order_by("-issued_at", "-id")
        p = self.request.query_params
        if award := p.get("award"):
            qs = qs.filter(award=award)
        if initiative := p.get("initiative"):
            if not (initiative.isascii() and initiative.isdigit()) or int(initiative) > MAX_ID:
                raise serializers.ValidationError({"initiative": [_("cần số")]})
            qs = qs.filter(initiative_id=int(initiative))
        if (revoked := p.get("revoked")) in ("true", "false", "1", "0"):
            qs = qs.filter(revoked_at__isnull=revoked in ("false", "0"))
        return qs


def _certificate_or_404(request, serial) -> Certificate:
    try:
        return certificate_get_visible(user=request.user, serial=serial)
    except Certificate.DoesNotExist:
        raise NotFound(_("Không tìm thấy chứng nhận")) from None


class CertificateDetail(APIView):
    @extend_schema(responses=CertificateSerializer)
    def get(self, request, serial):
        c = _certificate_or_404(request, serial)
        return Response(CertificateSerializer(c, context={"request": request}).data)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        error_messages={
            "required": _("cần nêu lý do thu hồi"),
            "blank": _("cần nêu lý do thu hồi"),
        },
    )


class CertificateRevoke(APIView):
    """Revoke a certificate (the chair or secretary of the awarding council); the quota unit is
    freed and the row kept, marked revoked."""

    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer)
    def post(self, request, serial):
        c = _certificate_or_404(request, serial)
        s = RevokeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        c = certificate_revoke(certificate_id=c.pk, actor=request.user, reason=s.validated_data["reason"])
        return Response(CertificateSerializer(c, context={"request": request}).data)


# ---- monthly commendations ------------------------------------------------------------------


class CommendationSerializer(serializers.ModelSerializer):
    initiative = serializers.IntegerField(source="initiative_id")
    reference = serializers.CharField(source="initiative.reference")
    unit = serializers.CharField(source="initiative.organisation.code")
    selected_at = serializers.DateTimeField(source="issued_at")
    selected_by = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = ["serial", "initiative", "reference", "title", "unit", "selected_at", "selected_by", "verify_url"]

    def get_selected_by(self, obj) -> str | None:
        return obj.issued_by.username if obj.issued_by_id else None

    def get_verify_url(self, obj) -> str:
        return verify_url(obj.serial)


class MonthlySelectSerializer(serializers.Serializer):
    organisation = serializers.CharField(error_messages={"required": _("cần mã tổ chức")})
    initiatives = serializers.ListField(
        child=serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            error_messages={
                "invalid": _("mã sáng kiến phải là số"),
                "min_value": _("mã sáng kiến không hợp lệ"),
                "max_value": _("mã sáng kiến không hợp lệ"),
            },
        ),
        allow_empty=False,
        max_length=500,
        error_messages={
            "required": _("cần danh sách sáng kiến"),
            "empty": _("cần ít nhất một sáng kiến"),
            "not_a_list": _("initiatives phải là danh sách mã"),
        },
    )


MonthlySelectionResponse = inline_serializer(
    "MonthlySelection",
    {
        "month": serializers.CharField(),
        "organisation": serializers.CharField(),
        "cap": serializers.IntegerField(allow_null=True),
        "used": serializers.IntegerField(),
        "remaining": serializers.IntegerField(allow_null=True),
        "count": serializers.IntegerField(),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": CommendationSerializer(many=True),
        "nominations": inline_serializer(
            "MonthlyNomination",
            {
                "id": serializers.IntegerField(),
                "reference": serializers.CharField(),
                "title": serializers.CharField(),
                "organisation": serializers.CharField(),
                "nominated_by": serializers.ListField(child=serializers.CharField()),
                "commended": serializers.BooleanField(),
            },
            many=True,
            help_text="what reached this organisation from below this month, nominated first; "
            "empty for those who may not see its nominations",
        ),
    },
)


class MonthlyCommendations(APIView):
    """The monthly commendations (biểu dương hằng tháng) of a sector union: at most the monthly
    cap, chosen by its award committee."""

    def _answer(self, request, org, month, status_code=status.HTTP_200_OK):
        selection = monthly_selection(organisation=org, month=month)
        paginator = Pagination()
        page = paginator.paginate_queryset(selection, request, view=self)
        quota = quota_for(award=Award.MONTHLY_COMMENDATION, organisation=org, on=month)
        usage = quota_usage(quota=quota, on=month) if quota else {"cap": None, "remaining": None}
        return Response(
            {
                "month": f"{month:%Y-%m}",
                "organisation": org.code,
                "cap": usage["cap"],
                "used": selection.count() if quota is None else usage["used"],
                "remaining": usage["remaining"],
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": CommendationSerializer(page, many=True).data,
                "nominations": self._nominations(request, org, month),
            },
            status=status_code,
        )

    def _nominations(self, request, org, month) -> list[dict]:
        if not may_see_nominations(user=request.user, organisation=org):
            return []
        return [
            {
                "id": r["id"],
                "reference": r["reference"],
                "title": r["title"],
                "organisation": r["organisation"],
                "nominated_by": [p["organisation"] for p in r["proposals"]],
                "commended": r["commended"],
            }
            for r in nominations_received(organisation=org, month=month)
        ]

    @extend_schema(
        parameters=[OpenApiParameter("organisation", OpenApiTypes.STR, required=True), MONTH_IN_PATH],
        responses=MonthlySelectionResponse,
    )
    def get(self, request, month):
        month = parse_month(month)
        org = organisation_or_400(request.query_params.get("organisation"))
        return self._answer(request, org, month)

    @extend_schema(
        request=MonthlySelectSerializer, responses={201: MonthlySelectionResponse}, parameters=[MONTH_IN_PATH]
    )
    def post(self, request, month):
        month = parse_month(month)
        s = MonthlySelectSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        org = organisation_or_400(s.validated_data["organisation"])
        commendation_select(
            organisation=org, month=month, initiative_ids=s.validated_data["initiatives"], actor=request.user
        )
        return self._answer(request, org, month, status.HTTP_201_CREATED)


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    organisation = serializers.CharField()
    benefit_value_vnd = serializers.IntegerField(
        allow_null=True, help_text="null for a confidential dossier whose content you may not see"
    )
    recognised_at = serializers.DateTimeField()
    score = serializers.FloatField(allow_null=True)
    nominated = serializers.BooleanField(help_text="proposed to this organisation from below this month")
    nominated_by = serializers.ListField(child=serializers.CharField(), help_text="the unions that proposed it")


class MonthlySuggestions(generics.GenericAPIView):
    """Recognised initiatives not yet commended, best first (council score when known, then
    benefit value, then the most recently recognised). For the award committee only."""

    serializer_class = SuggestionSerializer
    pagination_class = Pagination
    queryset = Certificate.objects.none()

    @extend_schema(parameters=[OpenApiParameter("organisation", OpenApiTypes.STR, required=True), MONTH_IN_PATH])
    def get(self, request, month):
        month = parse_month(month)
        org = organisation_or_400(request.query_params.get("organisation"))
        if not may_select_commendations(user=request.user, organisation=org, programme=programme_for_month(month)):
            raise PermissionDenied(
                _("Chỉ ban khen thưởng của tổ chức giữ hạn mức biểu dương hằng tháng mới xem được đề xuất.")
            )
        rows = monthly_suggestions(
            organisation=org,
            month=month,
            limit=500,
            user=request.user,
            nominations=nominated_to(organisation=org, month=month),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SuggestionSerializer(page, many=True).data)


# ---- nominations ----------------------------------------------------------------------------


class NominateSerializer(MonthlySelectSerializer):
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ProposalSerializer(serializers.Serializer):
    by = serializers.CharField()
    by_name = serializers.CharField()
    organisation = serializers.CharField()
    organisation_name = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class NominationRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    organisation = serializers.CharField()
    benefit_value_vnd = serializers.IntegerField(
        allow_null=True, help_text="null for a confidential dossier whose content you may not see"
    )
    passed_up = serializers.BooleanField(help_text="this organisation has proposed it further up this month")
    commended = serializers.BooleanField()
    proposals = ProposalSerializer(many=True)


class NominationCreatedSerializer(serializers.ModelSerializer):
    initiative = serializers.IntegerField(source="initiative_id")
    organisation = serializers.CharField(source="from_organisation.code")
    to = serializers.CharField(source="to_organisation.code")
    month = serializers.SerializerMethodField()
    proposed_by = serializers.CharField(source="proposed_by.username")

    class Meta:
        model = Nomination
        fields = ["id", "initiative", "organisation", "to", "month", "comment", "proposed_by", "proposed_at"]

    def get_month(self, obj) -> str:
        return f"{obj.month:%Y-%m}"


class Nominations(generics.GenericAPIView):
    """Monthly nominations: a union proposes recognised initiatives of its subtree to the union
    directly above it (its officers or award committee); the GET lists what reached an
    organisation from below, with each proposal (who, which union, comment, when)."""

    serializer_class = NominationRowSerializer
    pagination_class = Pagination
    queryset = Nomination.objects.none()

    @extend_schema(parameters=[OpenApiParameter("organisation", OpenApiTypes.STR, required=True), MONTH_IN_PATH])
    def get(self, request, month):
        month = parse_month(month)
        org = organisation_or_400(request.query_params.get("organisation"))
        if not may_see_nominations(user=request.user, organisation=org):
            raise PermissionDenied(
                _("Chỉ cán bộ công đoàn, ban khen thưởng hoặc kiểm tra của %(org)s mới xem được các đề cử.")
                % {"org": org.code}
            )
        rows = nominations_received(organisation=org, month=month, user=request.user)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(NominationRowSerializer(page, many=True).data)

    @extend_schema(
        request=NominateSerializer, responses={201: NominationCreatedSerializer(many=True)}, parameters=[MONTH_IN_PATH]
    )
    def post(self, request, month):
        month = parse_month(month)
        s = NominateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        org = organisation_or_400(s.validated_data["organisation"])
        created = nominations_propose(
            organisation=org,
            month=month,
            initiative_ids=s.validated_data["initiatives"],
            comment=s.validated_data["comment"],
            actor=request.user,
        )
        return Response(NominationCreatedSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


# ---- ad-hoc commendations -------------------------------------------------------------------


class AdhocSerializer(serializers.Serializer):
    organisation = serializers.CharField(error_messages={"required": _("cần mã tổ chức")})
    initiative = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={
            "required": _("cần mã sáng kiến"),
            "invalid": _("mã sáng kiến phải là số"),
            "min_value": _("mã sáng kiến không hợp lệ"),
            "max_value": _("mã sáng kiến không hợp lệ"),
        },
    )
    reason = serializers.CharField(
        max_length=4000,
        error_messages={
            "required": _("cần nêu lý do khen thưởng đột xuất"),
            "blank": _("cần nêu lý do khen thưởng đột xuất"),
        },
    )
    amount_vnd = serializers.IntegerField(
        min_value=0,
        max_value=10**15,
        error_messages={
            "required": _("cần số tiền khen thưởng (VND)"),
            "invalid": _("số tiền phải là số nguyên (VND)"),
            "min_value": _("số tiền không được âm"),
            "max_value": _("số tiền quá lớn"),
        },
    )


class AdhocCommendationSerializer(CertificateSerializer):
    class Meta(CertificateSerializer.Meta):
        fields = [*CertificateSerializer.Meta.fields, "reason", "amount_vnd"]


class AdhocCommendations(APIView):
    """An ad-hoc ("đột xuất") commendation outside the monthly five, with a reason and an amount
    committed from the organisation's budget (409 ``budget_exhausted``)."""

    @extend_schema(request=AdhocSerializer, responses={201: AdhocCommendationSerializer})
    def post(self, request):
        s = AdhocSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        org = organisation_or_400(s.validated_data["organisation"])
        c = adhoc_commend(
            organisation=org,
            initiative_id=s.validated_data["initiative"],
            reason=s.validated_data["reason"],
            amount_vnd=s.validated_data["amount_vnd"],
            actor=request.user,
        )
        return Response(
            AdhocCommendationSerializer(c, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


# ---- budgets --------------------------------------------------------------------------------


class BudgetItemSerializer(serializers.Serializer):
    serial = serializers.CharField()
    award = serializers.CharField()
    initiative = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    amount_vnd = serializers.IntegerField()
    issued_at = serializers.DateTimeField()


class BudgetSerializer(serializers.Serializer):
    organisation = serializers.CharField()
    year = serializers.IntegerField()
    configured = serializers.BooleanField(help_text="false when the structure file gives no budget for that year")
    budget_vnd = serializers.IntegerField()
    committed_vnd = serializers.IntegerField()
    remaining_vnd = serializers.IntegerField()
    items = BudgetItemSerializer(many=True)


def parse_year(value, name: str = "year") -> int:
    if value in (None, ""):
        return timezone.localdate().year
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 4) or not (
        1900 <= int(value) <= 2999
    ):
        raise serializers.ValidationError({name: [_("Năm phải là số từ 1900 đến 2999")]})
    return int(value)


class BudgetView(APIView):
    """The commendation budget of an organisation for a year: what it holds, what its standing
    awards committed (each listed) and what remains. For the organisation's award committee and
    the officers, auditors and admins at or above it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.STR, required=True),
            OpenApiParameter("year", OpenApiTypes.INT, description="default: this year"),
        ],
        responses=BudgetSerializer,
    )
    def get(self, request):
        org = organisation_or_400(request.query_params.get("organisation"))
        year = parse_year(request.query_params.get("year"))
        if not may_see_budget(user=request.user, organisation=org):
            raise PermissionDenied(
                _("Chỉ cán bộ công đoàn, ban khen thưởng hoặc kiểm tra của %(org)s mới xem được kinh phí.")
                % {"org": org.code}
            )
        return Response(BudgetSerializer(budget_report(organisation=org, year=year)).data)
