import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.urls import reverse

from patients.models import EmergencyContact, Encounter, Patient, VitalSigns
from phms.tests.records import make_patient, make_patient_record
from providers.models import HealthcareProvider

pytestmark = pytest.mark.django_db

DOMAIN_APPS = {"patients", "providers", "scheduling", "billing"}
# Booked through the schedule pages, which keep the booking rules; the admin only reads them.
# Ledger entries and bill events are posted on the bill's page, by billing's services.
READ_ONLY_IN_ADMIN = {
    "scheduling.Appointment",
    "scheduling.AppointmentRequest",
    "billing.LedgerEntry",
    "billing.BillEvent",
    "patients.DuplicateReview",
    "patients.PatientMerge",
}


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "x-long-pass-1")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def domain_models():
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label in DOMAIN_APPS),
        key=lambda model: model._meta.label,
    )


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# Kept by database triggers for the chart cache; nobody edits them.
CACHE_BOOKKEEPING_MODELS = {"ChartVersion", "ReferenceDataVersion", "DataVersion"}


def test_it_registers_every_domain_model():
    from django.apps import apps

    expected = {
        model
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
        and model.__name__ not in CACHE_BOOKKEEPING_MODELS
    }
    assert expected <= set(admin.site._registry)


def _registration_rows(user):
    from patients.merge import patient_merge
    from patients.models import DuplicateReview

    survivor, duplicate, namesake = make_patient(), make_patient(), make_patient()
    DuplicateReview.objects.create(
        patient=namesake, candidate=survivor, points=60, reason="Twins", reviewed_by=user
    )
    patient_merge(survivor=survivor, duplicate=duplicate, reason="Registered twice", by=user)


def _scheduling_rows():
    from scheduling.models import ScheduleException
    from scheduling.tests.factories import (
        AppointmentFactory,
        AppointmentRequestFactory,
        WorkingHoursFactory,
    )

    appointment = AppointmentFactory()
    WorkingHoursFactory(provider=appointment.provider, department=appointment.department)
    AppointmentRequestFactory(patient=appointment.patient)
    ScheduleException.objects.create(
        provider=appointment.provider,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
    )


def _billing_rows(record, by):
    from decimal import Decimal

    from billing.services import bill_act, post_entry

    bill = record.patient.bills.get()
    bill_act(bill_pk=bill.pk, action="submit", by=by)
    post_entry(bill_pk=bill.pk, kind="payment", party="payer", amount=Decimal("10.00"), by=by)


def test_it_answers_200_on_every_changelist_add_and_change_page(admin_client, superuser):
    _billing_rows(make_patient_record(), superuser)
    _scheduling_rows()
    _registration_rows(superuser)
    for model in domain_models():
        instance = model._base_manager.order_by("pk").first()
        assert instance is not None, f"no {model._meta.label} built for the change page"
        for view, args in (("changelist", ()), ("add", ()), ("change", (instance.pk,))):
            response = admin_client.get(admin_url(model, view, *args))
            read_only = view == "add" and model._meta.label in READ_ONLY_IN_ADMIN
            expected = 403 if read_only else 200
            assert response.status_code == expected, (model._meta.label, view, response.status_code)
        history = admin_client.get(admin_url(model, "history", instance.pk))
        assert history.status_code == 200, (model._meta.label, "history")


def test_it_never_shows_the_ssn_ciphertext(admin_client):
    patient = make_patient()
    patient.set_ssn("123-45-6789")
    patient.save()
    for page in (admin_url(Patient, "changelist"), admin_url(Patient, "change", patient.pk)):
        body = admin_client.get(page).content.decode()
        assert "***-**-6789" in body
        assert patient.ssn_encrypted not in body
        assert "123-45-6789" not in body and "123456789" not in body


def test_it_sets_a_new_ssn_from_the_write_only_field(admin_client):
    patient = make_patient()
    data = {
        "mrn": patient.mrn, "first_name": "Ada", "last_name": patient.last_name,
        "date_of_birth": "1980-01-01", "sex": "F", "new_ssn": "987-65-4321",
        **_empty_inlines(),
    }
    response = admin_client.post(admin_url(Patient, "change", patient.pk), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.ssn_masked == "***-**-4321"
    assert patient.reveal_ssn() == "987654321"


def test_it_rejects_a_malformed_ssn_with_a_message(admin_client):
    patient = make_patient()
    data = {
        "mrn": patient.mrn, "first_name": "Ada", "last_name": patient.last_name,
        "date_of_birth": "1980-01-01", "sex": "F", "new_ssn": "12-34", **_empty_inlines(),
    }
    response = admin_client.post(admin_url(Patient, "change", patient.pk), data)
    assert response.status_code == 200
    assert "An SSN has 9 digits" in response.content.decode()


def _empty_inlines():
    data = {}
    for prefix in ("emergency_contacts", "coverages", "allergies"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_it_lists_live_rows_by_default_and_deleted_rows_under_the_filter(admin_client):
    live, gone = make_patient(), make_patient()
    gone.delete()
    url = admin_url(Patient, "changelist")

    default = admin_client.get(url).context["cl"].result_list
    deleted = admin_client.get(url, {"deleted": "yes"}).context["cl"].result_list
    every = admin_client.get(url, {"deleted": "all"}).context["cl"].result_list

    assert list(default) == [live]
    assert list(deleted) == [gone]
    assert set(every) == {live, gone}


def test_it_soft_deletes_through_the_delete_action_and_records_the_user(admin_client, superuser):
    record = make_patient_record()
    response = admin_client.post(
        admin_url(Patient, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [record.patient.pk], "post": "yes"},
    )
    assert response.status_code == 302
    patient = Patient.all_objects.get(pk=record.patient.pk)
    assert patient.is_deleted and patient.deleted_by == superuser
    assert not Encounter.objects.filter(pk=record.encounter.pk).exists()
    assert Encounter.all_objects.filter(pk=record.encounter.pk).exists()


def test_it_confirms_a_delete_even_when_protected_rows_point_at_it(admin_client):
    record = make_patient_record()
    response = admin_client.post(
        admin_url(Patient, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [record.patient.pk]},
    )
    assert response.status_code == 200
    assert b"Are you sure" in response.content
    assert not Patient.all_objects.get(pk=record.patient.pk).is_deleted


def test_it_soft_deletes_through_the_delete_view(admin_client, superuser):
    record = make_patient_record()
    url = admin_url(Encounter, "delete", record.encounter.pk)
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    encounter = Encounter.all_objects.get(pk=record.encounter.pk)
    assert encounter.deleted_by == superuser
    assert not VitalSigns.objects.filter(pk=record.vitals.pk).exists()


def test_it_restores_selected_rows_with_their_cascade(admin_client, superuser):
    record = make_patient_record()
    record.patient.delete(by=superuser)
    response = admin_client.post(
        admin_url(Patient, "changelist") + "?deleted=yes",
        {"action": "restore_selected", ACTION_CHECKBOX_NAME: [record.patient.pk]},
    )
    assert response.status_code == 302
    assert Patient.objects.filter(pk=record.patient.pk).exists()
    assert VitalSigns.objects.filter(pk=record.vitals.pk).exists()


def test_it_opens_a_deleted_row_and_its_history(admin_client):
    patient = make_patient()
    patient.delete()
    assert admin_client.get(admin_url(Patient, "change", patient.pk)).status_code == 200
    assert admin_client.get(admin_url(Patient, "history", patient.pk)).status_code == 200


def test_it_shows_each_providers_kind_without_a_query_per_row(
    admin_client, django_assert_max_num_queries
):
    record = make_patient_record()
    url = admin_url(HealthcareProvider, "changelist")
    with django_assert_max_num_queries(12) as few:
        response = admin_client.get(url)
    body = response.content.decode()
    assert record.doctor.last_name in body and record.nurse.last_name in body
    for _ in range(6):
        make_patient_record()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(url)
    kinds = [row.kind for row in response.context["cl"].result_list]
    assert kinds.count("doctor") == 7 and kinds.count("nurse") == 7


def test_it_offers_only_live_rows_in_autocomplete(admin_client):
    live, gone = make_patient(last_name="Zed"), make_patient(last_name="Zed")
    gone.delete()
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "patients",
            "model_name": "encounter",
            "field_name": "patient",
            "term": "Zed",
        },
    )
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert ids == {live.pk}


def _patient_form(patient, **changes):
    data = {
        "mrn": patient.mrn, "first_name": patient.first_name, "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(), "sex": patient.sex,
        "city": patient.city, **_empty_inlines(),
    }
    data.update(changes)
    return data


def test_it_reverts_to_an_earlier_version_from_history_keeping_ssn_and_deletion_state(
    admin_client, superuser
):
    patient = make_patient(city="Boston")
    patient.set_ssn("123456789")
    patient.save()
    boston = patient.history.first()
    patient.city = "Chicago"
    patient.save()
    url = reverse("admin:patients_patient_simple_history", args=(patient.pk, boston.history_id))

    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, _patient_form(patient, city="Boston"))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Boston"
    assert patient.reveal_ssn() == "123456789"
    assert patient.history.first().history_user == superuser


def test_it_does_not_undelete_a_row_by_reverting_it(admin_client):
    contact_patient = make_patient_record()
    contact = contact_patient.contact
    before_deletion = contact.history.first()
    contact.delete()
    url = reverse(
        "admin:patients_emergencycontact_simple_history",
        args=(contact.pk, before_deletion.history_id),
    )
    data = {
        "patient": contact.patient_id, "first_name": "Charles", "last_name": "Babbage",
        "relationship": "brother", "phone": "555-0100",
    }
    assert admin_client.post(url, data).status_code == 302
    stored = EmergencyContact.all_objects.get(pk=contact.pk)
    assert stored.relationship == "brother"
    assert stored.is_deleted


def test_it_lists_every_changelist_without_a_query_per_row(admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_per_changelist():
        counts = {}
        for model in domain_models():
            with CaptureQueriesContext(connection) as captured:
                assert admin_client.get(admin_url(model, "changelist")).status_code == 200
            counts[model._meta.label] = len(captured.captured_queries)
        return counts

    make_patient_record()
    admin_client.get(admin_url(domain_models()[0], "changelist"))  # a session's first page
    with_one = queries_per_changelist()
    for _ in range(3):
        make_patient_record()
    with_four = queries_per_changelist()

    assert with_four == with_one
