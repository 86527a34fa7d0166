"""/healthz: public JSON status of the relational database and the document store."""

import datetime

import pytest
from django.db import OperationalError
from django.urls import reverse

from core import documents, health
from patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def unreachable_document_store(settings):
    original = (settings.MONGO_URL, settings.MONGO_TIMEOUT_MS)
    settings.MONGO_URL = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"
    settings.MONGO_TIMEOUT_MS = 300
    documents.reset_clients()
    yield
    # Restore before the project fixture tears the store down (it would try this server).
    settings.MONGO_URL, settings.MONGO_TIMEOUT_MS = original
    documents.reset_clients()


class BrokenConnection:
    def cursor(self):
        raise OperationalError("(2006, 'MySQL server has gone away')")


@pytest.fixture
def unreachable_database(monkeypatch):
    monkeypatch.setattr(health, "connection", BrokenConnection())


def test_it_answers_200_with_json_when_both_stores_answer(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "documents": "ok"},
    }


def test_it_answers_without_a_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "Location" not in response


def test_it_is_never_cached(client):
    response = client.get(reverse("healthz"))

    assert "no-cache" in response["Cache-Control"]


@pytest.mark.usefixtures("unreachable_document_store")
def test_it_answers_503_naming_the_document_store_when_it_is_down(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["documents"]
    assert body["checks"] == {"database": "ok", "documents": "down"}


@pytest.mark.usefixtures("unreachable_database")
def test_it_answers_503_naming_the_database_when_its_cursor_raises(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["database"]
    assert body["checks"] == {"database": "down", "documents": "ok"}


@pytest.mark.usefixtures("unreachable_database", "unreachable_document_store")
def test_it_names_both_stores_when_both_are_down(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["database", "documents"]


@pytest.mark.usefixtures("unreachable_document_store")
def test_it_does_not_leak_the_driver_error(client):
    response = client.get(reverse("healthz"))

    assert b"127.0.0.1" not in response.content
    assert b"Timeout" not in response.content


def test_it_contains_no_patient_data(client):
    Patient.objects.create(
        mrn="HZ-000123",
        first_name="Zebulon",
        last_name="Healthcheckson",
        date_of_birth=datetime.date(1970, 5, 17),
        sex=Patient.Sex.MALE,
    )

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert set(response.json()) == {"status", "checks"}
    for fragment in (b"HZ-000123", b"Zebulon", b"Healthcheckson", b"1970"):
        assert fragment not in response.content


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_methods_other_than_get(client, method):
    response = getattr(client, method)(reverse("healthz"))

    assert response.status_code == 405
    assert response["Allow"] == "GET"
