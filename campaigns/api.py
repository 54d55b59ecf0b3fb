"""REST API of campaigns (API.md §2, second round): ``POST /campaigns/``, ``GET /campaigns/{cid}/``,
plus ``GET /campaigns/`` (the list), ``GET /campaigns/audience/`` (how many a campaign would reach
now) and ``GET /campaigns/reach/`` (the reach of all campaigns over an organisation)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination
from councils.models import Organisation

from .actions import campaign_create
from .models import Audience, Campaign
from .selectors import (
    audience_count,
    campaign_get_visible,
    campaign_joined,
    campaign_list,
    campaign_progress,
    campaign_reach,
)


def _organisation(code, field: str = "organisation") -> Organisation:
    if not isinstance(code, str) or not code.strip():
        raise serializers.ValidationError({field: [_("cần mã tổ chức")]})
    org = Organisation.objects.filter(code=code.strip()[:40]).first()
    if org is None:
        raise serializers.ValidationError({field: [_("không có tổ chức '%(code)s'") % {"code": code[:40]}]})
    return org


class CampaignWriteSerializer(serializers.Serializer):
    organisation = serializers.CharField(help_text="the code of an organisation you are an officer of")
    subject = serializers.CharField(help_text="one line, ≤ 200 characters")
    message = serializers.CharField(help_text="≤ 10,000 characters")
    audience = serializers.ChoiceField(choices=Audience.choices)


class CampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField()
    organisation_name = serializers.CharField()
    programme = serializers.CharField(allow_null=True)
    subject = serializers.CharField()
    message = serializers.CharField()
    audience = serializers.CharField()
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    recipients = serializers.IntegerField(help_text="people the campaign writes to, fixed at its creation")
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="not yet sent")
    percent_done = serializers.FloatField()
    state = serializers.CharField(help_text="sending (mails still waiting) · done (each recipient sent or failed)")
    joined = serializers.IntegerField(help_text="recipients who became authors of an initiative after their mail")


def campaign_data(campaign: Campaign, *, with_joined: bool = True) -> dict:
    data = {
        "id": campaign.pk,
        "organisation": campaign.organisation.code,
        "organisation_name": campaign.organisation.name,
        "programme": campaign.programme.code if campaign.programme_id else None,
        "subject": campaign.subject,
        "message": campaign.message,
        "audience": campaign.audience,
        "created_by": campaign.created_by.display_name,
        "created_at": serializers.DateTimeField().to_representation(campaign.created_at),
        "finished_at": serializers.DateTimeField().to_representation(campaign.finished_at)
        if campaign.finished_at
        else None,
        **campaign_progress(campaign),
    }
    if with_joined:
        data["joined"] = campaign_joined(campaign)
    return data


class CampaignListCreate(generics.GenericAPIView):
    """GET: the campaigns you sent or that your officer, auditor or admin roles cover, newest first.
    POST: an officer of the organisation writes to everyone with an account in its subtree who has
    no initiative in the current programme yet (``audience`` ``without_initiative``); the recipients
    are fixed now and mailed in batches; audited."""

    serializer_class = CampaignSerializer
    pagination_class = Pagination
    queryset = Campaign.objects.none()

    @extend_schema(operation_id="v1_campaigns_list", responses=CampaignSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(campaign_list(user=request.user))
        return self.get_paginated_response([campaign_data(c) for c in page])

    @extend_schema(
        operation_id="v1_campaigns_create", request=CampaignWriteSerializer, responses={201: CampaignSerializer}
    )
    def post(self, request):
        data = request.data
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Nội dung phải là một đối tượng JSON")]})
        organisation = _organisation(data.get("organisation"))
        campaign = campaign_create(
            actor=request.user,
            organisation=organisation,
            subject=data.get("subject"),
            message=data.get("message"),
            audience=data.get("audience"),
        )
        campaign.refresh_from_db()  # eager batches may have finished it
        return Response(campaign_data(campaign), status=status.HTTP_201_CREATED)


class CampaignDetail(generics.GenericAPIView):
    """One campaign with its progress: ``recipients``, ``sent``, ``failed``, ``state`` (``sending``
    · ``done``), and how many recipients joined since. 404 for who may not read it."""

    serializer_class = CampaignSerializer
    queryset = Campaign.objects.none()

    @extend_schema(operation_id="v1_campaigns_retrieve")
    def get(self, request, pk):
        return Response(campaign_data(campaign_get_visible(user=request.user, pk=pk)))


def _overseen(request, organisation) -> None:
    user = request.user
    if not any(
        user.has_perm(p, organisation) for p in ("councils.act_as_officer", "councils.audit_in", "councils.administer")
    ):
        raise PermissionDenied(_("Bạn không có vai trò trên tổ chức này."))


class CampaignAudience(APIView):
    """How many people a campaign over ``organisation`` would write to now (its officers)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.STR, required=True),
            OpenApiParameter("audience", OpenApiTypes.STR, enum=Audience.values),
        ],
        responses=inline_serializer(
            "CampaignAudience",
            {
                "organisation": serializers.CharField(),
                "audience": serializers.CharField(),
                "recipients": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request):
        organisation = _organisation(request.query_params.get("organisation"))
        audience = request.query_params.get("audience") or Audience.WITHOUT_INITIATIVE
        if audience not in Audience.values:
            raise serializers.ValidationError(
                {
                    "audience": [
                        _("không có đối tượng '%(value)s' (%(choices)s)")
                        % {"value": audience[:40], "choices": ", ".join(Audience.values)}
                    ]
                }
            )
        if not request.user.has_perm("councils.act_as_officer", organisation):
            raise PermissionDenied(
                _("Chỉ cán bộ công đoàn của %(organisation)s mới được gửi thư vận động cho tổ chức này.")
                % {"organisation": organisation.name}
            )
        return Response(
            {
                "organisation": organisation.code,
                "audience": audience,
                "recipients": audience_count(organisation=organisation),
            }
        )


class CampaignReach(APIView):
    """The reach of the current programme's campaigns over the people of ``organisation``'s subtree:
    people reached (counted once), their share of the members (headcount), and how many of them
    became authors of an initiative afterwards. Officers, auditors and admins over it."""

    @extend_schema(
        parameters=[OpenApiParameter("organisation", OpenApiTypes.STR, required=True)],
        responses=inline_serializer(
            "CampaignReach",
            {
                "organisation": serializers.CharField(),
                "programme": serializers.CharField(allow_null=True),
                "campaigns": serializers.IntegerField(),
                "mails_sent": serializers.IntegerField(),
                "mails_failed": serializers.IntegerField(),
                "reached": serializers.IntegerField(),
                "members": serializers.IntegerField(),
                "reached_percent": serializers.FloatField(allow_null=True),
                "joined": serializers.IntegerField(),
                "joined_percent": serializers.FloatField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        organisation = _organisation(request.query_params.get("organisation"))
        _overseen(request, organisation)
        return Response(campaign_reach(organisation=organisation))
