"""The FHIR interface over the real Synthea sample: every patient's record validates."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client
from fhir.resources.bundle import Bundle

from access.api_tokens import api_token_create
from interop.tests.test_fhir_api import FHIR_TYPES
from interop.tests.test_import_synthea import SAMPLE
from patients.models import Patient

pytestmark = pytest.mark.django_db


def test_every_patients_everything_bundle_of_the_sample_validates(administrator):
    call_command("import_synthea", str(SAMPLE), "--no-progress", stdout=None)
    _, secret = api_token_create(user=administrator, name="validator", days=1)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    seen = Counter()

    for pk in Patient.objects.values_list("pk", flat=True):
        response = client.get(f"/fhir/Patient/{pk}/$everything")
        assert response.status_code == 200, pk
        bundle = response.json()
        Bundle.parse_obj(bundle)
        seen.update(entry["resource"]["resourceType"] for entry in bundle["entry"])

    assert set(seen) == FHIR_TYPES
    assert seen["Patient"] == Patient.objects.count()
