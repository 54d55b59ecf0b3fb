from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.admin_safety import BadLookupsAreBadParameters

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    list_display = (
        "seq_col",
        "at_col",
        "actor_col",
        "action_col",
        "object_type_col",
        "object_id_col",
        "from_state_col",
        "to_state_col",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_id", "comment", "hash")
    date_hierarchy = "at"

    def get_queryset(self, request):
        """An administrator reads the trail of their own subtree only (entries carry the path of the
        organisation they belong to); entries without one, and everything, only a superuser."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        paths = request.user.role_assignments.filter(role="admin").values_list("organisation__path", flat=True)
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(scope_path__startswith=path)
        return qs.filter(q)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("số thứ tự"), ordering="seq")
    def seq_col(self, obj):
        return obj.seq

    @admin.display(description=_("thời điểm"), ordering="at")
    def at_col(self, obj):
        return obj.at

    @admin.display(description=_("người thực hiện"), ordering="actor_name")
    def actor_col(self, obj):
        return obj.actor_name

    @admin.display(description=_("hành động"), ordering="action")
    def action_col(self, obj):
        return obj.action

    @admin.display(description=_("loại đối tượng"), ordering="object_type")
    def object_type_col(self, obj):
        return obj.object_type

    @admin.display(description=_("mã đối tượng"), ordering="object_id")
    def object_id_col(self, obj):
        return obj.object_id

    @admin.display(description=_("từ trạng thái"), ordering="from_state")
    def from_state_col(self, obj):
        return obj.from_state

    @admin.display(description=_("đến trạng thái"), ordering="to_state")
    def to_state_col(self, obj):
        return obj.to_state
