"""Break-the-glass pages and the refusal pages that log who was refused."""

import logging

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access import permissions, selectors
from access.audit import Section, access_log_record_list
from access.models import BreakGlassAccess
from access.services import BREAK_GLASS_REASON_MIN_LENGTH, break_glass_end, break_glass_open

security_log = logging.getLogger("phms.security")


class BreakGlassForm(forms.Form):
    category = forms.ChoiceField(
        label="Why do you need this record?",
        choices=BreakGlassAccess.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you need the record."},
    )
    reason = forms.CharField(
        label="In your words",
        min_length=BREAK_GLASS_REASON_MIN_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This access is logged, lasts a limited time, and is reviewed by an "
        "administrator.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Breaking the glass asks for your password again.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            security_log.warning("refused: user=%s break-glass (wrong password)", self.user.pk)
            raise ValidationError("That is not your password.")
        return password


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request, patient_pk):
    """Permission: clinicians (doctor, nurse) only; any existing patient, by design."""
    if not permissions.can_break_glass(request.user):
        raise PermissionDenied("Only doctors and nurses can use break-the-glass access.")
    # The one lookup that does not go through visible_to: its purpose is to reach a
    # patient outside the user's scope, and it only opens a logged, reviewed access.
    patient_model = apps.get_model("patients", "Patient")  # by name: access imports no app
    patient = patient_model.objects.filter(pk=patient_pk).first()
    if patient is None:
        raise Http404("No such patient")  # handler404 logs the refusal
    if permissions.is_patient_visible(request.user, patient):
        return redirect(patient)
    form = BreakGlassForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_open(
                user=request.user,
                patient=patient,
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.warning(
                request, f"Emergency access to {patient.full_name} is open and logged."
            )
            return redirect(patient)
    # Nothing of the patient is shown until the access is open.
    return render(request, "access/break_glass.html", {"form": form})


@login_required
@require_POST
def end_break_glass(request, access_pk):
    """Permission: can_end_break_glass (the clinician who holds the access, administrators)."""
    access = BreakGlassAccess.objects.select_related("patient").filter(pk=access_pk).first()
    if access is None or not permissions.can_end_break_glass(request.user, access):
        raise Http404("No such emergency access")
    try:
        break_glass_end(access=access, by=request.user)
    except ValidationError:
        messages.info(request, "This emergency access had already ended.")
    else:
        messages.success(request, f"Emergency access to patient {access.patient.mrn} is ended.")
    return redirect("home")


REVIEW_PAGE_SIZE = 25


@login_required
@require_GET
def break_glass_review_list(request):
    """Permission: can_review_break_glass (administrators). Each access with every section
    its user opened on the patient while it ran, from the access log."""
    if not permissions.can_review_break_glass(request.user):
        raise PermissionDenied("Only administrators review emergency accesses.")
    page = Paginator(selectors.break_glass_accesses_for_review(), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    reviews = selectors.sections_opened_during(page.object_list)
    access_log_record_list(
        request,
        patient_ids=[review.access.patient_id for review in reviews],
        section=Section.BREAK_GLASS,
        detail="emergency access review",
    )
    return render(request, "access/break_glass_review.html", {"page": page, "reviews": reviews})


def patient_not_found(request, patient_pk):
    """The 404 page for a patient id, offering clinicians break-the-glass access."""
    context = {
        "patient_pk": patient_pk,
        "offer_break_glass": permissions.can_break_glass(request.user),
    }
    return render(request, "patients/not_found.html", context, status=404)


def permission_denied(request, exception=None):
    """handler403: every refusal to a signed-in user is logged."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        security_log.warning(
            "refused: user=%s %s %s status=403", user.pk, request.method, request.path[:200]
        )
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: Django's own page carries inline styles the CSP blocks."""
    security_log.warning(
        "refused: %s %s without a valid CSRF token (%s) status=403",
        request.method,
        request.path[:200],
        reason[:100],
    )
    return render(request, "403_csrf.html", status=403)


def locked_out(request, response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page, saying how long the account stays locked."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else None
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    security_log.warning("locked out: username=%r", str(username)[:150])
    return render(
        request,
        "registration/locked_out.html",
        {"cooloff_minutes": minutes},
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )


def page_not_found(request, exception=None):
    """handler404: a record you may not see does not exist for you; the refusal is logged."""
    user = getattr(request, "user", None)
    already_logged = getattr(user, "phms_refusal_logged", False)
    if user is not None and user.is_authenticated and not already_logged:
        security_log.warning(
            "refused: user=%s %s %s status=404", user.pk, request.method, request.path[:200]
        )
    return render(request, "404.html", status=404)
