"""FHIR benchmark: $everything, searches, the bulk export and device readings.

    .venv/bin/python bench/fhir.py [--patients 10000] [--requests 50] [--seconds 15]
    DATABASE_URL=mysql://root@127.0.0.1:3306/phms .venv/bin/python bench/fhir.py

Seeds the demo hospital into a throw-away database (a temp SQLite file, or the
MariaDB/MySQL database `phms_bench_fhir`, dropped and re-created) plus a 60-encounter
chart (bench/pages.py's), then prints:
- `$everything` of the 60-encounter patient, p50/p95, through Django's test Client as the
  doctor on its care team (with a personal API token);
- searches at this many patients, p50/p95: Patient by MRN, by name prefix, by birth year,
  as the administrator (the whole index) and as that doctor; Observation and Condition of
  the big chart;
- the bulk export (`manage.py fhir_export`, in a child process): resources per second and
  the child's peak RSS, beside the peak RSS of a child that only starts Django;
- device readings: 50 devices of 50 patients post heart rates for `--seconds` through
  gunicorn (3 sync workers, as the Dockerfile) from 50 client threads: sustained readings
  per second, p50/p95 latency, errors, and the readings counted in the database afterwards.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "phms_bench_fhir"
DEVICES = 50


def _prepare_environment(workdir: Path) -> str:
    from pages import _prepare_environment as prepare  # bench/pages.py, beside this one

    label = prepare(workdir, name=BENCH_DATABASE)
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"  # gunicorn serves devices
    os.environ["DEVICE_READINGS_RATE"] = "100000/m"  # the bench measures throughput
    return label


def _percentiles(timings):
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return statistics.median(timings), cuts[94]


def _time(client, url, params, count, headers) -> list[float]:
    for _ in range(min(5, count)):
        assert client.get(url, params, **headers).status_code == 200, url
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url, params, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def _row(label, timings, extra=""):
    p50, p95 = _percentiles(timings)
    print(f"  {label:<52} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms  {extra}")


CHILD = """
import sys
import django
django.setup()
from django.core.management import call_command
call_command(*sys.argv[1:])
# VmHWM is this program's own high-water mark; ru_maxrss would keep the parent's from fork.
with open("/proc/self/status") as status:
    print("peak-rss-kib", next(line.split()[1] for line in status if line.startswith("VmHWM")))
"""


def _child_peak_rss(args) -> tuple[float, str, float]:
    """Run a management command in a child; (its own peak RSS in MiB, its stdout, seconds)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    lines = out.strip().splitlines()
    peak = int(lines[-1].split()[1]) / 1024
    return peak, "\n".join(lines[:-1]), time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _device_load(devices, seconds: float) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "phms.wsgi:application", "--workers", "3",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        latencies, errors, stored = [], [], [0]
        lock = threading.Lock()
        deadline = time.perf_counter() + seconds

        def run(device_id, secret):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            number = 0
            while time.perf_counter() < deadline:
                number += 1
                reading = {
                    "resourceType": "Observation",
                    "identifier": [{"system": "urn:bench", "value": f"{device_id}-{number}"}],
                    "status": "final",
                    "category": [{"coding": [{"code": "vital-signs", "system":
                        "http://terminology.hl7.org/CodeSystem/observation-category"}]}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                    "effectiveDateTime": dt.datetime.now(dt.UTC).isoformat(),
                    "valueQuantity": {"value": 60 + number % 40, "unit": "/min",
                                      "system": "http://unitsofmeasure.org", "code": "/min"},
                }  # fmt: skip
                body = json.dumps(reading)
                started = time.perf_counter()
                try:
                    connection.request(
                        "POST",
                        "/fhir/Observation",
                        body,
                        {
                            "Content-Type": "application/fhir+json",
                            "Authorization": f"Bearer {secret}",
                        },
                    )
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except OSError as error:
                    status = str(error)
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if status == 201:
                        latencies.append(elapsed)
                        stored[0] += 1
                    else:
                        errors.append(status)

        threads = [threading.Thread(target=run, args=d) for d in devices]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - began
    finally:
        server.terminate()
        server.wait()
    from patients.models import REMOTE_MONITORING_REASON, VitalSigns

    in_database = VitalSigns.objects.filter(encounter__reason=REMOTE_MONITORING_REASON).count()
    p50, p95 = _percentiles(latencies) if len(latencies) > 1 else (0, 0)
    print(
        f"  {len(devices)} devices, {took:.1f} s: {stored[0] / took:,.0f} readings/s sustained, "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, errors {len(errors)} "
        f"({sorted(set(map(str, errors)))[:3]}), acknowledged {stored[0]}, in the database "
        f"{in_database}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="phms-bench-fhir-") as tmp:
        label = _prepare_environment(Path(tmp))
        import django

        django.setup()
        from django.conf import settings

        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        from django.contrib.auth import get_user_model
        from django.test import Client
        from pages import _big_chart, _personas, _seed

        from access.api_tokens import api_token_create
        from interop.devices import device_register
        from patients.models import Encounter, Patient

        seconds = _seed(args.patients)
        doctor, _, _ = _personas()
        big = _big_chart(doctor)
        admin = get_user_model().objects.get(username="admin")
        print(f"Database: {label}")
        print(f"Seeded {Patient.objects.count()} patients in {seconds:.0f} s")
        as_doctor = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(user=doctor, name="b")[1]}
        as_admin = {"HTTP_AUTHORIZATION": "Bearer " + api_token_create(user=admin, name="b")[1]}
        client = Client()
        everything = client.get(f"/fhir/Patient/{big.pk}/$everything", **as_doctor).json()
        print(
            f"$everything of a patient with {Encounter.objects.filter(patient=big).count()} "
            f"encounters ({len(everything['entry'])} resources):"
        )
        url = f"/fhir/Patient/{big.pk}/$everything"
        _row(
            "$everything (doctor on the care team)",
            _time(client, url, {}, args.requests, as_doctor),
        )
        sample = Patient.objects.order_by("pk")[args.patients // 2]
        print(f"Searches at {Patient.objects.count():,} patients:")
        prefix, year = sample.last_name[:3], str(sample.date_of_birth.year)
        vitals = {"patient": big.pk, "category": "vital-signs"}
        pulse = {"patient": big.pk, "code": "8867-4", "date": "ge2020"}
        searches = [
            ("Patient?identifier=<MRN> (administrator)", "Patient", {"identifier": sample.mrn}),
            ("Patient?name=<3 letters> (administrator)", "Patient", {"name": prefix}),
            ("Patient?birthdate=<year> (administrator)", "Patient", {"birthdate": year}),
            ("Patient?name=<3 letters> (doctor's scope)", "Patient", {"name": prefix}, as_doctor),
            ("Observation?patient=<big>&category=vital-signs", "Observation", vitals, as_doctor),
            ("Observation?patient=<big>&code=8867-4&date=ge2020", "Observation", pulse, as_doctor),
            ("Condition?patient=<big>", "Condition", {"patient": big.pk}, as_doctor),
        ]
        for name, kind, params, *who in searches:
            url, headers = f"/fhir/{kind}", (who or [as_admin])[0]
            total = client.get(url, params, **headers).json()["total"]
            _row(name, _time(client, url, params, args.requests, headers), f"({total} found)")

        print("Bulk export (manage.py fhir_export in a child process):")
        idle_rss, _, _ = _child_peak_rss(["check", "--deploy", "--fail-level", "CRITICAL"])
        export_dir = Path(tmp) / "export"
        peak, out, took = _child_peak_rss(["fhir_export", str(export_dir), "--no-progress"])
        total = int(out.strip().splitlines()[-1].split()[1].replace(",", ""))
        print(f"  {total:,} resources in {took:.1f} s: {total / took:,.0f} resources/s "
              f"(process start included); peak RSS {peak:.0f} MiB (a child that only "
              f"starts Django: {idle_rss:.0f} MiB)")  # fmt: skip
        for line in out.strip().splitlines():
            print("   ", line)

        print("Device readings through gunicorn (3 sync workers):")
        patients = list(Patient.objects.order_by("pk")[:DEVICES])
        devices = []
        for patient in patients:
            device, secret = device_register(patient=patient, name="Bench monitor", by=doctor)
            devices.append((device.pk, secret))
        from django.db import connection

        connection.close()
        _device_load(devices, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
