"""REST API for duplicate marks (API.md §2, issue 11): ``POST /initiatives/{id}/duplicate-marks/``
records ``{"verdict", "of", "comment"}`` through ``workflow.actions.duplicate_mark_create``;
``GET`` lists the marks on the dossier and those naming it, each side named as the caller may see
it (``workflow.selectors.duplicate_marks_for``). 404 for a dossier the caller may not see."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from initiatives.models import Initiative

from .actions import duplicate_mark_create
from .selectors import duplicate_marks_for, initiative_get_visible

ID_MAX = 2**63 - 1


class MarkDossierSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True, help_text="null for a dossier you may not open")
    title = serializers.CharField(
        help_text="its title, or for a dossier you may not open “a (confidential) dossier of unit X”"
    )
    organisation = serializers.CharField()


class DuplicateMarkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    initiative = MarkDossierSerializer(help_text="the dossier the mark was recorded on")
    of = MarkDossierSerializer(help_text="the dossier it is (or is not) a duplicate of")
    verdict = serializers.ChoiceField(choices=["duplicate", "not_duplicate"])
    comment = serializers.CharField(help_text="empty when you may not open both dossiers")
    by = serializers.CharField()
    at = serializers.DateTimeField()
    standing = serializers.BooleanField(help_text="the latest mark between these two dossiers")

    def to_representation(self, mark):
        data = super().to_representation(mark)
        for side in ("initiative", "of"):
            data[side] = {k: mark[side].get(k) for k in ("id", "reference", "title", "organisation")}
        return data


class DuplicateMarkWriteSerializer(serializers.Serializer):
    verdict = serializers.CharField(help_text="duplicate · not_duplicate")
    of = serializers.CharField(help_text="the id of the other dossier")
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text="required for duplicate")


def _initiative(request, pk: int) -> Initiative:
    try:
        if pk > ID_MAX:
            raise Initiative.DoesNotExist
        return initiative_get_visible(user=request.user, pk=pk)
    except Initiative.DoesNotExist:
        raise NotFound(_("Không tìm thấy sáng kiến")) from None


class DuplicateMarkListView(APIView):
    """The duplicate marks of a dossier (both directions, newest first), and a new one."""

    @extend_schema(responses={200: DuplicateMarkSerializer(many=True)})
    def get(self, request, pk: int):
        initiative = _initiative(request, pk)
        marks = duplicate_marks_for(user=request.user, initiative=initiative)
        return Response(DuplicateMarkSerializer(marks, many=True).data)

    @extend_schema(request=DuplicateMarkWriteSerializer, responses={201: DuplicateMarkSerializer})
    def post(self, request, pk: int):
        initiative = _initiative(request, pk)
        data = request.data if hasattr(request.data, "get") else {}
        of = data.get("of")
        mark = duplicate_mark_create(
            initiative_id=initiative.pk,
            actor=request.user,
            verdict=data.get("verdict") if isinstance(data.get("verdict"), str) else "",
            of=of if isinstance(of, (int, str)) and not isinstance(of, bool) else "",
            comment=data.get("comment") if isinstance(data.get("comment"), str) else "",
        )
        shown = next(m for m in duplicate_marks_for(user=request.user, initiative=initiative) if m["id"] == mark.pk)
        return Response(DuplicateMarkSerializer(shown).data, status=status.HTTP_201_CREATED)
