"""Reads of the library: the recognised initiatives of the whole programme, open to every signed-in
user with their public fields only, and the units that apply each.

- **In the library**: an initiative a council recognised (``recognised_at`` set: its first approval,
  normally by the unit council) that was not later rejected or withdrawn — the same reading as the
  awards room's ``is_recognised``.
- **Public fields**: title, summary, unit, category, benefit, awards, how many units apply it. A
  confidential dossier shows outsiders only what DOMAIN.md allows (title, summary of effect,
  awards): its category and benefit are withheld unless ``workflow.selectors.content_visible_q``
  opens it to this user. Authors are never shown here.
- **Cost**: a constant number of queries per page (``LibraryRows``): the initiatives with an award
  or an adoption (a small set) counted by correlated subqueries and sorted; the others read by
  ``recognised_at`` (indexed) with the filters (the organisation's path range, the unaccented
  ``search_text``); one query for the page's awards. No query per row.
"""

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from awards.models import Certificate
from config.params import parse_search
from councils.models import Organisation, Role
from councils.selectors import advisory_team_for, user_advised_paths, user_role_paths
from initiatives.models import Category, Initiative, State
from initiatives.search import ranked, search_filter
from workflow.selectors import advised_paths, content_visible_q, with_content_visible

from .models import Adoption

DEAD_STATES = (State.REJECTED, State.WITHDRAWN)
CHOICES_LIMIT = 300


def in_library_q() -> Q:
    return Q(recognised_at__isnull=False) & ~Q(state__in=DEAD_STATES)


def _count(qs) -> Coalesce:
    sub = qs.filter(initiative=OuterRef("pk")).order_by().values("initiative").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def library_filters(params) -> dict:
    """The library's filters from a query string (the API's and the page's): ``q`` (at most 100
    characters, 10 words), ``category``, ``organisation`` (a code). ``ValidationError`` naming each
    bad one (→ 400)."""
    errors, out = {}, {"words": [], "category": None, "organisation": None}
    try:
        out["words"] = parse_search(params.get("q", ""), "q")
    except ValidationError as e:
        errors.update(e.message_dict)
    category = (params.get("category") or "").strip()
    if category:
        if category not in Category.values:
            errors["category"] = [
                _("không có lĩnh vực '%(value)s' (%(choices)s)")
                % {"value": category[:40], "choices": ", ".join(Category.values)}
            ]
        else:
            out["category"] = category
    code = (params.get("organisation") or "").strip()
    if code:
        out["organisation"] = Organisation.objects.filter(code=code[:40]).first()
        if out["organisation"] is None:
            errors["organisation"] = [_("không có tổ chức '%(code)s'") % {"code": code[:40]}]
    if errors:
        raise ValidationError(errors)
    return out


def _filtered(*, user, words=(), category=None, organisation=None) -> QuerySet:
    qs = Initiative.objects.filter(in_library_q())
    if organisation is not None:
        qs = qs.filter(organisation_id__in=Organisation.objects.filter(path__startswith=organisation.path).values("pk"))
    if category:
        qs = qs.filter(category=category).filter(content_visible_q(user=user))
    qs = search_filter(qs, list(words))  # last: it bounds what the filters let through
    return with_content_visible(qs, user=user).select_related("organisation")


def _counted(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        adoptions_count=_count(Adoption.objects.all()),
        awards_count=_count(Certificate.objects.filter(revoked_at__isnull=True)),
    )


def _featured_ids():
    """Initiatives with a standing award or an adoption: a small set beside the register."""
    return (
        Certificate.objects.filter(revoked_at__isnull=True)
        .order_by()
        .values_list("initiative_id", flat=True)
        .union(Adoption.objects.order_by().values_list("initiative_id", flat=True))
    )


class LibraryRows:
    """The library in its order — most awarded first, then most applied, then the newest recognised
    — as a sequence a paginator slices (``count()``, ``[a:b]``). Two parts, each an indexed read:
    the few initiatives with an award or an adoption, counted and sorted; then all the others by
    ``recognised_at`` alone (their counts are 0), so a page of a register of millions never sorts
    the whole register by computed counts. The second part is counted exactly up to
    ``LIST_EXACT_COUNT_CAP`` and estimated beyond it (``count_exact`` then false: ``config.paging``),
    so that a first page does not wait for a ``COUNT`` of half a million recognised dossiers."""

    count_exact = True

    def __init__(self, base: QuerySet):
        self.featured = _counted(base.filter(pk__in=_featured_ids())).order_by(
            "-awards_count", "-adoptions_count", "-recognised_at", "-id"
        )
        self.rest = (
            base.exclude(pk__in=_featured_ids())
            .annotate(adoptions_count=Value(0, IntegerField()), awards_count=Value(0, IntegerField()))
            .order_by("-recognised_at", "-id")
        )
        self._counts = None

    def _parts(self) -> tuple[int, int]:
        if self._counts is None:
            from config.paging import capped_count, exact_count_cap, planner_estimate

            rest = capped_count(self.rest)
            if rest > exact_count_cap():
                estimate = planner_estimate(self.rest)
                if estimate is None:  # SQLite: counted
                    rest = self.rest.count()
                else:
                    rest, self.count_exact = max(estimate, rest), False
            self._counts = (self.featured.count(), rest)
        return self._counts

    def count(self) -> int:
        return sum(self._parts())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        yield from self.featured
        yield from self.rest

    def __getitem__(self, item):
        if isinstance(item, int):
            rows = self[item : item + 1]
            if not rows:
                raise IndexError(item)
            return rows[0]
        start, stop = item.start or 0, item.stop if item.stop is not None else self.count()
        featured = self._parts()[0]
        rows = []
        if start < featured:
            rows += list(self.featured[start : min(stop, featured)])
        if stop > featured:
            rows += list(self.rest[max(start - featured, 0) : stop - featured])
        return rows


def library_list(*, user, words=(), category: str | None = None, organisation: Organisation | None = None):
    """The library for ``user`` (``LibraryRows``): recognised initiatives, each with
    ``adoptions_count``, ``awards_count`` and ``content_visible``; most awarded first, then most
    applied, then newest. ``words`` (``config.params.parse_search``) must
    each begin a word of the title or summary, accents optional, and then the best match comes
    first (``initiatives.search``); ``organisation`` keeps its subtree; ``category`` skips the
    confidential dossiers whose category ``user`` may not see (a filter must not tell it)."""
    base = _filtered(user=user, words=words, category=category, organisation=organisation)
    if words:  # a search: the best match first (``initiatives.search``)
        return _counted(ranked(base))
    return LibraryRows(base)


def library_get(*, user, pk) -> Initiative:
    """One entry of the library (``Initiative.DoesNotExist`` → 404 for an unknown or unrecognised one)."""
    if not str(pk).isdigit() or int(pk) > 2**63 - 1:
        raise Initiative.DoesNotExist
    return _counted(_filtered(user=user)).get(pk=int(pk))


def awards_by_initiative(ids) -> dict[int, list[dict]]:
    """The standing awards of these initiatives (public, as on the dossier): one query."""
    out: dict[int, list[dict]] = {}
    rows = Certificate.objects.filter(initiative_id__in=list(ids), revoked_at__isnull=True).order_by("issued_at", "id")
    for c in rows:
        out.setdefault(c.initiative_id, []).append(
            {"serial": c.serial, "award": c.award, "label": c.get_award_display(), "issued_at": c.issued_at}
        )
    return out


def adoptions_of(*, initiative) -> QuerySet:
    return (
        Adoption.objects.filter(initiative=initiative)
        .select_related("organisation", "recorded_by")
        .order_by("recorded_at", "id")
    )


def may_record_for(*, user, organisation: Organisation) -> bool:
    """An officer (or admin) of the organisation or above it, or a member of the advisory team that
    serves it, may record that it applies an initiative."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_perm("councils.act_as_officer", organisation):
        return True
    team = advisory_team_for(organisation=organisation)
    return bool(team) and user.has_perm("councils.advise", team)


def adopting_organisations(*, user, initiative: Initiative | None = None, limit: int = CHOICES_LIMIT) -> list:
    """The organisations for which ``user`` may record an adoption (for the page's choice), in tree
    order, at most ``limit``; without the initiative's own unit (and its subtree) and those that
    already apply it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    reach = None
    paths = user_role_paths(user=user, roles=[Role.OFFICER, Role.ADMIN])
    for path in paths:
        part = Q(path__startswith=path)
        reach = part if reach is None else reach | part
    if user_advised_paths(user=user):
        advised = advised_paths(user=user)
        reach = advised if reach is None else reach | advised
    if reach is None:
        return []
    qs = Organisation.objects.filter(reach)
    if initiative is not None:
        qs = qs.exclude(path__startswith=initiative.organisation.path).exclude(
            pk__in=Adoption.objects.filter(initiative=initiative).values("organisation_id")
        )
    return list(qs.order_by("path")[:limit])
