"""Taking a provider off an encounter's care team from the care-team page, and Undo."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from patients.models import CareAssignment, Patient
from phms.tests import personas

pytestmark = pytest.mark.django_db


def _assignment(user, patient):
    return CareAssignment.objects.get(
        encounter=personas.open_encounter(patient), provider=user.provider
    )


def _url(name, assignment, patient=None, encounter=None):
    encounter = encounter or assignment.encounter
    patient = patient or encounter.patient
    kwargs = {"pk": patient.pk, "encounter_pk": encounter.pk, "assignment_pk": assignment.pk}
    return reverse(f"patients:{name}", kwargs=kwargs)


def _team_page(patient):
    encounter = personas.open_encounter(patient)
    return reverse("patients:care_team", kwargs={"pk": patient.pk, "encounter_pk": encounter.pk})


def _message_texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _sees(user, patient) -> bool:
    return Patient.objects.visible_to(user).filter(pk=patient.pk).exists()


def test_it_offers_a_take_off_button_naming_each_member_for_screen_readers(
    client, attending_doctor, ward_nurse, patient_record
):
    client.force_login(attending_doctor)
    html = client.get(_team_page(patient_record)).content.decode()
    nurse = _assignment(ward_nurse, patient_record)
    name = ward_nurse.provider.display_name
    assert f'<form method="post" action="{_url("care_team_end", nurse)}">' in html
    assert f'Take<span class="visually-hidden"> {name} (Nursing)</span> off the team' in html
    assert "csrfmiddlewaretoken" in html
    assert "(you; taking yourself off may end your access" in html  # beside the doctor's name


@pytest.mark.parametrize("name", ["care_team_end", "care_team_restore"])
def test_it_sends_anonymous_users_to_sign_in_and_refuses_get(
    client, attending_doctor, ward_nurse, patient_record, name
):
    url = _url(name, _assignment(ward_nurse, patient_record))
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    client.force_login(attending_doctor)
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("name", ["care_team_end", "care_team_restore"])
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("front_desk", 403),
        ("billing_clerk", 403),
        ("ward_nurse", 403),
        ("doctor_elsewhere", 404),
        ("outsider", 404),
    ],
)
def test_it_refuses_who_may_not_change_the_team(
    client, request, attending_doctor, ward_nurse, patient_record, name, persona, status
):
    # A second nurse's assignment: ending it leaves ward_nurse on the team (and so 403).
    second_nurse = personas.nurse_user(username="nurse.second")
    personas.put_on_care_team(second_nurse, patient_record, CareAssignment.Role.NURSING)
    assignment = _assignment(second_nurse, patient_record)
    if name == "care_team_restore":
        assignment.ended_at = assignment.assigned_at
        assignment.save(update_fields=["ended_at"])
    client.force_login(request.getfixturevalue(persona))
    assert client.post(_url(name, assignment)).status_code == status
    assignment.refresh_from_db()
    assert (assignment.ended_at is None) == (name == "care_team_end")


def test_it_takes_a_nurse_off_the_team_and_undoes_it(
    client, attending_doctor, ward_nurse, patient_record
):
    assignment = _assignment(ward_nurse, patient_record)
    client.force_login(attending_doctor)
    response = client.post(_url("care_team_end", assignment))
    assert response.status_code == 302
    assert response.url == _team_page(patient_record)
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert assignment.history.latest().history_user == attending_doctor
    assert not _sees(ward_nurse, patient_record)
    (message,) = _message_texts(response)
    restore_url = _url("care_team_restore", assignment)
    assert message.startswith(f"{ward_nurse.provider.display_name} is off the care team.")
    assert f'<form method="post" action="{restore_url}"' in message and ">Undo</button>" in message

    page = client.get(response.url).content.decode()
    assert _url("care_team_end", assignment) not in page  # no longer listed
    assert f'<form method="post" action="{restore_url}"' in page  # the message, not escaped

    undone = client.post(restore_url)
    assert undone.status_code == 302 and undone.url == _team_page(patient_record)
    assignment.refresh_from_db()
    assert assignment.ended_at is None
    assert _sees(ward_nurse, patient_record)
    assert _message_texts(undone) == [
        f"{ward_nurse.provider.display_name} is back on the care team."
    ]


def test_it_says_so_when_undo_finds_the_provider_on_the_team_already(
    client, attending_doctor, ward_nurse, patient_record
):
    assignment = _assignment(ward_nurse, patient_record)
    client.force_login(attending_doctor)
    history_rows = assignment.history.count()
    response = client.post(_url("care_team_restore", assignment))
    assert response.status_code == 302
    assert _message_texts(response) == [f"{ward_nurse.provider.display_name} is on the care team."]
    assert assignment.history.count() == history_rows


def test_it_sends_a_doctor_who_took_themself_off_to_the_directory(
    client, attending_doctor, patient_record
):
    assignment = _assignment(attending_doctor, patient_record)
    client.force_login(attending_doctor)
    response = client.post(_url("care_team_end", assignment))
    assert response.status_code == 302
    assert response.url == reverse("patients:list")
    (message,) = _message_texts(response)
    assert "no longer have access to the chart" in message and "Undo" not in message
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert client.get(response.url).status_code == 200
    chart = reverse("patients:chart", kwargs={"pk": patient_record.pk})
    assert client.get(chart).status_code == 404


def test_it_keeps_a_doctor_on_the_page_when_another_assignment_still_grants_access(
    client, attending_doctor, patient_record
):
    personas.put_on_care_team(attending_doctor, patient_record, CareAssignment.Role.CONSULTING)
    attending = CareAssignment.objects.get(
        provider=attending_doctor.provider, role=CareAssignment.Role.ATTENDING
    )
    client.force_login(attending_doctor)
    response = client.post(_url("care_team_end", attending))
    assert response.url == _team_page(patient_record)
    assert "Undo" in _message_texts(response)[0]
    assert client.post(_url("care_team_restore", attending)).status_code == 302
    attending.refresh_from_db()
    assert attending.ended_at is None


def test_it_refuses_another_patients_assignment_or_encounter(
    client, attending_doctor, doctor_elsewhere, patient_record, other_patient_record
):
    foreign = _assignment(doctor_elsewhere, other_patient_record)
    mine = personas.open_encounter(patient_record)
    client.force_login(attending_doctor)
    # my patient and encounter, their assignment id
    assert client.post(_url("care_team_end", foreign, patient_record, mine)).status_code == 404
    # my patient, their encounter
    other_encounter = foreign.encounter
    url = _url("care_team_end", foreign, patient_record, other_encounter)
    assert client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.ended_at is None
    foreign.ended_at = foreign.assigned_at
    foreign.save(update_fields=["ended_at"])
    assert client.post(_url("care_team_restore", foreign, patient_record, mine)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.ended_at is not None


def test_it_answers_404_to_an_unknown_assignment(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    encounter = personas.open_encounter(patient_record)
    kwargs = {"pk": patient_record.pk, "encounter_pk": encounter.pk, "assignment_pk": 999999}
    assert client.post(reverse("patients:care_team_end", kwargs=kwargs)).status_code == 404
    assert client.post(reverse("patients:care_team_restore", kwargs=kwargs)).status_code == 404
