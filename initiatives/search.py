"""Search of dossiers by their title and summary: accents optional, ranked, highlighted.

The words come from ``config.params.parse_search`` (accents and case dropped, its limits and 400s).
A dossier matches when every word begins a word of its title or summary ("sang ki" finds "Sáng
kiến"); the rank puts the title over the summary and whole words over beginnings.

- PostgreSQL: full-text search over ``Initiative.search_vector``, a ``tsvector`` of the unaccented
  title (weight A) and summary (weight B) that a trigger keeps (migration 0007: ``unaccent``,
  ``pg_trgm``, the trigger and a GIN index), so every door that writes a dossier — actions,
  imports, bulk loads — keeps it without knowing of it. The match is a prefix ``tsquery`` (``w:*``
  for each word, all of them); the rank ``ts_rank`` with weights A = 1, B = 0.4, whole words counted
  twice (a second ``ts_rank`` on the words without the prefix).
- SQLite (development, the test suite): the ``search_text`` column (``unidecode(title summary)``)
  narrows with ``LIKE``, then at most ``FALLBACK_CANDIDATES`` rows are checked and ranked in Python
  by the same rule — the same answers on the demo.

Only title and summary are searched: the two fields every reader of a listed dossier may see,
confidential ones included (API.md §2), so a search never tells what a hidden field holds.
"""

import re

from django.db import connections
from django.db.models import BooleanField, Case, F, FloatField, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from unidecode import unidecode

TOKEN_RE = re.compile(r"[a-z0-9]+")
FALLBACK_CANDIDATES = 2000  # SQLite: rows read per round
SEARCH_CANDIDATES = 1000  # the newest matches a search ranks and counts, at most
SEARCH_WINDOW = 50_000  # PostgreSQL: the newest ids walked first for them (then the index)
TITLE_WEIGHT, SUMMARY_WEIGHT = 1.0, 0.4
# ts_rank's weights, in PostgreSQL's order: D, C, B, A
RANK_WEIGHTS = [0.05, 0.1, SUMMARY_WEIGHT, TITLE_WEIGHT]


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


def _queries(toks: list[str]):
    from django.contrib.postgres.search import SearchQuery

    prefix = SearchQuery(" & ".join(f"{t}:*" for t in toks), search_type="raw", config="simple")
    exact = SearchQuery(" | ".join(toks), search_type="raw", config="simple")
    return prefix, exact


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


def _newest_matches(qs: QuerySet, toks: list[str], prefix, n: int) -> list[int]:
    """The ids of the ``n`` newest dossiers of ``qs`` that match. First the newest
    ``SEARCH_WINDOW`` ids are walked newest first, each row's vector tested (no index: a common
    word, whose index entries run to hundreds of thousands, is answered from the newest rows);
    when they hold fewer than ``n`` matches, the GIN index answers for the whole table (then the
    words are rarer, or the visible rows few)."""
    from django.conf import settings
    from django.db.models import Max

    window = int(getattr(settings, "SEARCH_WINDOW", SEARCH_WINDOW))
    top = qs.model.objects.aggregate(m=Max("pk"))["m"] or 0
    if top > window:
        table = qs.model._meta.db_table
        walked = list(
            qs.filter(pk__gt=top - window)
            .extra(
                where=[f"({table}.search_vector || ''::tsvector) @@ to_tsquery('simple', %s)"],
                params=[" & ".join(f"{t}:*" for t in toks)],
            )
            .order_by("-pk")
            .values_list("pk", flat=True)[:n]
        )
        if len(walked) >= n:
            return walked
    return list(qs.filter(search_vector=prefix).order_by("-pk").values_list("pk", flat=True)[:n])


def _bounded(qs: QuerySet, ids: list[int], capped: bool, rank) -> QuerySet:
    """``qs`` reduced to ``ids`` (found through ``qs`` itself, so its visibility and filters held
    for them): its filters are not evaluated again — the visibility subqueries of a corporation's
    officer cost seconds at 1.5 million rows, for the count and the page each — but its
    annotations, related rows and order stay."""
    found = qs.model._default_manager.filter(pk__in=ids)
    found.query.select_related = qs.query.select_related
    if qs.query.annotations:
        found = found.annotate(**dict(qs.query.annotations))
    found.query.order_by = qs.query.order_by
    found.query.default_ordering = qs.query.default_ordering
    return found.annotate(search_rank=rank, search_capped=Value(capped, output_field=BooleanField()))


def search_filter(qs: QuerySet, words: list[str]) -> QuerySet:
    """``qs`` narrowed to the dossiers whose title and summary hold every word (at a word's
    beginning), with ``search_rank`` annotated; the order is left to the caller (``ranked``).

    Bounded whatever the register's size: the database finds the matches ``qs`` lets through (the
    GIN index, or the primary key walked newest first when most rows match) but hands over only the
    ``candidates_max()`` newest; those are ranked and counted. When there were more,
    ``search_capped`` says so and the count is the cap ("more than N"), never a COUNT(*) of an
    unbounded set. Apply the other filters before this one: they narrow what is searched."""
    if not words:
        return qs
    toks = tokens(words)
    if not toks:
        return _nothing(qs)
    cap = candidates_max()
    if _postgres(qs):
        from django.contrib.postgres.search import SearchRank

        prefix, exact = _queries(toks)
        found = _newest_matches(qs, toks, prefix, cap + 1)
        if not found:
            return _nothing(qs)
        rank = SearchRank(F("search_vector"), exact, weights=RANK_WEIGHTS) * 2 + SearchRank(
            F("search_vector"), prefix, weights=RANK_WEIGHTS
        )
        return _bounded(qs, found[:cap], len(found) > cap, rank)
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
    return _bounded(qs, kept, capped, rank)


def ranked(qs: QuerySet) -> QuerySet:
    """A ``search_filter`` result, best first (then the newest)."""
    return qs.order_by(F("search_rank").desc(), "-id")


def highlight(text: str, words: list[str]) -> SafeString:
    """``text`` escaped, each word that begins with a search word (accents optional) in
    ``<mark>``. The page needs no script for it (CSP)."""
    text = text or ""
    toks = tokens(words)
    if not toks:
        return escape(text)
    out, last = [], 0
    for m in re.finditer(r"\w+", text):
        plain = unidecode(m.group()).lower()
        if any(plain.startswith(t) for t in toks):
            out.append(escape(text[last : m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            last = m.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))
