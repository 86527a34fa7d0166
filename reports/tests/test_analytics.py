"""The analytics selectors, checked against numbers counted by hand.

The hospital below, seen on 2026-12-03:
- Fay (F, born 1980-05-01, Massachusetts, Acme): hypertension twice, diabetes once; flu and
  COVID-19 vaccinations.
- Max (M, born 1985-07-01, Massachusetts, Beacon): hypertension once; COVID-19.
- Ivy (F, born 1988-01-01, California, Acme): diabetes once; a deleted flu vaccination.
- Leo (M, born 2010-02-02, California, no coverage): a hypertension entered in error, and a
  soft-deleted one; Tdap.
- Zoe (F, born 1980-09-09, Massachusetts, Acme) is soft-deleted with everything she had.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Bill
from billing.tests.factories import BillFactory
from patients.models import Diagnosis, Patient
from patients.tests.factories import (
    ConditionFactory,
    CoverageFactory,
    DiagnosisFactory,
    EncounterFactory,
    PatientFactory,
    PayerFactory,
)
from patients.vaccinations import vaccination_delete, vaccination_record
from reports import selectors
from reports.filters import ReportFilters

TODAY = dt.date(2026, 12, 3)


def _at(year, month, day):
    return dt.datetime(year, month, day, 9, tzinfo=dt.UTC)


class Hospital:
    pass


def _vaccinate(patient, cvx, vaccine, day=dt.date(2026, 10, 1)):
    return vaccination_record(
        patient=patient, vaccine=vaccine, cvx_code=cvx, dose_number=1, date=day
    )


@pytest.fixture
def hospital(db):
    h = Hospital()
    h.acme, h.beacon = PayerFactory(name="Acme"), PayerFactory(name="Beacon")
    h.fay = PatientFactory(sex="F", date_of_birth=dt.date(1980, 5, 1), state="Massachusetts")
    h.max = PatientFactory(sex="M", date_of_birth=dt.date(1985, 7, 1), state="Massachusetts")
    h.ivy = PatientFactory(sex="F", date_of_birth=dt.date(1988, 1, 1), state="California")
    h.leo = PatientFactory(sex="M", date_of_birth=dt.date(2010, 2, 2), state="California")
    h.zoe = PatientFactory(sex="F", date_of_birth=dt.date(1980, 9, 9), state="Massachusetts")
    for patient, payer in ((h.fay, h.acme), (h.max, h.beacon), (h.ivy, h.acme), (h.zoe, h.acme)):
        CoverageFactory(patient=patient, payer=payer)
    h.hypertension = ConditionFactory(code="I10", name="Hypertension")
    h.diabetes = ConditionFactory(code="E11.9", name="Diabetes mellitus type 2")

    def visit(patient, when, encounter_class="ambulatory"):
        return EncounterFactory(
            patient=patient,
            admitted_at=when,
            discharged_at=when + dt.timedelta(hours=1),
            status="finished",
            encounter_class=encounter_class,
        )

    fay_1 = visit(h.fay, _at(2026, 3, 2))
    fay_2 = visit(h.fay, _at(2026, 5, 4), "emergency")
    max_1 = visit(h.max, _at(2026, 5, 20))
    ivy_1 = visit(h.ivy, _at(2025, 11, 15), "inpatient")
    leo_1 = visit(h.leo, _at(2026, 3, 9))
    zoe_1 = visit(h.zoe, _at(2026, 3, 10))
    DiagnosisFactory(encounter=fay_1, condition=h.hypertension, onset_date=dt.date(2026, 3, 2))
    DiagnosisFactory(encounter=fay_2, condition=h.hypertension, onset_date=dt.date(2026, 5, 4))
    DiagnosisFactory(encounter=fay_2, condition=h.diabetes, onset_date=dt.date(2026, 5, 4))
    DiagnosisFactory(encounter=max_1, condition=h.hypertension, onset_date=dt.date(2026, 5, 20))
    DiagnosisFactory(encounter=ivy_1, condition=h.diabetes, onset_date=dt.date(2025, 11, 15))
    DiagnosisFactory(
        encounter=leo_1,
        condition=h.hypertension,
        onset_date=dt.date(2026, 3, 9),
        status=Diagnosis.Status.ENTERED_IN_ERROR,
        status_reason="Wrong patient",
    )
    DiagnosisFactory(encounter=leo_1, condition=h.hypertension).delete()
    DiagnosisFactory(encounter=zoe_1, condition=h.hypertension)

    def bill(encounter, total, status, payer):
        return BillFactory(
            encounter=encounter,
            total_amount=Decimal(total),
            sanctioned_amount=Decimal(0),
            status=status,
            payer=payer,
            issued_on=encounter.admitted_at.date(),
        )

    bill(fay_1, "100.00", Bill.Status.PAID, h.acme)
    bill(fay_2, "200.00", Bill.Status.PAID, h.acme)
    bill(max_1, "300.00", Bill.Status.PAID, h.beacon)
    bill(ivy_1, "50.00", Bill.Status.DENIED, h.acme)
    bill(leo_1, "80.00", Bill.Status.DRAFT, None)
    bill(zoe_1, "999.00", Bill.Status.PAID, h.acme)

    _vaccinate(h.fay, "150", "Influenza, quadrivalent")
    _vaccinate(h.fay, "208", "COVID-19 mRNA")
    _vaccinate(h.max, "208", "COVID-19 mRNA")
    flu = _vaccinate(h.ivy, "150", "Influenza, quadrivalent")
    vaccination_delete(patient=h.ivy, event_id=flu["id"], reason="Entered twice", by=None)
    _vaccinate(h.leo, "115", "Tdap")
    _vaccinate(h.zoe, "208", "COVID-19 mRNA")
    h.zoe.delete()
    return h


def _rows(frame, *columns):
    return [tuple(row) for row in frame[list(columns)].itertuples(index=False)]


def test_it_counts_patients_per_year_of_birth_and_sex(hospital):
    frame = selectors.birth_year_distribution(today=TODAY)

    assert _rows(frame, "period", "sex", "patients") == [
        (1980, "Female", 1),
        (1985, "Male", 1),
        (1988, "Female", 1),
        (2010, "Male", 1),
    ]


def test_it_counts_patients_per_decade_and_filters_by_state_payer_sex_and_age(hospital):
    decades = selectors.birth_year_distribution(today=TODAY, by="decade")
    acme = selectors.birth_year_distribution(
        today=TODAY, by="decade", filters=ReportFilters(payer_id=hospital.acme.pk)
    )
    massachusetts = selectors.birth_year_distribution(
        today=TODAY, filters=ReportFilters(state="Massachusetts")
    )
    # Aged 35-49 on 2026-12-03: born 1977-12-04 to 1991-12-03.
    middle_aged_men = selectors.birth_year_distribution(
        today=TODAY, filters=ReportFilters(sex="M", age_band="35-49")
    )

    assert _rows(decades, "period", "sex", "patients") == [
        (1980, "Female", 2),
        (1980, "Male", 1),
        (2010, "Male", 1),
    ]
    assert _rows(acme, "period", "sex", "patients") == [(1980, "Female", 2)]
    assert _rows(massachusetts, "period", "patients") == [(1980, 1), (1985, 1)]
    assert _rows(middle_aged_men, "period", "sex", "patients") == [(1985, "Male", 1)]


def test_it_ranks_diagnoses_by_distinct_patients_and_by_count(hospital):
    frequencies = selectors.diagnosis_frequencies(today=TODAY)

    by_patients = selectors.top_diagnoses(frequencies, rank_by="patients")
    by_count = selectors.top_diagnoses(frequencies, rank_by="diagnoses")

    # Hypertension: Fay twice and Max once (Leo's are in error or deleted, Zoe is deleted).
    assert _rows(by_patients, "rank", "code", "patients", "diagnoses") == [
        (1, "I10", 2, 3),
        (2, "E11.9", 2, 2),
    ]
    assert _rows(by_count, "code", "diagnoses") == [("I10", 3), ("E11.9", 2)]


def test_it_filters_diagnoses_by_date_and_encounter_class(hospital):
    in_may = selectors.diagnosis_frequencies(
        today=TODAY,
        filters=ReportFilters(date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 5, 31)),
    )
    emergencies = selectors.diagnosis_frequencies(
        today=TODAY, filters=ReportFilters(encounter_class="emergency")
    )

    assert sorted(_rows(in_may, "code", "patients", "diagnoses")) == [
        ("E11.9", 1, 1),
        ("I10", 2, 2),
    ]
    assert sorted(_rows(emergencies, "code", "patients")) == [("E11.9", 1), ("I10", 1)]


def test_it_totals_bills_per_status_and_payer(hospital):
    frame = selectors.claim_totals_by_status_and_payer(today=TODAY)

    assert _rows(frame, "status", "payer", "patients", "bills", "billed") == [
        ("Denied", "Acme", 1, 1, Decimal("50.00")),
        ("Draft", "Self-pay", 1, 1, Decimal("80.00")),
        ("Paid", "Acme", 1, 2, Decimal("300.00")),
        ("Paid", "Beacon", 1, 1, Decimal("300.00")),
    ]


def test_it_describes_the_billed_amounts_per_status(hospital):
    frame = selectors.claim_amount_distribution(today=TODAY).set_index("status")

    paid = frame.loc["Paid"]
    assert (paid["patients"], paid["bills"]) == (2, 3)
    assert (paid["lowest"], paid["highest"]) == (Decimal("100.00"), Decimal("300.00"))
    # Estimated from the bands: within a band (26%) of the exact median, 200.
    assert Decimal("160") <= paid["median"] <= Decimal("252")
    assert paid["lowest"] <= paid["p5"] <= paid["p25"] <= paid["median"]
    assert paid["median"] <= paid["p75"] <= paid["p95"] <= paid["highest"]
    assert frame.loc["Denied", "median"] == Decimal("50.00")


def test_it_counts_encounters_per_month_and_class_in_the_last_two_years(hospital):
    frame = selectors.encounters_per_month(today=TODAY)

    assert _rows(frame, "month", "class", "patients", "encounters") == [
        ("2025-11", "Inpatient", 1, 1),
        ("2026-03", "Ambulatory", 2, 2),
        ("2026-05", "Ambulatory", 1, 1),
        ("2026-05", "Emergency", 1, 1),
    ]
    since_april = selectors.encounters_per_month(
        today=TODAY, filters=ReportFilters(date_from=dt.date(2026, 4, 1), sex="F")
    )
    assert _rows(since_april, "month", "class", "encounters") == [("2026-05", "Emergency", 1)]


def test_it_counts_patients_per_state_and_per_payer(hospital):
    states = selectors.patients_per_state(today=TODAY)
    payers = selectors.patients_per_payer(today=TODAY)
    payers_in_massachusetts = selectors.patients_per_payer(
        today=TODAY, filters=ReportFilters(state="Massachusetts")
    )

    assert _rows(states, "state", "patients") == [("California", 2), ("Massachusetts", 2)]
    assert _rows(payers, "payer", "patients") == [("Acme", 2), ("Beacon", 1)]
    assert _rows(payers_in_massachusetts, "payer", "patients") == [("Acme", 1), ("Beacon", 1)]


def test_it_counts_patients_with_a_condition_by_age_band_and_sex(hospital):
    by_name = selectors.patients_with_condition_by_age_and_sex("hypertension", today=TODAY)
    by_code = selectors.patients_with_condition_by_age_and_sex("I10", today=TODAY)
    diabetes = selectors.patients_with_condition_by_age_and_sex("diabetes", today=TODAY)

    assert _rows(by_name, "age", "sex", "patients") == [
        ("35-49", "Female", 1),
        ("35-49", "Male", 1),
    ]
    assert _rows(by_code, "age", "sex", "patients") == _rows(by_name, "age", "sex", "patients")
    assert _rows(diabetes, "age", "sex", "patients") == [("35-49", "Female", 2)]


def test_it_counts_vaccination_coverage_and_the_cross_store_question(hospital):
    coverage, by_sex, denominator = selectors.vaccination_coverage(today=TODAY)

    assert denominator == 4
    assert _rows(coverage, "cvx", "patients", "coverage %") == [
        ("208", 2, 50.0),
        ("150", 1, 25.0),
        ("115", 1, 25.0),
    ]
    assert _rows(by_sex, "sex", "COVID-19", "influenza", "COVID-19 or influenza") == [
        ("Female", 1, 1, 1),
        ("Male", 1, 0, 1),
        ("Other", 0, 0, 0),
        ("Unknown", 0, 0, 0),
    ]


def test_the_vaccination_counts_take_the_scope_and_the_patient_filters(hospital):
    men = Patient.objects.filter(sex="M")
    coverage, by_sex, denominator = selectors.vaccination_coverage(
        patients=men, today=TODAY, filters=ReportFilters(state="California")
    )

    assert denominator == 1
    assert _rows(coverage, "cvx", "patients") == [("115", 1)]
    assert by_sex["COVID-19 or influenza"].sum() == 0


def test_every_selector_keeps_to_the_callers_scope(hospital):
    fay_only = Patient.objects.filter(pk=hospital.fay.pk)

    assert selectors.birth_year_distribution(patients=fay_only, today=TODAY)["patients"].sum() == 1
    assert set(selectors.diagnosis_frequencies(patients=fay_only, today=TODAY)["patients"]) == {1}
    assert (
        selectors.claim_totals_by_status_and_payer(patients=fay_only, today=TODAY)["bills"].sum()
        == 2
    )
    assert selectors.encounters_per_month(patients=fay_only, today=TODAY)["encounters"].sum() == 2
    assert selectors.patients_per_state(patients=fay_only, today=TODAY)["patients"].sum() == 1
    assert selectors.patients_per_payer(patients=fay_only, today=TODAY)["patients"].sum() == 1


def test_the_selectors_aggregate_in_the_database_with_a_fixed_number_of_queries(
    hospital, django_assert_max_num_queries
):
    for index in range(30):
        patient = PatientFactory()
        encounter = EncounterFactory(patient=patient, admitted_at=_at(2026, 1 + index % 11, 5))
        DiagnosisFactory(encounter=encounter, condition=hospital.diabetes)
        BillFactory(encounter=encounter, total_amount=Decimal(10 + index), sanctioned_amount=0)

    with django_assert_max_num_queries(2):
        selectors.diagnosis_frequencies(today=TODAY)
    with django_assert_max_num_queries(2):
        selectors.claim_amount_distribution(today=TODAY)
    with django_assert_max_num_queries(1):
        selectors.encounters_per_month(today=TODAY)


def _mysql_without_time_zone_tables() -> bool:
    if connection.vendor != "mysql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONVERT_TZ('2026-03-01 02:00:00', 'UTC', 'America/New_York')")
        return cursor.fetchone()[0] is None


def test_months_are_counted_in_the_current_time_zone(hospital):
    if _mysql_without_time_zone_tables():
        pytest.skip("this MySQL server has no time-zone tables (see the README)")
    # 2026-03-01 02:00 UTC is still February in New York.
    EncounterFactory(
        patient=hospital.max,
        encounter_class="urgentcare",
        admitted_at=dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC),
    )
    urgent = ReportFilters(encounter_class="urgentcare")

    utc = selectors.encounters_per_month(today=TODAY, filters=urgent)
    with timezone.override("America/New_York"):
        new_york = selectors.encounters_per_month(today=TODAY, filters=urgent)

    assert _rows(utc, "month", "encounters") == [("2026-03", 1)]
    assert _rows(new_york, "month", "encounters") == [("2026-02", 1)]
