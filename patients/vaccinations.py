"""Vaccinations in the document store: one document per patient, an embedded list of events.

Events are never overwritten or removed: a correction keeps the earlier values inside the
event ("corrections"), and a deletion only marks the event. Each write replaces the event
list under an optimistic version check, so two concurrent writers cannot lose each other's
changes (the embedded store has no positional array updates).
"""

import uuid
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from pymongo.errors import BulkWriteError, DuplicateKeyError

from core import documents
from patients.chart_cache import charts_changing
from patients.document_schemas import CHANGE_REASON, VaccinationStatus, clean_vaccination_fields

CORRECTABLE_FIELDS = (
    "vaccine",
    "cvx_code",
    "dose_number",
    "date",
    "lot",
    "route",
    "site",
    "status",
    "administered_by",
)
WRITE_ATTEMPTS = 5


# Writes -----------------------------------------------------------------------------


def vaccination_record(
    *,
    patient,
    vaccine,
    cvx_code,
    dose_number,
    date,
    lot="",
    route="",
    site="",
    status=VaccinationStatus.COMPLETED,
    administered_by="",
    by=None,
    external_id=None,
) -> dict:
    """Add a vaccination event; with `external_id`, a repeated import returns the first one."""
    _require_patient(patient)
    event = _new_event(
        {
            "vaccine": vaccine,
            "cvx_code": cvx_code,
            "dose_number": dose_number,
            "date": date,
            "lot": lot,
            "route": route,
            "site": site,
            "status": status,
            "administered_by": administered_by,
        },
        by=by,
        external_id=external_id,
    )
    external_id = event.get("external_id")

    def add(events):
        if external_id is not None:
            for existing in events:
                if existing.get("external_id") == external_id:
                    return None  # already imported: nothing to write
        return [*events, event]

    events = _update_events(patient.pk, add, create=True)
    if external_id is not None:
        return next(_event_out(e) for e in events if e.get("external_id") == external_id)
    return _event_out(event)


def vaccinations_import_many(*, events: list[dict], by=None) -> int:
    """Add imported events at once; events whose `external_id` the patient has are left alone.

    Each item holds `vaccination_record`'s arguments (patient, vaccine, cvx_code,
    dose_number, date, lot, route, site, status, administered_by) and a required `external_id`.
    Every event is checked before anything is written; a bad one raises ValidationError
    naming its position and external id. Returns how many events were added.
    """
    by_patient: dict[int, list[dict]] = {}
    for position, item in enumerate(events, start=1):
        try:
            _require_patient(item.get("patient"))
            if item.get("external_id") is None:
                raise ValidationError("An imported vaccination needs an external id.")
            event = _new_event(
                {field: item.get(field) for field in CORRECTABLE_FIELDS}
                | {"status": item.get("status", VaccinationStatus.COMPLETED)},
                by=by,
                external_id=item["external_id"],
            )
        except ValidationError as error:
            label = f"Vaccination {position} (external id {item.get('external_id')!r})"
            raise _labelled(error, label) from error
        by_patient.setdefault(item["patient"].pk, []).append(event)
    if not by_patient:
        return 0
    with charts_changing(by_patient):
        vaccinations = documents.collection(documents.VACCINATIONS)
        # One query per batch: the embedded store reads the whole collection on every insert.
        with documents.store_errors():
            found = {
                document["patient_id"]: document
                for document in vaccinations.find({"patient_id": {"$in": list(by_patient)}})
            }
        added = 0
        new_documents = []
        for patient_pk, new_events in by_patient.items():
            document = found.get(patient_pk)
            current = list((document or {}).get("events", []))
            fresh = _events_not_in(current, new_events)
            if not fresh:
                continue
            if document is None:
                new_documents.append(new_vaccination_document(patient_pk, fresh))
                continue
            added += len(fresh)
            with documents.store_errors():
                stored = _replace_events(vaccinations, document, [*current, *fresh])
            if not stored:
                added -= len(fresh) - _add_events_again(patient_pk, new_events)
        if new_documents:
            added += _insert_documents(vaccinations, new_documents, by_patient)
        return added


def vaccination_correct(*, patient, event_id, changes, reason, by) -> dict:
    """Change fields of an event; the earlier values stay inside it, with who, when and why."""
    _require_patient(patient)
    reason = _clean_reason(reason)
    unknown = set(changes or {}) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValidationError(
            f"These fields cannot be corrected: {', '.join(sorted(unknown))}. "
            f"Correctable: {', '.join(CORRECTABLE_FIELDS)}."
        )
    if not changes:
        raise ValidationError("Nothing to correct.")
    corrected: dict = {}

    def correct(events):
        index = _find_live_event(events, event_id)
        current = events[index]
        # Events recorded before routes were kept have no "route": read it as not recorded.
        fields = {f: current.get(f, "") for f in CORRECTABLE_FIELDS}
        merged = _clean_fields({**fields, **changes})
        previous = {f: fields[f] for f in CORRECTABLE_FIELDS if merged[f] != fields[f]}
        if not previous:
            raise ValidationError("The correction changes nothing.")
        correction = {
            "previous": previous,
            "reason": reason,
            "by_id": getattr(by, "pk", None),
            "by_name": _person_name(by),
            "at": _now(),
        }
        updated = {**current, **merged, "corrections": [*current["corrections"], correction]}
        corrected["event"] = updated
        return [*events[:index], updated, *events[index + 1 :]]

    _update_events(patient.pk, correct)
    return _event_out(corrected["event"])


def vaccination_delete(*, patient, event_id, reason, by) -> None:
    """Mark an event deleted (it stays in the document with who, when and why)."""
    _require_patient(patient)
    reason = _clean_reason(reason)

    def delete(events):
        index = _find_live_event(events, event_id)
        marked = {
            **events[index],
            "deleted_at": _now(),
            "deleted_by_id": getattr(by, "pk", None),
            "deleted_by_name": _person_name(by),
            "delete_reason": reason,
        }
        return [*events[:index], marked, *events[index + 1 :]]

    _update_events(patient.pk, delete)


DELETION_MARKS = ("deleted_by_id", "deleted_by_name", "delete_reason")


def vaccination_restore(*, patient, event_id, by) -> dict:
    """Bring back a deleted event; the deletion stays on record in its "restorations"."""
    _require_patient(patient)
    restored: dict = {}

    def restore(events):
        index = _find_deleted_event(events, event_id)
        current = events[index]
        restoration = {
            "deleted_at": current["deleted_at"],
            **{mark: current.get(mark) for mark in DELETION_MARKS},
            "by_id": getattr(by, "pk", None),
            "by_name": _person_name(by),
            "at": _now(),
        }
        live = {key: value for key, value in current.items() if key not in DELETION_MARKS}
        updated = {
            **live,
            "deleted_at": None,
            "restorations": [*current.get("restorations", []), restoration],
        }
        restored["event"] = updated
        return [*events[:index], updated, *events[index + 1 :]]

    _update_events(patient.pk, restore)
    return _event_out(restored["event"])


# Reads ------------------------------------------------------------------------------


def vaccinations_for_patient(patient_id) -> list[dict]:
    """Live events, newest first (empty when the patient is soft-deleted)."""
    from patients.models import Patient

    try:
        patient_id = int(patient_id)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{patient_id!r} is not a patient id.") from error
    if not Patient.objects.filter(pk=patient_id).exists():
        return []
    with documents.store_errors():
        document = documents.collection(documents.VACCINATIONS).find_one({"patient_id": patient_id})
    events = [e for e in (document or {}).get("events", []) if e.get("deleted_at") is None]
    events.sort(key=lambda e: (e["date"], _aware(e["recorded_at"])), reverse=True)
    return [_event_out(e) for e in events]


def vaccinations_for_patients(patient_ids) -> dict[int, list[dict]]:
    """Live events of many patients at once (one query), newest first; the caller has
    already chosen live patients."""
    ids = sorted({int(pk) for pk in patient_ids})
    if not ids:
        return {}
    with documents.store_errors():
        cursor = documents.collection(documents.VACCINATIONS).find({"patient_id": {"$in": ids}})
        found = {}
        for document in cursor:
            events = [e for e in document.get("events", []) if e.get("deleted_at") is None]
            events.sort(key=lambda e: (e["date"], _aware(e["recorded_at"])), reverse=True)
            found[document["patient_id"]] = [_event_out(e) for e in events]
    return found


def vaccination_of_patient(patient, event_id) -> dict | None:
    """The patient's live vaccination event with this id, or None."""
    for event in vaccinations_for_patient(patient.pk):
        if event["id"] == str(event_id):
            return event
    return None


# Helpers ----------------------------------------------------------------------------


def _update_events(patient_pk: int, change, *, create=False) -> list[dict]:
    """Apply `change(events) -> new events | None` under an optimistic version check."""
    vaccinations = documents.collection(documents.VACCINATIONS)
    for _attempt in range(WRITE_ATTEMPTS):
        with documents.store_errors():
            document = vaccinations.find_one({"patient_id": patient_pk})
        if document is None and not create:
            raise ValidationError("No such vaccination for this patient.")
        events = list((document or {}).get("events", []))
        new_events = change(events)
        if new_events is None:
            return events
        try:
            with charts_changing([patient_pk]), documents.store_errors():
                if document is None:
                    document = new_vaccination_document(patient_pk, new_events)
                    documents.insert_one(vaccinations, document)
                    return new_events
                stored = _replace_events(vaccinations, document, new_events)
        except DuplicateKeyError:
            continue  # another writer created the patient's document first; retry on it
        if stored:
            return new_events
    raise documents.DocumentStoreUnavailable(
        "The vaccination record is being changed by someone else; try again."
    )


def _replace_events(vaccinations, document: dict, events: list[dict]) -> bool:
    """Store `events` if the document is still at the version it was read at."""
    return documents.update_if_version(
        vaccinations, document["_id"], document.get("version", 0), {"events": events}
    )


def new_vaccination_document(patient_pk: int, events: list[dict]) -> dict:
    """A patient's vaccination document; one per patient, enforced through `_id`."""
    return {
        "_id": documents.keyed_id("vaccinations", patient_pk),
        "patient_id": patient_pk,
        "events": events,
        "version": 1,
    }


def _new_event(raw: dict, *, by, external_id) -> dict:
    """A checked new event from the correctable fields (raises ValidationError)."""
    fields = _clean_fields(raw)
    if external_id is not None:
        external_id = str(external_id).strip()
        if not external_id or len(external_id) > 100:
            raise ValidationError("An external id must be 1 to 100 characters.")
    event = {
        "id": uuid.uuid4().hex,
        **fields,
        "recorded_at": _now(),
        "recorded_by_id": getattr(by, "pk", None),
        "recorded_by_name": _person_name(by),
        "corrections": [],
        "deleted_at": None,
    }
    if external_id is not None:
        event["external_id"] = external_id
    return event


def _events_not_in(current: list[dict], new_events: list[dict]) -> list[dict]:
    """The new events whose external id is neither stored nor earlier in the batch."""
    seen = {e.get("external_id") for e in current if e.get("external_id") is not None}
    fresh = []
    for event in new_events:
        if event["external_id"] not in seen:
            seen.add(event["external_id"])
            fresh.append(event)
    return fresh


def _add_events_again(patient_pk: int, new_events: list[dict]) -> int:
    """Someone else changed the document meanwhile: add the events under the version check."""
    added = []

    def add(events):
        added[:] = _events_not_in(events, new_events)
        return [*events, *added] if added else None

    _update_events(patient_pk, add, create=True)
    return len(added)


def _insert_documents(vaccinations, new_documents: list[dict], by_patient: dict) -> int:
    """Insert new patients' documents; a patient's document created meanwhile gets a retry."""
    with documents.store_errors():
        try:
            vaccinations.insert_many(new_documents, ordered=False)
        except BulkWriteError as error:
            write_errors = error.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in write_errors):
                raise
            added = sum(len(d["events"]) for d in new_documents)
            for write_error in write_errors:
                patient_pk = new_documents[write_error["index"]]["patient_id"]
                added -= len(new_documents[write_error["index"]]["events"])
                added += _add_events_again(patient_pk, by_patient[patient_pk])
            return added
    return sum(len(d["events"]) for d in new_documents)


def _labelled(error: ValidationError, label: str) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(
            {
                field: [f"{label}: {m}" for m in messages]
                for field, messages in error.message_dict.items()
            }
        )
    return ValidationError(f"{label}: {' '.join(error.messages)}")


def _clean_fields(raw: dict) -> dict:
    fields = clean_vaccination_fields(raw)
    return {**fields, "date": fields["date"].isoformat()}  # ISO text sorts alike in both stores


def _find_live_event(events: list[dict], event_id) -> int:
    for index, event in enumerate(events):
        if event["id"] == str(event_id) and event.get("deleted_at") is None:
            return index
    raise ValidationError("No such vaccination for this patient.")


def _find_deleted_event(events: list[dict], event_id) -> int:
    for index, event in enumerate(events):
        if event["id"] == str(event_id) and event.get("deleted_at") is not None:
            return index
    raise ValidationError("No deleted vaccination with this id for this patient.")


def _require_patient(patient) -> None:
    if patient is None or patient.pk is None:
        raise ValidationError("A vaccination needs a saved patient.")


def _clean_reason(reason) -> str:
    return CHANGE_REASON.clean(reason)


def _now() -> datetime:
    now = timezone.now().astimezone(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _aware(moment):
    if isinstance(moment, datetime) and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)  # the embedded store drops the zone; it stored UTC
    return moment


def _person_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


def _event_out(event: dict) -> dict:
    corrections = []
    for correction in event.get("corrections") or []:
        previous = dict(correction["previous"])
        if "date" in previous:
            previous["date"] = date.fromisoformat(previous["date"])
        corrections.append({**correction, "previous": previous, "at": _aware(correction["at"])})
    return {
        "id": event["id"],
        "vaccine": event["vaccine"],
        "cvx_code": event["cvx_code"],
        "dose_number": event["dose_number"],
        "date": date.fromisoformat(event["date"]),
        "lot": event.get("lot", ""),
        "route": event.get("route", ""),
        "site": event.get("site", ""),
        "status": event["status"],
        "administered_by": event.get("administered_by", ""),
        "external_id": event.get("external_id"),
        "recorded_at": _aware(event.get("recorded_at")),
        "recorded_by_name": event.get("recorded_by_name", ""),
        "corrections": corrections,
    }
