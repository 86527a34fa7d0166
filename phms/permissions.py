"""Named permission predicates. Views and templates ask these, never role names."""

from phms.roles import CLINICAL_ROLES, Role, roles_of


def has_role(user, role: Role) -> bool:
    return role in roles_of(user)


def is_administrator(user) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.ADMINISTRATOR)


def is_clinician(user) -> bool:
    return bool(roles_of(user) & CLINICAL_ROLES)


def can_use_patient_directory(user) -> bool:
    return is_clinician(user) or has_role(user, Role.FRONT_DESK) or is_administrator(user)


def can_use_billing(user) -> bool:
    return has_role(user, Role.BILLING) or is_administrator(user)


def can_use_reports(user) -> bool:
    return is_clinician(user) or is_administrator(user)


def can_use_portal(user) -> bool:
    return has_role(user, Role.PATIENT)


def sees_all_patients(user) -> bool:
    """Registration, billing and administration work across the whole patient index."""
    return (
        is_administrator(user)
        or has_role(user, Role.FRONT_DESK)
        or has_role(user, Role.BILLING)
    )
