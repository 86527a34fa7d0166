from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from access import permissions
from core import documents
from patients.selectors import clinician_worklist


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error: report it as down, never as a 500
        return "down"
    return "ok"


def _document_store_status() -> str:
    try:
        documents.ping()
    except documents.DocumentStoreUnavailable:
        return "down"
    return "ok"


@require_GET
@never_cache
def healthz(request):
    """Public liveness check: which store answers. No login, no patient data."""
    checks = {"database": _database_status(), "documents": _document_store_status()}
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
        context["worklist"] = clinician_worklist(user)
    return render(request, "phms/home.html", context)
