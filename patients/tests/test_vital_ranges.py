from decimal import Decimal

import pytest
from django.urls import reverse

from patients.models import VitalSigns
from patients.tests.factories import VitalSignsFactory
from patients.vital_ranges import REFERENCE_RANGES, vital_flag

MEASURED = [
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "temperature_c",
    "spo2",
    "respiratory_rate",
]


@pytest.mark.parametrize(
    ("measure", "value", "words"),
    [
        ("heart_rate", 40, "Critically low"),
        ("heart_rate", 41, "Low"),
        ("heart_rate", 50, "Low"),
        ("heart_rate", 51, "Normal"),
        ("heart_rate", 90, "Normal"),
        ("heart_rate", 91, "High"),
        ("heart_rate", 130, "High"),
        ("heart_rate", 131, "Critically high"),
        ("systolic_bp", 90, "Critically low"),
        ("systolic_bp", 110, "Low"),
        ("systolic_bp", 111, "Normal"),
        ("systolic_bp", 139, "Normal"),
        ("systolic_bp", 140, "High"),
        ("systolic_bp", 180, "Critically high"),
        ("diastolic_bp", 59, "Low"),
        ("diastolic_bp", 20, "Low"),
        ("diastolic_bp", 60, "Normal"),
        ("diastolic_bp", 90, "High"),
        ("diastolic_bp", 120, "Critically high"),
        ("temperature_c", Decimal("35.0"), "Critically low"),
        ("temperature_c", Decimal("36.0"), "Low"),
        ("temperature_c", Decimal("36.1"), "Normal"),
        ("temperature_c", Decimal("38.0"), "Normal"),
        ("temperature_c", Decimal("38.1"), "High"),
        ("temperature_c", Decimal("41.0"), "High"),
        ("spo2", 91, "Critically low"),
        ("spo2", 95, "Low"),
        ("spo2", 96, "Normal"),
        ("spo2", 100, "Normal"),
        ("respiratory_rate", 8, "Critically low"),
        ("respiratory_rate", 11, "Low"),
        ("respiratory_rate", 12, "Normal"),
        ("respiratory_rate", 20, "Normal"),
        ("respiratory_rate", 21, "High"),
        ("respiratory_rate", 25, "Critically high"),
    ],
)
def test_it_flags_each_measure_in_words_at_its_bounds(measure, value, words):
    assert vital_flag(measure, value).words == words


def test_it_gives_each_kind_of_flag_its_own_css_class():
    assert vital_flag("heart_rate", 70).css_class == "vital-normal"
    assert vital_flag("heart_rate", 95).css_class == "vital-abnormal"
    assert vital_flag("heart_rate", 30).css_class == "vital-critical"


def test_it_flags_nothing_without_a_value_or_a_range():
    assert vital_flag("heart_rate", None) is None
    assert vital_flag("weight_kg", Decimal("70.0")) is None


@pytest.mark.parametrize("measure", MEASURED)
def test_it_keeps_each_normal_range_inside_its_critical_bounds(measure):
    reference = REFERENCE_RANGES[measure]
    assert reference.unit and reference.label
    if reference.critical_low is not None:
        assert reference.critical_low < reference.low
    if reference.critical_high is not None:
        assert reference.high < reference.critical_high


@pytest.mark.django_db
def test_the_chart_flags_abnormal_values_in_words_and_leaves_normal_ones_plain(
    client, attending_doctor, patient_record
):
    encounter = patient_record.encounters.get()
    VitalSignsFactory(
        encounter=encounter,
        heart_rate=72,
        systolic_bp=185,
        diastolic_bp=95,
        spo2=94,
        respiratory_rate=16,
        temperature_c=Decimal("34.5"),
        supplemental_oxygen=True,
        consciousness=VitalSigns.Consciousness.NEW_CONFUSION,
    )
    client.force_login(attending_doctor)

    page = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk})).content.decode()

    assert "<td>72</td>" in page
    assert (
        '<span class="vital-flag vital-critical">185 <span class="vital-flag-words">'
        "Critically high</span></span>/"
        '<span class="vital-flag vital-abnormal">95 <span class="vital-flag-words">High</span>'
    ) in page
    assert '34.5 <span class="vital-flag-words">Critically low</span>' in page
    assert '94 <span class="vital-flag-words">Low</span></span> on O₂' in page
    assert '<span class="vital-flag vital-critical">New confusion</span>' in page
