"""Who may see a patient's record: derived at the moment of asking, never stored.

A clinician sees a patient while they are on a live care team of that patient: a care
assignment that has not ended, of an encounter and a provider that are not deleted,
held by the provider linked to the clinician's login. Because this is read from the
assignments themselves, no writer (a service, the admin, an import, a soft-delete
cascade or its restore, a bulk update, raw SQL) can leave access behind or withhold it.

Two other sources add to it: an active break-the-glass access, and an explicit
django-guardian grant (`patients.view_patient` on one patient, given by an
administrator from the patient's admin page) for work that has no encounter.

Models are named by string: access imports no domain app.
"""

from dataclasses import dataclass

from django.apps import apps

VIEW_PATIENT_CODENAME = "view_patient"


def _care_assignments():
    return apps.get_model("patients", "CareAssignment").objects


def live_care_assignments():
    """Care assignments that grant access now (not ended; encounter and provider alive)."""
    return _care_assignments().filter(
        ended_at__isnull=True,
        encounter__deleted_at__isnull=True,
        provider__deleted_at__isnull=True,
    )


def care_team_patient_ids(user):
    """A subquery of the ids of patients on whose live care teams the user is."""
    return (
        live_care_assignments()
        .filter(provider__user=user)
        .values_list("encounter__patient_id", flat=True)
        .order_by()  # without the models' ordering columns, DISTINCT is per patient
        .distinct()
    )


def is_on_care_team(user, patient_id) -> bool:
    return (
        live_care_assignments()
        .filter(provider__user=user, encounter__patient_id=patient_id)
        .exists()
    )


def _explicit_grants(user):
    from guardian.models import UserObjectPermission

    return UserObjectPermission.objects.filter(
        user=user,
        permission__codename=VIEW_PATIENT_CODENAME,
        permission__content_type__app_label="patients",
        permission__content_type__model="patient",
    )


def explicitly_granted_patient_ids(user) -> list[int]:
    """Patients granted to the user one by one; few rows, read into a list.

    guardian keeps object ids as text, so a subquery would compare text with integers
    and no index would serve it; the ids are read first instead.
    """
    ids = []
    for object_pk in _explicit_grants(user).values_list("object_pk", flat=True):
        try:
            ids.append(int(object_pk))
        except ValueError:
            continue
    return ids


def has_explicit_grant(user, patient_id) -> bool:
    return _explicit_grants(user).filter(object_pk=str(patient_id)).exists()


def emergency_patient_ids(user):
    """A subquery of the patients the user holds an active break-the-glass access to."""
    break_glass = apps.get_model("access", "BreakGlassAccess")
    return break_glass.objects.active().filter(user=user).values_list("patient_id", flat=True)


# Up to this many patients a clinician's scope is read as a list of ids (three indexed
# reads) and given to the patient query as `id IN (...)`, which every database serves
# from the primary key. Past it, the scope stays three subqueries joined by OR, which
# MariaDB evaluates row by row over the whole patient table.
SCOPE_AS_LIST_LIMIT = 5000


def clinician_patient_scope(user) -> list[int] | None:
    """The ids of every patient the clinician may see now (care teams, break-the-glass,
    explicit grants), sorted; None when there are more than SCOPE_AS_LIST_LIMIT."""
    ids = set(explicitly_granted_patient_ids(user))
    for source in (care_team_patient_ids(user), emergency_patient_ids(user)):
        ids.update(source[: SCOPE_AS_LIST_LIMIT + 1])
        if len(ids) > SCOPE_AS_LIST_LIMIT:
            return None
    return sorted(ids)


def has_active_emergency_access(user, patient_id) -> bool:
    break_glass = apps.get_model("access", "BreakGlassAccess")
    return break_glass.objects.active().filter(user=user, patient_id=patient_id).exists()


# Checking a live database -------------------------------------------------------------


@dataclass(frozen=True)
class GrantDifference:
    """One place where stored or answered access differs from the care teams."""

    user_id: int
    patient_id: int | None
    problem: str
    grant_id: int | None = None  # an explicit grant that --fix removes

    @property
    def repairable(self) -> bool:
        return self.grant_id is not None


def _stale_explicit_grants():
    """Explicit patient grants that can no longer mean anything, with the reason."""
    from guardian.models import UserObjectPermission

    from access.permissions import is_clinician

    patient_model = apps.get_model("patients", "Patient")
    alive = set(
        patient_model.all_objects.filter(deleted_at__isnull=True).values_list("pk", flat=True)
    )
    grants = UserObjectPermission.objects.filter(
        permission__content_type__app_label="patients",
        permission__content_type__model="patient",
    ).select_related("user", "permission")
    for grant in grants.iterator(chunk_size=2000):
        try:
            patient_id = int(grant.object_pk)
        except ValueError:
            yield GrantDifference(grant.user_id, None, "grant names no patient", grant.pk)
            continue
        if grant.permission.codename != VIEW_PATIENT_CODENAME:
            problem = f"{grant.permission.codename} is never granted per patient"
        elif patient_id not in alive:
            problem = "grant on a deleted or missing patient"
        elif not grant.user.is_active:
            problem = "grant to a deactivated login"
        elif not is_clinician(grant.user):
            problem = "grant to a login that is no doctor or nurse"
        else:
            continue
        yield GrantDifference(grant.user_id, patient_id, problem, grant.pk)


def _care_teams_from_rows() -> dict[int, set[int]]:
    """Login id -> patients on whose live care teams it is, read row by row, not by query."""
    rows = (
        _care_assignments()
        .model.all_objects.values_list(
            "deleted_at",
            "ended_at",
            "encounter__deleted_at",
            "provider__deleted_at",
            "provider__user_id",
            "encounter__patient_id",
        )
        .iterator(chunk_size=5000)
    )
    teams: dict[int, set[int]] = {}
    for deleted, ended, encounter_deleted, provider_deleted, user_id, patient_id in rows:
        if user_id and not (deleted or ended or encounter_deleted or provider_deleted):
            teams.setdefault(user_id, set()).add(patient_id)
    return teams


def grant_differences():
    """Every difference between who can see each patient and who is on a live care team.

    Stale explicit grants come first (repairable). Then, for every active doctor and
    nurse, the list scope is compared with the care teams (plus active emergency
    accesses and valid explicit grants) read from the rows; a difference there is a
    fault in the code, reported for a developer, never silently repaired.
    """
    from django.contrib.auth import get_user_model

    from access.permissions import is_clinician, sees_all_patients

    stale = list(_stale_explicit_grants())
    yield from stale
    stale_ids = {difference.grant_id for difference in stale}
    patient_model = apps.get_model("patients", "Patient")
    alive = set(
        patient_model.all_objects.filter(deleted_at__isnull=True).values_list("pk", flat=True)
    )
    teams = _care_teams_from_rows()
    clinicians = get_user_model().objects.filter(
        is_active=True, groups__name__in=["doctor", "nurse"]
    )
    for user in clinicians.distinct().iterator(chunk_size=500):
        if not is_clinician(user) or sees_all_patients(user):
            continue
        expected = set(teams.get(user.pk, set()))
        expected |= set(emergency_patient_ids(user))
        expected |= {
            int(grant.object_pk)
            for grant in _explicit_grants(user)
            if grant.pk not in stale_ids and grant.object_pk.isdigit()
        }
        expected &= alive
        answered = set(patient_model.objects.visible_to(user).values_list("pk", flat=True))
        for patient_id in sorted(answered - expected):
            yield GrantDifference(user.pk, patient_id, "sees a patient not on any live care team")
        for patient_id in sorted(expected - answered):
            yield GrantDifference(user.pk, patient_id, "on a live care team but cannot see it")
