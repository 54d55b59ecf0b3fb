from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_safety import BadLookupsAreBadParameters
from councils.models import Role
from councils.selectors import subtree_q, user_role_paths

from .models import Initiative, InitiativeAuthor, OrganisationTarget, Phase, Programme


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    list_display = ("code", "name", "starts", "ends", "participation_target_percent")
    search_fields = ("code", "name")
    inlines = [PhaseInline]


@admin.register(OrganisationTarget)
class OrganisationTargetAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    list_display = ("organisation_display", "phase_display", "initiatives")
    list_filter = ("phase__programme", "phase")
    search_fields = ("organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]
    list_select_related = ("organisation", "phase")

    @admin.display(description=_("tổ chức"), ordering="organisation__path")
    def organisation_display(self, obj):
        return obj.organisation

    @admin.display(description=_("giai đoạn"), ordering="phase__starts")
    def phase_display(self, obj):
        return obj.phase


class AuthorInline(admin.TabularInline):
    model = InitiativeAuthor
    extra = 0
    readonly_fields = ["user", "full_name", "share_percent"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Initiative)
class InitiativeAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    """Read-only here: dossiers change only through the lifecycle's actions."""

    list_display = ("reference", "title", "organisation", "category", "state", "benefit_display", "submitted_at")
    list_filter = ("state", "category", "confidential")
    search_fields = ("reference", "title", "search_text", "organisation__code")
    date_hierarchy = "created_at"
    inlines = [AuthorInline]
    list_select_related = ("organisation",)

    @admin.display(description=_("giá trị làm lợi (VND)"), ordering="benefit_value_vnd")
    def benefit_display(self, obj):
        return f"{obj.benefit_value_vnd or 0:,}".replace(",", ".")

    def get_queryset(self, request):
        """An administrator sees the dossiers of their own subtree only (as an auditor there may)."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        paths = user_role_paths(user=request.user, roles=[Role.ADMIN])
        return qs.filter(subtree_q(paths)) if paths else qs.none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
