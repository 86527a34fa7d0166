"""A provider's appointments as an iCalendar feed (RFC 5545), written by `icalendar`.

Calendar programs match events by UID, so each appointment keeps one UID for life and a
cancelled appointment stays in the feed as STATUS:CANCELLED: a program that imported it
before drops it then, instead of keeping a stale visit.
"""

from datetime import UTC, datetime

from icalendar import Calendar, Event

from scheduling.models import Appointment

PRODUCT_ID = "-//PHMS//Provider schedule//EN"
UID_DOMAIN = "appointments.phms"


def appointment_uid(appointment: Appointment) -> str:
    return f"appointment-{appointment.pk}@{UID_DOMAIN}"


def _summary(appointment: Appointment) -> str:
    summary = f"{appointment.get_kind_display()}: {appointment.patient.full_name}"
    if appointment.is_video:
        summary += " (video visit)"
    return summary


def _location(appointment: Appointment) -> str:
    if appointment.is_video and appointment.meeting_link:
        return appointment.meeting_link
    return str(appointment.department)


def _event(appointment: Appointment, stamp: datetime) -> Event:
    cancelled = appointment.status == Appointment.Status.CANCELLED
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", _summary(appointment))
    event.add("location", _location(appointment))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # A cancellation is a later version of the event: programs apply it over the booking.
    event.add("sequence", 1 if cancelled else 0)
    details = [f"MRN {appointment.patient.mrn}", appointment.get_status_display()]
    if appointment.walk_in:
        details.append("Walk-in")
    if appointment.is_video and appointment.meeting_link:
        details.append(f"Join: {appointment.meeting_link}")
    event.add("description", " · ".join(details))
    if appointment.is_video and appointment.meeting_link:
        event.add("url", appointment.meeting_link)
    return event


def provider_calendar_ics(provider, appointments, *, now: datetime) -> bytes:
    """The feed of `appointments` (with patient and department loaded) of `provider`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"PHMS appointments of {provider.display_name}")
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for appointment in appointments:
        calendar.add_component(_event(appointment, stamp))
    return calendar.to_ical()
