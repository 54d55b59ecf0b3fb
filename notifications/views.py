"""The notification list (/notifications/): what the system told this person, newest first, the
unread ones marked; opening one marks it read and goes where it points."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from .actions import notification_open, notifications_read_all
from .models import Notification
from .outbox import notification_mail_states, pending_deliveries
from .selectors import notifications_of


@login_required
def notification_list(request):
    page = Paginator(notifications_of(user=request.user), 50).get_page(request.GET.get("page"))
    mails = notification_mail_states(n.pk for n in page)
    for n in page:
        n.mail = mails.get(n.pk)
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "query": "",
            "deliveries": pending_deliveries(user=request.user),
        },
    )


@login_required
def notification_go(request, pk: int):
    try:
        notification = notification_open(actor=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(_("Không tìm thấy thông báo.")) from None
    url = notification.url
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return redirect(url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    n = notifications_read_all(actor=request.user)
    messages.success(
        request,
        ngettext("Đã đánh dấu %(n)d thông báo là đã đọc.", "Đã đánh dấu %(n)d thông báo là đã đọc.", n) % {"n": n},
    )
    return redirect("notifications:list")
