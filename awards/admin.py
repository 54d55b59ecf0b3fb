from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_safety import BadLookupsAreBadParameters

from .models import Certificate, EligibilityRule, Quota


@admin.register(Quota)
class QuotaAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    list_display = ("award", "organisation_display", "programme_display", "cap", "per", "kind")
    list_filter = ("award", "per", "kind", "programme")
    search_fields = ("organisation__code", "organisation__name")
    list_select_related = ("organisation", "programme")

    @admin.display(description=_("tổ chức"), ordering="organisation__path")
    def organisation_display(self, obj):
        return obj.organisation

    @admin.display(description=_("chương trình"), ordering="programme__code")
    def programme_display(self, obj):
        return obj.programme


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    """The award thresholds are data: a union edits them here."""

    list_display = ("name", "award", "applies_to", "min_benefit_vnd", "years", "active")
    list_filter = ("award", "applies_to", "active")
    list_editable = ("min_benefit_vnd", "years", "active")


@admin.register(Certificate)
class CertificateAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    """Read-only: certificates are issued and revoked through actions (quota, serial, audit)."""

    list_display = ("serial", "award", "title", "organisation", "issued_at", "revoked_at")
    list_filter = ("award", "programme")
    search_fields = ("serial", "title", "initiative__reference")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
