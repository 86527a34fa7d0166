"""The layout's arrows run one way: an app imports only its own modules and those below it.

Read from the source with `ast`, so a lazy import inside a function counts as well.
Tests and migrations are left out: tests may build any fixture, and migrations name
models by string.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lower floors first. An app may import its own floor's apps (patients names providers'
# models) and any floor below; never one above.
FLOORS = [
    {"core"},
    {"access"},
    {"providers", "patients", "scheduling", "billing"},
    {"portal", "reports", "interop"},
    {"demo", "phms"},
]
FLOOR_OF = {app: level for level, apps in enumerate(FLOORS) for app in apps}


def project_imports(path: Path) -> set[str]:
    """The project's top-level packages that one file imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & FLOOR_OF.keys()


def app_sources(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


def upward_imports(app: str) -> list[str]:
    floor = FLOOR_OF[app]
    found = []
    for path in app_sources(app):
        for imported in sorted(project_imports(path)):
            if imported != app and FLOOR_OF[imported] > floor:
                found.append(f"{path.relative_to(ROOT)} imports {imported}")
    return found


def test_it_finds_an_upward_import_when_there_is_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from patients.models import Patient\n    import billing\n")
    assert project_imports(sample) == {"patients", "billing"}


def test_it_keeps_core_free_of_every_app():
    offending = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in app_sources("core")
        for name in sorted(project_imports(path) - {"core"})
    ]
    assert offending == []


def test_it_lets_access_import_only_core():
    offending = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in app_sources("access")
        for name in sorted(project_imports(path) - {"core", "access"})
    ]
    assert offending == []


@pytest.mark.parametrize("app", sorted(app for app in FLOOR_OF if (ROOT / app).is_dir()))
def test_it_imports_nothing_from_a_floor_above(app):
    assert upward_imports(app) == []


def test_it_runs_every_apps_tests_from_the_test_command():
    import tomllib

    configured = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]["testpaths"]
    with_tests = sorted(path.parent.name for path in ROOT.glob("*/tests") if path.is_dir())
    assert [app for app in with_tests if app not in configured] == []
