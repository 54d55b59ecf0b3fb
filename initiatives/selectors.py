"""Questions actions ask about a person and a dossier. Visibility lives in ``workflow.selectors``
(it depends on council sessions)."""

from django.db.models import Q

from councils.models import Membership, Organisation
from councils.selectors import advisory_team_for, is_unit

from .models import Consent, Initiative, InitiativeAuthor
from .routing import route_seat_q


def is_author(*, user, initiative: Initiative) -> bool:
    """Listed among the authors (whatever they answered): what recusal asks."""
    return initiative.authors.filter(user_id=user.pk).exists()


def _asked_once(initiative: Initiative, key, compute):
    """``compute()`` once per dossier object (a page asks the same questions of it several times:
    the content, the remuneration, the actions); the object lives for one request."""
    answers = initiative.__dict__.setdefault("_asked", {})
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def is_acting_author(*, user, initiative: Initiative) -> bool:
    """Listed and not declined: the author's powers (edit, submit, withdraw, the confidential
    content) belong to those who did not say they are no author."""
    return _asked_once(
        initiative,
        ("acting_author", user.pk),
        lambda: initiative.authors.filter(user_id=user.pk).exclude(consent=Consent.DECLINED).exists(),
    )


def judged_by(initiative: Initiative) -> set[int]:
    """The councils that judge or judged ``initiative``: its sessions' and the one before which it is."""

    def read():
        judged = set(initiative.sessions.values_list("council_id", flat=True))
        if initiative.council_id:
            judged.add(initiative.council_id)
        return judged

    return _asked_once(initiative, ("judged_by", initiative.council_id), read)


def sits_on_judging_council(*, user, initiative: Initiative) -> bool:
    """Whether ``user`` is a member of a council that judges or judged ``initiative``."""
    return _asked_once(
        initiative,
        ("sits", user.pk, initiative.council_id),
        lambda: Membership.objects.filter(user=user, council_id__in=judged_by(initiative)).exists(),
    )


def pending_route_coauthors(initiative: Initiative) -> list[InitiativeAuthor]:
    """The co-authors named by username who have not answered (consent pending) and who sit, as a
    member or a substitute, on a council of the dossier's route (``routing.route_councils``):
    listed, they would be recused there without having agreed to be authors. One query."""
    return list(
        initiative.authors.filter(route_seat_q(organisation=initiative.organisation, field="user_id"))
        .filter(consent=Consent.PENDING)
        .select_related("user")
        .order_by("position")
    )


def is_adviser(*, user, organisation: Organisation) -> bool:
    team = advisory_team_for(organisation=organisation)
    return bool(team) and user.has_perm("councils.advise", team)


def can_create_in(*, user, organisation: Organisation) -> bool:
    """A draft may be created in a unit the user belongs to (or holds a role on) or advises."""
    if not is_unit(organisation):
        return False
    if user.organisation_id == organisation.pk:
        return True
    for perm in ("author_in", "act_as_officer", "administer"):
        if user.has_perm(f"councils.{perm}", organisation):
            return True
    return is_adviser(user=user, organisation=organisation)


def creatable_units(*, user, limit: int = 500, scan: int = 2000) -> list[Organisation]:
    """The units where ``user`` may create a draft (``can_create_in``), in tree order, at most
    ``limit``: looked for only where the rule could say yes — their own organisation, the subtrees
    of their author, officer and admin roles, the organisations their advisory teams serve (and
    every unit for a superuser) — and at most ``scan`` of those asked."""
    from councils.models import CouncilKind, Role
    from councils.selectors import subtree_q, user_advised_paths, user_role_paths

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    units = Organisation.objects.filter(Q(level="unit") | Q(councils__kind=CouncilKind.UNIT))
    if not user.is_superuser:
        paths = user_role_paths(user=user, roles=[Role.AUTHOR, Role.OFFICER, Role.ADMIN])
        paths += user_advised_paths(user=user)
        reach = subtree_q(paths, "path") if paths else Q(pk__in=[])
        if user.organisation_id:
            reach |= Q(pk=user.organisation_id)
        units = units.filter(reach)
    out = []
    for organisation in units.distinct().order_by("path")[:scan]:
        if can_create_in(user=user, organisation=organisation):
            out.append(organisation)
            if len(out) >= limit:
                break
    return out


def may_create_somewhere(*, user) -> bool:
    """Whether ``user`` may create a draft in any unit: who may not is never led to the form."""
    return bool(creatable_units(user=user, limit=1))


def can_edit(*, user, initiative: Initiative) -> bool:
    return is_acting_author(user=user, initiative=initiative) or is_adviser(
        user=user, organisation=initiative.organisation
    )


def can_see_confidential(*, user, initiative: Initiative) -> bool:
    """A confidential dossier shows its content only to its authors (who did not decline) and
    whoever drafted it, the unit's advisory team, the councils that judge or judged it, and
    auditors (and admins) over the unit; everyone else who may see it gets title, summary and
    awards (API.md §2). ``workflow.selectors.content_visible_q`` is the same rule as a filter."""
    if not initiative.confidential:
        return True
    if not user.is_authenticated:
        return False
    if initiative.created_by_id == user.pk or can_edit(user=user, initiative=initiative):
        return True
    if user.has_perm("councils.audit_in", initiative.organisation):
        return True
    return sits_on_judging_council(user=user, initiative=initiative)


def confidential_hidden_ids(*, user, initiatives) -> set[int]:
    """The ids among ``initiatives`` whose content ``user`` may not see: ``can_see_confidential``
    for many dossiers at once, in a handful of queries whatever their number (authorships, the
    councils that judged them, the user's memberships in one query each; the advisory team's and
    the auditor's permission once per organisation)."""
    confidential = [i for i in initiatives if i.confidential]
    if not confidential:
        return set()
    if not user.is_authenticated:
        return {i.pk for i in confidential}
    pending = [i for i in confidential if i.created_by_id != user.pk]
    ids = [i.pk for i in pending]
    authored = set(
        InitiativeAuthor.objects.filter(initiative_id__in=ids, user_id=user.pk)
        .exclude(consent=Consent.DECLINED)
        .values_list("initiative_id", flat=True)
    )
    judged = {}
    sessions = Initiative._meta.get_field("sessions").related_model  # the lifecycle's council sessions
    for iid, council_id in sessions.objects.filter(initiative_id__in=ids).values_list("initiative_id", "council_id"):
        judged.setdefault(iid, set()).add(council_id)
    mine = set(Membership.objects.filter(user=user).values_list("council_id", flat=True))
    left = [i for i in pending if i.pk not in authored and not ((judged.get(i.pk, set()) | {i.council_id}) & mine)]
    if not left:
        return set()
    opened = advising_or_auditing(user=user, organisations={i.organisation_id: i.organisation for i in left})
    return {i.pk for i in left if not opened[i.organisation_id]}


def advising_or_auditing(*, user, organisations: dict) -> dict[int, bool]:
    """``{id: is_adviser(user, org) or user.has_perm("councils.audit_in", org)}`` for many
    organisations in four queries: the same backends' answers (roles on an ancestor, object
    permissions of the user and their groups, a superuser), asked once for all."""
    from guardian.shortcuts import get_objects_for_user

    from councils.models import Council, CouncilKind, RolePermission

    if not user.is_active:
        return dict.fromkeys(organisations, False)
    if user.is_superuser:
        return dict.fromkeys(organisations, True)
    role_paths = list(
        RolePermission.objects.filter(user=user, permission__codename="audit_in").values_list(
            "content_object__path", flat=True
        )
    )
    direct = set(
        get_objects_for_user(
            user,
            "councils.audit_in",
            klass=Organisation.objects.filter(pk__in=list(organisations)),
            accept_global_perms=False,
            with_superuser=False,
        ).values_list("pk", flat=True)
    )
    ancestors = {pk: org.ancestor_paths(include_self=True) for pk, org in organisations.items()}
    teams = {}  # path -> the advisory council there (as ``nearest_council`` picks it)
    for c in Council.objects.filter(
        kind=CouncilKind.ADVISORY, organisation__path__in={p for paths in ancestors.values() for p in paths}
    ).select_related("organisation"):
        teams[c.organisation.path] = c
    team_of = {}
    for pk, paths in ancestors.items():
        team_of[pk] = next((teams[p] for p in reversed(paths) if p in teams), None)
    team_ids = [t.pk for t in team_of.values() if t is not None]
    advising = set()
    if team_ids:
        advising = set(
            get_objects_for_user(
                user,
                "councils.advise",
                klass=Council.objects.filter(pk__in=team_ids),
                accept_global_perms=False,
                with_superuser=False,
            ).values_list("pk", flat=True)
        )
    out = {}
    for pk, org in organisations.items():
        team = team_of[pk]
        out[pk] = (
            (team is not None and team.pk in advising)
            or pk in direct
            or any(org.path.startswith(p) for p in role_paths)
        )
    return out


def may_see_remuneration(*, user, initiative: Initiative) -> bool:
    """The remuneration hint (≥ 7 % of the yearly benefit for 3 years, Decree 13/2012) is for the
    dossier's authors (who did not decline) and whoever drafted it, and the councils that judge or
    judged it (advisory team included) — not for officers, auditors or anyone else."""
    if not user.is_authenticated:
        return False
    if initiative.created_by_id == user.pk:
        return True
    if is_acting_author(user=user, initiative=initiative):
        return True
    return sits_on_judging_council(user=user, initiative=initiative)


def dossier_diff(*, before: dict, after: dict) -> dict:
    """What changed from one frozen dossier (``DossierVersion.content``) to another: each field
    whose value differs, ``{"before", "after"}``; attachments added and removed, a file being the
    same when its content (sha256), name and kind are (a file uploaded again is no change)."""
    fields = {}
    for name in sorted((set(before) | set(after)) - {"attachments"}):
        old, new = before.get(name), after.get(name)
        if old != new:
            fields[name] = {"before": old, "after": new}

    def key(a):
        return (a.get("sha256"), a.get("name"), a.get("kind"))

    old_files, new_files = before.get("attachments") or [], after.get("attachments") or []
    old_keys, new_keys = [key(a) for a in old_files], [key(a) for a in new_files]
    added, removed = [], []
    remaining = list(old_keys)
    for a, k in zip(new_files, new_keys, strict=True):
        if k in remaining:
            remaining.remove(k)
        else:
            added.append(a)
    remaining = list(new_keys)
    for a, k in zip(old_files, old_keys, strict=True):
        if k in remaining:
            remaining.remove(k)
        else:
            removed.append(a)
    return {"fields": fields, "attachments": {"added": added, "removed": removed}}


def _first_filed(initiative: Initiative):
    return initiative.submitted_at or initiative.created_at


def standing_marks(*, initiative: Initiative) -> list:
    """The marks that stand between ``initiative`` and each other dossier: of all the marks
    between two dossiers (in either direction), the latest; oldest pair first."""
    from .models import DuplicateMark

    marks = (
        DuplicateMark.objects.filter(Q(initiative=initiative) | Q(of=initiative))
        .select_related("initiative", "of", "initiative__organisation", "of__organisation")
        .order_by("at", "id")
    )
    latest = {}
    for m in marks:
        latest[frozenset((m.initiative_id, m.of_id))] = m
    return sorted(latest.values(), key=lambda m: (m.at, m.pk))


def standing_duplicate_of(*, initiative: Initiative) -> Initiative | None:
    """The earlier recognised dossier ``initiative`` stands marked a duplicate of (the law
    recognises only the earlier application), or None. A later "not a duplicate" mark between the
    two lifts it. Earlier: filed (submitted, else created) before, the lower id on a tie."""
    mine = _first_filed(initiative)
    for m in standing_marks(initiative=initiative):
        if m.verdict != "duplicate" or m.initiative_id != initiative.pk:
            continue
        other = m.of
        if other.recognised_at is None or other.state in ("rejected", "withdrawn"):
            continue
        theirs = _first_filed(other)
        if theirs < mine or (theirs == mine and other.pk < initiative.pk):
            return other
    return None
