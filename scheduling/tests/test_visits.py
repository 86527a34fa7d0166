"""Status transitions, check-in (access through the care team), the visit, completion and
no-shows."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from access import permissions
from patients import services as patient_services
from patients.models import CareAssignment, Encounter
from patients.tests.factories import PatientFactory
from phms.tests import personas
from providers.tests.factories import DepartmentFactory
from scheduling import services
from scheduling.models import Appointment
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db
Status = Appointment.Status


@pytest.fixture
def new_patient():
    return PatientFactory(first_name="Grace", last_name="Hopper")


@pytest.fixture
def clinic_doctor(db):
    user = personas.doctor_user(username="dr.clinic")
    user.provider.department = DepartmentFactory(name="General practice")
    user.provider.save()
    return user


def appointment_of(patient, user, **fields):
    return AppointmentFactory(
        patient=patient, provider=user.provider, department=user.provider.department, **fields
    )


def test_check_in_opens_the_encounter_and_gives_the_provider_the_chart(
    new_patient, clinic_doctor, front_desk
):
    appointment = appointment_of(new_patient, clinic_doctor, kind=Appointment.Kind.CHECKUP)
    assert not permissions.can_view_clinical(clinic_doctor, new_patient)

    services.appointment_check_in(appointment=appointment, by=front_desk)

    appointment.refresh_from_db()
    assert appointment.status == Status.ARRIVED
    assert appointment.arrived_at is not None
    encounter = appointment.encounter
    assert encounter.is_open
    assert encounter.encounter_class == Encounter.EncounterClass.WELLNESS
    assert encounter.organization == clinic_doctor.provider.department.organization
    assignment = CareAssignment.objects.get(encounter=encounter)
    assert (assignment.provider_id, assignment.role) == (
        clinic_doctor.provider.pk,
        CareAssignment.Role.ATTENDING,
    )
    assert permissions.can_view_clinical(clinic_doctor, new_patient)
    assert appointment.history.first().history_user == front_desk


def test_a_booked_or_cancelled_appointment_grants_nothing(new_patient, clinic_doctor, front_desk):
    appointment = appointment_of(new_patient, clinic_doctor)
    assert not permissions.can_view_clinical(clinic_doctor, new_patient)
    services.appointment_cancel(appointment=appointment, by=front_desk, reason="Feeling better")
    with pytest.raises(ValidationError):
        services.appointment_check_in(appointment=appointment, by=front_desk)
    assert not permissions.can_view_clinical(clinic_doctor, new_patient)
    assert not Encounter.objects.filter(patient=new_patient).exists()


def test_a_nurse_appointment_puts_the_nurse_on_the_team(new_patient, front_desk):
    nurse = personas.nurse_user(username="nurse.clinic")
    appointment = AppointmentFactory(
        patient=new_patient, provider=nurse.provider, kind=Appointment.Kind.NURSING
    )
    services.appointment_check_in(appointment=appointment, by=front_desk)
    assignment = CareAssignment.objects.get(encounter=appointment.encounter)
    assert assignment.role == CareAssignment.Role.NURSING
    assert appointment.encounter.encounter_class == Encounter.EncounterClass.NURSING


def test_the_visit_runs_from_arrival_to_completion(new_patient, clinic_doctor, front_desk):
    appointment = appointment_of(new_patient, clinic_doctor)
    with pytest.raises(ValidationError) as refused:
        services.appointment_start(appointment=appointment, by=clinic_doctor)
    assert "not been checked in" in refused.value.messages[0]

    services.appointment_check_in(appointment=appointment, by=front_desk)
    services.appointment_start(appointment=appointment, by=clinic_doctor)
    assert appointment.status == Status.IN_PROGRESS and appointment.started_at

    patient_services.encounter_close(encounter=appointment.encounter, by=clinic_doctor)
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED and appointment.completed_at
    assert appointment.history.first().history_user == clinic_doctor


def test_closing_the_encounter_of_an_arrived_patient_completes_it(
    new_patient, clinic_doctor, front_desk
):
    appointment = appointment_of(new_patient, clinic_doctor)
    services.appointment_check_in(appointment=appointment, by=front_desk)
    patient_services.encounter_close(encounter=appointment.encounter, by=clinic_doctor)
    appointment.refresh_from_db()
    assert appointment.status == Status.COMPLETED


def test_a_video_visit_checks_in_when_the_clinician_starts_it(
    new_patient, clinic_doctor, front_desk
):
    appointment = appointment_of(
        new_patient,
        clinic_doctor,
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/42",
    )
    with pytest.raises(ValidationError) as refused:
        services.appointment_check_in(appointment=appointment, by=front_desk)
    assert "when the clinician starts it" in refused.value.messages[0]

    services.appointment_start(appointment=appointment, by=clinic_doctor)
    appointment.refresh_from_db()
    assert appointment.status == Status.IN_PROGRESS
    assert appointment.arrived_at is not None
    assert appointment.encounter.encounter_class == Encounter.EncounterClass.VIRTUAL
    assert permissions.can_view_clinical(clinic_doctor, new_patient)


def test_a_walk_in_is_checked_in_with_the_chosen_provider(new_patient, clinic_doctor, front_desk):
    appointment = services.walk_in_check_in(
        patient=new_patient,
        provider=clinic_doctor.provider,
        department=clinic_doctor.provider.department,
        by=front_desk,
        reason="Cut on the hand",
    )
    assert appointment.walk_in and appointment.status == Status.ARRIVED
    assert appointment.encounter.encounter_class == Encounter.EncounterClass.URGENT_CARE
    assert appointment.encounter.reason == "Cut on the hand"
    assert permissions.can_view_clinical(clinic_doctor, new_patient)


# Every status x every target: which moves the services allow.
MOVES = {
    Status.ARRIVED: lambda a, desk, doctor: services.appointment_check_in(appointment=a, by=desk),
    Status.IN_PROGRESS: lambda a, desk, doctor: services.appointment_start(
        appointment=a, by=doctor
    ),
    Status.CANCELLED: lambda a, desk, doctor: services.appointment_cancel(
        appointment=a, by=desk, reason="Asked by the patient"
    ),
}
ALLOWED = {
    (Status.BOOKED, Status.ARRIVED),
    (Status.BOOKED, Status.CANCELLED),
    (Status.ARRIVED, Status.IN_PROGRESS),
}


@pytest.mark.parametrize("start", list(Status))
@pytest.mark.parametrize("target", list(MOVES))
def test_every_transition_is_allowed_or_refused(
    start, target, new_patient, clinic_doctor, front_desk
):
    appointment = appointment_of(new_patient, clinic_doctor, status=start)
    if start in (Status.ARRIVED, Status.IN_PROGRESS):
        appointment.encounter = patient_services.encounter_open(
            patient=new_patient, by=front_desk, encounter_class="ambulatory"
        )
        appointment.save()
    if (start, target) in ALLOWED:
        MOVES[target](appointment, front_desk, clinic_doctor)
        appointment.refresh_from_db()
        assert appointment.status == target
        assert target in Appointment.TRANSITIONS[start]
    else:
        with pytest.raises(ValidationError):
            MOVES[target](appointment, front_desk, clinic_doctor)
        appointment.refresh_from_db()
        assert appointment.status == start


def test_only_a_booked_appointment_is_rescheduled(new_patient, clinic_doctor, front_desk):
    appointment = appointment_of(new_patient, clinic_doctor, status=Status.NO_SHOW)
    with pytest.raises(ValidationError) as refused:
        services.appointment_reschedule(
            appointment=appointment, by=front_desk, starts_at=appointment.starts_at
        )
    assert "Only a booked appointment can be rescheduled" in refused.value.messages[0]


def test_no_shows_are_marked_after_the_grace_period(new_patient, clinic_doctor, settings):
    settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES = 30
    now = timezone.now()
    late = appointment_of(new_patient, clinic_doctor, starts_at=now - timedelta(minutes=45))
    in_grace = appointment_of(
        PatientFactory(), clinic_doctor, starts_at=now - timedelta(minutes=20)
    )
    arrived = appointment_of(
        PatientFactory(), clinic_doctor, starts_at=now - timedelta(hours=2), status=Status.ARRIVED
    )
    out = StringIO()
    call_command("mark_no_shows", stdout=out)
    assert out.getvalue().strip() == "1 appointment marked as no-show."
    for appointment, status in (
        (late, Status.NO_SHOW),
        (in_grace, Status.BOOKED),
        (arrived, Status.ARRIVED),
    ):
        appointment.refresh_from_db()
        assert appointment.status == status
    assert late.history.first().status == Status.NO_SHOW
    # A second run finds nothing more to mark.
    call_command("mark_no_shows", stdout=out)
    assert "0 appointments marked" in out.getvalue()


def test_patients_cancel_only_up_to_the_notice_period(
    new_patient, clinic_doctor, settings, patient_user
):
    settings.APPOINTMENT_CANCEL_NOTICE_HOURS = 24
    now = timezone.now()
    soon = appointment_of(
        new_patient, clinic_doctor, starts_at=now + timedelta(hours=23, minutes=59)
    )
    later = appointment_of(
        new_patient, clinic_doctor, starts_at=now + timedelta(hours=24, minutes=5)
    )
    assert "up to 24 hours before" in services.patient_cancel_refusal(soon)
    with pytest.raises(ValidationError):
        services.appointment_cancel_by_patient(appointment=soon, by=patient_user)
    services.appointment_cancel_by_patient(appointment=later, by=patient_user, reason="Away")
    later.refresh_from_db()
    assert later.status == Status.CANCELLED
    assert later.cancel_reason == "Cancelled by the patient in the portal: Away"


def test_a_nurse_starts_her_video_visit(new_patient):
    nurse = personas.nurse_user(username="nurse.video")
    appointment = AppointmentFactory(
        patient=new_patient,
        provider=nurse.provider,
        kind=Appointment.Kind.NURSING,
        mode=Appointment.Mode.VIDEO,
        meeting_link="https://video.example.org/room/7",
    )
    services.appointment_start(appointment=appointment, by=nurse)
    assert appointment.encounter.encounter_class == Encounter.EncounterClass.VIRTUAL
    assert CareAssignment.objects.get(encounter=appointment.encounter).role == "nursing"
    assert permissions.can_view_clinical(nurse, new_patient)


@pytest.mark.parametrize("mode", list(Appointment.Mode))
@pytest.mark.parametrize("start", list(Status))
def test_the_offered_actions_agree_with_the_services(
    start, mode, new_patient, clinic_doctor, front_desk
):
    """What pages offer (may_check_in, may_start) is exactly what the services accept."""
    link = "https://video.example.org/room/1" if mode == Appointment.Mode.VIDEO else ""
    for may, act in (
        ("may_check_in", lambda a: services.appointment_check_in(appointment=a, by=front_desk)),
        ("may_start", lambda a: services.appointment_start(appointment=a, by=clinic_doctor)),
    ):
        appointment = appointment_of(
            PatientFactory(), clinic_doctor, status=start, mode=mode, meeting_link=link
        )
        if start in (Status.ARRIVED, Status.IN_PROGRESS):
            appointment.encounter = patient_services.encounter_open(
                patient=appointment.patient, by=front_desk, encounter_class="ambulatory"
            )
            appointment.save()
        offered = getattr(appointment, may)
        try:
            act(appointment)
            accepted = True
        except ValidationError:
            accepted = False
        assert offered == accepted, (may, start, mode)
