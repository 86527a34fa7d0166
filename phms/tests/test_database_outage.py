"""A database that cannot be reached answers a 503 page with a retry hint and log warnings
without a traceback; any other database error stays a 500 with its traceback."""

import logging
import sqlite3

import MySQLdb
import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client
from django.urls import reverse

from core.health import is_database_unavailable

pytestmark = pytest.mark.django_db


def _wrapped(django_error, driver_error):
    try:
        raise django_error(*driver_error.args) from driver_error
    except django_error as error:
        return error


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_wrapped(OperationalError, MySQLdb.OperationalError(2006, "server has gone away")), True),
        (_wrapped(OperationalError, MySQLdb.OperationalError(2003, "Can't connect")), True),
        (_wrapped(OperationalError, MySQLdb.OperationalError(2013, "Lost connection")), True),
        (_wrapped(OperationalError, MySQLdb.OperationalError(1053, "Server shutdown")), True),
        (_wrapped(InterfaceError, MySQLdb.InterfaceError(0, "")), True),
        (_wrapped(OperationalError, MySQLdb.OperationalError(1054, "Unknown column")), False),
        (_wrapped(OperationalError, sqlite3.OperationalError("unable to open database")), True),
        (_wrapped(OperationalError, sqlite3.OperationalError("no such table: x")), False),
        (_wrapped(ProgrammingError, MySQLdb.ProgrammingError(1064, "syntax")), False),
        (ValueError("not a database error"), False),
        (None, False),
    ],
)
def test_it_tells_an_outage_from_a_fault(error, unavailable):
    assert is_database_unavailable(error) is unavailable


def _failing_queries(driver_error):
    def execute(run, sql, params, many, context):
        raise OperationalError(*driver_error.args) from driver_error

    return connection.execute_wrapper(execute)


def test_a_page_answers_503_with_a_retry_hint_while_the_database_is_down(front_desk, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(front_desk)

    gone_away = MySQLdb.OperationalError(2006, "MySQL server has gone away")
    with caplog.at_level(logging.WARNING, logger="django.request"), _failing_queries(gone_away):
        response = client.get(reverse("patients:list"))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "briefly unavailable" in body
    assert "try again" in body
    assert 'http-equiv="refresh" content="5"' in body
    assert "Traceback" not in body
    # One line per failed layer (the view, then the session's save), none with a traceback.
    records = [record for record in caplog.records if record.name == "django.request"]
    assert records
    for record in records:
        assert record.levelname == "WARNING"
        assert record.exc_info is None
        assert "Database unavailable, answered 503: GET /patients/" in record.getMessage()


def test_a_form_post_during_the_outage_answers_503_and_saves_nothing(front_desk):
    from patients.models import Patient

    client = Client(raise_request_exception=False)
    client.force_login(front_desk)
    before = Patient.objects.count()

    with _failing_queries(MySQLdb.OperationalError(2013, "Lost connection to server")):
        response = client.post(
            reverse("patients:register"),
            {"first_name": "Ada", "last_name": "Outage", "date_of_birth": "1970-01-01"},
        )

    assert response.status_code == 503
    assert Patient.objects.count() == before
    body = response.content.decode()
    assert "go back to the form" in body
    assert 'http-equiv="refresh"' not in body  # a form is never re-sent by itself


def test_a_database_fault_that_is_not_an_outage_stays_a_500_with_its_traceback(front_desk, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(front_desk)

    unknown_column = MySQLdb.OperationalError(1054, "Unknown column 'x'")
    with caplog.at_level(logging.ERROR, logger="django.request"), _failing_queries(unknown_column):
        response = client.get(reverse("patients:list"))

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    records = [record for record in caplog.records if record.name == "django.request"]
    assert records and records[0].levelname == "ERROR"
    assert records[0].exc_info is not None
