"""The chart's cached sections: every write moves the chart version, and a cached chart
never shows less than the records hold nor anything of another viewer's session."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import documents
from patients import services
from patients.chart_cache import chart_version_bump, records_version
from patients.migrations import _chart_triggers as chart_versions
from patients.models import (
    ChartVersion,
    Condition,
    Encounter,
    Patient,
    ReferenceDataVersion,
    VitalSigns,
)
from patients.notes import note_amend, note_create
from patients.tests.factories import (
    AllergyFactory,
    CareAssignmentFactory,
    CoverageFactory,
    DiagnosisFactory,
    EmergencyContactFactory,
    EncounterFactory,
    LabResultFactory,
    PrescriptionFactory,
    SymptomFactory,
    VitalSignsFactory,
)
from patients.vaccinations import (
    vaccination_delete,
    vaccination_record,
    vaccinations_import_many,
)
from phms.tests import personas
from providers.models import HealthcareProvider

pytestmark = pytest.mark.django_db


def chart_url(patient):
    return reverse("patients:chart", kwargs={"pk": patient.pk})


def chart_version(patient) -> int:
    return ChartVersion.objects.get(patient_id=patient.pk).version


def reference_version() -> int:
    return ReferenceDataVersion.objects.get().version


def chart_queries(client, patient) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(chart_url(patient))
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


# The triggers ------------------------------------------------------------------------------

ENCOUNTER_CHILDREN = [
    CareAssignmentFactory,
    VitalSignsFactory,
    SymptomFactory,
    DiagnosisFactory,
    LabResultFactory,
    PrescriptionFactory,
]
PATIENT_CHILDREN = [EmergencyContactFactory, CoverageFactory, AllergyFactory, EncounterFactory]


@pytest.mark.parametrize("factory", ENCOUNTER_CHILDREN + PATIENT_CHILDREN)
def test_every_write_to_a_charted_table_moves_the_patients_version(factory, patient_record):
    encounter = patient_record.encounters.get()
    owner = {"patient": patient_record} if factory in PATIENT_CHILDREN else {"encounter": encounter}
    versions = [chart_version(patient_record)]

    record = factory(**owner)
    versions.append(chart_version(patient_record))
    # A bulk update skips save() and signals; the trigger still sees it.
    type(record).all_objects.filter(pk=record.pk).update(deleted_at=None)
    versions.append(chart_version(patient_record))
    record.delete()  # soft delete
    versions.append(chart_version(patient_record))
    if factory is not EncounterFactory:  # an encounter with children is PROTECTed
        type(record).all_objects.filter(pk=record.pk).hard_delete()
        versions.append(chart_version(patient_record))

    assert len(set(versions)) == len(versions), versions


@pytest.mark.parametrize("factory", ENCOUNTER_CHILDREN + PATIENT_CHILDREN)
def test_every_write_to_a_charted_table_moves_the_records_version(factory, patient_record):
    encounter = patient_record.encounters.get()
    owner = {"patient": patient_record} if factory in PATIENT_CHILDREN else {"encounter": encounter}
    versions = [records_version()]

    record = factory(**owner)
    versions.append(records_version())
    type(record).all_objects.filter(pk=record.pk).update(deleted_at=None)
    versions.append(records_version())
    record.delete()
    versions.append(records_version())

    assert len(set(versions)) == len(versions), versions


def test_a_document_store_write_moves_the_records_version(patient_record):
    before = records_version()

    chart_version_bump([patient_record.pk])

    assert records_version() != before


def test_a_write_to_one_patient_leaves_another_patients_version_alone(
    patient_record, other_patient_record
):
    before = chart_version(other_patient_record)

    VitalSignsFactory(encounter=patient_record.encounters.get())
    Patient.objects.filter(pk=patient_record.pk).update(phone="555-0100")

    assert chart_version(other_patient_record) == before


def test_moving_a_record_to_another_encounter_moves_both_patients(
    patient_record, other_patient_record
):
    vitals = VitalSigns.objects.get(encounter__patient=patient_record)
    before = chart_version(patient_record), chart_version(other_patient_record)

    VitalSigns.objects.filter(pk=vitals.pk).update(encounter=other_patient_record.encounters.get())

    after = chart_version(patient_record), chart_version(other_patient_record)
    assert after[0] != before[0] and after[1] != before[1]


def test_a_new_patient_starts_with_a_version(db):
    patient = personas.patient_chart(mrn="MRN-NEW-0001")

    assert ChartVersion.objects.filter(patient_id=patient.pk).exists()


def test_renaming_a_catalog_entry_or_provider_moves_the_reference_version(attending_doctor):
    before = reference_version()
    Condition.objects.update(name="Renamed condition")
    after_condition = reference_version()
    HealthcareProvider.all_objects.update(last_name="Renamed")
    after_provider = reference_version()

    assert before != after_condition != after_provider


def test_a_sign_in_leaves_the_reference_version_alone_but_a_new_username_moves_it(db):
    user = get_user_model().objects.create_user(username="dr.before", password="x" * 20)
    before = reference_version()

    get_user_model().objects.filter(pk=user.pk).update(last_login="2026-01-01T00:00:00Z")
    unchanged = reference_version()
    get_user_model().objects.filter(pk=user.pk).update(username="dr.after")

    assert unchanged == before
    assert reference_version() != before


def test_the_migration_drops_every_trigger_it_creates():
    created = {
        re.search(r"CREATE TRIGGER (\w+)", statement).group(1)
        for vendor in ("sqlite", "mysql")
        for statement in chart_versions.create_triggers(vendor)
        if statement.startswith("CREATE TRIGGER")
    }

    assert created == set(chart_versions.trigger_names())


def test_the_database_holds_every_trigger_the_migration_names(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT trigger_name FROM information_schema.triggers "
                "WHERE trigger_schema = DATABASE()"
            )
        present = {name for (name,) in cursor.fetchall()}

    assert set(chart_versions.trigger_names()) <= present


# The cached chart --------------------------------------------------------------------------


def test_a_second_view_of_an_unchanged_chart_reads_no_clinical_tables(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)

    first = chart_queries(client, patient_record)
    second = chart_queries(client, patient_record)

    assert any("patients_vitalsigns" in sql for sql in first)
    assert not any("patients_vitalsigns" in sql for sql in second)
    assert len(second) < len(first)


def test_the_chart_shows_vitals_recorded_after_it_was_cached(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    client.get(chart_url(patient_record))

    services.vital_signs_record(
        encounter=patient_record.encounters.get(),
        patient=patient_record,
        by=attending_doctor,
        heart_rate=143,
    )

    page = client.get(chart_url(patient_record)).content.decode()
    assert '143 <span class="vital-flag-words">Critically high</span>' in page


def test_the_chart_shows_a_new_and_an_amended_note_after_it_was_cached(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    client.get(chart_url(patient_record))

    note = note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="First words."
    )
    assert "First words." in client.get(chart_url(patient_record)).content.decode()
    note_amend(
        patient=patient_record,
        note_id=note["id"],
        author=attending_doctor,
        text="Second words.",
        reason="typo",
    )
    page = client.get(chart_url(patient_record)).content.decode()

    notes_section = page.split('data-testid="section-notes"')[1].split("</section>")[0]
    assert "Second words." in notes_section
    assert "First words." not in notes_section
    versions = page.split('data-testid="note-versions"')[1].split("</details>")[0]
    assert "First words." in versions and "Reason: typo" in versions


def test_the_chart_shows_recorded_imported_and_deleted_vaccinations_after_it_was_cached(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    client.get(chart_url(patient_record))

    event = vaccination_record(
        patient=patient_record,
        vaccine="Influenza, seasonal",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2026, 10, 1),
        by=attending_doctor,
    )
    assert "Influenza, seasonal" in client.get(chart_url(patient_record)).content.decode()
    vaccinations_import_many(
        events=[
            {
                "patient": patient_record,
                "vaccine": "Td (adult)",
                "cvx_code": "113",
                "dose_number": 1,
                "date": dt.date(2025, 1, 1),
                "external_id": "imm-1",
            }
        ]
    )
    assert "Td (adult)" in client.get(chart_url(patient_record)).content.decode()
    vaccination_delete(
        patient=patient_record, event_id=event["id"], reason="wrong chart", by=attending_doctor
    )

    assert "Influenza, seasonal" not in client.get(chart_url(patient_record)).content.decode()


def test_the_chart_shows_a_renamed_condition_after_it_was_cached(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    assert "Hypertension" in client.get(chart_url(patient_record)).content.decode()

    Condition.objects.filter(name__icontains="Hypertension").update(name="Essential hypertension")

    assert "Essential hypertension" in client.get(chart_url(patient_record)).content.decode()


def test_a_deleted_encounter_leaves_the_cached_chart_at_once(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    assert "Chest pain" in client.get(chart_url(patient_record)).content.decode()

    services.record_soft_delete(
        record=Encounter.objects.get(patient=patient_record), by=None, reason="Wrong patient"
    )

    assert "Chest pain" not in client.get(chart_url(patient_record)).content.decode()


def test_viewers_with_other_rights_get_other_sections(
    client, attending_doctor, front_desk, patient_record
):
    client.force_login(attending_doctor)
    assert "Hypertension" in client.get(chart_url(patient_record)).content.decode()

    client.force_login(front_desk)
    page = client.get(chart_url(patient_record)).content.decode()

    assert "Hypertension" not in page
    assert 'data-testid="clinical-hidden"' in page


def test_a_cached_chart_carries_nothing_of_the_viewer_who_filled_the_cache(
    client, attending_doctor, patient_record
):
    colleague = personas.doctor_user(username="dr.colleague")
    personas.put_on_care_team(colleague, patient_record)
    client.force_login(attending_doctor)
    first = client.get(chart_url(patient_record)).content.decode()
    signed_in = "{} · Doctor".format
    assert signed_in(attending_doctor.get_full_name()) in first  # the header names the viewer

    client.force_login(colleague)
    second = client.get(chart_url(patient_record)).content.decode()

    assert "Hypertension" in second
    assert signed_in(colleague.get_full_name()) in second
    assert signed_in(attending_doctor.get_full_name()) not in second


def test_a_chart_rendered_while_the_document_store_is_down_is_not_kept(
    client, settings, attending_doctor, patient_record
):
    note_create(patient=patient_record, author=attending_doctor, kind="progress", text="Kept.")
    working_store = settings.DOCUMENT_STORE_DIR
    settings.MONGO_URL = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    client.force_login(attending_doctor)
    assert 'data-testid="documents-down"' in client.get(chart_url(patient_record)).content.decode()

    settings.MONGO_URL = ""
    settings.DOCUMENT_STORE_DIR = working_store
    documents.reset_clients()
    page = client.get(chart_url(patient_record)).content.decode()

    assert 'data-testid="documents-down"' not in page
    assert "Kept." in page


def test_a_zero_cache_lifetime_renders_every_time(
    client, settings, attending_doctor, patient_record
):
    settings.CHART_CACHE_SECONDS = 0
    client.force_login(attending_doctor)
    client.get(reverse("home"))  # a session's first page also reads whether it has a 2nd factor

    first = chart_queries(client, patient_record)
    second = chart_queries(client, patient_record)

    assert any("patients_vitalsigns" in sql for sql in second)
    assert len(second) == len(first)


def test_the_print_view_is_cached_apart_from_the_screen(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    screen = client.get(chart_url(patient_record)).content.decode()

    printed = client.get(
        reverse("patients:chart_print", kwargs={"pk": patient_record.pk})
    ).content.decode()

    assert 'data-testid="chart-actions"' in screen
    assert "Back to the chart" in printed
    assert "/delete/" not in printed
