"""Load test: clinicians and front desk at work together, against gunicorn as the Dockerfile
runs it, with every acknowledged write looked up afterwards.

    .venv/bin/python bench/load.py [--patients 30000] [--clinicians 50] [--desk 20]
                                   [--duration 120] [--workers 3] [--worker-class sync]
    DATABASE_URL=mysql://root@127.0.0.1:3306/phms .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --smoke          # CI: 6 users, 20 s, 500 patients

Seeds a throw-away database (as bench/pages.py: a temp SQLite file, or `phms_bench_load` on
the MariaDB server DATABASE_URL names) and an embedded document store, collects the static
files, starts gunicorn and runs one thread per user. Each user waits 1 to 3 s between steps
(`--think`) and repeats its persona's steps until the time is up:

    clinician:  search own patients by name, open a chart, record vital signs, write a note
    front desk: search by name, search by an exact MRN, register a patient

Prints p50/p95/p99 per step, the answers that were not the expected one, the server's CPU
per request (its workers' user + system time over the requests served) and the writes:
every acknowledged one (a redirect after the POST) is looked up in the database or the
document store afterwards; "lost" counts those not found. Exits 1 on an error or a lost
write, so `--smoke` fails CI when the portal does.

A script rather than Locust: the figures that matter here are the writes checked against
both stores after the run and the server's own CPU, which need the Django setup in the
same process; threads with http.client are enough for 70 users who mostly think, and add
no dependency to the project.
"""

import argparse
import datetime as dt
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "phms_bench_load"
CLINICIAN_STEP_TARGET_MS = 500
CPU_PER_REQUEST_TARGET_MS = 20
PATIENTS_PER_CLINICIAN = 12
# A fixed token: Django accepts a form whose token equals the csrftoken cookie.
CSRF_TOKEN = "loadtestcsrftoken0123456789abcde"
NAME_PREFIXES = ["sm", "jo", "wil", "br", "ma", "ga", "ro", "le", "da", "mi", "an", "ch"]


@dataclass
class Results:
    """What every user thread reports; one lock guards it."""

    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: dict = field(default_factory=dict)
    vitals_acknowledged: Counter = field(default_factory=Counter)  # per encounter id
    notes_acknowledged: list = field(default_factory=list)  # note texts
    registered: list = field(default_factory=list)  # (patient id, last name)
    answers: list = field(default_factory=list)  # (monotonic time, step, status)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _prepare_environment(workdir: Path) -> str:
    from pages import _prepare_environment as prepare  # bench/pages.py, beside this one

    label = prepare(workdir, name=BENCH_DATABASE)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    return label


def seed_database(patients: int) -> float:
    from pages import _seed as seed

    return seed(patients)


def collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)


def _session_cookie(user) -> str:
    """A signed-in session for `user`, as the login view would leave it."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; csrftoken={CSRF_TOKEN}"


def load_personas(clinicians: int, desk: int):
    """Doctors each on the care team of a few patients through a visit opened for the
    load (where their vital signs and notes go), and front-desk logins."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from access.roles import Role
    from patients import services
    from patients.models import CareAssignment, Encounter, Patient
    from providers.models import Doctor

    user_model = get_user_model()
    doctor_group = Group.objects.get(name=Role.DOCTOR)
    desk_group = Group.objects.get(name=Role.FRONT_DESK)
    patients = list(
        Patient.objects.order_by("pk").only("pk", "last_name")[
            : clinicians * PATIENTS_PER_CLINICIAN
        ]
    )
    doctors = []
    for number in range(clinicians):
        user = user_model.objects.create(username=f"load.doctor{number:02d}")
        user.groups.add(doctor_group)
        doctor = Doctor.objects.create(user=user, first_name="Load", last_name=f"Doctor{number}")
        own = patients[number::clinicians]
        visits = []
        for patient in own:
            encounter = services.encounter_open(
                patient=patient,
                by=None,
                encounter_class=Encounter.EncounterClass.AMBULATORY,
                reason="Load test visit",
            )
            services.care_assignment_create(
                encounter=encounter, provider=doctor, role=CareAssignment.Role.ATTENDING
            )
            visits.append((patient.pk, encounter.pk, patient.last_name[:3]))
        doctors.append((user, visits))
    desks = []
    for number in range(desk):
        user = user_model.objects.create(username=f"load.desk{number:02d}")
        user.groups.add(desk_group)
        desks.append(user)
    return doctors, desks


class Browser:
    """One user's connection: cookies of a signed-in session, keep-alive when offered."""

    def __init__(self, port: int, cookie: str):
        self.port = port
        self.cookie = cookie
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": self.cookie}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": CSRF_TOKEN})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        # A kept-alive connection the server has since closed fails before the request is
        # read; a browser sends it again on a new connection, and so does this.
        reused = self.connection.sock is not None
        answer = self._send(method, path, body, headers)
        if reused and answer[0] in ("BrokenPipeError", "RemoteDisconnected"):
            answer = self._send(method, path, body, headers)
        return answer

    def _send(self, method, path, body, headers):
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            content = response.read()
            return response.status, response.getheader("Location", ""), content
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return type(error).__name__, "", b""


def _step(results: Results, name: str, browser, method, path, form=None, *, expected=200):
    started = time.perf_counter()
    status, location, content = browser.request(method, path, form)
    elapsed = (time.perf_counter() - started) * 1000
    with results.lock:
        results.answers.append((time.monotonic(), name, status))
        if status == expected:
            results.latencies[name].append(elapsed)
        else:
            results.errors[(name, status)] += 1
            results.error_samples.setdefault((name, status), content[:300])
    return status == expected, location


def _clinician(browser, visits, results, deadline, think, number):
    rng = random.Random(number)
    written = 0
    while time.monotonic() < deadline:
        patient_id, encounter_id, prefix = rng.choice(visits)
        time.sleep(rng.uniform(*think))
        _step(
            results,
            "clinician: search own patients",
            browser,
            "GET",
            "/patients/?" + urlencode({"q": prefix}),
            expected=200,
        )
        time.sleep(rng.uniform(*think))
        _step(
            results,
            "clinician: open a chart",
            browser,
            "GET",
            f"/patients/{patient_id}/",
            expected=200,
        )
        time.sleep(rng.uniform(*think))
        vitals = {
            "encounter": encounter_id,
            "heart_rate": rng.randint(55, 110),
            "systolic_bp": rng.randint(100, 160),
            "diastolic_bp": rng.randint(60, 95),
            "spo2": rng.randint(92, 100),
            "supplemental_oxygen": "false",
        }
        saved, _ = _step(
            results,
            "clinician: record vital signs",
            browser,
            "POST",
            f"/patients/{patient_id}/vitals/add/",
            vitals,
            expected=302,
        )
        if saved:
            with results.lock:
                results.vitals_acknowledged[encounter_id] += 1
        time.sleep(rng.uniform(*think))
        written += 1
        text = f"Load test note {number}-{written}: reviewed, plan unchanged."
        note = {"encounter": encounter_id, "kind": "progress", "text": text}
        saved, _ = _step(
            results,
            "clinician: write a note",
            browser,
            "POST",
            f"/patients/{patient_id}/notes/add/",
            note,
            expected=302,
        )
        if saved:
            with results.lock:
                results.notes_acknowledged.append(text)


def _front_desk(browser, mrns, results, deadline, think, number):
    rng = random.Random(1000 + number)
    registered = 0
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(*think))
        prefix = rng.choice(NAME_PREFIXES)
        _step(
            results,
            "front desk: search by name",
            browser,
            "GET",
            "/patients/?" + urlencode({"q": prefix}),
            expected=200,
        )
        time.sleep(rng.uniform(*think))
        mrn = rng.choice(mrns)
        _step(
            results,
            "front desk: search by exact MRN",
            browser,
            "GET",
            "/patients/?" + urlencode({"q": mrn}),
            expected=200,
        )
        time.sleep(rng.uniform(*think))
        registered += 1
        last_name = f"Loadtest{number:02d}x{registered}"
        # Spread over 60 years of birth dates and many given names, so that the duplicate
        # check seldom finds one test patient in another (it would show candidates first).
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
        form = {
            "first_name": rng.choice(LOAD_GIVEN_NAMES),
            "last_name": last_name,
            "date_of_birth": born.isoformat(),
            "sex": rng.choice("FM"),
        }
        saved, location = _step(
            results,
            "front desk: register a patient",
            browser,
            "POST",
            "/patients/register/",
            form,
            expected=302,
        )
        if saved:
            found = re.search(r"/patients/(\d+)/", location)
            with results.lock:
                results.registered.append((int(found.group(1)) if found else None, last_name))


LOAD_GIVEN_NAMES = [
    "Casey", "Robin", "Morgan", "Avery", "Jordan", "Quinn", "Rowan", "Sage", "Blair", "Emery",
    "Finley", "Harper", "Kendall", "Logan", "Marlowe", "Parker", "Reese", "Skyler", "Tatum",
    "Wren",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, *, workers: int, worker_class: str, threads: int, log=None):
    command = [
        sys.executable, "-m", "gunicorn", "phms.wsgi:application",
        "--config", str(ROOT / "docker" / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", worker_class, "--threads", str(threads),
        "--timeout", "60", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, stderr=log)
    for _ in range(300):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def worker_pids(server) -> list[int]:
    """The live workers of the gunicorn master `server`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:  # fields[1] is the parent's pid
            pids.append(int(entry.name))
    return pids


def server_cpu_seconds(server) -> float:
    """User + system CPU of the gunicorn master's live workers, in seconds."""
    total = 0
    for pid in worker_pids(server):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def run_load(port, doctors, desks, mrns, *, duration, ramp, think) -> Results:
    results = Results()
    deadline = time.monotonic() + ramp + duration
    threads = []
    for number, (user, visits) in enumerate(doctors):
        browser = Browser(port, _session_cookie(user))
        arguments = (browser, visits, results, deadline, think, number)
        threads.append(threading.Thread(target=_clinician, args=arguments))
    for number, user in enumerate(desks):
        browser = Browser(port, _session_cookie(user))
        arguments = (browser, mrns, results, deadline, think, number)
        threads.append(threading.Thread(target=_front_desk, args=arguments))
    random.Random(7).shuffle(threads)
    for thread in threads:
        thread.start()
        time.sleep(ramp / max(len(threads), 1))
    for thread in threads:
        thread.join()
    return results


def lost_writes(results: Results) -> dict:
    """Acknowledged writes looked up in both stores: (acknowledged, found) per kind."""
    from core import documents
    from patients.models import Patient, VitalSigns

    stored = Counter(
        VitalSigns.objects.filter(encounter_id__in=list(results.vitals_acknowledged))
        .values_list("encounter_id", flat=True)
        .order_by()
    )
    vitals_found = sum(
        min(stored[encounter_id], count)
        for encounter_id, count in results.vitals_acknowledged.items()
    )
    texts = set(results.notes_acknowledged)
    notes = documents.collection(documents.NOTES).find({"text": {"$regex": "^Load test note "}})
    notes_found = len(texts & {note["text"] for note in notes})
    ids = [patient_id for patient_id, _name in results.registered if patient_id is not None]
    names = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "last_name"))
    registered_found = sum(
        1 for patient_id, name in results.registered if names.get(patient_id) == name
    )
    return {
        "vital signs": (sum(results.vitals_acknowledged.values()), vitals_found),
        "notes": (len(results.notes_acknowledged), notes_found),
        "registrations": (len(results.registered), registered_found),
    }


def percentiles(timings: list[float]) -> tuple[float, float, float]:
    if len(timings) < 2:
        value = timings[0] if timings else float("nan")
        return value, value, value
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return statistics.median(timings), cuts[94], cuts[98]


def print_steps(results: Results) -> None:
    print(f"{'step':<36}{'count':>7}{'p50':>8}{'p95':>8}{'p99':>8}  (ms)")
    for name in sorted(results.latencies):
        p50, p95, p99 = percentiles(results.latencies[name])
        count = len(results.latencies[name])
        print(f"{name:<36}{count:>7}{p50:>8.0f}{p95:>8.0f}{p99:>8.0f}")


def print_errors(results: Results) -> None:
    if not results.errors:
        print("Errors: 0")
        return
    print(f"Errors: {sum(results.errors.values())}")
    for (name, status), count in results.errors.most_common():
        sample = results.error_samples[(name, status)].decode(errors="replace")
        sample = " ".join(sample.split())[:160]
        print(f"  {count:>5} x {status} on {name}: {sample}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=30_000)
    parser.add_argument("--clinicians", type=int, default=50)
    parser.add_argument("--desk", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120, help="seconds at full load")
    parser.add_argument("--ramp", type=float, default=10, help="seconds to start every user")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="6 users, 20 s, 500 patients")
    args = parser.parse_args()
    if args.smoke:
        args.patients, args.clinicians, args.desk = 500, 4, 2
        args.duration, args.ramp, args.think = 20, 2, (0.2, 0.6)

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="phms-load-") as tmp:
        label = _prepare_environment(Path(tmp))
        import django

        django.setup()
        from django.db import connection

        from patients.models import Patient

        seconds = seed_database(args.patients)
        collect_static()
        doctors, desks = load_personas(args.clinicians, args.desk)
        mrns = list(Patient.objects.order_by("?").values_list("mrn", flat=True)[:200])
        connection.close()  # the server's workers must not share this process's connection
        port = free_port()
        server = start_gunicorn(
            port, workers=args.workers, worker_class=args.worker_class, threads=args.threads
        )
        try:
            cpu_before = server_cpu_seconds(server)
            started = time.perf_counter()
            results = run_load(
                port,
                doctors,
                desks,
                mrns,
                duration=args.duration,
                ramp=args.ramp,
                think=tuple(args.think),
            )
            elapsed = time.perf_counter() - started
            cpu = server_cpu_seconds(server) - cpu_before
        finally:
            server.terminate()
            server.wait()
        writes = lost_writes(results)

        served = sum(len(timings) for timings in results.latencies.values())
        served += sum(results.errors.values())
        users = args.clinicians + args.desk
        print(
            f"Database: {label}; {Patient.objects.count():,} patients (seeded in {seconds:.0f} s)"
        )
        print(
            f"gunicorn: {args.workers} {args.worker_class} workers x {args.threads} threads; "
            f"{users} users ({args.clinicians} clinicians, {args.desk} front desk), think "
            f"{args.think[0]:g}-{args.think[1]:g} s, {elapsed:.0f} s"
        )
        print(f"Requests: {served} ({served / elapsed:.1f}/s)\n")
        print_steps(results)
        print()
        print_errors(results)
        lost = 0
        for kind, (acknowledged, found) in writes.items():
            lost += acknowledged - found
            print(f"Writes, {kind}: {acknowledged} acknowledged, {acknowledged - found} lost")
        cpu_per_request = cpu / served * 1000 if served else float("nan")
        print(f"Server CPU per request: {cpu_per_request:.1f} ms ({cpu:.1f} s CPU)")
        load_average = os.getloadavg()[0]
        print(f"Load average at the end: {load_average:.1f} on {os.cpu_count()} cores")

        clinician = [
            timing
            for name, timings in results.latencies.items()
            if name.startswith("clinician")
            for timing in timings
        ]
        p95 = percentiles(clinician)[1] if clinician else float("nan")
        print()
        verdict = "met" if p95 < CLINICIAN_STEP_TARGET_MS else "NOT met"
        print(f"Target clinician steps p95 < {CLINICIAN_STEP_TARGET_MS} ms: {verdict} ({p95:.0f})")
        verdict = "met" if cpu_per_request < CPU_PER_REQUEST_TARGET_MS else "NOT met"
        print(
            f"Target CPU per request < {CPU_PER_REQUEST_TARGET_MS} ms: {verdict} "
            f"({cpu_per_request:.1f})"
        )
        if label.startswith("MariaDB"):
            from pages import _recreate_mysql_database

            connection.close()
            _recreate_mysql_database(urlsplit(os.environ["DATABASE_URL"]), create=False)
        return 1 if results.errors or lost else 0


if __name__ == "__main__":
    sys.exit(main())
