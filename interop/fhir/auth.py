"""Who is asking: a signed-in session (two-step sign-in done), or a personal API token."""

from access import permissions, two_factor
from access.api_tokens import user_for_token

from .search import FhirError

SIGN_IN = "Sign in, or send a personal API token as 'Authorization: Bearer <token>'."


def fhir_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer":
            raise FhirError(401, "login", "Only Bearer tokens are accepted. " + SIGN_IN)
        user = user_for_token(secret.strip())
        if user is None:
            raise FhirError(401, "login", "The token is unknown, expired or revoked.")
        request.user = user
    else:
        user = request.user
        if not user.is_authenticated:
            raise FhirError(401, "login", SIGN_IN)
        if two_factor.must_verify(request):
            raise FhirError(401, "login", "Finish two-step sign-in first.")
    if not permissions.can_use_fhir(user):
        raise FhirError(403, "forbidden", "This account has no role in PHMS.")
    return user
