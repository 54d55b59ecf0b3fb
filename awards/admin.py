from django.contrib import admin

from .models import Quota


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("award", "organisation", "programme", "cap", "per", "kind")
    list_filter = ("award", "per", "kind", "programme")
    search_fields = ("organisation__code", "organisation__name")
