"""The document store: MongoDB through pymongo, or tinymongo's embedded SQLite store.

This is the only module that knows which one is in use. Everything else asks for
`collection(name)` and catches `DocumentStoreUnavailable`.
"""

import threading

from django.conf import settings


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
