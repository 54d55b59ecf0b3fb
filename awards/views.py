"""HTML pages of the awards room. They read through selectors and write through actions."""

from django.http import Http404
from django.shortcuts import render

from .models import Certificate


def verify(request, serial):
    """Public (no login): is this serial a genuine certificate, and is it still standing?
    Shows the title, award, awarding body, date and status; the recipients and the unit only
    when the initiative is not confidential."""
    certificate = (
        Certificate.objects.select_related("initiative", "initiative__organisation", "organisation")
        .filter(serial=serial)
        .first()
    )
    if certificate is None:
        raise Http404("Không có chứng nhận với số hiệu này / No certificate has this serial.")
    return render(
        request,
        "awards/verify.html",
        {"c": certificate, "confidential": certificate.initiative.confidential},
    )
