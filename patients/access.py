"""Who may see which patient: the access getter and the care-team grants.

Care-team membership is expressed as django-guardian object permissions on the
Patient, granted and revoked by the services that start and end assignments.
"""

from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm

from patients.models import CareAssignment, Patient

VIEW_PATIENT = "patients.view_patient"
CHANGE_PATIENT = "patients.change_patient"


def patient_access_sync(*, provider, patient) -> None:
    """Grant or revoke the provider's login access to the patient to match their assignments."""
    user = provider.user
    if user is None:
        return
    on_team = CareAssignment.objects.filter(
        provider=provider, encounter__patient=patient, ended_at__isnull=True
    ).exists()
    for perm in (VIEW_PATIENT, CHANGE_PATIENT):
        if on_team:
            assign_perm(perm, user, patient)
        else:
            remove_perm(perm, user, patient)


def get_patient_for_user(user, pk) -> Patient:
    """The patient with this id if the user may see it; otherwise 404, as if it did not exist."""
    try:
        return Patient.objects.visible_to(user).get(pk=int(pk))
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient") from None
