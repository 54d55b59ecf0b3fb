"""HTML pages of the awards room. They read through selectors and write through actions."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from .documents import certificate_pdf as render_certificate_pdf
from .models import Certificate
from .selectors import certificate_get_visible, verify_url


@login_required
def certificate_pdf(request, serial):
    """The certificate document, for its authors, officers and auditors over the initiative's
    organisation and members of the awarding council; 404 for anyone else and for forged serials."""
    try:
        certificate = certificate_get_visible(user=request.user, serial=serial)
    except Certificate.DoesNotExist:
        raise Http404("Không tìm thấy chứng nhận / Certificate not found.") from None
    pdf = render_certificate_pdf(certificate=certificate, verify_url=verify_url(certificate.serial))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate.serial}.pdf"'
    return response


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
