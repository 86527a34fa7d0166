"""What the running portal imports is installed by requirements.txt, the production list.

Test-only packages (requirements-dev.txt) are not in the production image, so runtime
code (everything but tests and benchmarks) must not import them.
"""

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_PACKAGES = (
    "core",
    "access",
    "providers",
    "patients",
    "scheduling",
    "billing",
    "portal",
    "reports",
    "interop",
    "demo",
    "phms",
)


def runtime_sources():
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "tests" not in path.relative_to(ROOT).parts:
                yield path
    yield ROOT / "manage.py"


def third_party_modules() -> dict[str, Path]:
    local = set(RUNTIME_PACKAGES)
    found = {}
    for path in runtime_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in local and top not in sys.stdlib_module_names:
                    found.setdefault(top, path)
    return found


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def production_distributions() -> set[str]:
    """The distributions requirements.txt lists, and everything they require in turn."""
    listed = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            listed.append(Requirement(line).name)
    closure, pending = set(), [_name(name) for name in listed]
    while pending:
        name = pending.pop()
        if name in closure:
            continue
        closure.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(_name(requirement.name))
    return closure


def test_it_installs_every_runtime_import_from_requirements_txt():
    providers = metadata.packages_distributions()
    production = production_distributions()
    missing = {
        module: str(path.relative_to(ROOT))
        for module, path in third_party_modules().items()
        if not {_name(dist) for dist in providers.get(module, [])} & production
    }
    assert missing == {}, "runtime code imports packages requirements.txt does not install"


def test_it_would_notice_a_test_only_import():
    assert "factory-boy" not in production_distributions()
    assert {_name(d) for d in metadata.packages_distributions()["factory"]} == {"factory-boy"}
