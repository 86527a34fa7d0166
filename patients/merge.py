"""Merging a duplicate patient into the record that survives, and undoing a merge.

Every row that points at the duplicate moves to the survivor in one transaction (models
are found through the app registry, so apps above patients/ are covered without an
import), with a history row each; so do explicit grants, the portal login when the
survivor has none, and the notes and vaccinations in the document store. The duplicate
is soft-deleted and points at the survivor. The merge (`PatientMerge.moved`) lists what
moved, so an undo moves exactly that back and leaves what the survivor gained since.
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from core import documents
from patients.chart_cache import chart_version_bump
from patients.models import Patient, PatientMerge
from patients.vaccinations import new_vaccination_document

MOVE, KEEP = "move", "keep"
# Every foreign key to Patient, and what a merge does with its rows. A new one must be
# added here: the merge refuses to run while one is missing (and a test names it).
MERGE_RULES = {
    "patients.EmergencyContact.patient": MOVE,
    "patients.Coverage.patient": MOVE,
    "patients.Allergy.patient": MOVE,
    "patients.Encounter.patient": MOVE,  # care-team access follows its care assignments
    "scheduling.Appointment.patient": MOVE,
    "scheduling.AppointmentRequest.patient": MOVE,
    "billing.Bill.patient": MOVE,
    "access.AccessLog.patient": MOVE,  # the patient sees who looked at either record
    "access.BreakGlassAccess.patient": MOVE,
    "portal.PortalInvitation.patient": MOVE,
    "portal.ProxyAccess.patient": MOVE,
    "portal.ChangeRequest.patient": MOVE,
    "interop.MonitoringDevice.patient": MOVE,
    # The patients a list view showed (AccessLog.patients_shown); a list that showed both
    # records keeps its row for the survivor only.
    "access.AccessLog_patients_shown.patient": MOVE,
    # Kept: a chart's version counter (both charts are moved on), the clerk's decisions
    # and earlier merges (they name both records as they were), the merge pointer itself.
    "patients.ChartVersion.patient": KEEP,
    "patients.DuplicateReview.patient": KEEP,
    "patients.DuplicateReview.candidate": KEEP,
    "patients.PatientMerge.survivor": KEEP,
    "patients.PatientMerge.merged": KEEP,
    "patients.Patient.merged_into": KEEP,
}
NOTES_KEY = "documents:clinical_notes"
VACCINATIONS_KEY = "documents:vaccination_events"
PORTAL_USER_KEY = "patients.Patient.user"
GRANT_MODELS = {
    "guardian.UserObjectPermission": UserObjectPermission,
    "guardian.GroupObjectPermission": GroupObjectPermission,
}


def patient_foreign_keys() -> list[tuple[str, type, str]]:
    """(rule key, model, field name) of every foreign key to Patient outside the history
    tables (a history row describes the past and stays as it was)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if hasattr(model, "instance_type"):  # simple-history's historical models
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Patient:
                found.append((f"{model._meta.label}.{field.name}", model, field.name))
    return found


def unhandled_foreign_keys() -> list[str]:
    return [key for key, _, _ in patient_foreign_keys() if key not in MERGE_RULES]


def _check_rules() -> None:
    missing = unhandled_foreign_keys()
    if missing:
        raise ImproperlyConfigured(f"patients.merge.MERGE_RULES has no rule for {missing}")


def _movable_pks(model, field: str, from_patient, to_patient) -> list[int]:
    rows = model._base_manager.filter(**{field: from_patient})
    if model._meta.auto_created:  # a many-to-many table: one row per pair
        other = next(
            f.attname
            for f in model._meta.concrete_fields
            if f.is_relation and f.name != field and f.related_model is not Patient
        )
        paired = model._base_manager.filter(**{field: to_patient}).values_list(other, flat=True)
        rows = rows.exclude(**{f"{other}__in": list(paired)})
    return list(rows.values_list("pk", flat=True))


def _move_rows(model, field: str, pks, to_patient, by) -> list[int]:
    rows = list(model._base_manager.filter(pk__in=pks))
    for row in rows:
        setattr(row, f"{field}_id", to_patient.pk)
    model._base_manager.bulk_update(rows, [field], batch_size=500)
    history = getattr(model, "history", None)
    if rows and history is not None:
        history.bulk_history_create(
            rows, update=True, default_user=by, default_change_reason="patient merge"
        )
    return [row.pk for row in rows]


def _grant_rows(model, patient):
    return model.objects.filter(
        content_type__app_label="patients", content_type__model="patient", object_pk=str(patient.pk)
    )


def _move_grants(from_patient, to_patient, moved: dict) -> None:
    """Explicit grants move unless the survivor holds the same one already."""
    for label, model in GRANT_MODELS.items():
        holder = "user_id" if model is UserObjectPermission else "group_id"
        held = set(_grant_rows(model, to_patient).values_list(holder, "permission_id"))
        pks = [
            pk
            for pk, who, permission in _grant_rows(model, from_patient).values_list(
                "pk", holder, "permission_id"
            )
            if (who, permission) not in held
        ]
        model.objects.filter(pk__in=pks).update(object_pk=str(to_patient.pk))
        if pks:
            moved[label] = pks


def _grants_back(moved: dict, to_patient) -> None:
    for label, model in GRANT_MODELS.items():
        model.objects.filter(pk__in=moved.get(label, [])).update(object_pk=str(to_patient.pk))


# The document store ---------------------------------------------------------------------


def _move_notes(from_pk: int, to_pk: int, note_ids=None) -> list:
    notes = documents.collection(documents.NOTES)
    with documents.store_errors():
        query = {"patient_id": from_pk}
        ids = [doc["_id"] for doc in notes.find(query)]
        if note_ids is not None:
            wanted = {str(note_id) for note_id in note_ids}
            ids = [note_id for note_id in ids if str(note_id) in wanted]
        for note_id in ids:
            notes.update_one({"_id": note_id}, {"$set": {"patient_id": to_pk}})
    return ids


def _vaccination_document(collection, patient_pk: int) -> dict | None:
    return collection.find_one({"patient_id": patient_pk})


def _move_vaccination_events(from_pk: int, to_pk: int, event_ids=None) -> list[str]:
    """Move events (all, or those with `event_ids`) between the two patients' documents."""
    vaccinations = documents.collection(documents.VACCINATIONS)
    with documents.store_errors():
        source = _vaccination_document(vaccinations, from_pk)
        events = list((source or {}).get("events", []))
        moving = [e for e in events if event_ids is None or e.get("id") in event_ids]
        if not moving:
            return []
        staying = [e for e in events if e not in moving]
        target = _vaccination_document(vaccinations, to_pk)
        if target is None:
            documents.insert_one(vaccinations, new_vaccination_document(to_pk, moving))
        else:
            vaccinations.update_one(
                {"_id": target["_id"]},
                {
                    "$set": {
                        "events": [*target.get("events", []), *moving],
                        "version": target.get("version", 0) + 1,
                    }
                },
            )
        vaccinations.update_one(
            {"_id": source["_id"]},
            {"$set": {"events": staying, "version": source.get("version", 0) + 1}},
        )
    return [event.get("id") for event in moving]


def _move_documents(from_pk: int, to_pk: int, moved: dict) -> None:
    """Notes first, then vaccinations; if the second fails the notes go back."""
    note_ids = _move_notes(from_pk, to_pk)
    try:
        event_ids = _move_vaccination_events(from_pk, to_pk)
    except documents.DocumentStoreUnavailable:
        _move_notes(to_pk, from_pk, note_ids)
        raise
    moved[NOTES_KEY] = [str(note_id) for note_id in note_ids]
    moved[VACCINATIONS_KEY] = event_ids


def _documents_back(merge: PatientMerge) -> None:
    """Notes first, then vaccinations; if the second fails the notes go forward again."""
    survivor_pk, merged_pk = merge.survivor_id, merge.merged_id
    note_ids = set(merge.moved.get(NOTES_KEY, []))
    moved_back = _move_notes(survivor_pk, merged_pk, note_ids) if note_ids else []
    event_ids = set(merge.moved.get(VACCINATIONS_KEY, []))
    try:
        if event_ids:
            _move_vaccination_events(survivor_pk, merged_pk, event_ids)
    except documents.DocumentStoreUnavailable:
        _move_notes(merged_pk, survivor_pk, {str(note_id) for note_id in moved_back})
        raise


# Merge and undo --------------------------------------------------------------------------


def merge_refusal(survivor: Patient, duplicate: Patient) -> str:
    """Why these two cannot be merged, or "" when they can."""
    if survivor.pk == duplicate.pk:
        return "A record cannot be merged into itself."
    if survivor.is_deleted or survivor.merged_into_id:
        return "The surviving record is deleted or merged itself; choose the record that stays."
    if duplicate.is_deleted or duplicate.merged_into_id:
        return f"{duplicate.mrn} is already deleted or merged."
    return ""


def patient_merge(*, survivor: Patient, duplicate: Patient, reason: str, by) -> PatientMerge:
    """Move everything of `duplicate` to `survivor`; `duplicate` stays, soft-deleted."""
    _check_rules()
    refusal = merge_refusal(survivor, duplicate)
    if refusal:
        raise ValidationError(refusal)
    if not reason.strip():
        raise ValidationError({"reason": "Say why these records are one person."})
    moved: dict[str, list] = {}
    with transaction.atomic():
        survivor = Patient.objects.select_for_update().get(pk=survivor.pk)
        duplicate = Patient.objects.select_for_update().get(pk=duplicate.pk)
        for key, model, field in patient_foreign_keys():
            if MERGE_RULES[key] != MOVE:
                continue
            pks = _movable_pks(model, field, duplicate, survivor)
            moved_pks = _move_rows(model, field, pks, survivor, by)
            if moved_pks:
                moved[key] = moved_pks
        _move_grants(duplicate, survivor, moved)
        if duplicate.user_id and not survivor.user_id:
            moved[PORTAL_USER_KEY] = [duplicate.user_id]
            survivor.user_id, duplicate.user_id = duplicate.user_id, None
            duplicate.save(update_fields=["user"])
            survivor._history_user = by
            survivor.save(update_fields=["user"])
        _move_documents(duplicate.pk, survivor.pk, moved)
        merge = PatientMerge(
            survivor=survivor, merged=duplicate, reason=reason.strip(), moved=moved, merged_by=by
        )
        merge._history_user = by
        merge.save()
        duplicate.merged_into = survivor
        duplicate._history_user = by
        duplicate._change_reason = f"merged into {survivor.mrn}"
        duplicate.save(update_fields=["merged_into"])
        duplicate.delete(by=by)
        chart_version_bump([survivor.pk, duplicate.pk])
    return merge


def patient_merge_undo(*, merge: PatientMerge, by) -> PatientMerge:
    """Bring the merged record back with exactly the rows the merge moved."""
    if merge.is_undone:
        raise ValidationError("This merge has been undone already.")
    with transaction.atomic():
        merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
        survivor = Patient.all_objects.get(pk=merge.survivor_id)
        merged = Patient.all_objects.get(pk=merge.merged_id)
        rules = {key: (model, field) for key, model, field in patient_foreign_keys()}
        for key, pks in merge.moved.items():
            if key in rules:
                model, field = rules[key]
                _move_rows(model, field, pks, merged, by)
        _grants_back(merge.moved, merged)
        merged.restore(by=by)
        merged.refresh_from_db()
        merged.merged_into = None
        merged._history_user = by
        merged._change_reason = f"merge into {survivor.mrn} undone"
        if merge.moved.get(PORTAL_USER_KEY):
            survivor.user_id = None
            survivor._history_user = by
            survivor.save(update_fields=["user"])
            merged.user_id = merge.moved[PORTAL_USER_KEY][0]
        merged.save(update_fields=["merged_into", "user"])
        _documents_back(merge)
        merge.undone_at, merge.undone_by = timezone.now(), by
        merge._history_user = by
        merge.save(update_fields=["undone_at", "undone_by"])
        chart_version_bump([survivor.pk, merged.pk])
    return merge


def rows_to_move(duplicate: Patient) -> list[tuple[str, int]]:
    """What a merge of `duplicate` would move, as (what, how many), for the confirmation."""
    counts = []
    for key, model, field in patient_foreign_keys():
        if MERGE_RULES[key] == MOVE:
            count = model._base_manager.filter(**{field: duplicate}).count()
            if count and not model._meta.auto_created:
                names = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
                counts.append((str(names), count))
    try:
        with documents.store_errors():
            notes = documents.collection(documents.NOTES).count_documents(
                {"patient_id": duplicate.pk}
            )
            document = _vaccination_document(
                documents.collection(documents.VACCINATIONS), duplicate.pk
            )
    except documents.DocumentStoreUnavailable:
        return [*counts, ("notes and vaccinations (the document store is down)", 0)]
    events = len((document or {}).get("events", []))
    for one, many, n in (
        ("clinical note", "clinical notes", notes),
        ("vaccination", "vaccinations", events),
    ):
        if n:
            counts.append((one if n == 1 else many, n))
    return counts


def portal_login_notice(survivor: Patient, duplicate: Patient) -> str:
    """What happens to the portal logins, when that needs saying before the merge."""
    if duplicate.user_id and survivor.user_id:
        return (
            f"Both records have a portal login. The duplicate's ({duplicate.user.username}) "
            "will no longer open a record; the patient signs in with "
            f"{survivor.user.username}."
        )
    if duplicate.user_id:
        return f"The duplicate's portal login ({duplicate.user.username}) moves to this record."
    return ""


def live_patient_by_mrn(mrn: str) -> Patient:
    duplicate = Patient.objects.filter(mrn__iexact=mrn.strip()).first()
    if duplicate is None:
        raise ValidationError(f"No patient on file has the MRN {mrn.strip()}.")
    return duplicate
