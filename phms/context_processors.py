from access import permissions, two_factor
from access.audit import active_break_glass
from access.roles import Role, primary_role

# The pages of the portal app that belong to other nav entries than "My record".
CHANGE_REQUEST_PAGES = frozenset({"review_queue", "review"})
FRONT_DESK_PATIENT_PAGES = frozenset({"invitation", "proxies", "proxy_revoke"})
# The scheduling pages that belong to "Arrivals" rather than "Schedule".
ARRIVALS_PAGES = frozenset({"arrivals", "walk_in", "check_in"})


def _current_section(request) -> str:
    """The nav entry of the page being shown ("" when none is), for aria-current."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.namespace == "portal":
        if match.url_name in CHANGE_REQUEST_PAGES:
            return "change_requests"
        if match.url_name in FRONT_DESK_PATIENT_PAGES:
            return "patients"
        return "portal"
    if match.namespace == "scheduling":
        return "arrivals" if match.url_name in ARRIVALS_PAGES else "schedule"
    if match.namespace in ("patients", "billing", "reports", "admin"):
        return match.namespace
    return "home" if match.url_name == "home" else ""


def navigation(request):
    """Flags the base layout uses to show only what the signed-in role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    role = primary_role(user)
    # Until the second factor is confirmed every page leads back to it: no menu. A view called
    # without the middleware (a unit test's request) has nothing pending.
    if hasattr(user, "is_verified") and two_factor.must_verify(request):
        return {"nav": {"role": Role(role).label if role else "", "pending_second_factor": True}}
    return {
        "nav": {
            "role": Role(role).label if role else "",
            "current": _current_section(request),
            "patients": permissions.can_use_patient_directory(user),
            "billing": permissions.can_use_billing(user),
            "reports": permissions.can_view_reports(user),
            "admin": user.is_staff,
            "portal": permissions.can_use_portal(user),
            "change_requests": permissions.can_review_change_requests(user),
            "schedule": permissions.can_view_schedules(user),
            "arrivals": permissions.can_manage_appointments(user),
        }
    }


def break_glass(request):
    """The user's active break-the-glass accesses, for the red banner in the base layout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not permissions.is_clinician(user):
        return {"break_glass_accesses": []}
    return {"break_glass_accesses": active_break_glass(request)}
