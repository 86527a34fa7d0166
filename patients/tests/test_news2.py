"""NEWS2 against the Royal College of Physicians' chart 1 (2017), parameter by parameter,
at every boundary of every score, and the bands of chart 2."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import news2
from patients.models import VitalSigns
from patients.tests.factories import VitalSignsFactory

ACVPU = VitalSigns.Consciousness
SCORING_ZERO = {
    "respiratory_rate": 16,
    "spo2": 97,
    "supplemental_oxygen": False,
    "systolic_bp": 120,
    "diastolic_bp": 80,
    "heart_rate": 70,
    "consciousness": ACVPU.ALERT,
    "temperature_c": Decimal("37.0"),
}


@pytest.fixture
def adult_patient_record(patient_record):
    """patient_record of a fixed adult age: NEWS2 is for adults, the factory's ages vary."""
    patient_record.date_of_birth = dt.date(1970, 1, 1)
    patient_record.save()
    return patient_record


def complete_set(**changes):
    """A set that scores 0 in every parameter, with `changes` applied."""
    return SimpleNamespace(**{**SCORING_ZERO, "recorded_at": None, **changes})


@pytest.mark.parametrize(
    ("rate", "score"),
    [(4, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)],
)
def test_it_scores_the_respiration_rate(rate, score):
    assert news2.respiratory_rate_score(rate) == score


@pytest.mark.parametrize(
    ("spo2", "score"), [(85, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
)
def test_it_scores_spo2_on_scale_1(spo2, score):
    assert news2.spo2_score(spo2) == score


@pytest.mark.parametrize(("on_oxygen", "score"), [(True, 2), (False, 0)])
def test_it_scores_air_or_oxygen(on_oxygen, score):
    assert news2.supplemental_oxygen_score(on_oxygen) == score


@pytest.mark.parametrize(
    ("systolic", "score"),
    [(70, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_it_scores_the_systolic_blood_pressure(systolic, score):
    assert news2.systolic_bp_score(systolic) == score


@pytest.mark.parametrize(
    ("pulse", "score"),
    [
        (30, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
    ],
)
def test_it_scores_the_pulse(pulse, score):
    assert news2.pulse_score(pulse) == score


@pytest.mark.parametrize(
    ("level", "score"),
    [
        (ACVPU.ALERT, 0),
        (ACVPU.NEW_CONFUSION, 3),
        (ACVPU.VOICE, 3),
        (ACVPU.PAIN, 3),
        (ACVPU.UNRESPONSIVE, 3),
    ],
)
def test_it_scores_consciousness(level, score):
    assert news2.consciousness_score(level) == score


@pytest.mark.parametrize(
    ("temperature", "score"),
    [
        ("34.0", 3),
        ("35.0", 3),
        ("35.1", 1),
        ("36.0", 1),
        ("36.1", 0),
        ("38.0", 0),
        ("38.1", 1),
        ("39.0", 1),
        ("39.1", 2),
        ("41.0", 2),
    ],
)
def test_it_scores_the_temperature(temperature, score):
    assert news2.temperature_score(Decimal(temperature)) == score


def test_it_adds_the_parameter_scores():
    vitals = complete_set(respiratory_rate=22, spo2=95, supplemental_oxygen=True, heart_rate=105)

    result = news2.news2_score(vitals)

    assert result.score == 2 + 1 + 2 + 1
    assert result.parameter_scores["heart_rate"] == 1


@pytest.mark.parametrize(
    ("changes", "score", "band"),
    [
        ({}, 0, news2.LOW_SCORE_ZERO),
        ({"heart_rate": 95}, 1, news2.LOW),
        ({"respiratory_rate": 22, "supplemental_oxygen": True}, 4, news2.LOW),
        ({"consciousness": ACVPU.NEW_CONFUSION}, 3, news2.LOW_MEDIUM),
        ({"spo2": 91, "heart_rate": 95}, 4, news2.LOW_MEDIUM),
        ({"respiratory_rate": 22, "supplemental_oxygen": True, "heart_rate": 95}, 5, news2.MEDIUM),
        ({"spo2": 91, "supplemental_oxygen": True, "heart_rate": 95}, 6, news2.MEDIUM),
        ({"spo2": 91, "supplemental_oxygen": True, "heart_rate": 115}, 7, news2.HIGH),
        ({"consciousness": ACVPU.PAIN, "systolic_bp": 85, "spo2": 90}, 9, news2.HIGH),
    ],
)
def test_it_bands_the_score_as_chart_2_does(changes, score, band):
    result = news2.news2_score(complete_set(**changes))

    assert (result.score, result.band) == (score, band)


def test_it_words_each_band_with_its_clinical_response():
    assert news2.LOW.name == "Low" and "Ward-based response" in news2.LOW.response
    assert news2.LOW_MEDIUM.name == "Low–medium"
    assert "Urgent ward-based response" in news2.LOW_MEDIUM.response
    assert news2.MEDIUM.name == "Medium" and "Urgent response" in news2.MEDIUM.response
    assert news2.HIGH.name == "High" and "Emergency response" in news2.HIGH.response


def test_it_names_what_an_incomplete_set_lacks_and_refuses_to_score_it():
    vitals = complete_set(supplemental_oxygen=None, consciousness="", respiratory_rate=None)

    assert news2.missing_parameters(vitals) == [
        "respiratory rate",
        "air or oxygen",
        "consciousness",
    ]
    with pytest.raises(ValueError, match="missing respiratory rate"):
        news2.news2_score(vitals)


def test_it_reads_the_latest_complete_set_and_says_what_a_later_one_lacks():
    complete = complete_set(heart_rate=95)
    later = complete_set(consciousness="")

    reading = news2.news2_reading(later, complete, age=40)

    assert reading.news2.score == 1
    assert reading.latest_missing == ["consciousness"]
    assert news2.news2_reading(None, None, age=40) == news2.News2Reading(None, None, [])
    assert news2.news2_reading(later, None, age=40).news2 is None


@pytest.mark.parametrize(("age", "scored"), [(15, False), (16, True)])
def test_it_scores_adults_only(age, scored):
    reading = news2.news2_reading(complete_set(), complete_set(), age=age)

    assert (reading.news2 is not None) is scored
    assert reading.under_adult_age is not scored


# On the chart -------------------------------------------------------------------------


def chart_page(client, user, patient) -> str:
    client.force_login(user)
    return client.get(reverse("patients:chart", kwargs={"pk": patient.pk})).content.decode()


@pytest.mark.django_db
def test_the_chart_says_what_the_latest_set_lacks_when_none_is_complete(
    client, attending_doctor, adult_patient_record
):
    page = chart_page(client, attending_doctor, adult_patient_record)

    assert "NEWS2 not available: the latest set is missing air or oxygen, consciousness." in page


@pytest.mark.django_db
def test_the_chart_scores_the_latest_complete_set_and_names_a_later_incomplete_one(
    client, attending_doctor, adult_patient_record
):
    encounter = adult_patient_record.encounters.get()
    taken = encounter.admitted_at + dt.timedelta(hours=2)
    VitalSignsFactory(
        encounter=encounter,
        recorded_at=taken,
        **{**SCORING_ZERO, "respiratory_rate": 23, "spo2": 93, "supplemental_oxygen": True},
    )
    VitalSignsFactory(encounter=encounter, recorded_at=taken + dt.timedelta(hours=1), spo2=97)

    page = chart_page(client, attending_doctor, adult_patient_record)

    assert "<strong>NEWS2 6</strong>" in page
    assert '<span class="badge news2-medium">Medium</span>' in page
    assert f"from the set recorded {timezone.localtime(taken):%Y-%m-%d %H:%M}" in page
    assert "Urgent response" in page
    assert "A later set is not complete (missing air or oxygen, consciousness)." in page


@pytest.mark.django_db
def test_the_chart_finds_the_latest_complete_set_in_a_constant_number_of_queries(
    client, attending_doctor, adult_patient_record, django_assert_max_num_queries
):
    encounter = adult_patient_record.encounters.get()
    client.force_login(attending_doctor)
    url = reverse("patients:chart", kwargs={"pk": adult_patient_record.pk})
    client.get(url)
    cache.clear()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for hour in range(12):
        VitalSignsFactory(
            encounter=encounter,
            recorded_at=encounter.admitted_at + dt.timedelta(hours=2 + hour),
            **SCORING_ZERO,
        )
    cache.clear()

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "<strong>NEWS2 0</strong>" in page


@pytest.mark.django_db
def test_the_vitals_form_records_air_or_oxygen_and_consciousness(
    client, ward_nurse, patient_record
):
    client.force_login(ward_nurse)
    url = reverse("patients:vitals_add", kwargs={"pk": patient_record.pk})
    form = client.get(url).content.decode()
    encounter = patient_record.encounters.get()

    response = client.post(
        url,
        {
            "encounter": encounter.pk,
            "respiratory_rate": "18",
            "supplemental_oxygen": "true",
            "consciousness": ACVPU.VOICE,
        },
    )

    assert "On supplemental oxygen" in form and "Responds to voice" in form
    assert response.status_code == 302
    vitals = VitalSigns.objects.get(encounter=encounter, respiratory_rate=18)
    assert vitals.supplemental_oxygen is True
    assert vitals.consciousness == ACVPU.VOICE


@pytest.mark.django_db
def test_the_vitals_form_still_needs_a_measurement(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    encounter = patient_record.encounters.get()

    response = client.post(
        reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}),
        {"encounter": encounter.pk, "supplemental_oxygen": "false", "consciousness": "alert"},
    )

    assert response.status_code == 200
    assert "Enter at least one vital sign." in response.content.decode()


@pytest.mark.django_db
def test_the_chart_shows_no_news2_for_a_child(client, attending_doctor, patient_record):
    today = dt.date.today()
    patient_record.date_of_birth = today.replace(year=today.year - 10, day=1)
    patient_record.save()
    VitalSignsFactory(encounter=patient_record.encounters.get(), **SCORING_ZERO)

    page = chart_page(client, attending_doctor, patient_record)

    assert "NEWS2 is not shown: it is validated for adults (16 and over) only." in page
    assert "<strong>NEWS2" not in page
