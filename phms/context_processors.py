from access import permissions
from access.audit import active_break_glass
from access.roles import primary_role


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
            "portal": permissions.can_use_portal(user),
            "change_requests": permissions.can_review_change_requests(user),
        }
    }


def break_glass(request):
    """The user's active break-the-glass accesses, for the red banner in the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not permissions.is_clinician(user):
        return {"break_glass_accesses": []}
    return {"break_glass_accesses": active_break_glass(request)}
