"""Lists that name patients write one access-log entry naming each patient shown."""

import pytest
from django.test import Client
from django.urls import reverse

from access.models import AccessLog
from billing.tests.factories import BillFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def only_entry(section) -> AccessLog:
    return AccessLog.objects.get(section=section)


def test_directory_search_results_name_the_patients_shown(
    front_desk, patient_record, other_patient_record
):
    signed_in(front_desk).get(reverse("patients:list"), {"q": patient_record.last_name})

    entry = only_entry(AccessLog.Section.DIRECTORY)
    assert list(entry.patients_shown.all()) == [patient_record]
    assert entry.patient_id is None and entry.detail == "patient search"


def test_a_search_that_finds_no_one_writes_nothing(front_desk, patient_record):
    signed_in(front_desk).get(reverse("patients:list"), {"q": "Nobody-by-this-name"})

    assert not AccessLog.objects.exists()


def test_an_outsider_found_for_emergency_access_is_named(doctor_elsewhere, patient_record):
    signed_in(doctor_elsewhere).get(reverse("patients:list"), {"mrn": patient_record.mrn})

    entry = only_entry(AccessLog.Section.DIRECTORY)
    assert list(entry.patients_shown.all()) == [patient_record]


def test_the_home_worklists_name_the_clinicians_patients(attending_doctor, patient_record):
    signed_in(attending_doctor).get(reverse("home"))

    entry = only_entry(AccessLog.Section.WORKLIST)
    assert list(entry.patients_shown.all()) == [patient_record]


def test_the_billing_worklist_names_the_patients_of_its_page(billing_clerk, patient_record):
    BillFactory(encounter=patient_record.encounters.first())

    signed_in(billing_clerk).get(reverse("billing:list"))

    entry = only_entry(AccessLog.Section.BILLS)
    assert list(entry.patients_shown.all()) == [patient_record]
