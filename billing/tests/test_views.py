import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Bill
from billing.tests.factories import BillFactory
from patients.tests.factories import EncounterFactory, PayerFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("billing:list")


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_post(client, billing_clerk):
    client.force_login(billing_clerk)

    assert client.post(LIST_URL).status_code == 405


@pytest.mark.parametrize(
    "persona", ["outsider", "attending_doctor", "ward_nurse", "front_desk", "patient_user"]
)
def test_it_is_forbidden_to_everyone_but_billing_and_administrators(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(LIST_URL).status_code == 403


def test_it_lists_bills_with_patient_payer_and_amounts(client, billing_clerk, patient_record):
    self_pay = BillFactory(encounter=EncounterFactory(patient__mrn="MRN-SELF-9"), payer=None)
    client.force_login(billing_clerk)

    response = client.get(LIST_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "MRN-CARE-0001" in page and "Lovelace, Ada" in page
    assert self_pay.patient.mrn in page and "Self-pay" in page
    assert "240.00" in page and "Balance" in page
    assert '<th scope="col">Payer</th>' in page


def test_it_lets_an_administrator_see_bills(client, administrator, patient_record):
    client.force_login(administrator)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1


def test_it_filters_by_status(client, billing_clerk, patient_record):
    BillFactory(status=Bill.Status.PAID, encounter=EncounterFactory(patient__last_name="Paidup"))
    client.force_login(billing_clerk)

    response = client.get(LIST_URL, {"status": "paid"})

    assert [bill.patient.last_name for bill in response.context["page"].object_list] == ["Paidup"]


def test_it_explains_an_unknown_status_instead_of_failing(client, billing_clerk, patient_record):
    client.force_login(billing_clerk)

    response = client.get(LIST_URL, {"status": "bogus", "page": "nope"})

    assert response.status_code == 200
    assert "Choose a status from the list." in response.content.decode()
    assert response.context["page"].paginator.count == 1


def test_it_hides_soft_deleted_bills(client, billing_clerk, patient_record):
    patient_record.bills.get().delete(by=billing_clerk)
    client.force_login(billing_clerk)

    assert client.get(LIST_URL).context["page"].paginator.count == 0


def test_it_lists_many_bills_in_as_many_queries_as_one(
    client, billing_clerk, patient_record, django_assert_max_num_queries
):
    client.force_login(billing_clerk)
    client.get(LIST_URL)
    cache.clear()  # the count and the buckets are cached per billing version: count them
    with CaptureQueriesContext(connection) as one_bill:
        client.get(LIST_URL)
    payer = PayerFactory()
    for _ in range(30):
        BillFactory(payer=payer)
        BillFactory(payer=None)

    with django_assert_max_num_queries(len(one_bill.captured_queries)):
        response = client.get(LIST_URL)

    assert len(response.context["page"].object_list) == 25
