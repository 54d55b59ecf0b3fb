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
    eligibility_rules,
    may_select_commendations,
    monthly_selection,
    monthly_suggestions,
    nominated_to,
    prefetch_authors,
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
        candidates = monthly_suggestions(
            organisation=org, month=month, limit=30, user=user, nominations=nominated_to(organisation=org, month=month)
        )
        # the visible candidates' authors in one query and the rules once, not ~3 queries a candidate
        prefetch_authors(row["initiative"] for row in candidates if not row["hidden"])
        rules = eligibility_rules(Award.FEDERATION_CERTIFICATE)
        for row in candidates:
            if row["hidden"]:  # confidential: no benefit, no authors, no remuneration
                row["eligibility"], row["remuneration"] = [], None
                continue
            row["eligibility"] = eligibility_for(
                initiative=row["initiative"], award=Award.FEDERATION_CERTIFICATE, rules=rules
            )
            for author in row["eligibility"]:
                author["reason"] = _eligibility_reason(author)
            row["remuneration"] = remuneration_hint(initiative=row["initiative"])
        context.update(
            {
                "quota": quota,
                "usage": quota_usage(quota=quota, on=month) if quota else None,
                "candidates": candidates,
                "nominated_count": sum(1 for row in candidates if row["nominated"]),
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


# ---- nominations, ad-hoc commendations, budgets -----------------------------------------------


def _denied(request, title, message):
    return render(request, "workflow/denied.html", {"title": title, "message": message}, status=403)


def _chosen_org(request, organisations, value):
    """The organisation asked for (by code), else the first the user serves."""
    if value:
        return Organisation.objects.filter(code=str(value)[:40]).first()
    return organisations[0] if organisations else None


@login_required
def nominations_page(request):
    """What reached this union from below this month (with each proposer's comment), and the
    union's own proposal to the union above: recognised initiatives of its subtree, or those
    received, passed up with a comment. Writes through ``nominations_propose``."""
    from .actions import nominations_propose
    from .selectors import (
        award_committee_member,
        committee_organisations,
        may_see_nominations,
        nominations_received,
        recognised_before,
        recognised_in,
    )

    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    month = _month(data.get("month"))
    organisations = committee_organisations(user=user)
    org = _chosen_org(request, organisations, data.get("organisation"))
    title = _("Đề cử sáng kiến tiêu biểu")
    if org is None and request.GET.get("organisation"):
        raise Http404(_("Không có tổ chức này."))
    if org is not None and not may_see_nominations(user=user, organisation=org):
        return _denied(
            request,
            title,
            _("Chỉ cán bộ công đoàn, ban khen thưởng hoặc kiểm tra của tổ chức này mới xem được các đề cử."),
        )
    back = reverse("awards:nominations") + (f"?organisation={org.code}&month={month:%Y-%m}" if org else "")
    comment, status = "", 200
    if request.method == "POST":
        if org is None:
            messages.error(request, _("Không có tổ chức này."))
            return redirect(back)
        comment = request.POST.get("comment", "")[:4000]
        ids = [int(v) for v in request.POST.getlist("initiatives") if v.isascii() and v.isdigit() and len(v) < 19]
        try:
            made = nominations_propose(organisation=org, month=month, initiative_ids=ids, comment=comment, actor=user)
        except PermissionDenied as e:
            messages.error(request, str(e) or _("Bạn không có quyền làm việc này."))
            status = 403
        except ApplicationError as e:
            messages.error(request, str(e.detail))
            status = 409
        except ValidationError as e:
            messages.error(request, " ".join(m for msgs in e.message_dict.values() for m in msgs))
            status = 400
        else:
            n = len(made)
            messages.success(
                request,
                ngettext(
                    "Đã đề cử %(n)d sáng kiến lên %(parent)s.",
                    "Đã đề cử %(n)d sáng kiến lên %(parent)s.",
                    n,
                )
                % {"n": n, "parent": made[0].to_organisation.name},
            )
            return redirect(back)
    context = {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "organisations": organisations,
        "org": org,
        "comment": comment,
    }
    if org is not None:
        from .models import Nomination

        parent = Organisation.objects.get_parent(org)
        received = nominations_received(organisation=org, month=month, user=user)
        received_ids = {r["id"] for r in received}
        sent = (
            Nomination.objects.filter(from_organisation=org, month=month)
            .select_related("initiative", "to_organisation", "proposed_by")
            .order_by("proposed_at", "id")
        )
        sent_ids = {n.initiative_id for n in sent}
        may_propose = parent is not None and award_committee_member(user=user, organisation=org)
        candidates = []
        if may_propose:
            candidates = list(
                recognised_in(organisation=org)
                .filter(recognised_at__lt=recognised_before(month))
                .exclude(pk__in=received_ids | sent_ids)
                .order_by("-recognised_at", "-id")[:50]
            )
        context.update(
            {
                "parent": parent,
                "received": received,
                "sent": sent,
                "may_propose": may_propose,
                "candidates": candidates,
            }
        )
    return render(request, "awards/nominations.html", context, status=status)


@login_required
def adhoc_page(request):
    """The ad-hoc ("đột xuất") commendation form of an award committee: an initiative of its
    subtree, a reason (required) and an amount from this year's budget; the organisation's ad-hoc
    commendations listed below. Writes through ``adhoc_commend``."""
    from .actions import adhoc_commend
    from .selectors import award_committee_member, budget_report, committee_organisations, recognised_in

    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    organisations = committee_organisations(user=user)
    org = _chosen_org(request, organisations, data.get("organisation"))
    title = _("Khen thưởng đột xuất")
    if org is None:
        return _denied(
            request, title, _("Chỉ ban khen thưởng (cán bộ công đoàn hoặc hội đồng) mới khen thưởng đột xuất.")
        )
    if not award_committee_member(user=user, organisation=org):
        return _denied(
            request,
            title,
            _("Chỉ ban khen thưởng (cán bộ công đoàn hoặc hội đồng) của %(org)s mới được khen thưởng đột xuất.")
            % {"org": org.code},
        )
    form = {
        "initiative": str(data.get("initiative", ""))[:20],
        "reason": str(data.get("reason", ""))[:4000],
        "amount_vnd": str(data.get("amount_vnd", ""))[:20],
    }
    errors, status = {}, 200
    if request.method == "POST":
        initiative = form["initiative"]
        amount = form["amount_vnd"].replace(".", "").replace(",", "").strip()
        if not (initiative.isascii() and initiative.isdigit()):
            errors["initiative"] = [_("cần chọn sáng kiến")]
        if not (amount.isascii() and amount.isdigit()) or len(amount) > 15:
            errors["amount_vnd"] = [_("số tiền phải là số nguyên (VND)")]
        if not errors:
            try:
                c = adhoc_commend(
                    organisation=org,
                    initiative_id=int(initiative),
                    reason=form["reason"],
                    amount_vnd=int(amount),
                    actor=user,
                )
            except PermissionDenied as e:
                messages.error(request, str(e) or _("Bạn không có quyền làm việc này."))
                status = 403
            except ApplicationError as e:
                messages.error(request, str(e.detail))
                status = 409
            except ValidationError as e:
                errors = e.message_dict
            else:
                messages.success(
                    request,
                    _("Đã khen thưởng đột xuất %(serial)s: %(title)s.") % {"serial": c.serial, "title": c.title},
                )
                return redirect(reverse("awards:adhoc") + f"?organisation={org.code}")
        if errors:
            status = 400
    candidates = list(recognised_in(organisation=org).order_by("-recognised_at", "-id")[:200])
    given = [c for c in candidates if str(c.pk) == form["initiative"]]
    recent = (
        Certificate.objects.filter(award=Award.ADHOC_COMMENDATION, organisation=org)
        .select_related("initiative")
        .order_by("-issued_at", "-id")[:50]
    )
    context = {
        "organisations": organisations,
        "org": org,
        "form": form,
        "errors": errors,
        "candidates": candidates,
        "given": given,
        "recent": recent,
        "budget": budget_report(organisation=org, year=timezone.localdate().year),
    }
    return render(request, "awards/adhoc.html", context, status=status)


@login_required
def budget_page(request):
    """An organisation's commendation budget for a year: held, committed, remaining, and each
    standing award that committed money. For its award committee and those over it."""
    from .models import Budget
    from .selectors import budget_report, committee_organisations, may_see_budget, oversees

    user = request.user
    year_value = request.GET.get("year", "")
    year = (
        int(year_value)
        if year_value.isascii() and year_value.isdigit() and 1900 <= int(year_value or 0) <= 2999
        else timezone.localdate().year
    )
    organisations = committee_organisations(user=user)
    known = {o.pk for o in organisations}
    for b in Budget.objects.select_related("organisation").order_by("organisation__path"):
        if b.organisation_id not in known and oversees(user=user, organisation=b.organisation):
            organisations.append(b.organisation)
            known.add(b.organisation_id)
    org = _chosen_org(request, organisations, request.GET.get("organisation"))
    title = _("Kinh phí khen thưởng")
    if org is None:
        if request.GET.get("organisation"):
            raise Http404(_("Không có tổ chức này."))
        return _denied(
            request, title, _("Chỉ cán bộ công đoàn, ban khen thưởng hoặc kiểm tra mới xem được kinh phí khen thưởng.")
        )
    if not may_see_budget(user=user, organisation=org):
        return _denied(
            request,
            title,
            _("Chỉ cán bộ công đoàn, ban khen thưởng hoặc kiểm tra của %(org)s mới xem được kinh phí.")
            % {"org": org.code},
        )
    return render(
        request,
        "awards/budget.html",
        {
            "organisations": organisations,
            "org": org,
            "year": year,
            "report": budget_report(organisation=org, year=year),
        },
    )
