import pytest
from django.test import Client

from core import documents


@pytest.fixture
def store_down(settings):
    """MONGO_URL at a closed port, restored before the root conftest cleans the store up."""
    original = settings.MONGO_URL, settings.MONGO_TIMEOUT_MS
    settings.MONGO_URL = "mongodb://127.0.0.1:9"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    yield settings
    settings.MONGO_URL, settings.MONGO_TIMEOUT_MS = original
    documents.reset_clients()


@pytest.fixture
def portal(patient_user):
    """A client of its own signed in as the patient of `patient_record` (the `client`
    fixture stays free for front desk)."""
    browser = Client()
    browser.force_login(patient_user)
    return browser
