import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessLog
from core import documents
from patients.models import Encounter, LabResult
from patients.notes import note_create
from patients.selectors import patient_chart
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


def chart_page_url(patient, page):
    return f"{chart_url(patient)}?encounters_page={page}"


def print_url(patient):
    return reverse("patients:chart_print", kwargs={"pk": patient.pk})


def shown_encounter_ids(response) -> list[int]:
    return [
        int(pk) for pk in re.findall(r'<h3 id="encounter-(\d+)-heading"', response.content.decode())
    ]


def timeline_ids(patient) -> list[int]:
    """The patient's encounters newest first, as the timeline pages them."""
    return list(
        Encounter.objects.filter(patient=patient)
        .order_by("-admitted_at", "-id")
        .values_list("pk", flat=True)
    )


@pytest.fixture
def fifty_encounter_chart(patient_record):
    """patient_record (one open encounter) plus 49 finished ones, each with every record."""
    for day in range(49):
        _add_full_encounter(patient_record, day)
    return patient_record


def test_it_loads_a_chart_of_fifty_encounters_in_as_many_queries_as_one(
    client, attending_doctor, patient_record, django_assert_max_num_queries
):
    client.force_login(attending_doctor)
    client.get(chart_url(patient_record))  # warm per-process caches (content types, etc.)
    one_encounter = {}
    for name, url in [("screen", chart_url(patient_record)), ("print", print_url(patient_record))]:
        cache.clear()  # measure a full render, not the cached sections
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        one_encounter[name] = len(captured.captured_queries)
    for day in range(49):
        _add_full_encounter(patient_record, day)

    for name, url, shown in [
        ("screen", chart_url(patient_record), 20),
        ("screen", chart_page_url(patient_record, 3), 10),
        ("print", print_url(patient_record), 50),
    ]:
        cache.clear()
        with django_assert_max_num_queries(one_encounter[name]):
            response = client.get(url)
        assert response.status_code == 200
        assert len(shown_encounter_ids(response)) == shown


def test_it_shows_the_newest_twenty_encounters_and_a_way_to_older_ones(
    client, attending_doctor, fifty_encounter_chart
):
    client.force_login(attending_doctor)

    response = client.get(chart_url(fifty_encounter_chart))

    page = response.content.decode()
    assert shown_encounter_ids(response) == timeline_ids(fifty_encounter_chart)[:20]
    assert '<nav aria-label="Encounter pages"' in page
    assert "Encounters 1–20 of 50" in page
    older = f'href="{chart_page_url(fifty_encounter_chart, 2)}#encounters-heading">Older encounters'
    assert older in page
    assert "Newer encounters" not in page


def test_it_shows_the_last_ten_of_fifty_encounters_on_page_three(
    client, attending_doctor, fifty_encounter_chart
):
    client.force_login(attending_doctor)

    response = client.get(chart_page_url(fifty_encounter_chart, 3))

    page = response.content.decode()
    assert shown_encounter_ids(response) == timeline_ids(fifty_encounter_chart)[40:]
    assert "Encounters 41–50 of 50" in page
    newer = f'href="{chart_page_url(fifty_encounter_chart, 2)}#encounters-heading">Newer encounters'
    assert newer in page
    assert "Older encounters" not in page


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        ("abc", "1–20"),
        ("", "1–20"),
        ("2.5", "1–20"),
        ("-1", "41–50"),
        ("0", "41–50"),
        ("999", "41–50"),
        ("9" * 40, "41–50"),
    ],
)
def test_it_answers_a_bad_page_number_with_a_real_page(
    client, attending_doctor, fifty_encounter_chart, asked, shown
):
    client.force_login(attending_doctor)

    response = client.get(chart_url(fifty_encounter_chart), {"encounters_page": asked})

    assert response.status_code == 200
    assert f"Encounters {shown} of 50" in response.content.decode()


def test_it_shows_no_page_navigation_on_a_short_chart(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)

    response = client.get(chart_url(patient_record))

    assert len(shown_encounter_ids(response)) == 1
    assert "Encounter pages" not in response.content.decode()


def test_it_prints_every_encounter_without_page_navigation(
    client, attending_doctor, fifty_encounter_chart
):
    client.force_login(attending_doctor)

    response = client.get(print_url(fifty_encounter_chart), {"encounters_page": "2"})

    assert shown_encounter_ids(response) == timeline_ids(fifty_encounter_chart)
    assert "Encounter pages" not in response.content.decode()
    assert "Older encounters" not in response.content.decode()


def test_it_draws_the_vitals_trend_from_encounters_on_every_page(
    client, attending_doctor, fifty_encounter_chart
):
    client.force_login(attending_doctor)

    page = client.get(chart_url(fifty_encounter_chart)).content.decode()

    # One reading per encounter, 30 of them on encounters that page 1 does not show.
    assert "Heart rate (/min): 50 readings" in page


def test_it_draws_the_vitals_trend_from_the_latest_sixty_readings(
    client, attending_doctor, patient_record
):
    encounter = patient_record.encounters.get()
    start = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
    for minute in range(70):
        VitalSignsFactory(
            encounter=encounter,
            recorded_at=start + dt.timedelta(minutes=minute),
            heart_rate=30 + minute,
        )
    client.force_login(attending_doctor)

    page = client.get(chart_url(patient_record)).content.decode()

    # The fixture's own reading (2024 or later) is the latest; the 59 before it are the
    # readings of minutes 11 to 69 (heart rates 41 to 99); older ones stay out of the trend.
    latest = encounter.vital_signs.order_by("-recorded_at").first()
    assert f"Heart rate (/min): 60 readings, latest {latest.heart_rate}, range 41 to 99" in page


def test_it_caches_each_page_of_encounters_apart(client, attending_doctor, fifty_encounter_chart):
    client.force_login(attending_doctor)
    ids = timeline_ids(fifty_encounter_chart)

    first = client.get(chart_url(fifty_encounter_chart))
    second = client.get(chart_page_url(fifty_encounter_chart, 2))
    first_again = client.get(chart_page_url(fifty_encounter_chart, 1))

    assert shown_encounter_ids(first) == ids[:20]
    assert shown_encounter_ids(second) == ids[20:40]
    assert shown_encounter_ids(first_again) == ids[:20]
    assert "Encounters 21–40 of 50" in second.content.decode()


def test_it_keeps_only_real_pages_in_the_cache(client, attending_doctor, fifty_encounter_chart):
    def rendered_afresh(number) -> bool:
        """Whether the chart read the clinical tables (a full render, not the cached one)."""
        with CaptureQueriesContext(connection) as captured:
            assert client.get(chart_page_url(fifty_encounter_chart, number)).status_code == 200
        return any("patients_vitalsigns" in query["sql"] for query in captured.captured_queries)

    client.force_login(attending_doctor)

    # Out of range: the last page is shown, but kept under no key, so each request renders.
    assert rendered_afresh(999) and rendered_afresh(999)
    assert rendered_afresh(-1) and rendered_afresh(-1)
    # A real page is rendered once, then served from the cache.
    assert rendered_afresh(3)
    assert not rendered_afresh(3)


def test_it_pages_encounters_of_the_same_time_without_overlap(patient_record):
    same_time = dt.datetime(2023, 6, 1, 8, 0, tzinfo=dt.UTC)
    for _ in range(44):
        EncounterFactory(patient=patient_record, admitted_at=same_time, finished=True)

    pages = [patient_chart(patient_record, encounters_page=number) for number in (1, 2, 3)]

    shown = [encounter.pk for page in pages for encounter in page.encounters]
    assert sorted(shown) == sorted(timeline_ids(patient_record))
    assert [len(page.encounters) for page in pages] == [20, 20, 5]


def test_it_shows_reference_ranges_without_trailing_zeros():
    from decimal import Decimal

    from patients.models import LabResult

    result = LabResult(reference_low=Decimal("0.0000"), reference_high=Decimal("0.0400"))
    assert result.reference_range == "0–0.04"
    assert LabResult(reference_high=Decimal("99.0000")).reference_range == "–99"
    assert LabResult().reference_range == ""
