"""A database migrated when access control lived in the `phms` app migrates forward.

The tables never moved (`phms_accesslog`, `phms_breakglassaccess`); what the old layout
leaves behind is its migration records and content types under the label `phms`. The
test builds that state on a database of its own, then runs `migrate` as an upgrade would.
"""

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlparse

from phms.tests.manage_subprocess import run_manage

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"

# The old layout had the access log and break-the-glass; API tokens came later.
OLD_LAYOUT_SQL = [
    "DELETE FROM auth_group_permissions WHERE permission_id IN (SELECT p.id FROM auth_permission p "
    "JOIN django_content_type c ON c.id = p.content_type_id WHERE c.app_label = 'access' "
    "AND c.model NOT IN ('accesslog', 'breakglassaccess'))",
    "DELETE FROM auth_permission WHERE content_type_id IN (SELECT id FROM django_content_type "
    "WHERE app_label = 'access' AND model NOT IN ('accesslog', 'breakglassaccess'))",
    "DELETE FROM django_content_type WHERE app_label = 'access' "
    "AND model NOT IN ('accesslog', 'breakglassaccess')",
    "DELETE FROM django_migrations WHERE app = 'access'",
    "INSERT INTO django_migrations (app, name, applied) VALUES "
    "('phms', '0001_initial', '2026-11-24 10:25:00'), "
    "('phms', '0002_role_groups', '2026-11-24 10:25:00')",
    "UPDATE django_content_type SET app_label = 'phms' WHERE app_label = 'access'",
]


class ScratchDatabase:
    """An empty database beside the one the suite uses: a SQLite file, or a MariaDB schema."""

    def __init__(self, tmp_path):
        suite_url = os.environ.get("DATABASE_URL", "")
        self.mysql = suite_url.startswith("mysql")
        if self.mysql:
            parts = urlparse(suite_url)
            self.name = f"test_phms_layout_{os.getpid()}"
            self.url = parts._replace(path=f"/{self.name}").geturl()
            self.params = {
                "host": parts.hostname or "127.0.0.1",
                "port": parts.port or 3306,
                "user": parts.username or "root",
                "password": parts.password or "",
            }
        else:
            self.path = tmp_path / "old-layout.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def connect(self, database=True):
        if self.mysql:
            import MySQLdb

            extra = {"database": self.name} if database else {}
            return MySQLdb.connect(**self.params, **extra, charset="utf8mb4")
        return sqlite3.connect(self.path)

    def __enter__(self):
        if self.mysql:
            with closing(self.connect(database=False)) as connection:
                connection.cursor().execute(f"DROP DATABASE IF EXISTS {self.name}")
                connection.cursor().execute(
                    f"CREATE DATABASE {self.name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
        return self

    def __exit__(self, *exc):
        if self.mysql:
            with closing(self.connect(database=False)) as connection:
                connection.cursor().execute(f"DROP DATABASE IF EXISTS {self.name}")

    def execute(self, statements):
        with closing(self.connect()) as connection:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            connection.commit()

    def rows(self, query):
        with closing(self.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute(query)
            return sorted(tuple(row) for row in cursor.fetchall())


def _migrate(database, *target):
    result = run_manage(
        "migrate", *target, "--noinput", DATABASE_URL=database.url, SECRET_KEY="x" * 50
    )
    assert result.returncode == 0, result.stderr
    return result


def test_it_migrates_a_database_from_the_old_layout_forward(tmp_path):
    with ScratchDatabase(tmp_path) as database:
        _migrate(database)
        # Back to what the old layout had: its two migrations, nothing added since.
        _migrate(database, "access", "0002")
        assert (
            run_manage("setup_roles", DATABASE_URL=database.url, SECRET_KEY="x" * 50).returncode
            == 0
        )
        granted_before = database.rows(
            "SELECT g.name, p.codename FROM auth_group_permissions gp "
            "JOIN auth_group g ON g.id = gp.group_id JOIN auth_permission p "
            "ON p.id = gp.permission_id JOIN django_content_type c ON c.id = p.content_type_id "
            "WHERE c.app_label = 'access' AND c.model IN ('accesslog', 'breakglassaccess')"
        )
        assert granted_before, "the administrator group holds the access-log permissions"
        database.execute(OLD_LAYOUT_SQL)
        assert database.rows(
            "SELECT app_label, model FROM django_content_type WHERE app_label IN ('phms', 'access')"
        ) == [("phms", "accesslog"), ("phms", "breakglassaccess")]

        _migrate(database)

        on_disk = sorted((path.stem,) for path in MIGRATIONS_DIR.glob("0*.py"))
        assert database.rows("SELECT name FROM django_migrations WHERE app = 'access'") == on_disk
        assert database.rows(
            "SELECT app_label, model FROM django_content_type WHERE app_label IN ('phms', 'access')"
        ) == [("access", "accesslog"), ("access", "apitoken"), ("access", "breakglassaccess")]
        # The same permission rows, now under the new label: no group lost a grant.
        assert (
            database.rows(
                "SELECT g.name, p.codename FROM auth_group_permissions gp "
                "JOIN auth_group g ON g.id = gp.group_id JOIN auth_permission p "
                "ON p.id = gp.permission_id JOIN django_content_type c ON c.id = p.content_type_id "
                "WHERE c.app_label = 'access' AND c.model IN ('accesslog', 'breakglassaccess')"
            )
            == granted_before
        )
        plan = run_manage(
            "migrate", "--plan", DATABASE_URL=database.url, SECRET_KEY="x" * 50
        ).stdout
        assert "No planned migration operations" in plan
