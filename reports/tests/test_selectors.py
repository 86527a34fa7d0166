"""The original design's sample queries, checked against hand-computed answers.

The hospital below: Ada (two encounters), Bob (one, plus one deleted on its own), Carl
(soft-deleted with everything he had) and Dan (registered, nothing else). Deleted rows
are planted everywhere a query could wrongly count them.
"""

import datetime as dt
from decimal import Decimal

import pytest

from billing.tests.factories import BillFactory
from patients.models import Patient
from patients.services import care_assignment_create
from patients.tests.factories import (
    ConditionFactory,
    DiagnosisFactory,
    EmergencyContactFactory,
    EncounterFactory,
    MedicationFactory,
    PatientFactory,
    PrescriptionFactory,
)
from phms.tests import personas
from reports import selectors


def _at(month, day, hour=9):
    return dt.datetime(2024, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def hospital(db):
    ada = PatientFactory(first_name="Ada", last_name="Lovelace", mrn="R-ADA")
    bob = PatientFactory(first_name="Bob", last_name="Byron", mrn="R-BOB")
    carl = PatientFactory(first_name="Carl", last_name="Gauss", mrn="R-CARL")
    PatientFactory(first_name="Dan", last_name="Dirac", mrn="R-DAN")

    ada_stay = EncounterFactory(
        patient=ada, admitted_at=_at(3, 1, 10), discharged_at=_at(3, 3), status="finished"
    )
    ada_now = EncounterFactory(patient=ada, admitted_at=_at(5, 10, 8))
    bob_visit = EncounterFactory(
        patient=bob, admitted_at=_at(4, 1, 12), discharged_at=_at(4, 1, 13), status="finished"
    )
    bob_deleted = EncounterFactory(patient=bob, admitted_at=_at(6, 1))
    carl_visit = EncounterFactory(patient=carl, admitted_at=_at(2, 1))

    def bill(encounter, total, sanctioned):
        return BillFactory(
            encounter=encounter, total_amount=Decimal(total), sanctioned_amount=Decimal(sanctioned)
        )

    bill(ada_stay, "150.00", "100.00")
    bill(ada_stay, "60.00", "50.50")
    bill(ada_stay, "1000.00", "999.00").delete()
    bill(ada_now, "20.00", "0.00")
    bill(bob_visit, "80.00", "75.25")
    bill(bob_deleted, "10.00", "10.00")
    bill(carl_visit, "500.00", "500.00")

    hypertension = ConditionFactory(code="I10", name="Hypertension")
    covid = ConditionFactory(code="U07.1", name="COVID-19")
    diabetes = ConditionFactory(code="E11.9", name="Type 2 diabetes mellitus")
    asthma = ConditionFactory(code="J45.909", name="Asthma")
    uti = ConditionFactory(code="N39.0", name="Urinary tract infection")
    depression = ConditionFactory(code="F32.9", name="Major depressive disorder")
    DiagnosisFactory(encounter=ada_stay, condition=hypertension)
    DiagnosisFactory(encounter=ada_now, condition=covid)
    DiagnosisFactory(encounter=bob_visit, condition=hypertension)
    DiagnosisFactory(encounter=bob_visit, condition=diabetes)
    DiagnosisFactory(encounter=bob_visit, condition=asthma).delete()
    DiagnosisFactory(encounter=bob_deleted, condition=uti)
    DiagnosisFactory(encounter=carl_visit, condition=hypertension)
    DiagnosisFactory(encounter=carl_visit, condition=depression)

    EmergencyContactFactory(patient=ada, first_name="Anna", last_name="Zimmer")
    EmergencyContactFactory(patient=ada, first_name="Tom", last_name="Baker")
    EmergencyContactFactory(patient=bob, first_name="Kate", last_name="Adams")
    EmergencyContactFactory(patient=bob, first_name="Xavier", last_name="Aaron").delete()
    EmergencyContactFactory(patient=carl, first_name="Yves", last_name="Carter")

    paxlovid = MedicationFactory(code="2587899", name="Paxlovid", unit_price=Decimal("1390.00"))
    albuterol = MedicationFactory(code="895994", name="Albuterol", unit_price=Decimal("45.00"))
    amlodipine = MedicationFactory(code="197361", name="Amlodipine", unit_price=Decimal("0.45"))
    ibuprofen = MedicationFactory(code="310965", name="Ibuprofen", unit_price=Decimal("0.08"))
    PrescriptionFactory(encounter=ada_stay, medication=amlodipine)
    PrescriptionFactory(encounter=ada_now, medication=ibuprofen).delete()
    PrescriptionFactory(encounter=bob_visit, medication=albuterol)
    PrescriptionFactory(encounter=carl_visit, medication=paxlovid)

    bob_deleted.delete()
    carl.delete()
    return {
        "ada": ada,
        "bob": bob,
        "ada_stay": ada_stay,
        "ada_now": ada_now,
        "bob_visit": bob_visit,
    }


@pytest.fixture
def ada_only(hospital):
    return Patient.objects.filter(pk=hospital["ada"].pk)


def test_it_lists_every_living_encounter_with_admit_and_discharge(hospital):
    rows = list(selectors.encounters_with_dates())
    assert [(row["pk"], row["admitted_at"], row["discharged_at"]) for row in rows] == [
        (hospital["ada_stay"].pk, _at(3, 1, 10), _at(3, 3)),
        (hospital["bob_visit"].pk, _at(4, 1, 12), _at(4, 1, 13)),
        (hospital["ada_now"].pk, _at(5, 10, 8), None),
    ]


def test_it_sums_sanctioned_amounts_per_encounter_without_deleted_bills(hospital):
    totals = {
        row["encounter_id"]: (row["total_sanctioned"], row["bills"])
        for row in selectors.sanctioned_amount_per_encounter()
    }
    assert totals == {
        hospital["ada_stay"].pk: (Decimal("150.50"), 2),
        hospital["ada_now"].pk: (Decimal("0.00"), 1),
        hospital["bob_visit"].pk: (Decimal("75.25"), 1),
    }


def test_it_counts_distinct_diagnosis_codes(hospital):
    # I10 (three times, once for deleted Carl), U07.1, E11.9; asthma and UTI were deleted.
    assert selectors.distinct_diagnosis_code_count() == 3


def test_it_finds_patients_diagnosed_with_hypertension_by_name_or_code(hospital):
    expected = [hospital["bob"], hospital["ada"]]  # by last name: Byron, Lovelace
    assert list(selectors.patients_diagnosed_with("Hypertension")) == expected
    assert list(selectors.patients_diagnosed_with("hypertension")) == expected
    assert list(selectors.patients_diagnosed_with("i10")) == expected
    assert list(selectors.patients_diagnosed_with("COVID-19")) == [hospital["ada"]]
    assert list(selectors.patients_diagnosed_with("Asthma")) == []
    assert list(selectors.patients_diagnosed_with("no such thing")) == []


def test_it_counts_patients_with_an_emergency_contact(hospital):
    # Ada and Bob; Carl is deleted and Dan has none.
    assert selectors.patients_with_emergency_contact_count() == 2


def test_it_lists_medications_highest_price_first(hospital):
    names = [m.name for m in selectors.medications_by_price()]
    assert names == ["Paxlovid", "Albuterol", "Amlodipine", "Ibuprofen"]


def test_it_lists_emergency_contacts_by_last_name(hospital):
    contacts = [
        (c.last_name, c.patient.first_name) for c in selectors.emergency_contacts_by_last_name()
    ]
    assert contacts == [("Adams", "Bob"), ("Baker", "Ada"), ("Zimmer", "Ada")]


def test_it_keeps_every_query_inside_the_scope(hospital, ada_only):
    assert [row["pk"] for row in selectors.encounters_with_dates(patients=ada_only)] == [
        hospital["ada_stay"].pk,
        hospital["ada_now"].pk,
    ]
    assert {
        row["encounter_id"]: row["total_sanctioned"]
        for row in selectors.sanctioned_amount_per_encounter(patients=ada_only)
    } == {hospital["ada_stay"].pk: Decimal("150.50"), hospital["ada_now"].pk: Decimal("0.00")}
    assert selectors.distinct_diagnosis_code_count(patients=ada_only) == 2
    assert list(selectors.patients_diagnosed_with("I10", patients=ada_only)) == [hospital["ada"]]
    assert selectors.patients_with_emergency_contact_count(patients=ada_only) == 1
    assert [m.name for m in selectors.medications_by_price(patients=ada_only)] == ["Amlodipine"]
    assert [c.last_name for c in selectors.emergency_contacts_by_last_name(patients=ada_only)] == [
        "Baker",
        "Zimmer",
    ]


def test_it_accepts_a_users_visible_scope(hospital):
    doctor = personas.doctor_user(username="dr.scope")
    care_assignment_create(
        encounter=hospital["bob_visit"], provider=doctor.provider, role="attending"
    )
    scope = Patient.objects.visible_to(doctor)
    assert list(selectors.patients_diagnosed_with("Hypertension", patients=scope)) == [
        hospital["bob"]
    ]
    assert selectors.distinct_diagnosis_code_count(patients=scope) == 2
    outsider = personas.user_with_role(None, username="nobody")
    assert (
        selectors.distinct_diagnosis_code_count(patients=Patient.objects.visible_to(outsider)) == 0
    )


def test_it_never_counts_deleted_patients_even_from_an_all_rows_scope(hospital):
    everyone = Patient.all_objects.all()
    assert selectors.patients_with_emergency_contact_count(patients=everyone) == 2
    assert selectors.distinct_diagnosis_code_count(patients=everyone) == 3
