"""The production topology: docker-compose.yml and the Dockerfile (Docker cannot run here)."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# A value that only references the environment: ${VAR}, ${VAR:?message} or ${VAR:-}
# (an empty default). A non-empty default would be a hard-coded secret.
ENV_REFERENCE = re.compile(r"^\$\{[A-Z_][A-Z0-9_]*(:\?[^}]*|:-)?\}$")
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|PWD|SECRET|KEY|TOKEN", re.IGNORECASE)
URL_PASSWORD = re.compile(r"^[a-z+]+://(?:\$\{[^}]*\}|[^:/@$]+):(?P<password>[^@]+)@")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (BASE_DIR / "Dockerfile").read_text()


def instructions(dockerfile: str) -> list[str]:
    """The Dockerfile's logical lines: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    return [line for line in joined.splitlines() if line and not line.startswith("#")]


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def test_it_defines_the_three_services(compose):
    services = compose["services"]

    assert set(services) == {"mysql", "mongo", "web"}
    assert services["mysql"]["image"] == "mysql:8.4"
    assert services["mongo"]["image"] == "mongo:7"
    assert services["web"]["build"] == "."


@pytest.mark.parametrize("name", ["mysql", "mongo", "web"])
def test_it_gives_every_service_a_health_check(compose, name):
    test = compose["services"][name]["healthcheck"]["test"]

    assert test[0] in {"CMD", "CMD-SHELL"}
    assert len(test) > 1


def test_it_checks_each_store_with_its_own_ping(compose):
    services = compose["services"]

    assert "mysqladmin ping" in " ".join(services["mysql"]["healthcheck"]["test"])
    mongo_check = " ".join(services["mongo"]["healthcheck"]["test"])
    assert "mongosh" in mongo_check
    assert "ping" in mongo_check


def test_it_stores_mysql_text_as_utf8mb4(compose):
    assert "--character-set-server=utf8mb4" in compose["services"]["mysql"]["command"]


def test_it_lets_the_app_user_create_its_triggers_with_the_binary_log_on(compose):
    assert "--log-bin-trust-function-creators=1" in compose["services"]["mysql"]["command"]


def test_it_keeps_the_data_on_named_volumes(compose):
    declared = set(compose["volumes"])
    for name, data_path in (("mysql", "/var/lib/mysql"), ("mongo", "/data/db")):
        mounts = dict(volume.split(":", 1) for volume in compose["services"][name]["volumes"])
        named_mount_targets = {target for source, target in mounts.items() if source in declared}
        assert data_path in named_mount_targets, mounts


def test_it_starts_the_web_app_only_after_both_stores_are_healthy(compose):
    depends_on = compose["services"]["web"]["depends_on"]

    assert depends_on == {
        "mysql": {"condition": "service_healthy"},
        "mongo": {"condition": "service_healthy"},
    }


def test_it_publishes_the_web_app_on_port_8000(compose):
    assert any(str(port).endswith(":8000") for port in compose["services"]["web"]["ports"])


def test_it_points_the_web_app_at_both_compose_stores(compose):
    environment = environment_of(compose["services"]["web"])

    assert environment["DEBUG"] == "false"
    assert environment["DATABASE_URL"].startswith("mysql://")
    assert "@mysql:3306/" in environment["DATABASE_URL"]
    assert environment["MONGO_URL"].startswith("mongodb://")
    assert "@mongo:27017/" in environment["MONGO_URL"]


def test_it_requires_the_secrets_from_the_environment(compose):
    web = environment_of(compose["services"]["web"])
    mysql = environment_of(compose["services"]["mysql"])
    mongo = environment_of(compose["services"]["mongo"])

    assert web["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert mysql["MYSQL_PASSWORD"].startswith("${MYSQL_PASSWORD:?")
    assert mysql["MYSQL_ROOT_PASSWORD"].startswith("${MYSQL_ROOT_PASSWORD:?")
    assert mongo["MONGO_INITDB_ROOT_PASSWORD"].startswith("${MONGO_PASSWORD:?")


def test_it_hard_codes_no_secret_in_any_environment(compose):
    checked = []
    for service in compose["services"].values():
        for name, value in environment_of(service).items():
            if SECRET_NAME.search(name):
                assert ENV_REFERENCE.match(value), f"{name}={value!r} is not an env reference"
                checked.append(name)
            url = URL_PASSWORD.match(value)
            if url:
                password = url["password"]
                assert ENV_REFERENCE.match(password), f"{name} embeds a literal password"
                checked.append(name)
    assert {"SECRET_KEY", "MYSQL_PASSWORD", "DATABASE_URL", "MONGO_URL"} <= set(checked)


def test_it_hard_codes_no_secret_anywhere_in_the_file():
    # Catches secrets outside `environment`, e.g. `-psecret` or `--password=...` in a command.
    text = (BASE_DIR / "docker-compose.yml").read_text()
    assignment = re.compile(
        r"(?i)[\w-]*(?:password|passwd|pwd|secret|key)[\w-]*\s*[:=]\s*\\?[\"']?(?P<value>[^\s\"']*)"
    )
    for number, line in enumerate(text.splitlines(), start=1):
        # Whatever sits inside an env reference (a variable name, an error text) is no value.
        code = re.sub(r"\$\{[^}]*\}", "${}", line.split(" #", 1)[0])
        if code.lstrip().startswith("#"):
            continue
        for match in assignment.finditer(code):
            value = match["value"]
            assert value == "" or value.startswith(("${", "$$")), f"line {number}: {line.strip()}"
        assert not re.search(r"\s-p\S", code), f"line {number}: password on a command line"


def test_it_builds_from_python_311_slim(dockerfile):
    images = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)

    assert images
    assert all(image == "python:3.11-slim" for image in images)


def test_it_installs_the_mysqlclient_build_dependencies(dockerfile):
    assert "pkg-config" in dockerfile
    assert re.search(r"default-libmysqlclient-dev|libmariadb-dev", dockerfile)
    assert "-r /tmp/requirements.txt" in dockerfile


def test_it_runs_as_a_non_root_user(dockerfile):
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)

    assert users
    assert users[-1] not in {"root", "0", "0:0"}


def test_it_collects_static_files_at_build(dockerfile):
    runs = [line for line in instructions(dockerfile) if line.startswith("RUN ")]

    assert any("manage.py collectstatic --noinput" in line for line in runs)


def test_it_does_not_bake_a_secret_key_into_the_image(dockerfile):
    env_lines = [line for line in instructions(dockerfile) if line.startswith(("ENV ", "ARG "))]

    assert env_lines  # the Dockerfile does set ENV; none of it is a secret
    assert not any("SECRET_KEY" in line for line in env_lines)


def test_it_checks_health_through_healthz(dockerfile):
    healthchecks = [line for line in instructions(dockerfile) if line.startswith("HEALTHCHECK ")]

    assert len(healthchecks) == 1
    assert "CMD" in healthchecks[0]
    assert "docker/healthcheck.py" in healthchecks[0]
    assert '"/healthz"' in (BASE_DIR / "docker" / "healthcheck.py").read_text()


def test_it_migrates_and_serves_with_gunicorn_on_start(dockerfile):
    entrypoint = (BASE_DIR / "docker" / "entrypoint.sh").read_text()

    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile
    steps = ["manage.py migrate", "manage.py setup_roles", "manage.py ensure_documents"]
    positions = [entrypoint.index(step) for step in steps]
    assert positions == sorted(positions)
    assert entrypoint.index("exec gunicorn phms.wsgi:application") > positions[-1]
    assert "--bind 0.0.0.0:8000" in entrypoint
    assert '--workers "${GUNICORN_WORKERS:-3}"' in entrypoint


def test_it_keeps_local_state_and_secrets_out_of_the_build_context():
    ignored = (BASE_DIR / ".dockerignore").read_text().split()

    for entry in (".env", ".venv", "var", ".git"):
        assert entry in ignored


def _requirement_lines(name: str) -> list[str]:
    text = (BASE_DIR / name).read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_it_pins_every_dependency_exactly_and_keeps_test_tools_out_of_the_image():
    runtime = _requirement_lines("requirements.txt")
    dev = _requirement_lines("requirements-dev.txt")
    assert "-r requirements.txt" in dev
    for line in runtime + [line for line in dev if not line.startswith("-r")]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.\-+]*", line), line
    runtime_names = {line.split("==")[0].lower() for line in runtime}
    assert not runtime_names & {"pytest", "pytest-django", "playwright", "ruff", "factory-boy"}
    constrained = {line.split("==")[0].lower() for line in _requirement_lines("constraints.txt")}
    assert runtime_names <= constrained
