"""The portal's writes: invitations and activation, proxy accesses, change requests."""

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from access import permissions
from access.roles import Role
from patients import services as patient_services
from patients.models import EmergencyContact, Patient
from portal.models import ChangeRequest, PortalInvitation, ProxyAccess

security_log = logging.getLogger("phms.security")

# Read out over a counter or the phone: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_CODE_ATTEMPTS = 5


def _token_hash(token: str) -> str:
    # The token carries 256 random bits: a plain SHA-256 is enough to find it and not undo it.
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


# Invitations -------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, patient, by) -> tuple[PortalInvitation, str, str]:
    """A new activation link token and code for the patient; earlier open ones are revoked.

    Returns the invitation, the token and the code: the only time either is known in clear.
    """
    if patient.user_id is not None:
        raise ValidationError(
            f"{patient.full_name} already has a portal account; no invitation is needed."
        )
    now = timezone.now()
    for earlier in PortalInvitation.objects.select_for_update().filter(
        patient=patient, used_at__isnull=True, revoked_at__isnull=True
    ):
        earlier.revoked_at = now
        earlier._history_user = by
        earlier.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    invitation = PortalInvitation(
        patient=patient,
        token_hash=_token_hash(token),
        code_hash=make_password(code),
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.PORTAL_INVITATION_HOURS),
    )
    invitation.full_clean()
    invitation._history_user = by
    invitation.save()
    return invitation, token, code


def invitation_email(*, invitation, link: str) -> bool:
    """Mail the activation link (never the code) when mail is configured and an address is known.

    The code stays on the printed letter or is read out: the mail alone cannot open the account.
    """
    address = invitation.patient.email
    if not settings.EMAIL_URL or not address:
        return False
    hours = settings.PORTAL_INVITATION_HOURS
    body = (
        f"Hello {invitation.patient.first_name},\n\n"
        f"You have been invited to the PHMS patient portal. Open this link within {hours} hours "
        f"and enter the activation code the front desk gave you:\n\n{link}\n\n"
        "If you did not ask for this, ignore this message and tell the hospital.\n"
    )
    try:
        send_mail("Your PHMS patient portal invitation", body, None, [address])
    except (smtplib.SMTPException, OSError) as error:
        security_log.warning("invitation mail failed: patient=%s %s", invitation.patient_id, error)
        return False
    invitation.emailed_to = address
    invitation.save(update_fields=["emailed_to"])
    return True


def invitation_for_token(token: str) -> PortalInvitation | None:
    return (
        PortalInvitation.objects.select_related("patient")
        .filter(token_hash=_token_hash(token or ""))
        .first()
    )


INVITATION_REFUSALS = {
    "unknown": "This activation link is not valid. Check that you typed the whole link, or "
    "ask the front desk for a new invitation.",
    "used": "This activation link has already been used. Sign in with the username you chose.",
    "revoked": "This activation link was replaced by a newer invitation. Use the newest "
    "letter, or ask the front desk for a new one.",
    "expired": "This activation link has expired. Ask the front desk for a new invitation.",
    "locked": "This activation link is locked after too many wrong codes. Ask the front desk "
    "for a new invitation.",
    "has_account": "This patient already has a portal account. Sign in with it.",
}


def invitation_refusal(invitation: PortalInvitation | None) -> str:
    """Why the link cannot be used now (a key of INVITATION_REFUSALS), or "" when it can."""
    if invitation is None:
        return "unknown"
    if invitation.state != "open":
        return invitation.state
    if invitation.failed_attempts >= MAX_CODE_ATTEMPTS:
        return "locked"
    if invitation.patient.user_id is not None:
        return "has_account"
    return ""


def invitation_activate(*, token: str, code: str, username: str, password: str):
    """Create the patient's portal login from an open invitation; the link then stops working.

    Raises ValidationError with a message the patient can act on. A wrong code counts
    towards MAX_CODE_ATTEMPTS; past it the link is locked.
    """
    wrong_code = False
    with transaction.atomic():
        invitation = (
            PortalInvitation.objects.select_for_update()
            .select_related("patient")
            .filter(token_hash=_token_hash(token or ""))
            .first()
        )
        refusal = invitation_refusal(invitation)
        if refusal:
            raise ValidationError(INVITATION_REFUSALS[refusal], code=refusal)
        if not check_password(normalize_code(code), invitation.code_hash):
            invitation.failed_attempts += 1
            invitation.save(update_fields=["failed_attempts"])
            wrong_code = True
        else:
            user = _portal_login_create(invitation.patient, username=username, password=password)
            invitation.used_at = timezone.now()
            invitation._history_user = user
            invitation.save(update_fields=["used_at"])
            return user
    left = MAX_CODE_ATTEMPTS - invitation.failed_attempts
    if wrong_code and left <= 0:
        raise ValidationError(INVITATION_REFUSALS["locked"], code="locked")
    raise ValidationError(
        f"That activation code does not match. Check the letter and try again "
        f"({left} attempt{'s' if left != 1 else ''} left).",
        code="wrong_code",
    )


def _portal_login_create(patient, *, username: str, password: str):
    user_model = get_user_model()
    username = (username or "").strip()
    if user_model.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken; choose another."})
    user = user_model(
        username=username,
        first_name=patient.first_name,
        last_name=patient.last_name,
        email=patient.email,
    )
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
        password_validation.validate_password(password, user)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"password1": error.messages}) from error
    user.save()
    user.groups.add(Group.objects.get(name=Role.PATIENT.value))
    patient.user = user
    patient._history_user = user
    patient._change_reason = "Portal account activated by the patient"
    patient.save(update_fields=["user"])
    return user


# Proxy access ------------------------------------------------------------------------------


@transaction.atomic
def proxy_access_grant(*, patient, proxy, relationship, ends_on, by) -> ProxyAccess:
    """Let `proxy` (a portal user) read the patient's record in the portal until `ends_on`.

    An active access of the same proxy is extended or shortened instead of doubled.
    """
    if not permissions.can_use_portal(proxy) or not proxy.is_active:
        raise ValidationError({"username": "That login is not an active patient-portal account."})
    if proxy.pk == patient.user_id:
        raise ValidationError({"username": "That is the patient's own account."})
    if ends_on < timezone.localdate():
        raise ValidationError({"ends_on": "The end date cannot be in the past."})
    access = ProxyAccess.objects.active().filter(patient=patient, proxy=proxy).first()
    if access is None:
        access = ProxyAccess(patient=patient, proxy=proxy, granted_by=by)
    access.relationship = relationship
    access.ends_on = ends_on
    access.full_clean()
    access._history_user = by
    access.save()
    return access


@transaction.atomic
def proxy_access_revoke(*, access, by) -> ProxyAccess:
    if access.revoked_at is None:
        access.revoked_at = timezone.now()
        access.revoked_by = by
        access._history_user = by
        access.save(update_fields=["revoked_at", "revoked_by"])
    return access


# Change requests ---------------------------------------------------------------------------


@transaction.atomic
def change_request_submit(*, patient, by, kind, values) -> ChangeRequest:
    """Ask for a change of contact details; nothing changes until front desk accepts it."""
    waiting = ChangeRequest.objects.filter(
        patient=patient, kind=kind, status=ChangeRequest.Status.PENDING
    )
    if kind != ChangeRequest.Kind.CONTACT_ADD and waiting.exists():
        raise ValidationError(
            "A request of this kind is already waiting for review; the front desk will "
            "look at it soon."
        )
    change = ChangeRequest(patient=patient, kind=kind, values=values, requested_by=by)
    change.full_clean()
    change._history_user = by
    change.save()
    return change


def _apply(change: ChangeRequest, reviewer) -> None:
    """Make the change through the patients services, as the patient who asked for it."""
    patient = Patient.objects.select_for_update().get(pk=change.patient_id)
    source = change.requested_by
    reason = (
        f"Requested in the portal by {source.get_full_name() or 'the patient'}; "
        f"accepted by {reviewer.get_full_name() or reviewer.get_username()}"
    )
    values = dict(change.values)
    if change.kind in (
        ChangeRequest.Kind.PHONE,
        ChangeRequest.Kind.EMAIL,
        ChangeRequest.Kind.ADDRESS,
    ):
        patient._change_reason = reason
        patient_services.patient_update(patient=patient, by=source, **values)
    elif change.kind == ChangeRequest.Kind.CONTACT_ADD:
        patient_services.emergency_contact_create(patient=patient, by=source, **values)
    elif change.kind == ChangeRequest.Kind.CONTACT_REMOVE:
        contact = EmergencyContact.objects.filter(patient=patient, pk=values["contact_id"]).first()
        if contact is None:
            raise ValidationError("That emergency contact is no longer on the record.")
        patient_services.record_soft_delete(
            record=contact, by=source, reason=reason[: patient_services.DELETE_REASON_MAX_LENGTH]
        )


def _decide(change, by, status, **fields) -> ChangeRequest:
    """Record the reviewer's decision on a pending request (locked, checked, with history)."""
    change.status = status
    change.reviewed_by = by
    change.reviewed_at = timezone.now()
    for name, value in fields.items():
        setattr(change, name, value)
    change.full_clean()
    change._history_user = by
    change.save()
    return change


def _pending(change) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change.pk)
    if change.status != ChangeRequest.Status.PENDING:
        raise ValidationError("This request was already reviewed.")
    return change


@transaction.atomic
def change_request_accept(*, change, by) -> ChangeRequest:
    change = _pending(change)
    _apply(change, by)
    return _decide(change, by, ChangeRequest.Status.ACCEPTED)


@transaction.atomic
def change_request_decline(*, change, by, reason: str) -> ChangeRequest:
    change = _pending(change)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Tell the patient why the request is declined."})
    return _decide(change, by, ChangeRequest.Status.DECLINED, decline_reason=reason)
