"""REST API for a dossier's files and its frozen versions (API.md §2, second round). Views parse and
call actions (``initiatives.actions.attachment_add`` / ``attachment_remove``); what may be seen is
``workflow.selectors``' rule for the dossier's whole content: a confidential dossier's files and
versions never leave its unit's councils, advisory team, authors and auditors (404 for everyone
else, as for a dossier one may not see)."""

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from initiatives.actions import attachment_add, attachment_remove, attachment_summary, current_attachments
from initiatives.models import Attachment, AttachmentKind, DossierVersion, Initiative
from initiatives.selectors import dossier_diff

from .selectors import attachment_get_visible, initiative_get_content_visible

ID_MAX = 2**63 - 1
KIND_HELP = "application · drawing · photo · evidence · other (default other)"


def _initiative(request, pk: int) -> Initiative:
    try:
        if pk > ID_MAX:
            raise Initiative.DoesNotExist
        return initiative_get_content_visible(user=request.user, pk=pk)
    except Initiative.DoesNotExist:
        raise NotFound(_("Không tìm thấy sáng kiến")) from None


def _download_url(attachment_id: int) -> str:
    return f"/api/v1/attachments/{attachment_id}/download/"


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="the original file name, made safe (and given the extension of its type)")
    size = serializers.IntegerField(help_text="bytes")
    sha256 = serializers.CharField(help_text="hex digest of the content")
    content_type = serializers.CharField(help_text="judged from the content, never from the name")
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    download = serializers.CharField(help_text="where to fetch the file")


class AttachmentUploadSerializer(serializers.Serializer):
    """The multipart body (for the schema); the action judges it."""

    file = serializers.FileField(help_text="PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS (by content); ≤ ATTACHMENT_MAX_MB")
    kind = serializers.ChoiceField(choices=AttachmentKind.choices, required=False, help_text=KIND_HELP)


class AttachmentRefusedSerializer(serializers.Serializer):
    file = serializers.ListField(child=serializers.CharField())
    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["file_type", "file_too_large", "too_many_files"])


def _attachment_data(a: Attachment) -> dict:
    return {**attachment_summary(a), "download": _download_url(a.pk)}


class AttachmentListView(APIView):
    """The files of the dossier as it stands (GET), and adding one to a draft (POST, multipart)."""

    @extend_schema(responses={200: AttachmentSerializer(many=True)})
    def get(self, request, pk):
        initiative = _initiative(request, pk)
        return Response([_attachment_data(a) for a in current_attachments(initiative)])

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 400: AttachmentRefusedSerializer},
        description="Only while the dossier is a draft (409 otherwise), by an author or the unit's advisory team "
        "(403 otherwise). 400 with code file_type (not one of the allowed types, judged by content), file_too_large "
        "(over ATTACHMENT_MAX_MB) or too_many_files (ATTACHMENT_MAX_FILES), naming the file.",
    )
    def post(self, request, pk):
        initiative = _initiative(request, pk)
        data = request.data if hasattr(request.data, "get") else {}
        files = request.FILES.getlist("file")
        if len(files) > 1:
            raise ValidationError({"file": [_("Mỗi lần tải lên một tệp")]})
        attachment = attachment_add(
            initiative_id=initiative.pk, actor=request.user, upload=files[0] if files else None, kind=data.get("kind")
        )
        return Response(_attachment_data(attachment), status=status.HTTP_201_CREATED)


class AttachmentDetailView(APIView):
    @extend_schema(
        responses={204: None},
        description="Take a file out of a draft (by those who may edit it). A file a submitted version holds "
        "stays downloadable for that version.",
    )
    def delete(self, request, pk, aid):
        initiative = _initiative(request, pk)
        try:
            if aid > ID_MAX:
                raise Attachment.DoesNotExist
            attachment_remove(initiative_id=initiative.pk, attachment_id=aid, actor=request.user)
        except Attachment.DoesNotExist:
            raise NotFound(_("Hồ sơ không có tệp đính kèm này")) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadView(APIView):
    """The file itself, to whoever may see the dossier's whole content (404 for everyone else)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # a file, whatever Accept says

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, aid):
        try:
            if aid > ID_MAX:
                raise Attachment.DoesNotExist
            attachment = attachment_get_visible(user=request.user, pk=aid)
            handle = attachment.file.open("rb")
        except (Attachment.DoesNotExist, FileNotFoundError):
            raise NotFound(_("Không tìm thấy tệp đính kèm")) from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
        )
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


# --- frozen versions ---------------------------------------------------------------------------------


class VersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    digest = serializers.CharField(
        help_text="sha256 of the content as canonical JSON: json.dumps(content, sort_keys=True, ensure_ascii=False) "
        "in UTF-8"
    )


class VersionSerializer(VersionSummarySerializer):
    submitted_by = serializers.CharField(help_text="username")
    content = serializers.DictField(
        help_text="the dossier as submitted: its fields, authors and attachments (each with its sha256)"
    )


class FieldChangeSerializer(serializers.Serializer):
    before = serializers.JSONField()
    after = serializers.JSONField()


class AttachmentChangesSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.DictField())
    removed = serializers.ListField(child=serializers.DictField())


class VersionDiffSerializer(serializers.Serializer):
    fields = serializers.DictField(child=FieldChangeSerializer())
    attachments = AttachmentChangesSerializer()


def _version(initiative: Initiative, number: int) -> DossierVersion:
    version = (
        DossierVersion.objects.filter(initiative=initiative, number=number).select_related("submitted_by").first()
        if number <= ID_MAX
        else None
    )
    if version is None:
        raise NotFound(_("Hồ sơ không có phiên bản %(n)s") % {"n": number})
    return version


class VersionListView(APIView):
    """The submitted, frozen dossiers, oldest first."""

    @extend_schema(responses={200: VersionSummarySerializer(many=True)})
    def get(self, request, pk):
        initiative = _initiative(request, pk)
        rows = DossierVersion.objects.filter(initiative=initiative).order_by("number")
        return Response(VersionSummarySerializer(rows, many=True).data)


class VersionDetailView(APIView):
    @extend_schema(responses={200: VersionSerializer})
    def get(self, request, pk, number):
        version = _version(_initiative(request, pk), number)
        return Response(
            {
                "number": version.number,
                "submitted_at": serializers.DateTimeField().to_representation(version.submitted_at),
                "submitted_by": version.submitted_by.username,
                "digest": version.digest,
                "content": version.content,
            }
        )


class VersionDiffView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                OpenApiTypes.INT,
                description="the version to compare with (before); default the one before this",
            )
        ],
        responses={200: VersionDiffSerializer},
    )
    def get(self, request, pk, number):
        initiative = _initiative(request, pk)
        after = _version(initiative, number)
        raw = request.query_params.get("against")
        if raw is None or raw == "":
            against = number - 1
        elif raw.isascii() and raw.isdigit() and len(raw) <= 10:
            against = int(raw)
        else:
            raise ValidationError({"against": [_("“against” phải là số của một phiên bản hồ sơ đã nộp")]})
        before = DossierVersion.objects.filter(initiative=initiative, number=against).first() if against else None
        if before is None:
            raise ValidationError(
                {"against": [_("Hồ sơ không có phiên bản %(n)s để so sánh (“against”)") % {"n": against}]}
            )
        return Response(dossier_diff(before=before.content, after=after.content))


# --- council sessions and their minutes ---------------------------------------------------------


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    council = serializers.CharField(source="council.code")
    council_name = serializers.CharField(source="council.name")
    stage = serializers.CharField()
    dossier_version = serializers.IntegerField()
    ballot = serializers.CharField()
    quorum = serializers.IntegerField()
    threshold = serializers.CharField(source="threshold_display")
    opened_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    voided = serializers.SerializerMethodField()
    outcome = serializers.CharField(help_text="approve · return · reject · certify · nominate; empty while open")
    minutes = serializers.SerializerMethodField(help_text="as recorded at the close; {} while the session is open")
    minutes_pdf = serializers.SerializerMethodField()

    def get_voided(self, obj) -> bool:
        return bool((obj.minutes or {}).get("voided"))

    def get_minutes(self, obj) -> dict:
        return obj.minutes if obj.closed_at else {}  # nobody sees a tally before the close

    def get_minutes_pdf(self, obj) -> str | None:
        return f"/api/v1/sessions/{obj.pk}/minutes.pdf" if obj.closed_at else None


class SessionListView(APIView):
    """The council sessions of a dossier, oldest first, with their minutes (for who may see the
    dossier's whole content; 404 for everyone else)."""

    @extend_schema(responses={200: SessionSerializer(many=True)})
    def get(self, request, pk: int):
        initiative = _initiative(request, pk)
        sessions = initiative.sessions.select_related("council").order_by("opened_at", "id")
        return Response(SessionSerializer(sessions, many=True).data)


class MinutesPdfView(APIView):
    """The minutes of a closed session as a printable PDF (Vietnamese, signature lines for the
    secretary and the chair). 404 for a session one may not see, 409 ``session_open`` before the close."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # a PDF (or a JSON error), whatever Accept says

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, sid: int):
        from django.http import HttpResponse

        from .documents import minutes_pdf
        from .models import CouncilSession

        session = (
            CouncilSession.objects.select_related("council", "council__organisation")
            .filter(pk=min(sid, ID_MAX))
            .first()
        )
        if session is None:
            raise NotFound(_("Không tìm thấy phiên xét"))
        initiative = _initiative(request, session.initiative_id)
        if session.closed_at is None:
            return Response(
                {"detail": _("Phiên xét chưa kết thúc nên chưa có biên bản"), "code": "session_open"},
                status=status.HTTP_409_CONFLICT,
            )
        session.initiative = initiative
        response = HttpResponse(minutes_pdf(session=session), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="bien-ban-{initiative.reference}-{session.pk}.pdf"'
        return response
