"""Every form, fuzzed (hypothesis): whatever is posted, no server error, and a refused form
stores nothing."""

import re

import pytest
from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phms.tests.test_url_access import ALL_PERSONAS, _url
from phms.tests.url_access_table import URL_ACCESS, Target

pytestmark = pytest.mark.django_db

NASTY = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE patients_patient; --",
    "0",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2024-02-30",
    "31/12/2024",
    "9999-12-31 23:59",
    "\x00",
    "ä" * 300,
    "../../etc/passwd",
]
VALUES = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers().map(str))
FIELD = re.compile(r"""<(?:input|select|textarea)\b[^>]*\bname=["']([^"']+)["']""")
FORM = re.compile(r"""<form\b[^>]*method=["']post["'][^>]*>(.*?)</form>""", re.S | re.I)
SKIPPED_FIELDS = {"csrfmiddlewaretoken"}
# Rows a refused form must not have added (the clinical, scheduling, portal and access ones).
WATCHED_APPS = ("patients", "scheduling", "portal", "billing", "access", "providers")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in WATCHED_APPS and not model._meta.label.endswith("AccessLog")
    }


def forms_to_fuzz(clients, target):
    """(URL name, persona, URL, field names) of each page that shows a POST form to itself."""
    found = []
    for name in sorted(URL_ACCESS):
        url = _url(name, target)
        persona = next((p for p in ALL_PERSONAS if URL_ACCESS[name].expect.get(p) == 200), None)
        if persona is None:
            continue
        response = clients[persona].get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for body in FORM.findall(response.content.decode()):
            fields = sorted(set(FIELD.findall(body)) - SKIPPED_FIELDS)
            if fields:
                found.append((name, persona, url, fields))
                break
    return found


@pytest.fixture
def clients(request, patient_record, other_patient_record):
    built = {}
    for persona in ALL_PERSONAS:
        client = Client()
        client.force_login(request.getfixturevalue(persona))
        built[persona] = client
    return built


def test_every_form_survives_any_input_and_a_refusal_stores_nothing(clients, patient_record):
    forms = forms_to_fuzz(clients, Target(patient_record))
    assert len(forms) >= 20, [name for name, *_ in forms]
    wrong = []

    def fuzz(name, persona, url, fields):
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(st.fixed_dictionaries(dict.fromkeys(fields, VALUES)))
        def post(body):
            before = row_counts()
            response = clients[persona].post(url, body)
            if response.status_code >= 500:
                wrong.append(f"{name} as {persona}: {response.status_code} for {body!r}")
            elif response.status_code != 302 and row_counts() != before:
                wrong.append(f"{name} as {persona}: refused ({response.status_code}) but stored")

        post()

    for form in forms:
        fuzz(*form)
    assert not wrong, "\n".join(wrong[:20])
