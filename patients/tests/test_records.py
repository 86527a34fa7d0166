"""The recording forms: encounters, vitals, symptoms, diagnoses, labs, prescriptions,
notes, vaccinations, soft delete with undo."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.documents import DocumentStoreUnavailable
from patients import notes, vaccinations
from patients.models import (
    CareAssignment,
    Diagnosis,
    Encounter,
    LabResult,
    Prescription,
    Symptom,
    VitalSigns,
)
from patients.tests.factories import (
    ConditionFactory,
    EncounterFactory,
    LabTestFactory,
    MedicationFactory,
    VitalSignsFactory,
)
from phms.tests import personas

pytestmark = pytest.mark.django_db

REASON = {"reason": "Recorded in the wrong chart"}


def _encounter(patient):
    return personas.open_encounter(patient)


# (url name, extra kwargs builder, persona who may see the patient but not do this)
FORM_VIEWS = [
    ("patients:encounter_open", lambda p: {}, "front_desk"),
    ("patients:encounter_close", lambda p: {"encounter_pk": _encounter(p).pk}, "ward_nurse"),
    ("patients:care_team", lambda p: {"encounter_pk": _encounter(p).pk}, "front_desk"),
    ("patients:vitals_add", lambda p: {}, "billing_clerk"),
    ("patients:symptom_add", lambda p: {}, "front_desk"),
    ("patients:diagnosis_add", lambda p: {}, "front_desk"),
    ("patients:lab_result_add", lambda p: {}, "ward_nurse"),
    ("patients:prescription_add", lambda p: {}, "ward_nurse"),
    ("patients:note_add", lambda p: {}, "billing_clerk"),
    ("patients:vaccination_add", lambda p: {}, "front_desk"),
    (
        "patients:record_delete",
        lambda p: {"kind": "diagnosis", "record_pk": _encounter(p).diagnoses.get().pk},
        "ward_nurse",
    ),
]


def _url(name, patient, extra):
    return reverse(name, kwargs={"pk": patient.pk, **extra(patient)})


@pytest.mark.parametrize(("name", "extra", "read_only"), FORM_VIEWS)
def test_it_sends_anonymous_users_to_the_login_page(client, patient_record, name, extra, read_only):
    url = _url(name, patient_record, extra)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "extra", "read_only"), FORM_VIEWS)
def test_it_refuses_other_methods(client, attending_doctor, patient_record, name, extra, read_only):
    client.force_login(attending_doctor)
    assert client.put(_url(name, patient_record, extra)).status_code == 405


@pytest.mark.parametrize(("name", "extra", "read_only"), FORM_VIEWS)
@pytest.mark.parametrize("stranger", ["outsider", "doctor_elsewhere"])
def test_it_hides_the_patient_from_strangers(
    client, request, patient_record, name, extra, read_only, stranger
):
    client.force_login(request.getfixturevalue(stranger))
    url = _url(name, patient_record, extra)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


@pytest.mark.parametrize(("name", "extra", "read_only"), FORM_VIEWS)
def test_it_forbids_roles_that_may_only_read(
    client, request, patient_record, name, extra, read_only
):
    client.force_login(request.getfixturevalue(read_only))
    url = _url(name, patient_record, extra)
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


def test_it_shows_the_vitals_form_with_labelled_fields(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    response = client.get(reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'for="id_heart_rate"' in html
    assert f'value="{_encounter(patient_record).pk}" selected' in html


def test_it_records_vitals_as_the_nurse(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    encounter = _encounter(patient_record)
    response = client.post(
        reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}),
        {"encounter": encounter.pk, "heart_rate": "88", "systolic_bp": "128", "diastolic_bp": "82"},
    )
    assert response.status_code == 302
    chart = reverse("patients:chart", kwargs={"pk": patient_record.pk})
    assert response.url == f"{chart}#encounter-{encounter.pk}-heading"
    vitals = VitalSigns.objects.filter(encounter=encounter, heart_rate=88).get()
    assert vitals.recorded_by_id == ward_nurse.provider.pk
    assert vitals.history.latest().history_user == ward_nurse


def test_it_shows_an_out_of_range_vital_next_to_its_field(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    before = VitalSigns.objects.count()
    response = client.post(
        reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}),
        {"encounter": _encounter(patient_record).pk, "heart_rate": "400", "spo2": "97"},
    )
    assert response.status_code == 200
    assert "less than or equal to 250" in response.context["form"].errors["heart_rate"][0]
    assert 'id="error_1_id_heart_rate"' in response.content.decode()
    assert VitalSigns.objects.count() == before


def test_it_asks_for_at_least_one_vital_and_refuses_a_future_time(
    client, ward_nurse, patient_record
):
    client.force_login(ward_nurse)
    url = reverse("patients:vitals_add", kwargs={"pk": patient_record.pk})
    encounter = _encounter(patient_record)
    empty = client.post(url, {"encounter": encounter.pk})
    assert "Enter at least one vital sign." in empty.content.decode()
    future = client.post(
        url, {"encounter": encounter.pk, "heart_rate": "80", "recorded_at": "2999-01-01T10:00"}
    )
    assert "cannot be in the future" in future.context["form"].errors["recorded_at"][0]
    inverted = client.post(
        url, {"encounter": encounter.pk, "systolic_bp": "80", "diastolic_bp": "90"}
    )
    assert "diastolic_bp" in inverted.context["form"].errors


def test_it_refuses_another_patients_encounter_in_the_post_body(
    client, attending_doctor, patient_record, other_patient_record
):
    client.force_login(attending_doctor)
    before = VitalSigns.objects.count(), Diagnosis.objects.count()
    foreign = _encounter(other_patient_record).pk
    vitals = client.post(
        reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}),
        {"encounter": foreign, "heart_rate": "80"},
    )
    assert vitals.status_code == 200
    assert "Choose one of this patient's encounters." in vitals.context["form"].errors["encounter"]
    diagnosis = client.post(
        reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk}),
        {"encounter": foreign, "condition": ConditionFactory().pk, "onset_date": "2024-01-01"},
    )
    assert "encounter" in diagnosis.context["form"].errors
    assert (VitalSigns.objects.count(), Diagnosis.objects.count()) == before


def test_it_records_a_symptom(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    response = client.post(
        reverse("patients:symptom_add", kwargs={"pk": patient_record.pk}),
        {"encounter": _encounter(patient_record).pk, "description": "Nausea", "severity": "mild"},
    )
    assert response.status_code == 302
    symptom = Symptom.objects.get(description="Nausea")
    assert symptom.history.latest().history_user == ward_nurse


def test_it_records_a_diagnosis_picked_from_the_catalog(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    asthma = ConditionFactory(code="J45", name="Asthma")
    url = reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk})
    page = client.get(url).content.decode()
    assert 'hx-get="/patients/conditions/search/"' in page
    assert "Asthma" not in page  # the catalog is searched, not rendered whole
    response = client.post(
        url,
        {
            "encounter": _encounter(patient_record).pk,
            "condition": asthma.pk,
            "onset_date": "2024-03-01",
            "status": "active",
        },
    )
    assert response.status_code == 302
    diagnosis = Diagnosis.objects.get(condition=asthma)
    assert diagnosis.diagnosed_by_id == attending_doctor.provider.pk
    assert diagnosis.history.latest().history_user == attending_doctor


def test_it_keeps_the_chosen_condition_when_the_diagnosis_form_is_redisplayed(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    asthma = ConditionFactory(code="J45", name="Asthma")
    response = client.post(
        reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk}),
        {
            "encounter": _encounter(patient_record).pk,
            "condition": asthma.pk,
            "onset_date": "2999-01-01",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.context["form"].errors["onset_date"][0]
    assert f'<option value="{asthma.pk}" selected>Asthma' in response.content.decode()
    assert not Diagnosis.objects.filter(condition=asthma).exists()


def test_it_searches_the_condition_catalog(client, attending_doctor):
    ConditionFactory(code="J45", name="Asthma")
    ConditionFactory(code="E11", name="Diabetes mellitus type 2")
    client.force_login(attending_doctor)
    url = reverse("patients:condition_search")
    by_name = client.get(url, {"q": "asth"}).content.decode()
    assert "Asthma (ICD-10 J45)" in by_name
    assert "Diabetes" not in by_name
    assert "Diabetes" in client.get(url, {"q": "E1"}).content.decode()
    assert "Type to search" in client.get(url).content.decode()


def test_it_keeps_the_condition_search_from_anonymous_and_non_clinical_users(client, front_desk):
    url = reverse("patients:condition_search")
    assert client.get(url).status_code == 302
    client.force_login(front_desk)
    assert client.get(url, {"q": "a"}).status_code == 403
    assert client.post(url).status_code == 405


def test_it_flags_a_lab_result_from_the_reference_range(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    glucose = LabTestFactory()
    response = client.post(
        reverse("patients:lab_result_add", kwargs={"pk": patient_record.pk}),
        {
            "encounter": _encounter(patient_record).pk,
            "lab_test": glucose.pk,
            "value_numeric": "180",
        },
    )
    assert response.status_code == 302
    result = LabResult.objects.get(value_numeric=Decimal("180"))
    assert result.abnormal_flag == LabResult.Flag.HIGH
    assert (result.unit, result.reference_high) == ("mg/dL", Decimal("99"))
    assert result.history.latest().history_user == attending_doctor


def test_it_needs_a_lab_value(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    before = LabResult.objects.count()
    response = client.post(
        reverse("patients:lab_result_add", kwargs={"pk": patient_record.pk}),
        {"encounter": _encounter(patient_record).pk, "lab_test": LabTestFactory().pk},
    )
    assert response.status_code == 200
    assert (
        "Enter a numeric value or a text result."
        in response.context["form"].errors["value_numeric"]
    )
    assert LabResult.objects.count() == before


def test_it_records_a_prescription(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    medication = MedicationFactory(name="Metformin 500 MG")
    url = reverse("patients:prescription_add", kwargs={"pk": patient_record.pk})
    data = {
        "encounter": _encounter(patient_record).pk,
        "medication": medication.pk,
        "dose_amount": "500",
        "dose_unit": "mg",
        "route": "oral",
        "dose_frequency": "twice_daily",
        "start_date": "2024-05-01",
        "dispenses": "1",
    }
    bad = client.post(url, {**data, "end_date": "2024-04-01"})
    assert "end_date" in bad.context["form"].errors
    response = client.post(url, data)
    assert response.status_code == 302
    prescription = Prescription.objects.get(medication=medication)
    assert prescription.prescriber_id == attending_doctor.provider.pk
    assert prescription.dosage == "500 mg · oral · twice daily"
    assert prescription.history.latest().history_user == attending_doctor


def test_it_opens_an_encounter_assigns_the_team_and_closes_it(
    client, attending_doctor, ward_nurse, patient_record
):
    client.force_login(attending_doctor)
    opened = client.post(
        reverse("patients:encounter_open", kwargs={"pk": patient_record.pk}),
        {"encounter_class": "emergency", "reason": "Fall"},
    )
    assert opened.status_code == 302
    encounter = Encounter.objects.get(patient=patient_record, reason="Fall")
    assert encounter.history.latest().history_user == attending_doctor
    team_url = reverse(
        "patients:care_team", kwargs={"pk": patient_record.pk, "encounter_pk": encounter.pk}
    )
    assert opened.url == team_url
    assigned = client.post(team_url, {"provider": ward_nurse.provider.pk, "role": "nursing"})
    assert assigned.status_code == 302
    assert CareAssignment.objects.filter(encounter=encounter, provider=ward_nurse.provider).exists()
    closed = client.post(
        reverse(
            "patients:encounter_close",
            kwargs={"pk": patient_record.pk, "encounter_pk": encounter.pk},
        ),
        {},
    )
    assert closed.status_code == 302
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.FINISHED
    assert encounter.discharged_at is not None


def test_it_refuses_a_discharge_before_the_admission(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    encounter = _encounter(patient_record)
    response = client.post(
        reverse(
            "patients:encounter_close",
            kwargs={"pk": patient_record.pk, "encounter_pk": encounter.pk},
        ),
        {"discharged_at": "1990-01-01T10:00"},
    )
    assert response.status_code == 200
    assert "before the admission" in response.context["form"].errors["discharged_at"][0]
    encounter.refresh_from_db()
    assert encounter.is_open


def test_it_does_not_close_another_patients_encounter(
    client, attending_doctor, patient_record, other_patient_record
):
    client.force_login(attending_doctor)
    foreign = _encounter(other_patient_record)
    url = reverse(
        "patients:encounter_close", kwargs={"pk": patient_record.pk, "encounter_pk": foreign.pk}
    )
    assert client.post(url, {}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_open


def test_it_searches_providers_for_the_care_team(client, attending_doctor, ward_nurse):
    client.force_login(attending_doctor)
    surname = ward_nurse.provider.last_name
    html = client.get(reverse("patients:provider_search"), {"q": surname}).content.decode()
    assert f'<option value="{ward_nurse.provider.pk}">' in html


def test_it_writes_a_note_through_the_document_store(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    response = client.post(
        reverse("patients:note_add", kwargs={"pk": patient_record.pk}),
        {"kind": "progress", "text": "Feeling better today.", "tags": "follow-up"},
    )
    assert response.status_code == 302
    assert response.url.endswith("#notes-heading")
    saved = notes.notes_for_patient(patient_record.pk)
    assert [note["text"] for note in saved] == ["Feeling better today."]
    assert saved[0]["tags"] == ["follow-up"]


def test_it_keeps_the_note_text_when_the_document_store_is_down(
    client, attending_doctor, patient_record, monkeypatch
):
    def store_down(**kwargs):
        raise DocumentStoreUnavailable("down")

    monkeypatch.setattr(notes, "note_create", store_down)
    client.force_login(attending_doctor)
    response = client.post(
        reverse("patients:note_add", kwargs={"pk": patient_record.pk}),
        {"kind": "progress", "text": "Do not lose me."},
    )
    html = response.content.decode()
    assert response.status_code == 503
    assert "The note was not saved: the document store is unavailable" in html
    assert "Do not lose me." in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_it_says_the_note_cannot_be_amended_while_the_document_store_is_down(
    client, attending_doctor, patient_record, monkeypatch, method
):
    note = notes.note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="BP 150/90."
    )

    def store_down(*args, **kwargs):
        raise DocumentStoreUnavailable("down")

    monkeypatch.setattr(notes, "note_of_patient", store_down)
    client.force_login(attending_doctor)
    url = reverse("patients:note_amend", kwargs={"pk": patient_record.pk, "note_id": note["id"]})
    response = getattr(client, method)(url, {"text": "Keep me.", "reason": "r"})

    html = response.content.decode()
    assert response.status_code == 503
    assert "The note cannot be shown: the document store is unavailable." in html
    if method == "post":
        assert "Keep me." in html


def test_it_refuses_an_empty_note(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    response = client.post(
        reverse("patients:note_add", kwargs={"pk": patient_record.pk}),
        {"kind": "nursing", "text": "   "},
    )
    assert response.status_code == 200
    assert "text" in response.context["form"].errors
    assert notes.notes_for_patient(patient_record.pk) == []


def test_it_amends_a_note_and_keeps_the_original(client, attending_doctor, patient_record):
    note = notes.note_create(
        patient=patient_record, author=attending_doctor, kind="progress", text="BP 150/90."
    )
    client.force_login(attending_doctor)
    url = reverse("patients:note_amend", kwargs={"pk": patient_record.pk, "note_id": note["id"]})
    assert "BP 150/90." in client.get(url).content.decode()
    missing = client.post(url, {"text": "BP 130/85."})
    assert "reason" in missing.context["form"].errors
    response = client.post(url, {"text": "BP 130/85.", "reason": "Typo in the reading"})
    assert response.status_code == 302
    (amended,) = notes.notes_for_patient(patient_record.pk)
    assert amended["text"] == "BP 130/85."
    assert len(amended["amendments"]) == 1


def test_it_does_not_amend_a_note_of_another_patient(
    client, attending_doctor, patient_record, other_patient_record
):
    note = notes.note_create(
        patient=other_patient_record, author=None, kind="progress", text="Someone else."
    )
    client.force_login(attending_doctor)
    url = reverse("patients:note_amend", kwargs={"pk": patient_record.pk, "note_id": note["id"]})
    assert client.get(url).status_code == 404
    assert client.post(url, {"text": "x", "reason": "y"}).status_code == 404


def test_it_records_a_vaccination(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    url = reverse("patients:vaccination_add", kwargs={"pk": patient_record.pk})
    data = {"cvx_code": "140", "dose_number": "1", "date": "2024-10-01", "status": "completed"}
    future = client.post(url, {**data, "date": "2999-01-01"})
    assert "date" in future.context["form"].errors
    assert vaccinations.vaccinations_for_patient(patient_record.pk) == []
    response = client.post(url, data)
    assert response.status_code == 302
    (event,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert event["vaccine"] == "Influenza, seasonal, injectable, preservative free"


def test_it_soft_deletes_after_confirmation_and_undoes(client, attending_doctor, patient_record):
    client.force_login(attending_doctor)
    diagnosis = _encounter(patient_record).diagnoses.get()
    kwargs = {"pk": patient_record.pk, "kind": "diagnosis", "record_pk": diagnosis.pk}
    confirm = client.get(reverse("patients:record_delete", kwargs=kwargs))
    assert confirm.status_code == 200
    assert "You are about to delete this diagnosis" in confirm.content.decode()
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()

    missing = client.post(reverse("patients:record_delete", kwargs=kwargs))
    assert missing.status_code == 200
    assert "Give the reason for the deletion." in missing.content.decode()
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()

    deleted = client.post(
        reverse("patients:record_delete", kwargs=kwargs), {"reason": "Wrong patient"}
    )
    assert deleted.status_code == 302
    assert not Diagnosis.objects.filter(pk=diagnosis.pk).exists()
    hidden = Diagnosis.all_objects.get(pk=diagnosis.pk)
    assert hidden.deleted_by == attending_doctor
    message = next(iter(deleted.wsgi_request._messages))
    assert reverse("patients:record_restore", kwargs=kwargs) in str(message)
    assert ">Undo</button>" in str(message)

    restore_url = reverse("patients:record_restore", kwargs=kwargs)
    chart = client.get(deleted.url).content.decode()
    assert f'<form method="post" action="{restore_url}"' in chart  # rendered, not escaped
    assert client.get(restore_url).status_code == 405
    restored = client.post(restore_url)
    assert restored.status_code == 302
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_it_returns_to_the_timeline_page_that_shows_the_changed_encounter(
    client, attending_doctor, patient_record
):
    newest = _encounter(patient_record)
    older = [
        EncounterFactory(
            patient=patient_record, admitted_at=newest.admitted_at - dt.timedelta(days=day)
        )
        for day in range(1, 26)
    ]
    oldest_vitals = VitalSignsFactory(encounter=older[-1])  # the 26th encounter: page 2
    kwargs = {"pk": patient_record.pk, "kind": "vitals", "record_pk": oldest_vitals.pk}
    client.force_login(attending_doctor)

    deleted = client.post(reverse("patients:record_delete", kwargs=kwargs), REASON)
    restored = client.post(reverse("patients:record_restore", kwargs=kwargs))

    for response in (deleted, restored):
        assert response.status_code == 302
        assert response.url.endswith(f"?encounters_page=2#encounter-{older[-1].pk}-heading")
        page = client.get(response.url).content.decode()
        assert f'id="encounter-{older[-1].pk}-heading"' in page
    newest_vitals = newest.vital_signs.first()
    deleted_newest = client.post(
        reverse("patients:record_delete", kwargs={**kwargs, "record_pk": newest_vitals.pk}),
        REASON,
    )
    assert deleted_newest.url.endswith(f"/#encounter-{newest.pk}-heading")


def test_it_refuses_to_delete_or_restore_records_it_may_not_touch(
    client, ward_nurse, attending_doctor, patient_record, other_patient_record
):
    diagnosis = _encounter(patient_record).diagnoses.get()
    foreign = _encounter(other_patient_record).diagnoses.get()
    client.force_login(ward_nurse)
    kwargs = {"pk": patient_record.pk, "kind": "diagnosis", "record_pk": diagnosis.pk}
    assert client.post(reverse("patients:record_delete", kwargs=kwargs), REASON).status_code == 403
    client.force_login(attending_doctor)
    assert client.post(reverse("patients:record_restore", kwargs=kwargs)).status_code == 404
    foreign_kwargs = {**kwargs, "record_pk": foreign.pk}
    foreign_url = reverse("patients:record_delete", kwargs=foreign_kwargs)
    assert client.post(foreign_url, REASON).status_code == 404
    unknown = {**kwargs, "kind": "patient"}
    assert client.get(reverse("patients:record_delete", kwargs=unknown)).status_code == 404
    assert Diagnosis.objects.filter(pk__in=[diagnosis.pk, foreign.pk]).count() == 2


def test_it_logs_the_form_pages_as_reads_of_the_record(client, ward_nurse, patient_record):
    from access.models import AccessLog

    client.force_login(ward_nurse)
    client.get(reverse("patients:vitals_add", kwargs={"pk": patient_record.pk}))
    entry = AccessLog.objects.get(user=ward_nurse, patient=patient_record)
    assert entry.section == "vitals"


def test_it_offers_the_chart_only_the_recording_pages_the_user_may_use(
    ward_nurse, attending_doctor, front_desk, patient_record
):
    from django.template.loader import render_to_string

    from access.permissions import recording_actions

    def bar(user):
        context = {"patient": patient_record, "actions": recording_actions(user, patient_record)}
        return render_to_string("patients/forms/partials/chart_actions.html", context)

    vitals_url = reverse("patients:vitals_add", kwargs={"pk": patient_record.pk})
    diagnosis_url = reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk})
    edit_url = reverse("patients:edit", kwargs={"pk": patient_record.pk})
    nurse, doctor, desk = bar(ward_nurse), bar(attending_doctor), bar(front_desk)
    assert vitals_url in nurse and diagnosis_url not in nurse
    assert vitals_url in doctor and diagnosis_url in doctor and edit_url not in doctor
    assert edit_url in desk and vitals_url not in desk
    encounter = _encounter(patient_record)
    card = render_to_string(
        "patients/forms/partials/encounter_actions.html",
        {
            "patient": patient_record,
            "encounter": encounter,
            "actions": recording_actions(attending_doctor, patient_record),
        },
    )
    assert "Close encounter" in card
    delete = render_to_string(
        "patients/forms/partials/delete_button.html",
        {
            "patient": patient_record,
            "kind": "vitals",
            "record": encounter.vital_signs.get(),
            "allowed": True,
            "actions": recording_actions(attending_doctor, patient_record),
        },
    )
    assert "/records/vitals/" in delete
    assert "Needs" not in delete  # the template's comment stays a comment


def test_it_keeps_the_vaccination_form_when_the_document_store_is_down(
    client, ward_nurse, patient_record, monkeypatch
):
    def store_down(**kwargs):
        raise DocumentStoreUnavailable("down")

    monkeypatch.setattr(vaccinations, "vaccination_record", store_down)
    client.force_login(ward_nurse)
    response = client.post(
        reverse("patients:vaccination_add", kwargs={"pk": patient_record.pk}),
        {
            "cvx_code": "08",
            "dose_number": "2",
            "date": "2024-02-02",
            "status": "completed",
        },
    )
    assert response.status_code == 503
    html = response.content.decode()
    assert "The vaccination was not saved: the document store is unavailable" in html
    assert '<option value="08" selected>' in html


def test_it_refuses_in_the_services_what_the_forms_refuse(attending_doctor, patient_record):
    from django.core.exceptions import ValidationError

    from patients import services

    encounter = _encounter(patient_record)
    other = personas.patient_chart(first_name="Bob", last_name="Other", mrn="MRN-SVC-0003")
    with pytest.raises(ValidationError):
        services.vital_signs_record(
            encounter=_encounter(other), patient=patient_record, by=attending_doctor, spo2=97
        )
    with pytest.raises(ValidationError):
        services.vital_signs_record(encounter=encounter, by=attending_doctor)
    with pytest.raises(ValidationError):
        services.vital_signs_record(encounter=encounter, by=attending_doctor, heart_rate=999)
    low = services.lab_result_record(
        encounter=encounter,
        lab_test=LabTestFactory(),
        value_numeric=Decimal("40"),
        by=attending_doctor,
    )
    assert low.abnormal_flag == LabResult.Flag.LOW
    services.encounter_close(encounter=encounter, by=attending_doctor)
    with pytest.raises(ValidationError, match="already closed"):
        services.encounter_close(encounter=encounter, by=attending_doctor)
