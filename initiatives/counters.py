"""Progress counters: what ``reports.selectors.progress_report`` would count, kept up to date in
the same transactions that change it, so the report reads a few thousand counter rows instead of
every initiative.

- ``ProgressCount``: per organisation (an initiative's own), local calendar month and category, the
  registered initiatives (``submitted_at`` in the month, not withdrawn), their benefit (the
  council's assessed value once there is one, else the declared one; a close that sets an
  assessment moves it once), and the
  recognised ones (``recognised_at`` in the month). Additive, so any month-aligned period of any
  subtree is a sum.
- ``AuthorSeen`` / ``AuthorCount``: distinct authors are not additive, so they are kept per
  ancestor organisation (each organisation on the path of the initiative's, itself included) and
  per ``CounterPeriod`` (each programme and each phase, by its dates). ``AuthorSeen.initiatives``
  counts the registered initiatives of that person under that ancestor in that period; the row
  appears at 1 and goes at 0, and ``AuthorCount`` moves by one at those two moments only.
- ``AuthorSeen.first_day`` / ``AuthorFirstCount``: the local day of the person's first registered
  initiative of the period under that ancestor, and per (ancestor, period, day) how many people
  first appeared that day (and ``AuthorFirstMonth``, the same by month). A period cut at a day (``until=``, ``as_of=``: a programme or a phase
  from its start) has as distinct authors the sum of ``AuthorFirstCount`` up to that day. A new
  person or an earlier registration moves the first day in the writer's transaction (the
  ``AuthorSeen`` row is locked by its upsert); a withdrawal or an author removed from the first
  day's initiative asks the initiatives for the next first day (a few rows, by the person).

Writers describe an initiative's contribution as a ``Share`` and call ``progress_counters_apply``
with the share before and after their change (``None`` for nothing): the actions that register
(``initiative_submit``'s first submission, the register import), recognise (``initiative_close``'s
first approval), withdraw, or edit a registered draft. Every write is an ``INSERT … ON CONFLICT DO
UPDATE`` adding a delta, in key order, so concurrent actions on PostgreSQL neither lose nor double
a count and always take row locks in the same order. On PostgreSQL writers hold a shared advisory
lock that ``progress_counters_rebuild`` takes exclusively, so a rebuild never interleaves with them.

Anything that changes initiatives without these calls (a shell, the admin, a bulk load) must be
followed by ``manage.py rebuild_progress_counters``. Moving an organisation makes the per-ancestor
author counters stale: reports notice (``CounterState.moves_seen``) and count authors live until
the next rebuild (the structure loader rebuilds after moves).
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from config import sqlbatch
from councils.models import Organisation, OrganisationMove

from .models import (
    AuthorCount,
    AuthorFirstCount,
    AuthorFirstMonth,
    AuthorSeen,
    CounterPeriod,
    CounterState,
    Initiative,
    InitiativeAuthor,
    Phase,
    Programme,
    ProgressCount,
    State,
)
from .rules import counted_benefit

ADVISORY_LOCK = 0x50524F47  # "PROG": writers share it, a rebuild takes it alone


@dataclass(frozen=True)
class Share:
    """What one initiative adds to the counters (a part of it may be left out: ``None``)."""

    organisation_id: int
    path: str
    category: str
    benefit: int
    registered_on: datetime.date | None  # local day of its first submission, if it counts as registered
    recognised_on: datetime.date | None  # local day of its first approval
    persons: frozenset = frozenset()  # author keys, when registered
    initiative_id: int | None = None


def local_day(value: datetime.datetime) -> datetime.date:
    """The day in the programme's time zone (``TIME_ZONE``), whatever zone a request activated."""
    return timezone.localtime(value, timezone.get_default_timezone()).date()


def person_key(user_id, full_name) -> str:
    """A person by user id, an author row without a user by full name (as the live SQL does)."""
    return f"u{user_id}" if user_id is not None else f"n{full_name}"


def progress_share(initiative: Initiative, *, registered: bool = True, recognised: bool = True) -> Share:
    """The initiative's contribution as it stands now (one query for the authors when registered)."""
    is_registered = registered and initiative.submitted_at is not None and initiative.state != State.WITHDRAWN
    persons = frozenset()
    if is_registered:
        persons = frozenset(
            person_key(u, n)
            for u, n in InitiativeAuthor.objects.filter(initiative_id=initiative.pk).values_list("user_id", "full_name")
        )
    return Share(
        organisation_id=initiative.organisation_id,
        path=initiative.organisation.path,
        category=initiative.category,
        benefit=initiative.counted_benefit_vnd,  # the council's assessment once there is one
        registered_on=local_day(initiative.submitted_at) if is_registered else None,
        recognised_on=local_day(initiative.recognised_at) if recognised and initiative.recognised_at else None,
        persons=persons,
        initiative_id=initiative.pk,
    )


# --- the hooks the actions call (one line each) --------------------------------------------------


def progress_registered(initiative: Initiative) -> None:
    """Its first submission (or an imported registration): count it as registered."""
    progress_counters_apply(before=None, after=progress_share(initiative, recognised=False))


def progress_recognised(initiative: Initiative) -> None:
    """Its first council approval: count it as recognised."""
    progress_counters_apply(before=None, after=progress_share(initiative, registered=False))


def progress_withdrawing(initiative: Initiative) -> None:
    """Called before a registered initiative is withdrawn: it stops counting as registered."""
    progress_counters_apply(before=progress_share(initiative, recognised=False), after=None)


# --- applying a change ---------------------------------------------------------------------------


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _writer_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [ADVISORY_LOCK])


def _ancestor_ids(paths) -> dict:
    """{path: [ids of the organisations on it, itself included]}: one query."""
    step = Organisation.steplen
    prefixes = {p[:i] for p in paths for i in range(step, len(p) + 1, step)}
    ids = dict(Organisation.objects.filter(path__in=prefixes).values_list("path", "id"))
    return {p: [ids[p[:i]] for i in range(step, len(p) + 1, step) if p[:i] in ids] for p in paths}


def progress_counters_apply(*, before: Share | None, after: Share | None) -> None:
    """Move the counters from ``before`` to ``after``; call inside the writer's transaction."""
    if before == after:
        return
    _apply(((before, -1), (after, 1)))


def progress_counters_add(shares) -> None:
    """Count many new initiatives at once (a batch of a register import): the same as one
    ``progress_counters_apply(before=None, after=share)`` per share, in a few statements."""
    _apply([(share, 1) for share in shares])


def _apply(changes) -> None:
    changes = [(share, sign) for share, sign in changes if share is not None]
    if not changes:
        return
    assert connection.in_atomic_block, "progress counters change only inside the writer's transaction"
    counts = {}  # (organisation, month, category) -> [registered, recognised, benefit]
    for share, sign in changes:
        if share is None:
            continue
        if share.registered_on is not None:
            row = counts.setdefault((share.organisation_id, _month(share.registered_on), share.category), [0, 0, 0])
            row[0] += sign
            row[2] += sign * share.benefit
        if share.recognised_on is not None:
            row = counts.setdefault((share.organisation_id, _month(share.recognised_on), share.category), [0, 0, 0])
            row[1] += sign
    counts = sorted((k, v) for k, v in counts.items() if any(v))
    if not counts:
        _writer_lock()
    for i in range(0, len(counts), 5000):  # the first statement takes the writers' lock (PostgreSQL)
        _upsert_counts(dict(counts[i : i + 5000]), lock=i == 0)
    with_authors = [(s, sign) for s, sign in changes if s.registered_on and s.persons]
    if not with_authors:
        return
    periods = list(CounterPeriod.objects.values_list("id", "starts", "ends"))
    if not periods:
        return
    ancestors = _ancestor_ids({s.path for s, _ in with_authors})
    seen = Counter()
    adds, leaves = {}, {}  # per key: the days it is added on; the (day, initiative) it leaves
    for share, sign in with_authors:
        day = share.registered_on
        for period_id, starts, ends in periods:
            if starts <= day <= ends:
                for anc in ancestors[share.path]:
                    for person in share.persons:
                        key = (anc, period_id, person)
                        seen[key] += sign
                        if sign > 0:
                            adds.setdefault(key, set()).add(day)
                        else:
                            leaves.setdefault(key, set()).add((day, share.initiative_id))
    # a key whose number does not move may still change its first day (left on one day, added on another)
    seen = [(k, v) for k, v in sorted(seen.items()) if v or {d for d, _ in leaves.get(k, ())} != adds.get(k, set())]
    for i in range(0, len(seen), 5000):  # a statement takes at most 65,535 parameters
        _upsert_seen(dict(seen[i : i + 5000]), adds, leaves, {p: (starts, ends) for p, starts, ends in periods})


def _upsert_counts(counts: dict, *, lock: bool = False) -> None:
    """Add the deltas; with ``lock``, take the writers' shared lock first (``_writer_lock``): on
    PostgreSQL in the same statement (an init plan, evaluated before the first row is inserted)."""
    table = ProgressCount._meta.db_table
    rows, params = [], []
    for (org, month, category), (reg, rec, benefit) in sorted(counts.items()):
        rows.append("(%s, %s, %s, %s, %s, %s)")
        params += [org, connection.ops.adapt_datefield_value(month), category, reg, rec, benefit]
    columns = "organisation_id, month, category, registered, recognised, benefit_registered"
    values = f"VALUES {', '.join(rows)}"
    if lock and connection.vendor == "postgresql":
        values = (
            f"SELECT * FROM ({values}) AS v ({columns}) "
            "WHERE (SELECT pg_advisory_xact_lock_shared(%s)::text) IS NOT NULL"
        )
        params.append(ADVISORY_LOCK)
    sql = (
        f"INSERT INTO {table} ({columns}) "
        f"{values} ON CONFLICT (organisation_id, month, category) DO UPDATE SET "
        f"registered = {table}.registered + excluded.registered, "
        f"recognised = {table}.recognised + excluded.recognised, "
        f"benefit_registered = {table}.benefit_registered + excluded.benefit_registered"
    )
    sqlbatch.execute(sql, params)  # queued inside sqlbatch.deferring(): sent with the next statement


def _upsert_seen(seen: dict, adds: dict, leaves: dict, periods: dict) -> None:
    """Add ``seen``'s deltas to each (ancestor, period, person); a person counts for an (ancestor,
    period) when their number goes 0 → 1 and stops when it goes 1 → 0 (the row is then deleted).
    The row's first day moves to an earlier added day; when the initiatives that leave held the
    first day, the next one is read from the initiatives (``_first_day_without``). Every change of
    a first day moves ``AuthorFirstCount`` by one on the old day and the new."""
    table = AuthorSeen._meta.db_table
    adapt = connection.ops.adapt_datefield_value
    keys = list(seen)
    firsts = [adapt(min(adds[k])) if k in adds else None for k in keys]
    rows, params = [], []
    if connection.vendor == "postgresql":  # five arrays, not five parameters a row (quoted one by one)
        values = "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::int[], %s::date[])"
        params = [[k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], [seen[k] for k in keys], firsts]
    else:
        for key, first in zip(keys, firsts, strict=True):
            rows.append("(%s, %s, %s, %s, %s)")
            params += [*key, seen[key], first]
        values = f"VALUES {', '.join(rows)}"
    sql = (
        f"INSERT INTO {table} (ancestor_id, period_id, person, initiatives, first_day) {values} "
        f"ON CONFLICT (ancestor_id, period_id, person) DO UPDATE SET "
        f"initiatives = {table}.initiatives + excluded.initiatives "
        f"RETURNING ancestor_id, period_id, person, initiatives, first_day"
    )
    authors = Counter()
    by_day = Counter()
    gone, moved = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
        for anc, period, person, now, first in returned:
            key = (anc, period, person)
            was = now - seen[key]
            authors[(anc, period)] += (now > 0) - (was > 0)
            first = _as_day(first)
            old = first if was > 0 else None
            added = min(adds[key]) if key in adds else None
            if now <= 0:
                new = None
                gone.append(key)
            elif was <= 0:
                new = added
            elif old is None or old in {d for d, _ in leaves.get(key, ())}:
                # the first day's initiative (or one of them) leaves: the next one from the initiatives
                without = {i for _, i in leaves.get(key, ())}
                candidates = [d for d in (_first_day_without(key, periods[period], without), added) if d]
                new = min(candidates) if candidates else None
            else:
                new = min(old, added) if added else old
            if now > 0 and new is not None and new != first:
                moved.append((new, *key))
            if old != new:
                if old is not None:
                    by_day[(anc, period, old)] -= 1
                if new is not None:
                    by_day[(anc, period, new)] += 1
        if gone:
            where = " OR ".join(["(ancestor_id = %s AND period_id = %s AND person = %s)"] * len(gone))
            cursor.execute(
                f"DELETE FROM {table} WHERE initiatives <= 0 AND ({where})", [v for key in gone for v in key]
            )
        if moved:
            cursor.executemany(
                f"UPDATE {table} SET first_day = %s WHERE ancestor_id = %s AND period_id = %s AND person = %s",
                [(adapt(day), *key) for day, *key in moved],
            )
        authors = {k: v for k, v in sorted(authors.items()) if v}
        if authors:
            table = AuthorCount._meta.db_table
            values = ", ".join(["(%s, %s, %s)"] * len(authors))
            cursor.execute(
                f"INSERT INTO {table} (ancestor_id, period_id, authors) VALUES {values} "
                f"ON CONFLICT (ancestor_id, period_id) DO UPDATE SET authors = {table}.authors + excluded.authors",
                [v for (anc, period), n in authors.items() for v in (anc, period, n)],
            )
        by_month = Counter()
        for (anc, period, day), n in by_day.items():
            by_month[(anc, period, _month(day))] += n
        for model, column, deltas in (
            (AuthorFirstCount, "day", by_day),
            (AuthorFirstMonth, "month", by_month),
        ):
            deltas = {k: v for k, v in sorted(deltas.items()) if v}
            if not deltas:
                continue
            table = model._meta.db_table
            values = ", ".join(["(%s, %s, %s, %s)"] * len(deltas))
            cursor.execute(
                f"INSERT INTO {table} (ancestor_id, period_id, {column}, authors) VALUES {values} "
                f"ON CONFLICT (ancestor_id, period_id, {column}) DO UPDATE SET "
                f"authors = {table}.authors + excluded.authors",
                [v for (anc, period, day), n in deltas.items() for v in (anc, period, adapt(day), n)],
            )


def _as_day(value):
    if isinstance(value, str):  # SQLite's raw rows
        return datetime.date.fromisoformat(value)
    return value


def _first_day_without(key, bounds, without) -> datetime.date | None:
    """The local day of the first registered initiative of ``person`` in the period under
    ``ancestor``, leaving out the initiatives ``without`` (those this change takes away): one query
    by the person's author rows."""
    anc, _period, person = key
    org, ini, auth = Organisation._meta.db_table, Initiative._meta.db_table, InitiativeAuthor._meta.db_table
    if person.startswith("u"):
        who, params = "a.user_id = %s", [int(person[1:])]
    else:
        who, params = "a.user_id IS NULL AND a.full_name = %s", [person[1:]]
    skip = [i for i in without if i is not None]
    sql = (
        f"SELECT MIN(i.submitted_at) FROM {auth} a JOIN {ini} i ON i.id = a.initiative_id "
        f"JOIN {org} o ON o.id = i.organisation_id "
        f"WHERE {who} AND o.path LIKE (SELECT path FROM {org} WHERE id = %s) || '%%' "
        f"AND i.submitted_at >= %s AND i.submitted_at < %s AND i.state <> %s"
    )
    params += [anc, *_bounds(*bounds), State.WITHDRAWN]
    if skip:
        sql += f" AND i.id NOT IN ({', '.join(['%s'] * len(skip))})"
        params += skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (first,) = cursor.fetchone()
    if first is None:
        return None
    if isinstance(first, str):
        first = datetime.datetime.fromisoformat(first)
    if timezone.is_naive(first):
        first = timezone.make_aware(first, datetime.UTC)
    return local_day(first)


# --- rebuilding from the initiatives -------------------------------------------------------------


def counter_periods_wanted() -> set:
    """(starts, ends) of every programme and every phase."""
    wanted = set(Programme.objects.values_list("starts", "ends"))
    wanted |= set(Phase.objects.values_list("starts", "ends"))
    return wanted


def last_move_id() -> int:
    return OrganisationMove.objects.order_by("-id").values_list("id", flat=True).first() or 0


def progress_counters_current() -> bool:
    """Ready, with first days, built for the current tree (no move since) and for the current
    programmes' periods."""
    state = CounterState.objects.filter(pk=1).first()
    return (
        state is not None
        and state.ready
        and state.first_days
        and state.moves_seen == last_move_id()
        and set(CounterPeriod.objects.values_list("starts", "ends")) == counter_periods_wanted()
    )


def progress_counters_refresh() -> bool:
    """Rebuild when organisations moved or the programmes' periods changed since the last build
    (the structure loader calls this after applying a file). Returns whether it rebuilt."""
    if progress_counters_current():
        return False
    progress_counters_rebuild()
    return True


def _bounds(starts: datetime.date, ends: datetime.date):
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(starts, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(ends + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)


def progress_counters_rebuild() -> dict:
    """Recompute every counter from the initiatives (grouped queries; Python loops only over the
    groups). Returns how many rows each table holds."""
    tz = timezone.get_default_timezone()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
                cursor.execute("SET LOCAL work_mem = '256MB'")
        wanted = counter_periods_wanted()
        CounterPeriod.objects.exclude(
            pk__in=[p.pk for p in CounterPeriod.objects.all() if (p.starts, p.ends) in wanted]
        ).delete()
        have = set(CounterPeriod.objects.values_list("starts", "ends"))
        CounterPeriod.objects.bulk_create(CounterPeriod(starts=s, ends=e) for s, e in sorted(wanted - have))
        periods = list(CounterPeriod.objects.values_list("id", "starts", "ends"))
        with connection.cursor() as cursor:
            # ProgressCount is small, and its foreign key may have checks pending in this transaction
            cursor.execute(f"DELETE FROM {ProgressCount._meta.db_table}")
            # no foreign key constraints
            big = [AuthorSeen, AuthorCount, AuthorFirstCount, AuthorFirstMonth]
            big = [model._meta.db_table for model in big]
            if postgres:
                cursor.execute(f"TRUNCATE {', '.join(big)}")
            else:
                for table in big:
                    cursor.execute(f"DELETE FROM {table}")
        counts = {}
        registered = (
            Initiative.objects.filter(submitted_at__isnull=False)
            .exclude(state=State.WITHDRAWN)
            .annotate(m=TruncMonth("submitted_at", tzinfo=tz))
            .values("organisation_id", "m", "category")
            .annotate(n=Count("id"), b=Sum(counted_benefit()))
            .order_by()
        )
        for r in registered:
            row = counts.setdefault((r["organisation_id"], _as_date(r["m"]), r["category"]), [0, 0, 0])
            row[0] += r["n"]
            row[2] += r["b"] or 0
        recognised = (
            Initiative.objects.filter(recognised_at__isnull=False)
            .annotate(m=TruncMonth("recognised_at", tzinfo=tz))
            .values("organisation_id", "m", "category")
            .annotate(n=Count("id"))
            .order_by()
        )
        for r in recognised:
            counts.setdefault((r["organisation_id"], _as_date(r["m"]), r["category"]), [0, 0, 0])[1] += r["n"]
        ProgressCount.objects.bulk_create(
            (
                ProgressCount(
                    organisation_id=org, month=month, category=cat, registered=reg, recognised=rec, benefit_registered=b
                )
                for (org, month, cat), (reg, rec, b) in counts.items()
            ),
            batch_size=5000,
        )
        if periods:
            _rebuild_authors(periods)
        CounterState.objects.update_or_create(
            pk=1,
            defaults={"ready": True, "first_days": True, "moves_seen": last_move_id(), "rebuilt_at": timezone.now()},
        )
        return {
            "progress_counts": ProgressCount.objects.count(),
            "authors_seen": AuthorSeen.objects.count(),
            "author_counts": AuthorCount.objects.count(),
            "author_first_counts": AuthorFirstCount.objects.count(),
            "author_first_months": AuthorFirstMonth.objects.count(),
            "periods": len(periods),
        }


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value, timezone.get_default_timezone()).date()
            if timezone.is_aware(value)
            else value.date()
        )
    return value


def _rebuild_authors(periods) -> None:
    org, ini, auth = Organisation._meta.db_table, Initiative._meta.db_table, InitiativeAuthor._meta.db_table
    seen, count, first = AuthorSeen._meta.db_table, AuthorCount._meta.db_table, AuthorFirstCount._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(periods))
    params = []
    for period_id, starts, ends in periods:
        params += [period_id, *_bounds(starts, ends)]
    params.append(State.WITHDRAWN)
    if connection.vendor == "postgresql":
        # each of the path's prefixes, by equality (an index lookup per level): the LIKE join
        # compares every organisation with every other (29 million pairs at 6,000 organisations)
        step = Organisation.steplen
        ancestor = (
            f"{org} d CROSS JOIN LATERAL generate_series(1, length(d.path) / {step}) AS k "
            f"JOIN {org} anc ON anc.path = substr(d.path, 1, k * {step})"
        )
    else:
        ancestor = f"{org} d JOIN {org} anc ON d.path LIKE anc.path || '%%'"
    # the local day (``TIME_ZONE``) of the earliest registration, as the actions' ``local_day``
    first_day, first_day_params = connection.ops.datetime_cast_date_sql(
        "MIN(pairs.first_at)", (), timezone.get_default_timezone_name()
    )
    first_day_params = list(first_day_params)
    sql = f"""
        WITH periods (id, s, e) AS (VALUES {values}),
        pairs AS (
            SELECT i.organisation_id AS org_id, p.id AS period_id,
                   COALESCE('u' || a.user_id, 'n' || a.full_name) AS person, COUNT(DISTINCT i.id) AS n,
                   MIN(i.submitted_at) AS first_at
            FROM {auth} a JOIN {ini} i ON i.id = a.initiative_id
            JOIN periods p ON i.submitted_at >= p.s AND i.submitted_at < p.e
            WHERE i.state <> %s
            GROUP BY 1, 2, 3
        ),
        closure AS (
            SELECT d.id AS org_id, anc.id AS anc_id
            FROM {ancestor}
            WHERE d.id IN (SELECT DISTINCT org_id FROM pairs)
        )
        INSERT INTO {seen} (ancestor_id, period_id, person, initiatives, first_day)
        SELECT closure.anc_id, pairs.period_id, pairs.person, SUM(pairs.n), {first_day}
        FROM pairs JOIN closure ON closure.org_id = pairs.org_id
        GROUP BY 1, 2, 3
    """
    params += first_day_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute(
            f"INSERT INTO {count} (ancestor_id, period_id, authors) "
            f"SELECT ancestor_id, period_id, COUNT(*) FROM {seen} GROUP BY ancestor_id, period_id"
        )
        cursor.execute(
            f"INSERT INTO {first} (ancestor_id, period_id, day, authors) "
            f"SELECT ancestor_id, period_id, first_day, COUNT(*) FROM {seen} GROUP BY ancestor_id, period_id, first_day"
        )
        if connection.vendor == "postgresql":
            month = "date_trunc('month', day)::date"
        else:
            month = "date(day, 'start of month')"
        cursor.execute(
            f"INSERT INTO {AuthorFirstMonth._meta.db_table} (ancestor_id, period_id, month, authors) "
            f"SELECT ancestor_id, period_id, {month}, SUM(authors) FROM {first} GROUP BY 1, 2, 3"
        )
