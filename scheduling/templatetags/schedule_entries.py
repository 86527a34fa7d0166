"""The lines of a provider's day, rendered in Python: a department's day holds thousands of
them, and one template include per line cost a clerk a third of a second per page."""

from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from scheduling.models import Appointment

register = template.Library()

STATUS_BADGE = {
    Appointment.Status.BOOKED: "text-bg-primary",
    Appointment.Status.ARRIVED: "text-bg-warning",
    Appointment.Status.IN_PROGRESS: "text-bg-info",
    Appointment.Status.COMPLETED: "text-bg-success",
    Appointment.Status.NO_SHOW: "text-bg-danger",
}
KIND_LABEL = dict(Appointment.Kind.choices)
STATUS_LABEL = dict(Appointment.Status.choices)


def _pk_url(name: str):
    """`name`'s URL for any pk, reversed once (a line's link is then one string join)."""
    head, _, tail = reverse(name, kwargs={"pk": 987654321}).partition("987654321")
    return lambda pk: f"{head}{pk}{tail}"


def _hhmm(moment, zone) -> str:
    return f"{moment.astimezone(zone):%H:%M}"


def _appointment_line(entry, appointment_url) -> str:
    """HTML of an appointment's line; every value from the database goes through escape()."""
    appointment = entry.appointment
    status = appointment.status
    if entry.shows_patient:
        patient = appointment.patient
        who = (
            f'<a href="{appointment_url(appointment.pk)}">{escape(patient.full_name)}</a> '
            f'<span class="text-body-secondary small">{escape(patient.mrn)}</span>'
        )
    else:
        who = "<span>Booked</span>"
    markers = ""
    if appointment.mode == Appointment.Mode.VIDEO:
        markers += ' <span class="badge text-bg-info" title="Video visit">Video</span>'
    if appointment.walk_in:
        markers += ' <span class="badge text-bg-light border">Walk-in</span>'
    return (
        f'<span class="badge {STATUS_BADGE.get(status, "text-bg-secondary")}" '
        f'data-testid="status">{escape(STATUS_LABEL.get(status, status))}</span> {who} '
        f'<span class="text-body-secondary">{escape(KIND_LABEL.get(appointment.kind, ""))}</span>'
        f"{markers}"
    )


@register.simple_tag(takes_context=True)
def schedule_entries(context, column):
    """The <li> lines of one column of a day schedule (see provider_column.html)."""
    appointment_url = _pk_url("scheduling:appointment")
    book_url = reverse("scheduling:book")
    can_book, now = context.get("can_book"), context.get("now")
    department = context.get("department")
    patient_query = context.get("patient_query", "")
    provider = column.provider
    zone = timezone.get_current_timezone()
    booking_for = escape(provider.display_name)
    patient_query = escape(patient_query)
    lines = []
    for entry in column.entries:
        extra = ""
        if entry.appointment is not None:
            body = _appointment_line(entry, appointment_url)
        elif entry.away is not None:
            extra = " list-group-item-light"
            kind = escape(entry.away.get_kind_display().lower())
            body = f'<span class="text-body-secondary">Away ({kind})</span>'
        else:
            body = '<span class="text-success">Free</span>'
            if can_book and now is not None and entry.starts_at >= now:
                where = department or entry.department
                body += (
                    ' <a class="btn btn-sm btn-outline-primary ms-auto" '
                    f'href="{book_url}?provider={provider.pk}&amp;department='
                    f'{where.pk if where is not None else ""}&amp;start='
                    f'{quote(entry.starts_at.isoformat())}{patient_query}">Book'
                    f'<span class="visually-hidden"> {_hhmm(entry.starts_at, zone)} with '
                    f"{booking_for}</span></a>"
                )
        lines.append(
            f'<li class="list-group-item d-flex flex-wrap align-items-center gap-2{extra}" '
            f'data-testid="entry"><span class="font-monospace">{_hhmm(entry.starts_at, zone)}'
            f"–{_hhmm(entry.ends_at, zone)}</span> {body}</li>"
        )
    if not lines:
        lines.append(
            '<li class="list-group-item text-body-secondary">No working hours on this day.</li>'
        )
    return mark_safe("\n".join(lines))  # noqa: S308 (every value above is escaped)
