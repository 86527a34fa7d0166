"""The chart's medication list: active prescriptions across encounters; stop with a reason,
renew into the doctor's open encounter; structured dosage, free text of imported rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import Prescription
from patients.selectors import medication_list
from patients.tests.factories import EncounterFactory, MedicationFactory, PrescriptionFactory
from phms.tests import personas
from portal.selectors import medication_list as portal_medication_list

pytestmark = pytest.mark.django_db


def _prescription(patient) -> Prescription:
    return Prescription.objects.get(encounter__patient=patient)


def _url(name, prescription):
    patient_pk = prescription.encounter.patient_id
    return reverse(name, kwargs={"pk": patient_pk, "prescription_pk": prescription.pk})


def medications_section(client, patient) -> str:
    page = client.get(reverse("patients:chart", kwargs={"pk": patient.pk})).content.decode()
    start = page.index('data-testid="section-medications"')
    return page[start : page.index("</section>", start)]


def test_it_lists_active_prescriptions_of_every_encounter(patient_record):
    today = timezone.localdate()
    current = _prescription(patient_record)
    older_visit = EncounterFactory(patient=patient_record, finished=True)
    still_taken = PrescriptionFactory(encounter=older_visit, start_date=dt.date(2020, 1, 1))
    PrescriptionFactory(
        encounter=older_visit, start_date=dt.date(2020, 1, 1), end_date=today - dt.timedelta(1)
    )
    stopped = PrescriptionFactory(encounter=older_visit, start_date=dt.date(2020, 1, 1))
    services.prescription_stop(prescription=stopped, by=None, reason="Side effects")

    assert {p.pk for p in medication_list(patient_record)} == {current.pk, still_taken.pk}
    assert stopped.pk not in {p.pk for p in portal_medication_list(patient_record)}


def test_it_shows_prescriber_start_and_dosage(client, attending_doctor, patient_record):
    prescription = _prescription(patient_record)
    prescription.prescriber = attending_doctor.provider
    prescription.save()
    client.force_login(attending_doctor)

    section = medications_section(client, patient_record)

    assert prescription.medication.name in section
    assert attending_doctor.provider.display_name in section
    assert prescription.start_date.isoformat() in section
    assert "1 tablet · once daily" in section  # the free text of an imported row


def test_it_writes_structured_dosage_and_falls_back_to_free_text():
    structured = Prescription(
        dose_amount=Decimal("2.500"), dose_unit="mg", route="iv", dose_frequency="every_6h"
    )
    imported = Prescription(dose_text="1 puff", frequency_text="when short of breath")

    assert structured.dosage == "2.5 mg · intravenous (iv) · every 6 hours"
    assert imported.dosage == "1 puff · when short of breath"
    assert Prescription().dosage == ""


def test_it_stops_a_prescription_with_a_reason_and_keeps_who_and_when(
    client, attending_doctor, patient_record
):
    prescription = _prescription(patient_record)
    client.force_login(attending_doctor)
    url = _url("patients:medication_stop", prescription)

    refused = client.post(url, {"reason": ""})
    assert "Give a reason." in refused.context["form"].errors["reason"]
    response = client.post(url, {"reason": "Ankle swelling"})

    assert response.status_code == 302
    prescription.refresh_from_db()
    assert prescription.stop_reason == "Ankle swelling"
    assert prescription.stopped_by == attending_doctor
    assert timezone.now() - prescription.stopped_at < dt.timedelta(minutes=1)
    assert medication_list(patient_record) == []
    assert "stopped" in client.get(response["Location"]).content.decode()


def test_it_renews_into_the_open_encounter_of_the_doctors_care_team(
    client, attending_doctor, patient_record
):
    old_visit = EncounterFactory(patient=patient_record, finished=True)
    old = PrescriptionFactory(
        encounter=old_visit,
        start_date=dt.date(2023, 1, 1),
        dose_amount=Decimal("5"),
        dose_unit="mg",
        route="oral",
        dose_frequency="once_daily",
    )
    client.force_login(attending_doctor)
    url = _url("patients:medication_renew", old)
    page = client.get(url).content.decode()
    assert "The renewal starts today in the encounter of" in page

    response = client.post(url)

    assert response.status_code == 302
    renewal = Prescription.objects.get(renewed_from=old)
    assert renewal.encounter == personas.open_encounter(patient_record)
    assert renewal.start_date == timezone.localdate()
    assert renewal.prescriber_id == attending_doctor.provider.pk
    assert renewal.dosage == old.dosage == "5 mg · oral · once daily"
    listed = {p.pk for p in medication_list(patient_record)}
    assert renewal.pk in listed and old.pk not in listed
    again = client.post(url)
    assert "already been renewed" in again.content.decode()


def test_it_refuses_to_renew_without_an_open_encounter_on_the_care_team(
    client, attending_doctor, patient_record
):
    prescription = _prescription(patient_record)
    services.encounter_close(encounter=personas.open_encounter(patient_record), by=None)
    client.force_login(attending_doctor)

    response = client.post(_url("patients:medication_renew", prescription))

    assert response.status_code == 200
    assert "not on the care team of an open encounter" in response.content.decode()
    assert not Prescription.objects.filter(renewed_from=prescription).exists()


def test_it_needs_structured_dose_unit_route_and_frequency_to_prescribe(
    client, attending_doctor, patient_record
):
    client.force_login(attending_doctor)
    url = reverse("patients:prescription_add", kwargs={"pk": patient_record.pk})

    response = client.post(
        url,
        {
            "encounter": personas.open_encounter(patient_record).pk,
            "medication": MedicationFactory().pk,
            "start_date": timezone.localdate().isoformat(),
            "dispenses": "1",
            "dose_amount": "-1",
        },
    )

    errors = response.context["form"].errors
    assert {"dose_amount", "dose_unit", "route", "dose_frequency"} <= set(errors)


def test_it_loads_the_medication_list_in_one_query_whatever_its_length(patient_record):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            listed = medication_list(patient_record)
            [(p.prescriber and p.prescriber.display_name, p.medication.name) for p in listed]
        return len(captured.captured_queries)

    one = queries()
    for day in range(30):
        visit = EncounterFactory(patient=patient_record, finished=True)
        PrescriptionFactory(encounter=visit, start_date=dt.date(2022, 1, 1) + dt.timedelta(day))

    assert queries() == one == 1
