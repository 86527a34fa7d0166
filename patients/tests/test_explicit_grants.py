"""An administrator grants one login explicit access to one patient from the admin."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from patients.models import Patient

pytestmark = pytest.mark.django_db


def _sees(user, patient) -> bool:
    return Patient.objects.visible_to(user).filter(pk=patient.pk).exists()


def test_it_grants_and_withdraws_explicit_access_and_logs_both(
    client, administrator, patient_record, doctor_elsewhere
):
    client.force_login(administrator)
    page = reverse("admin:patients_patient_permissions", args=[patient_record.pk])
    assert client.get(page).status_code == 200
    response = client.post(page, {"user": doctor_elsewhere.username, "submit_manage_user": "1"})
    manage = reverse(
        "admin:patients_patient_permissions_manage_user",
        args=[patient_record.pk, doctor_elsewhere.pk],
    )
    assert response.status_code == 302 and response.url == manage
    form_page = client.get(manage).content.decode()
    assert 'value="view_patient"' in form_page
    assert 'value="change_patient"' not in form_page
    assert 'value="delete_patient"' not in form_page

    assert not _sees(doctor_elsewhere, patient_record)
    assert client.post(manage, {"permissions": ["view_patient"]}).status_code == 302
    assert _sees(doctor_elsewhere, patient_record)
    # A browser always sends its CSRF token; an empty body would leave the form unbound.
    assert client.post(manage, {"csrfmiddlewaretoken": "sent"}).status_code == 302
    assert not _sees(doctor_elsewhere, patient_record)

    messages = list(
        LogEntry.objects.filter(object_id=str(patient_record.pk))
        .order_by("pk")
        .values_list("change_message", flat=True)
    )
    assert messages == [
        "Explicit access granted: dr.elsewhere view_patient",
        "Explicit access withdrew: dr.elsewhere view_patient",
    ]


def test_it_refuses_to_grant_a_patient_to_a_group(client, administrator, patient_record):
    client.force_login(administrator)
    group = Group.objects.get(name="doctor")
    url = reverse(
        "admin:patients_patient_permissions_manage_group", args=[patient_record.pk, group.pk]
    )
    response = client.post(url, {"permissions": ["view_patient"]}, follow=True)
    assert "granted to one login at a time" in response.content.decode()
    assert not _sees_group_grants(patient_record)


def _sees_group_grants(patient) -> bool:
    from guardian.models import GroupObjectPermission

    return GroupObjectPermission.objects.filter(object_pk=str(patient.pk)).exists()
