"""The document store: MongoDB through pymongo, or tinymongo's embedded SQLite store.

This is the only module that knows which one is in use. Everything else asks for
`collection(name)` and catches `DocumentStoreUnavailable`.
"""

import contextlib
import sqlite3
import threading

from django.conf import settings
from pymongo.errors import DuplicateKeyError, PyMongoError

NOTES = "clinical_notes"
VACCINATIONS = "vaccinations"

# Ascending keys only: the embedded store supports no other direction, and MongoDB walks an
# ascending index backwards for "newest first" just as well.
INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict]]] = {
    NOTES: [
        ([("patient_id", 1), ("created_at", 1)], {"name": "patient_created"}),
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
    """Create the collections' indexes (idempotent); return the index names."""
    names = []
    with store_errors():
        for collection_name, indexes in INDEXES.items():
            target = get_database()[collection_name]
            for keys, options in indexes:
                names.append(f"{collection_name}.{target.create_index(keys, **options)}")
    return names


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
