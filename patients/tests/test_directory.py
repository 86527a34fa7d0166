import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from patients.selectors import patient_search
from patients.tests.factories import (
    ConditionFactory,
    CoverageFactory,
    DiagnosisFactory,
    EncounterFactory,
    PatientFactory,
    PayerFactory,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("patients:list")


def names_in(response):
    return [patient.last_name for patient in response.context["page"].object_list]


def test_it_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_refuses_post(client, front_desk):
    client.force_login(front_desk)

    assert client.post(LIST_URL).status_code == 405


@pytest.mark.parametrize("persona", ["outsider", "billing_clerk", "patient_user"])
def test_it_is_forbidden_to_roles_without_the_directory(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(LIST_URL).status_code == 403


def test_it_lists_only_the_care_teams_patients_to_a_doctor(
    client, attending_doctor, patient_record, other_patient_record
):
    client.force_login(attending_doctor)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert names_in(response) == ["Lovelace"]
    assert "Turing" not in response.content.decode()


def test_it_hides_other_patients_from_a_clinician_elsewhere_even_by_name(
    client, doctor_elsewhere, patient_record
):
    client.force_login(doctor_elsewhere)

    response = client.get(LIST_URL, {"q": "Lovelace"})

    assert names_in(response) == []
    assert "No patient matches" in response.content.decode()


def test_it_finds_patients_by_the_start_of_either_name(client, front_desk):
    PatientFactory(first_name="Grace", last_name="Hopper")
    PatientFactory(first_name="Hedy", last_name="Lamarr")
    client.force_login(front_desk)

    assert names_in(client.get(LIST_URL, {"q": "hop"})) == ["Hopper"]
    assert names_in(client.get(LIST_URL, {"q": "hedy"})) == ["Lamarr"]
    assert names_in(client.get(LIST_URL, {"q": "grace hop"})) == ["Hopper"]


def test_it_filters_by_mrn_date_of_birth_and_state(client, front_desk):
    PatientFactory(last_name="Alpha", mrn="MRN-A1", state="OH", date_of_birth=dt.date(1970, 1, 2))
    PatientFactory(last_name="Beta", mrn="MRN-B2", state="TX", date_of_birth=dt.date(1980, 3, 4))
    client.force_login(front_desk)

    assert names_in(client.get(LIST_URL, {"mrn": "mrn-b"})) == ["Beta"]
    assert names_in(client.get(LIST_URL, {"date_of_birth": "1970-01-02"})) == ["Alpha"]
    assert names_in(client.get(LIST_URL, {"state": "TX"})) == ["Beta"]
    refused = client.get(LIST_URL, {"state": "Atlantis"})
    assert "Choose a state from the list." in refused.content.decode()


def test_it_filters_by_insurer_and_condition(client, front_desk):
    insured = PatientFactory(last_name="Insured")
    diabetic = PatientFactory(last_name="Diabetic")
    PatientFactory(last_name="Neither")
    payer = PayerFactory(name="Acme Health")
    CoverageFactory(patient=insured, payer=payer)
    CoverageFactory(patient=insured, payer=payer, member_id="second")
    DiagnosisFactory(
        encounter=EncounterFactory(patient=diabetic),
        condition=ConditionFactory(code="E11", name="Type 2 diabetes mellitus"),
    )
    client.force_login(front_desk)

    assert names_in(client.get(LIST_URL, {"payer": payer.pk})) == ["Insured"]
    assert names_in(client.get(LIST_URL, {"condition": "diabetes"})) == ["Diabetic"]
    assert names_in(client.get(LIST_URL, {"condition": "e11"})) == ["Diabetic"]


def test_it_sorts_by_the_chosen_column(client, front_desk):
    PatientFactory(last_name="Young", date_of_birth=dt.date(2001, 1, 1), mrn="MRN-1")
    PatientFactory(last_name="Old", date_of_birth=dt.date(1941, 1, 1), mrn="MRN-2")
    client.force_login(front_desk)

    assert names_in(client.get(LIST_URL, {"sort": "name"})) == ["Old", "Young"]
    assert names_in(client.get(LIST_URL, {"sort": "-name"})) == ["Young", "Old"]
    assert names_in(client.get(LIST_URL, {"sort": "-date_of_birth"})) == ["Young", "Old"]
    assert names_in(client.get(LIST_URL, {"sort": "mrn"})) == ["Young", "Old"]


def test_it_explains_bad_filters_instead_of_failing(client, front_desk):
    PatientFactory(last_name="Kept")
    client.force_login(front_desk)

    response = client.get(
        LIST_URL, {"date_of_birth": "31/31/1999", "sort": "ssn", "payer": "x", "page": "zz"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the date of birth as YYYY-MM-DD." in page
    assert "Choose a sort order from the list." in page
    assert "Choose an insurer from the list." in page
    assert names_in(response) == ["Kept"]


def test_it_paginates_twenty_five_a_page(client, front_desk):
    PatientFactory.create_batch(30)
    client.force_login(front_desk)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2" in first.content.decode()


def test_it_answers_live_search_with_the_results_partial(client, front_desk):
    PatientFactory(last_name="Hopper")
    client.force_login(front_desk)

    response = client.get(LIST_URL, {"q": "Hop"}, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Hopper" in page
    assert "<html" not in page and "<form" not in page


def test_it_wires_the_search_box_for_live_search(client, front_desk):
    client.force_login(front_desk)

    page = client.get(LIST_URL).content.decode()

    assert 'hx-get="/patients/"' in page
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert re.search(r'<label[^>]*\sfor="id_q"', page)
    assert 'aria-describedby="id_q_helptext"' in page and 'id="id_q_helptext"' in page


def test_it_scopes_the_search_selector_by_visible_to(attending_doctor, patient_record):
    PatientFactory(last_name="Lovelace", first_name="Other")

    found = patient_search(user=attending_doctor, q="Lovelace")

    assert list(found) == [patient_record]


def test_it_searches_a_hundred_patients_in_as_many_queries_as_one(
    client, front_desk, django_assert_max_num_queries
):
    payer = PayerFactory()
    condition = ConditionFactory()
    client.force_login(front_desk)
    search = {"q": "s", "payer": payer.pk, "condition": "hyper", "sort": "state"}

    def add_patient(last_name):
        patient = PatientFactory(last_name=last_name)
        CoverageFactory(payer=payer, patient=patient)
        DiagnosisFactory(encounter=EncounterFactory(patient=patient), condition=condition)

    add_patient("Smith")
    client.get(LIST_URL, search)  # warm per-process caches (content types, etc.)
    with CaptureQueriesContext(connection) as one_patient_listed:
        client.get(LIST_URL)
    with CaptureQueriesContext(connection) as one_patient_found:
        client.get(LIST_URL, search)
    for number in range(99):
        add_patient(f"Smith{number}")

    with django_assert_max_num_queries(len(one_patient_listed.captured_queries)):
        listed = client.get(LIST_URL)
    with django_assert_max_num_queries(len(one_patient_found.captured_queries)):
        found = client.get(LIST_URL, search)

    assert len(listed.context["page"].object_list) == 25
    assert listed.context["page"].paginator.count == 100
    assert found.context["page"].paginator.count == 100


def test_a_search_with_more_matches_than_shown_says_so_and_asks_to_narrow_it(
    client, front_desk, monkeypatch
):
    from patients.views import directory

    monkeypatch.setattr(directory, "MATCHES_SHOWN", 30)
    for number in range(31):
        PatientFactory(last_name=f"Many{number:02d}")
    PatientFactory(last_name="Other")
    client.force_login(front_desk)

    broad = client.get(LIST_URL, {"q": "many"})
    last_page = client.get(LIST_URL, {"q": "many", "page": 2})
    narrow = client.get(LIST_URL, {"q": "many0"})

    assert broad.context["page"].paginator.count == 30
    assert broad.context["page"].paginator.num_pages == 2
    assert "More than 30 patients found" in broad.content.decode()
    assert "narrow the search" in broad.content.decode()
    assert names_in(last_page) == [f"Many{number:02d}" for number in range(25, 30)]
    assert "10 patients found" in narrow.content.decode()
    assert "More than" not in narrow.content.decode()


def test_a_clinician_sees_the_same_patients_when_the_scope_is_too_large_for_a_list(
    attending_doctor, patient_record, other_patient_record, monkeypatch
):
    from access import grants

    listed = set(patient_search(user=attending_doctor).values_list("pk", flat=True))
    monkeypatch.setattr(grants, "SCOPE_AS_LIST_LIMIT", 0)

    assert grants.clinician_patient_scope(attending_doctor) is None
    assert set(patient_search(user=attending_doctor).values_list("pk", flat=True)) == listed
    assert listed == {patient_record.pk}
