"""One bill's page: what it shows, who may open it, its forms, and bad input."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccessLog
from billing.models import Bill, LedgerEntry
from billing.services import bill_act, post_entry
from billing.tests.factories import BillFactory, BillLineFactory
from patients.tests.factories import DiagnosisFactory

pytestmark = pytest.mark.django_db

S = Bill.Status


@pytest.fixture
def bill(patient_record):
    bill = patient_record.bills.get()
    bill.status = S.SUBMITTED
    bill.sanctioned_amount = Decimal("0.00")
    bill.save()
    return bill


def _url(bill, name="billing:detail", **kwargs):
    return reverse(name, kwargs={"pk": bill.pk, **kwargs})


def test_it_shows_patient_encounter_lines_ledger_and_history(client, billing_clerk, bill):
    BillLineFactory(bill=bill, description="Office visit, established")
    diagnosis = DiagnosisFactory(encounter=bill.encounter)
    bill_act(
        bill_pk=bill.pk,
        action="deny",
        reason_codes=["197"],
        reason="No authorization",
        by=billing_clerk,
    )
    client.force_login(billing_clerk)

    response = client.get(_url(bill))

    page = response.content.decode()
    assert response.status_code == 200
    assert bill.patient.mrn in page and "Office visit, established" in page
    assert diagnosis.condition.code in page
    assert "197: Precertification or authorization absent" in page and "No authorization" in page
    assert "Resubmit" in page and "Appeal" in page and "Record acceptance" not in page
    entry = AccessLog.objects.latest("pk")
    assert (entry.patient_id, entry.section, entry.detail) == (
        bill.patient_id,
        "bills",
        f"bill {bill.pk}",
    )


def test_it_shows_no_clinical_note(client, billing_clerk, bill):
    from patients.notes import note_create

    note_create(patient=bill.patient, author=billing_clerk, kind="progress", text="Private words")
    client.force_login(billing_clerk)

    assert "Private words" not in client.get(_url(bill)).content.decode()


@pytest.mark.parametrize(
    "persona", ["attending_doctor", "ward_nurse", "front_desk", "patient_user"]
)
def test_everyone_but_billing_staff_gets_403(client, request, persona, bill):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(_url(bill)).status_code == 403
    assert client.post(_url(bill, "billing:payment"), {"amount": "1"}).status_code == 403
    assert (
        client.get(reverse("billing:statement", kwargs={"patient_pk": bill.patient_id})).status_code
        == 403
    )


def test_a_missing_or_deleted_bill_answers_404(client, billing_clerk, bill):
    client.force_login(billing_clerk)
    assert client.get(reverse("billing:detail", kwargs={"pk": 999999})).status_code == 404
    bill.delete(by=billing_clerk)
    assert client.get(_url(bill)).status_code == 404


def test_a_clerk_works_a_claim_through_the_forms(client, billing_clerk, bill):
    client.force_login(billing_clerk)
    bill.total_amount = Decimal("120.00")
    bill.save()

    response = client.post(
        _url(bill, "billing:action", action="accept"), {"sanctioned_amount": "100.00"}, follow=True
    )
    assert "The bill is now accepted." in response.content.decode()
    client.post(
        _url(bill, "billing:adjustment"),
        {"kind": "contractual", "amount": "20.00", "reason_code": "45"},
    )
    client.post(
        _url(bill, "billing:payment"),
        {
            "party": "payer",
            "amount": "80.00",
            "posted_on": "2026-11-30",
            "method": "eft",
            "reference": "ERA-1",
        },
    )
    client.post(
        _url(bill, "billing:adjustment"),
        {"kind": "transfer", "amount": "20.00", "reason_code": "2"},
    )
    response = client.post(
        _url(bill, "billing:payment"),
        {"party": "patient", "amount": "20.00", "posted_on": "2026-12-01", "method": "card"},
        follow=True,
    )

    bill.refresh_from_db()
    assert (bill.status, bill.balance) == (S.PAID, Decimal("0.00"))
    page = response.content.decode()
    assert "Payment of 20.00 posted." in page and "ERA-1" in page


def test_a_refused_payment_says_why_and_posts_nothing(client, billing_clerk, bill):
    client.force_login(billing_clerk)

    response = client.post(
        _url(bill, "billing:payment"),
        {"party": "payer", "amount": "100000.00", "posted_on": "2026-11-30", "method": "eft"},
        follow=True,
    )

    assert "nothing may be overpaid" in response.content.decode()
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "kwargs", "data", "message"),
    [
        (
            "billing:payment",
            {},
            {"party": "payer", "amount": "abc", "posted_on": "2026-11-30", "method": "eft"},
            "Enter a number.",
        ),
        (
            "billing:payment",
            {},
            {"party": "nobody", "amount": "5", "posted_on": "2026-13-45", "method": "eft"},
            "Enter a valid date.",
        ),
        (
            "billing:adjustment",
            {},
            {"kind": "refund", "amount": "5", "reason_code": "18"},
            "Say who the refund goes to.",
        ),
        (
            "billing:action",
            {"action": "write_off"},
            {"reason": "", "reason_codes": "45"},
            "This field is required.",
        ),
    ],
)
def test_bad_input_is_shown_on_the_page_with_what_was_typed(
    client, billing_clerk, bill, name, kwargs, data, message
):
    client.force_login(billing_clerk)

    response = client.post(_url(bill, name, **kwargs), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_an_unknown_action_is_refused_with_what_is_allowed(client, billing_clerk, bill):
    client.force_login(billing_clerk)

    response = client.post(_url(bill, "billing:action", action="teleport"), follow=True)

    page = response.content.decode()
    assert "teleport is not possible now" in page and "record acceptance" in page


def test_a_reversal_from_the_page(client, billing_clerk, bill):
    entry = post_entry(
        bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal("10.00"), by=billing_clerk
    )
    other = BillFactory(sanctioned_amount=0)
    foreign = post_entry(
        bill_pk=other.pk, kind="payment", party="payer", amount=Decimal("5.00"), by=billing_clerk
    )
    client.force_login(billing_clerk)

    assert (
        client.post(
            _url(bill, "billing:reversal"), {"entry": foreign.pk, "reason": "x"}
        ).status_code
        == 404
    )
    response = client.post(
        _url(bill, "billing:reversal"), {"entry": entry.pk, "reason": "Posted twice"}, follow=True
    )

    assert "Entry reversed (10.00)." in response.content.decode()
    bill.refresh_from_db()
    assert bill.insurance_paid == Decimal("0.00")


def test_the_page_queries_do_not_grow_with_lines_and_entries(client, billing_clerk, bill):
    bill.total_amount = Decimal("1000.00")
    bill.save()
    client.force_login(billing_clerk)
    client.get(_url(bill))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(bill))
    for _ in range(4):
        bill_act(bill_pk=bill.pk, action="deny", reason_codes=["16", "50"], by=billing_clerk)
        bill_act(bill_pk=bill.pk, action="resubmit", by=billing_clerk)
    for _ in range(12):
        BillLineFactory(bill=bill)
        DiagnosisFactory(encounter=bill.encounter)
        post_entry(
            bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal("1.00"), by=billing_clerk
        )
    with CaptureQueriesContext(connection) as many:
        client.get(_url(bill))
    assert len(many) == len(few)


def test_the_statement_and_the_portal_show_the_same_numbers(
    client, billing_clerk, patient_user, patient_record, bill
):
    bill.total_amount = Decimal("120.00")
    bill.save()
    post_entry(
        bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal("70.00"), by=billing_clerk
    )
    post_entry(bill_pk=bill.pk, kind="transfer", amount=Decimal("50.00"), by=billing_clerk)
    post_entry(
        bill_pk=bill.pk, kind="payment", party="patient", amount=Decimal("12.50"), by=billing_clerk
    )
    client.force_login(billing_clerk)

    statement = client.get(reverse("billing:statement", kwargs={"patient_pk": patient_record.pk}))

    totals = statement.context["statement"]
    assert (totals.charged, totals.insurance_paid, totals.patient_paid, totals.patient_owes) == (
        Decimal("120.00"), Decimal("70.00"), Decimal("12.50"), Decimal("37.50"),
    )  # fmt: skip
    client.force_login(patient_user)
    portal = client.get(reverse("portal:bills")).content.decode()
    assert (
        "$120.00" in portal
        and "$70.00" in portal
        and "$12.50" in portal
        and "<strong>$37.50</strong>" in portal
    )


def test_the_denial_worklist_shows_the_latest_denial(client, billing_clerk, bill):
    bill_act(bill_pk=bill.pk, action="deny", reason_codes=["16"], by=billing_clerk)
    bill_act(bill_pk=bill.pk, action="resubmit", by=billing_clerk)
    bill_act(
        bill_pk=bill.pk,
        action="deny",
        reason_codes=["50"],
        reason="Not necessary",
        by=billing_clerk,
    )
    BillFactory(status=S.SUBMITTED, sanctioned_amount=0)
    client.force_login(billing_clerk)

    response = client.get(reverse("billing:denials"))

    page = response.content.decode()
    assert [b.pk for b in response.context["page"].object_list] == [bill.pk]
    assert "50: Not deemed a medical necessity" in page and "Not necessary" in page
    assert "16: Claim lacks" not in page
    assert AccessLog.objects.filter(detail="denial worklist").exists()
