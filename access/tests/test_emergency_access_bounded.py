"""An emergency access lets a clinician read and record; it never makes itself permanent."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access.models import BreakGlassAccess
from patients.models import CareAssignment, Patient
from patients.services import care_assignment_create
from phms.tests import personas

pytestmark = pytest.mark.django_db

REASON = "Unconscious on arrival in the emergency department"

PASSWORD = "a-password-for-breaking-the-glass-7"


def _care_team_url(patient):
    encounter = personas.open_encounter(patient)
    return reverse("patients:care_team", kwargs={"pk": patient.pk, "encounter_pk": encounter.pk})


def test_it_refuses_self_assignment_through_emergency_access_and_closes_the_chart_after(
    client, patient_record, attending_doctor, doctor_elsewhere
):
    chart = reverse("patients:chart", kwargs={"pk": patient_record.pk})
    doctor_elsewhere.set_password(PASSWORD)
    doctor_elsewhere.save()
    client.force_login(doctor_elsewhere)
    assert client.get(chart).status_code == 404

    response = client.post(
        reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk}),
        {"category": "emergency_treatment", "reason": REASON, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(chart).status_code == 200

    response = client.post(
        _care_team_url(patient_record),
        {"provider": doctor_elsewhere.provider.pk, "role": "attending"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Emergency access does not allow it." in html
    assert (
        not CareAssignment.all_objects.filter(provider=doctor_elsewhere.provider)
        .filter(encounter__patient=patient_record)
        .exists()
    )

    BreakGlassAccess.objects.filter(user=doctor_elsewhere).update(
        started_at=timezone.now() - timedelta(hours=3),
        expires_at=timezone.now() - timedelta(hours=2),
    )
    assert client.get(chart).status_code == 404
    assert not Patient.objects.visible_to(doctor_elsewhere).filter(pk=patient_record.pk).exists()


def test_it_lets_the_team_front_desk_and_administrators_assign(
    patient_record, attending_doctor, front_desk, administrator
):
    encounter = personas.open_encounter(patient_record)
    for by, username in (
        (attending_doctor, "dr.by.team"),
        (front_desk, "dr.by.desk"),
        (administrator, "dr.by.admin"),
        (None, "dr.by.system"),
    ):
        newcomer = personas.doctor_user(username=username)
        care_assignment_create(
            encounter=encounter, provider=newcomer.provider, role="consulting", by=by
        )
        assert Patient.objects.visible_to(newcomer).filter(pk=patient_record.pk).exists()


def test_it_refuses_assigners_who_are_not_on_the_team(
    patient_record, doctor_elsewhere, billing_clerk, outsider
):
    encounter = personas.open_encounter(patient_record)
    newcomer = personas.doctor_user(username="dr.newcomer")
    for by in (doctor_elsewhere, billing_clerk, outsider):
        with pytest.raises(ValidationError, match="Emergency access does not allow it"):
            care_assignment_create(
                encounter=encounter, provider=newcomer.provider, role="consulting", by=by
            )
    assert not CareAssignment.all_objects.filter(provider=newcomer.provider).exists()


def test_it_keeps_the_message_on_the_care_team_page_for_the_doctors_own_undo(
    client, patient_record, attending_doctor, doctor_elsewhere
):
    """A doctor on the team who takes a colleague off can still undo it."""
    colleague = personas.doctor_user(username="dr.colleague")
    assignment = personas.put_on_care_team(colleague, patient_record, "consulting")
    client.force_login(attending_doctor)
    kwargs = {
        "pk": patient_record.pk,
        "encounter_pk": assignment.encounter_id,
        "assignment_pk": assignment.pk,
    }
    client.post(reverse("patients:care_team_end", kwargs=kwargs))
    response = client.post(reverse("patients:care_team_restore", kwargs=kwargs))
    assert [str(m) for m in get_messages(response.wsgi_request)][-1].endswith(
        "is back on the care team."
    )
