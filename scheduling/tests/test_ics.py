"""The iCalendar feed of a provider: valid RFC 5545 that icalendar reads back."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from scheduling import ics
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 1, 6, 30, 12, 345678, tzinfo=UTC)
BERLIN_SUMMER = timezone(timedelta(hours=2))


def parsed(provider, appointments) -> list:
    feed = ics.provider_calendar_ics(provider, appointments, now=NOW)
    return Calendar.from_ical(feed).walk("VEVENT")


def test_it_writes_times_in_utc_whatever_zone_they_come_in():
    appointment = AppointmentFactory(
        starts_at=datetime(2025, 7, 2, 9, 0, tzinfo=BERLIN_SUMMER), duration_minutes=20
    )

    (event,) = parsed(appointment.provider, [appointment])

    assert event["DTSTART"].to_ical() == b"20250702T070000Z"
    assert event["DTEND"].to_ical() == b"20250702T072000Z"
    assert event["DTSTAMP"].to_ical() == b"20250701T063012Z"


def test_it_keeps_one_uid_per_appointment_across_exports_and_changes():
    appointment = AppointmentFactory()
    (before,) = parsed(appointment.provider, [appointment])

    appointment.status = Appointment.Status.CANCELLED
    appointment.starts_at += timedelta(hours=1)
    appointment.save()
    (after,) = parsed(appointment.provider, [appointment])

    uid = f"appointment-{appointment.pk}@appointments.phms"
    assert str(before["UID"]) == str(after["UID"]) == uid
    assert (str(before["STATUS"]), before["SEQUENCE"]) == ("CONFIRMED", 0)
    assert (str(after["STATUS"]), after["SEQUENCE"]) == ("CANCELLED", 1)


def test_it_puts_the_meeting_link_of_a_video_visit_where_programs_look():
    appointment = AppointmentFactory(
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/42",
        patient__first_name="Ada",
        patient__last_name="Byron",
        kind=Appointment.Kind.NEW_PATIENT,
    )

    (event,) = parsed(appointment.provider, [appointment])

    assert str(event["SUMMARY"]) == "New patient: Ada Byron (video visit)"
    assert str(event["LOCATION"]) == "https://video.example.org/room/42"
    assert str(event["URL"]) == "https://video.example.org/room/42"
    assert appointment.patient.mrn in str(event["DESCRIPTION"])


def test_it_escapes_text_that_would_break_the_format():
    appointment = AppointmentFactory(
        patient__first_name="Jo; Ann", patient__last_name="O'Neil, Jr", department__name="A, B"
    )

    feed = ics.provider_calendar_ics(appointment.provider, [appointment], now=NOW)
    (event,) = Calendar.from_ical(feed).walk("VEVENT")

    assert b"Jo\\; Ann O'Neil\\, Jr" in feed
    assert str(event["SUMMARY"]) == "Follow-up: Jo; Ann O'Neil, Jr"
    assert str(event["LOCATION"]) == "A, B"


def test_it_writes_a_valid_empty_calendar():
    appointment = AppointmentFactory()

    calendar = Calendar.from_ical(ics.provider_calendar_ics(appointment.provider, [], now=NOW))

    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == ics.PRODUCT_ID
