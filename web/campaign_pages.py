"""The officers' campaign pages (/campaigns/, /campaigns/new/, /campaigns/<id>/): write to the
members of a subtree who have no initiative yet, seeing first how many the mail will reach, then
follow its sending. Reads through ``campaigns.selectors``, writes through ``campaigns.actions``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from campaigns.actions import campaign_create
from campaigns.models import Audience, Campaign
from campaigns.selectors import (
    audience_count,
    campaign_get_visible,
    campaign_joined,
    campaign_list,
    campaign_organisations,
    campaign_progress,
)


def _denied(request):
    return render(
        request,
        "workflow/denied.html",
        {
            "title": _("Vận động viết sáng kiến"),
            "message": _("Chỉ cán bộ công đoàn mới gửi được thư vận động cho đoàn viên của tổ chức mình."),
        },
        status=403,
    )


@login_required
def campaigns_page(request):
    page = Paginator(campaign_list(user=request.user), 20).get_page(request.GET.get("page"))
    rows = [(c, campaign_progress(c)) for c in page]
    may_send = bool(campaign_organisations(user=request.user, limit=1))
    if not rows and not may_send:
        return _denied(request)
    context = {
        "rows": rows,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "may_send": may_send,
    }
    return render(request, "campaigns/list.html", context)


@login_required
def campaign_new(request):
    choices = campaign_organisations(user=request.user)
    if not choices:
        return _denied(request)
    data = request.POST if request.method == "POST" else request.GET
    values = {
        "organisation": (data.get("organisation") or choices[0].code)[:40],
        "subject": (data.get("subject") or "")[:300],
        "message": (data.get("message") or "")[:12000],
    }
    chosen = next((o for o in choices if o.code == values["organisation"]), None)
    errors, status = {}, 200
    if request.method == "POST" and request.POST.get("send"):
        try:
            if chosen is None:
                raise ValidationError({"organisation": [_("Hãy chọn một tổ chức bạn là cán bộ.")]})
            campaign = campaign_create(
                actor=request.user,
                organisation=chosen,
                subject=values["subject"],
                message=values["message"],
                audience=Audience.WITHOUT_INITIATIVE,
            )
        except ValidationError as e:
            errors, status = e.message_dict, 400
        except PermissionDenied as e:
            errors, status = {"organisation": [str(e) or _("Không được phép")]}, 403
        else:
            messages.success(request, _("Đã tạo chiến dịch và bắt đầu gửi thư."))
            return redirect("campaign-page", pk=campaign.pk)
    if chosen is None:
        errors.setdefault("organisation", [_("Hãy chọn một tổ chức bạn là cán bộ.")])
        status = max(status, 400)
    context = {
        "choices": choices,
        "values": values,
        "errors": errors,
        "chosen": chosen,
        "reach": audience_count(organisation=chosen) if chosen else None,
    }
    return render(request, "campaigns/new.html", context, status=status)


@login_required
def campaign_page(request, pk):
    try:
        campaign = campaign_get_visible(user=request.user, pk=pk)
    except Campaign.DoesNotExist:
        raise Http404(_("Không tìm thấy chiến dịch.")) from None
    progress = campaign_progress(campaign)
    context = {"c": campaign, "p": progress, "joined": campaign_joined(campaign)}
    return render(request, "campaigns/detail.html", context)
