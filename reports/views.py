"""HTML dashboard (/reports/): progress bars, a server-side SVG trend chart, bloc rankings and the
units furthest behind, for an organisation the user oversees. Reads through selectors only."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from councils.models import Level, Organisation

from .blocs import bloc_rankings
from .selectors import can_view_reports, current_programme, monthly_trend, period_for, progress_report, report_roots
from .svg import trend_chart


def _trim(trend, months=36):
    """Up to the last month with any figure (at least a year shown), at most ``months`` months."""
    last = max((i for i, p in enumerate(trend) if p["registered"] or p["recognised"]), default=len(trend) - 1)
    end = max(last + 1, min(12, len(trend)))
    return trend[max(0, end - months) : end]


@login_required
def dashboard(request):
    roots = report_roots(user=request.user)
    code = request.GET.get("organisation")
    if code:
        org = Organisation.objects.filter(code=code).first()
        if org is None:
            raise Http404("Không có tổ chức / Unknown organisation")
        if not can_view_reports(user=request.user, organisation=org):
            raise PermissionDenied("Bạn không có vai trò trên tổ chức này / You hold no role on this organisation")
    elif roots:
        org = roots[0]
    else:
        raise PermissionDenied(
            "Bạn không có vai trò cán bộ, kiểm tra hay quản trị nào / You hold no officer, auditor or admin role"
        )
    programme = current_programme()
    context = {"organisation": org, "roots": roots, "programme": programme}
    if programme is not None:
        period = period_for(programme=programme)
        rows = progress_report(root=org, period=period)
        total = rows[0]
        children = [r for r in rows if r["parent"] == org.code]
        for r in children + [total]:
            r["bar"] = min(r["percent_of_target"] or 0, 100)
        units = [r for r in rows if r["level"] == Level.UNIT and r["target"]]
        behind = sorted(units, key=lambda r: (r["percent_of_target"], r["registered"]))[:5]
        trend = monthly_trend(root=org, period=period_for(programme=programme, until=period.on))
        parent = Organisation.objects.get_parent(org)
        bloc_roots = [org] + ([parent] if parent and can_view_reports(user=request.user, organisation=parent) else [])
        blocs = [
            b
            for b in bloc_rankings(roots=bloc_roots, period=period)
            if b["organisation"] == org.code or any(m["organisation"] == org.code for m in b["members"])
        ]
        context.update(
            period=period,
            total=total,
            children=children,
            behind=behind,
            blocs=blocs,
            chart=trend_chart(_trim(trend)),
        )
    return render(request, "reports/dashboard.html", context)
