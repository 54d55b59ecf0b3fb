from django.contrib import admin

from .models import Initiative, InitiativeAuthor, OrganisationTarget, Phase, Programme


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "starts", "ends", "participation_target_percent")
    search_fields = ("code", "name")
    inlines = [PhaseInline]


@admin.register(OrganisationTarget)
class OrganisationTargetAdmin(admin.ModelAdmin):
    list_display = ("organisation", "phase", "initiatives")
    list_filter = ("phase__programme", "phase")
    search_fields = ("organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]


class AuthorInline(admin.TabularInline):
    model = InitiativeAuthor
    extra = 0
    readonly_fields = ["user", "full_name", "share_percent"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    """Read-only here: dossiers change only through the lifecycle's actions."""

    list_display = ("reference", "title", "organisation", "category", "state", "benefit_value_vnd", "submitted_at")
    list_filter = ("state", "category", "confidential")
    search_fields = ("reference", "title", "search_text", "organisation__code")
    date_hierarchy = "created_at"
    inlines = [AuthorInline]
    list_select_related = ("organisation",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
