"""Reads that span the access records: emergency accesses with what was opened during each."""

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import F, Q

from access.models import AccessLog, BreakGlassAccess


@dataclass
class EmergencyAccessReview:
    """One emergency access and the access-log entries of its user on its patient while it ran."""

    access: BreakGlassAccess
    entries: list[AccessLog]


def break_glass_accesses_for_review():
    """Every emergency access, unreviewed first, then newest first, with who and whom."""
    return BreakGlassAccess.objects.select_related("user", "patient", "reviewed_by").order_by(
        F("reviewed_at").asc(nulls_first=True), "-started_at", "-id"
    )


def sections_opened_during(accesses) -> list[EmergencyAccessReview]:
    """Each access with the pages its user opened on its patient between its start and its
    end (ended early, else expiry), oldest first; one query for all of them."""
    accesses = list(accesses)
    if not accesses:
        return []
    during = reduce(
        or_,
        (
            Q(
                user_id=access.user_id,
                patient_id=access.patient_id,
                at__gte=access.started_at,
                at__lte=access.closed_at,
            )
            for access in accesses
        ),
    )
    entries = list(
        AccessLog.objects.filter(during)
        .only("user_id", "patient_id", "at", "section", "detail")
        .order_by("at", "id")
    )
    return [
        EmergencyAccessReview(
            access=access,
            entries=[
                entry
                for entry in entries
                if entry.user_id == access.user_id
                and entry.patient_id == access.patient_id
                and access.started_at <= entry.at <= access.closed_at
            ],
        )
        for access in accesses
    ]
