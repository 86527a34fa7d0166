"""Recording a vaccination from the CVX catalog: the vaccine from the list sets its code and
name, the date defaults to today, "given by" to the clinician, route and site from lists."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core import documents
from patients import vaccinations
from patients.document_schemas import VaccinationRoute, VaccinationSite
from patients.forms import VaccinationCorrectForm, VaccinationForm
from patients.vaccine_catalog import CATALOG_FILE, cvx_catalog, cvx_choices, cvx_vaccine

pytestmark = pytest.mark.django_db

CHOSEN = {"cvx_code": "208", "dose_number": "1", "date": "2024-10-01", "status": "completed"}


def _add_url(patient):
    return reverse("patients:vaccination_add", kwargs={"pk": patient.pk})


def _offered_codes():
    return [code for _group, options in cvx_choices() for code, _label in options]


# The catalog ---------------------------------------------------------------------------------


def test_it_ships_the_cdc_table_with_its_source_and_date():
    header = [line for line in CATALOG_FILE.read_text().splitlines() if line.startswith("#")]
    assert any("cdc.gov" in line for line in header)
    assert any("2022-09-28" in line for line in header)
    assert any("2025-09-03" in line for line in header)
    pfizer = cvx_catalog()["208"]
    assert pfizer.short_description == "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"
    assert pfizer.full_name.startswith("SARS-COV-2 (COVID-19) vaccine, mRNA")
    assert cvx_catalog()["03"].short_description == "MMR"
    assert cvx_catalog()["03"].status == "Active"
    assert cvx_vaccine("3") == cvx_catalog()["03"]
    assert cvx_vaccine("305").short_description.startswith("RSV, bivalent")


def test_it_offers_every_code_but_those_never_in_use():
    offered = _offered_codes()
    assert len(offered) == len(set(offered))
    never_active = {c for c, v in cvx_catalog().items() if v.status == "Never Active"}
    assert never_active and not never_active & set(offered)
    assert set(offered) == set(cvx_catalog()) - never_active
    first_group, first_options = cvx_choices()[0]
    assert first_group == "In use" and ("03", "MMR (CVX 03)") in first_options


# The form -------------------------------------------------------------------------------------


def test_it_defaults_the_date_to_today_and_given_by_to_the_clinician(
    client, ward_nurse, patient_record
):
    ward_nurse.first_name, ward_nurse.last_name = "Joy", "Ward"
    ward_nurse.save()
    client.force_login(ward_nurse)
    html = client.get(_add_url(patient_record)).content.decode()
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in html
    assert 'value="Joy Ward"' in html
    assert '<option value="208">COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose (CVX 208)' in html
    assert VaccinationForm(user=ward_nurse)["date"].initial == timezone.localdate()


def test_it_sets_the_code_and_name_from_the_chosen_vaccine(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)
    data = {**CHOSEN, "vaccine": "Typed name", "route": "intramuscular", "site": "Left deltoid"}
    response = client.post(_add_url(patient_record), data)
    assert response.status_code == 302
    (event,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert event["cvx_code"] == "208"
    assert event["vaccine"] == "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"
    assert (event["route"], event["site"]) == ("intramuscular", "Left deltoid")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cvx_code": "600"}, "cvx_code", "CVX code 600 is not in the CVX catalog"),
        ({"cvx_code": "145"}, "cvx_code", "CVX code 145 is not in the CVX catalog"),
        ({"cvx_code": "flu"}, "cvx_code", "CVX codes are 1 to 3 digits"),
        ({"cvx_code": ""}, "cvx_code", "This field is required"),
        ({"route": "intravenous"}, "route", "Select a valid choice"),
        ({"site": "left buttock"}, "site", "Select a valid choice"),
    ],
)
def test_it_refuses_what_is_not_in_the_lists_next_to_the_field(
    client, ward_nurse, patient_record, changes, field, message
):
    client.force_login(ward_nurse)
    response = client.post(_add_url(patient_record), {**CHOSEN, **changes})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert vaccinations.vaccinations_for_patient(patient_record.pk) == []


def test_it_offers_the_routes_and_sites_of_the_lists():
    form = VaccinationForm()
    assert [label for value, label in form.fields["route"].choices if value] == [
        "Intramuscular",
        "Subcutaneous",
        "Intradermal",
        "Oral",
        "Intranasal",
    ]
    assert [value for value, _label in form.fields["site"].choices if value] == [
        "Left deltoid",
        "Right deltoid",
        "Left thigh (vastus lateralis)",
        "Right thigh (vastus lateralis)",
        "Left arm",
        "Right arm",
        "Oral",
        "Nasal",
    ]
    assert VaccinationSite.values == [value for value, _ in form.fields["site"].choices if value]


def test_it_refuses_an_unknown_route_in_the_store_too(patient_record, ward_nurse):
    with pytest.raises(ValidationError) as refused:
        vaccinations.vaccination_record(
            patient=patient_record,
            vaccine="MMR",
            cvx_code="03",
            dose_number=1,
            date=date(2024, 1, 2),
            route="intravenous",
            by=ward_nurse,
        )
    assert "Unknown route 'intravenous'" in refused.value.messages[0]
    assert VaccinationRoute.ORAL in VaccinationRoute.values


# Imported events outside the catalog ---------------------------------------------------------


@pytest.fixture
def imported(patient_record):
    vaccinations.vaccinations_import_many(
        events=[
            {
                "patient": patient_record,
                "vaccine": "Local trial vaccine",
                "cvx_code": "600",
                "dose_number": 1,
                "date": date(2020, 5, 1),
                "site": "left upper arm",
                "external_id": "synthea-imm-1",
            }
        ]
    )
    (event,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    return event


def test_it_shows_imported_events_with_codes_outside_the_catalog(
    client, ward_nurse, patient_record, imported
):
    assert cvx_vaccine("600") is None
    assert imported["route"] == ""
    client.force_login(ward_nurse)
    html = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk})).content.decode()
    assert "Local trial vaccine" in html and "<td>600</td>" in html


def test_it_corrects_an_imported_event_keeping_its_code_name_and_site(
    client, ward_nurse, patient_record, imported
):
    form = VaccinationCorrectForm(event=imported)
    assert form.fields["cvx_code"].valid_value("600")
    assert form.fields["site"].valid_value("left upper arm")
    client.force_login(ward_nurse)
    url = reverse(
        "patients:vaccination_correct", kwargs={"pk": patient_record.pk, "event_id": imported["id"]}
    )
    data = {
        "cvx_code": "600",
        "dose_number": "1",
        "date": "2020-05-01",
        "status": "completed",
        "site": "left upper arm",
        "route": "intramuscular",
        "lot": "T-1",
        "reason": "Route and lot from the card",
    }
    assert client.post(url, data).status_code == 302
    (corrected,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert corrected["vaccine"] == "Local trial vaccine" and corrected["cvx_code"] == "600"
    assert (corrected["route"], corrected["lot"]) == ("intramuscular", "T-1")
    assert corrected["corrections"][0]["previous"] == {"route": "", "lot": ""}


def test_it_renames_an_event_when_the_correction_picks_another_vaccine(
    ward_nurse, patient_record, imported
):
    data = {
        "cvx_code": "03",
        "dose_number": "1",
        "date": "2020-05-01",
        "status": "completed",
        "site": "left upper arm",
        "reason": "Wrong vaccine",
    }
    form = VaccinationCorrectForm(data, event=imported)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["changes"] == {"vaccine": "MMR", "cvx_code": "03"}


def test_it_corrects_an_event_stored_before_routes_were_kept(ward_nurse, patient_record, imported):
    store = documents.collection(documents.VACCINATIONS)
    stored = store.find_one({"patient_id": patient_record.pk})
    events = [{k: v for k, v in e.items() if k != "route"} for e in stored["events"]]
    store.update_one({"_id": stored["_id"]}, {"$set": {"events": events}})

    vaccinations.vaccination_correct(
        patient=patient_record,
        event_id=imported["id"],
        changes={"lot": "T-2"},
        reason="Lot from the card",
        by=ward_nurse,
    )
    (corrected,) = vaccinations.vaccinations_for_patient(patient_record.pk)
    assert corrected["route"] == "" and corrected["corrections"][0]["previous"] == {"lot": ""}
