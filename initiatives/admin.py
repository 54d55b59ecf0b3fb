"""The programme in the admin. Programmes and phases are read-only here: they are the whole
programme's calendar (every union's counts and counter periods hang on their dates) and come from
the structure file, whose load refreshes the progress counters. Targets change through
``target_set`` (audited), by the admin of a union above the organisation; dossiers only through
the lifecycle's actions."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_safety import BadLookupsAreBadParameters
from councils.admin import ScopedAdminMixin, scope_paths, scoped
from councils.models import Organisation
from councils.selectors import administers_above

from .actions import target_rules, target_set
from .models import Initiative, InitiativeAuthor, OrganisationTarget, Phase, Programme


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PhaseInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Phase
    extra = 0
    fields = ["code", "starts", "ends", "target"]
    readonly_fields = fields


@admin.register(Programme)
class ProgrammeAdmin(BadLookupsAreBadParameters, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "starts", "ends", "participation_target_percent")
    search_fields = ("code", "name")
    inlines = [PhaseInline]


class TargetForm(forms.ModelForm):
    class Meta:
        model = OrganisationTarget
        fields = ["organisation", "phase", "initiatives", "valid_from"]

    def clean(self):
        data = super().clean()
        if "initiatives" in data:
            for name, msgs in target_rules(initiatives=data["initiatives"]).items():
                self.add_error(name, msgs)
        return data


@admin.register(OrganisationTarget)
class OrganisationTargetAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, admin.ModelAdmin):
    form = TargetForm
    list_display = ("organisation_display", "phase_display", "initiatives", "valid_from")
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

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or administers_above(actor=request.user, organisation=obj.organisation)

    def get_readonly_fields(self, request, obj=None):
        return ["organisation", "phase", "valid_from"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Organisation:
            # targets are set from above: the organisations strictly below the ones administered
            below = scoped(request, Organisation.objects.order_by("path"), "path")
            paths = scope_paths(request)
            if paths:
                below = below.exclude(path__in=paths)
            kwargs["queryset"] = below
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        organisation = obj.organisation if change else data["organisation"]
        phase = obj.phase if change else data["phase"]
        valid_from = obj.valid_from if change else data.get("valid_from")
        saved = target_set(
            actor=request.user,
            organisation=organisation,
            phase=phase,
            initiatives=data["initiatives"],
            valid_from=valid_from,
        )
        obj.pk = saved.pk
        obj._state.adding = False


class AuthorInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InitiativeAuthor
    extra = 0
    readonly_fields = ["user", "full_name", "share_percent"]
    can_delete = False


@admin.register(Initiative)
class InitiativeAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
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
