"""Run `manage.py` in a child process with a fully controlled PHMS configuration.

Every variable that `.env.example` documents is passed explicitly (empty unless the
test sets it). The settings treat an empty value as unset, and a variable present in
the environment wins over `.env`, so a developer's local `.env` cannot leak in.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
_VARIABLE = re.compile(r"^([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def documented_variables() -> list[str]:
    return _VARIABLE.findall((BASE_DIR / ".env.example").read_text())


def run_manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    env = dict.fromkeys(documented_variables(), "")
    # The relational store under test stays the one this test run uses (SQLite or MariaDB).
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL", "")
    env.update(variables)
    env.update(
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        HOME=os.environ.get("HOME", "/tmp"),
        LANG="C.UTF-8",
        DJANGO_SETTINGS_MODULE="phms.settings",
    )
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
