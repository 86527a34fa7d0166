"""Writes that touch more than one row. Keyword-only, atomic, validated."""

from django.db import transaction
from django.utils import timezone

from patients.access import patient_access_sync
from patients.models import CareAssignment


@transaction.atomic
def care_assignment_create(*, encounter, provider, role, by=None) -> CareAssignment:
    """Put a provider on an encounter's care team; this grants them the patient's chart."""
    assignment = CareAssignment.all_objects.filter(
        encounter=encounter, provider=provider, role=role
    ).first()
    if assignment is None:
        assignment = CareAssignment(encounter=encounter, provider=provider, role=role)
    elif assignment.is_deleted:
        assignment.restore(by=by)
    assignment.ended_at = None
    assignment.full_clean()
    if by is not None:
        assignment._history_user = by
    assignment.save()
    patient_access_sync(provider=provider, patient=encounter.patient)
    return assignment


@transaction.atomic
def care_assignment_end(*, assignment, by=None) -> None:
    """Take a provider off the care team; access ends unless another assignment remains."""
    assignment.ended_at = timezone.now()
    if by is not None:
        assignment._history_user = by
    assignment.save(update_fields=["ended_at"])
    patient_access_sync(provider=assignment.provider, patient=assignment.encounter.patient)
