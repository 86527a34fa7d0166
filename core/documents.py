"""The document store: MongoDB through pymongo, or tinymongo's embedded SQLite store.

This is the only module that knows which one is in use. Everything else asks for
`collection(name)` and catches `DocumentStoreUnavailable`.
"""

import contextlib
import fcntl
import hashlib
import re
import sqlite3
import threading
from collections.abc import Callable

from bson import ObjectId
from django.conf import settings
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

NOTES = "clinical_notes"
VACCINATIONS = "vaccinations"

# Ascending keys only: the embedded store supports no other direction, and MongoDB walks an
# ascending index backwards for "newest first" just as well.
INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict]]] = {
    NOTES: [
        ([("patient_id", 1), ("created_at", 1)], {"name": "patient_created"}),
        # Walked backwards by the embedded search for "newest matches first".
        ([("created_at", 1)], {"name": "created"}),
        # Sparse: notes typed in the portal have no external id at all (the key is left out).
        ([("external_id", 1)], {"name": "external_id_unique", "unique": True, "sparse": True}),
    ],
    VACCINATIONS: [
        ([("patient_id", 1)], {"name": "patient_unique", "unique": True}),
        ([("events.cvx_code", 1)], {"name": "events_cvx_code"}),
    ],
}


class DocumentStoreUnavailable(Exception):
    """The document store did not answer; the caller shows or reports it."""


_lock = threading.Lock()
_clients: dict[tuple, object] = {}


def _client_key() -> tuple:
    return (settings.MONGO_URL, str(settings.DOCUMENT_STORE_DIR), settings.MONGO_TIMEOUT_MS)


def _new_client():
    if settings.MONGO_URL:
        import pymongo

        timeout = settings.MONGO_TIMEOUT_MS
        return pymongo.MongoClient(
            settings.MONGO_URL,
            serverSelectionTimeoutMS=timeout,
            connectTimeoutMS=timeout,
            socketTimeoutMS=timeout,
            tz_aware=True,
        )
    import tinymongo

    settings.DOCUMENT_STORE_DIR.mkdir(parents=True, exist_ok=True)
    return tinymongo.TinyMongoClient(str(settings.DOCUMENT_STORE_DIR), backend="sqlite")


def get_client():
    key = _client_key()
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _new_client()
        return client


def reset_clients() -> None:
    """Forget cached clients (tests change the settings between runs)."""
    with _lock:
        for client in _clients.values():
            close = getattr(client, "close", None)
            if close:
                close()
        _clients.clear()


def get_database():
    return get_client()[settings.MONGO_DB_NAME]


def is_embedded() -> bool:
    return not settings.MONGO_URL


@contextlib.contextmanager
def store_errors():
    """Turn any failure of the store into `DocumentStoreUnavailable`.

    Duplicate keys are not outages: they pass through for the caller's idempotency logic.
    """
    try:
        yield
    except (DocumentStoreUnavailable, DuplicateKeyError):
        raise
    except (PyMongoError, sqlite3.Error, OSError) as error:
        raise DocumentStoreUnavailable(str(error) or type(error).__name__) from error


def collection(name: str):
    """The named collection; operations on it must run inside `store_errors()`."""
    with store_errors():
        return get_database()[name]


def ensure_indexes() -> list[str]:
    """Create the collections' indexes (idempotent); return the index names.

    On the embedded store a unique index makes every insert read the whole collection
    (tinymongo checks it document by document), so there the indexes are plain ones and
    uniqueness comes from `_id` instead: a document that must be unique gets an `_id` derived
    from its key (`keyed_id`), and inserts go through `insert_one` below. A unique index
    left by an earlier version is replaced by the plain one.
    """
    names = []
    with store_errors():
        for collection_name, indexes in INDEXES.items():
            target = get_database()[collection_name]
            existing = {index["name"]: index for index in target.list_indexes()}
            for keys, options in indexes:
                if is_embedded() and options.get("unique"):
                    options = {**options, "unique": False}
                    if existing.get(options["name"], {}).get("unique"):
                        target.drop_index(options["name"])
                names.append(f"{collection_name}.{target.create_index(keys, **options)}")
    return names


def keyed_id(*key) -> ObjectId:
    """The `_id` of the one document with this key: a second insert of it is refused."""
    digest = hashlib.blake2b("\x1f".join(map(str, key)).encode(), digest_size=12).digest()
    return ObjectId(digest)


def insert_one(target, document: dict):
    """Insert one document; return its `_id`. Duplicate keys raise DuplicateKeyError.

    The embedded store's own insert_one reads the whole collection to check `_id`; its
    insert_many looks `_id` up by the primary key, so a single document goes through it.
    """
    if not is_embedded():
        return target.insert_one(document).inserted_id
    try:
        target.insert_many([document])
    except BulkWriteError as error:
        if any(e.get("code") == 11000 for e in error.details.get("writeErrors", [])):
            raise DuplicateKeyError(str(error), 11000) from error
        raise
    return document["_id"]


def update_if_version(target, document_id, version: int, changes: dict) -> bool:
    """Apply `$set: changes` to the document if it is still at `version`, moving it to
    version + 1; False when another writer got there first (a compare-and-set).

    On MongoDB this is one update filtered on `_id` and `version`. The embedded store
    indexes an update only when its filter is `_id` alone (any other filter reads the
    whole collection), so there the version is compared under a lock file that every
    process writing to this store takes, and the update is by `_id`.
    """
    update = {"$set": {**changes, "version": version + 1}}
    if not is_embedded():
        return (
            target.update_one({"_id": document_id, "version": version}, update).matched_count == 1
        )
    with _embedded_writer_lock(target.name):
        current = target.find_one({"_id": document_id})
        if current is None or current.get("version", 0) != version:
            return False
        return target.update_one({"_id": document_id}, update).matched_count == 1


@contextlib.contextmanager
def _embedded_writer_lock(name: str):
    # flock locks belong to the open file, so threads of one process exclude each other too.
    path = settings.DOCUMENT_STORE_DIR / f".{name}.write-lock"
    with path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def ping() -> None:
    """Raise `DocumentStoreUnavailable` unless the store answers a round trip."""
    try:
        if is_embedded():
            get_database()["_health"].find_one({})
        else:
            get_client().admin.command("ping")
    except DocumentStoreUnavailable:
        raise
    except Exception as error:  # any driver error means the store is not usable now
        raise DocumentStoreUnavailable(str(error) or type(error).__name__) from error


# Embedded full-collection search ---------------------------------------------------------
#
# tinymongo evaluates $regex in Python after decoding every document (about 10 s for
# 100,000 notes), so on the embedded store a search across a whole collection reads the
# SQLite file directly: one row per document, a JSON "data" column, "_id" and datetimes
# stored as {"__tinymongo_type_v1__": ..., "value": ...}. If that layout is not what we
# find, `embedded_search` returns None and the caller runs the ordinary query instead.

# Rows examined newest-first through the index before switching to a full scan; enough for
# any search whose matches are common, cheap when they are rare.
_INDEX_WALK_ROWS = 5000
_LIKE_SAFE = re.compile(r"[ -~]+")  # printable ASCII: stored verbatim in the JSON text


def embedded_search(
    collection_name: str,
    *,
    field: str,
    pattern: str,
    literal: str | None,
    order_field: str,
    keep_patient: Callable[[int], bool],
    limit: int,
) -> list | None:
    """The `_id`s of the newest documents whose `field` matches `pattern` (case-insensitive).

    `literal` (the keyword, when the search is one) lets SQLite skip rows cheaply first.
    Returns None when the embedded layout is not recognised.
    """
    if not is_embedded() or not re.fullmatch(r"\w+", collection_name + field + order_field):
        return None
    path = settings.DOCUMENT_STORE_DIR / f"{settings.MONGO_DB_NAME}.sqlite"
    if not path.exists():
        return []
    regex = re.compile(pattern, re.IGNORECASE)
    like = _like_prefilter(literal)
    columns = (
        f"json_extract(data, '$._id.value'), json_extract(data, '$.patient_id'), "
        f"json_extract(data, '$.{field}'), json_extract(data, '$.\"{order_field}\"')"
    )
    where = "data LIKE ? ESCAPE '\\'" if like else "1"
    params = (like,) if like else ()
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if collection_name not in names:
                return [] if "__tinymongo_indexes" in names else None
            # Newest first through the order index: common matches are found at once.
            newest = db.execute(
                f'SELECT {columns} FROM "{collection_name}" WHERE {where} '  # noqa: S608
                f"ORDER BY json_extract(data, '$.\"{order_field}\"') DESC",
                params,
            )
            found, complete = _collect(newest, regex, keep_patient, limit, _INDEX_WALK_ROWS)
            if not complete:
                # Rare matches: one plain scan of the table (the "+" keeps SQLite off the
                # index, which would cost a random read per row), sorted here.
                every = db.execute(
                    f'SELECT {columns} FROM "{collection_name}" WHERE {where} '  # noqa: S608
                    f"ORDER BY +json_extract(data, '$.\"{order_field}\"') DESC",
                    params,
                )
                found, _complete = _collect(every, regex, keep_patient, limit, None)
    except sqlite3.Error as error:
        raise DocumentStoreUnavailable(str(error)) from error
    if found is None:
        return None
    from bson import ObjectId

    return [ObjectId(value) for value in found]


def _collect(rows, regex, keep_patient, limit, max_rows):
    """(matching ids, whether the answer is final) from rows in newest-first order."""
    found: list[str] = []
    for examined, (object_id, patient_id, text, _order) in enumerate(rows, start=1):
        if not isinstance(object_id, str):
            return None, True  # not the layout we know
        if isinstance(text, str) and regex.search(text) and keep_patient(patient_id):
            found.append(object_id)
            if len(found) >= limit:
                return found, True
        if max_rows is not None and examined >= max_rows:
            return found, False
    return found, True


def embedded_matching_patients(
    collection_name: str, *, field: str, pattern: str, literal: str | None
) -> set[int] | None:
    """The `patient_id`s of documents whose `field` matches `pattern` (case-insensitive).

    One scan of the embedded SQLite table; None when the layout is not recognised.
    """
    if not is_embedded() or not re.fullmatch(r"\w+", collection_name + field):
        return None
    path = settings.DOCUMENT_STORE_DIR / f"{settings.MONGO_DB_NAME}.sqlite"
    if not path.exists():
        return set()
    regex = re.compile(pattern, re.IGNORECASE)
    like = _like_prefilter(literal)
    where = "data LIKE ? ESCAPE '\\'" if like else "1"
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if collection_name not in names:
                return set() if "__tinymongo_indexes" in names else None
            # Names are checked as \w+ above; values travel as parameters.
            columns = f"json_extract(data, '$.patient_id'), json_extract(data, '$.{field}')"
            query = f'SELECT {columns} FROM "{collection_name}" WHERE {where}'  # noqa: S608
            rows = db.execute(query, (like,) if like else ())
            return {
                patient_id
                for patient_id, text in rows
                if isinstance(text, str) and regex.search(text)
            }
    except sqlite3.Error as error:
        raise DocumentStoreUnavailable(str(error)) from error


def _like_prefilter(literal: str | None) -> str | None:
    """A LIKE pattern for a keyword that appears verbatim in the stored JSON, else None."""
    if literal and _LIKE_SAFE.fullmatch(literal) and '"' not in literal and "\\" not in literal:
        return "%" + re.sub(r"([%_\\])", r"\\\1", literal) + "%"
    return None
