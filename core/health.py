"""Whether each store answers now: for the health check and the operations dashboard."""

from django.db import connection

from core import documents

OK = "ok"
DOWN = "down"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error: report it as down, never as a 500
        return DOWN
    return OK


def document_store_status() -> str:
    try:
        documents.ping()
    except documents.DocumentStoreUnavailable:
        return DOWN
    return OK


# MySQL/MariaDB client and server codes that mean "the server cannot be reached now"
# (refused, gone away, lost, shutting down, connection killed, too many connections),
# not a fault in the statement.
MYSQL_UNAVAILABLE_CODES = frozenset({1040, 1053, 1927, 2002, 2003, 2005, 2006, 2013, 2055, 4031})
SQLITE_UNAVAILABLE_MESSAGES = ("unable to open database", "database is locked", "disk i/o")


def is_database_unavailable(error: BaseException | None) -> bool:
    """Whether an exception says the database is down or unreachable (an outage to answer
    with 503 and a retry hint), as opposed to a bug (a 500 with its traceback)."""
    from django.db import InterfaceError, OperationalError

    if not isinstance(error, OperationalError | InterfaceError):
        return False
    cause = error.__cause__ or error
    if type(cause).__module__.startswith("MySQLdb"):
        if type(cause).__name__ == "InterfaceError":
            return True  # a call on a connection that the server already dropped
        code = cause.args[0] if cause.args else None
        return code in MYSQL_UNAVAILABLE_CODES
    message = str(cause).lower()
    return any(text in message for text in SQLITE_UNAVAILABLE_MESSAGES)
