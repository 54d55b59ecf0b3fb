"""Search of dossiers by their title and summary: accents optional, ranked, highlighted.

The words come from ``config.params.parse_search`` (accents and case dropped, its limits and 400s).
A dossier matches when every word begins a word of its title or summary ("sang ki" finds "Sáng
kiến"); the rank puts the title over the summary and whole words over beginnings.

- PostgreSQL: full-text search over ``Initiative.search_vector``, a ``tsvector`` of the unaccented
  title (weight A) and summary (weight B) that a trigger keeps (migration 0007: ``unaccent``,
  ``pg_trgm``, the trigger and a GIN index), so every door that writes a dossier — actions,
  imports, bulk loads — keeps it without knowing of it. The match is a prefix ``tsquery`` (``w:*``
  for each word, all of them); the rank is ``text_score``'s rule in SQL (``_rank_sql``): each word
  its best place — a whole title word, a title word it begins, then the summary's likewise — read
  from the vector's weights on the rows found. At most ``SEARCH_CANDIDATES`` + 1
  matches are found, the newest (``_find``): by the cheaper of a walk of the rows the person may
  see newest first (one backward index walk per organisation of their ``Scope``, merged) and the
  prefix index of migration 0012 (every word beginning as a lexeme: ``'>bien'``), asked for ranges
  of ids newest first; the choice from ``ANALYZE``'s statistics of that index (``_plan``). Its
  queries run in one transaction with ``SEARCH_WORK_MEM`` (64 MB) of ``work_mem``, so that no bitmap
  goes lossy (a lossy page has each of its rows' prefixes computed again).
- SQLite (development, the test suite): the ``search_text`` column (``unidecode(title summary)``)
  narrows with ``LIKE``, then at most ``FALLBACK_CANDIDATES`` rows are checked and ranked in Python
  by the same rule — the same answers on the demo.

Only title and summary are searched: the two fields every reader of a listed dossier may see,
confidential ones included (API.md §2), so a search never tells what a hidden field holds.
"""

import functools
import json
import math
import re
import time
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import BooleanField, Case, F, FloatField, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from unidecode import unidecode

TOKEN_RE = re.compile(r"[a-z0-9]+")
FALLBACK_CANDIDATES = 2000  # SQLite: rows read per round
SEARCH_CANDIDATES = 1000  # the newest matches a search ranks and counts, at most
PREFIX_MAX = 12  # PostgreSQL: the longest word beginning the prefix index keeps (migration 0012)
WALK_SLACK = 3  # a walk reads at most this many times the rows it should need, then the index
SEARCH_INDEX_ROWS = 2  # the index is asked for id ranges that should hold this many times n matches
SEARCH_ROUNDS = 4  # … this many ranges, growing, before the rest of the register at once
INDEX_ENTRY_COST = 0.2  # the plan's costs, against one row read by a walk: an entry of the index,
INDEX_ROW_COST = 3.0  # and a matching row fetched (a random page)
WALK_BRANCHES = 64  # a walk merges one backward walk per organisation and council up to this many
STATS_SECONDS = 300  # the words' statistics are read again after this long
# the index is not asked for a word beginning held by more than this share of the rows when a rarer
# word of the search finds them: the rows it finds are tested for it (their own vector)
COMMON_PREFIX_SHARE = 0.2
# PostgreSQL: the memory a search's bitmaps may take (``work_mem``, for its own queries only). A
# bitmap that outgrows it keeps whole pages instead of rows ("lossy"), and every row of such a page
# is tested again by computing its prefixes (``initiatives_search_prefixes``, ~0.3 ms a row): at
# 2 million the default 4 MB made a bitmap of the organisations of a corporation, or of the
# library's recognised dossiers, lossy — seconds of CPU. 64 MB holds a bitmap of every page of
# about 9 million dossiers.
SEARCH_WORK_MEM = "64MB"
TITLE_WEIGHT, SUMMARY_WEIGHT = 1.0, 0.4


def _initiative_model():
    from .models import Initiative

    return Initiative


def tokens(words: list[str]) -> list[str]:
    """The search words as the index holds them: unaccented, lower case, letters and digits only
    ("u-22" → "u", "22")."""
    out = []
    for word in words:
        for t in TOKEN_RE.findall(unidecode(word).lower()):
            if t not in out:
                out.append(t)
    return out


def _postgres(qs: QuerySet) -> bool:
    return connections[qs.db].vendor == "postgresql"


def text_score(title: str, summary: str, toks: list[str]) -> float | None:
    """The Python rank (SQLite): None when some word begins no word of the title or summary;
    otherwise each word scores its best place — the title over the summary, a whole word over a
    beginning."""
    t_words = set(TOKEN_RE.findall(unidecode(title or "").lower()))
    s_words = set(TOKEN_RE.findall(unidecode(summary or "").lower()))
    score = 0.0
    for tok in toks:
        best = 0.0
        for words, weight in ((t_words, TITLE_WEIGHT), (s_words, SUMMARY_WEIGHT)):
            if tok in words:
                best = max(best, 2 * weight)
            elif any(w.startswith(tok) for w in words):
                best = max(best, weight)
        if not best:
            return None
        score += best
    return score


def _nothing(qs: QuerySet) -> QuerySet:
    return qs.none().annotate(
        search_rank=Value(0.0, output_field=FloatField()), search_capped=Value(False, output_field=BooleanField())
    )


def candidates_max() -> int:
    """How many matches a search ranks at most: the newest ones (``settings.SEARCH_CANDIDATES``)."""
    from django.conf import settings

    return int(getattr(settings, "SEARCH_CANDIDATES", SEARCH_CANDIDATES))


def search_capped(qs) -> bool:
    """Did the search behind ``qs`` (a ``search_filter`` result, however narrowed or ordered since)
    match more dossiers than it ranks? Then its count is the cap, not the number of matches."""
    marker = getattr(qs, "query", None) and qs.query.annotations.get("search_capped")
    return bool(marker is not None and getattr(marker, "value", False))


@dataclass(frozen=True)
class Scope:
    """Where a search looks (PostgreSQL): a superset of the rows its queryset lets through, as lists
    an index walks newest first — ``organisations`` (each by ``(organisation_id, id)``),
    ``councils`` (``(council_id, id)``), ``ids`` — or ``everything``. Made by
    ``workflow.selectors.search_scope`` for a person's lists; the queryset's own filters (the
    visibility, ``state=`` …) are then applied to what is found there."""

    organisations: tuple = ()
    councils: tuple = ()
    ids: tuple = ()
    everything: bool = False


_STATS: dict = {"at": 0.0, "freqs": {}, "floor": 0.0, "rows": 0.0}


def _token_stats(cursor) -> dict:
    """How common each word beginning is (``ANALYZE``'s statistics of the prefix index:
    PostgreSQL's own estimates, read once a few minutes) and how many rows the register holds."""
    now = time.monotonic()
    if now - _STATS["at"] < STATS_SECONDS and _STATS["rows"]:
        return _STATS
    cursor.execute(
        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
        "FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = 'initiative_search_prefix_gin' "
        "WHERE c.relname = 'initiatives_initiative'"
    )
    row = cursor.fetchone() or (None, None, 0)
    elems, freqs, rows = row
    freqs = list(freqs or [])
    _STATS.update(
        sizes={},  # estimates of querysets' rows (``_plan``), read again with the statistics
        at=now,
        freqs=dict(zip(elems or [], freqs, strict=False)),
        # a beginning not among the most common: at most the rarest of them (PostgreSQL's rule)
        floor=(min(freqs[: len(elems or [])]) / 2) if elems else 0.01,
        rows=max(float(rows or 0), 1.0),
    )
    # and each organisation's and council's share of the rows (the planner's statistics too)
    cursor.execute(
        "SELECT attname, most_common_vals::text::bigint[], most_common_freqs, n_distinct, null_frac "
        "FROM pg_stats WHERE tablename = 'initiatives_initiative' AND attname IN ('organisation_id', 'council_id')"
    )
    for column, values, shares, distinct, nulls in cursor.fetchall():
        values, shares = list(values or []), list(shares or [])
        distinct = -distinct * _STATS["rows"] if distinct < 0 else distinct
        rest = max(1.0 - (nulls or 0.0) - sum(shares), 0.0) / max(distinct - len(values), 1.0)
        _STATS[column] = (dict(zip(values, shares, strict=False)), rest)
    return _STATS


def _scope_size(cursor, scope: "Scope") -> float | None:
    """The rows of ``scope`` from the statistics (None when there are none: ask the planner)."""
    stats = _token_stats(cursor)
    size = float(len(scope.ids))
    for column, values in (("organisation_id", scope.organisations), ("council_id", scope.councils)):
        if values and column not in stats:
            return None
        if values:
            common, rest = stats[column]
            size += sum(common.get(v, rest) for v in values) * stats["rows"]
    return size


def _setting(name: str, default):
    """A knob of the plans (``settings.SEARCH_PLAN`` = "walk" or "index" forces one: tests, diagnosis)."""
    from django.conf import settings

    return getattr(settings, name, default)


def _prefix_query(toks: list[str], stats: dict | None = None) -> tuple[str, bool]:
    """The words as lexemes of the prefix index (``'>bien'``) and whether the row's own vector must
    be tested too: a word longer than the index keeps, or a word beginning so common that the index
    is not asked for it (``COMMON_PREFIX_SHARE``: the last word being typed, one letter, begins most
    rows) when a rarer word is there to find the rows by."""
    asked = toks
    if stats is not None and len(toks) > 1:
        share = {t: stats["freqs"].get(">" + t[:PREFIX_MAX], stats["floor"]) for t in toks}
        asked = [t for t in toks if share[t] <= COMMON_PREFIX_SHARE] or [min(toks, key=share.__getitem__)]
    recheck = len(asked) < len(toks) or any(len(t) > PREFIX_MAX for t in toks)
    return " & ".join(f"'>{t[:PREFIX_MAX]}'" for t in asked), recheck


def _scope_sql(scope: Scope) -> tuple[str, list]:
    """``scope`` as a condition on initiatives_initiative."""
    if scope.everything:
        return "TRUE", []
    parts, params = [], []
    for column, values in (("organisation_id", scope.organisations), ("council_id", scope.councils), ("id", scope.ids)):
        if values:
            parts.append(f"{column} = ANY(%s::bigint[])")
            params.append(_id_array(values))
    return ("(" + " OR ".join(parts) + ")" if parts else "FALSE"), params


def _explained_rows(cursor, sql: str, params) -> float:
    """PostgreSQL's estimate of the rows ``sql`` returns (its plan, not the rows)."""
    cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return float(plan[0]["Plan"]["Plan Rows"])


def _costs(plan: dict, share: float, n: int) -> tuple[float, float, float]:
    """(needed, walk, index): the scope's rows a walk goes through until ``n`` match at ``share``,
    the rows it reads for them, and the index's cost in the same unit — every entry of the rarest word's list, and each match fetched (at most the
    ranges' ``SEARCH_INDEX_ROWS``·n)."""
    needed = min(plan["size"], n / share)  # the scope's rows
    index = INDEX_ENTRY_COST * plan["rarest"] * plan["rows"] + INDEX_ROW_COST * min(
        share * plan["size"], SEARCH_INDEX_ROWS * n
    )
    return needed, needed * plan["spread"], index


def _plan(cursor, toks: list[str], scope: Scope | None, n: int, qs: QuerySet | None = None) -> dict:
    """Which way is cheaper for these words in this scope: walking the scope's rows newest first,
    testing each row's vector, until ``n`` match (``walk``); or asking the prefix index for the
    matches and sorting the newest (``index``). From the statistics: each word's share of the rows,
    the matches estimated between the rarest word's share (words that go together) and the product
    of the shares (independent words), and the scope's size (the planner's estimate of the scope,
    or of ``qs`` when there is none)."""
    stats = _token_stats(cursor)
    rows = stats["rows"]
    freqs = [stats["freqs"].get(">" + t[:PREFIX_MAX], stats["floor"]) for t in toks]
    rarest = min(freqs)
    share = max(math.sqrt(rarest * math.prod(freqs)), 1.0 / rows)  # of the rows, matching
    if scope is not None and not scope.everything:
        size = _scope_size(cursor, scope)
        if size is None:
            where, params = _scope_sql(scope)
            size = _explained_rows(cursor, f"SELECT 1 FROM initiatives_initiative WHERE {where}", params)
    elif scope is None and qs is not None:
        # the planner's estimate, kept with the statistics (the library asks the same every time)
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        sizes = stats.setdefault("sizes", {})
        size = sizes.get((sql, repr(params)))
        if size is None:
            size = _explained_rows(cursor, sql, params)
            if len(sizes) < 1000:
                sizes[(sql, repr(params))] = size
    else:
        size = rows
    size = max(min(size, rows), 1.0)
    # rows read per row of the scope: a scope's lists are walked row by row, a queryset's filter
    # (the library's) is tested on every row of the walked range
    spread = rows / size if scope is None or _branches(scope) > WALK_BRANCHES else 1.0
    plan = {"size": size, "rows": rows, "rarest": rarest, "share": share, "spread": spread}
    needed, walk, index = _costs(plan, share, n)
    plan.update(way=_setting("SEARCH_PLAN", None) or ("walk" if walk <= index else "index"), walk=needed)
    return plan


def _branches(scope: Scope) -> int:
    return len(scope.organisations) + len(scope.councils)


def _walk_sql(scope: Scope, full: str, lo: int, hi: int, n: int) -> tuple[str, list]:
    """The scope's rows in ``(lo, hi)`` newest first whose vector holds the words: one backward
    index walk per organisation and council, merged (PostgreSQL's Merge Append stops them all at
    the ``n``-th match)."""
    if _branches(scope) > WALK_BRANCHES:  # too many to plan one walk each: the primary key, filtered
        where, params = _scope_sql(scope)
        return (
            f"SELECT id FROM initiatives_initiative WHERE {where} AND ts_match_vq(search_vector, %s::tsquery) "
            "AND id > %s AND id < %s ORDER BY id DESC LIMIT %s",
            [*params, full, lo, hi, n],
        )
    branches, params = [], []
    test = "ts_match_vq(search_vector, %s::tsquery) AND id > %s AND id < %s ORDER BY id DESC LIMIT %s"
    for column, values in (("organisation_id", scope.organisations), ("council_id", scope.councils)):
        for value in values:
            branches.append(f"(SELECT id FROM initiatives_initiative WHERE {column} = %s AND {test})")
            params += [value, full, lo, hi, n]
    if scope.ids:
        branches.append(f"(SELECT id FROM initiatives_initiative WHERE id = ANY(%s::bigint[]) AND {test})")
        params += [_id_array(scope.ids), full, lo, hi, n]
    return "SELECT id FROM (" + " UNION ALL ".join(branches) + ") AS s ORDER BY id DESC LIMIT %s", [*params, n]


def _find(
    qs: QuerySet, toks: list[str], n: int, scope: Scope | None, ranks: dict | None = None
) -> tuple[list[int], str]:
    """The ids of the ``n`` newest dossiers of ``qs`` whose title and summary hold the words (newest
    first), and the plan that found them (``walk`` or ``index``, for the tests). PostgreSQL.
    ``ranks``: a dict to fill with each found id's rank (``_rank_clause``), read by the query that
    keeps the rows ``qs`` lets through — the row is read there anyway.

    ``scope`` None: the queryset itself is walked or asked (the library: plain filters). Otherwise
    the rows are looked for in the scope and those the queryset lets through are kept. Either way
    newest first, in id ranges, by the cheaper of two plans (``_plan``): a walk, bounded by an id
    window ``WALK_SLACK`` times as wide as it should need, then the index for what is older; or the
    prefix index at once, on ranges of ids that should hold about ``SEARCH_INDEX_ROWS``·n matches
    (growing fourfold), so that it never fetches every match of a common word."""
    full = " & ".join(f"{t}:*" for t in toks)
    if scope is not None and not (scope.everything or scope.organisations or scope.councils or scope.ids):
        return [], "none"
    # ``work_mem`` for these queries (``SET LOCAL``, in the query that reads the largest id): it
    # lasts until this transaction ends — or the caller's, when there is one (no savepoint)
    with transaction.atomic(using=qs.db, savepoint=False), connections[qs.db].cursor() as cursor:
        cursor.execute(
            f"SELECT set_config('work_mem', %s, true), max(id) FROM {qs.model._meta.db_table}",
            [_setting("SEARCH_WORK_MEM", SEARCH_WORK_MEM)],
        )
        top = (cursor.fetchone()[1] or 0) + 1
        plan = _plan(cursor, toks, scope, n, qs)
        pq, long_word = _prefix_query(toks, _token_stats(cursor))
        per_id = max(plan["size"] / top, 1e-9)  # the scope's rows per id
        found: list[int] = []
        hi = top
        rank = None if ranks is None else (_rank_clause(qs, toks), ranks)

        def scan(way, lo):
            nonlocal hi
            while len(found) < n and hi > lo + 1:
                kept, hi = _candidates(cursor, qs, scope, way, (full, pq, long_word), lo, hi, n, rank)
                found.extend(kept)

        share = plan["share"]
        if plan["way"] == "walk":
            slack = _setting("SEARCH_WALK_SLACK", WALK_SLACK)
            scan("walk", max(top - int(slack * plan["walk"] / per_id) - 1, 0))
            if len(found) < n and hi > 1:
                # fewer matches than expected: the share seen so far decides between walking on
                # (for as far again as the rest should need) and the index
                share = max(len(found), 0.5) / max((top - hi) * per_id, 1.0)
                needed, walk, index = _costs(plan, share, n - len(found))
                if walk <= index and not _setting("SEARCH_PLAN", None):
                    scan("walk", max(hi - int(slack * needed / per_id) - 1, 0))
        span = int(_setting("SEARCH_INDEX_ROWS", SEARCH_INDEX_ROWS) * n / max(share * per_id, 1e-9)) + 1
        for _ in range(SEARCH_ROUNDS):
            scan("index", max(hi - span, 0))
            span *= 4
        scan("index", 0)
    return found[:n], plan["way"]


def _candidates(cursor, qs, scope, way, query, lo, hi, n, rank=None) -> tuple[list[int], int]:
    """One round: of the ids in ``(lo, hi)`` that match, the ``n`` newest, kept when ``qs`` lets
    them through; and the ``hi`` of the next round (``lo + 1`` once the range is exhausted).
    ``rank``: ``((sql, params), ranks)``: each kept row's rank put in ``ranks``."""
    full, pq, long_word = query

    def kept_of(rows: QuerySet, limit: int | None = None) -> list[int]:
        if rank is None:
            rows = rows.values_list("pk", flat=True)
            return list(rows[:limit] if limit else rows)
        (sql, params), ranks = rank
        rows = rows.extra(select={"search_rank_of": sql}, select_params=params).values_list("pk", "search_rank_of")
        pairs = list(rows[:limit] if limit else rows)
        ranks.update(pairs)
        return [pk for pk, _r in pairs]

    if scope is None:
        rows = qs.filter(pk__gt=lo, pk__lt=hi)
        if way == "walk":
            rows = rows.extra(where=["ts_match_vq(search_vector, %s::tsquery)"], params=[full])
        else:
            where = ["initiatives_search_prefixes(search_vector) @@ %s::tsquery"]
            params = [pq]
            if long_word:
                where.append("ts_match_vq(search_vector, %s::tsquery)")
                params.append(full)
            rows = rows.extra(where=where, params=params)
        ids = kept_of(rows.order_by("-pk"), n)
        return ids, (ids[-1] if len(ids) == n else lo + 1)
    if way == "walk" and scope.everything:
        cursor.execute(
            "SELECT id FROM initiatives_initiative WHERE ts_match_vq(search_vector, %s::tsquery) "
            "AND id > %s AND id < %s ORDER BY id DESC LIMIT %s",
            [full, lo, hi, n],
        )
    elif way == "walk":
        cursor.execute(*_walk_sql(scope, full, lo, hi, n))
    else:
        where, params = _scope_sql(scope)
        extra = " AND ts_match_vq(search_vector, %s::tsquery)" if long_word else ""
        cursor.execute(
            "SELECT id FROM initiatives_initiative WHERE initiatives_search_prefixes(search_vector) @@ %s::tsquery"
            f"{extra} AND {where} AND id > %s AND id < %s ORDER BY id DESC LIMIT %s",
            [pq, *([full] if long_word else []), *params, lo, hi, n],
        )
    ids = [r[0] for r in cursor.fetchall()]
    if not ids:
        return [], lo + 1
    kept = set(kept_of(_with_ids(qs.order_by(), ids)))
    return [i for i in ids if i in kept], (ids[-1] if len(ids) == n else lo + 1)


def _with_ids(qs: QuerySet, ids: list[int]) -> QuerySet:
    """``qs.filter(pk__in=ids)``; on PostgreSQL as one array parameter (``id = ANY(%s)``): a list of
    a thousand ids costs Django and the driver tens of milliseconds for each query it is in."""
    if not _postgres(qs):
        return qs.filter(pk__in=ids)
    table = qs.model._meta.db_table
    return qs.extra(where=[f'"{table}"."id" = ANY(%s::bigint[])'], params=[_id_array(ids)])


def _id_array(ids) -> str:
    """``ids`` as one PostgreSQL array literal (``'{3,2,1}'``): the driver sends a string as it is,
    where a list of a thousand integers is adapted one by one (milliseconds per query)."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


RANKED_ORDER = (F("search_rank").desc(), F("id").desc())  # ``ranked``: best first, then the newest


class SearchResults(QuerySet):
    """A search's rows (``search_filter``): the dossiers of a list of ids, whose rank and order
    the search knows already. While nothing narrows them further (no filter, no distinct, no
    union), their count is the number of ids — no ``COUNT`` — and a slice of them in the ranked
    order (``ranked``: a page) is read as the ids of that page alone: the rows of the other pages
    are not joined, annotated and sorted to be thrown away. Anything else is asked of the database
    as usual, with the same answers."""

    _search = None  # (the condition on the ids, the ids in the ranked order)

    def _clone(self):
        clone = super()._clone()
        clone._search = self._search
        return clone

    def _known(self) -> list[int] | None:
        """The ids in the ranked order while the rows are still the search's, else None."""
        if self._search is None or self._result_cache is not None:
            return None
        child, order = self._search
        query = self.query
        where = query.where
        if (
            len(where.children) != 1
            or where.children[0] is not child
            or where.negated
            or where.connector != "AND"
            or query.distinct
            or query.combinator
            or query.is_sliced
            or query.group_by is not None
        ):
            return None
        return order

    def count(self) -> int:
        order = self._known() if not self.query.is_sliced else self._sliced_known()
        if order is None:
            return super().count()
        return len(order)

    def _sliced_known(self) -> list[int] | None:
        """``capped_count``'s ``qs[:cap + 1].count()``: the known ids, sliced as the query is."""
        query = self.query
        if self._search is None or self._result_cache is not None:
            return None
        low, high = query.low_mark, query.high_mark
        query.low_mark, query.high_mark = 0, None
        try:
            order = self._known()
        finally:
            query.low_mark, query.high_mark = low, high
        return None if order is None else order[low:high]

    def __getitem__(self, k):
        order = self._known()
        if (
            order is None
            or not isinstance(k, slice)
            or k.step is not None
            or tuple(self.query.order_by) != RANKED_ORDER
            or (k.start or 0) < 0
            or (k.stop is not None and k.stop < 0)
        ):
            return super().__getitem__(k)
        page = self._chain()
        page._search = None
        page.query.where = _with_ids(self.model._default_manager.all(), order[k]).query.where
        return page


def _bounded(qs: QuerySet, ids: list[int], capped: bool, rank, ranks: dict | None = None) -> QuerySet:
    """``qs`` reduced to ``ids`` (found through ``qs`` itself, so its visibility and filters held
    for them): its filters are not evaluated again — the visibility subqueries of a corporation's
    officer cost seconds at 1.5 million rows, for the count and the page each — but its
    annotations, related rows and order stay. ``ranks``: each id's rank (the value ``rank`` gives
    it), when known: the rows are then a ``SearchResults``."""
    found = _with_ids(SearchResults(model=qs.model, using=qs.db), ids)
    found.query.select_related = qs.query.select_related
    if qs.query.annotations:
        found = found.annotate(**dict(qs.query.annotations))
    found.query.order_by = qs.query.order_by
    found.query.default_ordering = qs.query.default_ordering
    found = found.annotate(search_rank=rank, search_capped=Value(capped, output_field=BooleanField()))
    if ranks is not None:
        (child,) = found.query.where.children
        found._search = (child, sorted(ids, key=lambda pk: (-ranks[pk], -pk)))
    return found


def search_filter(qs: QuerySet, words: list[str], scope: Scope | None = None) -> QuerySet:
    """``qs`` narrowed to the dossiers whose title and summary hold every word (at a word's
    beginning), with ``search_rank`` annotated; the order is left to the caller (``ranked``).

    Bounded whatever the register's size: the database finds the matches ``qs`` lets through (the
    prefix index, or the rows walked newest first when many match; ``scope``: where to look, see
    ``Scope``) but hands over only the ``candidates_max()`` newest; those are ranked and counted. When there were more,
    ``search_capped`` says so and the count is the cap ("more than N"), never a COUNT(*) of an
    unbounded set. Apply the other filters before this one: they narrow what is searched."""
    if not words:
        return qs
    toks = tokens(words)
    if not toks:
        return _nothing(qs)
    cap = candidates_max()
    if _postgres(qs):
        ranks: dict = {}
        found, _way = _find(qs, toks, cap + 1, scope, ranks)
        if not found:
            return _nothing(qs)
        return _bounded(qs, found[:cap], len(found) > cap, _rank_sql(qs, toks), ranks)
    # portable (SQLite): LIKE narrows, the Python rule decides, newest first, in chunks
    narrowed = qs
    for t in toks:
        narrowed = narrowed.filter(search_text__contains=t)
    scores, last = {}, None
    while len(scores) <= cap:
        chunk = narrowed.order_by("-id")
        if last is not None:
            chunk = chunk.filter(id__lt=last)
        rows = list(chunk.values_list("id", "title", "summary")[:FALLBACK_CANDIDATES])
        for pk, title, summary in rows:
            score = text_score(title, summary, toks)
            if score is not None and len(scores) <= cap:
                scores[pk] = score
        if len(rows) < FALLBACK_CANDIDATES:
            break
        last = rows[-1][0]
    if not scores:
        return _nothing(qs)
    capped = len(scores) > cap
    kept = list(scores)[:cap]
    rank = Case(*[When(pk=pk, then=Value(scores[pk])) for pk in kept], output_field=FloatField())
    return _bounded(qs, kept, capped, rank, scores)


def _rank_clause(qs: QuerySet, toks: list[str]) -> tuple[str, list]:
    """PostgreSQL's rank, by the same rule as ``text_score``: each word scores its best place —
    a whole word of the title 2 × TITLE_WEIGHT, a title word it begins TITLE_WEIGHT, then the
    summary's likewise with SUMMARY_WEIGHT — asked of ``search_vector`` with weight-restricted
    queries (``'tok:A'``: a title word; ``'tok:*B'``: a summary word it begins), on the at most
    ``SEARCH_CANDIDATES`` rows found. The words are the index's own (``tokens``: ``[a-z0-9]+``),
    so each is a lexeme as the vector holds it. (sql, params), ``float8``."""
    column = f"{connections[qs.db].ops.quote_name(qs.model._meta.db_table)}.search_vector"
    places = (("A", "", 2 * TITLE_WEIGHT), ("A", "*", TITLE_WEIGHT))
    places += (("B", "", 2 * SUMMARY_WEIGHT), ("B", "*", SUMMARY_WEIGHT))
    parts, params = [], []
    for tok in toks:
        whens = []
        for weight, prefix, score in places:
            whens.append(f"WHEN {column} @@ %s::tsquery THEN {score!r}")
            params.append(f"{tok}:{prefix}{weight}")
        parts.append(f"(CASE {' '.join(whens)} ELSE 0.0 END)")
    return "(" + (" + ".join(parts) or "0.0") + ")::float8", params


def _rank_sql(qs: QuerySet, toks: list[str]):
    """``_rank_clause`` as an expression to annotate."""
    from django.db.models.expressions import RawSQL

    return RawSQL(*_rank_clause(qs, toks), output_field=FloatField())


def ranked(qs: QuerySet) -> QuerySet:
    """A ``search_filter`` result, best first (then the newest)."""
    return qs.order_by(*RANKED_ORDER)


@functools.lru_cache(maxsize=20_000)
def _plain(word: str) -> str:
    """A word without accents, lower case (the register's words repeat: asked once each)."""
    return unidecode(word).lower()


_WORD = re.compile(r"\w+")
_HTML = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#x27;"}  # as escape()
_ODD = "\x00"  # a character folded otherwise than to one character of the same kind (word or not)


class _Fold(dict):
    """``str.translate``'s table: each character as ``_plain`` folds it — when that is one character,
    a word character for a word character and not for another — else ``_ODD``. Filled as
    characters are met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = unidecode(char).lower()
        if len(folded) != 1 or bool(_WORD.match(char)) != bool(_WORD.match(folded)) or char == _ODD:
            folded = _ODD
        self[code] = folded
        return folded


_FOLD = _Fold()


@functools.lru_cache(maxsize=256)
def _marker(words: tuple) -> tuple[tuple, re.Pattern | None]:
    """The search words' tokens, and a pattern of the words of a folded text that begin with one."""
    toks = tuple(tokens(list(words)))
    if not toks:
        return toks, None
    return toks, re.compile(r"(?<!\w)(?:" + "|".join(sorted(toks, key=len, reverse=True)) + r")\w*")


def highlight(text: str, words: list[str]) -> SafeString:
    """``text`` escaped, each word that begins with a search word (accents optional) in
    ``<mark>``. The page needs no script for it (CSP).

    The text is folded at once (``_FOLD``: a character for a character, so the words stand where
    they stood) and its words that begin with a search word found by one pattern; a text with a
    character that folds otherwise is read word by word (``_plain``) — the same marks either way."""
    text = text or ""
    toks, pattern = _marker(tuple(words))
    if pattern is None:
        return escape(text)
    folded = text.translate(_FOLD)
    if _ODD in folded:
        spans = [m.span() for m in _WORD.finditer(text) if _plain(m.group()).startswith(toks)]
    else:
        spans = [m.span() for m in pattern.finditer(folded)]
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start].translate(_HTML))
        out.append(f"<mark>{text[start:end].translate(_HTML)}</mark>")
        last = end
    out.append(text[last:].translate(_HTML))
    return mark_safe("".join(out))
