from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def report_cell(value) -> str:
    """A table cell as people read it: thousands separated, money to the cent."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def is_figure(value) -> bool:
    """Numbers, and the suppression marker that stands for one, align right."""
    return isinstance(value, int | float | Decimal) or (
        isinstance(value, str) and value.startswith("<")
    )
