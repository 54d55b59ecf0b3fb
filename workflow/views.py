"""HTML pages. They read through selectors and write through actions."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from councils.models import Membership, RoleAssignment

from .selectors import initiative_list


@login_required
def home(request):
    user = request.user
    context = {
        "roles": RoleAssignment.objects.filter(user=user).select_related("organisation"),
        "memberships": Membership.objects.filter(user=user).select_related("council", "council__organisation"),
        "initiatives": initiative_list(user=user).order_by("-id")[:20],
    }
    return render(request, "workflow/home.html", context)


def chart_svg(request):
    from django.http import HttpResponse

    from .chart import state_chart_svg

    return HttpResponse(state_chart_svg(), content_type="image/svg+xml; charset=utf-8")


def help_page(request):
    from django.utils.safestring import mark_safe

    from .chart import flow_edges, state_chart_svg
    from .flows import STAGE_DECISIONS

    return render(
        request,
        "workflow/help.html",
        {"chart": mark_safe(state_chart_svg()), "edges": flow_edges(), "decisions": STAGE_DECISIONS},
    )
