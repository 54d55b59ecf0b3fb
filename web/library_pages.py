"""The library's pages (/library/, /library/<id>/): the recognised initiatives of the whole
programme for reuse, and a unit's record that it applies one. They read through
``library.selectors`` and write through ``library.actions``, as the API does."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.paging import CappedCountPaginator
from councils.models import Organisation
from initiatives.exceptions import ApplicationError
from initiatives.models import Category, Initiative
from initiatives.search import highlight, search_capped
from library.actions import adoption_record
from library.selectors import (
    adopting_organisations,
    adoptions_of,
    awards_by_initiative,
    library_filters,
    library_get,
    library_list,
)

ORGANISATION_CHOICES = 300


def _organisation_choices():
    rows = Organisation.objects.order_by("path").values("code", "name", "depth")[:ORGANISATION_CHOICES]
    return [{"code": r["code"], "name": r["name"], "indent": "\u00a0\u00a0" * max(r["depth"] - 1, 0)} for r in rows]


@login_required
def library_page(request):
    values = {k: (request.GET.get(k) or "")[:100] for k in ("q", "category", "organisation")}
    errors, status = {}, 200
    try:
        filters = library_filters(request.GET)
        qs = library_list(user=request.user, **filters)
    except ValidationError as e:
        errors, status, qs = e.message_dict, 400, []
    page = CappedCountPaginator(qs, 20).get_page(request.GET.get("page"))  # ≈ beyond LIST_EXACT_COUNT_CAP
    awards = awards_by_initiative([i.pk for i in page])
    words = [] if errors else filters["words"]
    for i in page:
        i.library_awards = awards.get(i.pk, [])
        if words:  # the words found, in <mark>, escaped (``initiatives.search.highlight``)
            i.title_marked = highlight(i.title, words)
            i.summary_marked = highlight(i.summary[:300], words)
    context = {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "values": values,
        "errors": errors,
        "categories": Category.choices,
        "organisations": _organisation_choices(),
        "query": urlencode({k: v for k, v in values.items() if v}),
        "search_capped": search_capped(qs),  # "more than N": the newest N ranked
    }
    return render(request, "library/list.html", context, status=status)


def _entry(request, pk):
    try:
        return library_get(user=request.user, pk=pk)
    except Initiative.DoesNotExist:
        raise Http404(_("Sáng kiến này không có trong thư viện.")) from None


@login_required
def library_entry(request, pk):
    initiative = _entry(request, pk)
    context = {
        "i": initiative,
        "awards": awards_by_initiative([initiative.pk]).get(initiative.pk, []),
        "adoptions": adoptions_of(initiative=initiative),
        "choices": adopting_organisations(user=request.user, initiative=initiative),
        "note": "",
    }
    return render(request, "library/detail.html", context)


@login_required
@require_POST
def library_adopt(request, pk):
    initiative = _entry(request, pk)
    code = (request.POST.get("organisation") or "").strip()[:40]
    organisation = Organisation.objects.filter(code=code).first() if code else None
    try:
        if organisation is None:
            raise ValidationError({"organisation": [_("Hãy chọn đơn vị áp dụng sáng kiến.")]})
        adoption_record(
            initiative_id=initiative.pk,
            organisation=organisation,
            actor=request.user,
            note=request.POST.get("note", ""),
        )
    except ValidationError as e:
        for field_messages in e.message_dict.values():
            for m in field_messages:
                messages.error(request, m)
    except (PermissionDenied, ApplicationError) as e:
        messages.error(request, getattr(e, "detail", None) or str(e) or _("Không được phép"))
    else:
        messages.success(
            request, _("Đã ghi nhận %(organisation)s áp dụng sáng kiến này.") % {"organisation": organisation.name}
        )
    return redirect("library-entry", pk=initiative.pk)
