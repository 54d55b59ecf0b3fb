"""``GET /api/v1/duplicates/``: the duplicate screen while a dossier is drafted (or before an
import): earlier submitted dossiers of the whole programme that are probably the same idea."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from councils.models import Organisation
from initiatives.duplicates import TITLE_MAX, screen
from initiatives.models import Category

SUMMARY_MAX = 5000
LIMIT_MAX = 20


class ScreenQuerySerializer(serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX, trim_whitespace=True)
    summary = serializers.CharField(max_length=SUMMARY_MAX, required=False, allow_blank=True, default="")
    organisation = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_blank=True)
    limit = serializers.IntegerField(min_value=1, max_value=LIMIT_MAX, required=False, default=10)
    exclude = serializers.IntegerField(min_value=1, required=False, help_text="a dossier to leave out (its own id)")

    def validate_organisation(self, code):
        if not code:
            return None
        org = Organisation.objects.filter(code=code).first()
        if org is None:
            raise serializers.ValidationError(_("không có tổ chức '%(code)s'") % {"code": code})
        return org


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(
        help_text='the title, or "a dossier of unit X" / "a confidential dossier of unit X" for one you may not read'
    )
    organisation = serializers.CharField(help_text="the unit's code")
    similarity = serializers.FloatField(help_text="0–1; the screen flags from initiatives.duplicates.DEFAULT_THRESHOLD")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="shared words, same unit, same field")


class CandidatePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = CandidateSerializer(many=True)


class DuplicateScreenView(APIView):
    """Candidates ranked by similarity (earlier first on ties), at most ``limit`` (one page): any
    signed-in user; a dossier whose title they may not read appears as "a dossier of unit X" (or
    "a confidential dossier of unit X") with its id, unit and similarity only."""

    @extend_schema(
        parameters=[
            OpenApiParameter("title", str, required=True, description=f"the title typed (≤ {TITLE_MAX})"),
            OpenApiParameter("summary", str, description=f"the summary typed (≤ {SUMMARY_MAX})"),
            OpenApiParameter("organisation", str, description="the unit's code (for the same-unit reason)"),
            OpenApiParameter("category", str, enum=[c for c, _label in Category.choices]),
            OpenApiParameter("limit", int, description=f"≤ {LIMIT_MAX}, default 10"),
            OpenApiParameter("exclude", int, description="leave this dossier out (the one being edited)"),
        ],
        responses={200: CandidatePageSerializer},
    )
    def get(self, request):
        query = ScreenQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        found = screen(
            title=q["title"],
            summary=q.get("summary") or "",
            organisation=q.get("organisation"),
            category=q.get("category") or None,
            exclude_ids=(q["exclude"],) if q.get("exclude") else (),
            user=request.user,
            limit=q["limit"],
        )
        results = [{k: d[k] for k in ("id", "title", "organisation", "similarity", "reasons")} for d in found]
        return Response({"count": len(results), "next": None, "previous": None, "results": results})
