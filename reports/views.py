"""HTML dashboard (/reports/): progress bars, a server-side SVG trend chart, bloc rankings and the
units furthest behind, for an organisation the user oversees. Reads through selectors only."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.selectors import campaign_reach
from councils.models import Level, Organisation
from councils.selectors import SMALL_ADVISORY_TEAM, small_advisory_teams

from .blocs import bloc_rankings
from .selectors import (
    TreeAsOf,
    can_view_reports,
    current_programme,
    monthly_trend,
    period_for,
    progress_report,
    report_roots,
)
from .svg import trend_chart

CHOICES_LIMIT = 300  # organisations offered in the filter (role roots first, then their subtrees)
BEHIND_LIMIT = 5


def organisation_choices(roots, current=None) -> list[dict]:
    """The organisations the user may report on, for the filter: each role root and its descendants
    in path order (at most ``CHOICES_LIMIT``), indented by depth below the root."""
    choices, seen = [], set()
    for root in roots:
        for org in Organisation.objects.filter(path__startswith=root.path).order_by("path")[:CHOICES_LIMIT]:
            if org.pk in seen or len(choices) >= CHOICES_LIMIT:
                continue
            seen.add(org.pk)
            choices.append({"code": org.code, "name": org.name, "indent": "\u00a0\u00a0" * (org.depth - root.depth)})
    if current is not None and current.pk not in seen:
        choices.append({"code": current.code, "name": current.name, "indent": ""})
    return choices


def behind_target(rows, limit=BEHIND_LIMIT) -> list[dict]:
    """Units below 100 % of their target, furthest behind first."""
    units = [
        r
        for r in rows
        if r["level"] == Level.UNIT
        and r["target"]
        and r["percent_of_target"] is not None
        and r["percent_of_target"] < 100
    ]
    return sorted(units, key=lambda r: (r["percent_of_target"], r["registered"], r["name"]))[:limit]


@login_required
def dashboard(request):
    roots = report_roots(user=request.user)
    code = (request.GET.get("organisation") or "").strip()
    notice = None
    org = None
    if code:
        org = Organisation.objects.filter(code=code).first()
        if org is None:
            notice = _("Không có tổ chức mã “%(code)s”. Đang hiển thị tổ chức mặc định của bạn.") % {"code": code}
        elif not can_view_reports(user=request.user, organisation=org):
            raise PermissionDenied(_("Bạn không có vai trò trên tổ chức này."))
    if org is None:
        if not roots:
            raise PermissionDenied(_("Bạn không có vai trò cán bộ, kiểm tra hay quản trị nào."))
        org = roots[0]
    programme = current_programme()
    context = {
        # campaigns (issue 10): members reached and how many joined afterwards
        "reach": campaign_reach(organisation=org, programme=programme),
        "organisation": org,
        "roots": roots,
        "choices": organisation_choices(roots, current=org),
        "notice": notice,
        "programme": programme,
        "last_month": f"{(timezone.localdate().replace(day=1) - datetime.timedelta(days=1)):%Y-%m}",
        "small_teams": small_advisory_teams(root=org),
        "small_team_minimum": SMALL_ADVISORY_TEAM,
    }
    if programme is not None:
        period = period_for(programme=programme)
        tree = TreeAsOf(root=org, on=period.on)  # one tree for the report and the trend
        rows = progress_report(root=org, period=period, tree=tree)
        total = rows[0]
        children = [r for r in rows if r["parent"] == org.code]
        for r in children + [total]:
            pct = r["percent_of_target"]
            r["bar"] = min(pct or 0, 100)
            r["over"] = pct is not None and pct > 100
        trend = monthly_trend(root=org, period=period_for(programme=programme, until=period.on), tree=tree)
        parent = Organisation.objects.get_parent(org)
        bloc_roots = [org] + ([parent] if parent and can_view_reports(user=request.user, organisation=parent) else [])
        blocs = [
            b
            for b in bloc_rankings(roots=bloc_roots, period=period, reports={org.code: rows})
            if b["organisation"] == org.code or any(m["organisation"] == org.code for m in b["members"])
        ]
        context.update(
            period=period,
            total=total,
            children=children,
            behind=behind_target(rows),
            units_with_target=any(r["level"] == Level.UNIT and r["target"] for r in rows),
            blocs=blocs,
            chart=trend_chart(trend),
        )
    return render(request, "reports/dashboard.html", context)


@login_required
def monthly_download(request):
    """The dashboard's "monthly workbook" form: check the month, then hand over to the API's
    workbook (``/api/v1/reports/monthly/{month}.xlsx``), which asks who may read it. A bad month
    goes back to the dashboard, saying why."""
    from django.utils.http import urlencode

    from config.params import parse_month

    code = (request.GET.get("organisation") or "")[:40]
    back = reverse("reports-dashboard") + (f"?{urlencode({'organisation': code})}" if code else "")
    try:
        month = parse_month(request.GET.get("month") or "", "month")
    except ValidationError as e:
        for message in e.message_dict["month"]:
            messages.error(request, message)
        return redirect(back)
    url = reverse("reports-monthly", kwargs={"month": f"{month:%Y-%m}"})
    return redirect(f"{url}?{urlencode({'organisation': code})}" if code else url)
