"""Writes on the tree, people, roles and councils. Every permission change is audited."""

from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from audit.actions import audit_record

from .models import (
    ROLE_PERMS,
    Council,
    CouncilSubstitute,
    Membership,
    Organisation,
    RoleAssignment,
    User,
    membership_perms,
)


def _clear_perm_cache(user):
    user.__dict__.pop("_subtree_perm_cache", None)
    user.__dict__.pop("_guardian_perms_cache", None)


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
    return changes


def _bi(vi: str, en: str) -> str:
    return f"{vi} / {en}"


def organisation_move(*, organisation: Organisation, new_parent: Organisation, effective, actor=None):
    """Move ``organisation`` (and its subtree) under ``new_parent`` from ``effective`` on.

    Records an ``OrganisationMove`` so that reports for earlier periods still count the unit under
    the parent it had then, and audits the move. A person acting must administer both the old and
    the new parent; the structure loader acts as the system (``actor=None``).
    Returns the move, or None when ``new_parent`` already is the parent."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from .models import OrganisationMove

    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        new_parent = Organisation.objects.get(pk=new_parent.pk)
        old_parent = Organisation.objects.get_parent(organisation)
        if old_parent is not None and old_parent.pk == new_parent.pk:
            return None
        if new_parent.path.startswith(organisation.path):
            raise ValidationError(
                _bi(
                    f"không thể chuyển '{organisation.code}' vào bên trong chính nó ('{new_parent.code}')",
                    f"cannot move '{organisation.code}' under its own subtree ('{new_parent.code}')",
                )
            )
        if getattr(actor, "pk", None) and not actor.is_superuser:
            for parent in (old_parent, new_parent):
                if parent is not None and not actor.has_perm("councils.administer", parent):
                    raise PermissionDenied(
                        _bi(
                            f"bạn cần quyền quản trị tổ chức '{parent.code}' để chuyển đơn vị",
                            f"you must administer '{parent.code}' to move a unit",
                        )
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
    return move
