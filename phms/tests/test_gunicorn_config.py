"""gunicorn trusts forwarded scheme headers only when BEHIND_TLS_PROXY is on."""

import runpy

import pytest
from django.conf import settings
from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader

CONFIG_FILE = settings.BASE_DIR / "docker" / "gunicorn.conf.py"
FORGED = b"GET /patients/ HTTP/1.1\r\nHost: phms.example\r\nX-Forwarded-Proto: https\r\n\r\n"


def gunicorn_config(monkeypatch, **environment) -> Config:
    """The Config gunicorn builds from our file under this environment."""
    for name in ("BEHIND_TLS_PROXY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(CONFIG_FILE)).items():
        if name in config.settings:
            config.set(name, value)
    return config


def scheme_of_a_request_from_localhost(config) -> str:
    request = Request(config, IterUnreader([FORGED]), ("127.0.0.1", 51000))
    return request.scheme


@pytest.mark.parametrize("flag", [None, "false", "no"])
def test_it_ignores_x_forwarded_proto_without_the_proxy(monkeypatch, flag):
    config = gunicorn_config(monkeypatch, **({"BEHIND_TLS_PROXY": flag} if flag else {}))

    assert config.forwarded_allow_ips == []
    assert config.secure_scheme_headers == {}
    assert scheme_of_a_request_from_localhost(config) == "http"


def test_it_trusts_the_proxy_it_is_behind(monkeypatch):
    config = gunicorn_config(monkeypatch, BEHIND_TLS_PROXY="true")

    assert config.forwarded_allow_ips == ["127.0.0.1", "::1"]
    assert scheme_of_a_request_from_localhost(config) == "https"


def test_it_takes_the_proxy_addresses_from_the_environment(monkeypatch):
    config = gunicorn_config(monkeypatch, BEHIND_TLS_PROXY="true", FORWARDED_ALLOW_IPS="10.0.0.0/8")

    assert config.forwarded_allow_ips == ["10.0.0.0/8"]
    assert scheme_of_a_request_from_localhost(config) == "http"


def test_the_container_starts_gunicorn_with_the_file():
    entrypoint = (settings.BASE_DIR / "docker" / "entrypoint.sh").read_text()

    assert "--config /app/docker/gunicorn.conf.py" in entrypoint
