from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Council, Membership, Organisation, RoleAssignment, User


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["user", "role"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class CouncilInline(admin.TabularInline):
    model = Council
    extra = 0
    fields = ["code", "kind", "quorum", "ballot", "decision_days"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(TreeAdmin):
    form = movenodeform_factory(Organisation)
    list_display = ("name", "code", "level", "headcount")
    list_filter = ("level",)
    search_fields = ("code", "name")
    inlines = [CouncilInline, RoleInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["user", "role"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "organisation", "quorum", "threshold_display", "ballot", "decision_days")
    list_filter = ("kind", "ballot")
    search_fields = ("code", "name", "organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]
    inlines = [MembershipInline]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "organisation", "email", "is_active")
    list_filter = ("is_active", "is_staff", "organisation__level", "role_assignments__role")
    search_fields = ("username", "full_name", "email", "organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Công đoàn / Union", {"fields": ("full_name", "organisation", "position", "qualification", "date_of_birth")}),
    )
    inlines = [RoleInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Read-only: roles change through the structure file (audited actions)."""

    list_display = ("user", "role", "organisation")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "organisation__code", "organisation__name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(RoleAssignmentAdmin):
    list_display = ("user", "role", "council")
    list_filter = ("role", "council__kind")
    search_fields = ("user__username", "user__full_name", "council__code")
