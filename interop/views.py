"""The patient's remote monitoring devices: register one (its token is shown once), revoke."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from access import permissions
from access.audit import Section
from core.forms import BootstrapFieldsMixin
from interop.devices import device_register, device_revoke, devices_of
from patients.access import checked_patient

NEW_DEVICE_SESSION_FIELD = "phms_new_device_token"  # noqa: S105 (a session key)
REFUSAL = "Only doctors and nurses on the patient's care team manage their devices."


class DeviceForm(BootstrapFieldsMixin, forms.Form):
    name = forms.CharField(label="Device", max_length=100, help_text="For example: home BP cuff.")
    serial_number = forms.CharField(label="Serial number", max_length=100, required=False)


def _patient(request, patient_pk):
    return checked_patient(
        request,
        patient_pk,
        permissions.can_register_devices,
        section=Section.DEVICES,
        refusal=REFUSAL,
    )


@login_required
@require_http_methods(["GET", "POST"])
def devices(request, patient_pk):
    """Permission: doctors and nurses on the patient's live care team."""
    patient = _patient(request, patient_pk)
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, secret = device_register(patient=patient, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[NEW_DEVICE_SESSION_FIELD] = {"device": device.pk, "token": secret}
            messages.success(
                request, f"{device.name} registered. Enter its token on the device now."
            )
            return redirect("interop:devices", patient_pk=patient.pk)
    new = request.session.pop(NEW_DEVICE_SESSION_FIELD, None)
    context = {
        "patient": patient,
        "form": form,
        "devices": devices_of(patient),
        "new_token": new,
        "endpoint": request.build_absolute_uri(reverse("fhir:search", args=["Observation"])),
    }
    return render(request, "interop/devices.html", context)


@login_required
@require_POST
def device_revoke_view(request, patient_pk, device_pk):
    """Permission: doctors and nurses on the patient's live care team."""
    patient = _patient(request, patient_pk)
    device = get_object_or_404(devices_of(patient), pk=device_pk)
    device_revoke(device=device, by=request.user)
    messages.success(request, f"{device.name} revoked: its readings are refused from now on.")
    return redirect("interop:devices", patient_pk=patient.pk)
