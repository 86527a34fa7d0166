"""Front-desk pages of the portal (invitations, proxy access, the change-request queue) and
the activation page a patient opens from the invitation letter."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from access import permissions
from access.audit import Section, access_log_record, access_log_record_list
from patients.access import get_patient_for_user
from portal import selectors, services
from portal.forms import ActivationForm, ProxyGrantForm, ReviewForm
from portal.models import ChangeRequest, PortalInvitation, ProxyAccess

QUEUE_PER_PAGE = 25


def _desk_patient(request, pk, predicate):
    """The patient if the user may see it (404) and do this (403); the read is logged."""
    patient = get_patient_for_user(request.user, pk)
    if not predicate(request.user, patient):
        raise PermissionDenied("Only the front desk manages portal accounts.")
    access_log_record(request, patient=patient, section=Section.DEMOGRAPHICS, detail="portal desk")
    return patient


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request, pk):
    """Permission: can_invite_to_portal (front desk, administrators)."""
    patient = _desk_patient(request, pk, permissions.can_invite_to_portal)
    context = {
        "patient": patient,
        "latest": PortalInvitation.objects.filter(patient=patient).first(),
        "hours": settings.PORTAL_INVITATION_HOURS,
    }
    if request.method == "POST":
        try:
            invitation, token, code = services.invitation_create(patient=patient, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(reverse("portal:invitation", kwargs={"pk": patient.pk}))
        link = request.build_absolute_uri(reverse("portal:activate", kwargs={"token": token}))
        emailed = services.invitation_email(invitation=invitation, link=link)
        context.update(
            {"latest": invitation, "link": link, "code": code, "emailed": emailed, "issued": True}
        )
    return render(request, "portal/desk/invitation.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request, token):
    """Permission: anyone holding the link (and, to finish, the code); signed-out only."""
    invitation = services.invitation_for_token(token)
    refusal = services.invitation_refusal(invitation)
    if request.user.is_authenticated:
        return render(request, "portal/activate.html", {"signed_in": True})
    if refusal:
        status = 404 if refusal == "unknown" else 410
        context = {"refusal": services.INVITATION_REFUSALS[refusal], "refusal_kind": refusal}
        return render(request, "portal/activate.html", context, status=status)
    form = ActivationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_activate(
                token=token,
                code=data["code"],
                username=data["username"],
                password=data["password1"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) in services.INVITATION_REFUSALS:
                context = {"refusal": error.messages[0], "refusal_kind": error.code}
                return render(request, "portal/activate.html", context, status=410)
            _form_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your portal account is ready. Welcome!")
            return redirect("portal:home")
    context = {"form": form, "patient_first_name": invitation.patient.first_name}
    return render(request, "portal/activate.html", context)


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error("code" if error.code == "wrong_code" else None, error)


@login_required
@require_http_methods(["GET", "POST"])
def proxies(request, pk):
    """Permission: can_grant_proxy_access (front desk, administrators)."""
    patient = _desk_patient(request, pk, permissions.can_grant_proxy_access)
    form = ProxyGrantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            access = services.proxy_access_grant(
                patient=patient,
                proxy=data["username"],
                relationship=data["relationship"],
                ends_on=data["ends_on"],
                by=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                f"{access.proxy.get_full_name() or access.proxy.get_username()} may read this "
                f"record in the portal until {access.ends_on:%Y-%m-%d}.",
            )
            return redirect(reverse("portal:proxies", kwargs={"pk": patient.pk}))
    accesses = ProxyAccess.objects.filter(patient=patient).select_related("proxy", "granted_by")
    context = {"patient": patient, "form": form, "accesses": accesses}
    return render(request, "portal/desk/proxies.html", context)


@login_required
@require_POST
def proxy_revoke(request, pk, access_pk):
    """Permission: can_grant_proxy_access; an access of another patient answers 404."""
    patient = _desk_patient(request, pk, permissions.can_grant_proxy_access)
    access = get_object_or_404(ProxyAccess, patient=patient, pk=access_pk)
    services.proxy_access_revoke(access=access, by=request.user)
    messages.success(request, "The proxy access is ended.")
    return redirect(reverse("portal:proxies", kwargs={"pk": patient.pk}))


@login_required
@require_http_methods(["GET"])
def review_queue(request):
    """Permission: can_review_change_requests (front desk, administrators)."""
    if not permissions.can_review_change_requests(request.user):
        raise PermissionDenied("Only the front desk reviews change requests.")
    status = request.GET.get("status", ChangeRequest.Status.PENDING)
    if status not in ChangeRequest.Status.values:
        status = ChangeRequest.Status.PENDING
    page = selectors.paged(
        selectors.review_queue(user=request.user, status=status),
        request.GET.get("page"),
        QUEUE_PER_PAGE,
    )
    access_log_record_list(
        request,
        patient_ids=[change.patient_id for change in page],
        section=Section.WORKLIST,
        detail="portal change requests",
    )
    context = {"page": page, "status": status, "statuses": ChangeRequest.Status.choices}
    return render(request, "portal/desk/review_queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def review(request, request_pk):
    """Permission: can_review_change_requests and the patient visible (else 404)."""
    if not permissions.can_review_change_requests(request.user):
        raise PermissionDenied("Only the front desk reviews change requests.")
    change = get_object_or_404(selectors.review_queue(user=request.user, status=""), pk=request_pk)
    access_log_record(
        request, patient=change.patient, section=Section.DEMOGRAPHICS, detail="portal review"
    )
    form = ReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and change.status != ChangeRequest.Status.PENDING:
        form.add_error(None, "This request was already reviewed.")
    elif request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.change_request_accept(change=change, by=request.user)
                messages.success(request, f"The change is applied to {change.patient.full_name}.")
            else:
                services.change_request_decline(
                    change=change, by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "The request is declined; the patient sees why.")
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return redirect("portal:review_queue")
    current = _current_values(change)
    context = {"change": change, "form": form, "current": current}
    return render(request, "portal/desk/review.html", context)


def _current_values(change: ChangeRequest) -> str:
    """What the record holds now, for the reviewer to compare with the request."""
    patient = change.patient
    if change.kind == ChangeRequest.Kind.PHONE:
        return patient.phone
    if change.kind == ChangeRequest.Kind.EMAIL:
        return patient.email
    if change.kind == ChangeRequest.Kind.ADDRESS:
        parts = (patient.address_line, patient.city, patient.state, patient.postal_code)
        return ", ".join(part for part in parts if part)
    return ""
