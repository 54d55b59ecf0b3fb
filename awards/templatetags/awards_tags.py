from django import template

register = template.Library()


@register.filter
def vnd(value):
    """1234567 → "1.234.567" (Vietnamese grouping, whatever the active locale's settings)."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return value
