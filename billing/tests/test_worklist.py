"""The worklist: filters, age buckets against hand-computed totals, sorting, CSV, bulk submit."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog
from billing.models import Bill
from billing.selectors import WorklistFilters, bucket_totals, worklist
from billing.services import post_entry
from billing.tests.factories import BillFactory
from patients.tests.factories import EncounterFactory, PayerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("billing:list")
S = Bill.Status


@pytest.fixture
def aged_bills(billing_clerk):
    """Bills issued 0, 30, 31, 60, 61, 90, 91 and 400 days ago, each with its own balance."""
    today = timezone.localdate()
    acme, zenith = PayerFactory(name="Acme Health"), PayerFactory(name="Zenith Care")
    bills = {}
    for days, total, payer, status in [
        (0, "10.00", acme, S.DRAFT),
        (30, "20.00", acme, S.SUBMITTED),
        (31, "30.00", zenith, S.DENIED),
        (60, "40.00", zenith, S.ACCEPTED),
        (61, "50.00", None, S.SUBMITTED),
        (90, "60.00", acme, S.ACCEPTED),
        (91, "70.00", acme, S.ACCEPTED),
        (400, "80.00", None, S.SUBMITTED),
    ]:
        bills[days] = BillFactory(
            encounter=EncounterFactory(patient__last_name=f"Aged{days:03d}"),
            payer=payer,
            status=status,
            issued_on=today - timedelta(days=days),
            total_amount=Decimal(total),
            sanctioned_amount=0,
        )
    # A payment on the 60-day bill and a fully paid 91-day bill.
    post_entry(
        bill_pk=bills[60].pk,
        kind="payment",
        party="payer",
        amount=Decimal("15.25"),
        by=billing_clerk,
    )
    post_entry(
        bill_pk=bills[91].pk,
        kind="payment",
        party="payer",
        amount=Decimal("70.00"),
        by=billing_clerk,
    )
    return bills


def _totals(user, **filters):
    return {
        t.bucket.key: (t.bills, t.balance)
        for t in bucket_totals(user=user, filters=WorklistFilters(**filters))
    }


def test_the_buckets_add_up_to_the_hand_computed_balances(billing_clerk, aged_bills):
    assert _totals(billing_clerk) == {
        "0-30": (2, Decimal("30.00")),
        "31-60": (2, Decimal("54.75")),  # 30.00 + (40.00 - 15.25)
        "61-90": (2, Decimal("110.00")),
        "90+": (1, Decimal("80.00")),  # the 91-day bill is paid: no balance
    }
    assert _totals(billing_clerk, payer_id=aged_bills[0].payer_id) == {
        "0-30": (2, Decimal("30.00")),
        "31-60": (0, Decimal("0.00")),
        "61-90": (1, Decimal("60.00")),
        "90+": (0, Decimal("0.00")),
    }
    assert _totals(billing_clerk, self_pay=True)["90+"] == (1, Decimal("80.00"))


def _names(user, **filters):
    return [b.patient.last_name for b in worklist(user=user, filters=WorklistFilters(**filters))]


def test_each_filter_narrows_the_list(billing_clerk, aged_bills):
    assert _names(billing_clerk, bucket="31-60") == ["Aged031", "Aged060"]
    assert _names(billing_clerk, bucket="90+") == ["Aged091", "Aged400"]
    assert _names(billing_clerk, status="denied") == ["Aged031"]
    assert "Aged091" not in _names(billing_clerk, status="open")
    assert _names(billing_clerk, self_pay=True) == ["Aged061", "Aged400"]
    assert _names(billing_clerk, balance_from=Decimal("24.75"), balance_to=Decimal("50")) == [
        "Aged031",
        "Aged060",
        "Aged061",
    ]
    assert _names(billing_clerk, patient="aged06") == ["Aged060", "Aged061"]
    mrn = aged_bills[90].patient.mrn
    assert _names(billing_clerk, patient=mrn) == ["Aged090"]


def test_it_sorts_by_the_column_asked_for(billing_clerk, aged_bills):
    assert _names(billing_clerk, sort="balance")[:2] == ["Aged091", "Aged000"]
    assert _names(billing_clerk, sort="-total")[0] == "Aged400"
    assert _names(billing_clerk, sort="patient") == sorted(_names(billing_clerk))
    assert _names(billing_clerk, sort="issued")[0] == "Aged400"


def test_the_page_shows_buckets_and_filters_and_logs_the_patients_shown(
    client, billing_clerk, aged_bills
):
    client.force_login(billing_clerk)

    response = client.get(LIST_URL, {"age": "61-90", "sort": "-balance"})

    page = response.content.decode()
    assert response.status_code == 200
    assert [b.patient.last_name for b in response.context["page"].object_list] == [
        "Aged090",
        "Aged061",
    ]
    assert "110.00" in page and "Over 90 days" in page
    assert 'aria-sort="descending"' in page
    entry = AccessLog.objects.filter(detail="billing worklist").latest("pk")
    assert set(entry.patients_shown.values_list("pk", flat=True)) == {
        aged_bills[90].patient_id,
        aged_bills[61].patient_id,
    }


def test_bad_filters_get_a_message_not_an_error(client, billing_clerk, aged_bills):
    client.force_login(billing_clerk)

    response = client.get(
        LIST_URL,
        {"balance_from": "ten", "balance_to": "-1", "age": "1000", "payer": "999999", "sort": "x"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a number." in page and "Choose an age from the list." in page
    assert response.context["page"].paginator.count == len(aged_bills)


def test_the_csv_holds_the_filtered_list_and_quotes_formulas(client, billing_clerk, aged_bills):
    aged_bills[0].patient.last_name = "=HYPERLINK()"
    aged_bills[0].patient.save()
    client.force_login(billing_clerk)

    response = client.get(LIST_URL, {"age": "0-30", "export": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["bill", "issued on", "patient"]
    assert len(rows) == 3
    assert {row[2] for row in rows[1:]} == {
        "'=HYPERLINK(), " + aged_bills[0].patient.first_name,
        f"Aged030, {aged_bills[30].patient.first_name}",
    }
    assert AccessLog.objects.filter(detail="billing worklist CSV export").count() == 1


def test_bulk_submit_from_the_page(client, billing_clerk, aged_bills):
    other_draft = BillFactory(status=S.DRAFT, sanctioned_amount=0)
    client.force_login(billing_clerk)

    response = client.post(
        reverse("billing:bulk_submit"),
        {
            "bills": [aged_bills[0].pk, other_draft.pk, aged_bills[30].pk],
            "next_query": "status=draft",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"{LIST_URL}?status=draft"
    page = response.content.decode()
    assert "2 claims submitted." in page and "1 selected bill was not a draft" in page
    assert not Bill.objects.filter(status=S.DRAFT).exists()
    assert client.post(reverse("billing:bulk_submit"), {"bills": ["x"]}).status_code == 302


def test_the_worklist_queries_do_not_grow_with_the_bills(client, billing_clerk, aged_bills):
    client.force_login(billing_clerk)
    client.get(LIST_URL)  # the session's first page checks the second factor once
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    with CaptureQueriesContext(connection) as cached:
        client.get(LIST_URL)
    for _ in range(20):
        BillFactory(sanctioned_amount=0)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST_URL)
    assert len(many) == len(few)
    assert len(cached) == len(few) - 3  # the count, the buckets and the page came from the cache
    assert response.context["page"].paginator.count == len(aged_bills) + 20


def test_a_cached_summary_is_never_stale_after_a_payment(client, billing_clerk, aged_bills):
    client.force_login(billing_clerk)
    assert client.get(LIST_URL).context["buckets"][0].balance == Decimal("30.00")

    post_entry(
        bill_pk=aged_bills[30].pk,
        kind="payment",
        party="payer",
        amount=Decimal("5.00"),
        by=billing_clerk,
    )

    assert client.get(LIST_URL).context["buckets"][0].balance == Decimal("25.00")


def test_a_cached_page_still_logs_its_patients_and_carries_no_session(
    client, billing_clerk, administrator, aged_bills
):
    client.force_login(billing_clerk)
    client.get(LIST_URL)
    client.force_login(administrator)

    page = client.get(LIST_URL).content.decode()  # drawn for the clerk, the same scope

    entries = AccessLog.objects.filter(detail="billing worklist").order_by("pk")
    assert [e.user for e in entries] == [billing_clerk, administrator]
    shown = [set(e.patients_shown.values_list("pk", flat=True)) for e in entries]
    assert shown[0] == shown[1] == {bill.patient_id for bill in aged_bills.values()}
    assert page.count("csrfmiddlewaretoken") == 2  # the sign-out and the bulk-submit forms
