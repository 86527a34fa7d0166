"""Role names. Each role is a Django group with the same name."""

from django.db import models


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    DOCTOR = "doctor", "Doctor"
    NURSE = "nurse", "Nurse"
    BILLING = "billing", "Billing"
    FRONT_DESK = "front_desk", "Front desk"
    PATIENT = "patient", "Patient"


CLINICAL_ROLES = frozenset({Role.DOCTOR, Role.NURSE})


def roles_of(user) -> frozenset[str]:
    """The role names a user holds, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_phms_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(name for name in names if name in Role.values)
        user._phms_roles = cached
    return cached


def primary_role(user) -> str | None:
    """The role a user is shown as (first in the order of `Role`)."""
    held = roles_of(user)
    for role in Role:
        if role in held:
            return role.value
    if getattr(user, "is_superuser", False):
        return Role.ADMINISTRATOR.value
    return None
