"""REST API for initiatives (API.md §2). Views call actions; they never change state themselves."""

import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.fields import SkipField, empty
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditEntry
from audit.selectors import audit_verify
from config.params import MONTH_PATTERN, month_after, parse_month, parse_search
from config.xlsx import FORMULA_START
from councils.models import Organisation, Role, RoleAssignment
from initiatives.actions import initiative_create, initiative_update
from initiatives.models import Category, Consent, Initiative, State
from initiatives.search import highlight, ranked, search_filter
from initiatives.search_api import SearchPagination

from .selectors import (
    available_actions,
    can_see_confidential,
    content_visible_q,
    initiative_get_visible,
    initiative_list,
    possible_duplicates,
    search_scope,
    with_content_visible,
)


@extend_schema_field(OpenApiTypes.ANY)
class RawField(serializers.Field):
    """A JSON value passed on as it came: the actions' rules (``initiatives.rules``) judge it, so the
    API, the pages, the import and any direct caller share one set of checks and messages."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        # ``required`` documents the field in the schema; a missing one is the rules' to report
        if data is empty:
            raise SkipField()
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.STR)
class RawText(RawField):
    pass


@extend_schema_field(serializers.ChoiceField(choices=Category.choices))  # the same enum everywhere
class RawCategory(RawField):
    pass


@extend_schema_field(OpenApiTypes.INT)
class RawInteger(RawField):
    pass


@extend_schema_field({"type": "number", "format": "decimal", "minimum": 0.01, "maximum": 100})
class RawShare(RawField):
    pass


@extend_schema_field(OpenApiTypes.DATE)
class RawDate(RawField):
    pass


@extend_schema_field(OpenApiTypes.BOOL)
class RawBool(RawField):
    pass


class AuthorSerializer(serializers.Serializer):
    """One author: ``username`` (an active account) or ``full_name`` (someone without one), and a
    ``share_percent`` (> 0, two decimals at most; the shares sum to 100)."""

    username = RawText()
    full_name = RawText(help_text="≤ 200 characters")
    share_percent = RawShare(required=True)


@extend_schema_field(AuthorSerializer(many=True))
class RawAuthors(RawField):
    pass


class InitiativeWriteSerializer(serializers.Serializer):
    """Parses the body only; every rule (lengths, category, unit, authors and shares, benefit,
    dates) is the action's (``initiatives.rules``), and its 400 names each bad field."""

    title = RawText(help_text="10–300 characters", required=True)
    summary = RawText(help_text="≤ 5,000 characters")
    problem = RawText(help_text="≤ 20,000 characters")
    solution = RawText(help_text="≤ 20,000 characters")
    category = RawCategory(required=True)
    organisation = RawText(
        help_text="the code of a grassroots unit you belong to, hold a role on or advise", required=True
    )
    authors = RawAuthors(help_text="1–50 authors; shares sum to 100", required=True)
    benefit_value_vnd = RawInteger(help_text="integer, 0 ≤ value ≤ 10^15 (estimated first-year benefit, VND)")
    applied_since = RawDate(
        help_text="YYYY-MM-DD, not in the future, within the counting window of the draft's programme"
    )
    confidential = RawBool()
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Nội dung phải là một đối tượng JSON")]}, code="not_an_object"
            )
        return {k: v for k, v in super().to_internal_value(data).items() if k in data}


class InitiativeUpdateSerializer(InitiativeWriteSerializer):
    def get_fields(self):
        fields = super().get_fields()
        fields.pop("organisation")
        for field in fields.values():
            field.required = False
        return fields


class AuthorDetailSerializer(serializers.Serializer):
    username = serializers.CharField(allow_null=True)
    full_name = serializers.CharField()
    share_percent = serializers.FloatField()
    consent = serializers.ChoiceField(
        choices=Consent.choices,
        help_text="pending (named by someone else, not yet answered; a member or substitute of a council on the "
        "dossier's route who is pending holds the forward, 409 coauthor_pending) · confirmed · declined (the "
        "dossier cannot be submitted or forwarded, 409 coauthor_declined) · not_required (no account, or from a "
        "register). Every listed author with an account is recused from the councils' vote, declined or not",
    )


@extend_schema_field({"type": "string", "enum": ["confirm", "decline"]})
class RawDecision(RawField):
    pass


class DuplicateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(
        help_text='the title, or "a dossier of unit X" / "a confidential dossier of unit X" for one you may not open'
    )
    organisation = serializers.CharField(help_text="the unit's code")
    similarity = serializers.FloatField()


class AuthorshipSerializer(serializers.Serializer):
    """A named author's answer; the action judges it."""

    decision = RawDecision(required=True)
    comment = RawText(help_text="optional, ≤ 2,000 characters")


class InitiativeSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.code")
    organisation_name = serializers.CharField(source="organisation.name")
    authors = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    possible_duplicates = serializers.SerializerMethodField()
    awards = serializers.SerializerMethodField()
    council = serializers.SerializerMethodField()
    assessed_by = serializers.SerializerMethodField(
        help_text="the council whose assessment assessed_benefit_vnd is (the latest that gave one)"
    )

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
            "assessed_benefit_vnd",
            "assessed_by",
            "assessed_at",
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

    @extend_schema_field(AuthorDetailSerializer(many=True))
    def get_authors(self, obj):
        return [
            {
                "username": a.user.username if a.user else None,
                "full_name": a.full_name,
                "share_percent": float(a.share_percent),
                "consent": a.consent,
            }
            for a in obj.authors.select_related("user")
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, obj):
        # computed once per row: the task list asks for it twice (available_actions, waiting_for)
        if not hasattr(obj, "_available_actions"):
            obj._available_actions = available_actions(user=self.context["request"].user, initiative=obj)
        return obj._available_actions

    @extend_schema_field(DuplicateSerializer(many=True))
    def get_possible_duplicates(self, obj):
        if not self.context.get("detail"):
            return []
        return possible_duplicates(initiative=obj, user=self.context["request"].user)

    def get_awards(self, obj) -> list[dict]:
        from awards.selectors import awards_for

        return awards_for(initiative=obj)

    def get_council(self, obj) -> str | None:
        return obj.council.code if obj.council_id else None

    def get_assessed_by(self, obj) -> str | None:
        return obj.assessed_by.code if obj.assessed_by_id else None

    def to_representation(self, obj):
        data = super().to_representation(obj)
        visible = getattr(obj, "content_visible", None)  # lists annotate it (``with_content_visible``)
        if visible is None:
            visible = can_see_confidential(user=self.context["request"].user, initiative=obj)
        if not visible:
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
            "assessed_benefit_vnd",
            "confidential",
            "state",
            "version",
            "due_at",
            "submitted_at",
            "recognised_at",
        ]

    def to_representation(self, obj):
        # with ``q``: the title and summary with the words found in <mark> (escaped HTML), and the
        # rank — both public fields, so shown for every listed dossier
        data = super().to_representation(obj)
        words = self.context.get("search_words")
        if words:
            data["highlight"] = {"title": highlight(obj.title, words), "summary": highlight(obj.summary, words)}
            data["rank"] = round(float(getattr(obj, "search_rank", 0) or 0), 4)
        return data


# an organisation filter of at most this many organisations (a unit, a corporation) is sent as their
# ids; a wider subtree stays a subquery
SUBTREE_AS_VALUES = 200


class InitiativeFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=State.choices)
    category = filters.ChoiceFilter(choices=Category.choices, method="filter_category")
    organisation = filters.CharFilter(method="filter_organisation")
    submitted_month = filters.CharFilter(method="filter_submitted_month", help_text="YYYY-MM (years 1900–2999)")
    q = filters.CharFilter(method="filter_q")  # last: it bounds what the others let through

    class Meta:
        model = Initiative
        fields = ["state", "category"]

    def filter_organisation(self, qs, name, value):
        org = Organisation.objects.filter(code=value).first()
        if org is None:
            raise serializers.ValidationError({"organisation": [_("không có tổ chức '%(value)s'") % {"value": value}]})
        subtree = Organisation.objects.filter(path__startswith=org.path).order_by().values_list("pk", flat=True)
        few = list(subtree[: SUBTREE_AS_VALUES + 1])
        if len(few) <= SUBTREE_AS_VALUES:  # as values, the planner sees how few: their own index ranges
            return qs.filter(organisation_id__in=few)
        return qs.filter(organisation_id__in=subtree)

    def filter_category(self, qs, name, value):
        # the category of a confidential dossier is hidden from some who see it: a filter on it
        # must not tell them (it skips the confidential dossiers they may not open)
        return qs.filter(category=value).filter(content_visible_q(user=self.request.user))

    def filter_q(self, qs, name, value):
        # every word begins a word of the title or summary, accents optional; best first unless
        # an ``order`` is asked (``initiatives.search``)
        words = parse_search(value, "q")
        qs = search_filter(
            qs,
            words,
            scope=search_scope(user=self.request.user, parts=getattr(qs.query, "search_scope_parts", None))
            if words
            else None,
        )
        if words and not self.request.GET.get("order"):
            qs = ranked(qs)
        return qs

    def filter_submitted_month(self, qs, name, value):
        first = parse_month(value, "submitted_month")
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(month_after(first), datetime.time.min, tzinfo=tz)
        return qs.filter(submitted_at__gte=start, submitted_at__lt=end)


class ActionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    fields = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=20,
        help_text="return only: the parts to fix — title, summary, problem, solution, category, "
        "benefit_value_vnd, applied_since, authors, attachments",
    )
    assessed_benefit_vnd = RawInteger(
        help_text="close only, optional: the council's assessed yearly benefit (integer, 0 ≤ value ≤ 10^15 VND); "
        "without it the median of the members' estimates, if any"
    )


class VoteSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["approve", "return", "reject", "certify", "nominate"],
        error_messages={
            "required": _("cần quyết định (decision)"),
            "invalid_choice": _("quyết định '{input}' không hợp lệ (approve, return, reject, certify, nominate)"),
        },
    )
    score = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=100,
        error_messages={
            "invalid": _("điểm phải là số nguyên 0–100"),
            "min_value": _("điểm phải từ 0 đến 100"),
            "max_value": _("điểm phải từ 0 đến 100"),
        },
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000, default="")
    assessed_benefit_vnd = RawInteger(
        help_text="optional: this member's estimate of the yearly benefit (integer, 0 ≤ value ≤ 10^15 VND); "
        "sealed with the vote on a secret ballot"
    )


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField(allow_null=True)
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
    def run_action(self, request, pk=None, name=None, format=None):
        table = _action_table()
        if name not in table:
            raise NotFound(
                _("Không có thao tác '%(name)s' (submit, forward, return, withdraw, close, restart)") % {"name": name}
            )
        initiative = self.get_object()
        s = ActionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        extra = {}
        if "fields" in s.validated_data:
            if name != "return":
                raise serializers.ValidationError({"fields": [_("Chỉ dùng khi trả lại hồ sơ (return)")]})
            extra["fields"] = s.validated_data["fields"]
        if "assessed_benefit_vnd" in s.validated_data:
            if name != "close":
                raise serializers.ValidationError(
                    {"assessed_benefit_vnd": [_("Chỉ dùng khi kết thúc phiên xét (close)")]}
                )
            extra["assessed_benefit_vnd"] = s.validated_data["assessed_benefit_vnd"]
        initiative = table[name](
            initiative_id=initiative.pk, actor=request.user, comment=s.validated_data["comment"], **extra
        )
        return self._detail(initiative)

    @extend_schema(request=VoteSerializer, responses={201: dict})
    @action(detail=True, methods=["post"], url_path="votes")
    def votes(self, request, pk=None, format=None):
        from .actions import vote_cast

        initiative = self.get_object()
        s = VoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        receipt = vote_cast(initiative_id=initiative.pk, actor=request.user, **s.validated_data)
        return Response(receipt, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AuthorshipSerializer,
        responses={200: InitiativeSerializer},
        description="A person named as an author confirms or declines it (audited as authorship_confirm / "
        "authorship_decline). Only for themselves (403 otherwise), before the dossier is finished (409). While a "
        "named author has declined, submit and forward answer 409 coauthor_declined; removing them from the "
        "authors in a draft edit lifts it. While a named author who sits on a council of the dossier's route has "
        "not answered, forward (and a close that sends the dossier to another council) answers 409 "
        "coauthor_pending.",
    )
    @action(detail=True, methods=["post"], url_path="authorship")
    def authorship(self, request, pk=None, format=None):
        from initiatives.actions import authorship_decide

        initiative = self.get_object()
        s = AuthorshipSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        initiative = authorship_decide(
            initiative_id=initiative.pk,
            actor=request.user,
            decision=s.validated_data.get("decision"),
            comment=s.validated_data.get("comment") or "",
        )
        return self._detail(initiative)

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="history")
    def history(self, request, pk=None, format=None):
        initiative = self.get_object()
        qs = AuditEntry.objects.filter(object_type="initiative", object_id=str(initiative.pk)).order_by("seq")
        page = self.paginate_queryset(qs)
        rows = HistoryEntrySerializer(page, many=True).data
        if not can_see_confidential(user=request.user, initiative=initiative):
            # who created, submitted, confirmed authorship … would name the authors: no actors either.
            # Nor the hashes: the hash covers the actor, so trying each person's name against a
            # hashed entry whose other fields are shown would reveal who acted (the author); nor
            # the global sequence number, which places the entry among others'.
            for row in rows:
                row["actor"] = ""
                row["actor_display_name"] = ""
                row["comment"] = ""
                row["details"] = {}
                row["hash"] = ""
                row["prev_hash"] = ""
                row["seq"] = None
        return self.get_paginated_response(rows)


class TaskSerializer(InitiativeListSerializer):
    waiting_for = serializers.SerializerMethodField()

    class Meta(InitiativeListSerializer.Meta):
        fields = [*InitiativeListSerializer.Meta.fields, "council", "waiting_for", "available_actions"]

    def get_waiting_for(self, obj) -> list[str]:
        acts = self.get_available_actions(obj)
        return [a for a in acts if a != "edit"] or ["edit"]


def _queue(request, qs, *, names, default_order):
    """The work queue's filters (``workflow.queue``, shared with the pages) applied to ``qs``; 400
    naming each bad one."""
    from .queue import queue_apply, queue_filters

    params = {name: request.query_params.get(name) for name in names}
    try:
        filters = queue_filters(params, default_order=default_order)
    except DjangoValidationError as e:
        raise serializers.ValidationError(e.message_dict) from None
    return queue_apply(qs, filters)


QUEUE_PARAMETERS = [
    OpenApiParameter(
        "due",
        OpenApiTypes.STR,
        enum=["overdue", "soon", "none"],
        description="overdue, due within 7 days, or without a due date",
    ),
    OpenApiParameter("waiting_days", OpenApiTypes.INT, description="submitted at least this many days ago"),
    OpenApiParameter("order", OpenApiTypes.STR, enum=["due", "waiting", "newest", "oldest"]),
]


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.STR, description="a unit code: its whole subtree"),
            OpenApiParameter("state", OpenApiTypes.STR, enum=list(State.values)),
            *QUEUE_PARAMETERS,
        ]
    )
)
class TaskListView(generics.ListAPIView):
    """This user's inbox: initiatives waiting for this user's action or vote; soonest due first
    unless ``order`` says otherwise."""

    serializer_class = TaskSerializer

    def get_queryset(self):
        from .queue import QUEUE_FILTER_NAMES

        if getattr(self, "swagger_fake_view", False):
            return Initiative.objects.none()
        from .queue import queue_filters
        from .selectors import inbox_rows

        params = {name: self.request.query_params.get(name) for name in QUEUE_FILTER_NAMES}
        try:
            filters = queue_filters(params, default_order="due")
        except DjangoValidationError as e:
            raise serializers.ValidationError(e.message_dict) from None
        # a page of the open-work rows in due order, or the dossiers filtered (``inbox_rows``)
        return inbox_rows(user=self.request.user, filters=filters)

    def paginate_queryset(self, queryset):
        from .selectors import prime_available_actions

        page = super().paginate_queryset(queryset)
        if page is not None:  # each row's actions from a few queries for the whole page
            prime_available_actions(user=self.request.user, initiatives=page)
        return page


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
                raise serializers.ValidationError({"organisation": [_("không có tổ chức '%(code)s'") % {"code": code}]})
            if not (
                request.user.has_perm("councils.audit_in", org) or request.user.has_perm("councils.administer", org)
            ):
                raise PermissionDenied(_("Chỉ kiểm tra hoặc quản trị của tổ chức được kiểm"))
            scope = org.path
        elif not RoleAssignment.objects.filter(user=request.user, role__in=[Role.AUDITOR, Role.ADMIN]).exists():
            raise PermissionDenied(_("Chỉ kiểm tra hoặc quản trị được kiểm chuỗi"))
        return Response(audit_verify(scope_path=scope).as_dict())


class AuditCheckpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="the highest entry number covered")
    hash = serializers.CharField(
        help_text="version 2: the Merkle root over every chain's head (RFC 6962); version 1: the hash of "
        "entry seq, the global chain's head"
    )
    at = serializers.DateTimeField(help_text="when it was signed")
    signature = serializers.CharField(help_text="Ed25519, base64")
    key_id = serializers.CharField(help_text="first 8 bytes of sha256 of the raw public key, hex")
    scopes = serializers.DictField(
        child=serializers.ListField(),
        help_text="each chain's head: {scope_key: [n, hash, seq]} (version 1: {scope_key: [scope_seq, hash]})",
    )
    version = serializers.IntegerField(help_text="1: one global chain (before issue 12); 2: a chain per scope")
    tree_size = serializers.IntegerField(allow_null=True, help_text="version 2: the Merkle tree's leaves")
    legacy = serializers.ListField(help_text="version 2: [seq, hash], where the closed global chain ends")


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


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "submitted_month", OpenApiTypes.STR, description="YYYY-MM (years 1900–2999)", pattern=MONTH_PATTERN
            ),
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description="words of the title and summary, accents optional; at most 10 words and 100 characters "
                "(400 otherwise)",
            ),
            *QUEUE_PARAMETERS,
        ]
    )
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
    pagination_class = SearchPagination  # q=: count_exact
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        listing = self.action == "list" and not getattr(self, "swagger_fake_view", False)
        qs = with_content_visible(initiative_list(user=self.request.user, for_list=listing), user=self.request.user)
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return qs.order_by("-id")
        # state and organisation are the filter set's; due, waiting days and order the work queue's
        return _queue(self.request, qs, names=("due", "waiting_days", "order"), default_order="newest")

    def get_serializer_class(self):
        if self.action == "list":
            return InitiativeListSerializer
        return InitiativeSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "list" and self.request.GET.get("q"):
            try:
                context["search_words"] = parse_search(self.request.GET["q"], "q")
            except DjangoValidationError:
                pass  # the filter answered 400 already
        return context

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
            return initiative_get_visible(user=self.request.user, pk=pk)
        except (ValueError, Initiative.DoesNotExist):
            raise NotFound(_("Không tìm thấy sáng kiến.")) from None

    def _detail(self, initiative, status_code=status.HTTP_200_OK, *, fresh: bool = True):
        if fresh:  # after a write: the row as it is now
            initiative = Initiative.objects.select_related("organisation", "council", "assessed_by").get(
                pk=initiative.pk
            )
        data = InitiativeSerializer(initiative, context={"request": self.request, "detail": True}).data
        return Response(data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        try:  # the visible row with all the detail shows, read once
            pk = int(self.kwargs["pk"])
            initiative = initiative_list(user=request.user).select_related("assessed_by").get(pk=pk)
        except (ValueError, Initiative.DoesNotExist):
            raise NotFound(_("Không tìm thấy sáng kiến.")) from None
        return self._detail(initiative, fresh=False)

    @extend_schema(request=InitiativeWriteSerializer, responses={201: InitiativeSerializer})
    def create(self, request, *args, **kwargs):
        s = InitiativeWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data.pop("version", None)
        initiative = initiative_create(actor=request.user, **data)
        return self._detail(initiative, status.HTTP_201_CREATED)

    @extend_schema(request=InitiativeUpdateSerializer, responses={200: InitiativeSerializer})
    def partial_update(self, request, *args, **kwargs):
        initiative = self.get_object()
        s = InitiativeUpdateSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        initiative = initiative_update(actor=request.user, initiative_id=initiative.pk, **data)
        return self._detail(initiative)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        return self.partial_update(request, *args, **kwargs)


# --- the trail across dossiers: auditors ----------------------------------------------------------


class TrailEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_name")
    actor_display_name = serializers.CharField(source="shown_actor")
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    organisation = serializers.SerializerMethodField(help_text="code of the organisation the entry belongs to")
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    details = serializers.JSONField()
    hash = serializers.CharField()
    prev_hash = serializers.CharField()

    def get_organisation(self, obj) -> str | None:
        return self.context["codes"].get(obj.scope_path)


TRAIL_PARAMETERS = [
    OpenApiParameter("organisation", OpenApiTypes.STR, description="code: only this organisation's subtree"),
    OpenApiParameter("initiative", OpenApiTypes.INT, description="only this dossier's entries"),
    OpenApiParameter("actor", OpenApiTypes.STR, description="username of who acted"),
    OpenApiParameter("action", OpenApiTypes.STR, description="e.g. submit, close, vote, set_password"),
    OpenApiParameter("since", OpenApiTypes.DATE, description="YYYY-MM-DD, from this day on"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="YYYY-MM-DD, up to and including this day"),
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description="words of the comment, the actor's username or the action, accents optional; at most 10 words "
        "and 100 characters (400 otherwise)",
    ),
]


def _trail_filters(request) -> dict:
    """Parse the trail's filters (``workflow.trail``, shared with the page); 400 naming each bad one,
    403 for an organisation outside reach."""
    from .trail import trail_filters

    try:
        return trail_filters(request.query_params, user=request.user)
    except DjangoValidationError as e:
        raise serializers.ValidationError(e.message_dict) from None


def _organisation_codes(entries) -> dict[str, str]:
    paths = {e.scope_path for e in entries if e.scope_path}
    return dict(Organisation.objects.filter(path__in=paths).values_list("path", "code"))


class TrailPagination(CursorPagination):
    """The trail grows past tens of millions of entries: a cursor on ``seq``, never a count."""

    ordering = "seq"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class TrailEntryListView(generics.ListAPIView):
    """The trail of the subtrees the caller audits or administers, across dossiers, oldest first
    (a cursor: follow ``next``). Auditors and admins only; a superuser reads all of it."""

    serializer_class = TrailEntrySerializer
    pagination_class = TrailPagination

    def get_queryset(self):
        from .selectors import trail_entries

        if getattr(self, "swagger_fake_view", False):  # the schema generator asks with nobody signed in
            return AuditEntry.objects.none()
        return trail_entries(user=self.request.user, **_trail_filters(self.request))

    def get_serializer(self, *args, **kwargs):
        if args:
            kwargs.setdefault("context", self.get_serializer_context())["codes"] = _organisation_codes(args[0])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(parameters=TRAIL_PARAMETERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


TRAIL_CSV_COLUMNS = [
    "seq",
    "at",
    "actor",
    "actor_display_name",
    "action",
    "object_type",
    "object_id",
    "organisation",
    "from_state",
    "to_state",
    "version",
    "comment",
    "details",
    "hash",
    "prev_hash",
]


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text  # never a formula in a spreadsheet


class _CsvRenderer(BaseRenderer):
    """Lets a client ask for ``text/csv``; an error (400, 403) is then its JSON, as text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        import json

        return json.dumps(data, ensure_ascii=False).encode()


class TrailEntryCsvView(APIView):
    """The same entries and filters as ``/audit/entries/``, as one CSV file (UTF-8 with BOM for
    spreadsheets), streamed in chunks: any size of trail, constant memory."""

    renderer_classes = [JSONRenderer, _CsvRenderer]

    @extend_schema(parameters=TRAIL_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request):
        import csv
        import json

        from django.http import StreamingHttpResponse

        from .selectors import trail_entries

        entries = trail_entries(user=request.user, **_trail_filters(request))
        writer = csv.writer(_Echo())

        def rows():
            yield "\ufeff" + writer.writerow(TRAIL_CSV_COLUMNS)
            chunk = []
            for entry in entries.iterator(chunk_size=2000):
                chunk.append(entry)
                if len(chunk) == 2000:
                    yield from _csv_rows(writer, chunk, json)
                    chunk = []
            yield from _csv_rows(writer, chunk, json)

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit-entries.csv"'
        return response


def _csv_rows(writer, chunk, json):
    codes = _organisation_codes(chunk)
    for e in chunk:
        values = {
            "seq": e.seq,
            "at": e.at.isoformat(),
            "actor": e.actor_name,
            "actor_display_name": e.shown_actor,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "organisation": codes.get(e.scope_path, ""),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "version": e.version,
            "comment": e.comment,
            "details": json.dumps(e.details, ensure_ascii=False, sort_keys=True),
            "hash": e.hash,
            "prev_hash": e.prev_hash,
        }
        yield writer.writerow([_csv_cell(values[c]) for c in TRAIL_CSV_COLUMNS])
