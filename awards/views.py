"""HTML pages of the awards room. They read through selectors and write through actions."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from config.params import parse_month
from councils.models import Organisation
from initiatives.exceptions import ApplicationError
from initiatives.selectors import can_see_confidential

from .actions import commendation_select
from .documents import certificate_pdf as render_certificate_pdf
from .models import Award, Certificate, Quota
from .selectors import (
    awarding_body,
    certificate_get_visible,
    certificate_list,
    commendable_organisations,
    eligibility_for,
    may_select_commendations,
    monthly_selection,
    monthly_suggestions,
    programme_for_month,
    quota_board,
    quota_for,
    quota_usage,
    remuneration_hint,
    revocable_certificates,
    verify_url,
)


def _month(value: str | None) -> datetime.date:
    """The month asked for ("YYYY-MM", years 1900–2999), else this month (the page's default)."""
    try:
        return parse_month(value)
    except ValidationError:
        return timezone.localdate().replace(day=1)


def _eligibility_reason(author: dict) -> str:
    """Why an author meets (or not) the award's thresholds: the rule for the author's own group,
    else the first rule's reason."""
    rules = author["rules"]
    if not rules:
        return _("Chưa có tiêu chí nào đang áp dụng.")
    met = [r for r in rules if r["met"]]
    own = [r for r in rules if r["applies_to"] == author["category"]]
    return (met or own or rules)[0]["reason"]


def _board(rows, month):
    for row in rows:
        quota = row["quota"]
        row["period_label"] = f"{month:%m/%Y}" if quota.per == Quota.Per.MONTH else quota.programme.name
    return rows


@login_required
def committee(request):
    """The award committee's page: the quota board for everyone signed in; for the committee of
    the chosen organisation also the candidates with their eligibility, this month's picks and
    a form (no JavaScript needed) that selects picks through the same action as the API."""
    user = request.user
    month = _month(request.GET.get("month"))
    organisations = commendable_organisations(user=user, month=month)
    org = None
    if code := request.GET.get("organisation"):
        org = Organisation.objects.filter(code=code).first()
    elif organisations:
        org = organisations[0]
    context = {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "board": _board(quota_board(on=month), month),
        "organisations": organisations,
        "org": org,
        "may_select": bool(org)
        and may_select_commendations(user=user, organisation=org, programme=programme_for_month(month)),
        "revocable": revocable_certificates(user=user),
        "my_certificates": list(
            certificate_list(user=user)
            .filter(initiative__authors__user=user)
            .distinct()
            .select_related("initiative", "organisation")
            .order_by("-issued_at", "-id")[:50]
        ),
    }
    if context["may_select"]:
        quota = quota_for(award=Award.MONTHLY_COMMENDATION, organisation=org, on=month)
        candidates = monthly_suggestions(organisation=org, month=month, limit=30, user=user)
        for row in candidates:
            if row["hidden"]:  # confidential: no benefit, no authors, no remuneration
                row["eligibility"], row["remuneration"] = [], None
                continue
            row["eligibility"] = eligibility_for(initiative=row["initiative"], award=Award.FEDERATION_CERTIFICATE)
            for author in row["eligibility"]:
                author["reason"] = _eligibility_reason(author)
            row["remuneration"] = remuneration_hint(initiative=row["initiative"])
        context.update(
            {
                "quota": quota,
                "usage": quota_usage(quota=quota, on=month) if quota else None,
                "candidates": candidates,
                "picks": monthly_selection(organisation=org, month=month),
            }
        )
    return render(request, "awards/committee.html", context)


@login_required
@require_POST
def committee_select(request):
    month = _month(request.POST.get("month"))
    code = request.POST.get("organisation", "")
    back = reverse("awards:committee") + f"?organisation={code}&month={month:%Y-%m}"
    org = Organisation.objects.filter(code=code).first()
    ids = [int(v) for v in request.POST.getlist("initiatives") if v.isascii() and v.isdigit() and len(v) < 19]
    if org is None:
        messages.error(request, _("Không có tổ chức này."))
        return redirect(back)
    try:
        picked = commendation_select(organisation=org, month=month, initiative_ids=ids, actor=request.user)
    except PermissionDenied as e:
        messages.error(request, str(e) or _("Bạn không có quyền làm việc này."))
    except ApplicationError as e:
        messages.error(request, str(e.detail))
    except ValidationError as e:
        messages.error(request, " ".join(m for msgs in e.message_dict.values() for m in msgs))
    else:
        n = len(picked)
        messages.success(
            request,
            ngettext(
                "Đã chọn %(n)d sáng kiến biểu dương.",
                "Đã chọn %(n)d sáng kiến biểu dương.",
                n,
            )
            % {"n": n},
        )
    return redirect(back)


@login_required
def certificate_pdf(request, serial):
    """The certificate document, for its authors, officers and auditors over the initiative's
    organisation and members of the awarding council; 404 for anyone else and for forged serials.
    A confidential dossier's certificate only for those who may see its content."""
    try:
        certificate = certificate_get_visible(user=request.user, serial=serial)
    except Certificate.DoesNotExist:
        raise Http404(_("Không tìm thấy chứng nhận.")) from None
    if not can_see_confidential(user=request.user, initiative=certificate.initiative):
        # it names the recipients and the unit: a confidential dossier's stay with those who may see it
        raise Http404(_("Không tìm thấy chứng nhận."))
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
        return render(request, "awards/verify_missing.html", {"serial": serial}, status=404)
    return render(
        request,
        "awards/verify.html",
        {"c": certificate, "body": awarding_body(certificate), "confidential": certificate.initiative.confidential},
    )


@login_required
def certificate_revoke_page(request, serial):
    """Revoke a certificate with its reasons (the committee's page for ``certificate_revoke``):
    the certificate and what revoking does, a reason that is required; refusals beside the field
    (400, the reason kept). 404 for a certificate one may not see, 403 saying who may revoke."""
    from .actions import certificate_revoke
    from .selectors import may_revoke

    try:
        certificate = certificate_get_visible(user=request.user, serial=serial[:40])
    except Certificate.DoesNotExist:
        raise Http404(_("Không tìm thấy chứng nhận.")) from None
    if not may_revoke(user=request.user, certificate=certificate):
        return render(
            request,
            "workflow/denied.html",
            {
                "title": _("Thu hồi khen thưởng"),
                "message": _(
                    "Chỉ chủ tịch hoặc thư ký hội đồng đã xét tặng (với biểu dương hằng tháng: cán bộ công đoàn "
                    "của tổ chức khen thưởng) mới được thu hồi."
                ),
            },
            status=403,
        )
    context = {"c": certificate, "body": awarding_body(certificate), "errors": {}, "reason": ""}
    if request.method == "POST":
        context["reason"] = request.POST.get("reason", "")[:10000]
        try:
            certificate_revoke(certificate_id=certificate.pk, actor=request.user, reason=context["reason"])
        except ValidationError as e:
            context["errors"] = e.message_dict
            return render(request, "awards/revoke.html", context, status=400)
        except ApplicationError as e:
            messages.error(request, str(e.detail))
            return redirect("awards:certificate-revoke", serial=certificate.serial)
        messages.success(
            request,
            _("Đã thu hồi %(serial)s. Tác giả thấy khen thưởng là đã thu hồi; trang xác minh công khai báo đã thu hồi.")
            % {"serial": certificate.serial},
        )
        # who may revoke sat on the council that judged it or oversees its unit: they see the dossier
        return redirect("initiative-page", pk=certificate.initiative_id)
    return render(request, "awards/revoke.html", context)
