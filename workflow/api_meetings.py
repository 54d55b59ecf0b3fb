"""REST API for council meetings (API.md, issue 10): schedule and list a council's meetings, one
meeting with its agenda, attendance, the close and the minutes as a PDF. Views parse and call the
actions of ``workflow.meetings``; what each person sees is ``workflow.meeting_selectors``'."""

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import Pagination
from councils.models import Council

from .api import RawDate, RawText
from .meeting_selectors import council_get_for_meetings, council_meetings, meeting_detail, meeting_get_visible
from .meetings import meeting_attendance_set, meeting_close, meeting_schedule
from .models import CouncilMeeting

ID_MAX = 2**63 - 1


class MeetingWriteSerializer(serializers.Serializer):
    """The body; the action judges it (400 naming ``held_on``, ``place`` or ``initiatives``)."""

    held_on = RawDate(required=True, help_text="YYYY-MM-DD")
    place = RawText(required=True, help_text="≤ 255 characters")
    initiatives = serializers.ListField(
        child=serializers.IntegerField(),
        required=True,
        help_text="ids of dossiers before this council now (their open session is with it); 1–100, each once",
    )


class AttendanceWriteSerializer(serializers.Serializer):
    present = serializers.ListField(
        child=serializers.CharField(),
        help_text="usernames of the council's members and substitutes present (replaces the marked list; who "
        "voted on an item counts as present anyway)",
    )


class PresentSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    seat = serializers.CharField(help_text="chair · secretary · member · substitute")
    source = serializers.CharField(help_text="marked (by the chair or secretary) · voted (on an item)")


class AgendaItemSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    initiative = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField(
        help_text='the title, or "a (confidential) dossier of unit X" for a dossier you may not open'
    )
    confidential = serializers.BooleanField()
    title_visible = serializers.BooleanField()
    content_visible = serializers.BooleanField(help_text="false: no tally, votes or voters shown")
    organisation = serializers.CharField()
    state = serializers.CharField(help_text="the dossier's state now")
    session = serializers.IntegerField()
    ballot = serializers.CharField(help_text="open · secret (the session's)")
    quorum = serializers.IntegerField()
    status = serializers.CharField(help_text="pending · decided · decided_before (by its own close) · stayed_open")
    outcome = serializers.CharField(help_text="approve · return · reject · certify · nominate; empty while open")
    votes_cast = serializers.IntegerField()
    voters = serializers.ListField(
        child=serializers.CharField(), help_text="who voted (usernames), on an open ballot only"
    )
    tally = serializers.DictField(child=serializers.IntegerField(), help_text="{} before the item's close")
    votes = serializers.ListField(
        child=serializers.DictField(), help_text="after the close: each vote; with its voter only on an open ballot"
    )
    certificate = serializers.CharField(allow_null=True, help_text="the serial of a certificate the close issued")
    reason_code = serializers.CharField(help_text="why the item stayed open (e.g. quorum_not_reached)")
    reason = serializers.CharField(help_text="the reason in the request's language")


class MeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    council = serializers.CharField()
    council_name = serializers.CharField()
    organisation = serializers.CharField()
    held_on = serializers.DateField()
    place = serializers.CharField()
    state = serializers.CharField(help_text="scheduled · closed")
    scheduled_by = serializers.CharField()
    scheduled_at = serializers.DateTimeField()
    closed_by = serializers.CharField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    present = PresentSerializer(many=True)
    agenda = AgendaItemSerializer(many=True)
    minutes = serializers.DictField(
        allow_null=True,
        help_text="null until the close; then the meeting's minutes: held_on, place, present, items (reference, "
        "title, status, outcome, tally, votes, reason_code, reason, certificate), decided, stayed_open, closed_by, "
        "closed_at",
    )
    minutes_pdf = serializers.CharField(allow_null=True)
    available_actions = serializers.ListField(child=serializers.CharField(), help_text="attendance · close")


class MeetingSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    council = serializers.CharField(source="council.code")
    held_on = serializers.DateField()
    place = serializers.CharField()
    state = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    closed_at = serializers.DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_state(self, obj) -> str:
        return "closed" if obj.closed_at else "scheduled"

    def get_items(self, obj) -> int:
        return obj.items.count()

    def get_url(self, obj) -> str:
        return f"/api/v1/meetings/{obj.pk}/"


def _council(request, code: str) -> Council:
    try:
        return council_get_for_meetings(user=request.user, code=code)
    except Council.DoesNotExist:
        raise NotFound(_("Không tìm thấy hội đồng")) from None


def _meeting(request, mid: int) -> CouncilMeeting:
    try:
        if mid > ID_MAX:
            raise CouncilMeeting.DoesNotExist
        return meeting_get_visible(user=request.user, pk=mid)
    except CouncilMeeting.DoesNotExist:
        raise NotFound(_("Không tìm thấy cuộc họp")) from None


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("Nội dung phải là một đối tượng JSON")]})
    return request.data


def _detail(request, meeting, code=status.HTTP_200_OK):
    meeting = meeting_get_visible(user=request.user, pk=meeting.pk)
    return Response(MeetingSerializer(meeting_detail(user=request.user, meeting=meeting)).data, status=code)


class CouncilMeetingListView(APIView):
    """A council's meetings, newest first (GET), and scheduling one (POST, the chair or the secretary).
    404 for who may not see the council's meetings (its members and substitutes, officers, auditors
    and admins over its organisation)."""

    pagination_class = Pagination

    @extend_schema(responses={200: MeetingSummarySerializer(many=True)})
    def get(self, request, code: str):
        council = _council(request, code)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(council_meetings(council=council), request, view=self)
        return paginator.get_paginated_response(MeetingSummarySerializer(page, many=True).data)

    @extend_schema(
        request=MeetingWriteSerializer,
        responses={201: MeetingSerializer},
        description="Schedule a meeting: 403 for anyone but the chair or the secretary; 400 naming initiatives "
        "(and the id) for a dossier not before this council now, or already on an open meeting of it. The "
        "council's members and substitutes are notified.",
    )
    def post(self, request, code: str):
        council = _council(request, code)
        data = _body(request)
        meeting = meeting_schedule(
            council_id=council.pk,
            actor=request.user,
            held_on=data.get("held_on"),
            place=data.get("place"),
            initiatives=data.get("initiatives"),
        )
        return _detail(request, meeting, status.HTTP_201_CREATED)


class MeetingDetailView(APIView):
    @extend_schema(responses={200: MeetingSerializer})
    def get(self, request, mid: int):
        return _detail(request, _meeting(request, mid))


class MeetingAttendanceView(APIView):
    @extend_schema(
        request=AttendanceWriteSerializer,
        responses={200: MeetingSerializer},
        description="The chair or the secretary records who is present (403 otherwise; 409 meeting_closed after "
        "the close; 400 naming present for someone who is neither a member nor a substitute of the council).",
    )
    def post(self, request, mid: int):
        meeting = _meeting(request, mid)
        meeting_attendance_set(meeting_id=meeting.pk, actor=request.user, present=_body(request).get("present"))
        return _detail(request, meeting)


class MeetingCloseView(APIView):
    @extend_schema(
        request=None,
        responses={200: MeetingSerializer},
        description="Close every item of the agenda that can be closed, each exactly as the dossier's own close "
        "(tally, outcome, quotas, certificates, audit, notifications), each in its own savepoint; items that "
        "cannot close stay open and are listed with reason_code and reason. Writes the meeting's minutes. 403 for "
        "anyone but the chair or the secretary; 409 meeting_closed when already closed.",
    )
    def post(self, request, mid: int):
        meeting = _meeting(request, mid)
        meeting_close(meeting_id=meeting.pk, actor=request.user)
        return _detail(request, meeting)


class MeetingMinutesPdfView(APIView):
    """The meeting's minutes as a printable A4 PDF (Vietnamese, letterhead, signature lines for the
    secretary and the chair). 409 ``meeting_open`` before the close."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, mid: int):
        from .documents import meeting_minutes_pdf

        meeting = _meeting(request, mid)
        if meeting.closed_at is None:
            return Response(
                {"detail": _("Cuộc họp chưa kết thúc nên chưa có biên bản"), "code": "meeting_open"},
                status=status.HTTP_409_CONFLICT,
            )
        with translation.override("vi"):  # a Vietnamese document, whatever the reader's language
            shown = meeting_detail(user=request.user, meeting=meeting)
        response = HttpResponse(meeting_minutes_pdf(meeting=meeting, shown=shown), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="bien-ban-hop-{meeting.council.code}-{meeting.pk}.pdf"'
        return response
