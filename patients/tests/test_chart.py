import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.models import LabResult
from patients.notes import note_create
from patients.tests.factories import (
    CareAssignmentFactory,
    ConditionFactory,
    CoverageFactory,
    DiagnosisFactory,
    EncounterFactory,
    LabResultFactory,
    MedicationFactory,
    NursingAssignmentFactory,
    PrescriptionFactory,
    SymptomFactory,
    VitalSignsFactory,
)
from phms import documents
from phms.models import AccessLog

pytestmark = pytest.mark.django_db


def chart_url(patient):
    return reverse("patients:chart", kwargs={"pk": patient.pk})


def test_it_sends_anonymous_visitors_to_sign_in(client, patient_record):
    response = client.get(chart_url(patient_record))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_post(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)

    assert client.post(chart_url(patient_record)).status_code == 405


def test_it_answers_not_found_to_an_outsider(client, outsider, patient_record):
    client.force_login(outsider)

    assert client.get(chart_url(patient_record)).status_code == 404


def test_it_offers_break_the_glass_to_a_clinician_outside_the_care_team(
    client, doctor_elsewhere, patient_record
):
    client.force_login(doctor_elsewhere)

    response = client.get(chart_url(patient_record))

    assert response.status_code == 404
    assert reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk}) in (
        response.content.decode()
    )
    assert "Lovelace" not in response.content.decode()


def test_it_answers_not_found_for_an_unknown_patient(client, attending_doctor):
    client.force_login(attending_doctor)

    assert client.get(reverse("patients:chart", kwargs={"pk": 987654})).status_code == 404


def test_it_keeps_a_patient_on_the_portal_not_the_clinician_chart(
    client, patient_user, patient_record
):
    client.force_login(patient_user)

    assert client.get(chart_url(patient_record)).status_code == 403


def test_it_shows_front_desk_demographics_only(client, front_desk, patient_record):
    client.force_login(front_desk)

    response = client.get(chart_url(patient_record))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="section-demographics"' in page
    assert 'data-testid="section-encounters"' not in page
    assert 'data-testid="section-notes"' not in page
    assert "Amlodipine" not in page
    assert 'data-testid="clinical-hidden"' in page


def test_it_shows_billing_no_notes(client, billing_clerk, patient_record):
    client.force_login(billing_clerk)

    page = client.get(chart_url(patient_record)).content.decode()

    assert 'data-testid="section-coverage"' in page
    assert 'data-testid="section-notes"' not in page


def test_it_shows_the_whole_chart_to_the_care_team(client, attending_doctor, patient_record):
    patient_record.set_ssn("123-45-6789")
    patient_record.save()
    CoverageFactory(patient=patient_record, payer__name="Blue Cross", member_id="BC-1")
    client.force_login(attending_doctor)

    response = client.get(chart_url(patient_record))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in page and "Lovelace" in page
    assert "***-**-6789" in page and "123-45-6789" not in page
    assert "Blue Cross" in page
    assert "Hypertension" in page
    assert "Amlodipine 5 MG Oral Tablet" in page
    assert "Chest pain" in page
    assert attending_doctor.provider.display_name in page
    assert '<svg class="chart-img" role="img"' in page
    assert 'data-testid="section-history"' in page and "Created" in page
    assert reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk}) in page
    assert "/records/vitals/" in page and "Close encounter" in page


def test_it_offers_a_nurse_vitals_but_not_diagnoses(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)

    page = client.get(chart_url(patient_record)).content.decode()

    assert reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}) in page
    assert reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk}) not in page
    assert "/records/diagnosis/" not in page


def test_it_logs_the_chart_read(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)

    client.get(chart_url(patient_record))

    logged = AccessLog.objects.filter(patient=patient_record, user=attending_doctor)
    assert list(logged.values_list("section", flat=True)) == ["chart"]


def test_it_logs_front_desk_reads_as_demographics_only(client, front_desk, patient_record):
    client.force_login(front_desk)

    client.get(chart_url(patient_record))

    assert list(AccessLog.objects.filter(user=front_desk).values_list("section", flat=True)) == [
        "demographics"
    ]


def test_it_flags_abnormal_lab_values_in_words(client, attending_doctor, patient_record):
    encounter = patient_record.encounters.get()
    LabResultFactory(encounter=encounter, value_numeric=Decimal("180"))
    LabResultFactory(encounter=encounter, value_numeric=Decimal("40"))
    client.force_login(attending_doctor)

    page = client.get(chart_url(patient_record)).content.decode()

    assert re.search(r'class="value-abnormal">\s*High', page)
    assert re.search(r'class="value-abnormal">\s*Low', page)
    assert LabResult.objects.filter(abnormal_flag="H").exists()


def test_it_shows_clinical_notes_from_the_document_store(client, attending_doctor, patient_record):
    note_create(
        patient=patient_record,
        author=attending_doctor,
        kind="progress",
        text="Responding well to amlodipine.",
    )
    client.force_login(attending_doctor)

    page = client.get(chart_url(patient_record)).content.decode()

    assert "Responding well to amlodipine." in page
    assert "/amend/" in page
    assert 'data-testid="documents-down"' not in page


def test_it_still_shows_the_relational_chart_when_the_document_store_is_down(
    client, settings, attending_doctor, patient_record
):
    settings.MONGO_URL = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    client.force_login(attending_doctor)

    response = client.get(chart_url(patient_record))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="documents-down"' in page
    assert "Hypertension" in page
    settings.MONGO_URL = ""
    documents.reset_clients()


def test_it_renders_a_print_view(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)

    response = client.get(reverse("patients:chart_print", kwargs={"pk": patient_record.pk}))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Printed" in page and "Hypertension" in page
    assert AccessLog.objects.filter(user=attending_doctor, section="print").exists()


def _add_full_encounter(patient, day):
    encounter = EncounterFactory(
        patient=patient,
        admitted_at=dt.datetime(2023, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day),
        finished=True,
    )
    CareAssignmentFactory(encounter=encounter)
    NursingAssignmentFactory(encounter=encounter)
    VitalSignsFactory(encounter=encounter)
    SymptomFactory(encounter=encounter)
    DiagnosisFactory(
        encounter=encounter, condition=ConditionFactory(code=f"X{day}", name=f"C{day}")
    )
    LabResultFactory(encounter=encounter, value_numeric=Decimal(60 + day))
    PrescriptionFactory(encounter=encounter, medication=MedicationFactory(), prescriber=None)


def test_it_loads_a_chart_of_fifty_encounters_in_as_many_queries_as_one(
    client, attending_doctor, patient_record, django_assert_max_num_queries
):
    client.force_login(attending_doctor)
    client.get(chart_url(patient_record))  # warm per-process caches (content types, etc.)
    cache.clear()  # measure a full render, not the cached sections
    with CaptureQueriesContext(connection) as one_encounter:
        assert client.get(chart_url(patient_record)).status_code == 200
    for day in range(49):
        _add_full_encounter(patient_record, day)
    cache.clear()

    with django_assert_max_num_queries(len(one_encounter.captured_queries)):
        response = client.get(chart_url(patient_record))

    assert response.status_code == 200
    assert response.content.decode().count('<h3 id="encounter-') == 50


def test_it_marks_the_latest_reading_even_when_there_is_only_one():
    from types import SimpleNamespace

    from patients.vitals_chart import vitals_trend_svg

    reading = SimpleNamespace(heart_rate=61, systolic_bp=None, spo2=None)
    svg = str(vitals_trend_svg([reading]))
    assert svg.count("<svg") == 1
    assert "<circle" in svg
    assert "Heart rate (/min): 1 readings, latest 61" in svg


def test_it_shows_reference_ranges_without_trailing_zeros():
    from decimal import Decimal

    from patients.models import LabResult

    result = LabResult(reference_low=Decimal("0.0000"), reference_high=Decimal("0.0400"))
    assert result.reference_range == "0–0.04"
    assert LabResult(reference_high=Decimal("99.0000")).reference_range == "–99"
    assert LabResult().reference_range == ""
