"""Programme progress: targets, registrations, recognitions, participation (issue #5).

Definitions (one place, used by the API, the workbook, the dashboard and the e-mails)
-------------------------------------------------------------------------------------
- **registered** (đăng ký): an initiative whose ``submitted_at`` (its first submission) falls in
  the period and which is not ``withdrawn``. A withdrawn initiative left the programme by its
  author's choice before any council decided, so it is not counted in any period, not even the one
  in which it was submitted. Rejected initiatives stay registered (they were registered; they were
  not recognised).
- **recognised** (được công nhận): an initiative whose ``recognised_at`` (its first approval by a
  council, normally the unit council) falls in the period, whatever happened to it later.
- Each initiative counts in the period that contains its own date: registrations by
  ``submitted_at``, recognitions by ``recognised_at``; both are reported. Days are local days
  (``TIME_ZONE``, Asia/Ho_Chi_Minh): a period ``[starts, ends]`` is ``[starts 00:00, ends+1 00:00)``.
- Without a phase the period is the whole programme; ``until`` cuts it at a day (cumulative,
  "lũy kế đến ngày …").
- **authors**: distinct people among the authors of the registered initiatives of the period,
  a person by user id, an author row without a user by full name. Distinct authors are counted per
  organisation of the report in SQL (a person who authored in two units counts once for their
  corporation), never summed from children.
- **benefit_value_vnd**: the sum of the registered initiatives' yearly benefit, each the value a
  council assessed (``assessed_benefit_vnd``) once there is one, else the declared one.
- **participation_percent** = authors / headcount × 100, 1 decimal (half up); null without headcount.
  The headcount of an organisation is its own ``headcount``, or, when that is 0, the sum of its
  children's.
- **target** of an organisation for a phase = its own ``OrganisationTarget`` for the phase valid on
  the report's day (``as_of``, else ``on``: a target revised mid-phase keeps its history, one row
  per date it took effect, and a report as of an earlier day uses the earlier value) (not the
  sum of its children's, which may differ: a corporation's target is assigned to it); when it has
  none, the sum of its children's targets (recursively, by the same rule). Without a phase: the
  sum over the programme's phases. **percent_of_target** = registered / target × 100, 1 decimal
  (half up); null when the target is 0.
- Figures roll up through any depth: an organisation's figures include all its descendants.
- **History**: the tree of a report is the tree as it stood ``on`` a day (default: the end of the
  period, or today when that is later). ``OrganisationMove`` rows effective after that day are
  replayed backwards, so a unit counts under the parent it had then.

Cost: a constant number of queries whatever the number of organisations or initiatives — the
organisations of the subtree, the moves, the targets, the state of the counters, one grouped query
per organisation for the counts, and one for distinct authors per ancestor. Python loops only over
organisations, never over initiatives.

Counters (``initiatives.counters``, kept in the actions' own transactions) answer both grouped
queries without reading initiatives, field for field the same figures, when they can be exact:
- the counters are ``ready`` (built, and kept since), the request's time zone is ``TIME_ZONE``,
  and the tree as it stood ``on`` the report's day is the current tree for this subtree (no move
  after ``on`` touches it: counters follow the current tree);
- counts (registered, recognised, benefit, categories): the period is whole local months
  (programmes and phases are; an ``until`` inside a month is not);
- authors: the period is a programme's or a phase's (a ``CounterPeriod``), or one cut at a day
  (``until``, ``as_of``: the people whose first registration of the period under each organisation
  was on or before that day, ``AuthorFirstCount``), and no organisation moved since the counters
  were last rebuilt.
Each part that fails its condition is computed live from the initiatives, as described above.
"""

import calendar
import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from councils.models import Organisation, OrganisationMove, Role, RoleAssignment
from councils.selectors import _minimal_paths
from initiatives.models import (
    AuthorCount,
    AuthorFirstCount,
    AuthorFirstMonth,
    Category,
    CounterPeriod,
    CounterState,
    Initiative,
    InitiativeAuthor,
    OrganisationTarget,
    Phase,
    Programme,
    ProgressCount,
    State,
)
from initiatives.rules import counted_benefit

OVERSIGHT_ROLES = (Role.OFFICER, Role.AUDITOR, Role.ADMIN)
OVERSIGHT_PERMS = ("councils.act_as_officer", "councils.audit_in", "councils.administer")
CATEGORIES = list(Category.values)
_SEGMENT = re.compile(r"~\d+~|[0-9A-Z]{4}")


def percent(part, whole) -> float | None:
    """part / whole × 100 with one decimal, rounded half up (222 / 2,400 → 9.3); None when whole is 0."""
    if not whole:
        return None
    if type(part) is int and type(whole) is int and part >= 0 and whole > 0:
        # the same rounding in integers (a thousand rows per report): floor(part × 1000 / whole + ½) / 10
        return (2000 * part + whole) // (2 * whole) / 10
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


# --- periods -------------------------------------------------------------------------------------


@dataclass
class Period:
    starts: datetime.date
    ends: datetime.date  # inclusive
    on: datetime.date  # the tree as it stood that day
    phases: list = field(default_factory=list)  # the phases whose targets apply
    targets_on: datetime.date | None = None  # the targets valid that day (default: ``on``)
    uncut_ends: datetime.date | None = None  # a programme's or a phase's end, when ``until`` cut it earlier

    @property
    def targets_day(self) -> datetime.date:
        return self.targets_on or self.on

    def bounds(self):
        """Aware datetimes [starts 00:00, ends+1 00:00) in the current (local) time zone."""
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(self.starts, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(self.ends + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        return start, end


def current_programme() -> Programme | None:
    today = timezone.localdate()
    return (
        Programme.objects.filter(starts__lte=today, ends__gte=today).order_by("-starts").first()
        or Programme.objects.order_by("-starts").first()
    )


def period_for(
    *, programme: Programme, phase: Phase | None = None, until: datetime.date | None = None, on=None, as_of=None
) -> Period:
    """The period of a phase (or of the whole programme), optionally cut at ``until``. ``as_of``:
    the report as it stood that day — cut there (unless ``until`` says otherwise), the tree of
    that day (unless ``on`` does) and the targets valid that day."""
    if as_of is not None:
        until = until or as_of
        on = on or as_of
    if phase is not None:
        starts, ends, phases = phase.starts, phase.ends, [phase]
    else:
        starts, ends, phases = programme.starts, programme.ends, list(programme.phases.all())
    uncut_ends = ends
    if until is not None:
        ends = min(ends, until)
    if on is None:
        on = min(ends, timezone.localdate())
    return Period(
        starts=starts,
        ends=ends,
        on=on,
        phases=phases,
        targets_on=as_of,
        uncut_ends=uncut_ends if ends < uncut_ends else None,
    )


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


# --- the tree as it stood on a day ---------------------------------------------------------------


@dataclass
class Node:
    org: Organisation
    eff_path: str
    depth: int
    parent_id: int | None = None
    children: list = field(default_factory=list)
    pk: int | None = None  # the organisation's id (set from ``org``: read tens of thousands of times)

    def __post_init__(self):
        self.pk = self.org.pk


class TreeAsOf:
    """The subtree of ``root`` as it stood ``on`` a day. Effective paths equal current paths except
    under organisations moved after that day, whose segment becomes ``~<id>~`` under the parent they
    had then (a segment no current path uses, so prefixes never collide)."""

    def __init__(self, *, root: Organisation, on: datetime.date):
        self.root, self.on = root, on
        moves = {}
        for m in (
            OrganisationMove.objects.filter(effective__gt=on)
            .select_related("organisation", "old_parent")
            .order_by("effective", "id")
        ):
            moves.setdefault(m.organisation.path, m)  # the earliest move after ``on`` gives the parent then
        self._moves = moves
        self._memo = {}
        q = Q(path__startswith=root.path)
        for path in _minimal_paths(moves):
            q |= Q(path__startswith=path)
        candidates = list(Organisation.objects.filter(q).order_by("path"))
        root_eff = self.eff_path(root.path)
        self.changed_ids = set()  # candidates whose effective path is not their current path
        nodes = []
        for org in candidates:
            eff = self.eff_path(org.path)
            if eff != org.path:
                self.changed_ids.add(org.pk)
            if eff.startswith(root_eff):
                nodes.append(Node(org=org, eff_path=eff, depth=len(_SEGMENT.findall(eff))))
        nodes.sort(key=lambda n: n.eff_path)
        self.nodes = nodes
        self.by_pk = {n.pk: n for n in nodes}
        by_path = {n.eff_path: n for n in nodes}
        for n in nodes:
            segments = _SEGMENT.findall(n.eff_path)
            parent = by_path.get("".join(segments[:-1])) if n.eff_path != root_eff else None
            if parent is not None:
                n.parent_id = parent.pk
                parent.children.append(n)
        self.root_node = by_path.get(root_eff)
        # every node with its ancestors inside the report (itself included)
        self.ancestors = {}
        for n in nodes:
            parent = self.by_pk.get(n.parent_id)
            self.ancestors[n.pk] = [n.pk] + (self.ancestors[parent.pk] if parent else [])

    def eff_path(self, path: str, _depth: int = 0) -> str:
        if path in self._memo:
            return self._memo[path]
        if _depth > 64:  # a cycle in the recorded moves: fall back to the current tree
            return path
        step = Organisation.steplen
        mover = None
        for i in range(len(path) // step, 0, -1):
            if path[: i * step] in self._moves:
                mover = path[: i * step]
                break
        if mover is None:
            eff = path
        else:
            m = self._moves[mover]
            base = self.eff_path(m.old_parent.path, _depth + 1) if m.old_parent_id else ""
            eff = f"{base}~{m.organisation_id}~{path[len(mover) :]}"
        self._memo[path] = eff
        return eff

    def candidates_q(self, field: str = "organisation") -> Q:
        """Rows attached to the report's organisations (a filter; exact membership is by ``by_pk``)."""
        q = Q(**{f"{field}__path__startswith": self.root.path})
        if self.changed_ids:
            q |= Q(**{f"{field}_id__in": list(self.changed_ids)})
        return q

    def orgmap_sql(self) -> tuple[str, list]:
        """SQL (id, path) of the report's organisations with their effective paths."""
        table = Organisation._meta.db_table
        sql = f"SELECT id, path FROM {table} WHERE path LIKE %s"
        params = [self.root.path + "%"]
        if self.changed_ids:
            sql += f" AND id NOT IN ({', '.join(['%s'] * len(self.changed_ids))})"
            params += list(self.changed_ids)
            overrides = [n for n in self.nodes if n.pk in self.changed_ids]
            if overrides:
                values = ", ".join(["(%s, %s)"] * len(overrides))
                sql += f" UNION ALL SELECT column1, column2 FROM (VALUES {values}) AS v"
                for n in overrides:
                    params += [n.pk, n.eff_path]
        return sql, params


# --- the report ----------------------------------------------------------------------------------


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def _per_org_counts(tree: TreeAsOf, start, end) -> dict:
    registered = Q(submitted_at__gte=start, submitted_at__lt=end) & ~Q(state=State.WITHDRAWN)
    recognised = Q(recognised_at__gte=start, recognised_at__lt=end)
    aggregates = {
        "registered": Count("id", filter=registered),
        "recognised": Count("id", filter=recognised),
        "benefit": Sum(counted_benefit(), filter=registered),
    }
    for cat in CATEGORIES:
        aggregates[f"cat_{cat}"] = Count("id", filter=registered & Q(category=cat))
    rows = (
        Initiative.objects.filter(tree.candidates_q())
        .filter(Q(submitted_at__gte=start, submitted_at__lt=end) | recognised)
        .values("organisation_id")
        .annotate(**aggregates)
        .order_by()
    )
    return {r["organisation_id"]: r for r in rows}


def _authors_per_ancestor(tree: TreeAsOf, start, end) -> dict:
    """Distinct authors of the period's registered initiatives, per organisation of the report
    (itself and all its descendants): one grouped query. The ancestor closure (the tree's own
    ``ancestors`` as two arrays on PostgreSQL; N × N path-prefix comparisons on SQLite) is
    materialised, then joined to the (organisation, person) pairs by equality, so the prefix test
    never runs per initiative."""
    orgmap, params = tree.orgmap_sql()
    ini, auth = Initiative._meta.db_table, InitiativeAuthor._meta.db_table
    closure = "SELECT d.id AS org_id, anc.id AS anc_id FROM orgmap d JOIN orgmap anc ON d.path LIKE anc.path || '%%'"
    closure_params = []
    if connection.vendor == "postgresql":
        # the closure is already known (``tree.ancestors``): two arrays instead of N × N prefix tests
        closure = "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS c (org_id, anc_id)"
        pairs = [(d, a) for d, ancestors in tree.ancestors.items() for a in ancestors]
        closure_params = [[d for d, _ in pairs], [a for _, a in pairs]]
    sql = f"""
        WITH orgmap AS ({orgmap}),
        pairs AS (
            SELECT DISTINCT i.organisation_id AS org_id,
                   COALESCE('u' || a.user_id, 'n' || a.full_name) AS person
            FROM {auth} a JOIN {ini} i ON i.id = a.initiative_id
            WHERE i.organisation_id IN (SELECT id FROM orgmap)
              AND i.submitted_at >= %s AND i.submitted_at < %s AND i.state <> %s
        ),
        closure AS MATERIALIZED ({closure})
        SELECT closure.anc_id, COUNT(DISTINCT pairs.person)
        FROM pairs JOIN closure ON closure.org_id = pairs.org_id
        GROUP BY closure.anc_id
    """
    params += [_dt(start), _dt(end), State.WITHDRAWN, *closure_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def _counters_usable(tree: TreeAsOf, period: Period) -> tuple[bool, tuple | None]:
    """Whether the counters can give the counts of ``period``'s whole months (the days outside
    them are counted live: ``_split_months``), and where its distinct authors can be read (None:
    count them live): ``(period id, None)`` from ``AuthorCount`` when ``period`` is a
    ``CounterPeriod``; ``(period id, day)`` from ``AuthorFirstCount`` up to ``day`` when it is
    one cut at ``until``. One query."""
    full_ends = period.uncut_ends or period.ends
    state = (
        CounterState.objects.filter(pk=1)
        .annotate(
            last_move=Subquery(OrganisationMove.objects.order_by("-id").values("id")[:1]),
            period_id=Subquery(CounterPeriod.objects.filter(starts=period.starts, ends=full_ends).values("id")[:1]),
        )
        .values("ready", "first_days", "moves_seen", "last_move", "period_id")
        .first()
    )
    if (
        state is None
        or not state["ready"]
        or tree.changed_ids
        or timezone.get_current_timezone_name() != timezone.get_default_timezone_name()
    ):
        return False, None
    if state["period_id"] is None or state["moves_seen"] != (state["last_move"] or 0):
        return True, None
    if period.uncut_ends is None:
        return True, (state["period_id"], None)
    return True, (state["period_id"], period.ends) if state["first_days"] else None


def _split_months(starts: datetime.date, ends: datetime.date):
    """``[starts, ends]`` as (first, last) whole calendar months inside it (None when there is
    none) and the days outside them: at most two ranges of less than a month each."""
    first = starts if starts.day == 1 else (starts.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    after = ends + datetime.timedelta(days=1)
    last = (after.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)  # the last month ending by ``ends``
    if first > last:
        return None, [(starts, ends)]
    edges = []
    if starts < first:
        edges.append((starts, first - datetime.timedelta(days=1)))
    last_end = (last + datetime.timedelta(days=32)).replace(day=1)
    if last_end <= ends:
        edges.append((last_end, ends))
    return (first, last), edges


def _day_bounds(starts: datetime.date, ends: datetime.date):
    return Period(starts=starts, ends=ends, on=ends).bounds()


def _per_org_counts_from_counters(tree: TreeAsOf, first: datetime.date, last: datetime.date) -> dict:
    """``_per_org_counts`` summed from ``ProgressCount`` over the months ``first`` .. ``last``:
    one grouped query, read without the ORM's per-value converters (a thousand rows)."""
    table, org = ProgressCount._meta.db_table, Organisation._meta.db_table
    cats = ", ".join("SUM(CASE WHEN c.category = %s THEN c.registered ELSE 0 END)" for _ in CATEGORIES)
    sql = (
        f"SELECT c.organisation_id, SUM(c.registered), SUM(c.recognised), SUM(c.benefit_registered), {cats} "
        f"FROM {table} c JOIN {org} o ON o.id = c.organisation_id "
        f"WHERE o.path LIKE %s AND c.month >= %s AND c.month <= %s GROUP BY c.organisation_id"
    )
    adapt = connection.ops.adapt_datefield_value
    params = [*CATEGORIES, tree.root.path + "%", adapt(first), adapt(last)]
    keys = ["registered", "recognised", "benefit"] + [f"cat_{c}" for c in CATEGORIES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {r[0]: dict(zip(keys, (int(v or 0) for v in r[1:]), strict=True)) for r in cursor.fetchall()}


def _per_org_counts_of_days(tree: TreeAsOf, start, end) -> dict:
    """``_per_org_counts`` for the days outside the counters' whole months (less than a month at
    each end, the counters being usable: the tree is today's): registrations and recognitions in
    two grouped queries, each a range of its covering index (``0019_i12p_day_count_indexes``: an
    index-only scan, no dossier read on PostgreSQL)."""
    ini, org = Initiative._meta.db_table, Organisation._meta.db_table
    cats = "".join(", SUM(CASE WHEN i.category = %s THEN 1 ELSE 0 END)" for _ in CATEGORIES)
    within = f"i.organisation_id IN (SELECT id FROM {org} WHERE path LIKE %s)"
    like = tree.root.path + "%"
    out = {}
    keys = ["registered", "benefit"] + [f"cat_{c}" for c in CATEGORIES]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.organisation_id, COUNT(*), SUM(COALESCE(i.assessed_benefit_vnd, i.benefit_value_vnd)){cats} "
            f"FROM {ini} i WHERE i.submitted_at >= %s AND i.submitted_at < %s AND i.state <> %s AND {within} "
            f"GROUP BY i.organisation_id",
            [*CATEGORIES, _dt(start), _dt(end), State.WITHDRAWN, like],
        )
        for r in cursor.fetchall():
            out[r[0]] = {"recognised": 0, **dict(zip(keys, (int(v or 0) for v in r[1:]), strict=True))}
        cursor.execute(
            f"SELECT i.organisation_id, COUNT(*) FROM {ini} i "
            f"WHERE i.recognised_at >= %s AND i.recognised_at < %s AND {within} GROUP BY i.organisation_id",
            [_dt(start), _dt(end), like],
        )
        for org_id, n in cursor.fetchall():
            out.setdefault(org_id, {"recognised": 0, **dict.fromkeys(keys, 0)})["recognised"] = n
    return out


def _merge_counts(parts) -> dict:
    out = {}
    for part in parts:
        for org_id, row in part.items():
            have = out.get(org_id)
            if have is None:
                out[org_id] = {k: v or 0 for k, v in row.items() if k != "organisation_id"}
            else:
                for k, v in row.items():
                    if k != "organisation_id":
                        have[k] += v or 0
    return out


def _authors_from_counters(tree: TreeAsOf, period_id: int, until: datetime.date | None = None) -> dict:
    """``_authors_per_ancestor`` read from ``AuthorCount``, or with ``until`` (the period cut at
    that day) summed from ``AuthorFirstCount``: the people whose first registration of the period
    under each organisation was on or before that day (one grouped query: ``AuthorFirstMonth`` for
    the whole months, ``AuthorFirstCount`` for the days of the last one)."""
    if until is not None:
        org, adapt = Organisation._meta.db_table, connection.ops.adapt_datefield_value
        month = until.replace(day=1)
        if (until + datetime.timedelta(days=1)).day == 1:  # a month's last day: whole months only
            months_to, days_after = month, until
        else:
            months_to = days_after = month - datetime.timedelta(days=1)
        # the whole months up to the cut from AuthorFirstMonth, the days of its last month from AuthorFirstCount
        sql = (
            f"SELECT a.ancestor_id, SUM(a.authors) FROM ("
            f"SELECT m.ancestor_id, m.authors FROM {AuthorFirstMonth._meta.db_table} m "
            f"JOIN {org} o ON o.id = m.ancestor_id WHERE o.path LIKE %s AND m.period_id = %s AND m.month <= %s "
            f"UNION ALL SELECT f.ancestor_id, f.authors FROM {AuthorFirstCount._meta.db_table} f "
            f"JOIN {org} o ON o.id = f.ancestor_id WHERE o.path LIKE %s AND f.period_id = %s "
            f"AND f.day > %s AND f.day <= %s"
            f") a GROUP BY a.ancestor_id"
        )
        like = tree.root.path + "%"
        params = [like, period_id, adapt(months_to), like, period_id, adapt(days_after), adapt(until)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {anc: int(n) for anc, n in cursor.fetchall()}
    return dict(
        AuthorCount.objects.filter(tree.candidates_q("ancestor"), period_id=period_id).values_list(
            "ancestor_id", "authors"
        )
    )


def _targets(tree: TreeAsOf, phases, day: datetime.date | None = None) -> dict:
    """Effective target per organisation of the report, summed over ``phases``: for each
    organisation and phase the target valid on ``day`` (the latest revision that took effect on
    or before it; the phase's original target when none did)."""
    own, since = {}, {}
    for t in OrganisationTarget.objects.filter(tree.candidates_q(), phase__in=phases).values(
        "organisation_id", "phase_id", "initiatives", "valid_from"
    ):
        key, valid_from = (t["organisation_id"], t["phase_id"]), t["valid_from"] or datetime.date.min
        if day is not None and valid_from > day:
            continue  # revised later: not yet valid that day
        if key not in since or valid_from > since[key]:
            own[key], since[key] = t["initiatives"], valid_from
    totals = {n.pk: 0 for n in tree.nodes}
    for phase in phases:
        effective = {}
        for n in reversed(tree.nodes):  # children before parents (sorted by path)
            key = (n.pk, phase.pk)
            effective[n.pk] = own[key] if key in own else sum(effective[c.pk] for c in n.children)
            totals[n.pk] += effective[n.pk]
    return totals


def _headcounts(tree: TreeAsOf) -> dict:
    out = {}
    for n in reversed(tree.nodes):
        out[n.pk] = n.org.headcount or sum(out[c.pk] for c in n.children)
    return out


def tree_for(root: Organisation, period: Period, tree: "TreeAsOf | None" = None) -> "TreeAsOf":
    """``tree`` when it is ``root``'s as it stood ``period.on`` (a page asking two reports of one
    tree builds it once), else a new one."""
    if tree is not None and tree.root.pk == root.pk and tree.on == period.on:
        return tree
    return TreeAsOf(root=root, on=period.on)


def progress_report(
    *,
    root: Organisation,
    period: Period,
    by_category: bool = False,
    counters: bool = True,
    authors: bool = True,
    tree: TreeAsOf | None = None,
) -> list[dict]:
    """One row per organisation of ``root``'s subtree (as it stood ``period.on``), root first, in
    tree order; every figure rolled up through all descendants. ``counters=False`` computes
    everything live from the initiatives (the counters' tests compare both). ``authors=False``: a
    caller that reads neither ``authors`` nor ``participation_percent`` skips counting them (they
    are then 0 and None)."""
    tree = tree_for(root, period, tree)
    start, end = period.bounds()
    counts_fast, authors_period = _counters_usable(tree, period)
    if not counters:
        counts_fast, authors_period = False, None
    if counts_fast:
        months, edges = _split_months(period.starts, period.ends)
        parts = [_per_org_counts_from_counters(tree, *months)] if months else []
        parts += [_per_org_counts_of_days(tree, *_day_bounds(a, b)) for a, b in edges]
        per_org = _merge_counts(parts)
    else:
        per_org = _per_org_counts(tree, start, end)
    counted_authors = authors
    if not counted_authors:
        authors = {}
    elif authors_period is not None:
        authors = _authors_from_counters(tree, *authors_period)
    else:
        authors = _authors_per_ancestor(tree, start, end)
    targets = _targets(tree, period.phases, period.targets_day)
    headcounts = _headcounts(tree)
    keys = ["registered", "recognised", "benefit"] + [f"cat_{c}" for c in CATEGORIES]
    totals = {n.pk: dict.fromkeys(keys, 0) for n in tree.nodes}
    for org_id, row in per_org.items():
        for anc in tree.ancestors.get(org_id, ()):
            for k in keys:
                totals[anc][k] += row[k] or 0
    rows = []
    for n in tree.nodes:
        t = totals[n.pk]
        parent = tree.by_pk.get(n.parent_id)
        row = {
            "organisation": n.org.code,
            "name": n.org.name,
            "level": n.org.level,
            "depth": n.depth,
            "parent": parent.org.code if parent else None,
            "target": targets[n.pk],
            "registered": t["registered"],
            "recognised": t["recognised"],
            "percent_of_target": percent(t["registered"], targets[n.pk]),
            "authors": authors.get(n.pk, 0),
            "headcount": headcounts[n.pk],
            "participation_percent": percent(authors.get(n.pk, 0), headcounts[n.pk]) if counted_authors else None,
            "benefit_value_vnd": t["benefit"],
        }
        if by_category:
            row["by_category"] = {c: t[f"cat_{c}"] for c in CATEGORIES}
        rows.append(row)
    return rows


def monthly_trend(*, root: Organisation, period: Period, counters: bool = True, tree=None) -> list[dict]:
    """Registered and recognised per month of the period under ``root`` (as it stood ``period.on``):
    ``[{"month": date, "registered": n, "recognised": n}]``, every month listed. The whole months
    come from the counters when they can be exact (``_counters_usable``: one grouped query over a
    few thousand rows), the days outside them and every other case from the initiatives (two
    grouped queries). ``tree``: ``root``'s tree as it stood ``period.on``, when the caller has it."""
    tree = tree_for(root, period, tree)
    counts = {}
    ranges = [(period.starts, period.ends)]
    if counters and _counters_usable(tree, period)[0]:
        months, ranges = _split_months(period.starts, period.ends)
        if months:
            rows = (
                ProgressCount.objects.filter(
                    organisation__path__startswith=root.path, month__gte=months[0], month__lte=months[1]
                )
                .values("month")
                .annotate(registered=Sum("registered"), recognised=Sum("recognised"))
                .order_by()
            )
            for r in rows:
                counts[r["month"]] = {"registered": r["registered"] or 0, "recognised": r["recognised"] or 0}
    if ranges:
        base = Initiative.objects.filter(tree.candidates_q())
        ids = set(tree.by_pk)
        for starts, ends in ranges:
            start, end = _day_bounds(starts, ends)
            for field_name, key, extra in (
                ("submitted_at", "registered", ~Q(state=State.WITHDRAWN)),
                ("recognised_at", "recognised", Q()),
            ):
                rows = (
                    base.filter(extra, **{f"{field_name}__gte": start, f"{field_name}__lt": end})
                    .annotate(month=TruncMonth(field_name))
                    .values("month", "organisation_id")
                    .annotate(n=Count("id"))
                    .order_by()
                )
                for r in rows:
                    if r["organisation_id"] in ids:
                        month = r["month"].date() if isinstance(r["month"], datetime.datetime) else r["month"]
                        counts.setdefault(month, {"registered": 0, "recognised": 0})[key] += r["n"]
    out = []
    month = period.starts.replace(day=1)
    while month <= period.ends:
        c = counts.get(month, {"registered": 0, "recognised": 0})
        out.append({"month": month, **c})
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return out


def month_initiatives(*, root: Organisation, year: int, month: int):
    """The initiatives registered in a month under ``root`` (as the tree stood at the month's end),
    each with ``author_shares``: its authors' ``(full name, share percent)`` in their order."""
    first, last = month_bounds(year, month)
    period = Period(starts=first, ends=last, on=last)
    tree = TreeAsOf(root=root, on=last)
    start, end = period.bounds()
    # the month's ids under the union (a subquery: on PostgreSQL an index-only range of the month,
    # ``0019_i12p_day_count_indexes``), then only those dossiers read: a corporation's month is a
    # few hundred of the sector's tens of thousands
    ids = (
        Initiative.objects.filter(organisation_id__in=list(tree.by_pk), submitted_at__gte=start, submitted_at__lt=end)
        .exclude(state=State.WITHDRAWN)
        .values("id")
    )
    # as plain rows (a model and its organisation's per dossier were half a sector's workbook)
    rows = (
        Initiative.objects.filter(pk__in=ids)
        .order_by("submitted_at", "id")
        .values_list("pk", *MONTH_LIST_FIELDS, "organisation__name")
    )
    out = [MonthRow(*row, author_shares=[]) for row in rows if row[3] in tree.by_pk]
    # their authors as plain (name, share) pairs in one query: a prefetch builds a related manager
    # and a model per author (seconds for a sector's month)
    authors = {}
    for initiative_id, full_name, share in (
        InitiativeAuthor.objects.filter(initiative_id__in=ids)
        .order_by("initiative_id", "position", "id")
        .values_list("initiative_id", "full_name", "share_percent")
    ):
        authors.setdefault(initiative_id, []).append((full_name, share))
    for i in out:
        i.author_shares.extend(authors.get(i.pk, []))
    return out


# what the monthly workbook's list reads of each initiative (not its long texts)
MONTH_LIST_FIELDS = (
    "reference",
    "title",
    "organisation",
    "category",
    "confidential",
    "benefit_value_vnd",
    "assessed_benefit_vnd",
    "state",
    "submitted_at",
)


@dataclass(slots=True)
class MonthRow:
    """One dossier of ``month_initiatives``: ``MONTH_LIST_FIELDS`` (``organisation`` its id), its
    unit's name and its authors' (full name, share percent)."""

    pk: int
    reference: str
    title: str
    organisation_id: int
    category: str
    confidential: bool
    benefit_value_vnd: int | None
    assessed_benefit_vnd: int | None
    state: str
    submitted_at: datetime.datetime
    organisation_name: str
    author_shares: list

    @property
    def counted_benefit_vnd(self) -> int:
        """As ``Initiative.counted_benefit_vnd``: the council's assessment once there is one."""
        if self.assessed_benefit_vnd is not None:
            return self.assessed_benefit_vnd
        return self.benefit_value_vnd or 0


# --- who may see what ----------------------------------------------------------------------------


def can_view_reports(*, user, organisation: Organisation) -> bool:
    return any(user.has_perm(perm, organisation) for perm in OVERSIGHT_PERMS)


def report_roots(*, user) -> list[Organisation]:
    """The organisations the user's officer / auditor / admin roles cover (the topmost ones)."""
    paths = list(
        RoleAssignment.objects.filter(user=user, role__in=OVERSIGHT_ROLES).values_list("organisation__path", flat=True)
    )
    return list(Organisation.objects.filter(path__in=_minimal_paths(paths)).order_by("path"))
