"""The Django admin: a door like any other (STYLE.md item 11).

- A union's admin (role ``admin`` on an organisation) sees and changes only their own subtree:
  every list, every object page, every foreign-key choice, the autocomplete and lookup lists.
  Anything outside answers as if it did not exist.
- Every change goes through the same actions as the other doors (``councils.actions``), which
  check the permission against the object and write the audit trail; a bad value is a form error.
- Deleting is off everywhere (it would bypass the trail): people are deactivated instead.
- Staff and superuser flags, groups and model permissions change only for superusers, and are
  audited too. Groups are read-only (the union administrators' group is defined in code).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.admin import TokenAdmin as BaseTokenAdmin
from rest_framework.authtoken.models import TokenProxy
from treebeard.admin import TreeAdmin

from audit.admin import AuditEntryAdmin
from audit.models import AuditEntry
from config.admin_safety import BadLookupsAreBadParameters

from .actions import (
    PRIVILEGED_USER_FIELDS,
    USER_FIELDS,
    council_rules,
    council_update,
    organisation_create,
    organisation_move,
    organisation_move_rules,
    organisation_rules,
    organisation_update,
    user_create,
    user_rules,
    user_set_password,
    user_update,
)
from .models import Council, Membership, Organisation, RoleAssignment, User
from .selectors import admin_scope_paths, path_in_scope, subtree_q, user_manageable_by


def scope_paths(request) -> list[str] | None:
    """The subtrees the signed-in person administers (None: everything), once per request."""
    if not hasattr(request, "_admin_scope_paths"):
        request._admin_scope_paths = admin_scope_paths(user=request.user)
    return request._admin_scope_paths


def scoped(request, qs, field: str):
    paths = scope_paths(request)
    return qs if paths is None else qs.filter(subtree_q(paths, field))


class ScopedAdminMixin:
    """Limits a ModelAdmin to the admin's subtree. ``scope_field`` is the lookup of the
    materialised path that places an object in the tree."""

    scope_field = "organisation__path"

    def object_path(self, obj):
        value = obj
        for part in self.scope_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value

    def in_scope(self, request, obj) -> bool:
        return path_in_scope(self.object_path(obj), scope_paths(request))

    def get_queryset(self, request):
        return scoped(request, super().get_queryset(request), self.scope_field)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or self.in_scope(request, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self.in_scope(request, obj))

    def has_delete_permission(self, request, obj=None):
        return False  # a delete would bypass the actions and the trail

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            model = db_field.related_model
            if model is Organisation:
                kwargs["queryset"] = scoped(request, Organisation.objects.order_by("path"), "path")
            elif model is User:
                kwargs["queryset"] = scoped(request, User.objects.order_by("username"), "organisation__path")
            elif model is Council:
                kwargs["queryset"] = scoped(request, Council.objects.order_by("code"), "organisation__path")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _changeform_view(self, request, object_id, form_url, extra_context):
        # The forms check the actions' rules first; an action that still refuses (a race) is a
        # message on the form page, never a 500, and nothing of the request is kept.
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as e:
            transaction.set_rollback(True)
            messages.error(request, " ".join(e.messages))
            return HttpResponseRedirect(request.get_full_path())


def _add_errors(form, errors: dict) -> None:
    for name, msgs in errors.items():
        form.add_error(name if name in form.fields else None, msgs)


# --- organisations ------------------------------------------------------------------------------


class RoleInline(admin.TabularInline):
    """Roles change through the structure file (audited ``role_grant`` / ``role_revoke``)."""

    model = RoleAssignment
    extra = 0
    fields = ["user", "role", "organisation"]
    readonly_fields = ["user", "role", "organisation"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CouncilInline(admin.TabularInline):
    """Shown for reading; a council's rules change on its own page (``council_update``)."""

    model = Council
    extra = 0
    fields = ["code", "kind", "quorum", "ballot", "decision_days"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'— ' * (obj.depth - 1)}{obj.name} ({obj.code})"


class OrganisationForm(forms.ModelForm):
    parent = ParentChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label=_("tổ chức cấp trên"),
        help_text=_(
            "Chọn tổ chức cấp trên khác để chuyển tổ chức này (cùng các đơn vị trực thuộc). Lần chuyển được "
            "ghi nhật ký kiểm toán; báo cáo các kỳ trước vẫn tính đơn vị theo tổ chức cấp trên cũ."
        ),
    )
    effective = forms.DateField(
        required=False,
        label=_("chuyển từ ngày"),
        help_text=_("Ngày lần chuyển có hiệu lực (để trống: hôm nay)."),
    )
    parent_queryset = None  # set per request by OrganisationAdmin.get_form
    may_be_root = False

    class Meta:
        model = Organisation
        fields = ["code", "name", "level", "headcount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.parent_queryset is not None:
            self.fields["parent"].queryset = self.parent_queryset
        if self.instance.pk:
            parent = Organisation.objects.get_parent(self.instance)
            self.fields["parent"].initial = parent.pk if parent else None
            self.initial["parent"] = parent.pk if parent else None
        elif not self.may_be_root:
            self.fields["parent"].required = True

    def clean(self):
        data = super().clean()
        fields = [f for f in ("code", "name", "level", "headcount") if f in self.fields]
        if self.instance.pk:
            changes = {f: data[f] for f in fields if f in self.changed_data and f in data}
            parent = data.get("parent")
            errors = organisation_rules(changes=changes)
            if "parent" in self.changed_data:
                if parent is None:
                    errors["parent"] = [gettext("Chọn tổ chức cấp trên mới; không thể biến một tổ chức thành gốc.")]
                else:
                    errors.update(organisation_move_rules(organisation=self.instance, new_parent=parent))
        else:
            errors = organisation_rules(changes={f: data[f] for f in fields if f in data})
            if "code" in errors and "code" in self.errors:
                del errors["code"]  # the model form already said the code is taken
        _add_errors(self, errors)
        return data


@admin.register(Organisation)
class OrganisationAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, TreeAdmin):
    form = OrganisationForm
    scope_field = "path"
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

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def relocate(self, *, organisation, new_parent, effective, actor):
        """The move. ``workflow.admin`` re-registers this admin to also refresh the progress
        counters (a room above, which this one never imports)."""
        return organisation_move(organisation=organisation, new_parent=new_parent, effective=effective, actor=actor)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        paths = scope_paths(request)
        top_level = (
            hasattr(request, "_treebeard_parent_id")
            and not request._treebeard_parent_id
            and not getattr(request, "_ignore_treebeard_filters", False)
            and not self.is_filtered(request)
        )
        if paths is not None and top_level:
            # the tree starts at the organisations this admin administers, not at the real roots
            return Organisation.objects.filter(path__in=paths)
        return qs

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": ["code", "name", "level", "headcount", "parent", "effective"]})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["code"] if request.user.is_superuser else ["code", "level"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        choices = scoped(request, Organisation.objects.all(), "path")
        if obj is not None:
            choices = choices.exclude(path__startswith=obj.path)
            parent = Organisation.objects.get_parent(obj)
            if parent is not None:  # where it is now, even above the subtree: keeping it moves nothing
                choices = choices | Organisation.objects.filter(pk=parent.pk)
        form.parent_queryset = choices.order_by("path")
        form.may_be_root = scope_paths(request) is None
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = organisation_create(
                actor=request.user,
                parent=data.get("parent"),
                code=data["code"],
                name=data["name"],
                level=data["level"],
                headcount=data.get("headcount") or 0,
            )
            obj.pk, obj.path, obj.depth, obj.numchild = created.pk, created.path, created.depth, created.numchild
            obj._state.adding = False
            return
        changes = {f: data[f] for f in ("name", "headcount", "level") if f in form.changed_data}
        if changes:
            organisation_update(organisation_id=obj.pk, actor=request.user, **changes)
        if "parent" in form.changed_data:
            effective = data.get("effective") or timezone.localdate()
            self.relocate(organisation=obj, new_parent=data["parent"], effective=effective, actor=request.user)
            messages.info(
                request,
                gettext("Đã chuyển %(org)s về %(parent)s từ ngày %(date)s.")
                % {"org": obj.code, "parent": data["parent"].code, "date": effective.strftime("%d/%m/%Y")},
            )

    def move_node(self, request):
        """Drag and drop in the tree: the same audited move as the form (effective today).
        Reordering siblings means nothing here and is not done."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        candidates = self.get_queryset(request)

        class MoveForm(forms.Form):
            node = forms.ModelChoiceField(queryset=candidates)
            target = forms.ModelChoiceField(queryset=candidates)
            relation = forms.ChoiceField(choices=(("child", "child"), ("sibling", "sibling")))

        form = MoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Không tìm thấy tổ chức này trong phạm vi bạn quản trị."))
            return HttpResponseBadRequest("invalid move")
        node, target = form.cleaned_data["node"], form.cleaned_data["target"]
        new_parent = target if form.cleaned_data["relation"] == "child" else Organisation.objects.get_parent(target)
        old_parent = Organisation.objects.get_parent(node)
        if new_parent is None:
            messages.error(request, gettext("Chọn tổ chức cấp trên mới; không thể biến một tổ chức thành gốc."))
            return HttpResponseBadRequest("no parent")
        if old_parent is not None and old_parent.pk == new_parent.pk:
            messages.info(request, gettext("Thứ tự các tổ chức cùng cấp không có ý nghĩa nên không thay đổi."))
            return HttpResponse("OK")
        effective = timezone.localdate()
        try:
            self.relocate(organisation=node, new_parent=new_parent, effective=effective, actor=request.user)
        except PermissionDenied as e:
            messages.error(request, str(e))
            return HttpResponseForbidden("forbidden")
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return HttpResponseBadRequest("refused")
        messages.success(
            request,
            gettext("Đã chuyển %(org)s về %(parent)s từ ngày %(date)s.")
            % {"org": node.code, "parent": new_parent.code, "date": effective.strftime("%d/%m/%Y")},
        )
        return HttpResponse("OK")


# --- councils -----------------------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    """Members change through the structure file (audited ``membership_set`` / ``membership_remove``)."""

    model = Membership
    extra = 0
    fields = ["user", "role"]
    readonly_fields = ["user", "role"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


COUNCIL_FORM_FIELDS = ("name", "quorum", "threshold", "ballot", "decision_days")


class CouncilForm(forms.ModelForm):
    threshold = forms.CharField(
        label=_("tỷ lệ thông qua"),
        help_text=_("Phần các thành viên không bị loại trừ phải cùng chọn để thông qua, ví dụ 2/3 hoặc 1/2."),
    )
    actor = None  # set per request by CouncilAdmin.get_form

    class Meta:
        model = Council
        fields = ["name", "quorum", "ballot", "decision_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["threshold"].initial = self.instance.threshold_display
            self.initial["threshold"] = self.instance.threshold_display

    def clean(self):
        data = super().clean()
        changes = {f: data[f] for f in COUNCIL_FORM_FIELDS if f in self.changed_data and f in data}
        _add_errors(self, council_rules(council=self.instance, changes=changes, actor=self.actor))
        return data


@admin.register(Council)
class CouncilAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, admin.ModelAdmin):
    """Rules of a council change through ``council_update`` (audited, before and after); a
    council is created, re-kinded or moved only by the structure file."""

    form = CouncilForm
    list_display = ("code", "kind", "organisation_code", "quorum", "pass_rate")
    list_filter = ("kind", "ballot")
    search_fields = ("code", "name", "organisation__code", "organisation__name")
    list_select_related = ("organisation",)
    fields = ["code", "organisation", "kind", "name", "quorum", "threshold", "ballot", "decision_days"]
    readonly_fields = ["code", "organisation", "kind"]
    inlines = [MembershipInline]

    @admin.display(description=_("tổ chức"), ordering="organisation__code")
    def organisation_code(self, obj):
        return obj.organisation.code

    @admin.display(description=_("tỷ lệ thông qua"))
    def pass_rate(self, obj):
        return obj.threshold_display

    def has_add_permission(self, request):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        changes = {f: form.cleaned_data[f] for f in COUNCIL_FORM_FIELDS if f in form.changed_data}
        if changes:
            council_update(council_id=obj.pk, actor=request.user, **changes)


# --- people -------------------------------------------------------------------------------------


class UnionUserChangeForm(UserChangeForm):
    def clean(self):
        data = super().clean()
        changes = {f: data.get(f) for f in self.changed_data if f in USER_FIELDS and f != "organisation"}
        _add_errors(self, user_rules(user=self.instance, changes=changes))
        return data


class UnionUserCreationForm(AdminUserCreationForm):
    may_be_orphan = False  # set per request: only a superuser may create someone outside every organisation

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "email", "organisation")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields and not self.may_be_orphan:
            self.fields["organisation"].required = True


@admin.register(User)
class UserAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, BaseUserAdmin):
    """People: details through ``user_update``, passwords through ``user_set_password`` (with the
    password validators), new people through ``user_create`` — all audited. A union's admin
    changes only people they manage (``user_manageable_by``) and never staff, superuser, groups
    or permissions."""

    form = UnionUserChangeForm
    add_form = UnionUserCreationForm
    list_display = ("username", "full_name", "organisation", "email", "is_active")
    list_filter = ("is_active", "is_staff", "organisation__level", "role_assignments__role")
    search_fields = ("username", "full_name", "email", "organisation__code", "organisation__name")
    autocomplete_fields = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("Công đoàn"),
            {"fields": ("full_name", "organisation", "position", "qualification", "date_of_birth")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "email",
                    "organisation",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    inlines = [RoleInline]

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or user_manageable_by(actor=request.user, user=obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        always = ["username", "last_login", "date_joined"]
        if request.user.is_superuser:
            return always
        return [*always, "is_staff", "is_superuser", "groups", "user_permissions"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.may_be_orphan = scope_paths(request) is None
        return form

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = user_create(
                actor=request.user,
                username=data["username"],
                organisation=data.get("organisation"),
                password=data.get("password1") if data.get("set_usable_password") else None,
                full_name=data.get("full_name") or "",
                email=data.get("email") or "",
            )
            obj.pk, obj.password = created.pk, created.password
            obj._state.adding = False
            return
        allowed = USER_FIELDS + (PRIVILEGED_USER_FIELDS if request.user.is_superuser else ())
        changes = {f: data[f] for f in form.changed_data if f in allowed}
        for name in ("groups", "user_permissions"):
            if name in changes:
                changes[name] = list(changes[name])
        if changes:
            user_update(user_id=obj.pk, actor=request.user, **changes)

    def save_related(self, request, form, formsets, change):
        # groups and permissions were written by user_update (superusers only), never by the form
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def user_change_password(self, request, id, form_url=""):
        """Django's password page, writing through ``user_set_password``."""
        user = self.get_object(request, unquote(id))
        if user is None:
            raise Http404(
                _("%(name)s object with primary key %(key)r does not exist.")
                % {"name": self.opts.verbose_name, "key": escape(id)}
            )
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        if request.method == "POST":
            form = self.change_password_form(user, request.POST)
            if form.is_valid():
                usable = form.cleaned_data["set_usable_password"]
                if not (usable or "unset-password" in request.POST):
                    messages.error(request, gettext("Conflicting form data submitted. Please try again."))
                    return HttpResponseRedirect(request.get_full_path())
                try:
                    user = user_set_password(
                        user_id=user.pk,
                        actor=request.user,
                        password=form.cleaned_data["password1"] if usable else None,
                    )
                except ValidationError as e:
                    form.add_error("password2" if "password2" in form.fields else None, e.messages)
                else:
                    self.log_change(request, user, self.construct_change_message(request, form, None))
                    if user.has_usable_password():
                        messages.success(request, gettext("Password changed successfully."))
                    else:
                        messages.success(request, gettext("Password-based authentication was disabled."))
                    if user.pk == request.user.pk:
                        update_session_auth_hash(request, user)
                    return HttpResponseRedirect(
                        reverse(f"{self.admin_site.name}:councils_user_change", args=(user.pk,))
                    )
        else:
            form = self.change_password_form(user)
        admin_form = admin.helpers.AdminForm(form, [(None, {"fields": list(form.base_fields)})], {})
        title = _("Change password: %s") if user.has_usable_password() else _("Set password: %s")
        context = {
            "title": title % escape(user.get_username()),
            "adminForm": admin_form,
            "form_url": form_url,
            "form": form,
            "is_popup": (IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET),
            "is_popup_var": IS_POPUP_VAR,
            "add": True,
            "change": False,
            "has_delete_permission": False,
            "has_change_permission": True,
            "has_absolute_url": False,
            "opts": self.opts,
            "original": user,
            "save_as": False,
            "show_save": True,
            **self.admin_site.each_context(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, self.change_user_password_template or "admin/auth/user/change_password.html", context
        )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(BadLookupsAreBadParameters, ScopedAdminMixin, admin.ModelAdmin):
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


@admin.register(Membership)
class MembershipAdmin(RoleAssignmentAdmin):
    scope_field = "council__organisation__path"
    list_display = ("user_display", "role", "council_display")
    list_filter = ("role", "council__kind")
    search_fields = ("user__username", "user__full_name", "council__code")
    list_select_related = ("user", "council")

    @admin.display(description=_("hội đồng"), ordering="council__code")
    def council_display(self, obj):
        return obj.council


# --- the trail and what Django and DRF register themselves ---------------------------------------

admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class ScopedAuditEntryAdmin(ScopedAdminMixin, AuditEntryAdmin):
    """The trail, read-only, limited to the admin's subtree (entries without one: superusers)."""

    scope_field = "scope_path"


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BadLookupsAreBadParameters, BaseGroupAdmin):
    """Read-only: the union administrators' group and its permissions are defined in code
    (``councils.structure.ADMIN_MODELS``); a group grants power, so nobody edits it here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(BadLookupsAreBadParameters, BaseTokenAdmin):
    """API keys: listed and revocable (by whoever may delete them: superusers); made only with
    ``manage.py drf_create_token`` — a key made here would let its maker act as someone else."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
