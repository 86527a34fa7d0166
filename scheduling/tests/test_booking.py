"""Booking rules: working hours, slots, leave, no double-booking, reschedule and cancel."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling import services
from scheduling.models import Appointment, ScheduleException
from scheduling.tests.factories import WorkingHoursFactory

pytestmark = pytest.mark.django_db


def next_weekday(weekday: int, *, after: date | None = None) -> date:
    """The first day with this weekday strictly after `after` (today by default)."""
    day = (after or timezone.localdate()) + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def clinic():
    department = DepartmentFactory(name="Cardiology clinic")
    doctor = DoctorFactory(last_name="Okafor", department=department)
    WorkingHoursFactory(provider=doctor, department=department, weekday=1)  # Tuesdays 8-12
    return doctor, department


def book(clinic, patient, starts_at, **options):
    doctor, department = clinic
    return services.appointment_book(
        patient=patient, provider=doctor, department=department, starts_at=starts_at, **options
    )


def test_it_books_a_slot_inside_working_hours(clinic, patient_record, front_desk):
    tuesday = next_weekday(1)
    appointment = book(clinic, patient_record, at(tuesday, 9, 15), by=front_desk)
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.duration_minutes == 15  # the block's slot length
    assert appointment.ends_at == at(tuesday, 9, 30)
    assert appointment.booked_by == front_desk
    assert appointment.history.first().history_user == front_desk


@pytest.mark.parametrize(
    ("weekday", "hour", "minute", "message"),
    [
        (2, 9, 0, "does not work"),  # a Wednesday: no hours
        (1, 7, 45, "does not work"),  # before the block
        (1, 11, 50, "does not work"),  # runs past the block's end
        (1, 9, 5, "start every 15 minutes from 08:00"),  # off the slot grid
    ],
)
def test_it_refuses_a_time_outside_working_hours(
    clinic, patient_record, front_desk, weekday, hour, minute, message
):
    with pytest.raises(ValidationError) as refused:
        book(clinic, patient_record, at(next_weekday(weekday), hour, minute), by=front_desk)
    assert message in " ".join(refused.value.messages)
    assert not Appointment.objects.exists()


def test_it_refuses_a_time_the_provider_is_on_leave(clinic, patient_record, front_desk):
    doctor, _ = clinic
    tuesday = next_weekday(1)
    ScheduleException.objects.create(
        provider=doctor, starts_at=at(tuesday, 0), ends_at=at(tuesday + timedelta(days=1), 0)
    )
    with pytest.raises(ValidationError) as refused:
        book(clinic, patient_record, at(tuesday, 9), by=front_desk)
    assert "is away then (leave" in " ".join(refused.value.messages)


def test_it_refuses_the_past(clinic, patient_record, front_desk):
    # Strictly before today: on a Tuesday morning "next Tuesday - 7 days" is today, later on.
    last_tuesday = next_weekday(1) - timedelta(days=14)
    with pytest.raises(ValidationError) as refused:
        book(clinic, patient_record, at(last_tuesday, 9), by=front_desk)
    assert "cannot start in the past" in " ".join(refused.value.messages)


def test_it_never_double_books_a_provider(clinic, patient_record, other_patient_record, front_desk):
    tuesday = next_weekday(1)
    book(clinic, patient_record, at(tuesday, 9), by=front_desk, duration_minutes=30)
    with pytest.raises(ValidationError) as refused:
        book(clinic, other_patient_record, at(tuesday, 9, 15), by=front_desk)
    assert "already has an appointment from 09:00 to 09:30" in " ".join(refused.value.messages)
    # The slot after the appointment is free.
    book(clinic, other_patient_record, at(tuesday, 9, 30), by=front_desk)


def test_it_never_books_a_patient_twice_at_once(patient_record, front_desk):
    tuesday = next_weekday(1)
    department = DepartmentFactory()
    first, second = DoctorFactory(), DoctorFactory()
    for doctor in (first, second):
        WorkingHoursFactory(provider=doctor, department=department, weekday=1)
    services.appointment_book(
        patient=patient_record,
        provider=first,
        department=department,
        starts_at=at(tuesday, 10),
        by=front_desk,
    )
    with pytest.raises(ValidationError) as refused:
        services.appointment_book(
            patient=patient_record,
            provider=second,
            department=department,
            starts_at=at(tuesday, 10),
            by=front_desk,
        )
    assert f"{patient_record.full_name} already has an appointment" in refused.value.messages[0]


def test_a_cancelled_appointment_frees_its_slot(
    clinic, patient_record, other_patient_record, front_desk
):
    tuesday = next_weekday(1)
    first = book(clinic, patient_record, at(tuesday, 9), by=front_desk)
    services.appointment_cancel(appointment=first, by=front_desk, reason="Patient is travelling")
    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED
    assert first.cancel_reason == "Patient is travelling"
    assert first.cancelled_by == front_desk
    book(clinic, other_patient_record, at(tuesday, 9), by=front_desk)


def test_cancelling_needs_a_reason(clinic, patient_record, front_desk):
    appointment = book(clinic, patient_record, at(next_weekday(1), 9), by=front_desk)
    with pytest.raises(ValidationError) as refused:
        services.appointment_cancel(appointment=appointment, by=front_desk, reason="  ")
    assert "Give the reason for the cancellation." in refused.value.messages
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_rescheduling_keeps_the_rules_and_skips_itself(
    clinic, patient_record, other_patient_record, front_desk
):
    tuesday = next_weekday(1)
    appointment = book(clinic, patient_record, at(tuesday, 9), by=front_desk, duration_minutes=30)
    # Moving by one slot overlaps only itself.
    services.appointment_reschedule(
        appointment=appointment, by=front_desk, starts_at=at(tuesday, 9, 15)
    )
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.ends_at) == (at(tuesday, 9, 15), at(tuesday, 9, 45))
    book(clinic, other_patient_record, at(tuesday, 10), by=front_desk)
    with pytest.raises(ValidationError):
        services.appointment_reschedule(
            appointment=appointment, by=front_desk, starts_at=at(tuesday, 9, 45)
        )
    with pytest.raises(ValidationError):
        services.appointment_reschedule(
            appointment=appointment, by=front_desk, starts_at=at(tuesday, 12)
        )
    appointment.refresh_from_db()
    assert appointment.starts_at == at(tuesday, 9, 15)
    assert appointment.history.count() == 2


def test_a_video_visit_needs_its_meeting_link(clinic, patient_record, front_desk):
    with pytest.raises(ValidationError) as refused:
        book(
            clinic,
            patient_record,
            at(next_weekday(1), 9),
            by=front_desk,
            mode=Appointment.Mode.VIDEO,
        )
    assert "meeting link" in " ".join(refused.value.messages)


def test_working_hours_of_one_weekday_never_overlap(clinic, administrator):
    doctor, department = clinic
    with pytest.raises(ValidationError) as refused:
        services.working_hours_create(
            provider=doctor,
            department=DepartmentFactory(name="Wards"),
            by=administrator,
            weekday=1,
            starts_at=time(11, 0),
            ends_at=time(13, 0),
        )
    assert "overlap" in " ".join(refused.value.messages)
    afternoon = services.working_hours_create(
        provider=doctor,
        department=department,
        by=administrator,
        weekday=1,
        starts_at=time(13, 0),
        ends_at=time(17, 0),
        slot_minutes=20,
    )
    assert str(afternoon) == "Tuesday 13:00-17:00 (20 min)"
