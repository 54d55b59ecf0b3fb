"""REST API of the library (API.md §2, second round): ``GET /library/``,
``GET|POST /library/{id}/adoptions/``. Views parse and answer; ``library.actions`` decides."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from config.api import Pagination
from councils.models import Organisation
from initiatives.models import Category, Initiative
from initiatives.search import highlight
from initiatives.search_api import SearchPagination

from .actions import adoption_record
from .selectors import adoptions_of, awards_by_initiative, library_filters, library_get, library_list


def _organisation(code, field: str = "organisation") -> Organisation:
    if not isinstance(code, str) or not code.strip():
        raise serializers.ValidationError({field: [_("cần mã tổ chức")]})
    org = Organisation.objects.filter(code=code.strip()[:40]).first()
    if org is None:
        raise serializers.ValidationError({field: [_("không có tổ chức '%(code)s'") % {"code": code[:40]}]})
    return org


class LibraryAwardSerializer(serializers.Serializer):
    serial = serializers.CharField()
    award = serializers.CharField()
    issued_at = serializers.DateTimeField()


class LibraryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    summary = serializers.CharField()
    organisation = serializers.CharField(source="organisation.code")
    organisation_name = serializers.CharField(source="organisation.name")
    category = serializers.CharField(allow_null=True, help_text="null for a confidential dossier you may not open")
    benefit_value_vnd = serializers.IntegerField(
        allow_null=True, help_text="declared yearly benefit; null for a confidential dossier you may not open"
    )
    confidential = serializers.BooleanField()
    recognised_at = serializers.DateTimeField()
    awards = LibraryAwardSerializer(many=True)
    adoptions_count = serializers.IntegerField()

    def to_representation(self, obj):
        visible = bool(getattr(obj, "content_visible", False))
        awards = self.context.get("awards", {}).get(obj.pk, [])
        return {
            "id": obj.pk,
            "reference": obj.reference,
            "title": obj.title,
            "summary": obj.summary,
            "organisation": obj.organisation.code,
            "organisation_name": obj.organisation.name,
            "category": obj.category if visible else None,
            "benefit_value_vnd": obj.benefit_value_vnd if visible else None,
            "confidential": obj.confidential,
            "recognised_at": serializers.DateTimeField().to_representation(obj.recognised_at),
            "awards": [
                {
                    "serial": a["serial"],
                    "award": a["award"],
                    "issued_at": serializers.DateTimeField().to_representation(a["issued_at"]),
                }
                for a in awards
            ],
            "adoptions_count": obj.adoptions_count,
        } | self._highlight(obj)

    def _highlight(self, obj) -> dict:
        # with ``q``: title and summary with the words found in <mark> (escaped HTML), and the rank
        words = self.context.get("words")
        if not words:
            return {}
        return {
            "highlight": {"title": highlight(obj.title, words), "summary": highlight(obj.summary, words)},
            "rank": round(float(getattr(obj, "search_rank", 0) or 0), 4),
        }


@extend_schema(
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="words of the title or summary, accents optional"),
        OpenApiParameter("category", OpenApiTypes.STR, enum=Category.values),
        OpenApiParameter("organisation", OpenApiTypes.STR, description="a unit's code: its whole subtree"),
    ]
)
class LibraryList(generics.GenericAPIView):
    """Recognised initiatives of the whole programme, for reuse, to every signed-in user: public
    fields only (a confidential dossier without its category and benefit), never the authors. Most
    awarded first, then most applied, then the newest recognised."""

    serializer_class = LibraryEntrySerializer
    pagination_class = SearchPagination  # q=: count_exact
    queryset = Initiative.objects.none()

    @extend_schema(operation_id="v1_library_list", responses=LibraryEntrySerializer(many=True))
    def get(self, request):
        filters = library_filters(request.query_params)
        page = self.paginate_queryset(library_list(user=request.user, **filters))
        awards = awards_by_initiative([i.pk for i in page])
        return self.get_paginated_response(
            LibraryEntrySerializer(page, many=True, context={"awards": awards, "words": filters["words"]}).data
        )


class AdoptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    organisation = serializers.CharField(help_text="the code of the unit that applies the initiative")
    organisation_name = serializers.CharField(read_only=True)
    note = serializers.CharField(required=False, allow_blank=True, help_text="≤ 2,000 characters")
    recorded_by = serializers.CharField(read_only=True, help_text="who recorded it (name shown)")
    recorded_at = serializers.DateTimeField(read_only=True)


def _adoption_data(a) -> dict:
    return {
        "id": a.pk,
        "organisation": a.organisation.code,
        "organisation_name": a.organisation.name,
        "note": a.note,
        "recorded_by": a.recorded_by.display_name,
        "recorded_at": serializers.DateTimeField().to_representation(a.recorded_at),
    }


class AdoptionList(generics.GenericAPIView):
    """The units that apply a recognised initiative (GET), and a unit's record that it applies it
    too (POST ``{"organisation", "note"}``: its officers or advisory team; not its own unit, not by
    one of its authors, once per unit; audited)."""

    serializer_class = AdoptionSerializer
    pagination_class = Pagination
    queryset = Initiative.objects.none()

    @extend_schema(operation_id="v1_library_adoptions_list", responses=AdoptionSerializer(many=True))
    def get(self, request, pk):
        initiative = library_get(user=request.user, pk=pk)
        page = self.paginate_queryset(adoptions_of(initiative=initiative))
        return self.get_paginated_response([_adoption_data(a) for a in page])

    @extend_schema(
        operation_id="v1_library_adoptions_create", request=AdoptionSerializer, responses={201: AdoptionSerializer}
    )
    def post(self, request, pk):
        initiative = library_get(user=request.user, pk=pk)  # 404 first: unknown or unrecognised
        data = request.data
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Nội dung phải là một đối tượng JSON")]})
        organisation = _organisation(data.get("organisation"))
        note = data.get("note", "")
        if note is None:
            note = ""
        if not isinstance(note, str):
            raise serializers.ValidationError({"note": [_("ghi chú phải là chuỗi ký tự")]})
        adoption = adoption_record(
            initiative_id=initiative.pk, organisation=organisation, actor=request.user, note=note
        )
        return Response(_adoption_data(adoption), status=status.HTTP_201_CREATED)
