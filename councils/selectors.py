"""Reads over the tree, the people and the councils."""

from django.db.models import Q, QuerySet

from .models import Council, CouncilKind, Membership, Organisation, Role, RoleAssignment, User

LEVEL_COUNCIL_KIND = {
    "unit": CouncilKind.UNIT,
    "corporation": CouncilKind.CORPORATION,
    "sector": CouncilKind.SECTOR,
    "federation": CouncilKind.FEDERATION,
}


def organisation_subtree(*, organisation: Organisation, include_self: bool = True) -> QuerySet:
    """Every organisation under ``organisation``: one range scan on the path index."""
    qs = Organisation.objects.filter(path__startswith=organisation.path)
    if not include_self:
        qs = qs.exclude(pk=organisation.pk)
    return qs


def organisation_ancestors(*, organisation: Organisation, include_self: bool = False) -> QuerySet:
    return Organisation.objects.filter(path__in=organisation.ancestor_paths(include_self=include_self)).order_by(
        "depth"
    )


def subtree_q(paths, field: str = "organisation__path") -> Q:
    """A filter matching anything whose organisation lies under one of ``paths``."""
    q = Q(pk__in=[])
    for path in _minimal_paths(paths):
        q |= Q(**{f"{field}__startswith": path})
    return q


def _minimal_paths(paths):
    """Drop paths already covered by a shorter one."""
    out = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(p) for p in out):
            out.append(path)
    return out


def user_role_paths(*, user: User, roles) -> list[str]:
    """Paths of the organisations on which ``user`` holds any of ``roles``."""
    if not user.is_authenticated:
        return []
    return list(
        RoleAssignment.objects.filter(user=user, role__in=list(roles)).values_list("organisation__path", flat=True)
    )


def user_advised_paths(*, user: User) -> list[str]:
    """Organisations whose dossiers ``user`` helps as a member of an advisory team."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, council__kind=CouncilKind.ADVISORY).values_list(
            "council__organisation__path", flat=True
        )
    )


def nearest_council(*, organisation: Organisation, kind: str, include_self: bool = True) -> Council | None:
    """The council of ``kind`` on the nearest organisation at or above ``organisation``."""
    paths = organisation.ancestor_paths(include_self=include_self)
    councils = {
        c.organisation.path: c
        for c in Council.objects.filter(kind=kind, organisation__path__in=paths).select_related("organisation")
    }
    for path in reversed(paths):
        if path in councils:
            return councils[path]
    return None


def advisory_team_for(*, organisation: Organisation) -> Council | None:
    """The unit's advisory team, or where it has none, the nearest ancestor's."""
    return nearest_council(organisation=organisation, kind=CouncilKind.ADVISORY)


def is_unit(organisation: Organisation) -> bool:
    """A grassroots unit: level ``unit``, or any organisation that keeps a unit council."""
    return organisation.level == "unit" or organisation.councils.filter(kind=CouncilKind.UNIT).exists()


def user_has_role_on(*, user: User, organisation: Organisation, role: str) -> bool:
    return user.has_perm(f"councils.{_ROLE_PERM[role]}", organisation)


_ROLE_PERM = {
    Role.AUTHOR: "author_in",
    Role.OFFICER: "act_as_officer",
    Role.AUDITOR: "audit_in",
    Role.ADMIN: "administer",
}


def holds_role_anywhere(*, user, roles) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        RoleAssignment.objects.filter(user=user, role__in=list(roles)).exists()
    )


def topmost_auditors() -> QuerySet:
    """Active people holding the auditor role on an organisation with no auditor's role above it:
    the auditors of the top of each branch of the tree (who receive the trail's checkpoints)."""
    rows = list(
        RoleAssignment.objects.filter(role=Role.AUDITOR, user__is_active=True).values_list(
            "user_id", "organisation__path"
        )
    )
    top = set(_minimal_paths(path for _user, path in rows))
    return User.objects.filter(pk__in={user for user, path in rows if path in top})
