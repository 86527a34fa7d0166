from phms import permissions
from phms.roles import primary_role


def navigation(request):
    """Flags the base layout uses to show only what the signed-in role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "role": primary_role(user),
            "patients": permissions.can_use_patient_directory(user),
            "billing": permissions.can_use_billing(user),
            "admin": user.is_staff,
        }
    }
