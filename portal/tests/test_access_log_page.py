"""Who looked at my record: names and roles, emergency reasons, lists, not my own views."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from access.audit import access_log_record_list
from access.models import AccessLog
from access.services import break_glass_open

pytestmark = pytest.mark.django_db


def test_it_shows_a_doctors_chart_view_by_name_and_role_not_username(
    client, attending_doctor, patient_user, patient_record
):
    client.force_login(attending_doctor)
    client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    client.force_login(patient_user)
    client.get(reverse("portal:home"))  # the patient's own view, left out

    page = client.get(reverse("portal:access_log")).content.decode()

    assert attending_doctor.get_full_name() in page
    assert "Doctor" in page and "Looked at: Chart" in page
    assert "dr.attending" not in page
    assert "patient.ada" not in page and "<strong>You</strong>" not in page


def test_it_highlights_an_emergency_access_with_its_reason(
    client, doctor_elsewhere, patient_user, patient_record
):
    break_glass_open(
        user=doctor_elsewhere, patient=patient_record, reason="Unconscious in the emergency room"
    )
    client.force_login(doctor_elsewhere)
    client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    client.force_login(patient_user)

    page = client.get(reverse("portal:access_log")).content.decode()

    assert "Emergency access" in page
    assert "Unconscious in the emergency room" in page
    assert "access-emergency" in page


def test_it_includes_lists_that_showed_the_record(front_desk, patient_user, patient_record, client):
    request = RequestFactory().get("/patients/")
    request.user = front_desk
    access_log_record_list(request, patient_ids=[patient_record.pk], section="directory")
    client.force_login(patient_user)

    page = client.get(reverse("portal:access_log")).content.decode()

    assert "Saw this record in a list: Patient search" in page
    assert "Front desk" in page


def test_it_shows_a_proxys_views_as_the_proxys(client, proxy_user, patient_user):
    client.force_login(proxy_user)
    client.get(reverse("portal:results"))
    client.force_login(patient_user)

    page = client.get(reverse("portal:access_log")).content.decode()

    assert "Proxy: Parent or guardian" in page
    assert "Looked at: Results" in page


def test_it_marks_the_proxys_own_views_as_theirs(client, proxy_user):
    client.force_login(proxy_user)
    client.get(reverse("portal:results"))

    page = client.get(reverse("portal:access_log")).content.decode()

    assert "<strong>You</strong>" in page


def test_it_pages_the_log_newest_first(client, attending_doctor, patient_user, patient_record):
    client.force_login(attending_doctor)
    for _ in range(30):
        client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    client.force_login(patient_user)

    first = client.get(reverse("portal:access_log")).content.decode()
    second = client.get(reverse("portal:access_log"), {"page": 2}).content.decode()

    assert first.count("Looked at: Chart") == 25
    assert "Page 2 of 2" in second
    assert AccessLog.objects.filter(patient=patient_record, user=attending_doctor).count() >= 30
