"""REST API for initiatives (API.md §2). Views call actions; they never change state themselves."""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView
from unidecode import unidecode

from audit.models import AuditEntry
from audit.selectors import audit_verify
from councils.models import Organisation, Role, RoleAssignment, User
from councils.selectors import is_unit
from initiatives.actions import initiative_create, initiative_update
from initiatives.models import Category, Initiative, State
from initiatives.selectors import can_create_in

from .selectors import (
    available_actions,
    can_see_confidential,
    inbox,
    initiative_get_visible,
    initiative_list,
    possible_duplicates,
)


def _bi(vi, en):
    return f"{vi} / {en}"


class AuthorSerializer(serializers.Serializer):
    username = serializers.CharField(required=False, allow_blank=False)
    full_name = serializers.CharField(required=False, allow_blank=False, max_length=200)
    share_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        error_messages={
            "required": _bi("cần tỷ lệ đóng góp (%)", "share_percent is required"),
            "invalid": _bi("tỷ lệ đóng góp phải là một số", "share_percent must be a number"),
            "min_value": _bi("tỷ lệ đóng góp phải lớn hơn 0", "share_percent must be greater than 0"),
            "max_value": _bi("tỷ lệ đóng góp không vượt quá 100", "share_percent must be at most 100"),
        },
    )

    def validate(self, attrs):
        if not attrs.get("username") and not attrs.get("full_name"):
            raise serializers.ValidationError(
                _bi("mỗi tác giả cần username hoặc full_name", "each author needs a username or a full_name")
            )
        if attrs.get("username"):
            user = User.objects.filter(username=attrs["username"], is_active=True).first()
            if user is None:
                raise serializers.ValidationError(
                    {
                        "username": _bi(
                            f"không có người dùng '{attrs['username']}'", f"unknown user '{attrs['username']}'"
                        )
                    }
                )
            attrs["user"] = user
        return attrs


class InitiativeWriteSerializer(serializers.Serializer):
    title = serializers.CharField(
        min_length=10,
        max_length=300,
        error_messages={
            "required": _bi("cần tên sáng kiến", "title is required"),
            "blank": _bi("tên sáng kiến không được để trống", "title may not be blank"),
            "min_length": _bi("tên sáng kiến phải dài ít nhất 10 ký tự", "title must be at least 10 characters"),
            "max_length": _bi("tên sáng kiến không quá 300 ký tự", "title must be at most 300 characters"),
        },
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    problem = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    solution = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    category = serializers.ChoiceField(
        choices=Category.choices,
        error_messages={
            "required": _bi("cần lĩnh vực", "category is required"),
            "invalid_choice": _bi(
                "lĩnh vực '{input}' không hợp lệ (technical, management, union, covid)",
                "unknown category '{input}' (technical, management, union, covid)",
            ),
        },
    )
    organisation = serializers.CharField(
        error_messages={"required": _bi("cần mã đơn vị", "organisation (unit code) is required")}
    )
    authors = AuthorSerializer(many=True, allow_empty=False)
    benefit_value_vnd = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=10**15,
        error_messages={
            "invalid": _bi("giá trị làm lợi phải là số nguyên (VND)", "benefit_value_vnd must be an integer (VND)"),
            "min_value": _bi("giá trị làm lợi không được âm", "benefit_value_vnd must be ≥ 0"),
            "max_value": _bi("giá trị làm lợi quá lớn", "benefit_value_vnd is too large"),
        },
    )
    applied_since = serializers.DateField(
        required=False,
        allow_null=True,
        error_messages={"invalid": _bi("ngày phải có dạng YYYY-MM-DD", "date must be YYYY-MM-DD")},
    )
    confidential = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    def validate_benefit_value_vnd(self, value):
        raw = self.initial_data.get("benefit_value_vnd") if hasattr(self, "initial_data") else None
        if isinstance(raw, float) and not raw.is_integer():
            raise serializers.ValidationError(
                _bi("giá trị làm lợi phải là số nguyên (VND)", "benefit_value_vnd must be an integer (VND)")
            )
        return value

    def validate_applied_since(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError(
                _bi("ngày áp dụng không thể ở tương lai", "applied_since cannot be in the future")
            )
        return value

    def validate_organisation(self, code):
        org = Organisation.objects.filter(code=code).first()
        if org is None:
            raise serializers.ValidationError(_bi(f"không có đơn vị '{code}'", f"unknown organisation '{code}'"))
        if not is_unit(org):
            raise serializers.ValidationError(
                _bi(f"'{code}' không phải công đoàn cơ sở", f"'{code}' is not a grassroots unit")
            )
        user = self.context["request"].user
        if not can_create_in(user=user, organisation=org):
            raise serializers.ValidationError(
                _bi(
                    f"bạn không thuộc và không tư vấn đơn vị '{code}'",
                    f"you neither belong to nor advise the unit '{code}'",
                )
            )
        return org

    def validate_authors(self, authors):
        total = sum(a["share_percent"] for a in authors)
        if total != 100:
            raise serializers.ValidationError(
                _bi(
                    f"tổng tỷ lệ đóng góp phải bằng 100 (hiện là {total.normalize():f})",
                    f"author shares must sum to 100 (they sum to {total.normalize():f})",
                )
            )
        usernames = [a["user"].username for a in authors if a.get("user")]
        if len(usernames) != len(set(usernames)):
            raise serializers.ValidationError(_bi("một tác giả bị liệt kê hai lần", "an author is listed twice"))
        return authors


class InitiativeUpdateSerializer(InitiativeWriteSerializer):
    def get_fields(self):
        fields = super().get_fields()
        fields.pop("organisation")
        for f in fields.values():
            f.required = False
        return fields


class InitiativeSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.code")
    organisation_name = serializers.CharField(source="organisation.name")
    authors = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()
    awards = serializers.SerializerMethodField()
    council = serializers.SerializerMethodField()

    class Meta:
        model = Initiative
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "problem",
            "solution",
            "category",
            "organisation",
            "organisation_name",
            "authors",
            "benefit_value_vnd",
            "applied_since",
            "confidential",
            "state",
            "version",
            "dossier_version",
            "council",
            "due_at",
            "available_actions",
            "possible_duplicates",
            "awards",
            "created_at",
            "updated_at",
            "submitted_at",
            "recognised_at",
        ]

    PUBLIC_FIELDS = ("id", "reference", "title", "summary", "state", "confidential", "organisation", "awards")

    def get_authors(self, obj) -> list[dict]:
        return [
            {
                "username": a.user.username if a.user else None,
                "full_name": a.full_name,
                "share_percent": float(a.share_percent),
            }
            for a in obj.authors.select_related("user")
        ]

    def get_available_actions(self, obj) -> list[str]:
        # computed once per row: the task list asks for it twice (available_actions, waiting_for)
        if not hasattr(obj, "_available_actions"):
            obj._available_actions = available_actions(user=self.context["request"].user, initiative=obj)
        return obj._available_actions

    def get_possible_duplicates(self, obj) -> list[dict]:
        return possible_duplicates(initiative=obj) if self.context.get("detail") else []

    def get_awards(self, obj) -> list[dict]:
        from awards.selectors import awards_for

        return awards_for(initiative=obj)

    def get_council(self, obj) -> str | None:
        return obj.council.code if obj.council_id else None

    def to_representation(self, obj):
        data = super().to_representation(obj)
        if not can_see_confidential(user=self.context["request"].user, initiative=obj):
            data = {k: v for k, v in data.items() if k in self.PUBLIC_FIELDS}
        return data


class InitiativeListSerializer(InitiativeSerializer):
    class Meta(InitiativeSerializer.Meta):
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "category",
            "organisation",
            "organisation_name",
            "benefit_value_vnd",
            "confidential",
            "state",
            "version",
            "due_at",
            "submitted_at",
            "recognised_at",
        ]


MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class InitiativeFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=State.choices)
    category = filters.ChoiceFilter(choices=Category.choices)
    organisation = filters.CharFilter(method="filter_organisation")
    q = filters.CharFilter(method="filter_q")
    submitted_month = filters.CharFilter(method="filter_submitted_month")

    class Meta:
        model = Initiative
        fields = ["state", "category"]

    def filter_organisation(self, qs, name, value):
        org = Organisation.objects.filter(code=value).first()
        if org is None:
            raise serializers.ValidationError(
                {"organisation": [_bi(f"không có tổ chức '{value}'", f"unknown organisation '{value}'")]}
            )
        subtree = Organisation.objects.filter(path__startswith=org.path).order_by().values("pk")
        return qs.filter(organisation_id__in=subtree)

    def filter_q(self, qs, name, value):
        words = unidecode(value).lower().split()
        q = Q()
        for w in words:
            q &= Q(search_text__contains=w)
        return qs.filter(q)

    def filter_submitted_month(self, qs, name, value):
        m = MONTH_RE.match(value or "")
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise serializers.ValidationError(
                {"submitted_month": [_bi("tháng phải có dạng YYYY-MM", "month must be YYYY-MM")]}
            )
        year, month = int(m.group(1)), int(m.group(2))
        tz = timezone.get_current_timezone()
        start = datetime.datetime(year, month, 1, tzinfo=tz)
        end = datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
        return qs.filter(submitted_at__gte=start, submitted_at__lt=end)


class ActionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class VoteSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["approve", "return", "reject", "certify", "nominate"],
        error_messages={
            "required": _bi("cần quyết định (decision)", "decision is required"),
            "invalid_choice": _bi(
                "quyết định '{input}' không hợp lệ (approve, return, reject, certify, nominate)",
                "unknown decision '{input}' (approve, return, reject, certify, nominate)",
            ),
        },
    )
    score = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": _bi("điểm phải là số nguyên 0–100", "score must be an integer 0–100"),
            "min_value": _bi("điểm phải từ 0 đến 100", "score must be from 0 to 100"),
            "max_value": _bi("điểm phải từ 0 đến 100", "score must be from 0 to 100"),
        },
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_name")
    actor_display_name = serializers.CharField(source="shown_actor")  # hashed, as the pages show it
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    details = serializers.JSONField()
    hash = serializers.CharField()
    prev_hash = serializers.CharField()


def _action_table():
    from .actions import (
        initiative_close,
        initiative_forward,
        initiative_return,
        initiative_submit,
        initiative_withdraw,
        session_restart,
    )

    return {
        "submit": initiative_submit,
        "forward": initiative_forward,
        "return": initiative_return,
        "withdraw": initiative_withdraw,
        "close": initiative_close,
        "restart": session_restart,  # our addition: void a session's votes and vote again
    }


class LifecycleMixin:
    """The lifecycle endpoints of an initiative: actions, votes, history."""

    @extend_schema(request=ActionSerializer, responses={200: InitiativeSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]+)")
    def run_action(self, request, pk=None, name=None):
        table = _action_table()
        if name not in table:
            raise NotFound(
                _bi(
                    f"Không có thao tác '{name}' (submit, forward, return, withdraw, close, restart)",
                    f"No action '{name}' (submit, forward, return, withdraw, close, restart)",
                )
            )
        initiative = self.get_object()
        s = ActionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        initiative = table[name](initiative_id=initiative.pk, actor=request.user, comment=s.validated_data["comment"])
        return self._detail(initiative)

    @extend_schema(request=VoteSerializer, responses={201: dict})
    @action(detail=True, methods=["post"], url_path="votes")
    def votes(self, request, pk=None):
        from .actions import vote_cast

        initiative = self.get_object()
        s = VoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        receipt = vote_cast(initiative_id=initiative.pk, actor=request.user, **s.validated_data)
        return Response(receipt, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history")
    def history(self, request, pk=None):
        initiative = self.get_object()
        qs = AuditEntry.objects.filter(object_type="initiative", object_id=str(initiative.pk)).order_by("seq")
        page = self.paginate_queryset(qs)
        rows = HistoryEntrySerializer(page, many=True).data
        if not can_see_confidential(user=request.user, initiative=initiative):
            for row in rows:
                row["comment"] = ""
                row["details"] = {}
        return self.get_paginated_response(rows)


class TaskSerializer(InitiativeListSerializer):
    waiting_for = serializers.SerializerMethodField()

    class Meta(InitiativeListSerializer.Meta):
        fields = [*InitiativeListSerializer.Meta.fields, "council", "waiting_for", "available_actions"]

    def get_waiting_for(self, obj) -> list[str]:
        acts = self.get_available_actions(obj)
        return [a for a in acts if a != "edit"] or ["edit"]


class TaskListView(generics.ListAPIView):
    """This user's inbox: initiatives waiting for this user's action or vote."""

    serializer_class = TaskSerializer

    def get_queryset(self):
        return inbox(user=self.request.user)


class AuditVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField(help_text="entries checked")
    checkpoints_checked = serializers.IntegerField(help_text="signed checkpoints checked (database and file)")
    first_bad = serializers.IntegerField(
        required=False, allow_null=True, help_text="id of the first bad entry; null when it was removed"
    )
    first_bad_seq = serializers.IntegerField(required=False, allow_null=True)
    code = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


class AuditVerifyView(APIView):
    """Recompute the hash chain: ``{"ok": true, "checked": N, "checkpoints_checked": M}`` or the
    first bad entry. Compares the chain with its head and with every signed checkpoint."""

    @extend_schema(
        parameters=[OpenApiParameter("organisation", str, description="verify only this subtree")],
        responses={200: AuditVerifySerializer},
    )
    def get(self, request):
        code = request.query_params.get("organisation")
        scope = ""
        if code:
            org = Organisation.objects.filter(code=code).first()
            if org is None:
                raise serializers.ValidationError(
                    {"organisation": [_bi(f"không có tổ chức '{code}'", f"unknown organisation '{code}'")]}
                )
            if not (
                request.user.has_perm("councils.audit_in", org) or request.user.has_perm("councils.administer", org)
            ):
                raise PermissionDenied(
                    _bi(
                        "Chỉ kiểm tra hoặc quản trị của tổ chức được kiểm",
                        "Only the organisation's auditors or admins may verify",
                    )
                )
            scope = org.path
        elif not RoleAssignment.objects.filter(user=request.user, role__in=[Role.AUDITOR, Role.ADMIN]).exists():
            raise PermissionDenied(
                _bi("Chỉ kiểm tra hoặc quản trị được kiểm chuỗi", "Only auditors or admins may verify the trail")
            )
        return Response(audit_verify(scope_path=scope).as_dict())


class AuditCheckpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="the last entry covered")
    hash = serializers.CharField(help_text="that entry's hash: the chain's head at seq")
    at = serializers.DateTimeField(help_text="when it was signed")
    signature = serializers.CharField(help_text="Ed25519, base64")
    key_id = serializers.CharField(help_text="first 8 bytes of sha256 of the raw public key, hex")
    scopes = serializers.DictField(
        child=serializers.ListField(), help_text="each scope's head: {scope_key: [scope_seq, hash]}"
    )


class AuditCheckpointView(generics.ListCreateAPIView):
    """Signed checkpoints of the trail, newest first; POST signs the current head (200 with the
    newest checkpoint when nothing was appended since). Auditors and admins of any organisation."""

    serializer_class = AuditCheckpointSerializer

    def get_queryset(self):
        from audit.selectors import audit_checkpoints

        return audit_checkpoints()

    def list(self, request, *args, **kwargs):
        from .actions import can_oversee_trail

        if not can_oversee_trail(user=request.user):
            raise PermissionDenied(gettext("Chỉ người kiểm tra hoặc quản trị mới được xem các mốc kiểm toán"))
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={201: AuditCheckpointSerializer, 200: AuditCheckpointSerializer})
    def post(self, request, *args, **kwargs):
        from .actions import trail_checkpoint_create

        checkpoint, created = trail_checkpoint_create(actor=request.user)
        return Response(
            AuditCheckpointSerializer(checkpoint).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class InitiativeViewSet(
    LifecycleMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = InitiativeFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return initiative_list(user=self.request.user).order_by("-id")

    def get_serializer_class(self):
        if self.action == "list":
            return InitiativeListSerializer
        return InitiativeSerializer

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
            return initiative_get_visible(user=self.request.user, pk=pk)
        except (ValueError, Initiative.DoesNotExist):
            raise NotFound("Không tìm thấy sáng kiến / Initiative not found.") from None

    def _detail(self, initiative, status_code=status.HTTP_200_OK):
        initiative = Initiative.objects.select_related("organisation", "council").get(pk=initiative.pk)
        data = InitiativeSerializer(initiative, context={"request": self.request, "detail": True}).data
        return Response(data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(request=InitiativeWriteSerializer, responses={201: InitiativeSerializer})
    def create(self, request, *args, **kwargs):
        s = InitiativeWriteSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data.pop("version", None)
        initiative = initiative_create(actor=request.user, **data)
        return self._detail(initiative, status.HTTP_201_CREATED)

    @extend_schema(request=InitiativeUpdateSerializer, responses={200: InitiativeSerializer})
    def partial_update(self, request, *args, **kwargs):
        initiative = self.get_object()
        s = InitiativeUpdateSerializer(data=request.data, context={"request": request}, partial=True)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        initiative = initiative_update(actor=request.user, initiative_id=initiative.pk, **data)
        return self._detail(initiative)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return self.partial_update(request, *args, **kwargs)
