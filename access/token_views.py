"""The user's own API tokens: list, create (the secret is shown once), revoke."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from access import permissions
from access.api_tokens import (
    DEFAULT_LIFETIME_DAYS,
    MAX_LIFETIME_DAYS,
    api_token_create,
    api_token_revoke,
    tokens_of,
)
from core.forms import BootstrapFieldsMixin


class ApiTokenForm(BootstrapFieldsMixin, forms.Form):
    name = forms.CharField(
        label="What is it for?",
        max_length=100,
        help_text="For example: the ward's monitoring gateway, or my analysis notebook.",
    )
    days = forms.IntegerField(
        label="Valid for (days)",
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        initial=DEFAULT_LIFETIME_DAYS,
    )


def _require_tokens(user):
    if not permissions.can_use_api_tokens(user):
        raise PermissionDenied("API tokens are for users with a role.")


NEW_TOKEN_SESSION_FIELD = "phms_new_api_token"  # noqa: S105 (a session key)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """Permission: any user with a role; each sees and manages only their own tokens."""
    _require_tokens(request.user)
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = api_token_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Shown by the next page only (then gone), so a reload does not make another.
            request.session[NEW_TOKEN_SESSION_FIELD] = secret
            messages.success(request, f"Token “{token.name}” created. Copy it now.")
            return redirect("access:api_tokens")
    context = {
        "form": form,
        "secret": request.session.pop(NEW_TOKEN_SESSION_FIELD, None),
        "tokens": tokens_of(request.user),
    }
    return render(request, "access/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke_view(request, token_pk):
    """Permission: the token's own user."""
    _require_tokens(request.user)
    token = get_object_or_404(tokens_of(request.user), pk=token_pk)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("access:api_tokens")
