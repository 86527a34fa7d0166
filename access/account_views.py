"""Password reset for staff and portal users.

The same answer whether or not an account has the address; links expire after
PASSWORD_RESET_HOURS and work once (the token covers the password it replaces); requests
are rate-limited per client address and per address asked for. With EMAIL_URL the link is
mailed; without it an administrator hands one over from the admin's user list.
"""

import logging

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django_ratelimit.decorators import ratelimit

security_log = logging.getLogger("phms.security")
TOO_MANY = (
    "Too many reset requests from here. Wait an hour and try again, or ask an administrator "
    "for a reset link."
)


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(self, *args, **kwargs):
        if settings.EMAIL_URL:  # without a mail server an administrator hands the link over
            super().send_mail(*args, **kwargs)


_reset_view = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm, success_url=reverse_lazy("password_reset_done")
)


@ratelimit(key="ip", rate=settings.PASSWORD_RESET_RATE, method="POST", block=False)
@ratelimit(key="post:email", rate=settings.PASSWORD_RESET_RATE, method="POST", block=False)
def password_reset(request):
    """Permission: anyone; the answer never says whether an account has the address."""
    if getattr(request, "limited", False):
        security_log.warning("refused: password reset (rate limit)")
        form = PasswordResetForm(request.POST)
        form.add_error(None, TOO_MANY)
        return render(request, "registration/password_reset_form.html", {"form": form}, status=429)
    return _reset_view(request)
