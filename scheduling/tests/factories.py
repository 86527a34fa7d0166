"""Factories for scheduling. Appointments made here skip the booking rules; tests of the
rules book through `scheduling.services`."""

from datetime import time, timedelta

import factory
from django.utils import timezone

from patients.tests.factories import PatientFactory
from providers.tests.factories import DepartmentFactory, DoctorFactory
from scheduling.models import Appointment, AppointmentRequest, WorkingHours


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    """Monday 08:00-12:00 in 15-minute slots unless told otherwise."""

    class Meta:
        model = WorkingHours

    provider = factory.SubFactory(DoctorFactory)
    department = factory.SubFactory(DepartmentFactory)
    weekday = 0
    starts_at = time(8, 0)
    ends_at = time(12, 0)
    slot_minutes = 15


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    provider = factory.SubFactory(DoctorFactory)
    department = factory.SubFactory(DepartmentFactory)
    starts_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    )
    duration_minutes = 15
    kind = Appointment.Kind.FOLLOW_UP
    reason = "Blood pressure review"


class AppointmentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AppointmentRequest

    patient = factory.SubFactory(PatientFactory)
    requested_by = factory.SubFactory("providers.tests.factories.UserFactory")
    earliest_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=1))
    reason = "Knee pain for two weeks"
