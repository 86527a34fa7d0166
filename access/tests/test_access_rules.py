"""Who sees which patient, break-the-glass, and the access log."""

import logging
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from access import permissions
from access.admin import AccessLogAdmin
from access.audit import access_history_for_patient, access_log_record, client_address
from access.models import AccessLog, BreakGlassAccess
from access.roles import Role
from access.services import break_glass_open, break_glass_review, reason_reads_as_words
from billing.access import bills_visible_to
from patients.access import (
    clinical_patients_visible_to,
    encounters_visible_to,
    get_patient_for_user,
)
from patients.models import Patient
from patients.services import care_assignment_end
from phms.tests import personas

REASON = "Unconscious in the emergency department, needs medication history"


def _request(user, **meta):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", **meta)
    request.user = user
    return request


def _visible(user):
    return set(Patient.objects.visible_to(user).values_list("mrn", flat=True))


# Scope per persona ---------------------------------------------------------------------


def test_it_answers_one_patient_exactly_as_the_list_scope_does(
    patient_record,
    other_patient_record,
    attending_doctor,
    ward_nurse,
    doctor_elsewhere,
    billing_clerk,
    front_desk,
    patient_user,
    other_patient_user,
    administrator,
    outsider,
):
    users = [
        attending_doctor,
        ward_nurse,
        doctor_elsewhere,
        billing_clerk,
        front_desk,
        patient_user,
        other_patient_user,
        administrator,
        outsider,
    ]
    break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    checked = 0
    for user in users:
        for patient in (patient_record, other_patient_record):
            expected = Patient.objects.visible_to(user).filter(pk=patient.pk).exists()
            assert permissions.is_patient_visible(user, patient) == expected, (user, patient)
            checked += 1
    other_patient_record.delete(by=administrator)
    for user in users:
        assert not permissions.is_patient_visible(user, other_patient_record)
        assert not Patient.objects.visible_to(user).filter(pk=other_patient_record.pk).exists()
    assert checked == len(users) * 2


def test_it_scopes_patients_per_persona(
    patient_record,
    other_patient_record,
    attending_doctor,
    ward_nurse,
    doctor_elsewhere,
    billing_clerk,
    front_desk,
    patient_user,
    other_patient_user,
    administrator,
    outsider,
):
    both = {patient_record.mrn, other_patient_record.mrn}
    assert _visible(attending_doctor) == {patient_record.mrn}
    assert _visible(ward_nurse) == {patient_record.mrn}
    assert _visible(doctor_elsewhere) == {other_patient_record.mrn}
    assert _visible(billing_clerk) == both
    assert _visible(front_desk) == both
    assert _visible(administrator) == both
    assert _visible(patient_user) == {patient_record.mrn}
    assert _visible(other_patient_user) == {other_patient_record.mrn}
    assert _visible(outsider) == set()


def test_it_gives_anonymous_and_inactive_users_nothing(patient_record, attending_doctor):
    from django.contrib.auth.models import AnonymousUser

    assert not Patient.objects.visible_to(AnonymousUser()).exists()
    attending_doctor.is_active = False
    assert not Patient.objects.visible_to(attending_doctor).exists()


def test_it_answers_404_and_logs_when_a_patient_is_out_of_scope(
    patient_record, doctor_elsewhere, caplog
):
    with caplog.at_level(logging.WARNING, logger="phms.security"):
        with pytest.raises(Http404):
            get_patient_for_user(doctor_elsewhere, patient_record.pk)
        with pytest.raises(Http404):
            get_patient_for_user(doctor_elsewhere, "not-a-number")
    refusals = [r for r in caplog.records if r.name == "phms.security"]
    assert len(refusals) == 2
    assert f"user={doctor_elsewhere.pk}" in refusals[0].getMessage()


def test_it_grants_on_assignment_and_revokes_when_it_ends(patient_record, attending_doctor):
    assert get_patient_for_user(attending_doctor, patient_record.pk) == patient_record
    assert permissions.can_edit_clinical(attending_doctor, patient_record)
    for assignment in attending_doctor.provider.care_assignments.all():
        care_assignment_end(assignment=assignment)
    assert _visible(attending_doctor) == set()
    assert not permissions.can_view_clinical(attending_doctor, patient_record)
    with pytest.raises(Http404):
        get_patient_for_user(attending_doctor, patient_record.pk)


def test_it_keeps_access_while_another_assignment_remains(patient_record, attending_doctor):
    second = personas.put_on_care_team(attending_doctor, patient_record, "consulting")
    care_assignment_end(assignment=second)
    assert _visible(attending_doctor) == {patient_record.mrn}


def test_it_applies_the_role_predicates(
    patient_record, attending_doctor, ward_nurse, billing_clerk, front_desk, patient_user
):
    assert permissions.can_view_clinical(ward_nurse, patient_record)
    assert permissions.can_record_vitals(ward_nurse, patient_record)
    assert permissions.can_write_notes(ward_nurse, patient_record)
    assert not permissions.can_edit_clinical(ward_nurse, patient_record)

    assert permissions.can_view_demographics(front_desk, patient_record)
    assert not permissions.can_view_clinical(front_desk, patient_record)
    assert not permissions.can_view_bills(front_desk, patient_record)
    assert permissions.can_register_patients(front_desk)
    assert not permissions.can_register_patients(attending_doctor)

    assert permissions.can_view_bills(billing_clerk, patient_record)
    assert not permissions.can_view_clinical(billing_clerk, patient_record)
    assert not permissions.can_write_notes(billing_clerk, patient_record)

    assert permissions.can_view_own_record(patient_user, patient_record)
    assert permissions.can_view_bills(patient_user, patient_record)
    assert not permissions.can_view_clinical(patient_user, patient_record)
    assert permissions.can_view_bills(attending_doctor, patient_record)


def test_it_scopes_encounters_and_bills(
    patient_record, other_patient_record, attending_doctor, billing_clerk, front_desk, patient_user
):
    assert {e.patient_id for e in encounters_visible_to(attending_doctor)} == {patient_record.pk}
    assert {b.patient_id for b in bills_visible_to(attending_doctor)} == {patient_record.pk}
    assert {b.patient_id for b in bills_visible_to(patient_user)} == {patient_record.pk}
    assert {b.patient_id for b in bills_visible_to(billing_clerk)} == {
        patient_record.pk,
        other_patient_record.pk,
    }
    assert encounters_visible_to(billing_clerk).count() == 2
    assert not bills_visible_to(front_desk).exists()
    assert not encounters_visible_to(front_desk).exists()


def test_it_keeps_notes_and_other_clinical_lists_from_billing_and_front_desk(
    patient_record, attending_doctor, billing_clerk, front_desk, patient_user, administrator
):
    assert list(clinical_patients_visible_to(attending_doctor)) == [patient_record]
    assert list(clinical_patients_visible_to(patient_user)) == [patient_record]
    assert clinical_patients_visible_to(administrator).count() == 1
    assert not clinical_patients_visible_to(billing_clerk).exists()
    assert not clinical_patients_visible_to(front_desk).exists()


# Break-the-glass --------------------------------------------------------------------------


def test_it_opens_break_glass_for_a_clinician_and_logs_the_reason(
    patient_record, doctor_elsewhere, caplog
):
    with caplog.at_level(logging.WARNING, logger="phms.security"):
        access = break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    assert "break-glass opened" in caplog.text
    assert access.expires_at - access.started_at == timedelta(minutes=60)
    assert get_patient_for_user(doctor_elsewhere, patient_record.pk) == patient_record

    entry = access_log_record(_request(doctor_elsewhere), patient=patient_record, section="chart")
    assert entry.break_glass_reason == REASON
    assert entry.role == "doctor"
    assert entry.client_address == "10.1.2.3"


def test_it_expires_break_glass(patient_record, doctor_elsewhere):
    access = break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    BreakGlassAccess.objects.filter(pk=access.pk).update(
        started_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert patient_record.mrn not in _visible(doctor_elsewhere)
    entry = access_log_record(_request(doctor_elsewhere), patient=patient_record, section="chart")
    assert entry.break_glass_reason == ""


def test_it_uses_the_configured_break_glass_duration(settings, patient_record, doctor_elsewhere):
    settings.BREAK_GLASS_MINUTES = 5
    access = break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    assert access.expires_at - access.started_at == timedelta(minutes=5)


@pytest.mark.parametrize("reason", ["", "   ", "too short"])
def test_it_requires_a_reason_of_ten_characters(patient_record, doctor_elsewhere, reason):
    with pytest.raises(ValidationError):
        break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=reason)
    assert not BreakGlassAccess.objects.exists()


def test_it_refuses_break_glass_to_non_clinicians(patient_record, billing_clerk, patient_user):
    for user in (billing_clerk, patient_user):
        with pytest.raises(PermissionDenied):
            break_glass_open(user=user, patient=patient_record, reason=REASON)
    assert not BreakGlassAccess.objects.exists()


BREAK_GLASS_PASSWORD = "a-password-for-breaking-the-glass-7"


def _break_glass_page(client, patient_record, doctor_elsewhere) -> str:
    doctor_elsewhere.set_password(BREAK_GLASS_PASSWORD)
    doctor_elsewhere.save()
    client.force_login(doctor_elsewhere)
    return reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk})


def _posted(**changes) -> dict:
    return {
        "category": "emergency_treatment",
        "reason": REASON,
        "password": BREAK_GLASS_PASSWORD,
        **changes,
    }


def test_it_opens_break_glass_through_the_page(client, patient_record, doctor_elsewhere):
    url = _break_glass_page(client, patient_record, doctor_elsewhere)
    page = client.get(url)
    assert page.status_code == 200
    assert "Covering for a colleague" in page.content.decode()

    refused = client.post(url, _posted(reason="short"))
    assert refused.status_code == 200
    assert not BreakGlassAccess.objects.exists()

    response = client.post(url, _posted(category="covering"))
    assert response.status_code == 302
    assert str(patient_record.pk) in response["Location"]
    access = BreakGlassAccess.objects.get()
    assert (access.reason, access.category) == (REASON, "covering")

    home = client.get(reverse("home"))
    assert b'data-testid="break-glass-banner"' in home.content
    assert patient_record.mrn.encode() in home.content


def test_it_names_the_patient_only_once_the_access_is_open(
    client, patient_record, doctor_elsewhere
):
    url = _break_glass_page(client, patient_record, doctor_elsewhere)

    for response in (client.get(url), client.post(url, _posted(reason="aaaaaaaaaaaa"))):
        html = response.content.decode()
        assert patient_record.mrn not in html and patient_record.last_name not in html
    assert not AccessLog.objects.filter(patient=patient_record).exists()


@pytest.mark.parametrize(
    "reason",
    ["aaaaaaaaaa", "aaaaaaaaaa aaaaaaaaaa", "asdf asdf asdf", "1234567890 12345", "xx yy zz ww"],
)
def test_it_refuses_a_reason_that_does_not_read_as_words(
    client, patient_record, doctor_elsewhere, reason
):
    url = _break_glass_page(client, patient_record, doctor_elsewhere)

    response = client.post(url, _posted(reason=reason))

    assert response.status_code == 200
    assert "Write the reason in words" in response.content.decode()
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize(
    "reason",
    [
        REASON,
        "Covering night shift for Dr. Smith",
        "Patient asked me to look at results",
        "Bewusstlos in der Notaufnahme, Medikamente unklar",
        "Пациент без сознания в приёмном отделении",
    ],
)
def test_it_takes_a_reason_in_words(reason):
    assert reason_reads_as_words(reason)


def test_it_asks_for_the_password_again(client, patient_record, doctor_elsewhere):
    url = _break_glass_page(client, patient_record, doctor_elsewhere)

    wrong = client.post(url, _posted(password="not-my-password"))
    missing = client.post(url, _posted(password=""))
    no_category = client.post(url, _posted(category=""))

    assert "That is not your password." in wrong.content.decode()
    assert missing.status_code == 200 and no_category.status_code == 200
    assert "Choose why you need the record." in no_category.content.decode()
    assert not BreakGlassAccess.objects.exists()


def test_it_hides_the_banner_without_an_active_access(client, patient_record, doctor_elsewhere):
    client.force_login(doctor_elsewhere)
    assert b"break-glass-banner" not in client.get(reverse("home")).content


def test_it_refuses_the_break_glass_page_to_non_clinicians(client, patient_record, front_desk):
    client.force_login(front_desk)
    url = reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": REASON}).status_code == 403


def test_it_answers_404_for_an_unknown_patient_on_the_break_glass_page(client, doctor_elsewhere):
    client.force_login(doctor_elsewhere)
    url = reverse("access:break_glass", kwargs={"patient_pk": 999999})
    assert client.get(url).status_code == 404


def test_it_offers_break_glass_on_the_patient_not_found_page(rf, patient_record, doctor_elsewhere):
    from access.views import patient_not_found

    request = rf.get("/")
    request.user = doctor_elsewhere
    response = patient_not_found(request, patient_record.pk)
    assert response.status_code == 404
    link = reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk})
    assert link.encode() in response.content


def test_it_records_the_review_of_a_break_glass(patient_record, doctor_elsewhere, administrator):
    access = break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    with pytest.raises(PermissionDenied):
        break_glass_review(access=access, by=doctor_elsewhere)
    break_glass_review(access=access, by=administrator, note="Justified: ED admission")
    access.refresh_from_db()
    assert access.reviewed_by == administrator
    assert access.reviewed_at is not None


def test_it_marks_break_glass_reviewed_from_the_admin_queue(
    client, patient_record, doctor_elsewhere, administrator
):
    access = break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    client.force_login(administrator)
    changelist = reverse("admin:access_breakglassaccess_changelist")
    assert client.get(changelist).status_code == 200
    response = client.post(changelist, {"action": "mark_reviewed", "_selected_action": [access.pk]})
    assert response.status_code == 302
    access.refresh_from_db()
    assert access.reviewed_by == administrator


# Access log ------------------------------------------------------------------------------


def test_it_keeps_the_access_log_append_only_in_the_admin(rf, django_user_model, patient_record):
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 12)
    request = rf.get("/")
    request.user = superuser
    model_admin = AccessLogAdmin(AccessLog, site)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    entry = access_log_record(_request(superuser), patient=patient_record, section="chart")
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_it_lists_the_access_log_in_the_admin(client, patient_record, administrator):
    access_log_record(_request(administrator), patient=patient_record, section="labs")
    client.force_login(administrator)
    url = reverse("admin:access_accesslog_changelist")
    response = client.get(url, {"q": patient_record.mrn})
    assert response.status_code == 200
    assert b"Lab results" in response.content
    assert client.get(url, {"section__exact": "labs"}).status_code == 200


def test_it_returns_a_patients_access_history_newest_first(
    patient_record, other_patient_record, attending_doctor, billing_clerk
):
    access_log_record(_request(attending_doctor), patient=patient_record, section="chart")
    access_log_record(_request(billing_clerk), patient=patient_record, section="bills")
    access_log_record(_request(billing_clerk), patient=other_patient_record, section="bills")
    history = list(access_history_for_patient(patient_record))
    assert [(e.user.username, e.section, e.role) for e in history] == [
        ("billing.clerk", "bills", "billing"),
        ("dr.attending", "chart", "doctor"),
    ]


def test_it_trusts_x_forwarded_for_only_behind_the_proxy(settings, attending_doctor):
    request = _request(attending_doctor, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.BEHIND_TLS_PROXY = False
    assert client_address(request) == "10.1.2.3"
    settings.BEHIND_TLS_PROXY = True
    assert client_address(request) == "203.0.113.9"
    garbage = _request(attending_doctor, HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_address(garbage) == "10.1.2.3"


def test_it_purges_access_log_entries_past_retention(settings, patient_record, attending_doctor):
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    old = access_log_record(_request(attending_doctor), patient=patient_record, section="chart")
    AccessLog.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    recent = access_log_record(_request(attending_doctor), patient=patient_record, section="notes")
    call_command("purge_access_log", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]


# Roles and sign-in ------------------------------------------------------------------------


def test_it_sets_up_roles_idempotently(db):
    from django.contrib.auth.models import Group

    # The data migration created the groups; setup_roles gives them their permissions.
    assert Group.objects.filter(name__in=[role.value for role in Role]).count() == len(Role)
    call_command("setup_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("setup_roles", stdout=open("/dev/null", "w"))  # noqa: SIM115
    doctor = Group.objects.get(name="doctor")
    assert doctor.permissions.filter(codename="change_diagnosis").exists()
    assert (
        not Group.objects.get(name="billing").permissions.filter(codename__contains="note").exists()
    )
    assert Group.objects.filter(name__in=["front_desk", "patient", "administrator"]).count() == 3


def test_it_locks_an_account_after_repeated_failures(client, settings, attending_doctor):
    attending_doctor.set_password("correct-horse-battery")
    attending_doctor.save()
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": attending_doctor.username, "password": "wrong-password"})
    locked = client.post(
        url, {"username": attending_doctor.username, "password": "correct-horse-battery"}
    )
    assert locked.status_code == 429
    assert b"Account temporarily locked" in locked.content
    assert b"Try again in 15 minutes" in locked.content


def test_it_hashes_passwords_with_argon2(attending_doctor):
    attending_doctor.set_password("correct-horse-battery")
    assert attending_doctor.password.startswith("argon2")


def test_it_ends_idle_sessions_and_renews_active_ones(client, settings, attending_doctor):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_TIMEOUT_MINUTES * 60 == 15 * 60
    client.force_login(attending_doctor)
    session = Session.objects.get()
    Session.objects.update(expire_date=timezone.now() + timedelta(seconds=30))
    assert client.get(reverse("home")).status_code == 200
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > timezone.now() + timedelta(minutes=14)

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_logs_a_patient_404_once(client, patient_record, outsider, caplog):
    client.force_login(outsider)
    with caplog.at_level(logging.WARNING, logger="phms.security"):
        assert client.get(reverse("patients:chart", args=[patient_record.pk])).status_code == 404
    refusals = [r for r in caplog.records if r.name == "phms.security"]
    assert len(refusals) == 1
    assert f"patient='{patient_record.pk}'" in refusals[0].getMessage()


def test_it_logs_403_refusals_to_signed_in_users(client, patient_record, patient_user, caplog):
    client.force_login(patient_user)
    url = reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk})
    with caplog.at_level(logging.WARNING, logger="phms.security"):
        assert client.get(url).status_code == 403
    assert any(r.name == "phms.security" and "status=403" in r.getMessage() for r in caplog.records)


def test_it_records_a_review_note_from_the_admin_change_page(
    client, patient_record, doctor_elsewhere, administrator
):
    access = break_glass_open(user=doctor_elsewhere, patient=patient_record, reason=REASON)
    client.force_login(administrator)
    url = reverse("admin:access_breakglassaccess_change", args=[access.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"review_note": "Confirmed with the ED rota"})
    assert response.status_code == 302
    access.refresh_from_db()
    assert (access.reviewed_by, access.review_note) == (administrator, "Confirmed with the ED rota")
    assert client.get(reverse("admin:access_accesslog_add")).status_code == 403


def test_it_checks_the_patient_it_hands_out_once_per_request(
    patient_record, attending_doctor, django_assert_num_queries
):
    patient = get_patient_for_user(attending_doctor, patient_record.pk)
    with django_assert_num_queries(0):
        assert permissions.can_view_clinical(attending_doctor, patient)
        assert permissions.can_edit_clinical(attending_doctor, patient)
        assert permissions.can_record_vitals(attending_doctor, patient)
    # Another instance of the same patient is checked against the database again.
    assert permissions.can_view_clinical(attending_doctor, patient_record)
