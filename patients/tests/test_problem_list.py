"""The chart's problem list: every diagnosis across encounters, active first; resolve, and
"entered in error" with a reason (kept apart, never active)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from patients import services
from patients.models import Diagnosis
from patients.selectors import problem_list
from patients.tests.factories import ConditionFactory, DiagnosisFactory, EncounterFactory
from portal.selectors import problem_list as portal_problem_list

pytestmark = pytest.mark.django_db


def chart(client, patient):
    response = client.get(reverse("patients:chart", kwargs={"pk": patient.pk}))
    assert response.status_code == 200
    return response.content.decode()


def problems_section(page: str) -> str:
    start = page.index('data-testid="section-problems"')
    return page[start : page.index("</section>", start)]


def _diagnosis(patient, name, onset, **fields):
    encounter = EncounterFactory(patient=patient, finished=True)
    return DiagnosisFactory(
        encounter=encounter,
        condition=ConditionFactory(code=name[:3].upper(), name=name),
        onset_date=onset,
        **fields,
    )


def test_it_lists_problems_of_every_encounter_active_first(patient_record):
    resolved = _diagnosis(
        patient_record,
        "Sprain of ankle",
        dt.date(2024, 6, 1),
        status=Diagnosis.Status.RESOLVED,
        resolved_date=dt.date(2024, 7, 1),
    )
    older_active = _diagnosis(patient_record, "Asthma", dt.date(2010, 1, 1))
    error = _diagnosis(
        patient_record,
        "Diabetes",
        dt.date(2024, 8, 1),
        status=Diagnosis.Status.ENTERED_IN_ERROR,
        status_reason="Wrong patient",
    )

    listed = problem_list(patient_record)

    statuses = [diagnosis.status for diagnosis in listed]
    assert statuses == sorted(statuses, key=["active", "resolved", "entered_in_error"].index)
    assert listed.index(older_active) < listed.index(resolved) < listed.index(error)
    assert len(listed) == Diagnosis.objects.filter(encounter__patient=patient_record).count()


def test_it_shows_onset_status_and_entered_in_error_struck_through(
    client, attending_doctor, patient_record
):
    _diagnosis(patient_record, "Asthma", dt.date(2010, 1, 1))
    _diagnosis(
        patient_record,
        "Diabetes",
        dt.date(2024, 8, 1),
        status=Diagnosis.Status.ENTERED_IN_ERROR,
        status_reason="Recorded for the wrong patient",
    )
    client.force_login(attending_doctor)

    section = problems_section(chart(client, patient_record))

    assert "Asthma" in section and "2010-01-01" in section
    assert (
        "<del>Diabetes (2024-08-01)</del> · entered in error: Recorded for the wrong patient"
        in (section)
    )
    assert "Add problem" in section
    assert reverse("patients:diagnosis_add", kwargs={"pk": patient_record.pk}) in section


def test_it_offers_no_problem_actions_to_a_nurse(client, ward_nurse, patient_record):
    client.force_login(ward_nurse)

    section = problems_section(chart(client, patient_record))

    assert "/resolve/" not in section and "Add problem" not in section


def test_it_resolves_a_problem_today_by_default(client, attending_doctor, patient_record):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    client.force_login(attending_doctor)
    url = reverse(
        "patients:problem_resolve", kwargs={"pk": patient_record.pk, "diagnosis_pk": diagnosis.pk}
    )
    assert client.get(url).context["form"]["resolved_date"].value() == timezone.localdate()

    response = client.post(url, {"resolved_date": timezone.localdate().isoformat()})

    assert response.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.RESOLVED
    assert diagnosis.resolved_date == timezone.localdate()
    assert diagnosis.history.latest().history_user == attending_doctor


def test_it_refuses_a_resolution_before_the_onset_or_in_the_future(
    client, attending_doctor, patient_record
):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    client.force_login(attending_doctor)
    url = reverse(
        "patients:problem_resolve", kwargs={"pk": patient_record.pk, "diagnosis_pk": diagnosis.pk}
    )
    before = diagnosis.onset_date - dt.timedelta(days=1)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    for day in (before, tomorrow):
        response = client.post(url, {"resolved_date": day.isoformat()})
        assert response.status_code == 200
        assert "resolved_date" in response.context["form"].errors
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.ACTIVE


def test_it_needs_a_reason_to_mark_a_problem_entered_in_error(
    client, attending_doctor, patient_record
):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    client.force_login(attending_doctor)
    url = reverse(
        "patients:problem_entered_in_error",
        kwargs={"pk": patient_record.pk, "diagnosis_pk": diagnosis.pk},
    )

    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    assert "Give a reason." in refused.context["form"].errors["reason"]

    response = client.post(url, {"reason": "Recorded for the wrong patient"})
    assert response.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.status == Diagnosis.Status.ENTERED_IN_ERROR
    assert diagnosis.status_reason == "Recorded for the wrong patient"


def test_it_never_counts_a_problem_entered_in_error_as_active(patient_record):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    assert portal_problem_list(patient_record) == [diagnosis]

    services.diagnosis_mark_entered_in_error(diagnosis=diagnosis, by=None, reason="Wrong patient")

    assert portal_problem_list(patient_record) == []
    with pytest.raises(ValidationError):
        services.diagnosis_resolve(diagnosis=diagnosis, by=None)


def test_the_database_refuses_entered_in_error_without_a_reason(patient_record):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    with pytest.raises(IntegrityError), transaction.atomic():
        Diagnosis.objects.filter(pk=diagnosis.pk).update(status="entered_in_error")


def test_it_shows_the_problem_it_changes_on_the_form(client, attending_doctor, patient_record):
    diagnosis = Diagnosis.objects.get(encounter__patient=patient_record)
    client.force_login(attending_doctor)

    page = client.get(
        reverse(
            "patients:problem_entered_in_error",
            kwargs={"pk": patient_record.pk, "diagnosis_pk": diagnosis.pk},
        )
    ).content.decode()

    assert str(diagnosis.condition) in page
