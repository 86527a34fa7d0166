"""Which bills a user may see. Bills go through this scope like patients go through
`Patient.objects.visible_to`."""

from access import permissions
from billing.models import Bill
from patients.models import Patient


def bills_visible_to(user):
    """Billing staff and administrators: all; the care team: their patients'; a patient: own."""
    if permissions.can_use_billing(user):
        return Bill.objects.all()
    if permissions.is_clinician(user) or permissions.can_use_portal(user):
        return Bill.objects.filter(patient__in=Patient.objects.visible_to(user))
    return Bill.objects.none()
