"""Walk every URL pattern for every persona (the table is in url_access_table.py).

Each test walks all rows in one go and reports every mismatch at once: building the
personas once per test keeps the whole walk to a few seconds.
"""

import logging

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from phms.tests.url_access_table import (
    ANONYMOUS,
    DOCTOR,
    LOGIN,
    PERSONAS,
    URL_ACCESS,
    MixedTarget,
    Target,
)

# Django's admin has its own permission checks; static files are not views.
EXCLUDED_PREFIXES = ("admin/", "static/", "media/")

ALL_PERSONAS = [
    "attending_doctor",
    "ward_nurse",
    "doctor_elsewhere",
    "billing_clerk",
    "front_desk",
    "patient_user",
    "other_patient_user",
    "proxy_user",
    "administrator",
    "outsider",
]


def _named_urls(resolver=None, prefix="", namespace=None):
    """(name, route) for every pattern; an unnamed pattern has the name None."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            if namespace and inner:
                inner = f"{namespace}:{inner}"
            yield from _named_urls(pattern, route, inner or namespace)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, route


def _url(name, target):
    row = URL_ACCESS[name]
    return reverse(name, kwargs=row.kwargs(target) if row.kwargs else None)


@pytest.fixture
def clients(request, patient_record, other_patient_record):
    """One signed-in client per persona (plus anonymous), built once per test."""
    built = {ANONYMOUS: Client()}
    for persona in ALL_PERSONAS:
        client = Client()
        client.force_login(request.getfixturevalue(persona))
        built[persona] = client
    return built


def _security_refusals(caplog):
    return [r for r in caplog.records if r.name == "phms.security" and "refused" in r.getMessage()]


def test_it_has_a_row_for_every_url_name():
    routes = list(_named_urls())
    unnamed = [route for name, route in routes if not name]
    assert not unnamed, f"URL patterns without a name (name them): {unnamed}"
    in_resolver = {name for name, _ in routes}
    missing = sorted(in_resolver - set(URL_ACCESS))
    assert not missing, (
        f"URL names without a row in phms/tests/url_access_table.py: {missing} "
        "(its docstring says how to add one)"
    )
    stale = sorted(set(URL_ACCESS) - in_resolver)
    assert not stale, f"rows for URL names that no longer exist: {stale}"
    for name, row in URL_ACCESS.items():
        assert set(row.expect) == set(PERSONAS), f"{name}: expect must name every persona"


def test_it_answers_every_url_for_every_persona_as_the_table_says(clients, patient_record, caplog):
    target = Target(patient_record)
    sign_in = reverse(settings.LOGIN_URL)
    wrong = []
    for name, row in sorted(URL_ACCESS.items()):
        url = _url(name, target)
        for persona in PERSONAS:
            caplog.clear()
            with caplog.at_level(logging.INFO, logger="phms.security"):
                response = clients[persona].get(url)
            got, expected = response.status_code, row.expect[persona]
            if expected == LOGIN:
                location = response.get("Location", "")
                if got != 302 or not location.startswith(sign_in):
                    wrong.append(f"{name} {persona}: expected sign-in redirect, got {got}")
            elif got != expected:
                wrong.append(f"{name} {persona}: expected {expected}, got {got}")
            if got in (403, 404) and persona != ANONYMOUS and not _security_refusals(caplog):
                wrong.append(f"{name} {persona}: {got} not logged to phms.security")
            if got >= 500:
                wrong.append(f"{name} {persona}: server error {got}")
    assert not wrong, "\n".join(wrong)


def test_it_answers_404_to_another_patients_ids(
    clients, patient_record, other_patient_record, caplog
):
    mine, other = Target(patient_record), Target(other_patient_record)
    wrong = []
    for name, row in sorted(URL_ACCESS.items()):
        if not (row.kwargs and row.tamper):
            continue
        checks = [(_url(name, other), row.tamper_as)]
        mixed = _url(name, MixedTarget(patient_record, other))
        if mixed != _url(name, mine):
            # Personas refused the page anyway (403) never reach the inner lookup.
            allowed = [p for p in row.tamper_as if row.expect[p] in (200, 302)]
            checks.append((mixed, allowed))
        for url, personas in checks:
            for persona in personas:
                caplog.clear()
                with caplog.at_level(logging.INFO, logger="phms.security"):
                    got = clients[persona].get(url).status_code
                if got != 404:
                    wrong.append(f"{name} {persona} GET {url}: expected 404, got {got}")
                elif not _security_refusals(caplog):
                    wrong.append(f"{name} {persona} GET {url}: 404 not logged")
    assert not wrong, "\n".join(wrong)


def test_it_refuses_another_patients_ids_in_post_bodies(
    clients, patient_record, other_patient_record
):
    mine, other = Target(patient_record), Target(other_patient_record)
    tampered = [(name, row) for name, row in sorted(URL_ACCESS.items()) if row.post_tamper]
    assert tampered, "the table should name at least one POST body to tamper with"
    wrong = []
    for name, row in tampered:
        response = clients[row.post_as].post(_url(name, mine), row.post_tamper(mine, other))
        got = response.status_code
        if got not in (200, 400, 403, 404):
            wrong.append(f"{name}: accepted another patient's ids ({got})")
        elif got == 200 and b"is-invalid" not in response.content:
            wrong.append(f"{name}: answered 200 without showing the refused field")
    assert not wrong, "\n".join(wrong)


def test_it_refuses_every_post_without_a_csrf_token(request, patient_record):
    client = Client(enforce_csrf_checks=True)
    client.force_login(request.getfixturevalue(DOCTOR))
    target = Target(patient_record)
    wrong = []
    for name in sorted(URL_ACCESS):
        got = client.post(_url(name, target), {}).status_code
        if got != 403:
            wrong.append(f"{name}: POST without CSRF token answered {got}")
    assert not wrong, "\n".join(wrong)


def _names_patient(entry, patient) -> bool:
    return entry.patient_id == patient.pk or entry.patients_shown.filter(pk=patient.pk).exists()


def test_every_page_that_shows_a_patients_identifiers_writes_the_access_log(
    clients, patient_record, other_patient_record
):
    from access.models import AccessLog

    target = Target(patient_record)
    wrong = []
    for name in sorted(URL_ACCESS):
        url = _url(name, target)
        for persona in PERSONAS:
            newest = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = clients[persona].get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            html = response.content.decode()
            entries = list(AccessLog.objects.filter(pk__gt=newest))
            for patient in (patient_record, other_patient_record):
                if patient.mrn in html and not any(_names_patient(e, patient) for e in entries):
                    wrong.append(f"{name} {persona}: shows {patient.mrn}, no access-log entry")
    assert not wrong, "\n".join(wrong)
