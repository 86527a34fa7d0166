"""Merging a duplicate patient into the surviving record, across every app, and undoing it."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from access import permissions
from access.grants import VIEW_PATIENT_CODENAME
from access.models import AccessLog, BreakGlassAccess
from core import documents
from interop.models import MonitoringDevice
from patients import merge
from patients.document_schemas import NoteKind
from patients.models import CareAssignment, Encounter, Patient, PatientMerge
from patients.notes import note_create, notes_for_patient
from patients.selectors import patient_search
from patients.tests.factories import AllergyFactory, CoverageFactory, EncounterFactory
from patients.vaccinations import vaccination_record, vaccinations_for_patient
from phms.tests import personas
from portal.models import ChangeRequest, PortalInvitation, ProxyAccess
from scheduling.tests.factories import AppointmentFactory, AppointmentRequestFactory

pytestmark = pytest.mark.django_db
MOVED_KEYS = sorted(key for key, rule in merge.MERGE_RULES.items() if rule == merge.MOVE)


@pytest.fixture
def doctor_of_duplicate(db):
    return personas.doctor_user(username="dr.duplicate", specialty="Neurology")


@pytest.fixture
def duplicate(patient_record, doctor_of_duplicate, administrator, front_desk):
    """A second record of Ada Lovelace with a row of every kind that points at a patient."""
    twin = personas.patient_chart(first_name="Ada", last_name="Lovelace", mrn="MRN-DUP-0001")
    personas.put_on_care_team(doctor_of_duplicate, twin, CareAssignment.Role.ATTENDING)
    CoverageFactory(patient=twin)
    AllergyFactory(patient=twin)
    AppointmentFactory(patient=twin)
    AppointmentRequestFactory(patient=twin)
    AccessLog.objects.create(user=front_desk, patient=twin, section="chart")
    shown_both = AccessLog.objects.create(user=front_desk, section="directory")
    shown_both.patients_shown.set([twin, patient_record])
    AccessLog.objects.create(user=front_desk, section="directory").patients_shown.set([twin])
    BreakGlassAccess.objects.create(
        user=doctor_of_duplicate,
        patient=twin,
        reason="Unconscious in the emergency room",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    PortalInvitation.objects.create(
        patient=twin,
        token_hash="t" * 64,
        code_hash="c",
        created_by=front_desk,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    proxy = personas.proxy_login(twin, username="proxy.of.duplicate")
    ChangeRequest.objects.create(
        patient=twin, kind=ChangeRequest.Kind.CONTACT_ADD, requested_by=proxy, values={}
    )
    MonitoringDevice.objects.create(
        patient=twin, name="Home BP cuff", registered_by=front_desk, prefix="p", digest="d" * 64
    )
    assign_perm(f"patients.{VIEW_PATIENT_CODENAME}", front_desk, twin)
    personas.patient_login(twin, username="patient.duplicate")
    note_create(patient=twin, author=doctor_of_duplicate, kind=NoteKind.PROGRESS, text="Seen.")
    vaccination_record(
        patient=twin, vaccine="Influenza", cvx_code="140", dose_number=1, date=dt.date(2025, 1, 5)
    )
    assert ProxyAccess.objects.filter(patient=twin).exists()
    return twin


def _counts(patient) -> dict[str, int]:
    found = {}
    for key, model, field in merge.patient_foreign_keys():
        if key in MOVED_KEYS:
            found[key] = model._base_manager.filter(**{field: patient}).count()
    return found


def _grants(patient) -> int:
    return UserObjectPermission.objects.filter(object_pk=str(patient.pk)).count()


def test_every_foreign_key_to_a_patient_has_a_merge_rule():
    # A new model pointing at Patient fails here until MERGE_RULES says what a merge does.
    assert merge.unhandled_foreign_keys() == []
    assert set(merge.MERGE_RULES) == {key for key, _, _ in merge.patient_foreign_keys()}


def test_it_refuses_to_merge_while_a_foreign_key_has_no_rule(
    monkeypatch, patient_record, duplicate, administrator
):
    monkeypatch.delitem(merge.MERGE_RULES, "billing.Bill.patient")
    before = _counts(duplicate)
    with pytest.raises(ImproperlyConfigured, match="billing.Bill.patient"):
        merge.patient_merge(
            survivor=patient_record, duplicate=duplicate, reason="same", by=administrator
        )
    assert _counts(duplicate) == before


def test_it_moves_every_kind_of_row_to_the_survivor(patient_record, duplicate, administrator):
    before_duplicate, before_survivor = _counts(duplicate), _counts(patient_record)
    # The fixture holds a row of every kind, so a new kind without a row fails here too.
    assert [key for key, count in before_duplicate.items() if not count] == []
    survivor_grants = _grants(patient_record)

    done = merge.patient_merge(
        survivor=patient_record, duplicate=duplicate, reason="Same SSN", by=administrator
    )

    after_duplicate, after_survivor = _counts(duplicate), _counts(patient_record)
    shown = "access.AccessLog_patients_shown.patient"
    for key in MOVED_KEYS:
        if key == shown:  # the list that showed both keeps one row, for the survivor
            assert after_duplicate[key] == 1
            assert after_survivor[key] == before_survivor[key] + before_duplicate[key] - 1
            continue
        assert after_duplicate[key] == 0, key
        assert after_survivor[key] == before_survivor[key] + before_duplicate[key], key
    assert _grants(duplicate) == 0 and _grants(patient_record) == survivor_grants + 1
    patient_record.refresh_from_db()
    assert patient_record.user.username == "patient.duplicate"
    assert [note["text"] for note in notes_for_patient(patient_record.pk)].count("Seen.") == 1
    assert [e["vaccine"] for e in vaccinations_for_patient(patient_record.pk)] == ["Influenza"]
    assert vaccinations_for_patient(duplicate.pk) == []

    merged = Patient.all_objects.get(pk=duplicate.pk)
    assert merged.is_deleted and merged.merged_into == patient_record
    assert merged.user is None
    assert done.moved["patients.Encounter.patient"] == list(
        Encounter.objects.filter(pk__in=done.moved["patients.Encounter.patient"]).values_list(
            "pk", flat=True
        )
    )
    moved_encounter = Encounter.objects.get(pk=done.moved["patients.Encounter.patient"][0])
    latest = moved_encounter.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (administrator, "patient merge")
    assert merged.history.filter(merged_into=patient_record).exists()
    assert done.history.count() == 1


def test_it_undoes_a_merge_with_exactly_the_rows_it_moved(patient_record, duplicate, administrator):
    before_duplicate, before_survivor = _counts(duplicate), _counts(patient_record)
    done = merge.patient_merge(
        survivor=patient_record, duplicate=duplicate, reason="Same SSN", by=administrator
    )
    later = EncounterFactory(patient=patient_record, reason="After the merge")

    merge.patient_merge_undo(merge=done, by=administrator)

    duplicate.refresh_from_db()
    patient_record.refresh_from_db()
    assert not duplicate.is_deleted and duplicate.merged_into is None
    assert _counts(duplicate) == before_duplicate
    after_survivor = _counts(patient_record)
    assert after_survivor.pop("patients.Encounter.patient") == (
        before_survivor.pop("patients.Encounter.patient") + 1
    )
    assert after_survivor == before_survivor
    assert Encounter.objects.get(pk=later.pk).patient == patient_record
    assert duplicate.user.username == "patient.duplicate" and patient_record.user is None
    assert _grants(duplicate) == 1
    assert [n["text"] for n in notes_for_patient(duplicate.pk)] == ["Seen."]
    assert [e["vaccine"] for e in vaccinations_for_patient(duplicate.pk)] == ["Influenza"]
    assert vaccinations_for_patient(patient_record.pk) == []
    done.refresh_from_db()
    assert done.is_undone and done.undone_by == administrator
    with pytest.raises(ValidationError, match="undone already"):
        merge.patient_merge_undo(merge=done, by=administrator)


def test_care_team_access_follows_the_moved_encounters(
    patient_record, duplicate, administrator, doctor_of_duplicate, attending_doctor
):
    assert not permissions.is_patient_visible(doctor_of_duplicate, patient_record)
    done = merge.patient_merge(
        survivor=patient_record, duplicate=duplicate, reason="Same SSN", by=administrator
    )
    assert permissions.is_patient_visible(doctor_of_duplicate, patient_record)
    assert permissions.is_patient_visible(attending_doctor, patient_record)
    merge.patient_merge_undo(merge=done, by=administrator)
    assert not permissions.is_patient_visible(doctor_of_duplicate, patient_record)
    assert permissions.is_patient_visible(doctor_of_duplicate, Patient.objects.get(pk=duplicate.pk))


def test_the_old_mrn_finds_the_survivor(client, patient_record, duplicate, administrator):
    merge.patient_merge(
        survivor=patient_record, duplicate=duplicate, reason="Same SSN", by=administrator
    )
    found = list(patient_search(user=administrator, q="MRN-DUP-0001"))
    assert found == [patient_record]
    assert list(patient_search(user=administrator, mrn="MRN-DUP-0001")) == [patient_record]
    client.force_login(administrator)
    response = client.get(reverse("patients:chart", kwargs={"pk": duplicate.pk}))
    assert response.status_code == 302
    assert response.url == reverse("patients:chart", kwargs={"pk": patient_record.pk})


def test_the_old_chart_address_tells_nobody_where_a_record_went_they_may_not_see(
    client, patient_record, duplicate, administrator, doctor_elsewhere
):
    merge.patient_merge(
        survivor=patient_record, duplicate=duplicate, reason="Same SSN", by=administrator
    )
    client.force_login(doctor_elsewhere)
    response = client.get(reverse("patients:chart", kwargs={"pk": duplicate.pk}))
    assert response.status_code == 404
    assert f"/patients/{patient_record.pk}/" not in response.content.decode()


@pytest.mark.parametrize(
    ("survivor_is", "message"),
    [("itself", "into itself"), ("merged", "already deleted or merged")],
)
def test_it_refuses_merges_that_make_no_sense(
    patient_record, duplicate, administrator, survivor_is, message
):
    if survivor_is == "merged":
        merge.patient_merge(survivor=patient_record, duplicate=duplicate, reason="x", by=None)
        duplicate = Patient.all_objects.get(pk=duplicate.pk)
    else:
        duplicate = patient_record
    with pytest.raises(ValidationError, match=message):
        merge.patient_merge(
            survivor=patient_record, duplicate=duplicate, reason="again", by=administrator
        )


# The pages -------------------------------------------------------------------------------


def test_only_an_administrator_merges(client, patient_record, duplicate, front_desk):
    url = reverse("patients:merge", kwargs={"pk": patient_record.pk})
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(front_desk)
    assert client.get(url).status_code == 403
    data = {"duplicate_mrn": duplicate.mrn, "reason": "same", "confirmed": "True"}
    assert client.post(url, data).status_code == 403
    assert not PatientMerge.objects.exists()


def test_an_administrator_sees_what_moves_then_merges_and_undoes(
    client, patient_record, duplicate, administrator
):
    client.force_login(administrator)
    url = reverse("patients:merge", kwargs={"pk": patient_record.pk})
    missing = client.post(url, {"duplicate_mrn": "MRN-NOPE", "reason": "same"})
    assert "No patient on file has the MRN MRN-NOPE." in missing.content.decode()
    preview = client.post(url, {"duplicate_mrn": duplicate.mrn, "reason": "Same SSN"})
    page = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="merge-preview"' in page
    assert "1 clinical note" in page and "encounter" in page
    assert "The duplicate&#x27;s portal login (patient.duplicate) moves to this record." in page
    assert not PatientMerge.objects.exists()

    merged = client.post(
        url, {"duplicate_mrn": duplicate.mrn, "reason": "Same SSN", "confirmed": "True"}
    )
    assert merged.status_code == 302
    done = PatientMerge.objects.get()
    chart = client.get(reverse("patients:chart", kwargs={"pk": patient_record.pk}))
    assert 'data-testid="merged-records"' in chart.content.decode()
    assert "MRN-DUP-0001" in chart.content.decode()

    undo = reverse("patients:merge_undo", kwargs={"pk": patient_record.pk, "merge_pk": done.pk})
    assert client.get(undo).status_code == 405
    response = client.post(undo)
    assert response.url == reverse("patients:chart", kwargs={"pk": duplicate.pk})
    assert Patient.objects.filter(pk=duplicate.pk).exists()


def test_when_both_records_have_a_portal_login_the_preview_says_which_stays(
    patient_record, duplicate, patient_user
):
    notice = merge.portal_login_notice(patient_record, duplicate)
    assert notice == (
        "Both records have a portal login. The duplicate's (patient.duplicate) will no longer "
        "open a record; the patient signs in with patient.ada."
    )
    assert merge.portal_login_notice(duplicate, patient_record) != notice


def test_a_merge_while_the_document_store_is_down_moves_nothing(
    client, settings, patient_record, duplicate, administrator
):
    before = _counts(duplicate)
    client.force_login(administrator)
    url = reverse("patients:merge", kwargs={"pk": patient_record.pk})
    original = settings.MONGO_URL, settings.MONGO_TIMEOUT_MS
    settings.MONGO_URL, settings.MONGO_TIMEOUT_MS = "mongodb://127.0.0.1:9", 300
    documents.reset_clients()
    try:
        response = client.post(
            url, {"duplicate_mrn": duplicate.mrn, "reason": "Same SSN", "confirmed": "True"}
        )
    finally:
        settings.MONGO_URL, settings.MONGO_TIMEOUT_MS = original
        documents.reset_clients()
    assert response.status_code == 503
    assert "nothing was merged" in response.content.decode()
    assert _counts(duplicate) == before
    assert not PatientMerge.objects.exists()


def test_an_undo_that_fails_half_way_in_the_document_store_changes_nothing(
    monkeypatch, patient_record, duplicate, administrator
):
    done = merge.patient_merge(
        survivor=patient_record, duplicate=duplicate, reason="Same SSN", by=administrator
    )
    after_merge = _counts(patient_record)

    def store_down(*args, **kwargs):
        raise documents.DocumentStoreUnavailable("down")

    monkeypatch.setattr(merge, "_move_vaccination_events", store_down)  # after the notes
    with pytest.raises(documents.DocumentStoreUnavailable):
        merge.patient_merge_undo(merge=done, by=administrator)
    assert _counts(patient_record) == after_merge
    assert [n["text"] for n in notes_for_patient(patient_record.pk)].count("Seen.") == 1
    assert Patient.all_objects.get(pk=duplicate.pk).is_deleted
    done.refresh_from_db()
    assert not done.is_undone
