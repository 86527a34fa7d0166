"""Clinical notes in the document store: one document per note, append-only.

A document holds the patient's primary key (never names or other demographics), the
author, kind, tags, the current text, the original text and every amendment with who,
when and why. Amending never overwrites the history, only the "current text".
"""

import re
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from bson.errors import InvalidId
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from pymongo.errors import BulkWriteError, DuplicateKeyError

from core import documents
from patients.chart_cache import charts_changing
from patients.document_schemas import (
    AMENDMENT_REASON,
    MAX_REASON_LENGTH,
    NOTE_TEXT,
    clean_note_kind,
    clean_tags,
)

MAX_QUERY_LENGTH = 200
MAX_SEARCH_LIMIT = 500
# Imports carry their own timestamps; a little clock skew is tolerated, the future is not.
ALLOWED_CLOCK_SKEW = timedelta(minutes=5)


class SearchMode(models.TextChoices):
    KEYWORD = "keyword", "Keyword"
    PATTERN = "pattern", "Pattern (regular expression)"


# Writes -----------------------------------------------------------------------------


def note_create(
    *,
    patient,
    author,
    kind,
    text,
    tags=(),
    encounter=None,
    created_at=None,
    external_id=None,
    not_shared_reason="",
    late_entry_reason="",
) -> dict:
    """Store a new note; with `external_id`, a repeated import returns the existing note.

    A `not_shared_reason` keeps the note out of the patient portal (the chart says why). A
    clinician's note on a closed encounter is a late entry and needs `late_entry_reason`.
    """
    document = _new_note_document(
        patient=patient,
        author=author,
        kind=kind,
        text=text,
        tags=tags,
        encounter=encounter,
        created_at=created_at,
        external_id=external_id,
    )
    document.update(_portal_sharing(not_shared_reason))
    document.update(_late_entry(encounter, late_entry_reason, imported=external_id is not None))
    external_id = document.get("external_id")
    if external_id is not None:
        existing = _existing_import(external_id, patient.pk)
        if existing is not None:
            return existing

    notes = documents.collection(documents.NOTES)
    try:
        with charts_changing([patient.pk]), documents.store_errors():
            document["_id"] = documents.insert_one(notes, document)
    except DuplicateKeyError:
        # Another import of the same note won the race; the first one stands.
        existing = _existing_import(external_id, patient.pk)
        if existing is None:
            raise
        return existing
    return _note_out(document)


def notes_import_many(*, notes: list[dict]) -> int:
    """Store imported notes at once; notes whose `external_id` exists are left alone.

    Each item holds `note_create`'s arguments (patient, author, kind, text, tags, encounter,
    created_at) and a required `external_id`. Every note is checked before anything is
    written; a bad one raises ValidationError naming its position and external id.
    Returns how many notes were created.
    """
    prepared: dict[str, tuple[int, dict]] = {}
    for position, note in enumerate(notes, start=1):
        try:
            if note.get("external_id") is None:
                raise ValidationError("An imported note needs an external id.")
            document = _new_note_document(
                patient=note.get("patient"),
                author=note.get("author"),
                kind=note.get("kind"),
                text=note.get("text"),
                tags=note.get("tags", ()),
                encounter=note.get("encounter"),
                created_at=note.get("created_at"),
                external_id=note["external_id"],
            )
        except ValidationError as error:
            label = f"Note {position} (external id {note.get('external_id')!r})"
            raise ValidationError(f"{label}: {' '.join(error.messages)}") from error
        # A note repeated inside one batch is stored once, like a repeated note_create.
        prepared.setdefault(document["external_id"], (position, document))
    if not prepared:
        return 0
    collection = documents.collection(documents.NOTES)
    # One query per batch: the embedded store reads the whole collection on every insert.
    with documents.store_errors():
        existing = {
            found["external_id"]: found["patient_id"]
            for found in collection.find({"external_id": {"$in": list(prepared)}})
        }
    for external_id, owner in existing.items():
        position, document = prepared[external_id]
        if owner != document["patient_id"]:
            raise ValidationError(
                f"Note {position} (external id {external_id!r}): "
                f"External id {external_id!r} already belongs to another patient."
            )
    new = [document for key, (_, document) in prepared.items() if key not in existing]
    if not new:
        return 0
    with charts_changing(doc["patient_id"] for doc in new), documents.store_errors():
        try:
            collection.insert_many(new, ordered=False)
        except BulkWriteError as error:
            # Another import wrote some of them first: the rest are stored, the first stand.
            if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                raise
            return error.details.get("nInserted", 0)
    return len(new)


def note_amend(*, patient, note_id, author, text, reason) -> dict:
    """Append an amendment to a note; the original and earlier amendments stay."""
    text = NOTE_TEXT.clean(text)
    reason = AMENDMENT_REASON.clean(reason)
    object_id = _object_id(note_id)
    notes = documents.collection(documents.NOTES)
    query = {"_id": object_id, "patient_id": patient.pk}
    with documents.store_errors():
        current = notes.find_one(query)
    if current is None:
        raise ValidationError("No such note for this patient.")
    if current["text"] == text:
        raise ValidationError("The amended text is the same as the current text.")
    amendment = {
        "text": text,
        "previous_text": current["text"],
        "reason": reason,
        "author_id": getattr(author, "pk", None),
        "author_name": _person_name(author),
        "amended_at": timezone.now().astimezone(UTC),
    }
    with charts_changing([patient.pk]), documents.store_errors():
        # By `_id` alone (the note is this patient's, read above): the embedded store looks
        # that up by its key, and any other filter field makes it read every note.
        notes.update_one(
            {"_id": object_id}, {"$set": {"text": text}, "$push": {"amendments": amendment}}
        )
        updated = notes.find_one({"_id": object_id})
    return _note_out(updated)


# Reads ------------------------------------------------------------------------------


def note_get(patient_id, note_id) -> dict | None:
    """One note of a live patient by its id, or None (also for another patient's note)."""
    patient_id = _patient_pk(patient_id)
    try:
        object_id = _object_id(note_id)
    except ValidationError:
        return None
    if not _live_patient_ids([patient_id]):
        return None
    with documents.store_errors():
        document = documents.collection(documents.NOTES).find_one(
            {"_id": object_id, "patient_id": patient_id}
        )
    return _note_out(document) if document is not None else None


def notes_for_patient(patient_id, *, limit=50) -> list[dict]:
    """The patient's notes, newest first (empty when the patient is soft-deleted)."""
    limit = _clean_limit(limit)
    patient_id = _patient_pk(patient_id)
    if not _live_patient_ids([patient_id]):
        return []
    notes = documents.collection(documents.NOTES)
    with documents.store_errors():
        cursor = notes.find({"patient_id": patient_id}).sort("created_at", -1)
        if not documents.is_embedded():
            cursor = cursor.limit(limit)
        found = [_note_out(document) for document in cursor]
    # The embedded store's ordering is re-checked here rather than trusted.
    found.sort(key=_note_order, reverse=True)
    return found[:limit]


def note_of_patient(patient, note_id) -> dict | None:
    """The patient's note with this id; None for an unknown id or another patient's note."""
    try:
        object_id = ObjectId(str(note_id))
    except (InvalidId, TypeError):
        return None
    with documents.store_errors():
        document = documents.collection(documents.NOTES).find_one(
            {"_id": object_id, "patient_id": patient.pk}
        )
    return _note_out(document) if document is not None else None


def notes_search(query, *, mode=SearchMode.KEYWORD, patient_ids=None, limit=100) -> list[dict]:
    """Notes whose current text matches, newest first, for live patients only.

    "keyword" (the default) looks for the text as typed, case-insensitively; "pattern"
    runs a validated, bounded regular expression.
    """
    regex = search_regex(query, mode=mode)
    limit = _clean_limit(limit, maximum=MAX_SEARCH_LIMIT)
    notes = documents.collection(documents.NOTES)
    if patient_ids is None and documents.is_embedded():
        found = _embedded_search(notes, regex, query, mode, limit)
        if found is not None:
            return found
    criteria: dict = {"text": {"$regex": regex, "$options": "i"}}
    if patient_ids is not None:
        live = _live_patient_ids(patient_ids)
        if not live:
            return []
        criteria["patient_id"] = {"$in": sorted(live)}
    else:
        hidden = _deleted_patient_ids()
        if hidden:
            criteria["patient_id"] = {"$nin": sorted(hidden)}
    with documents.store_errors():
        cursor = notes.find(criteria).sort("created_at", -1).limit(limit)
        found = [_note_out(document) for document in cursor]
    found.sort(key=_note_order, reverse=True)
    return found


def _embedded_search(notes, regex, query, mode, limit) -> list[dict] | None:
    hidden = _deleted_patient_ids()
    object_ids = documents.embedded_search(
        documents.NOTES,
        field="text",
        pattern=regex,
        literal=query.strip() if mode == SearchMode.KEYWORD else None,
        order_field="created_at",
        keep_patient=lambda patient_id: patient_id not in hidden,
        limit=limit,
    )
    if object_ids is None:
        return None
    if not object_ids:
        return []
    # One primary-key read each: the embedded store answers "$in" on _id with a full scan.
    with documents.store_errors():
        found = [_note_out(notes.find_one({"_id": object_id})) for object_id in object_ids]
    found.sort(key=_note_order, reverse=True)
    return found


def search_regex(query, *, mode=SearchMode.KEYWORD) -> str:
    """The regular expression a search runs: the escaped keyword, or a checked pattern."""
    if mode not in SearchMode.values:
        raise ValidationError(f"Unknown search mode {mode!r}; use keyword or pattern.")
    query = (query or "").strip()
    if not query:
        raise ValidationError("Enter something to search for.")
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(f"Searches are limited to {MAX_QUERY_LENGTH} characters.")
    if mode == SearchMode.KEYWORD:
        return re.escape(query)
    validate_pattern(query)
    return query


def validate_pattern(pattern: str) -> None:
    """Refuse patterns that do not compile or could backtrack for a very long time."""
    if len(pattern) > MAX_QUERY_LENGTH:
        raise ValidationError(f"Patterns are limited to {MAX_QUERY_LENGTH} characters.")
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValidationError(f"The pattern is not a valid regular expression: {error}.") from error
    # The stores run the pattern without a time limit, so catastrophic shapes are refused:
    # a repeated group that itself repeats, e.g. (a+)+ or (\w*)*, and backreferences.
    if _has_nested_repeat(pattern) or re.search(r"\\[1-9]|\(\?P=", pattern):
        raise ValidationError(
            "The pattern repeats a group that already repeats (like (a+)+) or uses a "
            "backreference; these can run for a very long time. Simplify it."
        )


# Helpers ----------------------------------------------------------------------------


def _has_nested_repeat(pattern: str) -> bool:
    try:
        from re import _constants, _parser  # the stdlib's own parser: exact, not a guess
    except ImportError:  # pragma: no cover - other Python versions
        return bool(re.search(r"[+*}]\)*[+*{]", pattern))
    repeats = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)

    def children(op, value) -> list:
        if op is _constants.SUBPATTERN:
            return [value[-1]]
        if op is _constants.BRANCH:
            return list(value[1])
        if op in (_constants.ASSERT, _constants.ASSERT_NOT):
            return [value[1]]
        return []

    def walk(items, inside_repeat: bool) -> bool:
        for op, value in items:
            if op in repeats:
                _low, high, sub = value
                repeats_much = high is _constants.MAXREPEAT or high > 10
                if (inside_repeat and repeats_much) or walk(sub, inside_repeat or repeats_much):
                    return True
            elif any(walk(child, inside_repeat) for child in children(op, value)):
                return True
        return False

    return walk(_parser.parse(pattern), False)


def _new_note_document(
    *, patient, author, kind, text, tags, encounter, created_at, external_id
) -> dict:
    """The checked document of a new note (raises ValidationError)."""
    if patient is None or patient.pk is None:
        raise ValidationError("A note needs a saved patient.")
    kind = clean_note_kind(kind)
    text = NOTE_TEXT.clean(text)
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError("The encounter belongs to another patient.")
    created_at = _clean_created_at(created_at)
    if external_id is not None:
        external_id = str(external_id).strip()
        if not external_id or len(external_id) > 100:
            raise ValidationError("An external id must be 1 to 100 characters.")
    document = {
        "patient_id": patient.pk,
        "encounter_id": encounter.pk if encounter is not None else None,
        "author_id": getattr(author, "pk", None),
        "author_name": _person_name(author),
        "kind": kind,
        "text": text,
        "original_text": text,
        "tags": clean_tags(tags),
        "created_at": created_at,
        "amendments": [],
    }
    if external_id is not None:
        document["external_id"] = external_id
        # One note per external id, enforced by the store through `_id`.
        document["_id"] = documents.keyed_id("clinical note", external_id)
    return document


def _portal_sharing(not_shared_reason) -> dict:
    reason = (not_shared_reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"The reason is limited to {MAX_REASON_LENGTH} characters.")
    return {"shared_in_portal": not reason, "not_shared_reason": reason}


def _late_entry(encounter, late_entry_reason, *, imported: bool) -> dict:
    reason = (late_entry_reason or "").strip()
    if encounter is None or encounter.is_open or imported:
        return {}
    if not reason:
        raise ValidationError({"late_entry_reason": encounter.late_entry_refusal})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError(f"The reason is limited to {MAX_REASON_LENGTH} characters.")
    return {"late_entry_reason": reason}


def _clean_created_at(created_at) -> datetime:
    now = timezone.now()
    if created_at is None:
        return now.astimezone(UTC)
    if not isinstance(created_at, datetime):
        raise ValidationError("The note time must be a date and time.")
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at)
    if created_at > now + ALLOWED_CLOCK_SKEW:
        raise ValidationError("A note cannot be dated in the future.")
    # Both stores keep milliseconds; truncating now keeps what is returned equal to what is read.
    created_at = created_at.astimezone(UTC)
    return created_at.replace(microsecond=created_at.microsecond // 1000 * 1000)


def _clean_limit(limit, *, maximum=1000) -> int:
    try:
        limit = int(limit)
    except (TypeError, ValueError) as error:
        raise ValidationError("The limit must be a whole number.") from error
    if limit < 1:
        raise ValidationError("The limit must be at least 1.")
    return min(limit, maximum)


def _object_id(note_id) -> ObjectId:
    try:
        return ObjectId(str(note_id))
    except (InvalidId, TypeError) as error:
        raise ValidationError("No such note for this patient.") from error


def _existing_import(external_id: str, patient_pk) -> dict | None:
    notes = documents.collection(documents.NOTES)
    with documents.store_errors():
        existing = notes.find_one({"external_id": external_id})
    if existing is None:
        return None
    if existing["patient_id"] != patient_pk:
        raise ValidationError(f"External id {external_id!r} already belongs to another patient.")
    return _note_out(existing)


def _person_name(user) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


def _aware(moment):
    if isinstance(moment, datetime) and timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)  # the embedded store drops the zone; it stored UTC
    return moment


def _note_out(document: dict) -> dict:
    return {
        "id": str(document["_id"]),
        "patient_id": document["patient_id"],
        "encounter_id": document.get("encounter_id"),
        "kind": document["kind"],
        "text": document["text"],
        "original_text": document.get("original_text", document["text"]),
        "tags": list(document.get("tags") or []),
        "created_at": _aware(document["created_at"]),
        "author_id": document.get("author_id"),
        "author_name": document.get("author_name", ""),
        "external_id": document.get("external_id"),
        # Notes written before the portal existed carry no flag: they are shared.
        "shared_in_portal": document.get("shared_in_portal", True),
        "not_shared_reason": document.get("not_shared_reason", ""),
        "late_entry_reason": document.get("late_entry_reason", ""),
        "amendments": [
            {**amendment, "amended_at": _aware(amendment["amended_at"])}
            for amendment in document.get("amendments") or []
        ],
    }


def _note_order(note: dict):
    return (note["created_at"], note["id"])


def _patient_pk(patient_id) -> int:
    try:
        return int(patient_id)
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{patient_id!r} is not a patient id.") from error


def _live_patient_ids(patient_ids) -> set[int]:
    from patients.models import Patient

    wanted = set()
    for value in patient_ids:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            continue
    if not wanted:
        return set()
    return set(Patient.objects.filter(pk__in=wanted).values_list("pk", flat=True))


def _deleted_patient_ids() -> set[int]:
    from patients.models import Patient

    return set(Patient.all_objects.filter(deleted_at__isnull=False).values_list("pk", flat=True))
