"""One scope and one getter: own record, proxied records, 404 for every other id."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog
from patients.notes import note_create
from patients.vaccinations import vaccination_record
from phms.tests import personas
from portal.access import portal_patients_for_user
from portal.models import ProxyAccess
from portal.services import proxy_access_grant

pytestmark = pytest.mark.django_db


def record_urls(patient, author):
    encounter = patient.encounters.first()
    note = note_create(patient=patient, author=author, kind="progress", text="Stable.")
    event = vaccination_record(
        patient=patient,
        vaccine="Influenza",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2024, 1, 2),
    )
    return [
        reverse("portal:visit", kwargs={"encounter_pk": encounter.pk}),
        reverse("portal:bill", kwargs={"bill_pk": patient.bills.first().pk}),
        reverse("portal:note", kwargs={"note_id": note["id"]}),
        reverse("portal:vaccination", kwargs={"event_id": event["id"]}),
    ]


def test_it_answers_404_to_every_id_of_another_patient(
    client, patient_user, other_patient_record, attending_doctor
):
    client.force_login(patient_user)

    for url in record_urls(other_patient_record, attending_doctor):
        assert client.get(url).status_code == 404, url


def test_it_answers_404_to_ids_that_are_not_ids(client, patient_user):
    client.force_login(patient_user)

    assert client.get(reverse("portal:note", kwargs={"note_id": "not-an-id"})).status_code == 404
    assert client.get(reverse("portal:vaccination", kwargs={"event_id": "nope"})).status_code == 404
    assert client.get(reverse("portal:visit", kwargs={"encounter_pk": 10**12})).status_code == 404


def test_it_keeps_the_patient_off_staff_pages(client, patient_user, patient_record):
    client.force_login(patient_user)

    assert (
        client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk})).status_code == 403
    )
    assert client.get(reverse("patients:list")).status_code == 403
    assert client.get(reverse("portal:review_queue")).status_code == 403
    url = reverse("portal:invitation", kwargs={"pk": patient_record.pk})
    assert client.get(url).status_code == 403


def test_it_shows_a_proxy_the_record_and_logs_the_views_as_the_proxys(
    client, proxy_user, patient_record
):
    client.force_login(proxy_user)

    page = client.get(reverse("portal:home")).content.decode()

    assert "Record of <strong>Ada Lovelace</strong>" in page
    assert "You are a proxy for this record" in page
    entry = AccessLog.objects.order_by("-id").first()
    assert entry.user == proxy_user and entry.patient == patient_record


def test_it_lets_a_proxy_who_is_a_patient_switch_between_records(
    client, other_patient_user, other_patient_record, patient_record, front_desk
):
    proxy_access_grant(
        patient=patient_record,
        proxy=other_patient_user,
        relationship=ProxyAccess.Relationship.CARER,
        ends_on=timezone.localdate() + dt.timedelta(days=30),
        by=front_desk,
    )
    client.force_login(other_patient_user)
    assert "Alan Turing" in client.get(reverse("portal:home")).content.decode()

    response = client.post(reverse("portal:switch"), {"patient": patient_record.pk})

    assert response.status_code == 302
    page = client.get(reverse("portal:home")).content.decode()
    assert "Record of <strong>Ada Lovelace</strong>" in page
    assert 'data-testid="record-switcher"' in page
    visit = reverse("portal:visit", kwargs={"encounter_pk": patient_record.encounters.first().pk})
    assert client.get(visit).status_code == 200


def test_it_refuses_to_switch_to_a_record_outside_the_scope(
    client, patient_user, other_patient_record
):
    client.force_login(patient_user)

    response = client.post(reverse("portal:switch"), {"patient": other_patient_record.pk})

    assert response.status_code == 404


def test_it_ends_proxy_access_after_its_end_date(client, patient_record):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    proxy = personas.proxy_login(patient_record, username="proxy.lapsed", ends_on=yesterday)
    client.force_login(proxy)

    assert list(portal_patients_for_user(proxy)) == []
    assert client.get(reverse("portal:home")).status_code == 404


def test_it_keeps_proxy_access_through_its_last_day(patient_record):
    proxy = personas.proxy_login(
        patient_record, username="proxy.lastday", ends_on=timezone.localdate()
    )

    assert list(portal_patients_for_user(proxy)) == [patient_record]


def test_it_ends_proxy_access_when_revoked(client, front_desk, proxy_user, patient_record):
    access = ProxyAccess.objects.get(proxy=proxy_user)
    client.force_login(front_desk)

    response = client.post(
        reverse("portal:proxy_revoke", kwargs={"pk": patient_record.pk, "access_pk": access.pk})
    )

    assert response.status_code == 302
    assert list(portal_patients_for_user(proxy_user)) == []


def test_it_lets_front_desk_grant_proxy_access_with_an_end_date(
    client, front_desk, patient_record, other_patient_user
):
    client.force_login(front_desk)
    url = reverse("portal:proxies", kwargs={"pk": patient_record.pk})
    ends = timezone.localdate() + dt.timedelta(days=90)

    response = client.post(
        url, {"username": "patient.alan", "relationship": "parent", "ends_on": ends.isoformat()}
    )

    assert response.status_code == 302
    access = ProxyAccess.objects.get(patient=patient_record, proxy=other_patient_user)
    assert access.ends_on == ends and access.granted_by == front_desk


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "nobody", "relationship": "parent"}, "No login has that username."),
        ({"username": "front.desk", "relationship": "parent"}, "not an active patient-portal"),
        ({"username": "patient.ada", "relationship": "parent"}, "the patient&#x27;s own account"),
    ],
)
def test_it_refuses_a_bad_proxy_grant_with_a_message(
    client, front_desk, patient_user, patient_record, data, message
):
    client.force_login(front_desk)
    data["ends_on"] = (timezone.localdate() + dt.timedelta(days=5)).isoformat()

    response = client.post(reverse("portal:proxies", kwargs={"pk": patient_record.pk}), data)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_it_refuses_an_end_date_in_the_past(client, front_desk, patient_record, other_patient_user):
    client.force_login(front_desk)
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    response = client.post(
        reverse("portal:proxies", kwargs={"pk": patient_record.pk}),
        {"username": "patient.alan", "relationship": "parent", "ends_on": past},
    )

    assert "The end date cannot be in the past." in response.content.decode()
    assert not ProxyAccess.objects.exists()
