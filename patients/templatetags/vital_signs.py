"""The chart's vital-sign values with their flag in words and colour (no queries)."""

from django import template
from django.utils.html import format_html

from patients.vital_ranges import vital_flag

register = template.Library()


@register.filter
def flagged(vitals, measure: str):
    """`{{ vitals|flagged:"heart_rate" }}`: the value, and unless normal, its flag in words."""
    value = getattr(vitals, measure)
    if value is None:
        return "—"
    flag = vital_flag(measure, value)
    if flag is None or flag.is_normal:
        return value
    return format_html(
        '<span class="vital-flag {}">{} <span class="vital-flag-words">{}</span></span>',
        flag.css_class,
        value,
        flag.words,
    )
