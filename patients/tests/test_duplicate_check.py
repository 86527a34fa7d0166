"""The duplicate check at registration, in find_duplicates and in the imports' reports."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from access.models import AccessLog
from patients.duplicates import duplicate_candidates, likely_duplicate_pairs
from patients.matching import Identity
from patients.models import DuplicateReview, Patient, RegistrationStep
from patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
BORN = dt.date(1986, 12, 9)
TYPED = {"first_name": "Grcae", "last_name": "Hoppr", "date_of_birth": "1986-12-09", "sex": "F"}


@pytest.fixture
def grace(db):
    return PatientFactory(
        first_name="Grace", last_name="Hopper", date_of_birth=BORN, sex="F", ssn="123-45-6789"
    )


def test_it_finds_a_typo_through_the_birth_date_and_a_changed_birth_date_through_the_name(
    grace,
):
    PatientFactory.create_batch(5, date_of_birth=dt.date(1950, 1, 1))
    typed = Identity(first_name="Grcae", last_name="Hoppr", date_of_birth=BORN, sex="F")
    assert [c.patient for c in duplicate_candidates(typed)] == [grace]
    misdated = Identity(
        first_name="Grace",
        last_name="Hopper",
        date_of_birth=dt.date(1986, 12, 19),
        sex="F",
        ssn_last4="6789",
    )
    assert [c.patient for c in duplicate_candidates(misdated)] == [grace]
    stranger = Identity(first_name="Alan", last_name="Turing", date_of_birth=BORN, sex="M")
    assert duplicate_candidates(stranger) == []


def test_it_skips_merged_and_deleted_records_and_the_patient_itself(grace):
    identity = Identity.of(grace)
    assert duplicate_candidates(identity, exclude_ids=[grace.pk]) == []
    grace.delete()
    assert duplicate_candidates(identity) == []


def test_front_desk_sees_the_candidate_and_what_matched(client, front_desk, grace):
    client.force_login(front_desk)
    response = client.post(reverse("patients:register"), TYPED)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="duplicate-candidates"' in page
    assert grace.mrn in page and "date of birth" in page and "family name (similar)" in page
    assert reverse("patients:chart", kwargs={"pk": grace.pk}) in page
    assert not Patient.objects.filter(last_name="Hoppr").exists()
    logged = AccessLog.objects.get(section="registration")
    assert list(logged.patients_shown.all()) == [grace]


def test_a_different_person_needs_a_reason_which_is_kept(client, front_desk, grace):
    client.force_login(front_desk)
    first = client.post(reverse("patients:register"), TYPED)
    reviewed = first.context["decision"]["reviewed"].value()
    assert reviewed == str(grace.pk)
    no_reason = client.post(reverse("patients:register"), {**TYPED, "reviewed": reviewed})
    assert "say why this is a different person" in no_reason.content.decode()
    assert not Patient.objects.filter(last_name="Hoppr").exists()
    saved = client.post(
        reverse("patients:register"),
        {**TYPED, "reviewed": reviewed, "different_person_reason": "Her cousin; checked ID"},
    )
    patient = Patient.objects.get(last_name="Hoppr")
    assert saved.url == reverse(
        "patients:register_step", kwargs={"pk": patient.pk, "step": "contact"}
    )
    review = DuplicateReview.objects.get()
    assert (review.patient, review.candidate, review.reason) == (
        patient,
        grace,
        "Her cousin; checked ID",
    )
    assert review.reviewed_by == front_desk and review.points >= 55
    assert likely_duplicate_pairs() == []  # find_duplicates does not list it again


def test_a_changed_identity_is_checked_again(client, front_desk, grace):
    other = PatientFactory(
        first_name="Alan", last_name="Turing", date_of_birth=dt.date(1912, 6, 23), sex="M"
    )
    client.force_login(front_desk)
    reviewed = client.post(reverse("patients:register"), TYPED).context["decision"]["reviewed"]
    changed = {
        "first_name": "Alan",
        "last_name": "Turring",
        "date_of_birth": "1912-06-23",
        "sex": "M",
        "reviewed": reviewed.value(),
        "different_person_reason": "Not Grace",
    }
    response = client.post(reverse("patients:register"), changed)
    assert response.status_code == 200
    assert [c.patient for c in response.context["candidates"]] == [other]
    assert not Patient.objects.filter(last_name="Turring").exists()


def test_no_candidate_registers_at_once(client, front_desk, grace):
    client.force_login(front_desk)
    data = {"first_name": "Katherine", "last_name": "Johnson", "date_of_birth": "1918-08-26"}
    response = client.post(reverse("patients:register"), {**data, "sex": "F"})
    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Johnson")
    assert patient.registration_step == RegistrationStep.CONTACT
    assert not DuplicateReview.objects.exists()


def test_find_duplicates_lists_likely_pairs_with_scores(capsys, grace):
    twin = PatientFactory(
        first_name="Grace", last_name="Hoper", date_of_birth=BORN, sex="F", ssn="000-00-6789"
    )
    PatientFactory(first_name="Grace", last_name="Hopper", date_of_birth=dt.date(1950, 1, 1))
    call_command("find_duplicates")
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if grace.mrn in line]
    assert len(lines) == 1 and twin.mrn in lines[0] and "likely" in lines[0]
    assert "1 pair(s) score 55 or more; 1 listed." in out
    call_command("find_duplicates", "--min-score", "100")
    assert "No pairs of patients score 100 or more." in capsys.readouterr().out
