"""Writes of access control: role groups, break-the-glass, its review, the access-log purge."""

import logging
import re
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from access import permissions
from access.models import AccessLog, BreakGlassAccess
from access.roles import ROLE_PERMISSIONS, Role

security_log = logging.getLogger("phms.security")

BREAK_GLASS_REASON_MIN_LENGTH = 10
_WORD = re.compile(r"[^\W\d_]{2,}")
_VOWELS = set("aeiouyàáâäèéêëìíîïòóôöùúûü")


def reason_reads_as_words(text: str) -> bool:
    """Whether a free-text reason reads as words, not a key held down or a mash:
    two words or more, one of them of four letters with a vowel (any letter outside the
    Latin alphabet counts), five different letters, and no word of one repeated letter."""
    words = [word.lower() for word in _WORD.findall(text)]
    letters = {letter for word in words for letter in word}
    return (
        len(words) >= 2
        and len(letters) >= 5
        and any(len(word) >= 4 and (_VOWELS & set(word) or not word.isascii()) for word in words)
        and all(len(set(word)) > 1 for word in words if len(word) >= 3)
    )


@transaction.atomic
def break_glass_open(
    *, user, patient, reason, category=BreakGlassAccess.Category.EMERGENCY_TREATMENT
) -> BreakGlassAccess:
    """Give a clinician outside the care team time-limited access to one patient's chart."""
    if not permissions.can_break_glass(user):
        security_log.warning(
            "refused: user=%s break-glass patient=%s (not a clinician)", user.pk, patient.pk
        )
        raise PermissionDenied("Only doctors and nurses can use break-the-glass access.")
    reason = (reason or "").strip()
    if len(reason) < BREAK_GLASS_REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": "Give the clinical reason in at least "
                f"{BREAK_GLASS_REASON_MIN_LENGTH} characters."
            }
        )
    if not reason_reads_as_words(reason):
        raise ValidationError(
            {
                "reason": 'Write the reason in words, for example "Unconscious in the '
                'emergency department, needs the medication history".'
            }
        )
    now = timezone.now()
    access = BreakGlassAccess(
        user=user,
        patient=patient,
        category=category,
        reason=reason,
        started_at=now,
        expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    access.full_clean()
    access.save()
    security_log.warning(
        "break-glass opened: user=%s patient=%s access=%s until=%s",
        user.pk,
        patient.pk,
        access.pk,
        access.expires_at.isoformat(),
    )
    return access


@transaction.atomic
def break_glass_end(*, access, by) -> BreakGlassAccess:
    """End an emergency access before its expiry (its holder, or an administrator)."""
    if not permissions.can_end_break_glass(by, access):
        raise PermissionDenied("Only the clinician who opened an emergency access can end it.")
    if not access.is_active:
        raise ValidationError("This emergency access has already ended.")
    access.ended_at = timezone.now()
    access.full_clean()
    access.save(update_fields=["ended_at"])
    security_log.warning(
        "break-glass ended: user=%s patient=%s access=%s by=%s",
        access.user_id,
        access.patient_id,
        access.pk,
        by.pk,
    )
    return access


@transaction.atomic
def break_glass_review(*, access, by, note="") -> BreakGlassAccess:
    """An administrator marks an emergency access reviewed."""
    if not permissions.can_review_break_glass(by):
        raise PermissionDenied("Only administrators review break-the-glass accesses.")
    access.reviewed_at = timezone.now()
    access.reviewed_by = by
    if note:
        access.review_note = note
    access.full_clean()
    access.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
    return access


def access_log_purge(*, now=None) -> int:
    """Remove access-log entries older than ACCESS_LOG_RETENTION_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    deleted, _ = AccessLog.objects.filter(at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def roles_setup() -> dict[str, int]:
    """Make each role's group hold exactly its model permissions; returns counts per role."""
    counts = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role == Role.ADMINISTRATOR:
            labels = {config.label for config in apps.get_app_configs()}
            wanted = Permission.objects.filter(content_type__app_label__in=labels)
        else:
            wanted = Permission.objects.none()
            for dotted in ROLE_PERMISSIONS[role]:
                app_label, codename = dotted.split(".")
                wanted = wanted | Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
        group.permissions.set(wanted)
        counts[role.value] = group.permissions.count()
    return counts


@transaction.atomic
def explicit_grants_remove(*, grant_ids) -> int:
    """Remove explicit per-patient grants (`check_access_grants --fix`); each is logged."""
    from guardian.models import UserObjectPermission

    grants = UserObjectPermission.objects.filter(pk__in=list(grant_ids)).select_related(
        "permission"
    )
    removed = 0
    for grant in grants:
        security_log.warning(
            "explicit grant removed: user=%s patient=%s permission=%s",
            grant.user_id,
            grant.object_pk,
            grant.permission.codename,
        )
        grant.delete()
        removed += 1
    return removed


def password_reset_link(user) -> str:
    """The path of a one-time password reset link for this user (valid PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
