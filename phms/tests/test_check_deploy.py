"""`manage.py check --deploy` is clean under production settings."""

import secrets

from phms.tests.manage_subprocess import run_manage


def production_variables(**overrides: str) -> dict[str, str]:
    # SECURE_SSL_REDIRECT and SECURE_COOKIES stay unset: production gets them by default.
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "phms.example.org",
        **overrides,
    }


def test_it_passes_the_deployment_checks_without_warnings():
    variables = production_variables()
    assert len(variables["SECRET_KEY"]) == 60

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **variables)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_it_fails_the_deployment_checks_when_https_is_turned_off():
    # Proves the check is live: the same run with HTTPS protections off must warn.
    variables = production_variables(SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false")

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **variables)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "security.W008" in output  # SECURE_SSL_REDIRECT
    assert "security.W012" in output  # SESSION_COOKIE_SECURE
