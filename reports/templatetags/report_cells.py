from decimal import Decimal
from numbers import Integral, Real

from django import template

register = template.Library()


@register.filter
def report_cell(value) -> str:
    """A table cell as people read it: thousands separated, money to the cent (numpy's
    numbers as well as Python's)."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, Integral):
        return f"{value:,}"
    if isinstance(value, Real):
        return f"{value:,.1f}"
    return str(value)


@register.filter
def is_figure(value) -> bool:
    """Numbers, and the suppression marker that stands for one, align right."""
    return isinstance(value, Real | Decimal) and not isinstance(value, bool) or (
        isinstance(value, str) and value.startswith("<")
    )
