from django import template

from workflow.models import Decision

register = template.Library()


@register.filter
def vnd(value):
    """85000000 → "85.000.000" (Vietnamese groups thousands with dots)."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return value


@register.filter
def decision_label(value):
    try:
        return f"{Decision(value).label} ({value})"
    except ValueError:
        return value


@register.filter
def award_label(value):
    from awards.models import Award

    try:
        return Award(value).label
    except ValueError:
        return value
