"""Writes on the tree, people, roles and councils. Every change is audited.

``actor=None`` is the system itself (the structure loader, ``seed_demo``): it needs no
permission. A person acting must administer what they change (role ``admin`` on an ancestor, or
be a superuser); superusers may do everything, and are audited like everyone else.

The admin calls these actions from inside its own request transaction, so they open ordinary
(non-durable) atomic blocks; their rules are also offered as ``*_rules`` functions, so that an
admin form can show a bad value as a form error before anything is written.
"""

import contextlib
import contextvars
from fractions import Fraction

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from audit.actions import audit_record

from .models import (
    ROLE_PERMS,
    Ballot,
    Council,
    CouncilKind,
    CouncilSubstitute,
    Level,
    Membership,
    Organisation,
    Role,
    RoleAssignment,
    User,
    membership_perms,
)
from .selectors import user_manageable_by

# Set while an action writes a person's account: the safety net (``councils.safety_net``) audits
# only privileged changes made outside the actions (a shell, ``createsuperuser``, ``changepassword``).
_inside_action = contextvars.ContextVar("councils_inside_action", default=False)


@contextlib.contextmanager
def _account_write():
    token = _inside_action.set(True)
    try:
        yield
    finally:
        _inside_action.reset(token)


def account_write_in_progress() -> bool:
    return _inside_action.get()


def _clear_perm_cache(user):
    user.__dict__.pop("_subtree_perm_cache", None)
    user.__dict__.pop("_guardian_perms_cache", None)


def _setter(actor, user: User) -> User | None:
    """Who chose a password: the acting person, unless it is the system or the person themself."""
    return actor if getattr(actor, "pk", None) and actor.pk != user.pk else None


def passwords_recheck(*, users=None, set_by=None, actor=None) -> int:
    """Disable every password chosen by an admin who may no longer manage its holder
    (``user_manageable_by``): the holder was given a role or a seat beyond the admin's subtree,
    moved out of it, or the admin lost the role. Otherwise an admin could set a person's
    password, have them promoted, and sign in as them. Audited as ``disable_password``; the person
    signs in again once someone who manages them (or they themself) sets a new one.
    ``users``: these people; ``set_by``: everyone whose password this admin chose. Returns the count."""
    assert transaction.get_connection().in_atomic_block
    rows = User.objects.filter(password_set_by__isnull=False)
    if users is not None:
        rows = rows.filter(pk__in=[u.pk for u in users])
    if set_by is not None:
        rows = rows.filter(password_set_by=set_by)
    disabled = 0
    for user in rows.select_related("password_set_by", "organisation"):
        setter = user.password_set_by
        if not user.has_usable_password() or user_manageable_by(actor=setter, user=user):
            continue
        with _account_write():
            user.set_unusable_password()
            user.password_set_by = None
            user.save(update_fields=["password", "password_set_by"])
        audit_record(
            actor=actor,
            action="disable_password",
            obj=user,
            details={"user": user.username, "password_set_by": setter.username, "reason": "beyond_setter"},
        )
        disabled += 1
    return disabled


def role_grant(*, user: User, organisation: Organisation, role: str, actor=None) -> bool:
    """Grant ``role`` on ``organisation`` (and so its subtree). Returns whether anything changed."""
    assert transaction.get_connection().in_atomic_block
    _, created = RoleAssignment.objects.get_or_create(user=user, organisation=organisation, role=role)
    if not created:
        return False
    for codename in ROLE_PERMS[role]:
        assign_perm(f"councils.{codename}", user, organisation)
    _clear_perm_cache(user)
    audit_record(
        actor=actor,
        action="grant_role",
        obj=organisation,
        details={"user": user.username, "role": role, "organisation": organisation.code},
    )
    passwords_recheck(users=[user], actor=actor)
    return True


def role_revoke(*, assignment: RoleAssignment, actor=None) -> None:
    assert transaction.get_connection().in_atomic_block
    user, organisation, role = assignment.user, assignment.organisation, assignment.role
    assignment.delete()
    still = set(RoleAssignment.objects.filter(user=user, organisation=organisation).values_list("role", flat=True))
    keep = {perm for r in still for perm in ROLE_PERMS[r]}
    for codename in ROLE_PERMS[role]:
        if codename not in keep:
            remove_perm(f"councils.{codename}", user, organisation)
    _clear_perm_cache(user)
    audit_record(
        actor=actor,
        action="revoke_role",
        obj=organisation,
        details={"user": user.username, "role": role, "organisation": organisation.code},
    )
    if role == Role.ADMIN:
        passwords_recheck(set_by=user, actor=actor)


def membership_set(*, council: Council, user: User, role: str, actor=None) -> bool:
    """Make ``user`` a member of ``council`` with ``role``; grants the council's permissions."""
    assert transaction.get_connection().in_atomic_block
    membership = Membership.objects.filter(council=council, user=user).first()
    if membership and membership.role == role:
        return False
    old_role = membership.role if membership else ""
    if membership:
        membership.role = role
        membership.save(update_fields=["role"])
    else:
        Membership.objects.create(council=council, user=user, role=role)
    wanted = set(membership_perms(council.kind, role))
    had = set(membership_perms(council.kind, old_role)) if old_role else set()
    for codename in wanted - had:
        assign_perm(f"councils.{codename}", user, council)
    for codename in had - wanted:
        remove_perm(f"councils.{codename}", user, council)
    _clear_perm_cache(user)
    audit_record(
        actor=actor,
        action="set_membership",
        obj=council,
        details={"user": user.username, "council": council.code, "role": role, "previous_role": old_role},
    )
    passwords_recheck(users=[user], actor=actor)
    return True


def membership_remove(*, membership: Membership, actor=None) -> None:
    assert transaction.get_connection().in_atomic_block
    council, user, role = membership.council, membership.user, membership.role
    membership.delete()
    for codename in membership_perms(council.kind, role):
        remove_perm(f"councils.{codename}", user, council)
    _clear_perm_cache(user)
    audit_record(
        actor=actor,
        action="remove_membership",
        obj=council,
        details={"user": user.username, "council": council.code, "role": role},
    )


def substitutes_set(*, council: Council, users: list[User], actor=None) -> int:
    """Make ``users`` the council's substitutes, in this order (the order they sit in). Each
    change is audited like a membership: ``set_substitute`` (new or moved), ``remove_substitute``.
    Returns the number of changes (0 when the list is as it was)."""
    assert transaction.get_connection().in_atomic_block
    wanted = {user.pk: (position, user) for position, user in enumerate(users, start=1)}
    changes = 0
    for current in CouncilSubstitute.objects.filter(council=council).select_related("user"):
        if current.user_id not in wanted:
            current.delete()
            audit_record(
                actor=actor,
                action="remove_substitute",
                obj=council,
                details={"user": current.user.username, "council": council.code, "position": current.position},
            )
            changes += 1
            continue
        position, user = wanted.pop(current.user_id)
        if current.position != position:
            previous = current.position
            current.position = position
            current.save(update_fields=["position"])
            audit_record(
                actor=actor,
                action="set_substitute",
                obj=council,
                details={
                    "user": user.username,
                    "council": council.code,
                    "position": position,
                    "previous_position": previous,
                },
            )
            changes += 1
    for position, user in wanted.values():
        CouncilSubstitute.objects.create(council=council, user=user, position=position)
        audit_record(
            actor=actor,
            action="set_substitute",
            obj=council,
            details={"user": user.username, "council": council.code, "position": position, "previous_position": None},
        )
        changes += 1
    for user in users:
        user.__dict__.pop("_substitute_councils", None)
    if changes:
        passwords_recheck(users=users, actor=actor)
    return changes


def _is_system(actor) -> bool:
    return actor is None


def _may_administer(actor, organisation: Organisation | None) -> bool:
    if _is_system(actor) or (actor.is_active and actor.is_superuser):
        return True
    return organisation is not None and actor.has_perm("councils.administer", organisation)


def _require_administer(actor, organisation: Organisation | None) -> None:
    if not _may_administer(actor, organisation):
        raise PermissionDenied(
            _("Bạn không quản trị tổ chức %(org)s.") % {"org": organisation.code if organisation else "—"}
        )


def _require_superuser(actor, what: str) -> None:
    if not (_is_system(actor) or (actor.is_active and actor.is_superuser)):
        raise PermissionDenied(_("Chỉ quản trị viên hệ thống mới được thay đổi %(what)s.") % {"what": what})


def _errors(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


# --- organisations ----------------------------------------------------------------------------

ORGANISATION_FIELDS = ("name", "headcount", "level")


def organisation_rules(*, changes: dict) -> dict:
    """Field → messages for the values in ``changes`` (an empty dict: all good)."""
    errors = {}
    if "name" in changes and not str(changes["name"] or "").strip():
        errors["name"] = [_("Cần có tên tổ chức.")]
    if "headcount" in changes:
        value = changes["headcount"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors["headcount"] = [_("Số đoàn viên phải là số nguyên không âm.")]
    if "level" in changes and changes["level"] not in Level.values:
        errors["level"] = [_("Cấp tổ chức không hợp lệ.")]
    if "code" in changes:
        code = str(changes["code"] or "").strip()
        if not code:
            errors["code"] = [_("Cần có mã tổ chức.")]
        elif Organisation.objects.filter(code=code).exists():
            errors["code"] = [_("Mã tổ chức %(code)s đã có.") % {"code": code}]
    return errors


@transaction.atomic
def organisation_create(
    *, actor, parent: Organisation | None, code: str, name: str, level: str, headcount: int = 0
) -> Organisation:
    """A new organisation under ``parent`` (a root only for the system or a superuser)."""
    if parent is None:
        _require_superuser(actor, _("gốc của cây tổ chức"))
    else:
        parent = Organisation.objects.select_for_update().get(pk=parent.pk)
        _require_administer(actor, parent)
    fields = {"code": (code or "").strip(), "name": name, "level": level, "headcount": headcount}
    _errors(organisation_rules(changes=fields))
    if parent is None:
        organisation = Organisation.objects.add_root(fields)
    else:
        organisation = Organisation.objects.add_child(parent, fields)
    audit_record(
        actor=actor,
        action="create_organisation",
        obj=organisation,
        details={**fields, "parent": parent.code if parent else None},
    )
    return organisation


@transaction.atomic
def organisation_update(*, organisation_id: int, actor, **changes) -> Organisation:
    """Change an organisation's ``name``, ``headcount`` or ``level`` (the tree itself moves only
    through ``organisation_move``). A union's admin changes organisations of their subtree; the
    level, which decides which councils a dossier meets, only the system or a superuser."""
    unknown = set(changes) - set(ORGANISATION_FIELDS)
    if unknown:
        raise TypeError(f"organisation_update cannot change {sorted(unknown)}")
    organisation = Organisation.objects.select_for_update().get(pk=organisation_id)
    _require_administer(actor, organisation)
    changed = {k: v for k, v in changes.items() if getattr(organisation, k) != v}
    if not changed:
        return organisation
    if "level" in changed:
        _require_superuser(actor, _("cấp của tổ chức"))
    _errors(organisation_rules(changes=changed))
    before = {k: getattr(organisation, k) for k in changed}
    for k, v in changed.items():
        setattr(organisation, k, v)
    organisation.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action="update_organisation",
        obj=organisation,
        details={"organisation": organisation.code, "before": before, "after": changed},
    )
    return organisation


def organisation_move_rules(*, organisation: Organisation, new_parent: Organisation) -> dict:
    if new_parent.path.startswith(organisation.path):
        return {
            "parent": [
                _("Không thể chuyển %(org)s vào bên trong chính nó (%(parent)s).")
                % {"org": organisation.code, "parent": new_parent.code}
            ]
        }
    return {}


def organisation_move(*, organisation: Organisation, new_parent: Organisation, effective, actor=None):
    """Move ``organisation`` (and its subtree) under ``new_parent`` from ``effective`` on.

    Records an ``OrganisationMove`` so that reports for earlier periods still count the unit under
    the parent it had then, and audits the move. A person acting must administer both the old and
    the new parent; the structure loader acts as the system (``actor=None``).
    Returns the move, or None when ``new_parent`` already is the parent.

    The progress counters' per-ancestor author counts go stale with a move (reports notice and
    count live): callers in the rooms above refresh them (``workflow.structure.organisation_relocate``)."""
    from .models import OrganisationMove

    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        new_parent = Organisation.objects.get(pk=new_parent.pk)
        old_parent = Organisation.objects.get_parent(organisation)
        if old_parent is not None and old_parent.pk == new_parent.pk:
            return None
        _errors(organisation_move_rules(organisation=organisation, new_parent=new_parent))
        if actor is not None and not actor.is_superuser:
            for parent in (old_parent, new_parent):
                if parent is not None and not actor.has_perm("councils.administer", parent):
                    raise PermissionDenied(
                        _("Cần quyền quản trị %(org)s để chuyển đơn vị vào hoặc ra khỏi đó.") % {"org": parent.code}
                    )
        Organisation.objects.move(organisation, new_parent, pos="last-child")
        move = OrganisationMove.objects.create(
            organisation=organisation,
            old_parent=old_parent,
            new_parent=new_parent,
            effective=effective,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        organisation = Organisation.objects.get(pk=organisation.pk)
        audit_record(
            actor=actor,
            action="move_organisation",
            obj=organisation,
            details={
                "organisation": organisation.code,
                "old_parent": old_parent.code if old_parent else None,
                "new_parent": new_parent.code,
                "effective": str(effective),
            },
        )
        # the people of the moved subtree, and the admins of it, may now be out of each other's reach
        moved = User.objects.filter(
            Q(organisation__path__startswith=organisation.path)
            | Q(password_set_by__role_assignments__organisation__path__startswith=organisation.path)
        )
        passwords_recheck(users=list(moved.filter(password_set_by__isnull=False).distinct()), actor=actor)
    return move


# --- blocs (khối thi đua) ----------------------------------------------------------------------


def bloc_save(*, code: str, name: str, organisation: Organisation, members: list[Organisation], actor=None) -> bool:
    """Create or change the bloc ``code``: its name, its parent and its member organisations
    (siblings under ``organisation``; the structure file's validation checks that). Audited as
    ``create_bloc`` / ``update_bloc`` with what changed — the quarterly bloc rankings depend on it.
    Returns whether anything changed."""
    from .models import Bloc, BlocMember

    assert transaction.get_connection().in_atomic_block
    if actor is not None:
        _require_administer(actor, organisation)
    bloc = Bloc.objects.select_for_update().filter(code=code).first()
    created = bloc is None
    before = {} if created else {"name": bloc.name, "organisation": bloc.organisation.code}
    if created:
        bloc = Bloc.objects.create(code=code, name=name, organisation=organisation)
    elif bloc.name != name or bloc.organisation_id != organisation.pk:
        bloc.name, bloc.organisation = name, organisation
        bloc.save(update_fields=["name", "organisation"])
    after = {"name": name, "organisation": organisation.code}
    codes = dict(BlocMember.objects.filter(bloc=bloc).values_list("organisation_id", "organisation__code"))
    wanted = {o.pk: o.code for o in members}
    gone, new = set(codes) - set(wanted), set(wanted) - set(codes)
    if gone:
        BlocMember.objects.filter(bloc=bloc, organisation_id__in=gone).delete()
    if new:
        BlocMember.objects.bulk_create(BlocMember(bloc=bloc, organisation_id=pk) for pk in new)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if not (created or changed or gone or new):
        return False
    audit_record(
        actor=actor,
        action="create_bloc" if created else "update_bloc",
        obj=organisation,
        details={
            "bloc": code,
            "before": {k: before[k] for k in changed if k in before},
            "after": changed,
            "members_added": sorted(wanted[pk] for pk in new),
            "members_removed": sorted(codes[pk] for pk in gone),
        },
    )
    return True


# --- councils ---------------------------------------------------------------------------------
# --- councils ---------------------------------------------------------------------------------

COUNCIL_FIELDS = ("name", "quorum", "threshold", "ballot", "decision_days", "kind", "organisation")


def _threshold_of(value) -> Fraction | None:
    if isinstance(value, Fraction):
        frac = value
    else:
        from .structure import parse_threshold

        frac = parse_threshold(value)
    if frac is None or not (0 < frac <= 1):
        return None
    return frac


def council_rules(*, council: Council | None, changes: dict, actor=None) -> dict:
    errors = {}
    if "quorum" in changes:
        quorum = changes["quorum"]
        if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 1:
            errors["quorum"] = [_("Số phiếu tối thiểu phải là số nguyên từ 1 trở lên.")]
        elif council is not None and not _is_system(actor):
            seats = Membership.objects.filter(council=council).count()
            if seats and quorum > seats:
                errors["quorum"] = [
                    _("Số phiếu tối thiểu %(quorum)d lớn hơn số thành viên hội đồng (%(seats)d).")
                    % {"quorum": quorum, "seats": seats}
                ]
    if "threshold" in changes and _threshold_of(changes["threshold"]) is None:
        errors["threshold"] = [_("Tỷ lệ thông qua phải là phân số trong khoảng (0, 1], ví dụ 2/3.")]
    if "ballot" in changes and changes["ballot"] not in Ballot.values:
        errors["ballot"] = [_("Hình thức biểu quyết không hợp lệ.")]
    if "decision_days" in changes:
        days = changes["decision_days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            errors["decision_days"] = [_("Thời hạn xét phải là số ngày nguyên từ 1 trở lên.")]
    if "kind" in changes and changes["kind"] not in CouncilKind.values:
        errors["kind"] = [_("Loại hội đồng không hợp lệ.")]
    return errors


def _council_values(council: Council) -> dict:
    return {
        "organisation": council.organisation.code,
        "name": council.name,
        "quorum": council.quorum,
        "threshold": council.threshold_display,
        "ballot": council.ballot,
        "decision_days": council.decision_days,
        "kind": council.kind,
    }


def _apply_council_fields(council: Council, changes: dict) -> list[str]:
    fields = []
    for k, v in changes.items():
        if k == "organisation":
            council.organisation = v
            fields.append(k)
        elif k == "threshold":
            frac = _threshold_of(v)
            council.threshold_numerator, council.threshold_denominator = frac.numerator, frac.denominator
            fields += ["threshold_numerator", "threshold_denominator"]
        else:
            setattr(council, k, v)
            fields.append(k)
    return fields


@transaction.atomic
def council_create(*, actor, organisation: Organisation, code: str, kind: str, **fields) -> Council:
    """A new council of ``organisation`` (the structure loader; a union's admin of that subtree)."""
    organisation = Organisation.objects.get(pk=organisation.pk)
    _require_administer(actor, organisation)
    values = {"kind": kind, **fields}
    errors = council_rules(council=None, changes=values, actor=actor)
    if not (code or "").strip():
        errors["code"] = [_("Cần có mã hội đồng.")]
    elif Council.objects.filter(code=code).exists():
        errors["code"] = [_("Mã hội đồng %(code)s đã có.") % {"code": code}]
    _errors(errors)
    council = Council(code=code, organisation=organisation)
    _apply_council_fields(council, values)
    council.save()
    audit_record(
        actor=actor,
        action="create_council",
        obj=council,
        details={"council": code, "organisation": organisation.code, "after": _council_values(council)},
    )
    return council


@transaction.atomic
def council_update(*, council_id: int, actor, **changes) -> Council:
    """Change a council's rules: ``name``, ``quorum``, ``threshold`` (a fraction such as "2/3"),
    ``ballot`` (open · secret), ``decision_days``; ``kind`` (its members' permissions depend on
    it: the loader re-seats them) and ``organisation`` only for the system or a superuser. Audited with the values
    before and after. Sessions already open keep the rules they were opened with (their own
    snapshot); the change applies to sessions opened afterwards.

    A union's admin changes councils of organisations in their subtree, nothing else."""
    unknown = set(changes) - set(COUNCIL_FIELDS)
    if unknown:
        raise TypeError(f"council_update cannot change {sorted(unknown)}")
    council = Council.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=council_id)
    _require_administer(actor, council.organisation)
    before_all = _council_values(council)
    wanted = dict(changes)
    if "threshold" in wanted:
        frac = _threshold_of(wanted["threshold"])
        if frac is not None:
            wanted["threshold"] = f"{frac.numerator}/{frac.denominator}"
    if "organisation" in wanted:
        wanted["organisation"] = wanted["organisation"].code
    changed = {k: changes[k] for k, v in wanted.items() if before_all[k] != v}
    if not changed:
        return council
    if "kind" in changed:
        _require_superuser(actor, _("loại hội đồng"))
    if "organisation" in changed:
        _require_superuser(actor, _("tổ chức của hội đồng"))
    _errors(council_rules(council=council, changes=changed, actor=actor))
    fields = _apply_council_fields(council, changed)
    council.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="update_council",
        obj=council,
        details={
            "council": council.code,
            "organisation": council.organisation.code,
            "before": {k: before_all[k] for k in changed},
            "after": {k: _council_values(council)[k] for k in changed},
        },
    )
    return council


# --- people -----------------------------------------------------------------------------------

USER_FIELDS = (
    "full_name",
    "first_name",
    "last_name",
    "email",
    "position",
    "qualification",
    "date_of_birth",
    "organisation",
    "is_active",
)
# who may enter the admin, do everything, or hold model permissions: superusers (and the system) only
PRIVILEGED_USER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


def _require_manage(actor, user: User) -> None:
    if _is_system(actor) or user_manageable_by(actor=actor, user=user):
        return
    raise PermissionDenied(
        _("Bạn không quản lý tài khoản %(user)s: người này thuộc hoặc giữ vai trò ngoài tổ chức bạn quản trị.")
        % {"user": user.username}
    )


def user_rules(*, user: User | None, changes: dict) -> dict:
    """Field → messages for a person's details (the model's own field validation)."""
    errors = {}
    for name, value in changes.items():
        if name in ("organisation", "groups", "user_permissions", "password"):
            continue
        field = User._meta.get_field(name)
        if value in (None, "") and field.blank:
            continue
        try:
            field.clean(value, user)
        except ValidationError as e:
            errors[name] = e.messages
    return errors


def password_rules(*, password: str | None, user: User) -> dict:
    """The configured password validators (``AUTH_PASSWORD_VALIDATORS``) for ``user``."""
    if password is None:
        return {}
    try:
        validate_password(password, user)
    except ValidationError as e:
        return {"password": e.messages}
    return {}


def _user_values(user: User, names) -> dict:
    out = {}
    for name in names:
        if name == "organisation":
            out[name] = user.organisation.code if user.organisation_id else None
        elif name == "groups":
            out[name] = sorted(user.groups.values_list("name", flat=True))
        elif name == "user_permissions":
            out[name] = sorted(
                f"{a}.{c}" for a, c in user.user_permissions.values_list("content_type__app_label", "codename")
            )
        else:
            out[name] = getattr(user, name)
    return out


@transaction.atomic
def user_create(*, actor, username: str, organisation: Organisation | None, password: str | None = None, **fields):
    """A new person in ``organisation``. ``password=None`` makes the password unusable (the
    person signs in once someone sets one). Privileged flags only for the system or a superuser.
    The password passes the validators and never reaches the trail."""
    unknown = set(fields) - set(USER_FIELDS) - set(PRIVILEGED_USER_FIELDS)
    if unknown:
        raise TypeError(f"user_create cannot set {sorted(unknown)}")
    if organisation is None:
        _require_superuser(actor, _("người dùng không thuộc tổ chức nào"))
    else:
        _require_administer(actor, organisation)
    privileged = {k: v for k, v in fields.items() if k in PRIVILEGED_USER_FIELDS and v}
    if privileged:
        _require_superuser(actor, _("quyền quản trị của tài khoản"))
    groups = fields.pop("groups", None)
    perms = fields.pop("user_permissions", None)
    user = User(username=username, organisation=organisation, **fields)
    errors = user_rules(user=None, changes={"username": username, **fields})
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("Tên đăng nhập %(username)s đã có.") % {"username": username}]
    errors.update(password_rules(password=password, user=user))
    _errors(errors)
    with _account_write():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
            user.password_set_by = _setter(actor, user)
        user.save()
        if groups:
            user.groups.set(groups)
        if perms:
            user.user_permissions.set(perms)
    shown = [k for k in USER_FIELDS if k in fields and k != "organisation"] + ["is_staff", "is_superuser"]
    shown += (["groups"] if groups else []) + (["user_permissions"] if perms else [])
    audit_record(
        actor=actor,
        action="create_user",
        obj=user,
        details={
            "user": username,
            "after": _user_values(user, ["organisation", *shown]),
            "usable_password": password is not None,
        },
    )
    return user


@transaction.atomic
def user_update(*, user_id: int, actor, **changes) -> User:
    """Change a person's details (``USER_FIELDS``), and — for superusers and the system only —
    ``is_staff``, ``is_superuser``, ``groups`` and ``user_permissions``. A union's admin changes
    people they manage (``user_manageable_by``), and moves them only to organisations they
    administer. Audited with the values before and after."""
    unknown = set(changes) - set(USER_FIELDS) - set(PRIVILEGED_USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update cannot change {sorted(unknown)}")
    user = User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=user_id)
    _require_manage(actor, user)
    before = _user_values(user, changes)
    wanted = dict(changes)
    if "organisation" in wanted:
        org = wanted["organisation"]
        wanted["organisation"] = org.code if org is not None else None
    for name in ("groups", "user_permissions"):
        if name in wanted:
            items = list(wanted[name] or [])
            if name == "groups":
                wanted[name] = sorted(g.name for g in items)
            else:
                wanted[name] = sorted(f"{p.content_type.app_label}.{p.codename}" for p in items)
    changed = [k for k in changes if before[k] != wanted[k]]
    if not changed:
        return user
    if any(k in PRIVILEGED_USER_FIELDS for k in changed):
        _require_superuser(actor, _("quyền quản trị của tài khoản"))
    if "organisation" in changed:
        if changes["organisation"] is None:
            _require_superuser(actor, _("người dùng không thuộc tổ chức nào"))
        else:
            _require_administer(actor, changes["organisation"])
    _errors(user_rules(user=user, changes={k: changes[k] for k in changed}))
    with _account_write():
        simple = [k for k in changed if k not in ("groups", "user_permissions")]
        for k in simple:
            setattr(user, k, changes[k])
        if simple:
            user.save(update_fields=simple)
        if "groups" in changed:
            user.groups.set(changes["groups"])
        if "user_permissions" in changed:
            user.user_permissions.set(changes["user_permissions"])
    _clear_perm_cache(user)
    audit_record(
        actor=actor,
        action="update_user",
        obj=user,
        details={
            "user": user.username,
            "before": {k: before[k] for k in changed},
            "after": {k: wanted[k] for k in changed},
        },
    )
    if "organisation" in changed:
        passwords_recheck(users=[user], actor=actor)
    if {"is_active", "is_superuser"} & set(changed):
        passwords_recheck(set_by=user, actor=actor)
    return user


@transaction.atomic
def user_set_password(*, user_id: int, actor, password: str | None) -> User:
    """Set (or, with ``None``, disable) a person's password. A union's admin sets the passwords
    of people they manage; the password passes ``AUTH_PASSWORD_VALIDATORS``. The trail records
    who set whose password, never the password or its hash."""
    user = User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=user_id)
    _require_manage(actor, user)
    _errors(password_rules(password=password, user=user))
    with _account_write():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.password_set_by = _setter(actor, user) if password is not None else None
        user.save(update_fields=["password", "password_set_by"])
    audit_record(
        actor=actor,
        action="set_password",
        obj=user,
        details={"user": user.username, "usable_password": password is not None},
    )
    return user


# --- sign-in ----------------------------------------------------------------------------------


@transaction.atomic
def login_lockout_record(*, username: str | None, ip_address: str | None, failures: int | None = None) -> None:
    """Audit that sign-in for ``username`` was locked after too many wrong passwords (django-axes
    reports it). The entry names the username tried, never a password."""
    tried = (username or "")[:150]
    user = User.objects.filter(username=tried).select_related("organisation").first() if tried else None
    audit_record(
        actor=None,
        action="login_locked_out",
        object_type="user",
        object_id=(str(user.pk) if user else tried[:64]),
        scope_path=user.audit_scope_path if user else "",
        details={"username": tried, "ip_address": ip_address or "", "failures": failures, "known_user": bool(user)},
    )
