"""HTML pages. They read through selectors and write through the same actions as the API; the
forms work without JavaScript."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AuditEntry
from awards.selectors import awards_for
from config.paging import CappedCountPaginator, capped_count, exact_count_cap
from config.params import SEARCH_MAX_CHARS, parse_search
from councils.models import Membership, RoleAssignment
from initiatives.actions import initiative_create, initiative_update
from initiatives.exceptions import ApplicationError
from initiatives.models import Category, Initiative, State
from initiatives.search import highlight, ranked, search_capped, search_filter
from initiatives.selectors import may_create_somewhere
from library.selectors import DEAD_STATES as LIBRARY_DEAD_STATES
from library.selectors import adoptions_of
from workflow.flows import STAGE_DECISIONS
from workflow.labels import ACTION_LABELS
from workflow.meeting_selectors import dossier_meetings, meeting_councils, upcoming_meetings
from workflow.selectors import (
    InboxRows,
    available_actions,
    can_see_confidential,
    changes_since_last_submission,
    dossier_stepper,
    duplicate_marks_for,
    forward_target,
    inbox,
    inbox_rows,
    initiative_get_visible,
    initiative_list,
    last_return,
    may_mark_duplicates,
    possible_duplicates,
    prime_available_actions,
    return_field_choices,
    search_scope,
    session_progress,
    with_content_visible,
)


@login_required
def home(request):
    user = request.user
    context = {
        "roles": RoleAssignment.objects.filter(user=user).select_related("organisation"),
        "memberships": Membership.objects.filter(user=user).select_related("council", "council__organisation"),
        "tasks": InboxRows(user=user, filters={"order": "due"})[:10],  # soonest due first
        "now": timezone.now(),
        "initiatives": with_content_visible(initiative_list(user=user), user=user).order_by("-id")[:10],
        "can_create": may_create_somewhere(user=user),
        "meeting_councils": meeting_councils(user=user),
        "upcoming_meetings": upcoming_meetings(user=user)[:10],
    }
    return render(request, "workflow/home.html", context)


def _queue_context(request, qs, *, default_order: str, rows_for=None, capped=None) -> tuple[dict, int]:
    """The work queue of a page (``workflow.queue``: the API's filters): filtered, ordered, counted
    per choice, a page of it with numbered links that keep the filters. Bad filters come back
    beside their fields with 400 and an empty page. ``qs()``: the queue's dossiers (built when
    needed: not the inbox's, when its page is read from the open-work rows). ``rows_for(filters)``: the filtered, ordered
    rows when the page reads them its own way (the inbox: ``workflow.selectors.inbox_rows``);
    ``capped()``: ``capped_count(qs)`` when the page knows it cheaper. The context's ``capped`` is
    that count (None for bad filters)."""
    from workflow.queue import (
        DUE_CHOICES,
        ORDER_CHOICES,
        QUEUE_FILTER_NAMES,
        queue_apply,
        queue_counts,
        queue_filters,
        queue_organisations,
    )

    values = {name: (request.GET.get(name) or "")[:100] for name in QUEUE_FILTER_NAMES}
    errors, status, counts, n = {}, 200, None, None
    now = timezone.now()  # one moment for the counts, the rows and the page's overdue marks
    try:
        filters = queue_filters(request.GET, default_order=default_order)
    except ValidationError as e:
        errors, status, filters = _field_errors(e), 400, None
    if filters is None:
        rows = rows_for(None) if rows_for else qs().none()
    else:
        # the counts per choice are two grouped counts over every row: only for a queue of at most
        # LIST_EXACT_COUNT_CAP rows (a sector's two million would take seconds)
        n = capped() if capped else capped_count(qs())
        if n <= exact_count_cap():
            counts = queue_counts(qs(), filters, now=now)
        rows = rows_for(filters) if rows_for else queue_apply(qs(), filters, now=now)
    keep = {k: v for k, v in values.items() if v}
    if request.GET.get("q"):
        keep["q"] = request.GET["q"][:SEARCH_MAX_CHARS]
    context = {
        "values": values,
        "errors": errors,
        "counts": counts,
        "states": State.choices,
        "due_choices": DUE_CHOICES.items(),
        "order_choices": ORDER_CHOICES.items(),
        "default_order": default_order,
        "organisations": queue_organisations(user=request.user),
        "query": urlencode(keep),
        "now": now,
    }
    # the rows' count when the counts per choice were taken (they hold it): no count query for the page
    return context | {"rows_qs": rows, "capped": n, "rows_count": counts["rows"] if counts else None}, status


def _numbered(request, qs, context, size=50, *, capped=None):
    asked = request.GET.get("page_size") or ""
    if asked.isascii() and asked.isdigit() and 1 <= int(asked) <= 500:  # as the API's ``page_size``
        size = int(asked)
    page = CappedCountPaginator(qs, size, capped=capped).get_page(request.GET.get("page"))
    context["page"] = page
    context["page_range"] = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _inbox_queue(request) -> tuple[dict, int]:
    """The inbox page's queue: its rows from the open-work table where they can be
    (``inbox_rows``), and the whole inbox's size from it too (exact, one grouped count)."""
    everything = InboxRows(user=request.user, filters={"order": "due"})

    def rows_for(filters):
        if filters == {"order": "due"}:
            return everything  # the whole inbox: its count is the one already taken
        return inbox_rows(user=request.user, filters=filters, whole=everything)

    context, status = _queue_context(
        request,
        # the queue's dossiers serve its counts per choice only (its rows come from ``rows_for``):
        # no content-visibility test to build and compile for a count
        lambda: inbox(user=request.user),
        default_order="due",
        rows_for=rows_for,
        capped=lambda: min(everything.count(), exact_count_cap() + 1),
    )
    context["everything"] = everything
    return context, status


@login_required
def tasks_page(request):
    context, status = _inbox_queue(request)
    page = _numbered(request, context.pop("rows_qs"), context)
    prime_available_actions(user=request.user, initiatives=page)  # the page's questions at once
    context["rows"] = [
        (i, [a for a in available_actions(user=request.user, initiative=i) if a != "edit"]) for i in page
    ]
    context["total"] = context.pop("everything").count() if context["query"] else None
    context["upcoming_meetings"] = upcoming_meetings(user=request.user)[:10]
    if request.session.get("queue") != context["query"]:  # the detail page's "next" walks this queue
        request.session["queue"] = context["query"]
    return render(request, "workflow/tasks.html", context, status=status)


@login_required
def tasks_next(request):
    """Open the next dossier of the inbox as filtered (``skip``: the one just seen)."""
    context, _status = _inbox_queue(request)
    skip = (request.GET.get("skip") or "")[:20]
    rows = context["rows_qs"]
    skip = int(skip) if skip.isascii() and skip.isdigit() else None
    if isinstance(rows, InboxRows):
        first = next((pk for pk in rows.ids(0, 2) if pk != skip), None)
    else:
        if skip is not None:
            rows = rows.exclude(pk=skip)
        first = rows.values_list("pk", flat=True).first()
    if first is None:
        messages.success(request, _("Không còn hồ sơ nào đang chờ bạn trong danh sách này."))
        return redirect(f"{reverse('tasks-page')}?{context['query']}" if context["query"] else reverse("tasks-page"))
    return redirect("initiative-page", pk=first)


@login_required
def initiative_list_page(request):
    qs = with_content_visible(initiative_list(user=request.user, for_list=True), user=request.user)
    q = request.GET.get("q", "").strip()
    search_status = 200
    try:
        words = parse_search(q, "q")
    except ValidationError as e:
        for message in _field_errors(e).get("q", []):
            messages.error(request, message)
        qs, words, search_status = qs.none(), [], 400
    # accents optional, at a word's beginning (``initiatives.search``), looked for where this person sees
    qs = search_filter(
        qs,
        words,
        scope=search_scope(user=request.user, parts=getattr(qs.query, "search_scope_parts", None)) if words else None,
    )
    context, status = _queue_context(request, lambda: qs, default_order="newest")
    rows = context.pop("rows_qs")
    if words and not request.GET.get("order"):
        rows = ranked(rows)  # best first unless an order is asked
    # without filters the rows are the queue's own: the count just taken is theirs too; with them,
    # the counts per choice hold the rows' count (taken for a queue of at most the cap) — not of a
    # search's ranked rows, which may be fewer (``search_capped``)
    unfiltered = not any(context["values"][k] for k in ("organisation", "state", "due", "waiting_days"))
    rows_count = context.pop("rows_count")
    known = context.pop("capped") if unfiltered else (rows_count if not words else None)
    page = _numbered(request, rows, context, capped=known)
    context["q"] = q[:SEARCH_MAX_CHARS]
    context["search_words"] = words
    context["relevance"] = bool(words)
    context["search_capped"] = search_capped(rows)  # "more than N": the newest N ranked
    for i in page:  # the words found, in <mark>, escaped
        i.title_marked = highlight(i.title, words)
        i.summary_marked = highlight(i.summary, words) if words else ""
    return render(request, "workflow/initiative_list.html", context, status=max(status, search_status))


def _get(request, pk):
    try:
        return initiative_get_visible(user=request.user, pk=pk)
    except Initiative.DoesNotExist:
        raise Http404(_("Không tìm thấy sáng kiến.")) from None


def _creatable_units(user):
    from initiatives.selectors import creatable_units

    return creatable_units(user=user)


def _parse_authors(text):
    """One author a line: "username: 60" or "Full Name: 40"."""
    authors = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        name, sep, share = line.rpartition(":")
        name = name.strip() if sep else line.strip()
        entry = {"share_percent": share.strip() if sep else ""}
        if " " in name:
            entry["full_name"] = name
        else:
            entry["username"] = name
        authors.append(entry)
    return authors


def _form_data(post, with_org=True):
    data = {k: post.get(k, "") for k in ("title", "summary", "problem", "solution", "category")}
    if with_org:
        data["organisation"] = post.get("organisation", "")
    data["authors"] = _parse_authors(post.get("authors", ""))
    if post.get("benefit_value_vnd", "").strip():
        data["benefit_value_vnd"] = post["benefit_value_vnd"].replace(".", "").replace(",", "").strip()
    if post.get("applied_since"):
        data["applied_since"] = post["applied_since"]
    data["confidential"] = post.get("confidential") == "on"
    return data


def _field_errors(e: ValidationError) -> dict:
    return e.message_dict if hasattr(e, "error_dict") else {"non_field_errors": e.messages}


def _version(post):
    """The edit form's lost-update guard: a number, or None (then no guard)."""
    raw = (post.get("version") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@login_required
def initiative_new(request):
    """The draft form: it parses the form into the action's arguments; the action decides."""
    units = _creatable_units(request.user)
    if not units:  # never a form that can only fail on submit
        return _denied(
            request,
            _("Tạo sáng kiến mới"),
            _(
                "Bạn không tạo được hồ sơ sáng kiến ở đơn vị nào: tài khoản của bạn không thuộc một công đoàn "
                "cơ sở và không có vai trò tác giả, tư vấn, cán bộ hay quản trị ở đơn vị nào. Nếu bạn là tác giả, "
                "hãy đề nghị quản trị công đoàn ghi bạn vào đơn vị của mình."
            ),
            who=[
                _("Tác giả (đoàn viên) — ở công đoàn cơ sở của mình"),
                _("Tổ tư vấn hỗ trợ sáng kiến — cho các đơn vị tổ hỗ trợ"),
                _("Cán bộ công đoàn và quản trị — cho các đơn vị thuộc tổ chức của mình"),
            ],
        )
    errors, values = {}, {"authors": f"{request.user.username}: 100"}
    if request.method == "POST":
        values = request.POST
        try:
            initiative = initiative_create(actor=request.user, **_form_data(request.POST))
        except ValidationError as e:
            errors = _field_errors(e)
        except PermissionDenied as e:
            errors = {"organisation": [str(e)]}
        else:
            messages.success(request, _("Đã tạo bản nháp %(reference)s") % {"reference": initiative.reference})
            return redirect("initiative-page", pk=initiative.pk)
    return render(
        request,
        "workflow/initiative_form.html",
        {"units": units, "categories": Category.choices, "errors": errors, "values": values, "new": True},
    )


@login_required
def initiative_edit(request, pk):
    initiative = _get(request, pk)
    errors = {}
    authors_text = "\n".join(
        f"{a.user.username if a.user else a.full_name}: {a.share_percent.normalize():f}"
        for a in initiative.authors.all()
    )
    values = {
        "title": initiative.title,
        "summary": initiative.summary,
        "problem": initiative.problem,
        "solution": initiative.solution,
        "category": initiative.category,
        "authors": authors_text,
        "benefit_value_vnd": initiative.benefit_value_vnd,
        "applied_since": initiative.applied_since.isoformat() if initiative.applied_since else "",
        "confidential": initiative.confidential,
        "version": initiative.version,
    }
    if request.method == "POST":
        values = request.POST
        data = _form_data(request.POST, with_org=False)
        data["version"] = _version(request.POST)
        try:
            initiative_update(actor=request.user, initiative_id=initiative.pk, **data)
        except ValidationError as e:
            errors = _field_errors(e)
        except (PermissionDenied, ApplicationError) as e:
            messages.error(request, getattr(e, "detail", None) or str(e))
        else:
            messages.success(request, _("Đã lưu hồ sơ"))
            return redirect("initiative-page", pk=initiative.pk)
    return render(
        request,
        "workflow/initiative_form.html",
        {
            "initiative": initiative,
            "categories": Category.choices,
            "errors": errors,
            "values": values,
            "new": False,
            "returned": (returned := last_return(initiative=initiative)),
            "returned_fields": (returned or {}).get("fields", []),
            **_attachments_context(
                request.user, initiative, can_see_confidential(user=request.user, initiative=initiative)
            ),
        },
    )


@login_required
def initiative_detail(request, pk):
    return render(request, "workflow/initiative_detail.html", _detail_context(request, _get(request, pk)))


def _detail_context(request, initiative, **extra) -> dict:
    full = can_see_confidential(user=request.user, initiative=initiative)
    # shown from hashed fields only (entry.shown_actor, not the actor row's current name)
    history = AuditEntry.objects.filter(object_type="initiative", object_id=str(initiative.pk)).order_by("seq")
    actions = available_actions(user=request.user, initiative=initiative)
    context = {
        "i": initiative,
        "full": full,
        "session": session_progress(initiative=initiative) if full else None,
        "forward_to": (forward_to := forward_target(initiative=initiative) if "forward" in actions else None),
        "forward_due": timezone.localtime() + timedelta(days=forward_to.decision_days) if forward_to else None,
        "authors": (authors := list(initiative.authors.select_related("user"))),  # read once for the page
        "my_authorship": next((a for a in authors if a.user_id == request.user.pk), None),
        "actions": actions,
        "decisions": STAGE_DECISIONS.get(initiative.state, []),
        "history": history if full else [],
        "duplicates": possible_duplicates(initiative=initiative, user=request.user) if full else [],
        "duplicate_marks": duplicate_marks_for(user=request.user, initiative=initiative) if full else [],
        "may_mark": may_mark_duplicates(user=request.user, initiative=initiative),
        "versions": initiative.dossier_versions.order_by("-number") if full else [],
        "sessions": initiative.sessions.select_related("council").order_by("opened_at", "id") if full else [],
        "meetings": dossier_meetings(user=request.user, initiative=initiative) if full else [],
        "stepper": dossier_stepper(initiative=initiative),
        "changes": changes_since_last_submission(initiative=initiative) if full else None,
        "awards": _awards(request.user, initiative),
        "now": timezone.now(),
        **_attachments_context(request.user, initiative, full),
        "vote_input": {},
        "vote_errors": {},
        "returned": (returned := last_return(initiative=initiative) if full else None),
        "returned_parts": _parts(returned),
        "return_fields": return_field_choices() if "return" in actions else [],
        "offer_restart": bool(request.session.get(f"close_refused_{initiative.pk}")),
        "next_url": _next_url(request, initiative),
        # where else it is applied (the library's records; public, as the library is)
        "adoptions": adoptions_of(initiative=initiative),
        "in_library": initiative.recognised_at is not None and initiative.state not in LIBRARY_DEAD_STATES,
        "remuneration": _remuneration(request.user, initiative, authors) if full else None,
    }
    context.update(extra)
    return context


def _remuneration(user, initiative, authors=None):
    """The authors' minimum remuneration (Decree 13/2012), for its authors and councils only."""
    from awards.selectors import remuneration_hint
    from initiatives.selectors import may_see_remuneration

    if not may_see_remuneration(user=user, initiative=initiative):
        return None
    return remuneration_hint(initiative=initiative, authors=authors)


def _vnd_input(text: str) -> str:
    """A money field as typed on a page ("85.000.000"): the digits, else the text (the rule says why)."""
    text = (text or "").strip()
    compact = text.replace(".", "").replace(",", "").replace(" ", "")
    return compact if compact.isascii() and compact.lstrip("-").isdigit() else text


def _parts(returned) -> list[str]:
    """The labels of the parts a return pointed to."""
    if not returned or not returned.get("fields"):
        return []
    labels = dict(return_field_choices())
    return [str(labels[f]) for f in returned["fields"] if f in labels]


def _awards(user, initiative) -> list[dict]:
    """The dossier's awards, each saying whether this person may revoke it (the revoke page's link)."""
    from awards.models import Certificate
    from awards.selectors import may_revoke

    awards = awards_for(initiative=initiative)
    if any(not a["revoked"] for a in awards):
        standing = Certificate.objects.filter(initiative=initiative, revoked_at=None).select_related(
            "council", "organisation"
        )
        revocable = {c.serial for c in standing if may_revoke(user=user, certificate=c)}
        for a in awards:
            a["may_revoke"] = a["serial"] in revocable
    return awards


def _next_url(request, initiative) -> str | None:
    """The inbox's "next dossier" link, for who came through the inbox (its filters kept)."""
    queue = request.session.get("queue")
    if queue is None:
        return None
    params = f"{queue}&skip={initiative.pk}" if queue else f"skip={initiative.pk}"
    return f"{reverse('tasks-next')}?{params}"


def _attachments_context(user, initiative, full: bool) -> dict:
    """The dossier's files for the pages: listed for whoever sees the whole content; added and
    removed (the actions decide) by those who may edit the draft."""
    from django.conf import settings

    from initiatives.actions import current_attachments
    from initiatives.models import AttachmentKind
    from initiatives.selectors import can_edit

    return {
        "attachments_shown": full,
        "attachments": list(current_attachments(initiative)) if full else [],
        "can_attach": full and initiative.state == State.DRAFT and can_edit(user=user, initiative=initiative),
        "attachment_kinds": AttachmentKind.choices,
        "attachment_max_mb": settings.ATTACHMENT_MAX_MB,
    }


def _back(request, initiative):
    target = reverse(
        "initiative-edit" if request.POST.get("back") == "edit" else "initiative-page", args=[initiative.pk]
    )
    if request.headers.get("X-Upload") == "1":
        # the page's upload script (with its progress bar) goes there itself; its message waits
        from django.http import JsonResponse

        return JsonResponse({"location": target})
    return redirect(target)


@login_required
@require_POST
def initiative_attach(request, pk):
    """Add a file to a draft (the same action as the API)."""
    from initiatives.actions import attachment_add

    initiative = _get(request, pk)
    files = request.FILES.getlist("file")
    if len(files) > 1:
        messages.error(request, _("Mỗi lần tải lên một tệp"))
        return _back(request, initiative)
    _run(
        request,
        lambda: attachment_add(
            initiative_id=initiative.pk,
            actor=request.user,
            upload=files[0] if files else None,
            kind=request.POST.get("kind"),
        ),
        _("Đã thêm tệp đính kèm"),
    )
    return _back(request, initiative)


@login_required
@require_POST
def initiative_detach(request, pk, aid):
    """Take a file out of a draft (the same action as the API)."""
    from initiatives.actions import attachment_remove
    from initiatives.models import Attachment

    initiative = _get(request, pk)
    try:
        _run(
            request,
            lambda: attachment_remove(initiative_id=initiative.pk, attachment_id=aid, actor=request.user),
            _("Đã gỡ tệp khỏi hồ sơ"),
        )
    except Attachment.DoesNotExist:
        raise Http404(_("Hồ sơ không có tệp đính kèm này")) from None
    return _back(request, initiative)


def _run(request, fn, ok_message):
    try:
        fn()
    except ValidationError as e:
        for msgs in (e.message_dict if hasattr(e, "error_dict") else {"": e.messages}).values():
            for m in msgs:
                messages.error(request, m)
        return False
    except (PermissionDenied, ApplicationError) as e:
        messages.error(request, getattr(e, "detail", None) or str(e) or _("Không được phép"))
        return False
    if ok_message:
        messages.success(request, ok_message)
    return True


@login_required
@require_POST
def initiative_duplicate_mark(request, pk):
    """The mark form of the dossier page: a possible duplicate picked from the list, or an id or a
    reference typed; the action decides (``workflow.actions.duplicate_mark_create``)."""
    from workflow.actions import duplicate_mark_create

    initiative = _get(request, pk)
    typed = (request.POST.get("of_typed") or "").strip()[:60]
    of = typed or (request.POST.get("of") or "").strip()[:30]
    if typed and not (typed.isascii() and typed.isdigit()):  # a reference: the visible dossier with it
        found = initiative_list(user=request.user).filter(reference=typed).values_list("pk", flat=True).first()
        if found is None:
            messages.error(request, _("Không có hồ sơ số %(ref)s, hoặc bạn không được xem hồ sơ đó") % {"ref": typed})
            return redirect(reverse("initiative-page", args=[initiative.pk]) + "#duplicate-marks")
        of = str(found)

    def act():
        duplicate_mark_create(
            initiative_id=initiative.pk,
            actor=request.user,
            verdict=request.POST.get("verdict", ""),
            of=of,
            comment=request.POST.get("comment", ""),
        )

    _run(request, act, _("Đã ghi kết luận về trùng lặp"))
    return redirect(reverse("initiative-page", args=[initiative.pk]) + "#duplicate-marks")


@login_required
@require_POST
def initiative_act(request, pk, name):
    from workflow.api import _action_table

    initiative = _get(request, pk)
    table = _action_table()
    if name not in table:
        raise Http404(_("Không có thao tác này."))
    comment = request.POST.get("comment", "")
    extra = {"fields": request.POST.getlist("fields")[:20]} if name == "return" else {}
    if name == "close" and request.POST.get("assessed_benefit_vnd", "").strip():
        extra["assessed_benefit_vnd"] = _vnd_input(request.POST["assessed_benefit_vnd"])
    done = {}

    def act():
        done["initiative"] = table[name](initiative_id=initiative.pk, actor=request.user, comment=comment, **extra)

    refused_key = f"close_refused_{initiative.pk}"
    if _run(request, act, ""):
        messages.success(request, _outcome_message(name, done["initiative"]))
        request.session.pop(refused_key, None)
    elif name == "close":
        # the page offers to void the votes and vote again only once a close was refused
        request.session[refused_key] = True
    return redirect("initiative-page", pk=initiative.pk)


def _outcome_message(name: str, initiative) -> str:
    """What happened, in words: the step and where the dossier now is (and with whom)."""
    values = {"action": ACTION_LABELS.get(name, name), "state": initiative.get_state_display()}
    if name == "close":
        from workflow.models import Decision

        closed = initiative.sessions.filter(closed_at__isnull=False).order_by("-closed_at", "-pk").first()
        if closed is not None and closed.outcome:
            values["action"] = _("Hội đồng quyết định «%(decision)s»") % {"decision": Decision(closed.outcome).label}
    if initiative.council_id and initiative.state != State.DRAFT:
        values["council"] = initiative.council
        if initiative.due_at:
            values["due"] = f"{timezone.localtime(initiative.due_at):%d/%m/%Y}"
            return _("%(action)s: hồ sơ nay ở bước «%(state)s», trước %(council)s, hạn %(due)s.") % values
        return _("%(action)s: hồ sơ nay ở bước «%(state)s», trước %(council)s.") % values
    return _("%(action)s: hồ sơ nay ở bước «%(state)s».") % values


@login_required
@require_POST
def initiative_authorship(request, pk):
    """A named author confirms or declines being one (the same action as the API)."""
    from initiatives.actions import authorship_decide

    initiative = _get(request, pk)
    decision = request.POST.get("decision", "")
    _run(
        request,
        lambda: authorship_decide(
            initiative_id=initiative.pk, actor=request.user, decision=decision, comment=request.POST.get("comment", "")
        ),
        _("Đã ghi nhận: %(name)s") % {"name": ACTION_LABELS.get(f"authorship_{decision}", decision)},
    )
    return redirect("initiative-page", pk=initiative.pk)


@login_required
@require_POST
def initiative_vote(request, pk):
    from workflow.actions import vote_cast

    initiative = _get(request, pk)
    given = {k: request.POST.get(k, "") for k in ("decision", "score", "comment", "assessed_benefit_vnd")}
    errors: dict[str, list[str]] = {}
    score = given["score"].strip()
    score_value = None
    if score:
        if score.isascii() and score.isdigit() and len(score) < 4 and 0 <= int(score) <= 100:
            score_value = int(score)
        else:
            errors["score"] = [_("Điểm phải là số nguyên từ 0 đến 100")]
    if not errors:
        try:
            vote_cast(
                initiative_id=initiative.pk,
                actor=request.user,
                decision=given["decision"],
                score=score_value,
                comment=given["comment"],
                assessed_benefit_vnd=_vnd_input(given["assessed_benefit_vnd"]) or None,
            )
        except ValidationError as e:
            errors = _field_errors(e)
        except (PermissionDenied, ApplicationError) as e:
            messages.error(request, getattr(e, "detail", None) or str(e) or _("Không được phép"))
            return redirect("initiative-page", pk=initiative.pk)
    if errors:
        # the ballot comes back as it was written, every error beside its field, all at once
        context = _detail_context(request, initiative, vote_input=given, vote_errors=errors)
        return render(request, "workflow/initiative_detail.html", context, status=400)
    messages.success(request, _("Đã ghi nhận phiếu của bạn"))
    return redirect("initiative-page", pk=initiative.pk)


def chart_svg(request):
    from web.chart import state_chart_svg

    return HttpResponse(state_chart_svg(), content_type="image/svg+xml; charset=utf-8")


def help_page(request):
    from web.chart import flow_edges, state_chart_svg

    return render(
        request,
        "workflow/help.html",
        {"chart": mark_safe(state_chart_svg()), "edges": flow_edges(), "decisions": STAGE_DECISIONS},
    )


# --- the auditor's page: the trail across dossiers, its verification and checkpoints ---------------


def _denied(request, title, message, status=403, **extra):
    """A refusal that says why, as a page (never a form that fails on submit)."""
    return render(request, "workflow/denied.html", {"title": title, "message": message, **extra}, status=status)


def _seq_param(params, name, errors):
    raw = params.get(name, "")
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63:
        return int(raw)
    errors[name] = [_("Vị trí trang phải là số nguyên dương")]
    return None


@login_required
def audit_page(request):
    """The trail of the subtrees the user audits or administers, across dossiers: filters (the same
    as the API's, read by ``workflow.trail``), a cursor on ``seq`` both ways, the CSV of the same
    filters (the API, which takes the session), the chain's verification on request and its last
    signed checkpoint. Auditors, admins and superusers; 403 for everyone else."""
    from audit.selectors import audit_checkpoints
    from workflow.actions import can_oversee_trail, trail_checkpoint_create
    from workflow.labels import TRAIL_ACTION_LABELS
    from workflow.selectors import trail_organisations, trail_page, trail_scope_paths, trail_verify
    from workflow.trail import TRAIL_FILTER_NAMES, trail_filters

    user = request.user
    if trail_scope_paths(user=user) == []:
        return _denied(
            request,
            _("Nhật ký kiểm toán"),
            _(
                "Chỉ người kiểm tra hoặc quản trị của một tổ chức công đoàn mới được xem nhật ký kiểm toán. "
                "Nếu bạn cần xem, hãy đề nghị quản trị công đoàn cấp vai trò kiểm tra."
            ),
        )
    params = request.GET
    verify = None
    if request.method == "POST":
        if request.POST.get("do") == "checkpoint":
            try:
                checkpoint, created = trail_checkpoint_create(actor=user)
            except (PermissionDenied, ApplicationError) as e:
                messages.error(request, getattr(e, "detail", None) or str(e))
            else:
                if created:
                    messages.success(request, _("Đã ký mốc kiểm toán mới tại mục #%(seq)s") % {"seq": checkpoint.seq})
                else:
                    messages.success(
                        request,
                        _("Không có mục mới kể từ mốc gần nhất (mục #%(seq)s): không cần ký mốc mới")
                        % {"seq": checkpoint.seq},
                    )
            return redirect(f"{request.path}?{params.urlencode()}" if params else request.path)
        if request.POST.get("do") == "verify":
            verify = trail_verify(user=user)
    errors, filters = {}, {}
    try:
        filters = trail_filters(params, user=user)
    except PermissionDenied as e:
        return _denied(request, _("Nhật ký kiểm toán"), str(e))
    except ValidationError as e:
        errors = _field_errors(e)
    order = params.get("order", "")
    if order not in ("", "oldest", "newest"):
        errors["order"] = [_("Thứ tự phải là cũ trước hoặc mới trước")]
    before, after = _seq_param(params, "before", errors), _seq_param(params, "after", errors)
    page = {"entries": [], "older": None, "newer": None}
    if not errors:
        page = trail_page(user=user, before=before, after=after, newest_first=order == "newest", **filters)
    kept = {name: params.get(name, "")[:150] for name in TRAIL_FILTER_NAMES}
    query = {k: v for k, v in kept.items() if v}
    if order:
        query["order"] = order
    context = {
        "page": page,
        "errors": errors,
        "values": kept,
        "order": order,
        "organisations": trail_organisations(user=user),
        "actions": list(TRAIL_ACTION_LABELS.items()),
        "csv_query": urlencode({k: v for k, v in kept.items() if v}),
        "page_query": urlencode(query),
        "verify": verify,
        "checkpoint": audit_checkpoints().first(),
        "may_sign": can_oversee_trail(user=user),
        "search_words": filters.get("words", []),
        "whole": trail_scope_paths(user=user) is None,
    }
    return render(request, "workflow/audit.html", context, status=400 if errors else 200)
