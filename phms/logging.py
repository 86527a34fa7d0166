"""Log filters: an expected outage is one line, not a traceback."""

import logging

from core.health import is_database_unavailable


class DatabaseOutageFilter(logging.Filter):
    """Turn django.request's error (with traceback) for a database that cannot be reached
    into a one-line warning; the 503 page has told the user to try again."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if is_database_unavailable(error):
            record.msg = "Database unavailable, answered 503: %s %s (%s)"
            request = getattr(record, "request", None)
            record.args = (
                getattr(request, "method", "?"),
                getattr(request, "path", "?"),
                str(error.__cause__ or error),
            )
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True
