from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from config.admin_safety import BadLookupsAreBadParameters

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
class OrganisationAdmin(BadLookupsAreBadParameters, TreeAdmin):
    form = movenodeform_factory(Organisation)
    list_display = ("name", "code", "level", "headcount_display")
    list_filter = ("level",)
    search_fields = ("code", "name")
    inlines = [CouncilInline, RoleInline]

    def children_view(self, request, parent_id):
        # treebeard looks the parent up by whatever the path holds: an id that is no number is no parent
        if not (parent_id.isascii() and parent_id.isdigit() and len(parent_id) < 19):
            raise Http404
        return super().children_view(request, parent_id)

    @admin.display(description=_("số đoàn viên"), ordering="headcount")
    def headcount_display(self, obj):
        return f"{obj.headcount:,}".replace(",", ".")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["user", "role"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Council)
class CouncilAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    list_display = ("code", "kind", "organisation_code", "quorum", "pass_rate")
    list_filter = ("kind", "ballot")
    search_fields = ("code", "name", "organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]
    list_select_related = ("organisation",)
    inlines = [MembershipInline]

    @admin.display(description=_("tổ chức"), ordering="organisation__code")
    def organisation_code(self, obj):
        return obj.organisation.code

    @admin.display(description=_("tỷ lệ thông qua"))
    def pass_rate(self, obj):
        return obj.threshold_display


@admin.register(User)
class UserAdmin(BadLookupsAreBadParameters, BaseUserAdmin):
    list_display = ("username", "full_name", "organisation", "email", "is_active")
    list_filter = ("is_active", "is_staff", "organisation__level", "role_assignments__role")
    search_fields = ("username", "full_name", "email", "organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Công đoàn / Union", {"fields": ("full_name", "organisation", "position", "qualification", "date_of_birth")}),
    )
    inlines = [RoleInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(BadLookupsAreBadParameters, admin.ModelAdmin):
    """Read-only: roles change through the structure file (audited actions)."""

    list_display = ("user_display", "role", "organisation_display")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "organisation__code", "organisation__name")
    list_select_related = ("user", "organisation")

    @admin.display(description=_("người dùng"), ordering="user__username")
    def user_display(self, obj):
        return obj.user

    @admin.display(description=_("tổ chức"), ordering="organisation__path")
    def organisation_display(self, obj):
        return obj.organisation

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(RoleAssignmentAdmin):
    list_display = ("user_display", "role", "council_display")
    list_filter = ("role", "council__kind")
    search_fields = ("user__username", "user__full_name", "council__code")
    list_select_related = ("user", "council")

    @admin.display(description=_("hội đồng"), ordering="council__code")
    def council_display(self, obj):
        return obj.council
