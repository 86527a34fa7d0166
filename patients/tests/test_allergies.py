"""Allergies from the chart: coded or free-text substances, statuses, the explicit "no
known allergies" assertion, and the warning a matching prescription gets."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.allergens import allergen_catalog
from patients.models import Allergy, ChartVersion, Prescription
from patients.selectors import AllergyStatus, allergies_matching, allergy_status
from patients.tests.factories import AllergyFactory, MedicationFactory
from phms.tests import personas

pytestmark = pytest.mark.django_db


def _add_url(patient):
    return reverse("patients:allergy_add", kwargs={"pk": patient.pk})


def _prescribe(client, patient, medication, **extra):
    return client.post(
        reverse("patients:prescription_add", kwargs={"pk": patient.pk}),
        {
            "encounter": personas.open_encounter(patient).pk,
            "medication": medication.pk,
            "dose_amount": "250",
            "dose_unit": "mg",
            "route": "oral",
            "dose_frequency": "four_times_daily",
            "start_date": timezone.localdate().isoformat(),
            "dispenses": "1",
            **extra,
        },
    )


def test_the_catalog_codes_every_allergen_once():
    catalog = allergen_catalog()
    assert len(catalog) >= 20
    assert all(allergen.code.isdigit() for allergen in catalog)
    assert len({allergen.key for allergen in catalog}) == len(catalog)
    assert {"medication", "food", "environment"} == {allergen.category for allergen in catalog}


def test_a_nurse_records_a_coded_allergy_from_the_catalog(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    version = ChartVersion.objects.get(patient_id=patient_record.pk).version

    response = client.post(
        _add_url(patient_record),
        {
            "substance": "RxNorm|7984",
            "reaction": "Hives",
            "severity": "severe",
            "clinical_status": "active",
            "verification_status": "confirmed",
        },
    )

    assert response.status_code == 302
    allergy = Allergy.objects.get(patient=patient_record)
    assert (allergy.description, allergy.code_system, allergy.code) == (
        "Penicillin V",
        "RxNorm",
        "7984",
    )
    assert allergy.category == "medication"
    assert allergy.history.latest().history_user == ward_nurse
    assert ChartVersion.objects.get(patient_id=patient_record.pk).version != version
    page = client.get(response["Location"]).content.decode()
    assert "Penicillin V" in page and "Severe" in page


def test_it_records_a_substance_not_in_the_catalog_uncoded(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)

    client.post(
        _add_url(patient_record),
        {
            "other_substance": "Chlorhexidine",
            "clinical_status": "active",
            "verification_status": "unconfirmed",
        },
    )

    allergy = Allergy.objects.get(patient=patient_record)
    assert (allergy.description, allergy.code_system, allergy.code) == ("Chlorhexidine", "", "")


def test_it_asks_for_exactly_one_substance(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    base = {"clinical_status": "active", "verification_status": "confirmed"}

    neither = client.post(_add_url(patient_record), base)
    both = client.post(
        _add_url(patient_record),
        {**base, "substance": "SNOMED-CT|111088007", "other_substance": "Latex"},
    )

    assert "substance" in neither.context["form"].errors
    assert "other_substance" in both.context["form"].errors
    assert not Allergy.objects.filter(patient=patient_record).exists()


def test_it_tells_not_assessed_from_none_known_from_a_list(patient_record):
    assert allergy_status(patient_record).state == AllergyStatus.NOT_ASSESSED

    services.allergy_assert_none_known(patient=patient_record, by=None)
    assert allergy_status(patient_record) == AllergyStatus(AllergyStatus.NONE_KNOWN)

    latex = services.allergy_record(patient=patient_record, by=None, description="Latex")
    status = allergy_status(patient_record)
    assert status.state == AllergyStatus.LISTED
    assert status.allergies == (latex,)


def test_recording_an_allergy_ends_the_no_known_allergies_assertion(patient_record):
    assertion = services.allergy_assert_none_known(patient=patient_record, by=None)
    assert (assertion.code_system, assertion.code) == ("SNOMED-CT", "716186003")
    assert assertion.description == "No known allergies"

    services.allergy_record(patient=patient_record, by=None, description="Peanut")

    assertion.refresh_from_db()
    assert assertion.clinical_status == Allergy.ClinicalStatus.INACTIVE


def test_making_an_allergy_active_again_ends_the_no_known_allergies_assertion(patient_record):
    allergy = AllergyFactory(patient=patient_record, clinical_status="resolved")
    assertion = services.allergy_assert_none_known(patient=patient_record, by=None)

    services.allergy_update(
        allergy=allergy,
        by=None,
        reaction="Hives",
        severity="mild",
        clinical_status="active",
        verification_status="confirmed",
    )

    assertion.refresh_from_db()
    assert assertion.clinical_status == Allergy.ClinicalStatus.INACTIVE
    assert allergy_status(patient_record).allergies == (allergy,)


def test_no_known_allergies_is_refused_while_an_allergy_is_active(
    client, ward_nurse, patient_record
):
    AllergyFactory(patient=patient_record, description="Peanut")
    client.force_login(ward_nurse)

    response = client.post(reverse("patients:allergy_none_known", kwargs={"pk": patient_record.pk}))

    assert response.status_code == 200
    assert "The patient has active allergies (Peanut)" in response.content.decode()
    assert not Allergy.objects.filter(patient=patient_record).none_known_assertions().exists()


def test_no_known_allergies_is_one_button_and_shows_on_the_chart(
    client, ward_nurse, patient_record
):
    client.force_login(ward_nurse)
    chart = reverse("patients:chart", kwargs={"pk": patient_record.pk})
    assert "Allergies not assessed" in client.get(chart).content.decode()

    client.post(reverse("patients:allergy_none_known", kwargs={"pk": patient_record.pk}))
    again = client.post(reverse("patients:allergy_none_known", kwargs={"pk": patient_record.pk}))

    assert "already recorded" in again.content.decode()
    page = client.get(chart).content.decode()
    assert 'data-testid="allergy-status">No known allergies' in page
    assert Allergy.objects.filter(patient=patient_record).count() == 1


def test_it_changes_an_allergy_and_dates_its_resolution(client, ward_nurse, patient_record):
    allergy = AllergyFactory(patient=patient_record)
    client.force_login(ward_nurse)
    url = reverse(
        "patients:allergy_change", kwargs={"pk": patient_record.pk, "allergy_pk": allergy.pk}
    )
    assert client.get(url).context["form"]["reaction"].value() == "Hives"

    client.post(
        url,
        {
            "reaction": "Anaphylaxis",
            "severity": "severe",
            "clinical_status": "resolved",
            "verification_status": "confirmed",
        },
    )

    allergy.refresh_from_db()
    assert allergy.reaction == "Anaphylaxis"
    assert allergy.resolved_date == timezone.localdate()
    assert allergy_status(patient_record).state == AllergyStatus.NOT_ASSESSED


def test_refuted_and_entered_in_error_allergies_are_not_active(patient_record):
    for verification in (
        Allergy.VerificationStatus.REFUTED,
        Allergy.VerificationStatus.ENTERED_IN_ERROR,
    ):
        AllergyFactory(patient=patient_record, verification_status=verification)

    assert allergy_status(patient_record).state == AllergyStatus.NOT_ASSESSED
    assert allergies_matching(patient_record, MedicationFactory(name="Penicillin G 1 MU")) == []


# The allergy warning ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "code_system", "code", "medication_name", "medication_code", "matches"),
    [
        (
            "Penicillin V",
            "RxNorm",
            "7984",
            "Penicillin V Potassium 250 MG Oral Tablet",
            "834061",
            True,
        ),
        (
            "Allergy to penicillin",
            "SNOMED-CT",
            "91936005",
            "penicillin G 1 MU Injection",
            "1",
            True,
        ),
        ("Aspirin", "RxNorm", "1191", "Aspirin 81 MG Oral Tablet", "243670", True),
        ("Latex (substance)", "SNOMED-CT", "111088007", "Amlodipine 5 MG Oral Tablet", "2", False),
        ("Penicillin", "SNOMED-CT", "764146007", "Amoxicillin 250 MG Oral Capsule", "3", False),
        ("Some code", "RxNorm", "197361", "Amlodipine 5 MG Oral Tablet", "197361", True),
        ("Some code", "SNOMED-CT", "197361", "Other 5 MG Oral Tablet", "197361", False),
    ],
)
def test_it_matches_allergies_by_substance_name_or_rxnorm_code(
    patient_record, description, code_system, code, medication_name, medication_code, matches
):
    allergy = AllergyFactory(
        patient=patient_record, description=description, code_system=code_system, code=code
    )
    medication = MedicationFactory(code=medication_code, name=medication_name)

    assert allergies_matching(patient_record, medication) == ([allergy] if matches else [])


def test_a_matching_prescription_needs_an_override_reason_which_is_kept(
    client, attending_doctor, patient_record
):
    AllergyFactory(
        patient=patient_record, description="Penicillin V", code_system="RxNorm", code="7984"
    )
    medication = MedicationFactory(code="834061", name="Penicillin V Potassium 250 MG Oral Tablet")
    client.force_login(attending_doctor)
    form_page = client.get(reverse("patients:prescription_add", kwargs={"pk": patient_record.pk}))
    assert "Recorded allergies: Penicillin V." in form_page.content.decode()

    refused = _prescribe(client, patient_record, medication)

    assert refused.status_code == 200
    warning = refused.context["form"].errors["allergy_override_reason"][0]
    assert "recorded allergy to Penicillin V (moderate)" in warning
    assert not Prescription.objects.filter(medication=medication).exists()

    saved = _prescribe(
        client, patient_record, medication, allergy_override_reason="Tolerated a test dose"
    )

    assert saved.status_code == 302
    prescription = Prescription.objects.get(medication=medication)
    assert prescription.allergy_override_reason == "Tolerated a test dose"
    chart = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    assert "Allergy override: Tolerated a test dose" in chart.content.decode()


def test_the_service_refuses_a_matching_prescription_without_a_reason(patient_record):
    AllergyFactory(patient=patient_record, description="Aspirin", code_system="RxNorm", code="1191")

    with pytest.raises(ValidationError) as refused:
        services.prescription_record(
            encounter=personas.open_encounter(patient_record),
            medication=MedicationFactory(code="243670", name="Aspirin 81 MG Oral Tablet"),
            by=None,
        )

    assert "allergy_override_reason" in refused.value.error_dict


def test_an_unrelated_prescription_needs_no_override(client, attending_doctor, patient_record):
    AllergyFactory(patient=patient_record, description="Latex")
    client.force_login(attending_doctor)

    response = _prescribe(client, patient_record, MedicationFactory(name="Amlodipine 5 MG"))

    assert response.status_code == 302
