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
