"""Who can see each patient always equals who is on a live care team, whatever wrote it.

After every writer (the services, the admin, soft delete and restore of encounters,
assignments, patients and providers, bulk updates, raw SQL, the Synthea import, a
deactivated login, break-the-glass opening and expiring, explicit grants), the list
scope (`Patient.objects.visible_to`) and the per-patient predicate (`is_patient_visible`)
are compared, for every login and every patient, with the rule restated here from the
raw rows: a live care assignment (not ended; assignment, encounter and provider not
deleted), an active break-the-glass access or an explicit grant for clinicians; the
whole index for administrators, front desk and billing; the own record for a patient.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from access import permissions
from access.models import BreakGlassAccess
from access.roles import CLINICAL_ROLES, Role
from access.services import break_glass_open
from interop.tests.test_import_synthea import (
    CHART_PATIENT,
    one_patient_copy,
    read_csv,
    run_import,
    write_csv,
)
from patients.models import CareAssignment, Encounter, Patient
from patients.services import care_assignment_create, care_assignment_end
from phms.tests import personas
from providers.models import HealthcareProvider

pytestmark = pytest.mark.django_db

SEES_EVERYONE = {Role.ADMINISTRATOR, Role.FRONT_DESK, Role.BILLING}


def expected_visibility() -> dict[int, set[int]]:
    """The rule, restated from raw rows in Python: user id -> ids of patients they see."""
    now = timezone.now()
    alive_patients = set(Patient.all_objects.filter(deleted_at=None).values_list("pk", flat=True))
    encounters = {e.pk: e for e in Encounter.all_objects.all()}
    providers = {p.pk: p for p in HealthcareProvider.all_objects.all()}
    on_team: dict[int, set[int]] = {}
    for assignment in CareAssignment.all_objects.all():
        encounter = encounters[assignment.encounter_id]
        provider = providers[assignment.provider_id]
        if (
            assignment.deleted_at is None
            and assignment.ended_at is None
            and encounter.deleted_at is None
            and provider.deleted_at is None
            and provider.user_id is not None
        ):
            on_team.setdefault(provider.user_id, set()).add(encounter.patient_id)
    emergency: dict[int, set[int]] = {}
    for access in BreakGlassAccess.objects.all():
        if access.expires_at > now:
            emergency.setdefault(access.user_id, set()).add(access.patient_id)
    explicit: dict[int, set[int]] = {}
    for grant in UserObjectPermission.objects.select_related("permission__content_type"):
        content_type = grant.permission.content_type
        if (content_type.app_label, content_type.model, grant.permission.codename) == (
            "patients",
            "patient",
            "view_patient",
        ):
            explicit.setdefault(grant.user_id, set()).add(int(grant.object_pk))
    own = {
        user_id: {pk}
        for pk, user_id in Patient.all_objects.filter(user__isnull=False).values_list(
            "pk", "user_id"
        )
    }

    expected = {}
    for user in get_user_model().objects.prefetch_related("groups"):
        roles = {group.name for group in user.groups.all()}
        seen: set[int] = set()
        if not user.is_active:
            pass
        elif user.is_superuser or roles & SEES_EVERYONE:
            seen = set(alive_patients)
        else:
            if roles & CLINICAL_ROLES:
                seen |= on_team.get(user.pk, set())
                seen |= emergency.get(user.pk, set())
                seen |= explicit.get(user.pk, set())
            if Role.PATIENT in roles:
                seen |= own.get(user.pk, set())
        expected[user.pk] = seen & alive_patients
    return expected


def actual_visibility() -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """What the code answers: the list scope, and the predicate asked of each patient."""
    patients = list(Patient.all_objects.all())
    scope, predicate = {}, {}
    # Fresh user rows each time: roles are cached on the user object for one request.
    for user in get_user_model().objects.all():
        scope[user.pk] = set(Patient.objects.visible_to(user).values_list("pk", flat=True))
        predicate[user.pk] = {
            patient.pk for patient in patients if permissions.is_patient_visible(user, patient)
        }
    return scope, predicate


def assert_access_matches_care_teams(step: str) -> dict[int, set[int]]:
    expected = expected_visibility()
    scope, predicate = actual_visibility()
    assert scope == expected, f"list scope differs from the care teams after: {step}"
    assert predicate == expected, f"per-patient check differs from the care teams after: {step}"
    return expected


def sees(user, patient) -> bool:
    return patient.pk in expected_visibility()[user.pk]


@pytest.fixture
def hospital(
    roles,
    patient_record,
    other_patient_record,
    attending_doctor,
    ward_nurse,
    doctor_elsewhere,
    billing_clerk,
    front_desk,
    patient_user,
    administrator,
    outsider,
):
    """Two patients, every persona, and a second doctor who starts on no team."""
    second_doctor = personas.doctor_user(username="dr.second", specialty="Neurology")
    return {
        "patient": patient_record,
        "other": other_patient_record,
        "doctor": attending_doctor,
        "nurse": ward_nurse,
        "elsewhere": doctor_elsewhere,
        "second": second_doctor,
        "admin": administrator,
    }


def test_it_follows_the_care_team_services(hospital):
    patient, second = hospital["patient"], hospital["second"]
    assert_access_matches_care_teams("setup")
    assert not sees(second, patient)

    assignment = care_assignment_create(
        encounter=personas.open_encounter(patient),
        provider=second.provider,
        role=CareAssignment.Role.CONSULTING,
        by=hospital["doctor"],
    )
    assert_access_matches_care_teams("care_assignment_create")
    assert sees(second, patient)

    care_assignment_end(assignment=assignment, by=hospital["doctor"])
    assert_access_matches_care_teams("care_assignment_end")
    assert not sees(second, patient)


def test_it_follows_soft_delete_and_restore_of_encounters_assignments_and_patients(hospital):
    patient, doctor, nurse = hospital["patient"], hospital["doctor"], hospital["nurse"]
    encounter = personas.open_encounter(patient)

    encounter.delete(by=hospital["admin"])
    expected = assert_access_matches_care_teams("encounter soft delete (cascade)")
    assert patient.pk not in expected[doctor.pk] | expected[nurse.pk]

    Encounter.all_objects.get(pk=encounter.pk).restore(by=hospital["admin"])
    expected = assert_access_matches_care_teams("encounter restore")
    assert patient.pk in expected[doctor.pk] & expected[nurse.pk]

    assignment = CareAssignment.objects.get(encounter=encounter, provider=nurse.provider)
    assignment.delete(by=hospital["admin"])
    assert_access_matches_care_teams("assignment soft delete")
    assert not sees(nurse, patient)
    CareAssignment.all_objects.get(pk=assignment.pk).restore(by=hospital["admin"])
    assert_access_matches_care_teams("assignment restore")
    assert sees(nurse, patient)

    patient.delete(by=hospital["admin"])
    expected = assert_access_matches_care_teams("patient soft delete")
    assert all(patient.pk not in seen for seen in expected.values())
    Patient.all_objects.get(pk=patient.pk).restore(by=hospital["admin"])
    assert_access_matches_care_teams("patient restore")
    assert sees(doctor, patient)


def test_it_follows_bulk_updates_raw_sql_and_deactivation(hospital):
    patient, doctor, nurse = hospital["patient"], hospital["doctor"], hospital["nurse"]

    CareAssignment.objects.filter(provider=nurse.provider).update(ended_at=timezone.now())
    assert_access_matches_care_teams("QuerySet.update(ended_at=...)")
    assert not sees(nurse, patient)

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_careassignment SET ended_at = NULL WHERE provider_id = %s",
            [nurse.provider.pk],
        )
    assert_access_matches_care_teams("raw SQL")
    assert sees(nurse, patient)

    HealthcareProvider.objects.get(pk=nurse.provider.pk).delete(by=hospital["admin"])
    assert_access_matches_care_teams("provider soft delete")
    assert not sees(nurse, patient)

    doctor.is_active = False
    doctor.save(update_fields=["is_active"])
    assert_access_matches_care_teams("login deactivated")
    assert not sees(doctor, patient)


def test_it_follows_the_admin_add_change_and_delete(client, hospital):
    patient, second = hospital["patient"], hospital["second"]
    encounter = personas.open_encounter(patient)
    client.force_login(hospital["admin"])

    response = client.post(
        reverse("admin:patients_careassignment_add"),
        {"encounter": encounter.pk, "provider": second.provider.pk, "role": "consulting"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_access_matches_care_teams("admin add")
    assert sees(second, patient)

    assignment = CareAssignment.objects.get(encounter=encounter, provider=second.provider)
    now = timezone.localtime()
    response = client.post(
        reverse("admin:patients_careassignment_change", args=[assignment.pk]),
        {
            "encounter": encounter.pk,
            "provider": second.provider.pk,
            "role": "consulting",
            "ended_at_0": now.strftime("%Y-%m-%d"),
            "ended_at_1": now.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_access_matches_care_teams("admin change (ended)")
    assert not sees(second, patient)

    CareAssignment.objects.filter(pk=assignment.pk).update(ended_at=None)
    assert sees(second, patient)
    response = client.post(
        reverse("admin:patients_careassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert CareAssignment.all_objects.get(pk=assignment.pk).is_deleted
    assert_access_matches_care_teams("admin delete")
    assert not sees(second, patient)


def test_it_follows_the_synthea_import(tmp_path, hospital):
    export = one_patient_copy(tmp_path)
    # The newest encounter still open (no STOP), as in an export taken during a stay.
    encounters = read_csv(export, "encounters.csv")
    newest = max(encounters, key=lambda row: row["START"])
    newest["STOP"] = ""
    write_csv(export, "encounters.csv", encounters, columns=list(encounters[0]))
    run_import(export)
    imported = Patient.objects.get(external_id=CHART_PATIENT)
    assignments = CareAssignment.objects.filter(encounter__patient=imported, ended_at=None)
    provider = assignments.first().provider
    # A clinician whose login is linked to an imported provider sees that provider's patients.
    login = personas.user_with_role(Role.DOCTOR, username="dr.imported")
    provider.user = login
    provider.save(update_fields=["user"])
    expected = assert_access_matches_care_teams("Synthea import")
    assert imported.pk in expected[login.pk]

    run_import(export)
    assert_access_matches_care_teams("Synthea re-import")


def test_it_follows_break_the_glass_and_explicit_grants(hospital):
    patient, elsewhere = hospital["patient"], hospital["elsewhere"]
    assert not sees(elsewhere, patient)

    access = break_glass_open(user=elsewhere, patient=patient, reason="Unconscious in the ED")
    assert_access_matches_care_teams("break-the-glass opened")
    assert sees(elsewhere, patient)

    BreakGlassAccess.objects.filter(pk=access.pk).update(
        started_at=timezone.now() - timedelta(hours=3),
        expires_at=timezone.now() - timedelta(hours=2),
    )
    assert_access_matches_care_teams("break-the-glass expired")
    assert not sees(elsewhere, patient)

    assign_perm("patients.view_patient", elsewhere, patient)
    assert_access_matches_care_teams("explicit grant")
    assert sees(elsewhere, patient)
    remove_perm("patients.view_patient", elsewhere, patient)
    assert_access_matches_care_teams("explicit grant removed")
    assert not sees(elsewhere, patient)
