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


# Model permissions each role's group holds ("app.action_model"; action in view/add/change).
# Object-level access (which patients) comes from care-team grants, not from these.
_CLINICAL_MODELS = [
    "patients.patient",
    "patients.encounter",
    "patients.careassignment",
    "patients.vitalsigns",
    "patients.symptom",
    "patients.diagnosis",
    "patients.labresult",
    "patients.prescription",
    "patients.allergy",
    "patients.emergencycontact",
    "patients.coverage",
]
_CATALOG_MODELS = [
    "patients.condition",
    "patients.labtest",
    "patients.medication",
    "patients.payer",
    "providers.healthcareprovider",
    "providers.doctor",
    "providers.nurse",
    "providers.specialty",
    "providers.organization",
    "providers.department",
]
_SCHEDULING_MODELS = [
    "scheduling.appointment",
    "scheduling.appointmentrequest",
    "scheduling.workinghours",
    "scheduling.scheduleexception",
]


def _grants(models_: list[str], actions: tuple[str, ...]) -> list[str]:
    return [
        f"{model.split('.')[0]}.{action}_{model.split('.')[1]}"
        for model in models_
        for action in actions
    ]


ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.DOCTOR: _grants(_CLINICAL_MODELS, ("view", "add", "change"))
    + _grants(_CATALOG_MODELS, ("view",)),
    Role.NURSE: _grants(_CLINICAL_MODELS, ("view",))
    + _grants(["patients.vitalsigns", "patients.symptom", "patients.allergy"], ("add", "change"))
    + _grants(_CATALOG_MODELS, ("view",)),
    Role.FRONT_DESK: _grants(
        ["patients.patient", "patients.emergencycontact", "patients.coverage"],
        ("view", "add", "change"),
    )
    + _grants(_SCHEDULING_MODELS, ("view", "add", "change"))
    + _grants(["patients.payer", "providers.department"], ("view",)),
    Role.BILLING: _grants(["billing.bill", "billing.billline"], ("view", "add", "change"))
    + _grants(
        [
            "billing.servicecharge",
            "patients.payer",
            "patients.coverage",
            "patients.patient",
            "patients.encounter",
            "patients.diagnosis",
            "patients.condition",
        ],
        ("view",),
    ),
    Role.PATIENT: [],
}
