"""Two-step sign-in pages: confirm the code after the password, and set up the app."""

import io
from base64 import b32encode
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice

from access import two_factor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if allowed else "/"


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Permission: any signed-in user; the code of their own device."""
    if request.user.is_verified():
        return redirect(_next(request))
    if not two_factor.has_second_factor(request) or not user_has_device(request.user):
        request.session[two_factor.SESSION_HAS_DEVICE] = False
        if two_factor.is_required_for(request.user):
            return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next(request)})}")
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, wait = two_factor.device_for_code(request.user, form.cleaned_data["code"])
        if wait:
            seconds = f"{wait} second{'s' if wait != 1 else ''}"
            form.add_error("code", f"Too many wrong codes: wait {seconds}, then try again.")
        elif device is None:
            two_factor.security_log.warning("refused: second factor code user=%s", request.user.pk)
            form.add_error("code", "That code is not right, or it has expired. Try the newest.")
        else:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(request, f"You used a recovery code; {left} are left.")
            return redirect(_next(request))
    return render(request, "access/two_factor_verify.html", {"form": form, "next": _next(request)})


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return mark_safe(buffer.getvalue().decode())  # noqa: S308 -- our own SVG, no user input


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Permission: any signed-in user, for their own account. A user who already has a
    second factor confirms it first (it is replaced only once the new app works)."""
    if two_factor.has_second_factor(request) and not request.user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': request.path})}")
    device = two_factor.pending_app_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].replace(" ", "")):
            codes = two_factor.second_factor_confirm(device=device, request=request)
            otp_login(request, device)
            context = {"codes": codes, "next": _next(request)}
            return render(request, "access/two_factor_codes.html", context)
        form.add_error(
            "code", "That code is not right. Check the time on your phone and try again."
        )
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _spaced(device.bin_key),
        "required": two_factor.is_required_for(request.user),
        "next": _next(request),
    }
    return render(request, "access/two_factor_setup.html", context)


def _spaced(key: bytes) -> str:
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
