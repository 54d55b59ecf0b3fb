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
