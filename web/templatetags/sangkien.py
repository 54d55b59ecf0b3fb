import html

from django import template

from awards.templatetags.awards_tags import vnd
from workflow.models import Decision

register = template.Library()
register.filter("vnd", vnd)  # one formatting of amounts: the awards room's (85000000 → "85.000.000")


@register.filter
def decision_label(value):
    try:
        return Decision(value).label
    except ValueError:
        return value


@register.filter
def award_label(value):
    from awards.models import Award

    try:
        return Award(value).label
    except ValueError:
        return value


@register.filter
def action_label(value):
    from workflow.labels import ACTION_LABELS, RECORD_LABELS

    return ACTION_LABELS.get(value) or RECORD_LABELS.get(value, value)


@register.filter
def state_label(value):
    from initiatives.models import State

    try:
        return State(value).label
    except ValueError:
        return value or "—"


@register.filter
def percent(value):
    """0.61 → "61 %"."""
    try:
        return f"{round(float(value) * 100)} %"
    except (TypeError, ValueError):
        return value


@register.filter
def days_since(value):
    """How many whole days ago (for "waiting N days")."""
    from django.utils import timezone

    try:
        return max(0, (timezone.now() - value).days)
    except TypeError:
        return ""


@register.filter
def decision_word(value):
    """A council decision in words, never its code."""
    try:
        return Decision(value).label
    except ValueError:
        return "—"


@register.filter
def object_label(value):
    """What an audit entry is about (``object_type``, a model's name) in words: its verbose name."""
    from django.apps import apps

    for model in apps.get_models():
        if model._meta.model_name == value:
            return model._meta.verbose_name
    return "—"


@register.filter
def get(mapping, key):
    """``{{ counts|get:state }}``: a mapping's value for a key held in a variable."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def marked(value, words):
    """``value`` escaped, the words of a search (``config.params.parse_search``) in <mark>."""
    from initiatives.search import highlight

    return highlight(str(value or ""), list(words or []))


@register.simple_tag
def organisation_options(organisations, selected):
    """The ``<option>``s of a queue's organisation filter (up to 300 of them), built in one pass
    rather than a template loop of a dozen nodes each: the list pages' largest part."""
    from django.utils.safestring import mark_safe

    selected = selected or ""
    return mark_safe(
        "".join(
            f'<option value="{code}"{" selected" if o.code == selected else ""}>{escape(o.name)} ({code})</option>'
            for o in organisations
            for code in (escape(o.code),)
        )
    )


# --- the list and inbox tables: their rows built in one pass ----------------------------------------
# A page of 50 rows through the template engine was some 1,500 node renders, each row's state label
# through ``get_state_display`` (which hashes every state's lazy label, a translation each, per call)
# and its link through ``reverse``: most of a list page's own time. The rows below are the same
# markup, written by a function per row; the tables' headers and layout stay in the templates.


def _row_parts():
    """What every row shares, once per table: the translated labels, the states' labels, the
    detail page's address around the id, the time zone."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import gettext

    from initiatives.models import State

    marker = 987654321
    head, _sep, tail = reverse("initiative-page", args=[marker]).partition(str(marker))
    return {
        "states": {value: escape(label) for value, label in State.choices},
        "returned": ' <span class="badge returned">' + escape(gettext("bị trả lại")) + "</span>",
        "overdue": ' <span class="overdue">' + escape(gettext("quá hạn")) + "</span>",
        "href": (escape(head), escape(tail)),
        "tz": timezone.get_current_timezone(),
    }


def escape(value) -> str:
    """``django.utils.html.escape`` without its lazy-string wrapper (a lazy label is translated here)."""
    return html.escape(str(value))


def _day(value, tz) -> str:
    """``{{ value|date:"d/m/Y" }}`` in the current time zone."""
    from django.utils import timezone

    return timezone.localtime(value, tz).strftime("%d/%m/%Y")


@register.simple_tag(takes_context=True)
def initiative_rows(context, items):
    """The ``<tr>``s of ``workflow/_table.html``: reference and title linked to the dossier (the
    title with the search's words marked when the list set ``title_marked``, and the summary's
    snippet), organisation, state, due date (overdue past ``now``), and the benefit unless the
    row's ``content_visible`` is False."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import SafeData, mark_safe
    from django.utils.text import Truncator
    from django.utils.translation import gettext

    parts = _row_parts()
    states, returned, overdue, (head, tail), tz = (parts[k] for k in ("states", "returned", "overdue", "href", "tz"))
    ref, title, org, state, due, benefit, secret = (
        escape(gettext(label))
        for label in (
            "Số hồ sơ",
            "Tên sáng kiến",
            "Đơn vị",
            "Trạng thái",
            "Hạn",
            "Giá trị làm lợi (VND)",
            "Sáng kiến bảo mật",
        )
    )
    now = context.get("now")
    rows = []
    for i in items:
        href = f"{head}{i.pk}{tail}"
        marked = getattr(i, "title_marked", None)
        shown = conditional_escape(marked) if marked else escape(i.title)
        snippet = getattr(i, "summary_marked", None)
        if snippet:
            cut = Truncator(snippet).words(40, html=True)
            snippet = (
                f'<br><small class="search-snippet">{cut if isinstance(snippet, SafeData) else escape(cut)}</small>'
            )
        else:
            snippet = ""
        label = states.get(i.state) or escape(i.state)
        flag = returned if i.state == "draft" and i.dossier_version else ""
        when = ""
        if i.due_at:
            when = _day(i.due_at, tz) + (overdue if now and i.due_at < now else "")
        if getattr(i, "content_visible", None) is False:
            value = f'<span class="muted" title="{secret}">—</span>'
        else:
            value = escape(vnd(i.benefit_value_vnd))
        rows.append(
            f'<tr>\n    <td data-label="{ref}"><a href="{href}">{escape(i.reference)}</a></td>\n'
            f'    <td data-label="{title}" class="title"><a href="{href}">{shown}</a>{snippet}</td>\n'
            f'    <td data-label="{org}">{escape(i.organisation.code)}</td>\n'
            f'    <td data-label="{state}"><span class="state state-{escape(i.state)}">{label}</span>{flag}</td>\n'
            f'    <td data-label="{due}">{when}</td>\n'
            f'    <td data-label="{benefit}" class="num">{value}</td>\n  </tr>'
        )
    return mark_safe("".join(rows))


@register.simple_tag(takes_context=True)
def task_rows(context, rows):
    """The ``<tr>``s of the inbox (``workflow/tasks.html``): ``rows`` are (initiative, the actions
    awaited of the person); filed on (days ago) and due (overdue past ``now``)."""
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext, ngettext

    parts = _row_parts()
    states, returned, overdue, (head, tail), tz = (parts[k] for k in ("states", "returned", "overdue", "href", "tz"))
    ref, title, org, state, need, filed, due = (
        escape(gettext(label))
        for label in ("Số hồ sơ", "Tên sáng kiến", "Đơn vị", "Trạng thái", "Bạn cần", "Nộp ngày", "Hạn")
    )
    complete = escape(gettext("Hoàn thiện và nộp hồ sơ"))
    now = context.get("now")
    out = []
    for i, acts in rows:
        href = f"{head}{i.pk}{tail}"
        label = states.get(i.state) or escape(i.state)
        flag = returned if i.state == "draft" and i.dossier_version else ""
        wanted = ", ".join(escape(action_label(a)) for a in acts) if acts else complete
        since = ""
        if i.submitted_at:
            n = days_since(i.submitted_at)
            days = escape(ngettext("%(n)s ngày", "%(n)s ngày", n) % {"n": n})
            since = f'{_day(i.submitted_at, tz)} <span class="muted">({days})</span>'
        when = ""
        if i.due_at:
            when = _day(i.due_at, tz) + (overdue if i.due_at < now else "")
        out.append(
            f'<tr>\n    <td data-label="{ref}"><a href="{href}">{escape(i.reference)}</a></td>\n'
            f'    <td data-label="{title}" class="title"><a href="{href}">{escape(i.title)}</a></td>\n'
            f'    <td data-label="{org}">{escape(i.organisation.code)}</td>\n'
            f'    <td data-label="{state}"><span class="state">{label}</span>{flag}</td>\n'
            f'    <td data-label="{need}">{wanted}</td>\n'
            f'    <td data-label="{filed}">{since}</td>\n'
            f'    <td data-label="{due}">{when}</td></tr>'
        )
    return mark_safe("".join(out))
