"""The access log: every read of a patient's data appends one entry (never clinical content)."""

import ipaddress

from django.conf import settings

from access import permissions
from access.models import AccessLog, BreakGlassAccess
from access.roles import primary_role

Section = AccessLog.Section


def client_address(request) -> str | None:
    """The client's address; behind our TLS proxy, the address that proxy saw."""
    candidates = []
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # The rightmost entry is the one our proxy appended; those left of it are client-supplied.
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            candidates.append(hops[-1])
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def access_log_record(request, *, patient, section, detail="") -> AccessLog:
    """Append who read which section of which patient, when and from where."""
    user = request.user
    accesses = active_break_glass(request) if permissions.can_break_glass(user) else ()
    emergency = max(
        (access for access in accesses if access.patient_id == patient.pk),
        key=lambda access: access.started_at,
        default=None,
    )
    return AccessLog.objects.create(
        user=user,
        role=primary_role(user) or "",
        patient=patient,
        section=Section(section),
        detail=detail[:200],
        client_address=client_address(request),
        break_glass_reason=emergency.reason[:500] if emergency else "",
    )


def access_log_record_list(request, *, patient_ids, section, detail="") -> AccessLog | None:
    """One entry for a page that lists patients, naming each patient it showed.

    Writes nothing for an empty list: a page that showed no patient read no record.
    """
    patient_ids = sorted({int(pk) for pk in patient_ids})
    if not patient_ids:
        return None
    user = request.user
    entry = AccessLog.objects.create(
        user=user,
        role=primary_role(user) or "",
        section=Section(section),
        detail=detail[:200],
        client_address=client_address(request),
    )
    shown = AccessLog.patients_shown.through
    shown.objects.bulk_create([shown(accesslog_id=entry.pk, patient_id=pk) for pk in patient_ids])
    return entry


def access_log_record_aggregate(request, *, section, detail) -> AccessLog:
    """An aggregate view (a report): who looked at what, naming no patient."""
    user = request.user
    return AccessLog.objects.create(
        user=user,
        role=primary_role(user) or "",
        section=Section(section),
        detail=detail[:200],
        client_address=client_address(request),
    )


def active_break_glass(request) -> list[BreakGlassAccess]:
    """The signed-in user's active break-the-glass accesses, soonest to expire first.

    Read once per request: the access log and the page's banner both need them.
    """
    accesses = getattr(request, "_active_break_glass", None)
    if accesses is None:
        accesses = list(
            BreakGlassAccess.objects.active()
            .filter(user=request.user)
            .select_related("patient")
            .order_by("expires_at")
        )
        request._active_break_glass = accesses
    return accesses


def access_history_for_patient(patient):
    """A patient's access history, newest first, for the portal."""
    return (
        AccessLog.objects.filter(patient=patient)
        .select_related("user")
        .only(
            "at",
            "role",
            "section",
            "break_glass_reason",
            "client_address",
            "user__username",
            "user__first_name",
            "user__last_name",
        )
        .order_by("-at", "-id")
    )
