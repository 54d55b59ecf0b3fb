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
    from django.utils.html import format_html_join
    from django.utils.safestring import mark_safe

    selected, on = selected or "", mark_safe(" selected")
    return format_html_join(
        "",
        '<option value="{}"{}>{} ({})</option>',
        ((o.code, on if o.code == selected else "", o.name, o.code) for o in organisations),
    )
