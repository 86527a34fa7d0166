"""The forms and the document store take their limits from one schema per document kind:
a value at a limit is kept by both, one past it is refused by both with the same message."""

import pytest
from django.core.exceptions import ValidationError

from patients import document_schemas as schemas
from patients import notes, vaccinations
from patients.forms import (
    NoteAmendForm,
    NoteForm,
    VaccinationDeleteForm,
    VaccinationForm,
)
from patients.vaccine_catalog import cvx_choices, cvx_vaccine

pytestmark = pytest.mark.django_db

VACCINATION = {
    "cvx_code": "140",
    "dose_number": "1",
    "date": "2024-10-01",
    "status": "completed",
}


def _past_limits(rule: schemas.Text):
    return "x" * rule.max_length, "x" * (rule.max_length + 1), rule.too_long_message


# The texts typed into the form; the vaccine's name and the site come from lists (below).
FORM_TEXTS = ("lot", "administered_by")
VACCINATION_LIMITS = [
    *(
        pytest.param(name, *_past_limits(schemas.VACCINATION_TEXTS[name]), id=name)
        for name in FORM_TEXTS
    ),
    pytest.param(
        "cvx_code",
        "140",
        "1" * (schemas.CVX_MAX_DIGITS + 1),
        "CVX code '1111' is not valid: CVX codes are 1 to 3 digits.",
        id="cvx_code",
    ),
    pytest.param(
        "dose_number",
        str(schemas.DOSE_NUMBER.high),
        str(schemas.DOSE_NUMBER.high + 1),
        schemas.DOSE_NUMBER.out_of_range_message,
        id="dose_number",
    ),
]


def _store_refusal(write, **arguments) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        write(**arguments)
    return refused.value.messages


@pytest.mark.parametrize(("field", "at_limit", "past_limit", "message"), VACCINATION_LIMITS)
def test_it_holds_the_vaccination_form_and_store_to_the_same_limits(
    patient_record, ward_nurse, field, at_limit, past_limit, message
):
    kept = VaccinationForm({**VACCINATION, field: at_limit})
    assert kept.is_valid()
    vaccinations.vaccination_record(patient=patient_record, by=ward_nurse, **kept.cleaned_data)

    refused = {**VACCINATION, field: past_limit}
    assert VaccinationForm(refused).errors == {field: [message]}
    assert _store_refusal(
        vaccinations.vaccination_record,
        patient=patient_record,
        by=ward_nurse,
        **{**VACCINATION, "vaccine": "Influenza", field: past_limit},
    ) == [message]
    assert len(vaccinations.vaccinations_for_patient(patient_record.pk)) == 1


def test_it_offers_only_names_and_sites_the_store_keeps():
    vaccine_rule, site_rule = (
        schemas.VACCINATION_TEXTS["vaccine"],
        schemas.VACCINATION_TEXTS["site"],
    )
    form = VaccinationForm()
    offered = [code for _group, options in cvx_choices() for code, _label in options]
    assert len(offered) > 250
    for code in offered:
        assert schemas.clean_cvx_code(code) == code
        assert vaccine_rule.clean(cvx_vaccine(code).short_description)
    sites = [value for value, _label in form.fields["site"].choices if value]
    assert sites == schemas.VaccinationSite.values
    assert all(site_rule.clean(site) == site for site in sites)
    routes = [value for value, _label in form.fields["route"].choices if value]
    assert all(schemas.clean_vaccination_route(route) == route for route in routes)


def test_it_holds_the_vaccination_change_reason_to_one_limit(patient_record, ward_nurse):
    at_limit, past_limit, message = _past_limits(schemas.CHANGE_REASON)
    event = vaccinations.vaccination_record(
        patient=patient_record, by=ward_nurse, vaccine="Influenza", **VACCINATION
    )
    delete = {"patient": patient_record, "event_id": event["id"], "by": ward_nurse}

    assert VaccinationDeleteForm({"reason": past_limit}, event=event).errors == {
        "reason": [message]
    }
    assert _store_refusal(vaccinations.vaccination_delete, reason=past_limit, **delete) == [message]
    assert VaccinationDeleteForm({"reason": " "}, event=event).errors == {
        "reason": [schemas.CHANGE_REASON.required]
    }
    assert VaccinationDeleteForm({"reason": at_limit}, event=event).is_valid()
    vaccinations.vaccination_delete(reason=at_limit, **delete)
    assert vaccinations.vaccinations_for_patient(patient_record.pk) == []


@pytest.mark.parametrize(
    ("at_limit", "past_limit"),
    [
        pytest.param("x" * schemas.MAX_NOTE_BYTES, "x" * (schemas.MAX_NOTE_BYTES + 1), id="ascii"),
        # Two bytes a letter: the limit is in bytes, whatever the letters.
        pytest.param(
            "é" * (schemas.MAX_NOTE_BYTES // 2), "é" * (schemas.MAX_NOTE_BYTES // 2 + 1), id="utf-8"
        ),
    ],
)
def test_it_holds_the_note_form_and_store_to_the_same_text_limit(
    patient_record, attending_doctor, at_limit, past_limit
):
    message = schemas.NOTE_TEXT.too_long_message
    write = {"patient": patient_record, "author": attending_doctor, "kind": "progress"}

    assert NoteForm(
        {"kind": "progress", "text": at_limit}, patient=patient_record, user=attending_doctor
    ).is_valid()
    notes.note_create(text=at_limit, **write)

    form = NoteForm(
        {"kind": "progress", "text": past_limit}, patient=patient_record, user=attending_doctor
    )
    assert form.errors == {"text": [message]}
    assert _store_refusal(notes.note_create, text=past_limit, **write) == [message]
    assert len(notes.notes_for_patient(patient_record.pk)) == 1


@pytest.mark.parametrize(
    ("at_limit", "past_limit", "message"),
    [
        pytest.param(
            ", ".join(f"tag{n}" for n in range(schemas.MAX_TAGS)),
            ", ".join(f"tag{n}" for n in range(schemas.MAX_TAGS + 1)),
            f"A note can carry at most {schemas.MAX_TAGS} tags.",
            id="how-many",
        ),
        pytest.param(
            "t" * schemas.MAX_TAG_LENGTH,
            "t" * (schemas.MAX_TAG_LENGTH + 1),
            f"Tags are limited to {schemas.MAX_TAG_LENGTH} characters.",
            id="how-long",
        ),
    ],
)
def test_it_holds_the_note_form_and_store_to_the_same_tag_limits(
    patient_record, attending_doctor, at_limit, past_limit, message
):
    write = {
        "patient": patient_record,
        "author": attending_doctor,
        "kind": "progress",
        "text": "Seen.",
    }
    form = NoteForm(
        {"kind": "progress", "text": "Seen.", "tags": at_limit},
        patient=patient_record,
        user=attending_doctor,
    )
    assert form.is_valid()
    assert notes.note_create(tags=at_limit, **write)["tags"] == list(form.cleaned_data["tags"])

    form = NoteForm(
        {"kind": "progress", "text": "Seen.", "tags": past_limit},
        patient=patient_record,
        user=attending_doctor,
    )
    assert form.errors == {"tags": [message]}
    assert _store_refusal(notes.note_create, tags=past_limit, **write) == [message]


def test_it_holds_the_amendment_reason_to_one_limit(patient_record, attending_doctor):
    at_limit, past_limit, message = _past_limits(schemas.AMENDMENT_REASON)
    note = notes.note_create(
        patient=patient_record, author=None, kind="progress", text="BP 130/58."
    )
    amend = {"patient": patient_record, "note_id": note["id"], "author": attending_doctor}

    assert NoteAmendForm({"text": "BP 130/85.", "reason": past_limit}).errors == {
        "reason": [message]
    }
    assert _store_refusal(notes.note_amend, text="BP 130/85.", reason=past_limit, **amend) == [
        message
    ]
    assert NoteAmendForm({"text": "BP 130/85.", "reason": at_limit}).is_valid()
    assert notes.note_amend(text="BP 130/85.", reason=at_limit, **amend)["text"] == "BP 130/85."
