"""Two-step sign-in (django-otp): who must use it, and whether a user has turned it on.

Staff of MFA_REQUIRED_ROLES (and superusers while any role requires it) must confirm an
authenticator app's code or a recovery code after the password; anyone else who has set it
up must too. Whether a user has a device is read once per session.
"""

import logging
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.roles import roles_of

security_log = logging.getLogger("phms.security")

SESSION_HAS_DEVICE = "phms_has_second_factor"
RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def is_required_for(user) -> bool:
    required = set(settings.MFA_REQUIRED_ROLES)
    return bool(required) and (user.is_superuser or bool(required & set(roles_of(user))))


def has_second_factor(request) -> bool:
    """Whether the signed-in user has a confirmed device (kept in the session)."""
    known = request.session.get(SESSION_HAS_DEVICE)
    if known is None:
        known = request.session[SESSION_HAS_DEVICE] = user_has_device(request.user)
    return known


def must_verify(request) -> bool:
    """A signed-in user who has not confirmed a second factor in this session, and must."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return is_required_for(user) or has_second_factor(request)


def device_for_code(user, code: str) -> tuple[object | None, int]:
    """The device a code opens, or None with the seconds to wait when django-otp's throttle
    holds it after wrong codes. Six digits are the app's; anything else a recovery code (so a
    recovery code never counts as a wrong app code)."""
    code = code.replace(" ", "").lower()
    kind = TOTPDevice if len(code) == 6 and code.isdigit() else StaticDevice
    wait = 0
    for device in kind.objects.filter(user=user, confirmed=True):
        allowed, details = device.verify_is_allowed()
        if not allowed:
            locked_until = (details or {}).get("locked_until") or timezone.now()
            wait = max(wait, 1, math.ceil((locked_until - timezone.now()).total_seconds()))
        elif device.verify_token(code):
            return device, 0
    return None, wait


def pending_app_device(user) -> TOTPDevice:
    """The authenticator app being set up (unconfirmed), made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


@transaction.atomic
def second_factor_confirm(*, device: TOTPDevice, request) -> list[str]:
    """Confirm the app, replace any earlier devices, and return fresh recovery codes."""
    user = device.user
    for earlier in devices_for_user(user, confirmed=None):
        if earlier.pk != device.pk or type(earlier) is not TOTPDevice:
            earlier.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    recovery = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    request.session[SESSION_HAS_DEVICE] = True
    security_log.info("second factor set up: user=%s", user.pk)
    return codes


@transaction.atomic
def second_factor_reset(*, user, by) -> int:
    """Remove a user's second factor (an administrator, when a phone is lost); logged."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    security_log.warning(
        "second factor reset: user=%s by administrator=%s devices=%s", user.pk, by.pk, removed
    )
    return removed
