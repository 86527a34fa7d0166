"""Page benchmark: p50/p95 of the search page, the chart page and a minimal signed-in page.

    .venv/bin/python bench/pages.py [--patients 10000] [--requests 200]
    DATABASE_URL=mysql://root@127.0.0.1:3306/phms .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --compare 1000 100000 [--requests 100]

Seeds a throw-away database (a temp SQLite file, or the MariaDB/MySQL database
`phms_bench` on the server DATABASE_URL names, dropped and re-created) with the demo
hospital (`demo.hospital.demo_seed`), then times requests through Django's test Client
(the whole middleware stack, templates, queries; no network). The floor is the home
page of a front-desk login: session, user, roles, base layout and nothing else.
`--compare SMALL LARGE` runs the whole benchmark at both sizes (one fresh database each)
and prints every page side by side with the ratio of the p50s; the searches (exact MRN,
name prefix, a doctor's own patients) should stay within 1.5x.
Targets: chart p50, portal home p50 (the demo `patient` login), the billing worklist and a
bill's page (the demo `billing` login) and a department's day view
(50 providers, 1,500 appointments, the front desk) within 3x the floor p50.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "phms_bench"


def _prepare_environment(workdir: Path, *, name: str = BENCH_DATABASE) -> str:
    """Point settings at a throw-away database (`name` on MariaDB/MySQL) and document store;
    returns a label."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phms.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abc")
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SECURE_COOKIES"] = "false"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["MFA_REQUIRED_ROLES"] = "none"  # the bench times pages, not the sign-in steps
    os.environ["PHMS_VAR_DIR"] = str(workdir)
    os.environ["DOCUMENT_STORE_DIR"] = str(workdir / "documents")
    os.environ.pop("MONGO_URL", None)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("mysql"):
        parts = urlsplit(url)
        _recreate_mysql_database(parts, name=name)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        return f"MariaDB/MySQL ({parts.hostname}:{parts.port or 3306}/{name})"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return "SQLite (temp file)"


def _recreate_mysql_database(parts, *, name=BENCH_DATABASE, create=True) -> None:
    import MySQLdb

    connection = MySQLdb.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=parts.username or "root",
        password=parts.password or "",
    )
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS {name}")
    if create:
        # The collation settings.py gives the connection; a mismatch breaks guardian's casts.
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()


def _seed(patients: int) -> float:
    from django.core.management import call_command

    from demo.hospital import demo_seed

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    demo_seed(patients=patients, seed=1)
    _analyze()
    return time.perf_counter() - started


def _analyze() -> None:
    """Refresh the planner's statistics, as a production database keeps them.

    Without them SQLite picks the soft-delete index (`deleted_at IS NULL`, true for
    every row) over the foreign-key index for the chart's prefetches.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        elif connection.vendor == "mysql":
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"ANALYZE TABLE `{table}`")
                cursor.fetchall()


def _personas():
    """A doctor on the care team of a typical patient, and a front-desk login."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count

    from access.roles import Role
    from patients.models import CareAssignment, Patient
    from patients.services import care_assignment_create
    from providers.models import Doctor

    user_model = get_user_model()
    doctor_user = user_model.objects.create(username="bench.doctor")
    doctor_user.groups.add(Group.objects.get(name=Role.DOCTOR))
    doctor = Doctor.objects.create(user=doctor_user, first_name="Bench", last_name="Doctor")
    front_desk = user_model.objects.create(username="bench.frontdesk")
    front_desk.groups.add(Group.objects.get(name=Role.FRONT_DESK))
    # The patient with the most encounters: the heaviest chart, the honest case.
    patient = Patient.objects.annotate(visits=Count("encounters")).order_by("-visits", "pk").first()
    # Also put the doctor on a few hundred charts so the search scope is realistic.
    encounters = [
        p.encounters.order_by("-admitted_at").first()
        for p in Patient.objects.order_by("pk")[:300]
        if p.encounters.exists()
    ]
    for encounter in [patient.encounters.order_by("-admitted_at").first(), *encounters]:
        care_assignment_create(
            encounter=encounter, provider=doctor, role=CareAssignment.Role.ATTENDING
        )
    return doctor_user, front_desk, patient


BIG_CHART_ENCOUNTERS = 60


def _big_chart(doctor_user):
    """A new patient with 60 encounters, each with vitals, a diagnosis, a lab result and a
    prescription (a Synthea-sized chart), on the doctor's care team."""
    import datetime as dt

    from patients import services
    from patients.models import CareAssignment, Condition, Encounter, LabTest, Medication

    doctor = doctor_user.provider
    conditions = list(Condition.objects.order_by("pk")[:10])
    lab_tests = list(LabTest.objects.exclude(reference_high=None).order_by("pk")[:10])
    medications = list(Medication.objects.order_by("pk")[:10])
    patient = services.patient_register(
        by=None, first_name="Bench", last_name="Sixty", date_of_birth=dt.date(1950, 3, 1), sex="F"
    )
    first_visit = dt.datetime(2019, 1, 7, 9, 0, tzinfo=dt.UTC)
    for index in range(BIG_CHART_ENCOUNTERS):
        admitted = first_visit + dt.timedelta(days=30 * index)
        encounter = services.encounter_open(
            patient=patient,
            by=None,
            encounter_class=Encounter.EncounterClass.AMBULATORY,
            reason="Follow-up",
            admitted_at=admitted,
        )
        services.vital_signs_record(
            encounter=encounter,
            by=None,
            recorded_at=admitted + dt.timedelta(minutes=10),
            recorded_by=doctor,
            heart_rate=60 + index % 30,
            systolic_bp=120 + index % 25,
            diastolic_bp=75 + index % 10,
            spo2=95 + index % 5,
        )
        services.diagnosis_record(
            encounter=encounter,
            condition=conditions[index % len(conditions)],
            by=None,
            onset_date=admitted.date(),
            diagnosed_by=doctor,
        )
        lab_test = lab_tests[index % len(lab_tests)]
        services.lab_result_record(
            encounter=encounter,
            lab_test=lab_test,
            by=None,
            observed_at=admitted + dt.timedelta(hours=1),
            value_numeric=lab_test.reference_high,
        )
        services.prescription_record(
            encounter=encounter,
            medication=medications[index % len(medications)],
            by=None,
            start_date=admitted.date(),
            prescriber=doctor,
            dose="1 tablet",
            frequency="daily",
        )
        if index < BIG_CHART_ENCOUNTERS - 1:
            services.encounter_close(
                encounter=encounter, by=None, discharged_at=admitted + dt.timedelta(hours=2)
            )
    services.care_assignment_create(
        encounter=encounter, provider=doctor, role=CareAssignment.Role.ATTENDING
    )
    return patient


DEPARTMENT_PROVIDERS = 50
DEPARTMENT_APPOINTMENTS = 1500


def _busy_department():
    """A department where 50 doctors work today from 08:00 to 18:00 in 20-minute slots, every
    slot booked: 1,500 appointments of different patients, some arrived, one cancelled."""
    import datetime as dt

    from django.utils import timezone

    from patients.models import Patient
    from providers.models import Department, Doctor, Organization
    from scheduling.models import Appointment, WorkingHours

    today = timezone.localdate()
    department = Department.objects.create(
        organization=Organization.objects.order_by("pk").first(), name="Bench outpatients"
    )
    doctors = [
        Doctor.objects.create(
            first_name="Bench", last_name=f"Clinician {index:02d}", department=department
        )
        for index in range(DEPARTMENT_PROVIDERS)
    ]
    WorkingHours.objects.bulk_create(
        WorkingHours(
            provider=doctor,
            department=department,
            weekday=today.weekday(),
            starts_at=dt.time(8, 0),
            ends_at=dt.time(18, 0),
            slot_minutes=20,
        )
        for doctor in doctors
    )
    patient_ids = list(
        Patient.objects.order_by("pk").values_list("pk", flat=True)[:DEPARTMENT_APPOINTMENTS]
    )
    per_doctor = DEPARTMENT_APPOINTMENTS // DEPARTMENT_PROVIDERS
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time(8, 0)))
    statuses = [Appointment.Status.BOOKED] * 8 + [Appointment.Status.ARRIVED]
    rows = []
    for number, patient_id in enumerate(patient_ids):
        starts_at = day_start + dt.timedelta(minutes=20 * (number % per_doctor))
        rows.append(
            Appointment(
                patient_id=patient_id,
                provider=doctors[number // per_doctor],
                department=department,
                starts_at=starts_at,
                duration_minutes=20,
                ends_at=starts_at + dt.timedelta(minutes=20),
                reason="Follow-up",
                status=statuses[number % len(statuses)],
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=500)
    return department, len(rows)


def _time(client, url, params, count, before=None) -> list[float]:
    for index in range(min(10, count)):  # warm-up: template and query caches, lazy imports
        assert client.get(url, params(index) if callable(params) else params).status_code == 200
    timings = []
    for index in range(count):
        query = params(index) if callable(params) else params
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(url, query)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _profile(client, url) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(
        r"phms|core|access|patients|billing|template/loader", 25
    )
    stats.sort_stats("tottime").print_stats(15)


def _percentiles(timings: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return statistics.median(timings), cuts[94]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="profile one chart request")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--compare",
        nargs=2,
        type=int,
        metavar=("SMALL", "LARGE"),
        help="run at both sizes and print them side by side",
    )
    args = parser.parse_args()
    if args.compare:
        return _compare(*args.compare, requests=args.requests)

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="phms-bench-") as tmp:
        label = _prepare_environment(Path(tmp))
        import django

        django.setup()
        from django.conf import settings

        # The manifest storage needs `collectstatic`; the benchmark measures pages, not assets.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        from django.contrib.auth import get_user_model
        from django.core.cache import cache
        from django.db import connection
        from django.test import Client
        from django.urls import reverse

        from patients.models import Encounter, Patient

        seconds = _seed(args.patients)
        doctor, front_desk, patient = _personas()
        big_chart = _big_chart(doctor)
        visits = Encounter.objects.filter(patient=patient).count()
        big_visits = Encounter.objects.filter(patient=big_chart).count()
        print(f"Database: {label}")
        print(
            f"Seeded {Patient.objects.count()} patients, {Encounter.objects.count()} encounters "
            f"in {seconds:.0f} s; chart patient has {visits} encounters"
        )
        print(f"Big chart (created after the seed) has {big_visits} encounters")
        department, department_appointments = _busy_department()
        print(
            f"Department day: {DEPARTMENT_PROVIDERS} providers, "
            f"{department_appointments} appointments today"
        )

        names = ["sm", "jo", "wil", "br", "ma", "ga", "ro", "le", "da", "mi"]
        spread = range(1, Patient.objects.count() + 1, max(1, Patient.objects.count() // 50))
        mrns = list(Patient.objects.filter(pk__in=spread).values_list("mrn", flat=True))
        doctor_client, desk_client, patient_client = Client(), Client(), Client()
        billing_client = Client()
        billing_client.force_login(get_user_model().objects.get(username="billing"))
        from billing.models import Bill

        print(f"Bills: {Bill.objects.count()}")
        busy_bill = (
            Bill.objects.filter(status=Bill.Status.PAID, payer__isnull=False)
            .order_by("-total_amount")
            .first()
        )
        doctor_client.force_login(doctor)
        desk_client.force_login(front_desk)
        patient_client.force_login(get_user_model().objects.get(username="patient"))
        list_url = reverse("patients:list")
        chart_url = reverse("patients:chart", kwargs={"pk": patient.pk})
        big_chart_url = reverse("patients:chart", kwargs={"pk": big_chart.pk})
        # The chart's sections are cached per chart version (patients/chart_cache.py): a
        # repeat view of an unchanged chart is the common case; the first view after any
        # change renders everything, and is timed with the cache emptied before each request.
        cases = [
            ("floor: home (front desk)", desk_client, reverse("home"), {}, None),
            (
                "search, front desk (all)",
                desk_client,
                list_url,
                lambda i: {"q": names[i % 10]},
                None,
            ),
            ("search, doctor (own)", doctor_client, list_url, lambda i: {"q": names[i % 10]}, None),
            (
                "search, exact MRN (desk)",
                desk_client,
                list_url,
                lambda i: {"q": mrns[i % len(mrns)]},
                None,
            ),
            (
                "list page 3, sort DOB",
                desk_client,
                list_url,
                {"sort": "date_of_birth", "page": 3},
                None,
            ),
            ("chart, first view (doctor)", doctor_client, chart_url, {}, cache.clear),
            ("chart (doctor)", doctor_client, chart_url, {}, None),
            ("portal home (patient)", patient_client, reverse("portal:home"), {}, None),
            (
                f"{big_visits}-enc chart, first view",
                doctor_client,
                big_chart_url,
                {},
                cache.clear,
            ),
            (
                "department day (front desk)",
                desk_client,
                reverse("scheduling:department_day", kwargs={"pk": department.pk}),
                {},
                None,
            ),
            ("billing worklist", billing_client, reverse("billing:list"), {}, None),
            (
                "worklist: open 61-90, by balance",
                billing_client,
                reverse("billing:list"),
                {"status": "open", "age": "61-90", "sort": "-balance"},
                None,
            ),
            (
                "bill detail",
                billing_client,
                reverse("billing:detail", kwargs={"pk": busy_bill.pk}),
                {},
                None,
            ),
        ]
        rows = []
        for name, client, url, params, before in cases:
            queries = []
            if before is not None:
                before()
            with connection.execute_wrapper(
                lambda run, sql, *rest, seen=queries: seen.append(sql) or run(sql, *rest)
            ):
                client.get(url, params(0) if callable(params) else params)
            p50, p95 = _percentiles(_time(client, url, params, args.requests, before))
            rows.append((name, p50, p95, len(queries)))
        if args.profile:
            _profile(doctor_client, chart_url)

        if args.json:
            Path(args.json).write_text(
                json.dumps(
                    {
                        "database": label,
                        "patients": Patient.objects.count(),
                        "rows": rows,
                    }
                )
            )
        p50s = {name: p50 for name, p50, _p95, _queries in rows}
        floor = p50s["floor: home (front desk)"]
        print(f"\n{args.requests} requests each (ms)")
        print(f"{'page':<28}{'p50':>9}{'p95':>9}{'x floor':>9}{'queries':>9}")
        for name, p50, p95, queries in rows:
            print(f"{name:<28}{p50:>9.1f}{p95:>9.1f}{p50 / floor:>9.1f}{queries:>9}")
        chart_ratio = p50s["chart (doctor)"] / floor
        verdict = "met" if chart_ratio <= 3 else "NOT met"
        print(f"\nTarget chart p50 <= 3x floor: {verdict} ({chart_ratio:.1f}x)")
        portal_ratio = p50s["portal home (patient)"] / floor
        verdict = "met" if portal_ratio <= 3 else "NOT met"
        print(f"Target portal home p50 <= 3x floor: {verdict} ({portal_ratio:.1f}x)")
        first_view = p50s["chart, first view (doctor)"] / floor
        print(f"First view of a chart (nothing cached): {first_view:.1f}x the floor")
        big_first_view = p50s[f"{big_visits}-enc chart, first view"] / floor
        print(
            f"First view of the {big_visits}-encounter chart (one page of the timeline): "
            f"{big_first_view:.1f}x the floor"
        )
        department_ratio = p50s["department day (front desk)"] / floor
        verdict = "met" if department_ratio <= 3 else "NOT met"
        print(
            f"Target department day view ({DEPARTMENT_PROVIDERS} providers, "
            f"{department_appointments} appointments) p50 <= 3x floor: {verdict} "
            f"({department_ratio:.1f}x)"
        )
        for name in ("billing worklist", "worklist: open 61-90, by balance", "bill detail"):
            ratio = p50s[name] / floor
            verdict = "met" if ratio <= 3 else "NOT met"
            print(f"Target {name} p50 <= 3x floor: {verdict} ({ratio:.1f}x)")
        if label.startswith("MariaDB"):
            connection.close()
            _recreate_mysql_database(urlsplit(os.environ["DATABASE_URL"]), create=False)
    return 0


SEARCHES = ("search, exact MRN (desk)", "search, front desk (all)", "search, doctor (own)")
FLAT_RATIO = 1.5


def _compare(small: int, large: int, *, requests: int) -> int:
    """Run the benchmark once per size, each in its own process and database."""
    results = []
    for patients in (small, large):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--patients", str(patients)]
            command += ["--requests", str(requests), "--json", out.name]
            subprocess.run(command, check=True)
            results.append(json.loads(Path(out.name).read_text()))
    small_rows = {row[0]: row[1:] for row in results[0]["rows"]}
    large_rows = {row[0]: row[1:] for row in results[1]["rows"]}
    sizes = [f"{result['patients']:,}" for result in results]
    print(f"\n{results[1]['database']}: p50 (ms) at {sizes[0]} and {sizes[1]} patients")
    print(f"{'page':<32}{sizes[0]:>10}{sizes[1]:>10}{'ratio':>8}{'queries':>12}")
    for name, (p50, _p95, queries) in small_rows.items():
        large_p50, _large_p95, large_queries = large_rows[name]
        counts = f"{queries}/{large_queries}"
        print(f"{name:<32}{p50:>10.1f}{large_p50:>10.1f}{large_p50 / p50:>7.1f}x{counts:>12}")
    print()
    for name in SEARCHES:
        ratio = large_rows[name][0] / small_rows[name][0]
        verdict = "met" if ratio <= FLAT_RATIO else "NOT met"
        print(f"Target {name} within {FLAT_RATIO}x: {verdict} ({ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
