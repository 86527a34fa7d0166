"""A billing clerk works a claim from submission to paid in the browser."""

from decimal import Decimal

from playwright.sync_api import expect

from access.roles import Role
from billing.models import Bill, BillLine
from phms.tests import personas
from tests.e2e.conftest import sign_in, with_password


def test_a_clerk_works_a_claim_from_denial_to_paid(page, care_team):
    clerk = with_password(personas.user_with_role(Role.BILLING, username="bill.ledger"))
    patient = care_team["patient"]
    encounter = patient.encounters.first()
    payer = patient.coverages.first().payer if patient.coverages.exists() else None
    if payer is None:
        from patients.models import Payer

        payer = Payer.objects.create(name="Blue Harbor Health")
    bill = Bill.objects.create(
        encounter=encounter,
        patient=patient,
        payer=payer,
        issued_on=encounter.admitted_at.date(),
        total_amount=Decimal("250.00"),
    )
    BillLine.objects.create(
        bill=bill, code="99213", description="Office visit", unit_price=Decimal("250.00")
    )

    sign_in(page, clerk.username)
    page.get_by_role("link", name="Billing").click()
    expect(page.get_by_test_id("aging-buckets")).to_be_visible()
    page.shot("worklist")
    page.get_by_role("link", name=f"Bill {bill.pk}", exact=True).click()
    expect(page.get_by_test_id("bill-status")).to_have_text("Draft")

    page.get_by_role("button", name="Submit the claim").click()
    expect(page.get_by_test_id("bill-status")).to_have_text("Submitted")

    denial = page.get_by_role("form", name="Record a denial")
    denial.get_by_label("Reason codes (CARC)").select_option("197")
    denial.get_by_label("Reason", exact=True).fill("No prior authorization on file")
    denial.get_by_role("button", name="Record a denial").click()
    expect(page.get_by_test_id("bill-status")).to_have_text("Denied")
    expect(page.get_by_test_id("bill-history")).to_contain_text("197: Precertification")
    page.shot("denied")

    page.get_by_role("button", name="Resubmit").click()
    expect(page.get_by_test_id("bill-status")).to_have_text("Resubmitted")

    payment = page.get_by_role("form", name="Post a payment")
    payment.get_by_label("Paid by").select_option("payer")
    payment.get_by_label("Amount").fill("200.00")
    payment.get_by_label("Received on").fill("2026-11-30")
    payment.get_by_label("Method").select_option("eft")
    payment.get_by_label("Reference (check or ERA number)").fill("ERA-555")
    payment.get_by_role("button", name="Post the payment").click()
    expect(page.get_by_test_id("bill-status")).to_have_text("Partially paid")
    expect(page.get_by_test_id("bill-balance")).to_have_text("50.00")

    adjustment = page.get_by_role("form", name="Post an adjustment")
    adjustment.get_by_label("Adjustment").select_option("transfer")
    adjustment.get_by_label("Amount").fill("50.00")
    adjustment.get_by_label("Reason code (CARC)").select_option("2")
    adjustment.get_by_role("button", name="Post the adjustment").click()

    payment = page.get_by_role("form", name="Post a payment")
    payment.get_by_label("Paid by").select_option("patient")
    payment.get_by_label("Amount").fill("50.00")
    payment.get_by_label("Received on").fill("2026-12-01")
    payment.get_by_label("Method").select_option("card")
    payment.get_by_role("button", name="Post the payment").click()

    expect(page.get_by_test_id("bill-status")).to_have_text("Paid")
    expect(page.get_by_test_id("bill-balance")).to_have_text("0.00")
    expect(page.get_by_test_id("bill-history")).to_contain_text("Denied")
    expect(page.get_by_test_id("bill-history")).to_contain_text("Resubmitted")
    page.shot("paid")
    page.get_by_role("link", name="Patient statement").click()
    expect(page.get_by_test_id("statement-totals")).to_contain_text("Insurance paid200.00")
    expect(page.get_by_test_id("statement-bills")).to_contain_text(f"Bill {bill.pk}")
    page.shot("statement")
    bill.refresh_from_db()
    assert (bill.status, bill.balance, bill.ledger.count()) == ("paid", Decimal("0.00"), 3)
