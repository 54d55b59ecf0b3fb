"""Pages of long lists without ``COUNT(*)`` over every matching row.

``CappedCountPaginator`` counts exactly up to ``settings.LIST_EXACT_COUNT_CAP`` rows (a
``COUNT`` over ``LIMIT cap + 1``: an index range that stops early) and beyond it takes the
planner's estimate of the query's rows (``EXPLAIN``, PostgreSQL; SQLite counts exactly), flagged
``count_exact = False``. A page past an estimated count is served while it has rows; the next page
exists when one more row than the page holds was found."""

import json

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.translation import gettext as _


def exact_count_cap() -> int:
    return int(getattr(settings, "LIST_EXACT_COUNT_CAP", 1000))


def planner_estimate(queryset) -> int | None:
    """The planner's estimate of the rows ``queryset`` returns (PostgreSQL), else None."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        plan = json.loads(queryset.order_by().explain(format="json"))
    except (ValueError, TypeError):
        return None
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


class _Page(Page):
    def __init__(self, object_list, number, paginator, more: bool):
        super().__init__(object_list, number, paginator)
        self._more = more

    def has_next(self):
        return self._more


def capped_count(qs) -> int:
    """How many rows ``qs`` has, counted up to ``exact_count_cap() + 1`` (an index range that stops
    early): ids only, no annotation, no ordering."""
    return qs.order_by().values("pk")[: exact_count_cap() + 1].count()


class CappedCountPaginator(Paginator):
    count_exact = True

    def __init__(self, object_list, per_page, *args, capped: int | None = None, **kwargs):
        """``capped``: ``capped_count(object_list)`` when the caller has it already (one query less)."""
        super().__init__(object_list, per_page, *args, **kwargs)
        self._capped = capped

    @cached_property
    def count(self):
        qs = self.object_list
        if not hasattr(qs, "query"):  # a list, or a sequence that counts itself (workflow.selectors.InboxRows,
            n = len(qs)  # library.selectors.LibraryRows: it says whether its count is exact)
            self.count_exact = getattr(qs, "count_exact", True)
            return n
        cap = exact_count_cap()
        n = self._capped if self._capped is not None else capped_count(qs)
        if n <= cap:
            return n
        estimate = planner_estimate(qs)
        if estimate is None:
            return qs.count()
        self.count_exact = False
        return max(estimate, n)

    def validate_number(self, number):
        self.count  # noqa: B018  (counting decides whether the count is exact)
        if self.count_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("Số trang phải là số nguyên")) from None
        if number < 1:
            raise EmptyPage(_("Số trang nhỏ hơn 1"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        if self.count_exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if number > 1 and not rows:
            raise EmptyPage(_("Trang này không có kết quả"))
        return _Page(rows[: self.per_page], number, self, more=len(rows) > self.per_page)

    def get_page(self, number):
        try:
            return super().get_page(number)
        except EmptyPage:  # past an estimated end: the first page
            return self.page(1)
