"""Awards in the admin. Quotas change through ``quota_update`` (audited), by the admin of a union
above the quota's organisation; they are created by the structure file. The award rules'
thresholds are federation decisions: superusers change them through ``eligibility_rule_save``
(audited). Certificates are issued and revoked only through the actions (quota, serial, audit)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_safety import BadLookupsAreBadParameters
from councils.admin import ScopedAdminMixin
from councils.selectors import administers_above

from .actions import ELIGIBILITY_FIELDS, eligibility_rule_save, quota_rules, quota_update
from .models import Certificate, EligibilityRule, Quota


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Quota
        fields = ["cap", "kind", "amount_vnd"]

    def clean(self):
        data = super().clean()
        changes = {f: data[f] for f in ("cap", "kind", "amount_vnd") if f in data and f in self.changed_data}
        for name, msgs in quota_rules(changes=changes).items():
            self.add_error(name, msgs)
        return data


@admin.register(Quota)
class QuotaAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, admin.ModelAdmin):
    form = QuotaForm
    list_display = ("award", "organisation_display", "programme_display", "cap", "per", "kind", "amount_vnd")
    list_filter = ("award", "per", "kind", "programme")
    search_fields = ("organisation__code", "organisation__name")
    list_select_related = ("organisation", "programme")
    fields = ["programme", "award", "organisation", "per", "cap", "kind", "amount_vnd"]
    readonly_fields = ["programme", "award", "organisation", "per"]

    @admin.display(description=_("tổ chức"), ordering="organisation__path")
    def organisation_display(self, obj):
        return obj.organisation

    @admin.display(description=_("chương trình"), ordering="programme__code")
    def programme_display(self, obj):
        return obj.programme

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or administers_above(actor=request.user, organisation=obj.organisation)

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in ("cap", "kind", "amount_vnd") if f in form.changed_data}
        if changes:
            quota_update(quota_id=obj.pk, actor=request.user, **changes)


class SuperuserOnlyMixin:
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(BadLookupsAreBadParameters, SuperuserOnlyMixin, admin.ModelAdmin):
    """The award thresholds are data (federation decisions): superusers edit them here, audited."""

    list_display = ("name", "award", "applies_to", "min_benefit_vnd", "years", "active")
    list_filter = ("award", "applies_to", "active")
    list_editable = ("min_benefit_vnd", "years", "active")
    fields = list(ELIGIBILITY_FIELDS)

    def save_model(self, request, obj, form, change):
        fields = form.changed_data if change else ELIGIBILITY_FIELDS
        values = {f: form.cleaned_data[f] for f in fields if f in form.cleaned_data}
        saved = eligibility_rule_save(actor=request.user, rule_id=obj.pk if change else None, **values)
        obj.pk = saved.pk
        obj._state.adding = False


@admin.register(Certificate)
class CertificateAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: certificates are issued and revoked through actions (quota, serial, audit)."""

    scope_field = "initiative__organisation__path"
    list_display = ("serial", "award", "title", "organisation", "issued_at", "revoked_at")
    list_filter = ("award", "programme")
    search_fields = ("serial", "title", "initiative__reference")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
