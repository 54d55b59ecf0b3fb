from django.contrib import admin

from .models import Certificate, EligibilityRule, Quota


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("award", "organisation", "programme", "cap", "per", "kind")
    list_filter = ("award", "per", "kind", "programme")
    search_fields = ("organisation__code", "organisation__name")


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(admin.ModelAdmin):
    """The award thresholds are data: a union edits them here."""

    list_display = ("name", "award", "applies_to", "min_benefit_vnd", "years", "active")
    list_filter = ("award", "applies_to", "active")
    list_editable = ("min_benefit_vnd", "years", "active")


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
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
