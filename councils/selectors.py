"""Reads over the tree, the people and the councils."""

from django.db.models import Count, Q, QuerySet

from .models import Council, CouncilKind, CouncilSubstitute, Membership, Organisation, Role, RoleAssignment, User

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


def _per_request(user, key: str, compute):
    """``compute()``, asked once per request and person: kept on the user object with the request's
    id (``config.logs.request_id``, set for a request's duration by ``ops.middleware``), so a new
    request — or the same user object in the next one — asks again. Outside a request (actions,
    commands, tasks): asked every time."""
    from config.logs import request_id

    rid = request_id.get()
    if not rid:
        return compute()
    store = user.__dict__.get("_per_request")
    if store is None or store[0] != rid:
        store = (rid, {})
        user.__dict__["_per_request"] = store
    if key not in store[1]:
        store[1][key] = compute()
    return store[1][key]


def user_roles(*, user: User) -> list[tuple[str, str]]:
    """(role, organisation path) of every role ``user`` holds: one query per request."""
    if not user.is_authenticated:
        return []
    return _per_request(
        user,
        "roles",
        lambda: list(RoleAssignment.objects.filter(user=user).values_list("role", "organisation__path")),
    )


def user_memberships(*, user: User) -> list[tuple[int, str, str, str]]:
    """(council id, council kind, role, council's organisation path) of every council ``user`` sits
    on: one query per request."""
    if not user.is_authenticated:
        return []
    return _per_request(
        user,
        "memberships",
        lambda: list(
            Membership.objects.filter(user=user)
            .order_by("council_id")
            .values_list("council_id", "council__kind", "role", "council__organisation__path")
        ),
    )


def user_role_paths(*, user: User, roles) -> list[str]:
    """Paths of the organisations on which ``user`` holds any of ``roles``."""
    roles = set(roles)
    return [path for role, path in user_roles(user=user) if role in roles]


def user_advised_paths(*, user: User) -> list[str]:
    """Organisations whose dossiers ``user`` helps as a member of an advisory team."""
    return [path for _c, kind, _r, path in user_memberships(user=user) if kind == CouncilKind.ADVISORY]


_NEAREST = {}


def _councils_on(kind: str, paths: list) -> list[Council]:
    """``Council.objects.filter(kind=kind, organisation__path__in=paths).select_related("organisation")``
    in id order;
    on PostgreSQL its SQL written once per process (``= ANY(array)``: one text for any depth), as
    building and compiling the queryset cost more than the read."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return list(
            Council.objects.filter(kind=kind, organisation__path__in=paths)
            .select_related("organisation")
            .order_by("pk")
        )
    if not _NEAREST:
        qn = connection.ops.quote_name
        council = [f.attname for f in Council._meta.concrete_fields]
        org = [f.attname for f in Organisation._meta.concrete_fields]
        columns = [f"c.{qn(Council._meta.get_field(n).column)}" for n in council] + [
            f"o.{qn(Organisation._meta.get_field(n).column)}" for n in org
        ]
        _NEAREST["sql"] = (
            f"SELECT {', '.join(columns)} FROM {qn(Council._meta.db_table)} c "
            f"JOIN {qn(Organisation._meta.db_table)} o ON o.id = c.organisation_id "
            "WHERE c.kind = %s AND o.path = ANY(%s) ORDER BY c.id"
        )
        _NEAREST["names"] = council, org
    council, org = _NEAREST["names"]
    db = Council.objects.db
    out = []
    with connection.cursor() as cursor:
        cursor.execute(_NEAREST["sql"], [kind, list(paths)])
        for row in cursor.fetchall():
            c = Council.from_db(db, council, row[: len(council)])
            c.organisation = Organisation.from_db(db, org, row[len(council) :])
            out.append(c)
    return out


def nearest_council(*, organisation: Organisation, kind: str, include_self: bool = True) -> Council | None:
    """The council of ``kind`` on the nearest organisation at or above ``organisation``."""
    paths = organisation.ancestor_paths(include_self=include_self)
    # several of a kind on one organisation: the newest wins (as ``routing.recognised_stages``)
    councils = {c.organisation.path: c for c in _councils_on(kind, paths)}
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


# --- administration: whose subtree a union's admin manages ---------------------------------------


def admin_scope_paths(*, user) -> list[str] | None:
    """The subtrees ``user`` administers (role ``admin``), as minimal paths; ``None`` means
    everything (an active superuser). Anyone else gets an empty list: nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    return _minimal_paths(user_role_paths(user=user, roles=[Role.ADMIN]))


def path_in_scope(path: str | None, paths: list[str] | None) -> bool:
    if paths is None:
        return True
    return bool(path) and any(path.startswith(p) for p in paths)


def user_manageable_by(*, actor, user: User) -> bool:
    """May ``actor`` change ``user``'s account (details, password, whether it is active)?

    A superuser: anyone. A union's admin: a person of their subtree whose every role and every
    council seat (member or substitute) lies in that subtree too, and who is not a superuser — so no admin can take over
    an account that reaches beyond what they administer (a federation member, a sector chair)."""
    paths = admin_scope_paths(user=actor)
    if paths is None:
        return True
    if not paths or user.is_superuser or not user.organisation_id:
        return False
    if not path_in_scope(user.organisation.path, paths):
        return False
    outside = ~subtree_q(paths, field="organisation__path")
    if RoleAssignment.objects.filter(outside, user=user).exists():
        return False
    outside_council = ~subtree_q(paths, field="council__organisation__path")
    if Membership.objects.filter(outside_council, user=user).exists():
        return False
    # a substitute may be seated on that council's dossiers: a seat as much as a membership
    return not CouncilSubstitute.objects.filter(outside_council, user=user).exists()


def administers_above(*, actor, organisation: Organisation) -> bool:
    """Does ``actor`` administer a union *above* ``organisation``? Targets and award quotas are
    assigned from above (a unit does not set its own target or cap); ``None`` is the system."""
    if actor is None:
        return True
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_superuser:
        return True
    return RoleAssignment.objects.filter(
        user=actor, role=Role.ADMIN, organisation__path__in=organisation.ancestor_paths(include_self=False)
    ).exists()


SMALL_ADVISORY_TEAM = 3  # "Tổ tư vấn hỗ trợ sáng kiến" of 3 or more members (seed 003 §II.1)


def small_advisory_teams(*, root: Organisation) -> list[Council]:
    """The advisory teams in ``root``'s subtree with fewer than 3 members (the programme asks for 3
    or more), each annotated with ``member_count``, in tree order: the officers' dashboard lists
    them, the structure loader warns of them."""
    return list(
        Council.objects.filter(kind=CouncilKind.ADVISORY, organisation__path__startswith=root.path)
        .annotate(member_count=Count("memberships"))
        .filter(member_count__lt=SMALL_ADVISORY_TEAM)
        .select_related("organisation")
        .order_by("organisation__path", "code")
    )
