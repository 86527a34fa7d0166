"""The FHIR R4 interface: valid resources, the chart's access rules, tokens, errors, paging."""

import datetime as dt
import hashlib

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle

from access.api_tokens import api_token_create, api_token_revoke
from access.models import AccessLog, ApiToken
from core import documents
from patients.tests.factories import AllergyFactory, CoverageFactory
from patients.vaccinations import vaccination_record

pytestmark = pytest.mark.django_db
FHIR_TYPES = {
    "Patient",
    "Encounter",
    "Observation",
    "Condition",
    "MedicationRequest",
    "AllergyIntolerance",
    "Immunization",
    "Practitioner",
    "Coverage",
    "Claim",
}


def bearer(user) -> dict:
    _, secret = api_token_create(user=user, name="test program", days=30)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def fhir_get(user, path, **params):
    return Client().get(path, params, **bearer(user))


def as_session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def types_in(bundle: dict) -> set[str]:
    return {
        e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "match"
    }


@pytest.fixture
def full_record(patient_record):
    """patient_record with what the persona chart lacks: coverage, an allergy, a vaccination."""
    CoverageFactory(patient=patient_record)
    AllergyFactory(patient=patient_record)
    vaccination_record(
        patient=patient_record,
        vaccine="Influenza, seasonal, injectable",
        cvx_code="140",
        dose_number=1,
        date=dt.date(2025, 10, 1),
        lot="FL-22",
    )
    return patient_record


def test_metadata_is_a_valid_capability_statement_of_every_type():
    response = Client().get("/fhir/metadata")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    statement = response.json()
    get_fhir_model_class("CapabilityStatement").parse_obj(statement)
    assert statement["fhirVersion"] == "4.0.1"
    offered = {r["type"] for r in statement["rest"][0]["resource"]}
    assert offered == FHIR_TYPES
    patient = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert {p["name"] for p in patient["searchParam"]} >= {"name", "birthdate", "identifier"}
    assert patient["operation"][0]["name"] == "everything"


def test_everything_is_a_valid_bundle_holding_every_type_with_honest_codes(
    attending_doctor, full_record
):
    response = fhir_get(attending_doctor, f"/fhir/Patient/{full_record.pk}/$everything")

    assert response.status_code == 200
    bundle = response.json()
    Bundle.parse_obj(bundle)  # validates every entry's resource as well
    assert types_in(bundle) == FHIR_TYPES
    by_type = {}
    for entry in bundle["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    patient = by_type["Patient"][0]
    assert patient["identifier"][0]["value"] == full_record.mrn
    assert patient["birthDate"] == full_record.date_of_birth.isoformat()
    systems = lambda concept: {c["system"] for c in concept.get("coding", [])}  # noqa: E731
    assert all(systems(o["code"]) == {"http://loinc.org"} for o in by_type["Observation"])
    categories = {o["category"][0]["coding"][0]["code"] for o in by_type["Observation"]}
    assert categories == {"vital-signs", "laboratory"}
    medication = by_type["MedicationRequest"][0]["medicationCodeableConcept"]
    assert systems(medication) == {"http://www.nlm.nih.gov/research/umls/rxnorm"}
    assert systems(by_type["Immunization"][0]["vaccineCode"]) == {"http://hl7.org/fhir/sid/cvx"}
    assert by_type["Immunization"][0]["lotNumber"] == "FL-22"
    blood_pressure = next(o for o in by_type["Observation"] if o["id"].endswith("blood-pressure"))
    assert [c["code"]["coding"][0]["code"] for c in blood_pressure["component"]] == [
        "8480-6",
        "8462-4",
    ]
    for resource in bundle["entry"]:
        assert resource["fullUrl"].endswith(
            f"/fhir/{resource['resource']['resourceType']}/{resource['resource']['id']}"
        )


def test_every_resource_of_the_bundle_reads_back_by_its_id(attending_doctor, full_record):
    headers = bearer(attending_doctor)
    client = Client()
    bundle = client.get(f"/fhir/Patient/{full_record.pk}/$everything", **headers).json()

    for entry in bundle["entry"]:
        resource = entry["resource"]
        response = client.get(f"/fhir/{resource['resourceType']}/{resource['id']}", **headers)
        assert response.status_code == 200, resource["id"]
        assert response.json() == resource


def test_a_clinician_outside_the_care_team_gets_404_everywhere(
    doctor_elsewhere, attending_doctor, full_record
):
    bundle = fhir_get(attending_doctor, f"/fhir/Patient/{full_record.pk}/$everything").json()
    observation = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )

    for path, params in (
        (f"/fhir/Patient/{full_record.pk}", {}),
        (f"/fhir/Patient/{full_record.pk}/$everything", {}),
        ("/fhir/Observation", {"patient": full_record.pk}),
        (f"/fhir/Observation/{observation['id']}", {}),
    ):
        response = fhir_get(doctor_elsewhere, path, **params)
        assert response.status_code == 404, path
        assert response.json()["resourceType"] == "OperationOutcome"
    found = fhir_get(doctor_elsewhere, "/fhir/Patient", name=full_record.last_name).json()
    assert found["total"] == 0


def test_front_desk_gets_demographics_and_coverage_only(front_desk, full_record):
    bundle = fhir_get(front_desk, f"/fhir/Patient/{full_record.pk}/$everything").json()

    assert types_in(bundle) == {"Patient", "Coverage"}
    refused = fhir_get(front_desk, "/fhir/Condition", patient=full_record.pk)
    assert refused.status_code == 403
    assert refused.json()["issue"][0]["code"] == "forbidden"
    assert fhir_get(front_desk, "/fhir/Coverage", patient=full_record.pk).json()["total"] == 1


def test_billing_reads_claims_but_no_clinical_data(billing_clerk, full_record):
    bundle = fhir_get(billing_clerk, f"/fhir/Patient/{full_record.pk}/$everything").json()

    assert types_in(bundle) == {"Patient", "Coverage", "Claim"}
    assert fhir_get(billing_clerk, "/fhir/Observation", patient=full_record.pk).status_code == 403


def test_a_patient_reads_only_their_own_record(patient_user, full_record, other_patient_record):
    own = fhir_get(patient_user, f"/fhir/Patient/{full_record.pk}/$everything")
    other = fhir_get(patient_user, f"/fhir/Patient/{other_patient_record.pk}/$everything")
    everyone = fhir_get(patient_user, "/fhir/Patient").json()

    assert own.status_code == 200
    assert types_in(own.json()) >= {"Observation", "Condition", "Immunization", "Claim"}
    assert other.status_code == 404
    assert [e["resource"]["id"] for e in everyone["entry"]] == [str(full_record.pk)]


def test_every_read_is_in_the_access_log_under_fhir(attending_doctor, full_record):
    fhir_get(attending_doctor, "/fhir/Observation", patient=full_record.pk, category="laboratory")
    fhir_get(attending_doctor, f"/fhir/Patient/{full_record.pk}/$everything")
    fhir_get(attending_doctor, "/fhir/Patient", family=full_record.last_name)

    entries = AccessLog.objects.filter(user=attending_doctor, section="fhir").order_by("pk")
    assert [(e.patient_id, e.detail) for e in entries] == [
        (full_record.pk, "Observation search"),
        (full_record.pk, "Patient/$everything"),
        (None, "Patient search"),
    ]
    assert list(entries.last().patients_shown.all()) == [full_record]


def test_api_tokens_are_stored_hashed_and_stop_working_when_revoked_or_expired(
    attending_doctor, full_record
):
    token, secret = api_token_create(user=attending_doctor, name="gateway", days=1)
    path = f"/fhir/Patient/{full_record.pk}"
    header = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    assert Client().get(path, **header).status_code == 200
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (stored.digest, stored.prefix) and secret.startswith(stored.prefix)
    assert stored.last_used_at is not None

    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - dt.timedelta(days=2), expires_at=now - dt.timedelta(days=1)
    )
    expired = Client().get(path, **header)
    assert expired.status_code == 401 and "expired" in expired.json()["issue"][0]["diagnostics"]

    token2, secret2 = api_token_create(user=attending_doctor, name="notebook", days=1)
    api_token_revoke(token=token2, by=attending_doctor)
    assert Client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret2}").status_code == 401
    wrong_scheme = Client().get(path, HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert wrong_scheme.status_code == 401
    assert wrong_scheme["WWW-Authenticate"].startswith("Bearer")


def test_a_user_creates_a_token_shown_once_and_revokes_it_on_their_own_page(attending_doctor):
    browser = as_session(attending_doctor)

    created = browser.post(
        "/access/api-tokens/", {"name": "ward gateway", "days": "30"}, follow=True
    )
    secret = created.context["secret"]
    assert secret.startswith("phms_") and secret in created.content.decode()
    listing = browser.get("/access/api-tokens/").content.decode()
    assert "ward gateway" in listing and secret not in listing
    token = ApiToken.objects.get(user=attending_doctor)

    browser.post(f"/access/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    bad = browser.post("/access/api-tokens/", {"name": "", "days": "999"})
    assert bad.status_code == 200 and bad.context["form"].errors.keys() == {"name", "days"}


def test_nobody_revokes_another_users_token(attending_doctor, ward_nurse):
    token, _ = api_token_create(user=attending_doctor, name="mine", days=5)

    response = as_session(ward_nurse).post(f"/access/api-tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/fhir/Patient", {"bogus": "1"}, 400, "invalid"),
        ("/fhir/Patient", {"birthdate": "1990-13-45"}, 400, "invalid"),
        ("/fhir/Patient", {"birthdate": "xx1990"}, 400, "invalid"),
        ("/fhir/Patient", {"_count": "0"}, 400, "invalid"),
        ("/fhir/Patient", {"page": "two"}, 400, "invalid"),
        ("/fhir/Patient", {"gender": "robot"}, 400, "invalid"),
        ("/fhir/Patient", {"_format": "xml"}, 406, "not-supported"),
        ("/fhir/Observation", {}, 400, "required"),
        ("/fhir/Observation", {"patient": "Practitioner/1"}, 400, "invalid"),
        ("/fhir/Observation", {"patient": "999999"}, 404, "not-found"),
        ("/fhir/Spaceship", {}, 404, "not-supported"),
        ("/fhir/Observation/vitals-999999-heart-rate", {}, 404, "not-found"),
        ("/fhir/Patient/1/_history", {}, 404, "not-supported"),
    ],
)
def test_bad_requests_get_an_operation_outcome_never_html(
    administrator, path, params, status, code
):
    response = fhir_get(administrator, path, **params)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/fhir+json")
    outcome = response.json()
    get_fhir_model_class("OperationOutcome").parse_obj(outcome)
    assert outcome["issue"][0]["code"] == code


def test_writes_and_signed_out_requests_get_an_operation_outcome(full_record):
    posted = Client().post("/fhir/Patient/1", {}, content_type="application/fhir+json")
    signed_out = Client().get(f"/fhir/Patient/{full_record.pk}")

    assert posted.status_code == 405 and posted.json()["resourceType"] == "OperationOutcome"
    assert signed_out.status_code == 401 and signed_out.json()["issue"][0]["code"] == "login"


def test_a_session_works_like_a_token(attending_doctor, full_record):
    response = as_session(attending_doctor).get(f"/fhir/Patient/{full_record.pk}")

    assert response.status_code == 200 and response.json()["id"] == str(full_record.pk)


def test_search_pages_with_links(administrator, patient_record, other_patient_record):
    first = fhir_get(administrator, "/fhir/Patient", _count="1").json()

    assert first["total"] == 2 and len(first["entry"]) == 1
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "first", "next", "last"}
    second = Client().get(links["next"], **bearer(administrator)).json()
    assert {link["relation"] for link in second["link"]} == {"self", "first", "previous", "last"}
    ids = {first["entry"][0]["resource"]["id"], second["entry"][0]["resource"]["id"]}
    assert ids == {str(patient_record.pk), str(other_patient_record.pk)}


def test_patient_search_by_identifier_name_birthdate_and_gender(
    administrator, patient_record, other_patient_record
):
    born = patient_record.date_of_birth
    found = lambda **params: [  # noqa: E731
        e["resource"]["id"]
        for e in fhir_get(administrator, "/fhir/Patient", **params).json()["entry"]
    ]
    mine = [str(patient_record.pk)]

    assert found(identifier=patient_record.mrn) == mine
    assert (
        found(identifier=f"https://phms.example.org/identifiers/mrn|{patient_record.mrn}") == mine
    )
    assert found(identifier=f"http://other.example|{patient_record.mrn}") == []
    assert found(name=patient_record.first_name[:3].lower()) == mine
    assert found(family="Lovelace,Turing", _count="5") and len(found(family="Lovelace,Turing")) == 2
    assert str(patient_record.pk) in found(birthdate=born.isoformat())
    assert str(patient_record.pk) not in found(birthdate=f"lt{born.isoformat()}")
    assert str(patient_record.pk) in found(birthdate=f"ge{born.year}")
    gender = {"F": "female", "M": "male", "O": "other", "U": "unknown"}[patient_record.sex]
    assert str(patient_record.pk) in found(gender=gender)


def test_observation_search_by_category_code_and_date(attending_doctor, full_record):
    search = lambda **params: fhir_get(  # noqa: E731
        attending_doctor, "/fhir/Observation", patient=f"Patient/{full_record.pk}", **params
    ).json()
    everything = search()
    vitals = search(category="vital-signs")
    labs = search(category="laboratory")

    assert everything["total"] == vitals["total"] + labs["total"] and labs["total"] == 1
    lab = labs["entry"][0]["resource"]
    code = lab["code"]["coding"][0]["code"]
    assert search(code=f"http://loinc.org|{code}")["total"] == 1
    assert search(code=f"http://snomed.info/sct|{code}")["total"] == 0
    day = lab["effectiveDateTime"][:10]
    assert search(category="laboratory", date=day)["total"] == 1
    assert search(category="laboratory", date=f"gt{day}")["total"] == 0
    assert search(date="ge1900", _count="2")["total"] == everything["total"]


def test_when_the_document_store_is_down_immunizations_answer_503_and_everything_warns(
    attending_doctor, full_record, monkeypatch
):
    def down(name):
        raise documents.DocumentStoreUnavailable("test outage")

    monkeypatch.setattr(documents, "collection", down)

    search = fhir_get(attending_doctor, "/fhir/Immunization", patient=full_record.pk)
    everything = fhir_get(attending_doctor, f"/fhir/Patient/{full_record.pk}/$everything")

    assert search.status_code == 503 and search.json()["issue"][0]["code"] == "transient"
    bundle = everything.json()
    assert everything.status_code == 200 and "Immunization" not in types_in(bundle)
    warning = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    assert "document store" in warning[0]["issue"][0]["diagnostics"]


def test_download_my_record_is_an_attachment(patient_user, full_record):
    response = as_session(patient_user).get(
        f"/fhir/Patient/{full_record.pk}/$everything", {"download": "1"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{full_record.mrn}-fhir.json"'


def test_a_database_outage_and_a_bug_are_operation_outcomes_too(
    attending_doctor, full_record, monkeypatch
):
    from django.db import OperationalError

    from interop.fhir import resources
    from interop.fhir.types import RESOURCE_TYPES

    def unreachable(patients):
        raise OperationalError("(2006, 'MySQL server has gone away')")

    monkeypatch.setattr(RESOURCE_TYPES["Condition"], "rows", unreachable)
    down = fhir_get(attending_doctor, "/fhir/Condition", patient=full_record.pk)
    assert down.status_code == 503 and down.json()["issue"][0]["code"] == "transient"

    def broken(encounter, care_assignments=()):
        raise ValueError("a bug")

    monkeypatch.setattr(resources, "encounter_resource", broken)
    bug = fhir_get(attending_doctor, "/fhir/Encounter", patient=full_record.pk)
    assert bug.status_code == 500 and bug["Content-Type"].startswith("application/fhir+json")
    assert bug.json()["issue"][0]["code"] == "exception"


def test_an_administrator_makes_a_token_for_a_user_in_the_admin_and_revokes_it(
    attending_doctor, full_record
):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", "root@example.org", "x-long-pass-1")
    admin = Client()
    admin.force_login(root)

    page = admin.post(
        "/admin/access/apitoken/add/",
        {"user": attending_doctor.pk, "name": "lab gateway", "days": "7"},
        follow=True,
    )
    shown = [str(m) for m in page.context["messages"]]
    secret = next(w for m in shown for w in m.split() if w.startswith("phms_"))
    token = ApiToken.objects.get(user=attending_doctor)
    assert (
        token.name == "lab gateway" and token.digest == hashlib.sha256(secret.encode()).hexdigest()
    )
    assert (token.expires_at - token.created_at).days == 7
    assert fhir_get_with(secret, f"/fhir/Patient/{full_record.pk}").status_code == 200

    admin.post("/admin/access/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert fhir_get_with(secret, f"/fhir/Patient/{full_record.pk}").status_code == 401


def fhir_get_with(secret, path):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")
