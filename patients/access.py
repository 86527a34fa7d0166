"""Who may see which patient: the access getter, its checked form for views, and the
list scopes built on them.

Whether a user sees a patient is derived from live care assignments when asked
(`access.grants`); nothing here stores or syncs it.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

from access import permissions
from access.audit import access_log_record
from patients.models import Encounter, Patient

security_log = logging.getLogger("phms.security")


def get_patient_for_user(user, pk) -> Patient:
    """The patient with this id if the user may see it; otherwise 404, as if it did not exist."""
    try:
        patient = Patient.objects.get(pk=int(pk))
    except (Patient.DoesNotExist, ValueError, TypeError, OverflowError):
        patient = None
    # The single-patient form of `visible_to`: indexed lookups instead of the list scope.
    if patient is not None and permissions.is_patient_visible(user, patient):
        setattr(patient, permissions.CHECKED_VISIBLE_FOR, {user.pk})
        return patient
    if getattr(user, "is_authenticated", False):
        security_log.warning("refused: user=%s patient=%r status=404", user.pk, str(pk)[:40])
        # handler404 then does not log the same refusal a second time.
        user.phms_refusal_logged = True
    raise Http404("No such patient")


def checked_patient(request, pk, predicate, *, section: str, refusal: str) -> Patient:
    """The patient if the user may see it (else 404) and may do this (else 403); logged."""
    patient = get_patient_for_user(request.user, pk)
    if not predicate(request.user, patient):
        raise PermissionDenied(refusal)
    access_log_record(request, patient=patient, section=section)
    return patient


def clinical_patients_visible_to(user):
    """Patients whose clinical data (chart, notes, vaccinations) the user may read in lists.

    Front desk and billing see the patient index but no clinical data, so they get none.
    """
    if permissions.is_administrator(user) or permissions.is_clinician(user):
        return Patient.objects.visible_to(user)
    if permissions.can_use_portal(user):
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def encounters_visible_to(user):
    """Encounters of the patients the user may see; billing sees them to bill them."""
    if permissions.can_use_billing(user):
        return Encounter.objects.filter(patient__in=Patient.objects.visible_to(user))
    return Encounter.objects.filter(patient__in=clinical_patients_visible_to(user))
