"""The settings refuse a bad production configuration with one line, not a traceback."""

import pytest

from phms.tests.manage_subprocess import documented_variables, run_manage

PRODUCTION_KEY = "a-production-like-secret-key-for-settings-tests-0123456789abcdef"


def assert_refused_with_one_line(result, *expected: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("PHMS configuration error: ")
    for fragment in expected:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_it_documents_the_variables_the_refusal_tests_override():
    names = documented_variables()
    for name in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "MONGO_URL", "ALLOWED_HOSTS"):
        assert name in names


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="false", SECRET_KEY="")

    assert_refused_with_one_line(result, "SECRET_KEY is required when DEBUG is off")


def test_it_refuses_a_secret_key_of_only_whitespace():
    result = run_manage("check", DEBUG="false", SECRET_KEY="   ")

    assert_refused_with_one_line(result, "SECRET_KEY is required")


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"DEBUG": "maybe"}, ("DEBUG='maybe' is not a boolean",)),
        (
            {"DATABASE_URL": "postgres://phms@db.example.org/phms"},
            ("DATABASE_URL", "mysql:// and sqlite:// only"),
        ),
        ({"MONGO_URL": "http://mongo.example.org"}, ("MONGO_URL must start with mongodb://",)),
        ({"SESSION_IDLE_TIMEOUT_MINUTES": "soon"}, ("is not a whole number",)),
        ({"MFA_REQUIRED_ROLES": "doctor,surgeon"}, ("MFA_REQUIRED_ROLES names unknown roles",)),
    ],
    ids=["bad-boolean", "postgres-url", "bad-mongo-url", "bad-number", "bad-mfa-role"],
)
def test_it_refuses_a_bad_value_with_one_line(variables, expected):
    result = run_manage("check", **{"DEBUG": "false", "SECRET_KEY": PRODUCTION_KEY, **variables})

    assert_refused_with_one_line(result, *expected)


def test_it_starts_with_a_secret_key_in_production_mode():
    result = run_manage(
        "check", DEBUG="false", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="phms.example.org"
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
