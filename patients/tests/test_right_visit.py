"""Recording needs an open encounter: the forms start on the user's open encounter, offer to
open one when there is none, and file into a finished one only as a late entry with a reason."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from access.services import break_glass_open
from patients import notes, services
from patients.models import CareAssignment, Encounter, Symptom, VitalSigns
from patients.tests.factories import ConditionFactory, EncounterFactory, LabTestFactory
from phms.tests import personas

pytestmark = pytest.mark.django_db


def _close(encounter):
    encounter.status = Encounter.Status.FINISHED
    encounter.discharged_at = encounter.admitted_at + dt.timedelta(hours=6)
    encounter.save()
    return encounter


def _posts(patient, encounter):
    """Each recording form with the least valid input, by the roles that may use it."""
    medication = patient.encounters.get().prescriptions.get().medication
    both, doctor = ("attending_doctor", "ward_nurse"), ("attending_doctor",)
    return [
        ("patients:vitals_add", {"recorded_at": "", "heart_rate": "72"}, both),
        ("patients:symptom_add", {"description": "Cough", "severity": "mild"}, both),
        (
            "patients:diagnosis_add",
            {
                "condition": ConditionFactory().pk,
                "status": "active",
                "onset_date": timezone.localdate().isoformat(),
            },
            doctor,
        ),
        (
            "patients:lab_result_add",
            {"lab_test": LabTestFactory().pk, "value_numeric": "5"},
            doctor,
        ),
        (
            "patients:prescription_add",
            {
                "medication": medication.pk,
                "start_date": timezone.localdate().isoformat(),
                "dispenses": "1",
                "dose_amount": "5",
                "dose_unit": "mg",
                "route": "oral",
                "dose_frequency": "once_daily",
            },
            doctor,
        ),
    ]


FORMS = ["vitals", "symptom", "diagnosis", "lab_result", "prescription"]
# Nurses record vitals and symptoms; doctors record everything.
FORMS_BY_ROLE = [
    *((form, "attending_doctor") for form in FORMS),
    ("vitals", "ward_nurse"),
    ("symptom", "ward_nurse"),
]


def _form_case(patient, form):
    return next(case for case in _posts(patient, None) if case[0] == f"patients:{form}_add")


@pytest.mark.parametrize(("form", "role"), FORMS_BY_ROLE)
def test_a_finished_encounter_takes_a_record_only_as_a_late_entry_with_a_reason(
    client, request, patient_record, form, role
):
    name, data, roles = _form_case(patient_record, form)
    assert role in roles
    user = request.getfixturevalue(role)
    finished = _close(patient_record.encounters.get())
    client.force_login(user)
    url = reverse(name, kwargs={"pk": patient_record.pk})
    model_counts = _counts(finished)

    refused = client.post(url, {**data, "encounter": finished.pk})

    assert refused.status_code == 200
    assert "late_entry_reason" in refused.context["form"].errors
    assert _counts(finished) == model_counts

    saved = client.post(
        url, {**data, "encounter": finished.pk, "late_entry_reason": "Paper chart from the ward"}
    )

    assert saved.status_code == 302, saved.context["form"].errors
    assert _counts(finished) != model_counts
    chart = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    assert "Late entry" in chart.content.decode()
    assert "Paper chart from the ward" in chart.content.decode()


def _counts(encounter):
    return (
        encounter.vital_signs.count(),
        encounter.symptoms.count(),
        encounter.diagnoses.count(),
        encounter.lab_results.count(),
        encounter.prescriptions.count(),
    )


@pytest.mark.parametrize("form", FORMS)
def test_a_form_starts_on_the_open_encounter_of_the_users_care_team(
    client, attending_doctor, patient_record, form
):
    on_team = patient_record.encounters.get()
    newer_elsewhere = EncounterFactory(patient=patient_record, admitted_at=timezone.now())
    client.force_login(attending_doctor)

    page = client.get(reverse(f"patients:{form}_add", kwargs={"pk": patient_record.pk}))

    assert page.context["form"].initial["encounter"] == on_team.pk
    assert newer_elsewhere.pk != on_team.pk
    assert page.context["encounter_offer"] is None


@pytest.mark.parametrize("form", [*FORMS, "note"])
def test_with_no_open_encounter_nothing_is_preselected_and_the_page_offers_to_open_one(
    client, attending_doctor, patient_record, form
):
    _close(patient_record.encounters.get())
    client.force_login(attending_doctor)
    url = reverse(f"patients:{form}_add", kwargs={"pk": patient_record.pk})

    page = client.get(url)

    assert "encounter" not in page.context["form"].initial
    html = page.content.decode()
    assert "No encounter is open for" in html
    open_url = reverse("patients:encounter_open", kwargs={"pk": patient_record.pk})
    assert page.context["encounter_offer"]["open_url"].startswith(f"{open_url}?next=")
    assert "Finished (a late entry" in html


def test_the_services_refuse_a_silent_filing_into_a_finished_encounter(
    attending_doctor, patient_record
):
    finished = _close(patient_record.encounters.get())

    with pytest.raises(ValidationError) as refusal:
        services.vital_signs_record(encounter=finished, by=attending_doctor, heart_rate=80)

    assert "late_entry_reason" in refusal.value.error_dict
    late = services.symptom_record(
        encounter=finished, by=attending_doctor, description="Cough", late_entry_reason="Phone"
    )
    assert late.is_late_entry and late.late_entry_reason == "Phone"
    on_time = services.symptom_record(
        encounter=EncounterFactory(patient=patient_record),
        by=attending_doctor,
        description="Fever",
        late_entry_reason="ignored on an open encounter",
    )
    assert not on_time.is_late_entry
    assert Symptom.objects.filter(encounter=finished).count() == 2  # the factory's and the late


def test_a_note_on_a_finished_encounter_is_a_late_entry(attending_doctor, patient_record):
    finished = _close(patient_record.encounters.get())
    write = {"patient": patient_record, "author": attending_doctor, "kind": "progress"}

    with pytest.raises(ValidationError):
        notes.note_create(text="Seen on the ward.", encounter=finished, **write)
    note = notes.note_create(
        text="Seen on the ward.", encounter=finished, late_entry_reason="Written up late", **write
    )

    assert note["late_entry_reason"] == "Written up late"
    assert notes.note_create(text="About the patient.", **write)["late_entry_reason"] == ""


def test_a_nurse_opens_a_nursing_visit_joins_its_team_and_comes_back_to_the_form(
    client, ward_nurse, patient_record
):
    _close(patient_record.encounters.get())
    client.force_login(ward_nurse)
    vitals_url = reverse("patients:vitals_add", kwargs={"pk": patient_record.pk})
    offer = client.get(vitals_url).context["encounter_offer"]["open_url"]
    classes = dict(client.get(offer).context["form"].fields["encounter_class"].choices)
    assert set(classes) == {"nursing", "ambulatory"}

    refused = client.post(offer, {"encounter_class": "inpatient", "admitted_at": ""})
    assert refused.status_code == 200
    assert not Encounter.objects.filter(patient=patient_record, discharged_at=None).exists()

    opened = client.post(offer, {"encounter_class": "nursing", "reason": "Wound dressing"})

    assert opened.status_code == 302 and opened.url == vitals_url
    encounter = Encounter.objects.get(patient=patient_record, discharged_at=None)
    assert encounter.encounter_class == "nursing"
    assert encounter.care_assignments.get().role == CareAssignment.Role.NURSING
    form_page = client.get(vitals_url)
    assert form_page.context["form"].initial["encounter"] == encounter.pk
    saved = client.post(vitals_url, {"encounter": encounter.pk, "heart_rate": "130"})
    assert saved.status_code == 302
    assert VitalSigns.objects.get(encounter=encounter, heart_rate=130).late_entry_reason == ""


def test_the_return_address_must_be_a_page_of_this_patient(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    url = reverse("patients:encounter_open", kwargs={"pk": patient_record.pk})

    response = client.post(
        f"{url}?next=https://evil.example/patients/", {"encounter_class": "nursing"}
    )

    assert response.status_code == 302
    assert response.url.startswith(patient_record.get_absolute_url())


def test_an_emergency_access_opens_an_encounter_without_joining_its_team(
    client, doctor_elsewhere, patient_record
):
    break_glass_open(
        user=doctor_elsewhere, patient=patient_record, reason="Collapsed in A&E, no team"
    )
    client.force_login(doctor_elsewhere)
    url = reverse("patients:encounter_open", kwargs={"pk": patient_record.pk})

    response = client.post(url, {"encounter_class": "emergency", "reason": "Collapse"})

    assert response.status_code == 302
    encounter = Encounter.objects.get(patient=patient_record, encounter_class="emergency")
    assert not encounter.care_assignments.exists()
    assert personas.open_encounter(patient_record) == encounter
