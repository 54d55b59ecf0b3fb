"""Reads across the lifecycle: who sees which initiative, what each person may do next."""

import difflib

from django.db import connections
from django.db.models import Case, Exists, F, Func, OuterRef, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

import config.lookups  # noqa: F401  (registers ``__any_of``)
from councils.models import Council, CouncilKind, MemberRole, Membership, Organisation, Role
from councils.selectors import subtree_q, user_advised_paths, user_memberships, user_role_paths
from initiatives.models import (
    COUNCIL_STATES,
    TERMINAL_STATES,
    Category,
    Consent,
    Initiative,
    InitiativeAuthor,
    State,
)
from initiatives.selectors import can_edit, pending_route_coauthors
from initiatives.selectors import can_see_confidential as _content_open_in_initiatives

from . import permissions
from .seating import session_seating, substitute_councils, substitute_seats

# roles that let a person see every initiative of their organisation's subtree
OVERSIGHT_ROLES = (Role.OFFICER, Role.AUDITOR, Role.ADMIN)


# an oversight subtree of at most this many organisations joins the union of cheap branches;
# a wider one stays a separate ``organisation_id IN (…)`` test, so that a first page walks the
# newest dossiers and stops at the twentieth it may see (a corporation of fifty units holds a
# twentieth of the country's dossiers: gathering all their ids first took a second at 2 million)
SMALL_SUBTREE = 10


def visible_initiatives_q(*, user, materialise: int = 0, parts: dict | None = None) -> Q:
    """A user sees: their own (as author or creator); everything under the organisations their
    officer / auditor / admin roles cover; the dossiers of the units they advise; and what is
    or was before a council they sit on.

    Built from join-free subqueries, each one an index range (authors by user, initiatives by
    creator, by organisation, by council, sessions by council), so neither the list nor its
    COUNT multiplies rows across joins or needs DISTINCT: the narrow branches are one
    ``id IN (… UNION …)``, a wide oversight subtree one ``organisation_id IN (…)``.

    ``parts`` (a dict, with ``materialise``): filled with what was read on the way — the
    organisations (``few``, or ``wide``: their query), the councils, the narrow ids (None: too
    many) — so that a search in the same list needs not read them again (``search_scope``)."""
    parts = {} if parts is None else parts
    if not user.is_authenticated:
        return Q(pk__in=[])
    branches = [
        InitiativeAuthor.objects.filter(user=user).order_by().values_list("initiative_id", flat=True),
        Initiative.objects.filter(created_by=user).order_by().values_list("id", flat=True),
    ]
    wide = Q(pk__in=[])
    orgs = _organisations_q(user_role_paths(user=user, roles=OVERSIGHT_ROLES), advised_paths(user=user))
    if orgs is not None:
        from councils.selectors import _per_request

        org_ids = Organisation.objects.filter(orgs).order_by().values("pk")
        # whether the reach is a few organisations: asked once per request (the detail asks it twice)
        few = _per_request(user, "reach_few", lambda: [row["pk"] for row in org_ids[: SMALL_SUBTREE + 1]])
        parts["few" if len(few) <= SMALL_SUBTREE else "wide"] = few if len(few) <= SMALL_SUBTREE else org_ids
        if len(few) <= SMALL_SUBTREE and materialise:  # a list: the organisation index, by value
            wide |= Q(organisation_id__in=sorted(few))
        elif len(few) <= SMALL_SUBTREE:
            branches.append(Initiative.objects.filter(organisation_id__in=few).order_by().values_list("id", flat=True))
        else:
            wide = Q(organisation_id__in=org_ids)
    council_ids = _council_ids(user)
    parts["councils"] = council_ids
    if council_ids:
        # what is before their council now, and what their council has judged
        from .models import CouncilSession

        if materialise:  # a list: a direct test the planner can answer from the council index
            wide |= Q(council_id__in=sorted(set(council_ids)))
        else:
            branches.append(
                Initiative.objects.filter(council_id__in=council_ids).order_by().values_list("id", flat=True)
            )
        branches.append(
            CouncilSession.objects.filter(council_id__in=council_ids).order_by().values_list("initiative_id", flat=True)
        )
    if substitute_councils(user):
        # a substitute sees the dossiers they sit in on now, and those they voted on
        from .models import BallotCast, CouncilSession

        seats = substitute_seats(user)
        if seats:
            branches.append(Initiative.objects.filter(pk__in=sorted(seats)).order_by().values_list("id", flat=True))
        voted = BallotCast.objects.filter(voter=user).values("session_id")
        branches.append(CouncilSession.objects.filter(pk__in=voted).order_by().values_list("initiative_id", flat=True))
    narrow = branches[0].union(*branches[1:], all=True)
    if materialise:
        # a list's first page: the narrow branches' ids as values when they are few, so that the
        # planner knows how few (it guesses 200 rows for any union, and then walks the whole
        # table newest first looking for them)
        ids = list(narrow[: materialise + 1])
        parts["ids"] = ids if len(ids) <= materialise else None
        if len(ids) <= materialise:
            return wide | Q(pk__any_of=sorted(set(ids)))  # one array parameter (config/lookups.py)
    return wide | Q(pk__in=narrow)


# a search looks within the organisations of a person's reach one by one up to this many (a unit's
# officers, a corporation's, an advisory team); beyond, within the whole register, then their filter
SCOPE_ORGANISATIONS = 200
# and within the ids of their narrow branches (authorships, sessions …) up to this many
SCOPE_IDS = 5000


def search_scope(*, user, parts: dict | None = None):
    """Where a search for ``user`` looks (``initiatives.search.Scope``): a superset of what
    ``visible_initiatives_q`` lets them see, as lists an index answers newest first — the
    organisations of their oversight and advisory reach, the councils they sit on, the ids of their
    own dossiers and of those their councils and seats judged — or the whole register when these
    are too many. The search applies the visibility itself to what it finds there."""
    from initiatives.search import Scope

    if not user.is_authenticated:
        return Scope()
    if parts and "councils" in parts and "ids" in parts and parts["ids"] is not None and len(parts["ids"]) <= SCOPE_IDS:
        # what the list's visibility read already (``initiative_list(for_list=True)``)
        organisations = list(parts.get("few") or [])
        if "wide" in parts:
            organisations = list(parts["wide"].values_list("pk", flat=True)[: SCOPE_ORGANISATIONS + 1])
            if len(organisations) > SCOPE_ORGANISATIONS:
                return Scope(everything=True)
        return Scope(
            organisations=tuple(sorted(set(organisations))),
            councils=tuple(sorted(set(parts["councils"]))),
            ids=tuple(sorted(set(parts["ids"]))),
        )
    everything = False
    organisations: list[int] = []
    orgs = _organisations_q(user_role_paths(user=user, roles=OVERSIGHT_ROLES), advised_paths(user=user))
    if orgs is not None:
        organisations = list(
            Organisation.objects.filter(orgs).order_by().values_list("pk", flat=True)[: SCOPE_ORGANISATIONS + 1]
        )
        everything = len(organisations) > SCOPE_ORGANISATIONS
    council_ids = _council_ids(user)
    branches = [
        InitiativeAuthor.objects.filter(user=user).order_by().values_list("initiative_id", flat=True),
        Initiative.objects.filter(created_by=user).order_by().values_list("id", flat=True),
    ]
    from .models import BallotCast, CouncilSession

    if council_ids:
        branches.append(
            CouncilSession.objects.filter(council_id__in=council_ids).order_by().values_list("initiative_id", flat=True)
        )
    if substitute_councils(user):
        seats = substitute_seats(user)
        if seats:
            branches.append(Initiative.objects.filter(pk__in=sorted(seats)).order_by().values_list("id", flat=True))
        voted = BallotCast.objects.filter(voter=user).values("session_id")
        branches.append(CouncilSession.objects.filter(pk__in=voted).order_by().values_list("initiative_id", flat=True))
    ids = [] if everything else list(branches[0].union(*branches[1:], all=True)[: SCOPE_IDS + 1])
    if len(ids) > SCOPE_IDS or everything:
        return Scope(everything=True)
    return Scope(
        organisations=tuple(sorted(set(organisations))),
        councils=tuple(sorted(set(council_ids))),
        ids=tuple(sorted(set(ids))),
    )


def _council_ids(user) -> list[int]:
    """The (non-advisory) councils ``user`` sits on; in the same query, the councils they are a
    substitute of (kept on the user object for ``workflow.seating.substitute_councils``)."""
    from councils.models import CouncilSubstitute
    from councils.selectors import _per_request

    member, substitute = _per_request(user, "council_ids", lambda: _read_council_ids(user, CouncilSubstitute))
    user.__dict__["_substitute_councils"] = substitute
    return list(member)


def _read_council_ids(user, CouncilSubstitute) -> tuple[list[int], frozenset]:
    rows = (
        Membership.objects.filter(user=user)
        .exclude(council__kind=CouncilKind.ADVISORY)
        .annotate(substitute=Value(False))
        .order_by()
        .values_list("council_id", "substitute")
        .union(
            CouncilSubstitute.objects.filter(user=user)
            .annotate(substitute=Value(True))
            .order_by()
            .values_list("council_id", "substitute"),
            all=True,
        )
    )
    member, substitute = [], set()
    for council_id, is_substitute in rows:
        if is_substitute:
            substitute.add(council_id)
        else:
            member.append(council_id)
    return member, frozenset(substitute)


def _organisations_q(oversight_paths, advised) -> Q | None:
    """The organisations whose initiatives a person sees through roles and advisory teams."""
    q = None
    if oversight_paths:
        q = subtree_q(oversight_paths, field="path")
    if advised:
        q = advised if q is None else q | advised
    return q


def advised_paths(*, user) -> Q | None:
    """The organisations an advisory team serves (as a filter on Organisation): its
    organisation's subtree, less the parts that keep an advisory team of their own."""
    from councils.selectors import _per_request

    def teams_below():  # each advised path and the paths below it that keep a team of their own
        return [
            (
                path,
                list(
                    Council.objects.filter(kind=CouncilKind.ADVISORY, organisation__path__startswith=path)
                    .exclude(organisation__path=path)
                    .values_list("organisation__path", flat=True)
                ),
            )
            for path in user_advised_paths(user=user)
        ]

    q = None
    for path, others in _per_request(user, "advised_paths", teams_below):  # once per request
        part = Q(path__startswith=path)
        for other in others:
            part &= ~Q(path__startswith=other)
        q = part if q is None else q | part
    return q


def advised_q(*, user) -> Q:
    """The dossiers of the units an advisory team serves (a filter on Initiative)."""
    orgs = advised_paths(user=user)
    if orgs is None:
        return Q(pk__in=[])
    return Q(organisation_id__in=Organisation.objects.filter(orgs).order_by().values("pk"))


# a list page takes the ids of the narrow visibility branches as values up to this many
LIST_MATERIALISE_IDS = 5000
# what no list shows and each row would carry: the dossier's long texts (kilobytes each, read from
# TOAST), the search's own columns (the tsvector parsed as text) and the duplicate screen's key
LIST_DEFERRED = ("problem", "solution", "search_text", "dup_key", "search_vector")


def initiative_list(*, user, for_list: bool = False) -> QuerySet:
    """What ``user`` may see; ``for_list`` (the list endpoints and pages): the narrow branches' ids
    are read first when there are at most ``LIST_MATERIALISE_IDS`` of them (one more query), and
    the columns no list shows are left in the database (``LIST_DEFERRED``)."""
    parts: dict = {}
    q = visible_initiatives_q(user=user, materialise=LIST_MATERIALISE_IDS if for_list else 0, parts=parts)
    qs = Initiative.objects.filter(q).select_related("organisation", "council")
    if for_list:  # where a search of this list looks (``search_scope``), read on the way
        qs = qs.defer(*LIST_DEFERRED)
        qs.query.search_scope_parts = parts
    return qs


def initiative_get_visible(*, user, pk) -> Initiative:
    """The initiative if ``user`` may see it; ``Initiative.DoesNotExist`` otherwise (→ 404)."""
    return initiative_list(user=user).get(pk=pk)


def available_actions(*, user, initiative: Initiative) -> list[str]:
    """What ``user`` may do with ``initiative`` now (the same predicates the actions check)."""
    from .flows import STAGE_DECISIONS, InitiativeFlow
    from .models import BallotCast

    if not user.is_authenticated:
        return []
    flow = InitiativeFlow(initiative)
    primed = getattr(initiative, "_primed", None)  # a page's answers (``prime_available_actions``)
    if primed is not None:
        flow.__dict__["_consents"] = primed["consents"]
        flow.__dict__.setdefault("_answers", {})[(user.pk, "adviser")] = primed["adviser"]
    actions = []
    if initiative.state == State.DRAFT and (
        can_edit(user=user, initiative=initiative)
        if primed is None
        else permissions.can_withdraw(flow, user) or permissions.can_advise(flow, user)
    ):
        actions.append("edit")
    for name, method in (
        ("submit", flow.submit),
        ("forward", flow.forward),
        ("return", flow.send_back),
        ("withdraw", flow.withdraw),
    ):
        if method.can_proceed() and method.has_perm(user):
            # a named author who declined holds the dossier back (409 coauthor_declined)
            if name in ("submit", "forward") and Consent.DECLINED in permissions.author_consents(flow).values():
                continue
            # a co-author on a route council who has not answered holds the forward (409 coauthor_pending)
            if name == "forward" and Consent.PENDING in permissions.author_consents(flow).values():
                if pending_route_coauthors(initiative):
                    continue
            actions.append(name)
    if initiative.state not in TERMINAL_STATES:
        mine = permissions.author_consents(flow).get(user.pk)
        if mine == Consent.PENDING:
            actions += ["confirm_authorship", "decline_authorship"]
        elif mine == Consent.DECLINED:
            actions.append("confirm_authorship")
    if initiative.state in STAGE_DECISIONS and initiative.council_id:
        member = (
            primed["vote"] if primed is not None else permissions.is_member(user=user, initiative=initiative, flow=flow)
        )
        if member:
            may_vote = not permissions.recused(flow, user)
        else:  # a substitute, on the dossiers they sit in on
            may_vote = initiative.pk in substitute_seats(user)
        if may_vote:
            if primed is not None:
                voted = primed["voted"]
            else:
                voted = BallotCast.objects.filter(
                    session__initiative=initiative, session__closed_at__isnull=True, voter=user
                ).exists()
            if not voted:
                actions.append("vote")
        if primed["close"] and not permissions.recused(flow, user) if primed is not None else flow.close.has_perm(user):
            actions.append("close")
            if (
                primed["ballots"]
                if primed is not None
                else BallotCast.objects.filter(session__initiative=initiative, session__closed_at__isnull=True).exists()
            ):
                actions.append("restart")
    return actions


def prime_available_actions(*, user, initiatives) -> None:
    """Answer for a whole page at once what ``available_actions`` asks dossier by dossier (the
    listed authors and their answers, the person's permissions on the councils and advisory teams
    concerned, their ballots and any ballot in the open sessions): a fixed number of queries
    however long the page. Each answer is kept on its row (``_primed``) for this request only."""
    from guardian.core import ObjectPermissionChecker

    from .models import BallotCast

    rows = [i for i in initiatives if not hasattr(i, "_primed")]
    if not rows or not user.is_authenticated:
        return
    ids = [i.pk for i in rows]
    consents = {}
    for iid, uid, consent in (
        InitiativeAuthor.objects.filter(initiative_id__in=ids)
        .exclude(user=None)
        .values_list("initiative_id", "user_id", "consent")
    ):
        consents.setdefault(iid, {})[uid] = consent
    paths = {p for i in rows for p in i.organisation.ancestor_paths()}
    teams = {
        c.organisation.path: c
        for c in Council.objects.filter(kind=CouncilKind.ADVISORY, organisation__path__in=sorted(paths)).select_related(
            "organisation"
        )
    }

    def team_of(organisation):
        for path in reversed(organisation.ancestor_paths()):
            if path in teams:
                return teams[path]
        return None

    councils = {i.council_id: i.council for i in rows if i.council_id}
    objects = list({c.pk: c for c in [*councils.values(), *teams.values()]}.values())
    checker = ObjectPermissionChecker(user)
    if objects:
        checker.prefetch_perms(objects)
    ballots, voted = set(), set()
    for iid, voter in BallotCast.objects.filter(
        session__initiative_id__in=ids, session__closed_at__isnull=True
    ).values_list("session__initiative_id", "voter_id"):
        ballots.add(iid)
        if voter == user.pk:
            voted.add(iid)
    answers = {}  # a page's dossiers share a few councils and teams: each question asked once

    def may(perm, obj):
        if obj is None:
            return False
        key = (perm, obj.pk)
        if key not in answers:
            answers[key] = checker.has_perm(perm, obj)
        return answers[key]

    for i in rows:
        team = team_of(i.organisation)
        council = councils.get(i.council_id)
        i._primed = {
            "consents": consents.get(i.pk, {}),
            "adviser": may("advise", team),
            "vote": may("vote", council),
            "close": may("close_session", council),
            "voted": i.pk in voted,
            "ballots": i.pk in ballots,
        }


def _inbox_branches(*, user, fields=("initiative_id",), due=None) -> list[QuerySet]:
    """The open-work rows (``fields`` of them) that wait for ``user``, one queryset per branch and
    council, each one index range (``open_task_user_due``, ``open_task_council_due``: in due order
    within it): their own rows; their advisory teams'; the votes of each council they sit on, less
    what they voted on already and what they author (recused); the closes of each council they
    chair or are secretary of, less what they author; a substitute's seats (computed, few).
    ``due``: a ``Q`` on ``due_at`` every branch keeps (the queue's due filter)."""
    from initiatives.models import OpenTask, TaskKind

    from .models import BallotCast

    advising, member_of, closer_of = [], [], []
    for council_id, kind, role, _path in user_memberships(user=user):
        if kind == CouncilKind.ADVISORY:
            advising.append(council_id)
            continue
        member_of.append(council_id)
        if role in (MemberRole.CHAIR, MemberRole.SECRETARY):
            closer_of.append(council_id)
    authored = InitiativeAuthor.objects.filter(user=user).order_by().values("initiative_id")
    voted = (
        BallotCast.objects.filter(voter=user, session__closed_at__isnull=True)
        .order_by()
        .values("session__initiative_id")
    )
    tasks = OpenTask.objects.order_by()
    if due is not None:
        tasks = tasks.filter(due)
    flat = {"flat": True} if len(fields) == 1 else {}
    branches = [tasks.filter(user=user).values_list(*fields, **flat)]
    for council_id in sorted(set(advising)):
        branches.append(tasks.filter(council_id=council_id, kind=TaskKind.ADVISE).values_list(*fields, **flat))
    for council_id in sorted(set(member_of)):
        branches.append(
            tasks.filter(council_id=council_id, kind=TaskKind.VOTE)
            .exclude(initiative_id__in=authored)
            .exclude(initiative_id__in=voted)
            .values_list(*fields, **flat)
        )
    for council_id in sorted(set(closer_of)):
        branches.append(
            tasks.filter(council_id=council_id, kind=TaskKind.CLOSE)
            .exclude(initiative_id__in=authored)
            .values_list(*fields, **flat)
        )
    seats = sorted(substitute_seats(user))  # dossiers a substitute sits in on (none for most people)
    if seats:
        branches.append(
            tasks.filter(kind=TaskKind.VOTE, initiative_id__in=seats)
            .exclude(initiative_id__in=voted)
            .values_list(*fields, **flat)
        )
    return branches


def inbox(*, user) -> QuerySet:
    """Initiatives that wait for this user: drafts they author (to complete and submit), namings to
    confirm, dossiers their advisory team must forward or return, and council sessions they must
    vote in or, as chair or secretary, close. Recused members never see a dossier here.

    Read from the open-work table (``initiatives.opentasks``): the person's own rows and the rows
    of the councils they sit on, each an index range, less what they voted on already and what
    they are recused from; a substitute's seats (computed, few) are added. ``inbox_searched`` is
    the same question asked of the dossiers themselves (``manage.py open_tasks --check``).
    ``InboxRows``: a page of it in due order without reading every dossier of the inbox."""
    if not user.is_authenticated:
        return Initiative.objects.none()
    branches = _inbox_branches(user=user)
    return (
        Initiative.objects.filter(pk__in=branches[0].union(*branches[1:], all=True))
        .select_related("organisation", "council")
        .order_by("due_at", "id")
    )


# the inbox orders and filters ``InboxRows`` answers from the open-work rows alone (their due date
# and dossier id are the dossier's); the others (organisation, state, days waiting, order=waiting)
# read the dossiers themselves (``inbox`` + ``workflow.queue.queue_apply``)
INBOX_ROW_ORDERS = ("due", "newest", "oldest")


class InboxRows:
    """The inbox as a sequence for a paginator, read from the open-work table: the page's dossier
    ids first — one grouped query over the person's open-task rows (each branch an index range of a
    few thousand narrow rows, never the dossiers) in the order asked, limited to the page — then
    those twenty dossiers' rows. The count is exact: the distinct dossiers of those rows. The same
    dossiers, in the same order, as ``queue_apply(inbox(user=user), filters)`` (tested).

    ``filters``: ``workflow.queue.queue_filters``'s, of which ``InboxRows.serves`` must be true."""

    ordered = True  # for Django's paginator: no warning

    def __init__(self, *, user, filters: dict, now=None):
        from django.utils import timezone

        assert self.serves(filters), filters
        self.user = user
        self.order = filters.get("order", "due")
        self.due = filters.get("due")
        self.now = now or timezone.now()
        self._count = None
        self._sql = None  # the branches' SQL, built once
        self._branches = None
        self.due_counts = None  # of the whole inbox, with its count (``count``)

    @staticmethod
    def serves(filters: dict | None) -> bool:
        if not filters or filters.get("order", "due") not in INBOX_ROW_ORDERS:
            return False
        return not any(filters.get(k) not in (None, "") for k in ("organisation", "state", "waiting_days"))

    def _union(self, first: int | None = None) -> tuple[str, list]:
        """SQL of the open-task rows (initiative_id, due_at) that wait for the person, its
        branches side by side; ``first``: only each branch's first rows in due order (an index
        range read in order that stops there)."""
        if first is None and self._sql is not None:
            return self._sql
        from .queue import SOON

        if self._branches is None:  # built once: the count and the page compile the same branches
            due = {
                "overdue": Q(due_at__lt=self.now),
                "soon": Q(due_at__gte=self.now, due_at__lt=self.now + SOON),
                "none": Q(due_at__isnull=True),
            }.get(self.due)
            self._branches = _inbox_branches(user=self.user, fields=("initiative_id", "due_at"), due=due)
        parts, params = [], []
        for branch in self._branches:
            if first is not None:
                branch = branch.order_by(F("due_at").asc(nulls_last=True), "initiative_id")[:first]
            sql, p = branch.query.get_compiler(using=branch.db).as_sql()
            parts.append(f"SELECT * FROM ({sql}) b{len(parts)}")
            params += p
        union = " UNION ALL ".join(parts), params
        if first is None:
            self._sql = union
        return union

    def _run(self, sql, params):
        from django.db import connections

        from initiatives.models import OpenTask

        with connections[OpenTask.objects.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def count(self) -> int:
        """The distinct dossiers. Of the whole inbox (no due filter), the same query also counts
        those overdue, due soon and without a due date (``due_counts``): a page filtered by its due
        date takes its count from there (``inbox_rows(whole=…)``) instead of a second query."""
        if not self.user.is_authenticated:
            return 0
        if self._count is None:
            union, params = self._union()
            if self.due is None:
                from django.db import connections

                from initiatives.models import OpenTask

                from .queue import SOON

                # the moments as the database stores them (SQLite: text without the zone)
                at = connections[OpenTask.objects.db].ops.adapt_datetimefield_value
                # a dossier's open-work rows carry its own due date: one per dossier after DISTINCT
                row = self._run(
                    "SELECT COUNT(*),"
                    " COALESCE(SUM(CASE WHEN d.due_at < %s THEN 1 ELSE 0 END), 0),"
                    " COALESCE(SUM(CASE WHEN d.due_at >= %s AND d.due_at < %s THEN 1 ELSE 0 END), 0),"
                    " COALESCE(SUM(CASE WHEN d.due_at IS NULL THEN 1 ELSE 0 END), 0)"
                    f" FROM (SELECT DISTINCT t.initiative_id, t.due_at FROM ({union}) t) d",
                    [at(self.now), at(self.now), at(self.now + SOON), *params],
                )[0]
                self._count = row[0]
                self.due_counts = {"overdue": row[1], "soon": row[2], "none": row[3]}
            else:
                self._count = self._run(
                    f"SELECT COUNT(*) FROM (SELECT DISTINCT t.initiative_id FROM ({union}) t) d", params
                )[0][0]
        return self._count

    __len__ = count

    def narrowed(self, filters: dict) -> "InboxRows":
        """The same person's inbox with ``filters`` (an order, a due date), at this one's moment.
        Narrowed from the whole inbox, its count is read from the whole's (``count``), no query."""
        rows = InboxRows(user=self.user, filters=filters, now=self.now)
        if self.due is None:
            total = self.count()
            rows._count = total if rows.due is None else (self.due_counts or {}).get(rows.due)
        return rows

    def ids(self, start: int, stop: int) -> list[int]:
        """The ids of rows ``start`` to ``stop`` in the order asked. Soonest due first: each branch's
        first rows in (due_at, initiative_id) order (its index range, read in order, stops there),
        a dossier's rows (same dossier, same due date) kept once — only as far as the page, never
        every open task."""
        from django.db import connections

        from initiatives.models import OpenTask

        if not self.user.is_authenticated or stop <= start:
            return []
        if self.order == "due":
            # a dossier has at most two rows in a branch (an author's submit and confirm): the first
            # 2 × stop rows of each branch hold the first ``stop`` dossiers of them all
            union, params = self._union(first=2 * stop)
            nulls = "" if connections[OpenTask.objects.db].vendor == "postgresql" else "t.due_at IS NULL, "
            sql = (
                f"SELECT DISTINCT t.due_at, t.initiative_id FROM ({union}) t "
                f"ORDER BY {nulls}t.due_at, t.initiative_id LIMIT %s OFFSET %s"
            )
            return [r[1] for r in self._run(sql, [*params, stop - start, start])]
        union, params = self._union()
        direction = "DESC" if self.order == "newest" else ""
        sql = (
            f"SELECT DISTINCT t.initiative_id FROM ({union}) t ORDER BY t.initiative_id {direction} LIMIT %s OFFSET %s"
        )
        return [r[0] for r in self._run(sql, [*params, stop - start, start])]

    def __getitem__(self, k):
        if not isinstance(k, slice) or k.step not in (None, 1):
            raise TypeError("InboxRows takes slices")
        start, stop = k.start or 0, k.stop
        if stop is None:
            stop = self.count()
        ids = self.ids(start, stop)
        if not ids:
            return []
        found = with_content_visible(
            Initiative.objects.filter(pk__any_of=ids).select_related("organisation", "council").defer(*LIST_DEFERRED),
            user=self.user,
        ).in_bulk()
        return [found[i] for i in ids if i in found]


def inbox_rows(*, user, filters: dict | None, whole: InboxRows | None = None):
    """The inbox as filtered and ordered for a page of it: ``InboxRows`` when the open-work rows
    alone answer the filters, else the dossiers' queryset (``queue_apply``); ``None`` filters (bad
    ones): nothing. ``whole``: the same person's whole inbox already counted (a page that shows
    both): a due filter's count is taken from it, at its moment."""
    from .queue import queue_apply

    if filters is None:
        return Initiative.objects.none()
    if InboxRows.serves(filters):
        if whole is not None and whole.user == user:
            return whole.narrowed(filters)
        return InboxRows(user=user, filters=filters)
    return queue_apply(with_content_visible(inbox(user=user).defer(*LIST_DEFERRED), user=user), filters)


def inbox_searched(*, user) -> QuerySet:
    """The inbox searched from the dossiers themselves (the rule the open-work table must keep):
    ``manage.py open_tasks --check`` compares the two."""
    from .models import BallotCast, CouncilSession

    if not user.is_authenticated:
        return Initiative.objects.none()
    councils = Membership.objects.filter(user=user).exclude(council__kind=CouncilKind.ADVISORY)
    member_of = councils.values("council_id")
    closer_of = councils.filter(role__in=[MemberRole.CHAIR, MemberRole.SECRETARY]).values("council_id")
    voted = BallotCast.objects.filter(session__initiative=OuterRef("pk"), session__closed_at__isnull=True, voter=user)
    open_session = CouncilSession.objects.filter(initiative=OuterRef("pk"), closed_at__isnull=True)
    seats = sorted(substitute_seats(user))  # dossiers a substitute sits in on (none for most people)
    council_q = Q(state__in=COUNCIL_STATES) & (
        ((Q(council_id__in=member_of) | Q(pk__in=seats)) & ~Exists(voted))
        | (Q(council_id__in=closer_of) & Exists(open_session))
    )
    mine = InitiativeAuthor.objects.filter(user=user).order_by()
    authored = mine.values("initiative_id")
    acting = mine.exclude(consent=Consent.DECLINED).values("initiative_id")
    # named by someone else and not yet answered: confirm or decline
    asked = Q(pk__in=mine.filter(consent=Consent.PENDING).values("initiative_id")) & ~Q(state__in=TERMINAL_STATES)
    q = (
        Q(state=State.DRAFT, pk__in=acting)
        | asked
        | (Q(state=State.ADVISORY_REVIEW) & advised_q(user=user))
        | council_q
    )
    recused = Q(state__in=COUNCIL_STATES) & Q(pk__in=authored)
    # candidates first, each an index range (every row ``q`` admits is in one of them)
    candidates = [
        InitiativeAuthor.objects.filter(user=user).order_by().values_list("initiative_id", flat=True),
        Initiative.objects.filter(Q(state=State.ADVISORY_REVIEW) & advised_q(user=user))
        .order_by()
        .values_list("id", flat=True),
        Initiative.objects.filter(council_id__in=member_of).order_by().values_list("id", flat=True),
    ]
    if seats:
        candidates.append(Initiative.objects.filter(pk__in=seats).order_by().values_list("id", flat=True))
    return (
        Initiative.objects.filter(pk__in=candidates[0].union(*candidates[1:], all=True))
        .filter(q)
        .exclude(recused)
        .select_related("organisation", "council")
        .order_by("due_at", "id")
    )


def content_visible_q(*, user) -> Q:
    """The initiatives whose whole content ``user`` may see: every one that is not confidential,
    and the confidential ones ``can_see_confidential`` opens (authors who did not decline and the
    creator, the advisory team, members of the councils that judge or judged it, auditors and
    admins over the unit). The same rule as that function, as a filter for lists and searches."""
    if not user.is_authenticated:
        return Q(confidential=False)
    if user.is_superuser:
        return Q()
    branches = [
        InitiativeAuthor.objects.filter(user=user)
        .exclude(consent=Consent.DECLINED)
        .order_by()
        .values_list("initiative_id", flat=True),
    ]
    from .models import CouncilSession

    council_ids = Membership.objects.filter(user=user).values("council_id")  # a subquery, not a query
    # the row's own creator and council, and its own sessions (an index probe per row), tested on the
    # row: never every dossier a big council holds gathered first (12,500 at 2 million, for a page of 20)
    own = (
        Q(created_by=user)
        | Q(council_id__in=council_ids)
        | Exists(CouncilSession.objects.filter(initiative_id=OuterRef("pk"), council_id__in=council_ids))
    )
    if substitute_councils(user):  # a substitute who sits or sat in on a dossier
        from .models import BallotCast

        branches.append(
            BallotCast.objects.filter(voter=user).order_by().values_list("session__initiative_id", flat=True)
        )
        branches.append(
            Initiative.objects.filter(pk__in=list(substitute_seats(user))).order_by().values_list("id", flat=True)
        )
    q = Q(confidential=False) | own | Q(pk__in=branches[0].union(*branches[1:], all=True)) | advised_q(user=user)
    audit_paths = user_role_paths(user=user, roles=(Role.AUDITOR, Role.ADMIN))
    if audit_paths:
        q |= Q(organisation_id__in=Organisation.objects.filter(subtree_q(audit_paths, field="path")).values("pk"))
    return q


def with_content_visible(qs: QuerySet, *, user) -> QuerySet:
    """``qs`` with ``content_visible`` on each row (pages and lists hide what it is False for)."""
    return qs.annotate(content_visible=Case(When(content_visible_q(user=user), then=Value(True)), default=Value(False)))


def possible_duplicates(*, initiative: Initiative, user=None, limit: int = 5) -> list[dict]:
    """Earlier submitted dossiers of the whole programme that are probably the same idea
    (``initiatives.duplicates.screen``: Vietnamese-aware, accents optional, any unit).

    With ``user``: a candidate whose title ``user`` may not read appears without it, as "a dossier
    of unit X" — or "a confidential dossier of unit X" — with its id, unit and similarity only."""
    from initiatives.duplicates import screen

    return screen(
        title=initiative.title,
        summary=initiative.summary,
        organisation=initiative.organisation_id,
        category=initiative.category,
        exclude_ids=(initiative.pk,),
        user=user,
        limit=limit,
    )


def readable_titles(user, ids) -> set[int]:
    """Of ``ids``, the dossiers whose title ``user`` may read: those they may open, and of the
    confidential ones only those whose content is open to them (the duplicate screen's rule)."""
    return set(
        initiative_list(user=user)
        .filter(pk__in=list(ids))
        .filter(Q(confidential=False) | content_visible_q(user=user))
        .values_list("pk", flat=True)
    )


def average_scores(initiative_ids) -> dict[int, float]:
    """Average council score (0–100) of each initiative over every vote that gave one in a session
    that closed with a decision: never a session still open (nobody sees a tally before the close)
    nor a round voided by a restart (its votes no longer count)."""
    from django.db.models import Avg

    from .models import Vote

    rows = (
        Vote.objects.filter(
            session__initiative_id__in=list(initiative_ids),
            session__closed_at__isnull=False,
            score__isnull=False,
        )
        .exclude(session__outcome="")
        .values("session__initiative_id")
        .annotate(avg=Avg("score"))
    )
    return {r["session__initiative_id"]: round(float(r["avg"]), 1) for r in rows}


def can_see_confidential(*, user, initiative: Initiative) -> bool:
    """The rule of ``initiatives.selectors.can_see_confidential`` (authors who did not decline, the
    creator, the advisory team, the councils that judge or judged it, auditors and admins over the
    unit), and a council's substitute who sits or sat in on this dossier."""
    if _content_open_in_initiatives(user=user, initiative=initiative):
        return True
    if not user.is_authenticated:
        return False
    from initiatives.selectors import judged_by

    judged = judged_by(initiative)
    if substitute_councils(user) & judged:
        from .models import BallotCast

        return (
            initiative.pk in substitute_seats(user)
            or BallotCast.objects.filter(session__initiative=initiative, voter=user).exists()
        )
    return False


def forward_target(*, initiative: Initiative):
    """The council a forward would send the dossier to (None: no council)."""
    from initiatives.routing import first_stage

    route = first_stage(organisation=initiative.organisation)
    return route[1] if route else None


def session_progress(*, initiative: Initiative) -> dict | None:
    """Who has voted in the open session (never what): for the chair and members to see how
    far the council is, and who is still awaited. A secret ballot shows participation only."""
    from .models import BallotCast, CouncilSession

    if initiative.state not in COUNCIL_STATES or initiative.council_id is None:
        return None
    council = initiative.council
    session = CouncilSession.objects.filter(initiative=initiative, closed_at__isnull=True).first()
    authors = set(initiative.authors.exclude(user=None).values_list("user_id", flat=True))
    if session is None:  # e.g. imported before a council: its session opens with the first vote
        session = CouncilSession(initiative=initiative, due_at=initiative.due_at, **CouncilSession.rules_of(council))
    session.council = council
    voted = set(BallotCast.objects.filter(session=session).values_list("voter_id", flat=True)) if session.pk else set()
    seat = session_seating(session, author_ids=authors)
    sitting = [m.user for m in seat.members if m.user_id not in authors] + seat.substitutes
    return {
        "council": council,
        "voted": len(voted),
        "eligible": seat.eligible,
        "quorum": session.quorum,
        "quorum_reached": len(voted) >= session.quorum,
        "waiting": sorted(u.display_name for u in sitting if u.pk not in voted),
        "recused": sorted(m.user.display_name for m in seat.recused),
        "substitutes": [u.display_name for u in seat.substitutes],
        "short": seat.short,
        "due_at": session.due_at,
        "secret": session.is_secret,
    }


# --- the trail across dossiers (auditors) ----------------------------------------------------------


def trail_scope_paths(*, user) -> list[str] | None:
    """The subtrees whose trail ``user`` reads across dossiers: where they are auditor or admin
    (an admin sees as an auditor does). ``None``: everything (an active superuser)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    return user_role_paths(user=user, roles=[Role.AUDITOR, Role.ADMIN])


# a trail word of at least this many characters is also looked for through the trigram index
TRAIL_INDEXED_WORD = 3


def trail_entries(
    *,
    user,
    organisation: Organisation | None = None,
    initiative_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since=None,
    until=None,
    words=(),
) -> QuerySet:
    """Entries of the trail ``user`` may read (``trail_scope_paths``), oldest first, narrowed by
    the filters (``until`` exclusive: the caller passes the day after; ``words``: each in the
    comment, the actor's username or the action, accents optional). Entries with no
    organisation (the system's own, sign-in lock-outs) only a superuser reads. Confidential
    dossiers' entries are included — their auditors may see them; a secret ballot's entries never
    held who voted what (the ``vote`` entry names the voter, the ``close`` minutes the decisions)."""
    from audit.models import AuditEntry

    paths = trail_scope_paths(user=user)
    qs = AuditEntry.objects.all() if paths is None else AuditEntry.objects.filter(subtree_q(paths, "scope_path"))
    if organisation is not None:
        qs = qs.filter(scope_path__startswith=organisation.path)
    if initiative_id is not None:
        qs = qs.filter(object_type=Initiative._meta.model_name, object_id=str(initiative_id))
    if actor:
        qs = qs.filter(actor_name=actor)
    if action:
        qs = qs.filter(action=action)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if words:
        from django.db.models import TextField
        from django.db.models.functions import Lower

        qs = qs.alias(plain_comment=Lower(Func(F("comment"), function="UNACCENT", output_field=TextField())))
        for w in words:
            qs = qs.filter(Q(plain_comment__contains=w) | Q(actor_name__icontains=w) | Q(action__icontains=w))
            if len(w) >= TRAIL_INDEXED_WORD and qs.db and connections[qs.db].vendor == "postgresql":
                # the same word through the trigram index (audit 0006): a superset the index
                # answers, so a rare word never reads the whole trail
                like = "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                qs = qs.extra(where=["audit_search_text(comment, actor_name, action) LIKE %s"], params=[like])
    return qs.order_by("seq")


def trail_page(
    *, user, before: int | None = None, after: int | None = None, newest_first: bool = False, size: int = 50, **filters
) -> dict:
    """One page of ``trail_entries`` for the auditor's page: a cursor on ``seq``, never a count.
    ``before``: the entries just older than that seq; ``after``: just newer; neither: the first
    page of the chosen order. Returns ``{"entries", "older", "newer"}``: the entries in the order
    shown (each with ``organisation``, the one its ``scope_path`` names) and the seqs to page from
    (None when there is nothing that way)."""
    qs = trail_entries(user=user, **filters)
    if before is not None:
        rows = list(qs.filter(seq__lt=before).order_by("-seq")[:size])
    elif after is not None:
        rows = list(qs.filter(seq__gt=after).order_by("seq")[:size])
    elif newest_first:
        rows = list(qs.order_by("-seq")[:size])
    else:
        rows = list(qs.order_by("seq")[:size])
    rows.sort(key=lambda e: e.seq, reverse=newest_first)
    scope_paths = {e.scope_path for e in rows if e.scope_path}
    organisations = {o.path: o for o in Organisation.objects.filter(path__in=scope_paths)}
    for e in rows:
        e.organisation = organisations.get(e.scope_path)
    if not rows:
        # an empty page still leads back to where the entries are
        return {
            "entries": [],
            "older": before if before is not None and qs.filter(seq__lt=before).exists() else None,
            "newer": after if after is not None and qs.filter(seq__gt=after).exists() else None,
        }
    low, high = min(e.seq for e in rows), max(e.seq for e in rows)
    return {
        "entries": rows,
        "older": low if qs.filter(seq__lt=low).exists() else None,
        "newer": high if qs.filter(seq__gt=high).exists() else None,
    }


def trail_organisations(*, user, depth: int = 2, limit: int = 1000) -> list[Organisation]:
    """The organisations a trail reader may filter by: those they audit or administer and the
    ``depth`` levels below them (everything to that depth from the top for a superuser), in tree
    order, at most ``limit``."""
    paths = trail_scope_paths(user=user)
    if paths == []:
        return []
    if paths is None:
        qs = Organisation.objects.filter(depth__lte=1 + depth)
    else:
        roots = Organisation.objects.filter(path__in=paths)
        deepest = max((o.depth for o in roots), default=0) + depth
        qs = Organisation.objects.filter(subtree_q(paths, "path"), depth__lte=deepest)
    return list(qs.order_by("path")[:limit])


def trail_verify(*, user):
    """Verify the trail ``user`` reads (``audit.selectors.audit_verify``): each subtree they audit or
    administer, or the whole chain for a superuser. One ``VerifyResult``: the first failure, or ok
    with the entries checked in all of them. Slow at scale: only when asked."""
    from audit.selectors import VerifyResult, audit_verify
    from councils.selectors import _minimal_paths

    paths = trail_scope_paths(user=user)
    if paths is None:
        return audit_verify()
    checked, checkpoints = 0, 0
    for path in _minimal_paths(paths):
        result = audit_verify(scope_path=path)
        checked += result.checked
        checkpoints = max(checkpoints, result.checkpoints_checked)
        if not result.ok:
            result.checked = checked
            return result
    return VerifyResult(True, checked, checkpoints_checked=checkpoints)


# --- the dossier's files and frozen versions: for whoever may see its whole content ----------------


def initiative_get_content_visible(*, user, pk) -> Initiative:
    """The initiative if ``user`` may see it and its whole content (a confidential dossier's only
    for its unit's councils, advisory team, authors and auditors); ``Initiative.DoesNotExist``
    (→ 404) otherwise."""
    initiative = initiative_get_visible(user=user, pk=pk)
    if not can_see_confidential(user=user, initiative=initiative):
        raise Initiative.DoesNotExist
    return initiative


def attachment_get_visible(*, user, pk):
    """An attachment of the dossier as it stands or of one of its frozen versions, if ``user`` may
    see that dossier's whole content; ``Attachment.DoesNotExist`` (→ 404) otherwise."""
    from initiatives.models import Attachment

    attachment = Attachment.objects.get(pk=pk)
    try:
        initiative_get_content_visible(user=user, pk=attachment.initiative_id)
    except Initiative.DoesNotExist:
        raise Attachment.DoesNotExist from None
    return attachment


def last_return(*, initiative: Initiative) -> dict | None:
    """Why a draft that was submitted before is a draft again: the newest ``return`` (by the
    advisory team) or ``close`` that sent it back (by a council), with who, when and the reasons.
    ``None`` for a draft never submitted. One query (the trail's index on object and seq)."""
    from audit.models import AuditEntry

    if initiative.state != State.DRAFT or not initiative.dossier_version:
        return None
    entry = (
        AuditEntry.objects.filter(
            object_type=Initiative._meta.model_name,
            object_id=str(initiative.pk),
            action__in=("return", "close"),
            to_state=State.DRAFT,
        )
        .order_by("-seq")
        .first()
    )
    if entry is None:
        return None
    council = (entry.details or {}).get("council") if entry.action == "close" else None
    return {
        "at": entry.at,
        "by": entry.shown_actor,
        "council": Council.objects.filter(code=council).first() if council else None,
        "reasons": entry.comment,
        "version": entry.version,
        "fields": list((entry.details or {}).get("fields", [])) if entry.action == "return" else [],
    }


# the ladder a dossier climbs, in order (build 3: "where am I")
LADDER = (
    State.DRAFT,
    State.ADVISORY_REVIEW,
    State.UNIT_COUNCIL,
    State.CORPORATION_COUNCIL,
    State.SECTOR_REVIEW,
    State.FEDERATION_REVIEW,
)
CERTIFIED_AT = {State.SECTOR_CERTIFIED: State.SECTOR_REVIEW, State.FEDERATION_CERTIFIED: State.FEDERATION_REVIEW}


def dossier_stepper(*, initiative: Initiative) -> dict:
    """Where the dossier stands on the ladder: each step ``done``, ``current``, ``ended`` (where it
    was rejected or withdrawn), ``certified`` or ``todo``; who holds it now and until when. A dossier
    that ended reads its last stage from the trail (one query)."""
    from audit.models import AuditEntry

    state = initiative.state
    if state in LADDER:
        here, outcome = state, "current"
    elif state in CERTIFIED_AT:
        here, outcome = CERTIFIED_AT[state], "certified"
    else:  # rejected or withdrawn: the stage it left
        last = (
            AuditEntry.objects.filter(object_type="initiative", object_id=str(initiative.pk), to_state=state)
            .order_by("-seq")
            .values_list("from_state", flat=True)
            .first()
        )
        here, outcome = (last if last in LADDER else State.DRAFT), "ended"
    position = LADDER.index(here)
    steps = [
        {
            "state": s,
            "label": State(s).label,
            "status": "done" if k < position else outcome if k == position else "todo",
        }
        for k, s in enumerate(LADDER)
    ]
    if state == State.SECTOR_CERTIFIED:
        steps = steps[: position + 1]  # the federation's step is not on its way
    holder = None
    if state == State.DRAFT:
        holder = _("các tác giả")
    elif state in LADDER and initiative.council_id:
        holder = initiative.council.name or initiative.council.code
    return {"steps": steps, "holder": holder, "due": initiative.due_at if state in LADDER else None, "outcome": outcome}


# labels of the dossier's fields in a diff, as the form names them
DIFF_FIELD_LABELS = {
    "title": _lazy("Tên sáng kiến"),
    "summary": _lazy("Tóm tắt"),
    "problem": _lazy("Tình trạng trước khi áp dụng"),
    "solution": _lazy("Nội dung giải pháp"),
    "category": _lazy("Lĩnh vực"),
    "benefit_value_vnd": _lazy("Giá trị làm lợi (VND/năm)"),
    "applied_since": _lazy("Ngày áp dụng"),
    "confidential": _lazy("Bảo mật"),
    "authors": _lazy("Tác giả"),
    "organisation": _lazy("Đơn vị"),
}


def return_field_choices() -> list[tuple[str, str]]:
    """(name, label) of the parts an adviser may point to when returning a dossier."""
    from .actions import RETURN_FIELDS

    labels = {**DIFF_FIELD_LABELS, "attachments": _lazy("Tệp đính kèm")}
    return [(name, labels[name]) for name in RETURN_FIELDS]


WORDED_FIELDS = {"title", "summary", "problem", "solution"}  # prose: marked word by word


def _words_marked(before: str, after: str) -> str:
    """``after`` as HTML with the words added since ``before`` in <ins> and those removed in <del>."""
    old, new = str(before or "").split(), str(after or "").split()
    out = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(new[b1:b2])))
            continue
        if a2 > a1:
            out.append(f"<del>{escape(' '.join(old[a1:a2]))}</del>")
        if b2 > b1:
            out.append(f"<ins>{escape(' '.join(new[b1:b2]))}</ins>")
    return " ".join(out)


def _shown(value) -> str:
    if isinstance(value, list):  # the authors
        return "; ".join(
            f"{a.get('full_name') or a.get('username') or ''} {a.get('share_percent', '')} %".strip()
            if isinstance(a, dict)
            else str(a)
            for a in value
        )
    if isinstance(value, bool):
        return str(_("có") if value else _("không"))
    return "" if value is None else str(value)


def changes_since_last_submission(*, initiative: Initiative) -> dict | None:
    """What changed between the two newest submitted versions — for councils and advisers reading
    a dossier that came back (build 2): each changed field with its words marked, files added and
    removed. ``None`` before a second submission. Two queries."""
    from initiatives.selectors import dossier_diff

    versions = list(initiative.dossier_versions.order_by("-number")[:2])
    if len(versions) < 2:
        return None
    after, before = versions
    diff = dossier_diff(before=before.content, after=after.content)
    fields = []
    for name, change in diff["fields"].items():
        if name not in DIFF_FIELD_LABELS:
            continue
        if name == "category":
            change = {k: Category(v).label if v in Category.values else v for k, v in change.items()}
        old, new = _shown(change["before"]), _shown(change["after"])
        if name in WORDED_FIELDS:
            marked = _words_marked(old, new)
        else:  # a choice, a number, a date, the authors: the whole value before and after
            marked = " ".join(
                part for part in (old and f"<del>{escape(old)}</del>", new and f"<ins>{escape(new)}</ins>") if part
            )
        fields.append({"name": name, "label": DIFF_FIELD_LABELS[name], "marked": mark_safe(marked)})
    return {
        "from": before.number,
        "to": after.number,
        "fields": fields,
        "added": diff["attachments"]["added"],
        "removed": diff["attachments"]["removed"],
    }


# --- duplicate marks (issue 11): who records them, how each side is named -------------------------


def may_mark_duplicates(*, user, initiative: Initiative) -> bool:
    """The advisory team of the dossier's unit (or the nearest ancestor's), and the members of a
    council the dossier is or was before."""
    from initiatives.selectors import is_adviser, judged_by, sits_on_judging_council

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_adviser(user=user, organisation=initiative.organisation):
        return True
    return bool(judged_by(initiative)) and sits_on_judging_council(user=user, initiative=initiative)


def dossier_label(*, initiative: Initiative, visible: bool) -> dict:
    """One side of a duplicate mark as ``user`` may see it: id, reference, unit and title for a
    dossier they may open; for one they may not, no title — "a dossier of unit X", or "a
    confidential dossier of unit X"."""
    unit = initiative.organisation.code
    if visible:
        return {"id": initiative.pk, "reference": initiative.reference, "title": initiative.title, "organisation": unit}
    if initiative.confidential:
        title = _("một hồ sơ bảo mật của đơn vị %(unit)s") % {"unit": unit}
    else:
        title = _("một hồ sơ của đơn vị %(unit)s") % {"unit": unit}
    return {"id": initiative.pk, "reference": None, "title": title, "organisation": unit, "hidden": True}


def duplicate_marks_for(*, user, initiative: Initiative) -> list[dict]:
    """Every mark recorded on ``initiative`` or naming it (newest first), each side named as
    ``user`` may see it (``dossier_label``); ``standing``: the latest between its two dossiers;
    the comment only when ``user`` may open both. ``user`` must be able to see ``initiative``."""
    from initiatives.models import DuplicateMark
    from initiatives.selectors import standing_marks

    marks = list(
        DuplicateMark.objects.filter(Q(initiative=initiative) | Q(of=initiative))
        .select_related("initiative__organisation", "of__organisation", "by")
        .order_by("-at", "-id")
    )
    if not marks:  # most dossiers: no visibility question to ask
        return []
    others = {m.of_id if m.initiative_id == initiative.pk else m.initiative_id for m in marks}
    visible = set(initiative_list(user=user).filter(pk__in=others).values_list("pk", flat=True)) | {initiative.pk}
    standing = {m.pk for m in standing_marks(initiative=initiative)}
    out = []
    for m in marks:
        both = m.initiative_id in visible and m.of_id in visible
        out.append(
            {
                "id": m.pk,
                "initiative": dossier_label(initiative=m.initiative, visible=m.initiative_id in visible),
                "of": dossier_label(initiative=m.of, visible=m.of_id in visible),
                "verdict": m.verdict,
                "verdict_label": m.get_verdict_display(),
                "comment": m.comment if both else "",
                "by": m.by.display_name if hasattr(m.by, "display_name") else m.by.get_username(),
                "at": m.at,
                "standing": m.pk in standing,
                "direction": "out" if m.initiative_id == initiative.pk else "in",
            }
        )
    return out
