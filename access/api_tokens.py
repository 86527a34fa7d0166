"""Personal API tokens: create (the secret is returned once), revoke, and authenticate."""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from access.models import ApiToken

security_log = logging.getLogger("phms.security")

TOKEN_PREFIX = "phms_"  # noqa: S105 (a marker, not a secret)
MAX_LIFETIME_DAYS = 365
DEFAULT_LIFETIME_DAYS = 90
# Writing last_used_at on every request would make each read a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    """What is stored of a token: its SHA-256, never the token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(marker: str) -> tuple[str, str, str]:
    """A fresh token beginning with `marker`: (the secret, the prefix shown, its digest)."""
    secret = marker + secrets.token_urlsafe(32)
    return secret, secret[: len(marker) + 6], secret_digest(secret)


def api_token_create(*, user, name, days=DEFAULT_LIFETIME_DAYS) -> tuple[ApiToken, str]:
    """A new token of `user` valid for `days`; returns it with its secret (shown only now)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for."})
    if not isinstance(days, int) or not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValidationError({"days": f"A token lasts 1 to {MAX_LIFETIME_DAYS} days."})
    secret, prefix, digest = new_secret(TOKEN_PREFIX)
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=name,
        prefix=prefix,
        digest=digest,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    security_log.info("api token created: user=%s token=%s", user.pk, token.pk)
    return token, secret


def api_token_revoke(*, token, by) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        security_log.info(
            "api token revoked: user=%s token=%s by=%s", token.user_id, token.pk, by.pk
        )
    return token


def user_for_token(secret: str):
    """The active user a usable token belongs to, or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(digest=secret_digest(secret))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_of(user):
    return ApiToken.objects.filter(user=user)
