"""The inbox and the list as work queues: one reading of their filters and orders for the pages
(``/tasks/``, ``/initiatives/``) and the API (``/api/v1/tasks/``, ``/api/v1/initiatives/``) — the
same names, the same checks, the same messages."""

import datetime
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from councils.models import Organisation
from initiatives.models import InitiativeAuthor, State

# the filters of both doors, and the orders a person may pick
QUEUE_FILTER_NAMES = ("organisation", "state", "due", "waiting_days", "order")
DUE_CHOICES = {
    "overdue": pgettext_lazy("due filter", "Quá hạn"),
    "soon": pgettext_lazy("due filter", "Đến hạn trong 7 ngày"),
    "none": pgettext_lazy("due filter", "Không có hạn"),
}
ORDER_CHOICES = {
    "due": pgettext_lazy("queue order", "Hạn gần nhất trước"),
    "waiting": pgettext_lazy("queue order", "Chờ lâu nhất trước"),
    "newest": pgettext_lazy("queue order", "Mới nhất trước"),
    "oldest": pgettext_lazy("queue order", "Cũ nhất trước"),
}
SOON = datetime.timedelta(days=7)
WAITING_MAX_DAYS = 36500


def queue_filters(params, *, default_order: str) -> dict:
    """``params`` (a query dict) → the filters ``queue_apply`` takes. Raises
    ``ValidationError({field: [messages]})`` naming every bad filter at once."""
    errors, out = {}, {"order": default_order}
    code = (params.get("organisation") or "").strip()
    if code:
        org = Organisation.objects.filter(code=code[:40]).first()
        if org is None:
            errors["organisation"] = [gettext("Không có tổ chức mã “%(code)s”") % {"code": code[:40]}]
        else:
            out["organisation"] = org
    state = params.get("state") or ""
    if state:
        if state not in State.values:
            errors["state"] = [gettext("Trạng thái không hợp lệ: chọn một trạng thái trong danh sách")]
        else:
            out["state"] = state
    due = params.get("due") or ""
    if due:
        if due not in DUE_CHOICES:
            errors["due"] = [gettext("Hạn phải là một trong: quá hạn, đến hạn trong 7 ngày, không có hạn")]
        else:
            out["due"] = due
    raw = (params.get("waiting_days") or "").strip()
    if raw:
        if not raw.isascii() or not raw.isdigit() or int(raw) > WAITING_MAX_DAYS:
            errors["waiting_days"] = [
                gettext("Số ngày chờ phải là số nguyên từ 0 đến %(max)d") % {"max": WAITING_MAX_DAYS}
            ]
        else:
            out["waiting_days"] = int(raw)
    order = params.get("order") or ""
    if order:
        if order not in ORDER_CHOICES:
            errors["order"] = [gettext("Thứ tự phải là một trong: hạn, chờ lâu nhất, mới nhất, cũ nhất")]
        else:
            out["order"] = order
    if errors:
        raise ValidationError(errors)
    return out


def _filtered(qs: QuerySet, filters: dict, now, *, skip: tuple = ()) -> QuerySet:
    org = filters.get("organisation")
    if org is not None and "organisation" not in skip:
        qs = qs.filter(organisation__path__startswith=org.path)
    if filters.get("state") and "state" not in skip:
        qs = qs.filter(state=filters["state"])
    due = filters.get("due")
    if due and "due" not in skip:
        if due == "overdue":
            qs = qs.filter(due_at__lt=now)
        elif due == "soon":
            qs = qs.filter(due_at__gte=now, due_at__lt=now + SOON)
        else:
            qs = qs.filter(due_at__isnull=True)
    if filters.get("waiting_days") is not None and "waiting_days" not in skip:
        qs = qs.filter(submitted_at__lte=now - datetime.timedelta(days=filters["waiting_days"]))
    return qs


def queue_apply(qs: QuerySet, filters: dict, *, now=None) -> QuerySet:
    """The rows of ``qs`` that pass ``filters``, in the order asked (ties broken by id)."""
    now = now or timezone.now()
    qs = _filtered(qs, filters, now)
    order = filters.get("order", "due")
    if order == "due":
        return qs.order_by(F("due_at").asc(nulls_last=True), "id")
    if order == "waiting":
        return qs.order_by(F("submitted_at").asc(nulls_last=True), "id")
    if order == "oldest":
        return qs.order_by("id")
    return qs.order_by("-id")


def queue_counts(qs: QuerySet, filters: dict, *, now=None) -> dict:
    """How many rows each choice would give with the other filters kept: per state, and overdue
    or due soon; and ``rows``: how many pass every filter (the page's count, read from the same
    answers). One grouped count when no due filter is chosen (the due counts are then those of the
    chosen state's rows, or of every row), two when one is."""
    now = now or timezone.now()
    due_counts = {
        "overdue": Count("id", filter=Q(due_at__lt=now)),
        "soon": Count("id", filter=Q(due_at__gte=now, due_at__lt=now + SOON)),
        "none": Count("id", filter=Q(due_at__isnull=True)),
    }
    state = filters.get("state")
    if not filters.get("due"):
        # every row but the state filter, grouped by state: the states' counts; the chosen state's
        # rows (or all) are the due counts' rows
        rows = list(
            _filtered(qs, filters, now, skip=("state",))
            .order_by()
            .values("state")
            .annotate(n=Count("id"), **due_counts)
        )
        kept = [row for row in rows if not state or row["state"] == state]
        due = {name: sum(row[name] for row in kept) for name in due_counts}
        by_state = {row["state"]: row["n"] for row in rows}
        return {"state": by_state, "due": due, "rows": sum(row["n"] for row in kept)}
    rows = _filtered(qs, filters, now, skip=("state",)).order_by().values("state").annotate(n=Count("id"))
    by_state = {row["state"]: row["n"] for row in rows}
    due = _filtered(qs, filters, now, skip=("due",)).order_by().aggregate(**due_counts)
    # the due filter is kept in the states' counts: the chosen state's (or their sum) pass every filter
    return {"state": by_state, "due": due, "rows": by_state.get(state, 0) if state else sum(by_state.values())}


class OrganisationOption(NamedTuple):
    """An organisation as a queue's filter offers it."""

    code: str
    name: str
    path: str


def queue_organisations(*, user, depth: int = 2, limit: int = 300) -> list[OrganisationOption]:
    """The organisations a person may filter their queue by: where they hold a role, sit on a
    council or author, and ``depth`` levels below, in tree order, at most ``limit``."""
    from councils.selectors import user_memberships, user_roles

    paths = {path for _role, path in user_roles(user=user)}
    paths |= {path for *_rest, path in user_memberships(user=user)}
    paths |= set(  # unordered: the first fifty authorships found, not all of them sorted
        InitiativeAuthor.objects.filter(user=user)
        .order_by()
        .values_list("initiative__organisation__path", flat=True)[:50]
    )
    if not paths:
        return []
    shallowest = min(len(p) for p in paths) // Organisation.steplen
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    # the filter's options show code and name only: up to 300 rows as plain tuples (a model
    # instance each took a tenth of a list page's own time)
    return [
        OrganisationOption(*row)
        for row in Organisation.objects.filter(q, depth__lte=shallowest + depth)
        .order_by("path")
        .values_list("code", "name", "path")[:limit]
    ]
