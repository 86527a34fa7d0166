"""The access log's three kinds of entry: one patient, a list of patients, an aggregate."""

from django.test import RequestFactory

from access.audit import (
    access_log_record,
    access_log_record_aggregate,
    access_log_record_list,
)
from access.models import AccessLog


def _request(user):
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    request.user = user
    return request


def test_it_names_the_one_patient_a_page_showed(attending_doctor, patient_record):
    entry = access_log_record(
        _request(attending_doctor), patient=patient_record, section="chart", detail="summary"
    )
    entry.refresh_from_db()
    assert (entry.patient_id, entry.section, entry.detail) == (
        patient_record.pk,
        "chart",
        "summary",
    )
    assert entry.role == "doctor"
    assert entry.client_address == "10.1.2.3"
    assert list(entry.patients_shown.all()) == []


def test_it_writes_one_entry_naming_every_patient_a_list_showed(
    front_desk, patient_record, other_patient_record
):
    entry = access_log_record_list(
        _request(front_desk),
        patient_ids=[other_patient_record.pk, patient_record.pk, patient_record.pk],
        section="directory",
        detail="search",
    )
    assert AccessLog.objects.count() == 1
    assert entry.patient_id is None
    assert sorted(entry.patients_shown.values_list("pk", flat=True)) == sorted(
        [patient_record.pk, other_patient_record.pk]
    )
    assert list(patient_record.access_log_listings.all()) == [entry]


def test_it_writes_nothing_for_a_list_that_showed_no_patient(front_desk):
    assert access_log_record_list(_request(front_desk), patient_ids=[], section="directory") is None
    assert AccessLog.objects.count() == 0


def test_it_names_no_patient_for_an_aggregate_view(administrator):
    entry = access_log_record_aggregate(
        _request(administrator), section="reports", detail="top diagnoses"
    )
    entry.refresh_from_db()
    assert entry.patient_id is None
    assert entry.patients_shown.count() == 0
    assert (entry.section, entry.detail, entry.role) == (
        "reports",
        "top diagnoses",
        "administrator",
    )
