"""Every portal page reads in a number of queries that does not grow with the record."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.tests.factories import BillFactory, BillLineFactory
from patients.tests.factories import (
    CareAssignmentFactory,
    DiagnosisFactory,
    EncounterFactory,
    LabResultFactory,
    PrescriptionFactory,
    VitalSignsFactory,
)
from phms.tests import personas
from portal.tests.test_pages import PAGES as ALL_PAGES
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory, AppointmentRequestFactory

pytestmark = pytest.mark.django_db

# Every read page but the password form (it reads nothing of the record).
PAGES = [name for name in ALL_PAGES if name != "portal:password_change"]
# With 60 encounters come 60 past and 59 upcoming appointments and 59 requests.


def in_days(days: int) -> dt.datetime:
    starts = timezone.now() + dt.timedelta(days=days)
    return starts.replace(hour=9, minute=0, second=0, microsecond=0)


def patient_with_encounters(count: int, username: str):
    patient = personas.patient_chart()
    user = personas.patient_login(patient, username=username)
    start = dt.datetime(2019, 1, 1, 9, 0, tzinfo=dt.UTC)
    for index in range(count - 1):
        encounter = EncounterFactory(
            patient=patient, admitted_at=start + dt.timedelta(days=30 * index)
        )
        CareAssignmentFactory(encounter=encounter)
        VitalSignsFactory(encounter=encounter)
        DiagnosisFactory(encounter=encounter)
        LabResultFactory(encounter=encounter, observed_at=encounter.admitted_at)
        PrescriptionFactory(encounter=encounter, start_date=encounter.admitted_at.date())
        BillLineFactory(bill=BillFactory(encounter=encounter))
        AppointmentFactory(
            patient=patient,
            starts_at=encounter.admitted_at,
            status=Appointment.Status.COMPLETED,
            encounter=encounter,
        )
        AppointmentFactory(patient=patient, starts_at=in_days(index + 1))
        AppointmentRequestFactory(patient=patient)
    client = Client()
    client.force_login(user)
    return patient, client


def queries(client, url) -> int:
    client.get(url)  # the first view of a session also reads the previous visit
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", PAGES)
def test_it_reads_a_60_encounter_record_in_as_many_queries_as_a_1_encounter_one(name):
    _small, small_client = patient_with_encounters(1, "patient.small")
    big, big_client = patient_with_encounters(60, "patient.big")
    assert big.encounters.count() == 60

    assert queries(big_client, reverse(name)) == queries(small_client, reverse(name))


def test_it_reads_a_visit_and_a_bill_in_constant_queries():
    small, small_client = patient_with_encounters(1, "patient.small")
    big, big_client = patient_with_encounters(60, "patient.big")
    for name, key, getter in (
        ("portal:visit", "encounter_pk", lambda p: p.encounters.first().pk),
        ("portal:bill", "bill_pk", lambda p: p.bills.first().pk),
    ):
        small_url = reverse(name, kwargs={key: getter(small)})
        big_url = reverse(name, kwargs={key: getter(big)})
        assert queries(big_client, big_url) == queries(small_client, small_url), name
