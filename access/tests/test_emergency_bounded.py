"""Emergency access, bounded: found only by exact identifiers, read and record but never
delete or edit demographics, ended early, and reviewed section by section."""

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access import permissions
from access.models import AccessLog, BreakGlassAccess
from access.services import break_glass_end, break_glass_open
from patients.models import Diagnosis, EmergencyContact
from patients.vaccinations import vaccination_record

pytestmark = pytest.mark.django_db

REASON = "Unconscious on arrival in the emergency department"
LIST_URL = reverse("patients:list")


def _chart(patient):
    return reverse("patients:chart", kwargs={"pk": patient.pk})


def _delete_url(patient, kind, record):
    return reverse(
        "patients:record_delete", kwargs={"pk": patient.pk, "kind": kind, "record_pk": record.pk}
    )


def _outsiders(response) -> list[str]:
    return [patient.mrn for patient in response.context["outside_care_team"]]


@pytest.fixture
def emergency(client, patient_record, attending_doctor, doctor_elsewhere):
    """The doctor from elsewhere, signed in, with an open emergency access to patient_record."""
    client.force_login(doctor_elsewhere)
    return break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)


# The directory -----------------------------------------------------------------------------


def test_it_offers_emergency_access_to_an_outsider_found_by_the_whole_mrn(
    client, patient_record, doctor_elsewhere
):
    client.force_login(doctor_elsewhere)

    response = client.get(LIST_URL, {"mrn": "mrn-care-0001"})

    assert _outsiders(response) == ["MRN-CARE-0001"]
    html = response.content.decode()
    assert "Not on your care team: emergency access" in html
    assert reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk}) in html
    assert response.context["page"].paginator.count == 0  # not in the list of their patients


def test_it_offers_an_outsider_found_by_full_name_with_date_of_birth(
    client, patient_record, doctor_elsewhere
):
    client.force_login(doctor_elsewhere)
    born = patient_record.date_of_birth.isoformat()

    assert _outsiders(client.get(LIST_URL, {"q": "ADA lovelace", "date_of_birth": born})) == [
        "MRN-CARE-0001"
    ]


@pytest.mark.parametrize(
    "search",
    [
        {"mrn": "MRN-CARE"},  # the start of the MRN
        {"mrn": "CARE-0001"},
        {"q": "Lovelace"},
        {"q": "Ada Lovelace"},  # full name without the date of birth
        {"q": "Ada Love", "date_of_birth": "dob"},  # part of the name with it
        {"q": "Lovelace", "date_of_birth": "dob"},
        {"q": "Ada Lovelace", "date_of_birth": "1900-01-01"},
        {"q": "MRN-CARE-0001"},  # the name box is a name search
    ],
)
def test_it_never_reveals_an_outsider_to_a_partial_match(
    client, patient_record, doctor_elsewhere, search
):
    client.force_login(doctor_elsewhere)
    if search.get("date_of_birth") == "dob":
        search = {**search, "date_of_birth": patient_record.date_of_birth.isoformat()}

    response = client.get(LIST_URL, search)

    assert _outsiders(response) == []
    assert 'data-testid="outside-care-team"' not in response.content.decode()


def test_it_lists_the_own_patient_as_usual_and_not_as_an_outsider(
    client, patient_record, attending_doctor
):
    client.force_login(attending_doctor)

    response = client.get(LIST_URL, {"mrn": "MRN-CARE-0001"})

    assert _outsiders(response) == []
    assert [p.mrn for p in response.context["page"].object_list] == ["MRN-CARE-0001"]


def test_it_offers_emergency_access_only_to_clinicians_outside_the_team(
    client, patient_record, front_desk, administrator, doctor_elsewhere
):
    for user in (front_desk, administrator):
        client.force_login(user)
        response = client.get(LIST_URL, {"mrn": "MRN-CARE-0001"})
        assert _outsiders(response) == []
        assert 'data-testid="emergency-search-help"' not in response.content.decode()
    client.force_login(doctor_elsewhere)
    help_text = client.get(LIST_URL).content.decode()
    assert 'data-testid="emergency-search-help"' in help_text
    assert "enter the whole MRN, or the full name (first and last) with the date of birth" in (
        help_text
    )


def test_it_leaves_deleted_patients_out_of_the_exact_match(
    client, patient_record, doctor_elsewhere
):
    patient_record.delete(by=None)
    client.force_login(doctor_elsewhere)

    assert _outsiders(client.get(LIST_URL, {"mrn": "MRN-CARE-0001"})) == []


# Reading and recording, never deleting or editing demographics ------------------------------


def test_it_lets_the_emergency_access_read_and_record(client, patient_record, emergency):
    chart = client.get(_chart(patient_record))

    assert chart.status_code == 200
    assert chart.context["actions"]["vitals"] and chart.context["actions"]["clinical"]
    assert (
        client.get(reverse("patients:vitals_add", kwargs={"pk": patient_record.pk})).status_code
        == 200
    )
    assert (
        client.get(reverse("patients:note_add", kwargs={"pk": patient_record.pk})).status_code
        == 200
    )


def test_it_hides_every_delete_button_under_emergency_access(
    client, patient_record, attending_doctor, emergency
):
    vaccination_record(
        patient=patient_record,
        vaccine="Influenza",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2024, 10, 1),
    )
    html = client.get(_chart(patient_record)).content.decode()

    assert "/records/" not in html  # record_delete links
    assert "Delete encounter" not in html
    assert not re.search(r"/vaccinations/[0-9a-f]+/delete/", html)
    assert "Record vitals" in html

    client.force_login(attending_doctor)
    own = client.get(_chart(patient_record)).content.decode()
    assert "/records/diagnosis/" in own and "Delete encounter" in own
    assert re.search(r"/vaccinations/[0-9a-f]+/delete/", own)


def test_it_refuses_a_direct_delete_and_restore_under_emergency_access(
    client, patient_record, emergency
):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    url = _delete_url(patient_record, "diagnosis", diagnosis)

    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "Trying anyway"}).status_code == 403
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()

    diagnosis.delete(by=None)
    restore = reverse(
        "patients:record_restore",
        kwargs={"pk": patient_record.pk, "kind": "diagnosis", "record_pk": diagnosis.pk},
    )
    assert client.post(restore).status_code == 403
    assert not Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_it_refuses_vaccination_deletes_under_emergency_access(client, patient_record, emergency):
    event = vaccination_record(
        patient=patient_record,
        vaccine="Influenza",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2024, 10, 1),
    )
    kwargs = {"pk": patient_record.pk, "event_id": event["id"]}

    assert client.get(reverse("patients:vaccination_delete", kwargs=kwargs)).status_code == 403
    assert client.post(reverse("patients:vaccination_restore", kwargs=kwargs)).status_code == 403
    assert client.get(reverse("patients:vaccination_correct", kwargs=kwargs)).status_code == 200


def test_it_refuses_demographics_edits_under_emergency_access(
    client, patient_record, doctor_elsewhere, emergency
):
    contact = EmergencyContact.objects.get(patient=patient_record)

    assert client.get(reverse("patients:edit", kwargs={"pk": patient_record.pk})).status_code == 403
    assert (
        client.post(
            _delete_url(patient_record, "emergency-contact", contact), {"reason": "x"}
        ).status_code
        == 403
    )
    assert not permissions.can_edit_demographics(doctor_elsewhere, patient_record)
    assert not permissions.can_delete_clinical(doctor_elsewhere, patient_record)
    assert permissions.sees_only_through_emergency_access(doctor_elsewhere, patient_record)


def test_it_lets_a_care_team_member_with_an_emergency_access_too_delete(
    patient_record, attending_doctor
):
    break_glass_open(user=attending_doctor, patient=patient_record, reason=REASON)

    assert not permissions.sees_only_through_emergency_access(attending_doctor, patient_record)
    assert permissions.can_delete_clinical(attending_doctor, patient_record)


# Ending early ------------------------------------------------------------------------------


def test_it_ends_the_access_early_from_the_banner(client, patient_record, emergency):
    end_url = reverse("access:break_glass_end", kwargs={"access_pk": emergency.pk})
    banner = client.get(_chart(patient_record)).content.decode()
    assert f'action="{end_url}"' in banner
    assert "End emergency access" in banner

    response = client.post(end_url)

    assert response.status_code == 302
    emergency.refresh_from_db()
    assert emergency.ended_at is not None and not emergency.is_active
    assert emergency.expires_at > emergency.ended_at  # the planned expiry stays on record
    assert client.get(_chart(patient_record)).status_code == 404
    again = client.post(end_url)
    assert [str(m) for m in get_messages(again.wsgi_request)][-1] == (
        "This emergency access had already ended."
    )


def test_it_lets_nobody_else_end_an_access_but_an_administrator(
    client, patient_record, emergency, attending_doctor, administrator
):
    end_url = reverse("access:break_glass_end", kwargs={"access_pk": emergency.pk})
    client.force_login(attending_doctor)
    assert client.post(end_url).status_code == 404
    emergency.refresh_from_db()
    assert emergency.is_active

    break_glass_end(access=emergency, by=administrator)
    emergency.refresh_from_db()
    assert not emergency.is_active


@override_settings(TIME_ZONE="America/New_York")
def test_it_shows_the_expiry_in_local_time_with_the_zone(client, patient_record, emergency):
    local = timezone.localtime(emergency.expires_at, timezone.get_default_timezone())

    banner = client.get(_chart(patient_record)).content.decode()

    assert f"until {local:%Y-%m-%d %H:%M} (America/New_York)" in banner


# The review page --------------------------------------------------------------------------


def test_it_lists_every_section_opened_during_the_access(
    client, patient_record, other_patient_record, doctor_elsewhere, emergency, administrator
):
    def log(section, at, user=doctor_elsewhere, patient=patient_record):
        AccessLog.objects.create(user=user, patient=patient, section=section, at=at)

    AccessLog.objects.all().delete()
    start = timezone.now() - timedelta(minutes=10)
    BreakGlassAccess.objects.filter(pk=emergency.pk).update(started_at=start)
    emergency.refresh_from_db()
    log("chart", start - timedelta(minutes=5))  # before the access
    log("chart", start + timedelta(minutes=1))
    log("vitals", start + timedelta(minutes=2))
    log("notes", start + timedelta(minutes=3), patient=other_patient_record)  # another patient
    log("labs", start + timedelta(minutes=3), user=administrator)  # another user
    break_glass_end(access=emergency, by=doctor_elsewhere)
    log("prescriptions", timezone.now() + timedelta(minutes=1))  # after it ended
    client.force_login(administrator)

    response = client.get(reverse("access:break_glass_review"))

    assert response.status_code == 200
    (review,) = response.context["reviews"]
    assert [entry.section for entry in review.entries] == ["chart", "vitals"]
    html = response.content.decode()
    assert REASON in html and "Ended early" in html
    assert "Vital signs" in html and "Prescriptions" not in html


def test_it_reads_the_review_page_in_constant_queries(
    client, patient_record, doctor_elsewhere, administrator, django_assert_max_num_queries
):
    client.force_login(administrator)
    url = reverse("access:break_glass_review")

    def open_with_entries(count):
        for _ in range(count):
            access = BreakGlassAccess.objects.create(
                user=doctor_elsewhere,
                patient=patient_record,
                reason=REASON,
                expires_at=timezone.now() + timedelta(hours=1),
            )
            AccessLog.objects.create(
                user=doctor_elsewhere,
                patient=patient_record,
                section="chart",
                at=access.started_at + timedelta(seconds=1),
            )

    open_with_entries(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    open_with_entries(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["reviews"]) == 20


def test_it_refuses_the_review_page_to_clinicians(client, doctor_elsewhere):
    client.force_login(doctor_elsewhere)

    assert client.get(reverse("access:break_glass_review")).status_code == 403
