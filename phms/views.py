import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from access import permissions
from access.audit import Section, access_log_record_list
from core import health
from patients.selectors import clinician_worklist
from scheduling.models import Appointment
from scheduling.selectors import my_day

# Seconds a client is asked to wait before trying again while the database is down.
DATABASE_RETRY_AFTER = 5


def server_error(request):
    """An unreachable database is an outage: a 503 with a retry hint, drawn without the
    database (no user, no menu). Any other error is the plain 500 page."""
    if health.is_database_unavailable(sys.exc_info()[1]):
        # A form is not re-sent by itself: the user goes back to it, their input intact.
        reloads = request.method in ("GET", "HEAD")
        body = loader.get_template("503.html").render(
            {"retry_after": DATABASE_RETRY_AFTER, "reloads": reloads}
        )
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
    return defaults.server_error(request)


@require_GET
@never_cache
def healthz(request):
    """Public liveness check: which store answers. No login, no patient data."""
    checks = {"database": health.database_status(), "documents": health.document_store_status()}
    down = [name for name, state in checks.items() if state != "ok"]
    body = {"status": "ok" if not down else "unavailable", "checks": checks}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if down else 200)


@require_GET
def favicon(request):
    """Public, as every static file: browsers ask for /favicon.ico; the icon is an SVG
    (a temporary redirect: the static URL changes with the file)."""
    return redirect(static("favicon.svg"))


def _my_day(request) -> dict | None:
    """The signed-in provider's appointments today, arrived first; None without a provider."""
    provider = getattr(request.user, "provider", None)
    if provider is None:
        return None
    appointments = my_day(request.user)
    access_log_record_list(
        request,
        patient_ids=[appointment.patient_id for appointment in appointments],
        section=Section.SCHEDULE,
        detail="my day",
    )
    rows = [
        {
            "appointment": appointment,
            "startable": appointment.may_start,
            "in_progress": appointment.status == Appointment.Status.IN_PROGRESS,
        }
        for appointment in appointments
    ]
    return {"provider": provider, "today": timezone.localdate(), "rows": rows}


@login_required
@require_GET
def home(request):
    """Permission: any signed-in user; each role sees its own starting points."""
    user = request.user
    if permissions.can_use_portal(user):
        return redirect("portal:home")
    context = {
        "can_register": permissions.can_register_patients(user),
        "can_review_changes": permissions.can_review_change_requests(user),
    }
    if permissions.is_clinician(user):
        worklist = context["worklist"] = clinician_worklist(user)
        access_log_record_list(
            request,
            patient_ids=worklist.patient_ids_shown(),
            section=Section.WORKLIST,
            detail="home worklists",
        )
        context["my_day"] = _my_day(request)
    return render(request, "phms/home.html", context)
