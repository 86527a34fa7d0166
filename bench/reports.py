"""Reports benchmark: p50 of every report page, first render and cached, and peak memory.

    .venv/bin/python bench/reports.py [--patients 10000] [--requests 20] [--workdir DIR]
    DATABASE_URL=mysql://root@127.0.0.1:3306/phms .venv/bin/python bench/reports.py

Seeds the demo hospital (`demo.hospital.demo_seed`) once into DIR (a SQLite file there,
or the MariaDB/MySQL database `phms_bench_reports_<patients>` on the server DATABASE_URL
names) in a child process, so a second run at the same size reuses it and the peak
memory printed is that of rendering reports, not of seeding. Requests go through Django's
test Client as the demo administrator (every patient, no suppression). "First render"
empties the cache before each request; "cached" repeats the request. The floor is the
home page of the same login.
Targets: first render under 1 s at 100,000 patients; cached within 3x the floor; peak
memory at 100,000 within 1.5x of that at 10,000.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _database_name(patients: int) -> str:
    return f"phms_bench_reports_{patients}"


def _prepare_environment(workdir: Path, patients: int) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phms.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abc")
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SECURE_COOKIES"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["MFA_REQUIRED_ROLES"] = "none"
    os.environ["PHMS_VAR_DIR"] = str(workdir)
    os.environ["DOCUMENT_STORE_DIR"] = str(workdir / "documents")
    os.environ.pop("MONGO_URL", None)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        parts = urlsplit(url)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{_database_name(patients)}"))
        return f"MariaDB/MySQL ({parts.hostname}:{parts.port or 3306}/{_database_name(patients)})"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return f"SQLite ({workdir / 'bench.sqlite3'})"


def _seed(patients: int) -> None:
    """The child process: a fresh database with the demo hospital, statistics analysed."""
    import django
    from pages import _analyze, _recreate_mysql_database  # bench/pages.py, beside this one

    if os.environ["DATABASE_URL"].startswith("mysql"):
        _recreate_mysql_database(
            urlsplit(os.environ["DATABASE_URL"]), name=_database_name(patients)
        )
    django.setup()
    from django.core.management import call_command

    from demo.hospital import demo_seed

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_seed(patients=patients, seed=1)
    _analyze()
    print(f"Seeded {patients} patients in {time.perf_counter() - started:.0f} s", flush=True)


def _time(client, url, params, count, before=None) -> list[float]:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(count):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _measure(requests: int) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from pages import _analyze

    from billing.models import Bill
    from patients.models import Diagnosis, Encounter, Patient
    from reports.catalog import REPORTS

    call_command("migrate", verbosity=0)  # a database seeded before a new migration
    _analyze()  # statistics for indexes such a migration added
    print(
        f"{Patient.objects.count()} patients, {Encounter.objects.count()} encounters, "
        f"{Diagnosis.objects.count()} diagnoses, {Bill.objects.count()} bills"
    )
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    floor = statistics.median(_time(client, reverse("home"), {}, requests * 3))
    print(f"{'page':<34}{'first p50':>12}{'cached p50':>12}{'cached/floor':>14}")
    print(f"{'floor: home (administrator)':<34}{'':>12}{floor:>10.1f}ms{1:>13.1f}x")
    pages = [(report.title, reverse("reports:report", args=[report.slug])) for report in REPORTS]
    pages.append(("operations dashboard", reverse("reports:dashboard_tiles")))
    slowest_first = 0.0
    for title, url in pages:
        first = statistics.median(_time(client, url, {}, max(3, requests // 4), cache.clear))
        cached = statistics.median(_time(client, url, {}, requests))
        slowest_first = max(slowest_first, first)
        print(f"{title[:33]:<34}{first:>10.1f}ms{cached:>10.1f}ms{cached / floor:>13.1f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"slowest first render: {slowest_first:.0f} ms (target under 1,000 ms at 100,000)")
    print(f"peak RSS of this process: {peak:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = args.workdir or Path("/tmp") / f"phms-bench-reports-{args.patients}"
    workdir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    vendor = "mysql" if "mysql" in os.environ.get("DATABASE_URL", "") else "sqlite"
    marker = workdir / f"seeded-{args.patients}-{vendor}"
    label = _prepare_environment(workdir, args.patients)
    if args.seed_only:
        _seed(args.patients)
        marker.touch()
        return 0
    print(f"Database: {label}")
    if not marker.exists():
        subprocess.run([sys.executable, __file__, *sys.argv[1:], "--seed-only"], check=True)
    _measure(args.requests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
