"""Encryption of protected identifiers (SSN) at rest.

`FIELD_ENCRYPTION_KEYS` holds Fernet keys, newest first; older keys still decrypt,
so keys can be rotated. Without it, a key is derived from SECRET_KEY.
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernets(keys: tuple[str, ...], secret_key: str) -> tuple[Fernet, ...]:
    if not keys:
        derived = hashlib.sha256(f"phms-field-encryption:{secret_key}".encode()).digest()
        keys = (base64.urlsafe_b64encode(derived).decode(),)
    return tuple(Fernet(key) for key in keys)


def _keys() -> tuple[Fernet, ...]:
    """The configured keys, newest first."""
    return _fernets(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def _cipher() -> MultiFernet:
    return MultiFernet(list(_keys()))


def encrypt(plain: str) -> str:
    return _cipher().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain value, or raise ValueError when no configured key opens it."""
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("protected value cannot be decrypted with the configured keys") from None


def rotate(token: str) -> str:
    """The same value encrypted under the newest key (ValueError when no key opens it)."""
    try:
        return _cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise ValueError("protected value cannot be decrypted with the configured keys") from None


def is_under_newest_key(token: str) -> bool:
    try:
        _keys()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True
