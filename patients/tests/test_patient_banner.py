"""The patient banner on every chart page, and the chart's order: summary first,
administrative data last, a section list to move between them."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.services import break_glass_open
from patients.models import Allergy, Encounter
from patients.selectors import patient_banner
from patients.tests.factories import EncounterFactory

pytestmark = pytest.mark.django_db


def _banner_html(client, patient, url_name="patients:chart"):
    html = client.get(reverse(url_name, kwargs={"pk": patient.pk})).content.decode()
    start = html.index('data-testid="patient-banner"')
    return html[start : html.index("</section>", start)]


def test_the_banner_names_the_patient_and_the_open_encounter(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)

    banner = _banner_html(client, patient_record)

    assert patient_record.full_name in banner
    assert patient_record.mrn in banner
    assert f"{patient_record.age} y" in banner
    assert patient_record.get_sex_display() in banner
    assert "Current encounter:" in banner and "Chest pain" in banner
    assert "In progress" in banner


@pytest.mark.parametrize(
    ("rows", "shown"),
    [
        ([], "Allergies not assessed"),
        (
            [
                {
                    "code_system": "SNOMED-CT",
                    "code": "716186003",
                    "description": "No known allergies",
                }
            ],
            "No known allergies",
        ),
        ([{"description": "Penicillin", "severity": "severe"}], "Penicillin</strong> (severe)"),
        (
            [{"description": "Latex", "resolved_date": dt.date(2020, 1, 1)}],
            "Allergies not assessed",
        ),
    ],
)
def test_the_banner_says_what_is_known_of_allergies(
    client, attending_doctor, patient_record, rows, shown
):
    for fields in rows:
        Allergy.objects.create(patient=patient_record, **fields)
    client.force_login(attending_doctor)

    assert shown in _banner_html(client, patient_record)


def test_with_no_open_encounter_the_banner_shows_the_last_one_as_finished(
    client, attending_doctor, patient_record
):
    patient_record.encounters.update(
        status=Encounter.Status.FINISHED, discharged_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    )
    client.force_login(attending_doctor)

    banner = _banner_html(client, patient_record)

    assert "No open encounter" in banner and "Finished" in banner


def test_the_banner_shows_an_active_emergency_access(client, doctor_elsewhere, patient_record):
    break_glass_open(user=doctor_elsewhere, patient=patient_record, reason="Unconscious in A&E")
    client.force_login(doctor_elsewhere)

    assert "Emergency access until" in _banner_html(client, patient_record)


def test_the_recording_forms_carry_the_banner(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)

    assert patient_record.mrn in _banner_html(client, patient_record, "patients:vitals_add")


def test_the_banner_costs_the_same_queries_however_long_the_record(patient_record):
    with CaptureQueriesContext(connection) as one:
        patient_banner(patient_record)
    for day in range(30):
        EncounterFactory(
            patient=patient_record, admitted_at=dt.datetime(2020, 1, 1 + day % 28, tzinfo=dt.UTC)
        )
        Allergy.objects.create(patient=patient_record, description=f"Substance {day}")

    with CaptureQueriesContext(connection) as many:
        banner = patient_banner(patient_record)

    assert len(many) == len(one) == 2
    assert len(banner.allergies.allergies) == 30


def test_the_chart_puts_the_summary_first_and_the_administrative_data_last(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    html = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk})).content.decode()

    order = [
        "section-summary",
        "section-encounters",
        "section-results",
        "section-notes",
        "section-vaccinations",
        "section-history",
        "section-demographics",
        "section-coverage",
        "section-contacts",
    ]
    positions = [html.index(f'data-testid="{testid}"') for testid in order]
    assert positions == sorted(positions)
    nav = html[html.index('data-testid="chart-nav"') :]
    for anchor in ("summary", "encounters", "results", "notes", "history", "demographics"):
        assert f'href="#{anchor}-heading"' in nav
