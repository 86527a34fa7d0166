"""The report pages as each persona sees them: scope, suppression, cache, CSV, charts, log."""

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessLog
from billing.tests.factories import BillFactory
from core import documents
from patients.tests.factories import (
    ConditionFactory,
    CoverageFactory,
    DiagnosisFactory,
    EncounterFactory,
    PatientFactory,
)
from patients.vaccinations import vaccination_record
from reports.catalog import REPORTS

SLUGS = [report.slug for report in REPORTS]
CLAIM_SLUGS = [report.slug for report in REPORTS if report.claims]


def report_url(slug, **query):
    url = reverse("reports:report", args=[slug])
    if query:
        url += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return url


def hypertensive_patients(count):
    """`count` more patients with a hypertension diagnosis (the code patient_record has)."""
    condition = ConditionFactory()
    for _ in range(count):
        encounter = EncounterFactory(
            patient=PatientFactory(), admitted_at=dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
        )
        DiagnosisFactory(encounter=encounter, condition=condition)
        BillFactory(encounter=encounter)


class TableReader(HTMLParser):
    """The cells of every <table> of a page, as text."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(response):
    reader = TableReader()
    reader.feed(response.content.decode())
    return reader.tables


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def same_value(shown: str, exported: str) -> bool:
    """A page cell and a CSV cell say the same: equal text, or equal numbers once the page's
    thousands separators are taken out."""
    if shown == exported:
        return True
    try:
        return float(shown.replace(",", "")) == float(exported)
    except ValueError:
        return False


def with_every_kind_of_row(patient_record, count=3):
    """Rows for every report: diagnoses and bills, coverage, a vaccination."""
    hypertensive_patients(count)
    CoverageFactory(patient=patient_record)
    vaccination_record(
        patient=patient_record,
        vaccine="Influenza, quadrivalent",
        cvx_code="150",
        dose_number=1,
        date=dt.date(2026, 10, 1),
    )


# Who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("administrator", "all"),
        ("attending_doctor", "all"),
        ("ward_nurse", "all"),
        ("billing_clerk", "claims"),
        ("front_desk", "none"),
        ("patient_user", "none"),
        ("outsider", "none"),
    ],
)
def test_each_role_opens_the_reports_it_may(request, client, slug, persona, allowed):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(report_url(slug))

    may = allowed == "all" or (allowed == "claims" and slug in CLAIM_SLUGS)
    assert response.status_code == (200 if may else 403)


def test_the_reports_index_lists_only_what_the_role_may_open(client, billing_clerk, administrator):
    client.force_login(billing_clerk)
    billing_page = client.get(reverse("reports:index")).content.decode()
    client.force_login(administrator)
    admin_page = client.get(reverse("reports:index")).content.decode()

    assert report_url("claims") in billing_page
    assert report_url("top-diagnoses") not in billing_page
    assert "Operations dashboard" not in billing_page
    assert all(report_url(slug) in admin_page for slug in SLUGS)
    assert reverse("reports:dashboard") in admin_page


def test_an_unknown_report_is_404(client, administrator):
    client.force_login(administrator)

    assert client.get(report_url("no-such-report")).status_code == 404


# Scope and suppression ---------------------------------------------------------------------


def hypertension_row(response):
    table = page_tables(response)[0]
    header = table[0]
    for row in table[1:]:
        if row[header.index("Condition")] == "Hypertension":
            return dict(zip(header, row, strict=True))
    raise AssertionError("no hypertension row")


def test_administrators_count_every_patient_and_see_small_numbers(
    client, administrator, attending_doctor, patient_record
):
    hypertensive_patients(12)
    client.force_login(administrator)

    row = hypertension_row(client.get(report_url("top-diagnoses")))

    assert row["Patients"] == "13"


def test_a_doctor_counts_only_their_patients_and_small_counts_are_suppressed(
    client, attending_doctor, patient_record
):
    hypertensive_patients(12)
    client.force_login(attending_doctor)

    response = client.get(report_url("top-diagnoses"))
    exported = csv_rows(client.get(report_url("top-diagnoses", format="csv")))

    row = hypertension_row(response)
    assert row["Patients"] == "<11"
    assert row["Diagnoses"] == "<11"
    assert "Counts under 11 patients" in response.content.decode()
    assert exported[1][exported[0].index("patients")] == "<11"
    assert "13" not in [cell for line in exported for cell in line]


def test_the_threshold_comes_from_the_setting(client, settings, attending_doctor, patient_record):
    settings.REPORT_MIN_CELL_SIZE = 1
    client.force_login(attending_doctor)

    assert hypertension_row(client.get(report_url("top-diagnoses")))["Patients"] == "1"


def test_a_figure_drawn_for_one_scope_is_never_shown_for_another(
    client, administrator, attending_doctor, doctor_elsewhere, patient_record, settings
):
    settings.REPORT_MIN_CELL_SIZE = 1
    hypertensive_patients(12)
    for user in (administrator, attending_doctor, doctor_elsewhere):
        client.force_login(user)
        client.get(report_url("top-diagnoses"))  # each view cached for its own scope

    client.force_login(administrator)
    admin_row = hypertension_row(client.get(report_url("top-diagnoses")))
    client.force_login(attending_doctor)
    doctor_row = hypertension_row(client.get(report_url("top-diagnoses")))
    client.force_login(doctor_elsewhere)
    elsewhere_row = hypertension_row(client.get(report_url("top-diagnoses")))

    # 12 new, patient_record (the attending doctor's) and other_patient_record (elsewhere's).
    assert (admin_row["Patients"], doctor_row["Patients"], elsewhere_row["Patients"]) == (
        "14",
        "1",
        "1",
    )


def test_the_cached_report_follows_every_write(client, administrator, patient_record):
    client.force_login(administrator)
    before = hypertension_row(client.get(report_url("top-diagnoses")))["Patients"]

    hypertensive_patients(1)
    after = hypertension_row(client.get(report_url("top-diagnoses")))["Patients"]

    assert (before, after) == ("1", "2")


def test_the_cached_claim_report_follows_a_new_bill(client, administrator, patient_record):
    client.force_login(administrator)

    def bills_shown():
        table = page_tables(client.get(report_url("claims")))[0]
        return sum(int(row[table[0].index("Bills")].replace(",", "")) for row in table[1:])

    before = bills_shown()
    BillFactory(encounter=patient_record.encounters.get())

    assert (before, bills_shown()) == (1, 2)


def test_a_repeat_view_comes_from_the_cache(client, administrator, patient_record):
    client.force_login(administrator)
    client.get(report_url("top-diagnoses"))

    with CaptureQueriesContext(connection) as repeat:
        client.get(report_url("top-diagnoses"))

    assert not any("patients_diagnosis" in query["sql"] for query in repeat.captured_queries)


# The table, its CSV and the chart ----------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_the_csv_holds_the_numbers_of_the_table_on_the_page(
    client, administrator, patient_record, slug
):
    with_every_kind_of_row(patient_record)
    client.force_login(administrator)
    page = client.get(report_url(slug))
    tables = page_tables(page)
    downloads = page.content.decode().count("Download CSV")

    assert downloads == len(tables) >= 1
    for index, table in enumerate(tables):
        response = client.get(report_url(slug, format="csv", table=index))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = csv_rows(response)
        assert [cell.lower() for cell in table[0]] == [cell.lower() for cell in rows[0]]
        assert len(table) == len(rows) > 1
        for shown, exported in zip(table[1:], rows[1:], strict=True):
            assert all(map(same_value, shown, exported)), (shown, exported)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_chart_is_inline_svg_with_a_text_alternative_and_no_inline_style(
    client, administrator, patient_record, slug
):
    with_every_kind_of_row(patient_record)
    client.force_login(administrator)
    page = client.get(report_url(slug)).content.decode()

    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg


def test_the_chart_downloads_as_svg_and_png(client, administrator, patient_record):
    client.force_login(administrator)

    svg = client.get(report_url("birth-years", format="svg"))
    png = client.get(report_url("birth-years", format="png"))

    assert svg["Content-Type"].startswith("image/svg+xml")
    assert svg["Content-Disposition"] == 'attachment; filename="birth-years.svg"'
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_a_table_that_does_not_exist_is_404(client, administrator):
    client.force_login(administrator)

    assert client.get(report_url("claims", format="csv", table=7)).status_code == 404
    assert client.get(report_url("claims", format="csv", table="x")).status_code == 404


# Filters and bad input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2026-13-45"}, "Enter a date as YYYY-MM-DD."),
        ({"date_from": "2026-05-01", "date_to": "2026-04-01"}, "The end date is before"),
        ({"payer": "999999"}, "Choose a payer from the list."),
        ({"sex": "X"}, "Choose a sex from the list."),
        ({"age_band": "12-13"}, "Choose an age band from the list."),
        ({"encounter_class": "space"}, "Choose an encounter class from the list."),
        ({"condition": "x" * 101}, "Enter at most 100 characters."),
    ],
)
def test_bad_filters_get_a_message_and_the_unfiltered_report(
    client, administrator, patient_record, query, message
):
    client.force_login(administrator)

    response = client.get(report_url("condition", **query))

    assert response.status_code == 200
    assert message in response.content.decode()


def test_filters_narrow_the_report(client, administrator, patient_record):
    hypertensive_patients(2)
    client.force_login(administrator)

    everyone = hypertension_row(client.get(report_url("top-diagnoses")))
    nobody = client.get(report_url("top-diagnoses", date_to="1999-12-31")).content.decode()

    assert everyone["Patients"] == "3"
    assert "No diagnoses match these filters." in nobody


def test_the_vaccination_report_shows_a_notice_when_the_document_store_is_down(
    client, administrator, patient_record, monkeypatch
):
    def down(*args, **kwargs):
        raise documents.DocumentStoreUnavailable("connection refused")

    monkeypatch.setattr(documents, "collection", down)
    client.force_login(administrator)

    response = client.get(report_url("vaccinations"))

    assert response.status_code == 200
    assert "The document store is not answering" in response.content.decode()


# The access log and the queries ------------------------------------------------------------


def test_every_report_view_is_logged_as_an_aggregate_view_naming_no_patient(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    AccessLog.objects.all().delete()

    client.get(report_url("top-diagnoses", state=patient_record.state))
    client.get(report_url("top-diagnoses", format="csv"))

    entries = list(AccessLog.objects.order_by("pk"))
    assert [entry.section for entry in entries] == ["reports", "reports"]
    assert all(entry.patient_id is None for entry in entries)
    assert not any(entry.patients_shown.exists() for entry in entries)
    assert entries[0].detail.startswith("top-diagnoses (html)")
    assert f"state {patient_record.state}" in entries[0].detail
    assert entries[1].detail.startswith("top-diagnoses (csv)")


@pytest.mark.parametrize("slug", SLUGS)
def test_a_report_page_asks_the_same_number_of_queries_for_more_patients(
    client, administrator, patient_record, slug
):
    client.force_login(administrator)
    client.get(reverse("home"))

    def queries():
        from django.core.cache import cache

        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(report_url(slug)).status_code == 200
        return len(captured.captured_queries)

    hypertensive_patients(2)
    few = queries()
    hypertensive_patients(20)
    many = queries()

    assert few == many


def test_the_state_filter_names_each_state_and_keeps_an_uncoded_word():
    from reports.filters import ReportFilterForm

    form = ReportFilterForm(states=["MA", "Vermont"])
    assert list(form.fields["state"].choices) == [
        ("", "Any state"),
        ("MA", "Massachusetts"),
        ("Vermont", "Vermont"),
    ]
