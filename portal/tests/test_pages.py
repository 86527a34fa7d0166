"""The patient's pages: what each shows, and that each read is logged."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog
from billing.selectors import bill_amounts
from billing.services import bill_act, post_entry
from billing.tests.factories import BillFactory
from patients.models import Diagnosis, LabResult
from patients.notes import note_create
from patients.tests.factories import (
    AllergyFactory,
    DiagnosisFactory,
    EncounterFactory,
    LabResultFactory,
    LabTestFactory,
)
from patients.vaccinations import vaccination_record
from portal.selectors import flag_words

pytestmark = pytest.mark.django_db

PAGES = [
    "portal:home",
    "portal:visits",
    "portal:results",
    "portal:medications",
    "portal:vaccinations",
    "portal:notes",
    "portal:bills",
    "portal:appointments",
    "portal:appointment_request",
    "portal:access_log",
    "portal:print",
    "portal:details",
    "portal:password_change",
]


def test_it_sends_a_patient_from_the_home_page_to_the_portal(portal):
    response = portal.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


FORM_PAGES = {"portal:password_change", "portal:appointment_request"}


@pytest.mark.parametrize("name", [n for n in PAGES if n not in FORM_PAGES])
def test_it_refuses_post_on_read_pages(portal, name):
    assert portal.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", PAGES)
def test_it_refuses_staff(client, attending_doctor, name):
    client.force_login(attending_doctor)

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_it_logs_every_page_as_a_portal_read_of_the_record(portal, patient_record, name):
    before = AccessLog.objects.count()

    assert portal.get(reverse(name)).status_code == 200

    entry = AccessLog.objects.order_by("-id").first()
    assert AccessLog.objects.count() == before + 1
    assert entry.patient == patient_record
    assert entry.detail == "portal"
    assert entry.user.username == "patient.ada"


def test_it_shows_the_home_summary(portal, patient_record):
    patient_record.set_ssn("123-45-6789")
    patient_record.save()
    AllergyFactory(patient=patient_record, description="Penicillin", reaction="Hives")

    page = portal.get(reverse("portal:home")).content.decode()

    assert "Ada Lovelace" in page and patient_record.mrn in page
    assert "ending in 6789" in page and "123-45" not in page
    assert "Penicillin" in page and "Hives" in page
    assert "Hypertension" in page  # the active diagnosis of patient_chart
    assert "Amlodipine 5 MG Oral Tablet" in page  # its running prescription
    assert "Chest pain" in page  # the last visit
    assert "No upcoming appointments." in page


def test_it_shows_a_change_to_the_record_on_the_next_view_of_the_home_page(portal, patient_record):
    portal.get(reverse("portal:home"))  # renders and keeps the record's part
    AllergyFactory(patient=patient_record, description="Latex", reaction="Rash")

    page = portal.get(reverse("portal:home")).content.decode()

    assert "Latex" in page and "Rash" in page


def test_it_never_shows_one_records_home_page_part_on_another(
    portal, patient_record, other_patient_record, other_patient_user
):
    AllergyFactory(patient=patient_record, description="Penicillin")
    AllergyFactory(patient=other_patient_record, description="Peanuts")
    other = Client()
    other.force_login(other_patient_user)

    mine = portal.get(reverse("portal:home")).content.decode()
    theirs = other.get(reverse("portal:home")).content.decode()

    assert "Penicillin" in mine and "Peanuts" not in mine
    assert "Peanuts" in theirs and "Penicillin" not in theirs


def test_it_lists_a_problem_once_and_leaves_resolved_ones_out(portal, patient_record):
    encounter = EncounterFactory(patient=patient_record)
    DiagnosisFactory(encounter=encounter)  # Hypertension again
    resolved = LabTestFactory()  # unrelated catalog row keeps factories realistic
    assert resolved.pk
    DiagnosisFactory(
        encounter=encounter,
        condition__code="J45",
        condition__name="Asthma",
        status=Diagnosis.Status.RESOLVED,
        resolved_date=dt.date(2024, 1, 1),
        onset_date=dt.date(2023, 1, 1),
    )

    page = portal.get(reverse("portal:home")).content.decode()

    assert page.count("Hypertension") == 1
    assert "Asthma" not in page


def test_it_says_what_is_new_since_the_previous_visit(portal, client, patient_user, patient_record):
    portal.get(reverse("portal:home"))
    AccessLog.objects.filter(user=patient_user).update(at=timezone.now() - dt.timedelta(days=3))
    EncounterFactory(patient=patient_record, admitted_at=timezone.now() - dt.timedelta(days=1))
    client.logout()
    client.force_login(patient_user)  # a new session: the previous visit is read again

    page = client.get(reverse("portal:home")).content.decode()

    assert "New since your last visit" in page
    assert "1 visit" in page


def test_it_shows_visits_newest_first_with_care_team_and_what_was_recorded(
    portal, attending_doctor, patient_record
):
    EncounterFactory(
        patient=patient_record,
        reason="Old check-up",
        admitted_at=dt.datetime(2001, 2, 3, 9, 0, tzinfo=dt.UTC),
    )

    page = portal.get(reverse("portal:visits")).content.decode()

    assert page.index("Chest pain") < page.index("Old check-up")
    assert f"Dr. {attending_doctor.first_name} {attending_doctor.last_name} · Attending" in page
    assert "Hypertension" in page and "Amlodipine" in page and "blood pressure" in page


def test_it_pages_the_visits(portal, patient_record):
    for days in range(12):
        EncounterFactory(
            patient=patient_record, admitted_at=timezone.now() - dt.timedelta(days=10 + days)
        )

    first = portal.get(reverse("portal:visits")).content.decode()
    second = portal.get(reverse("portal:visits"), {"page": 2}).content.decode()

    assert first.count('data-testid="visit"') == 10
    assert second.count('data-testid="visit"') == 3
    assert "Page 2 of 2" in second


def test_it_shows_results_with_range_and_a_flag_in_words(portal, patient_record):
    encounter = patient_record.encounters.first()
    test = LabTestFactory(loinc_code="2093-3", name="Cholesterol", unit="mg/dL")
    for days, value in ((60, "180"), (30, "210"), (1, "250")):
        LabResultFactory(
            encounter=encounter,
            lab_test=test,
            value_numeric=Decimal(value),
            unit="mg/dL",
            reference_low=Decimal("0"),
            reference_high=Decimal("200"),
            abnormal_flag="H" if Decimal(value) > 200 else "N",
            observed_at=timezone.now() - dt.timedelta(days=days),
        )

    page = portal.get(reverse("portal:results")).content.decode()

    assert "Cholesterol" in page
    assert "<strong>250 mg/dL</strong>" in page
    assert "usual range 0–200 mg/dL" in page
    assert "above the usual range" in page and "within the usual range" in page
    assert "<svg" in page and "3 results" in page


def test_it_words_every_flag():
    result = LabResult(abnormal_flag="L", reference_low=Decimal("1"))
    assert flag_words(result) == "below the usual range"
    result.abnormal_flag = "N"
    assert flag_words(result) == "within the usual range"
    result.reference_low = None
    assert flag_words(result) == "no usual range given"


def test_it_prints_the_immunization_record(portal, patient_record):
    vaccination_record(
        patient=patient_record,
        vaccine="Influenza, seasonal",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2024, 10, 1),
        lot="FLU-2024-A",
    )

    page = portal.get(reverse("portal:vaccinations")).content.decode()

    assert "Influenza, seasonal" in page and "140" in page and "FLU-2024-A" in page
    assert "2024-10-01" in page
    assert "data-print" in page


def test_it_shows_one_vaccination(portal, patient_record):
    event = vaccination_record(
        patient=patient_record,
        vaccine="Tetanus",
        cvx_code="115",
        dose_number=2,
        date=dt.date(2020, 5, 1),
    )

    page = portal.get(
        reverse("portal:vaccination", kwargs={"event_id": event["id"]})
    ).content.decode()

    assert "Tetanus" in page and "115" in page


@pytest.mark.parametrize("name", ["portal:vaccinations", "portal:notes", "portal:print"])
def test_it_gives_a_notice_when_the_document_store_is_down(portal, store_down, name):
    response = portal.get(reverse(name))

    assert response.status_code == 200
    assert 'data-testid="store-down"' in response.content.decode()


def test_it_gives_a_notice_for_one_note_when_the_store_is_down(portal, store_down):
    response = portal.get(reverse("portal:note", kwargs={"note_id": "0" * 24}))

    assert response.status_code == 503
    assert "not answering" in response.content.decode()


def test_it_shows_bills_with_charged_insurance_and_owed(portal, patient_record, billing_clerk):
    encounter = patient_record.encounters.first()
    bill = BillFactory(encounter=encounter, total_amount=Decimal("200.00"), status="accepted")
    post_entry(
        bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal("150.00"), by=billing_clerk
    )
    post_entry(bill_pk=bill.pk, kind="transfer", amount=Decimal("50.00"), by=billing_clerk)

    page = portal.get(reverse("portal:bills")).content.decode()

    assert "$200.00" in page and "$150.00" in page and "<strong>$50.00</strong>" in page


def test_it_reads_the_amounts_of_each_kind_of_bill(patient_record, billing_clerk):
    encounter = patient_record.encounters.first()
    self_pay = BillFactory(
        encounter=encounter, payer=None, total_amount=Decimal("90.00"), sanctioned_amount=0
    )
    post_entry(
        bill_pk=self_pay.pk,
        kind="payment",
        party="patient",
        amount=Decimal("30.00"),
        by=billing_clerk,
    )
    self_pay.refresh_from_db()
    assert bill_amounts(self_pay).patient_owes == Decimal("60.00")
    assert bill_amounts(self_pay).insurance_paid == Decimal("0.00")

    claim = BillFactory(
        encounter=encounter, total_amount=Decimal("90.00"), sanctioned_amount=0, status="submitted"
    )
    assert bill_amounts(claim).waiting_for_insurance
    bill_act(bill_pk=claim.pk, action="deny", reason_codes=["204"], by=billing_clerk)
    post_entry(bill_pk=claim.pk, kind="transfer", amount=Decimal("90.00"), by=billing_clerk)
    claim.refresh_from_db()
    assert bill_amounts(claim).patient_owes == Decimal("90.00")


def test_it_shows_a_bill_with_its_lines(portal, patient_record):
    bill = patient_record.bills.first()

    page = portal.get(reverse("portal:bill", kwargs={"bill_pk": bill.pk})).content.decode()

    assert bill.lines.first().description in page


def test_it_shows_a_visit_with_its_shared_notes_and_bills(portal, attending_doctor, patient_record):
    encounter = patient_record.encounters.first()
    note_create(
        patient=patient_record,
        author=attending_doctor,
        kind="progress",
        text="Seen.",
        encounter=encounter,
    )

    page = portal.get(
        reverse("portal:visit", kwargs={"encounter_pk": encounter.pk})
    ).content.decode()

    assert "Progress note of" in page
    assert "Bill of" in page


def test_it_prints_the_whole_summary(portal, patient_record):
    page = portal.get(reverse("portal:print")).content.decode()

    assert "Health record summary" in page
    assert "Hypertension" in page and "Amlodipine" in page and "Chest pain" in page
