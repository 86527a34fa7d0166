"""Who sees which record in the portal: the one scope and the one getter.

A portal user sees their own record and the records of their active proxy accesses
(a parent for a child, a carer). A proxy picks one of those records; every portal page
reads that record and only that record. Staff get 403 here: they have their own pages.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from access import permissions
from patients.models import Patient
from portal.models import ProxyAccess

SELECTED_RECORD = "portal_patient_id"
security_log = logging.getLogger("phms.security")


def portal_patients_for_user(user) -> QuerySet[Patient]:
    """The records a portal user may read in the portal: their own and the proxied ones.

    A union of two indexed lookups (an OR of the two would scan every patient), so the
    result can be read but not filtered further.
    """
    if not (permissions.can_use_portal(user) and user.is_active):
        return Patient.objects.none()
    own = Patient.objects.filter(user=user).order_by()
    proxied = Patient.objects.filter(
        pk__in=ProxyAccess.objects.active().filter(proxy=user).values("patient_id")
    ).order_by()
    return own.union(proxied)


def _own_first(records, user) -> list[Patient]:
    """The user's own record first, then the proxied ones by name; each marked `is_own`."""
    for record in records:
        record.is_own = record.user_id == user.pk
    return sorted(records, key=lambda r: (not r.is_own, r.last_name, r.first_name, r.pk))


def portal_patient_for_user(request) -> Patient:
    """The record this portal page shows (the signed-in patient's, or the proxy's choice).

    403 for anyone who is not a portal user; 404 when no record is (still) available.
    Sets `request.portal_records`, every record the user may switch to (one query).
    """
    user = request.user
    if not permissions.can_use_portal(user):
        raise PermissionDenied("The portal is for patients; staff use the clinical pages.")
    cached = getattr(request, "portal_patient", None)
    if cached is not None:
        return cached
    records = _own_first(portal_patients_for_user(user), user)
    if not records:
        raise Http404("No record is available to this portal account.")
    chosen = request.session.get(SELECTED_RECORD)
    patient = next((record for record in records if record.pk == chosen), records[0])
    request.portal_records = records
    request.portal_patient = patient
    return patient


def portal_record_select(request, patient_pk) -> Patient:
    """Switch the record a proxy reads; a record outside the scope answers 404."""
    portal_patient_for_user(request)
    patient = next((r for r in request.portal_records if str(r.pk) == str(patient_pk)), None)
    if patient is None:
        security_log.warning(
            "refused: user=%s portal record=%r status=404", request.user.pk, str(patient_pk)[:40]
        )
        request.user.phms_refusal_logged = True
        raise Http404("No such record")
    request.session[SELECTED_RECORD] = patient.pk
    request.portal_patient = patient
    return patient


def portal_record_or_404(queryset, **lookup):
    """One row of the shown record (the queryset is already limited to it), else 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such record") from None
