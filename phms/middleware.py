"""Response headers every page carries."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from access import two_factor

# Everything is served from this origin (vendored assets): no CDN, no inline script.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class NoStoreWhenSignedInMiddleware:
    """A signed-in user's pages are never kept by a browser or a proxy (a shared computer
    after sign-out); static files are answered before this runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class SecondFactorMiddleware:
    """After the password, staff of MFA_REQUIRED_ROLES (and anyone who set it up) confirm a
    code before any page; the two-step pages themselves, sign-out and health stay open."""

    # The FHIR interface answers an unconfirmed session itself, with an OperationOutcome.
    OPEN_PATHS = ("/accounts/two-factor/", "/accounts/logout/", "/healthz", "/static/", "/fhir/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(self.OPEN_PATHS) and two_factor.must_verify(request):
            page = "two_factor_verify"
            if not two_factor.has_second_factor(request):
                page = "two_factor_setup"
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse(page)}?{query}")
        return self.get_response(request)
