"""The admin's pages about patients write the access log (issue: reads that leave no trace)."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from access.admin_audit import AccessLoggedAdmin
from access.models import AccessLog
from patients.tests.factories import VitalSignsFactory

pytestmark = pytest.mark.django_db

# The audit trail itself: reading it is what the review is for.
NOT_ABOUT_A_PATIENT_RECORD = {AccessLog}
PATIENT_LINKS = {"patient", "encounter", "bill"}


def shows_a_patient(model) -> bool:
    names = {field.name for field in model._meta.fields}
    return model._meta.label == "patients.Patient" or bool(PATIENT_LINKS & names)


def test_every_admin_page_about_a_patient_writes_the_access_log():
    missing = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if shows_a_patient(model)
        and model not in NOT_ABOUT_A_PATIENT_RECORD
        and not model._meta.label.startswith("simple_history")
        and not isinstance(model_admin, AccessLoggedAdmin)
    ]
    assert missing == []


@pytest.fixture
def admin_client_of(administrator):
    browser = Client()
    browser.force_login(administrator)
    return browser


def entries_naming(patient):
    return AccessLog.objects.filter(patients_shown=patient, section=AccessLog.Section.ADMIN)


def test_the_patient_list_names_the_patients_it_showed(
    admin_client_of, patient_record, other_patient_record
):
    response = admin_client_of.get(reverse("admin:patients_patient_changelist"))

    assert response.status_code == 200
    entry = AccessLog.objects.get(section=AccessLog.Section.ADMIN)
    assert set(entry.patients_shown.all()) == {patient_record, other_patient_record}
    assert entry.detail == "admin patient list"


@pytest.mark.parametrize(
    ("url_name", "detail"),
    [("admin:patients_patient_change", "page"), ("admin:patients_patient_history", "history")],
)
def test_a_patient_page_and_its_history_name_the_patient(
    admin_client_of, patient_record, url_name, detail
):
    response = admin_client_of.get(reverse(url_name, args=[patient_record.pk]))

    assert response.status_code == 200
    assert entries_naming(patient_record).get().detail == f"admin patient {detail}"


def test_a_record_of_an_encounter_names_its_patient(admin_client_of, patient_record):
    vitals = VitalSignsFactory(encounter=patient_record.encounters.first())

    for url in (
        reverse("admin:patients_encounter_change", args=[vitals.encounter_id]),
        reverse("admin:patients_vitalsigns_change", args=[vitals.pk]),
        reverse("admin:patients_vitalsigns_changelist"),
    ):
        assert admin_client_of.get(url).status_code == 200

    assert entries_naming(patient_record).count() == 3


def test_a_missing_object_writes_nothing(admin_client_of):
    admin_client_of.get(reverse("admin:patients_patient_change", args=[999_999]))

    assert not AccessLog.objects.exists()
