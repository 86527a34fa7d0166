"""Two clerks book the same provider at the same instant, each on their own database
connection: exactly one booking lands, the other is refused with a message."""

import threading
import time as clock
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from access.roles import Role
from patients.tests.factories import PatientFactory
from phms.tests import personas
from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.tests.factories import WorkingHoursFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "mysql",
        reason="needs a server database: SQLite runs one writer at a time by design",
    ),
]


def test_two_clerks_booking_the_same_slot_at_once_get_one_booking(monkeypatch):
    desk = personas.user_with_role(Role.FRONT_DESK, username="desk.race")
    department = DepartmentFactory()
    doctor = DoctorFactory()
    tomorrow = timezone.localdate() + timedelta(days=1)
    WorkingHoursFactory(provider=doctor, department=department, weekday=tomorrow.weekday())
    starts_at = timezone.make_aware(datetime.combine(tomorrow, time(9, 0)))
    patients = [PatientFactory(), PatientFactory()]

    # Widen the window between the overlap check and the insert, where an unlocked
    # booking would let both through.
    checked = services._overlap_refusal

    def slow_check(**kwargs):
        refusal = checked(**kwargs)
        clock.sleep(0.5)
        return refusal

    monkeypatch.setattr(services, "_overlap_refusal", slow_check)
    barrier = threading.Barrier(2)
    outcomes = []

    def clerk(patient):
        try:
            barrier.wait(timeout=10)
            services.appointment_book(
                patient=patient,
                provider=doctor,
                department=department,
                starts_at=starts_at,
                duration_minutes=30,
                by=desk,
            )
            outcomes.append("booked")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=clerk, args=(patient,)) for patient in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("booked") == 1, outcomes
    refusal = next(outcome for outcome in outcomes if outcome != "booked")
    assert "already has an appointment from 09:00 to 09:30" in refusal
    assert Appointment.objects.filter(provider=doctor).count() == 1
