"""An administrator opens the dashboard, the top-10 diagnoses, filters by state, downloads
the CSV; a doctor sees the same report for their own patients, small counts hidden."""

import csv
import datetime as dt

from playwright.sync_api import expect

from access.roles import Role
from patients.tests.factories import (
    ConditionFactory,
    DiagnosisFactory,
    EncounterFactory,
    PatientFactory,
)
from phms.tests import personas
from tests.e2e.conftest import sign_in, with_password


def _diagnosed(count, *, state, condition):
    for _ in range(count):
        admitted = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
        encounter = EncounterFactory(
            patient=PatientFactory(state=state),
            admitted_at=admitted,
            discharged_at=admitted + dt.timedelta(hours=1),
            status="finished",
        )
        DiagnosisFactory(encounter=encounter, condition=condition)


def test_an_administrator_reads_the_top_diagnoses_of_one_state_and_downloads_them(
    page, care_team
):
    admin = with_password(
        personas.user_with_role(Role.ADMINISTRATOR, username="admin.reports", is_staff=True)
    )
    asthma = ConditionFactory(code="J45.909", name="Asthma")
    _diagnosed(14, state="Vermont", condition=asthma)
    _diagnosed(3, state="Maine", condition=asthma)

    sign_in(page, admin.username)
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Operations dashboard").click()
    expect(page.get_by_test_id("dashboard-updated")).to_contain_text("Last updated")
    expect(page.get_by_test_id("census-total")).to_have_text("2")  # the care team's two charts
    page.shot("dashboard")

    page.get_by_role("link", name="Reports", exact=True).first.click()
    page.get_by_role("link", name="Top 10 diagnoses").click()
    expect(page.get_by_role("img", name="Top 10 diagnoses by distinct patients")).to_be_visible()
    expect(page.get_by_test_id("report-summary")).to_contain_text("first: Asthma (17)")

    page.get_by_label("State").select_option("Vermont")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_label("State")).to_have_value("Vermont")
    expect(page.get_by_test_id("report-summary")).to_contain_text("first: Asthma (14)")
    page.shot("top-diagnoses-vermont")

    with page.expect_download() as download_info:
        page.get_by_test_id("csv-0").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert download.suggested_filename == "top-diagnoses-by-patients.csv"
    assert rows[0] == ["rank", "code", "condition", "patients", "diagnoses"]
    assert rows[1] == ["1", "J45.909", "Asthma", "14", "14"]


def test_a_doctor_sees_the_report_for_their_own_patients_with_small_counts_hidden(
    page, care_team
):
    asthma = ConditionFactory(code="J45.909", name="Asthma")
    _diagnosed(14, state="Vermont", condition=asthma)

    sign_in(page, care_team["doctor"].username)
    page.goto("/reports/top-diagnoses/")

    expect(page.get_by_test_id("report-summary")).to_contain_text("Counts under 11 patients")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Hypertension")
    expect(table).not_to_contain_text("Asthma")
    expect(table.get_by_role("row").nth(1)).to_contain_text("<11")
    page.shot("doctor-top-diagnoses")
