"""Fault test: the database killed and restarted, and a gunicorn worker killed, under load.

    .venv/bin/python bench/faults.py [--patients 3000] [--clinicians 20] [--desk 10]
                                     [--down 3] [--duration 60]

Starts a MariaDB server of its own (a fresh data directory under a temp dir and a free
port; never the system one), seeds it, starts gunicorn and runs bench/load.py's personas.
A third of the way in, the database is killed (SIGKILL) and started again `--down`
seconds later; two thirds of the way in, one gunicorn worker is killed (SIGKILL) in the
middle of its work. Prints:

- what the users were answered while the database was down (a 503 page is the expected
  answer; a 500 or a dropped connection is not), and the tracebacks in the server's log;
- the recovery time: from the database accepting connections again to the first page
  the portal serves;
- every acknowledged write looked up afterwards (lost = acknowledged but not found), and
  every write the load made checked for its history row (a half-written record has none).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import load  # bench/load.py, beside this one

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "phms_bench_faults"


class OwnMariaDB:
    """A throw-away MariaDB server: its own data directory, socket and port."""

    def __init__(self, workdir: Path):
        self.datadir = workdir / "mariadb"
        self.port = load.free_port()
        self.process = None
        subprocess.run(
            [
                "mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}",
                "--user=root", "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            check=True, capture_output=True,
        )  # fmt: skip

    def start(self) -> float:
        """Start the server; returns the moment (monotonic) it accepts connections."""
        self.process = subprocess.Popen(
            [
                "mariadbd", "--no-defaults", f"--datadir={self.datadir}", "--user=root",
                f"--port={self.port}", "--bind-address=127.0.0.1",
                f"--socket={self.datadir / 'mariadb.sock'}",
                f"--pid-file={self.datadir / 'mariadb.pid'}",
                "--innodb-buffer-pool-size=256M", "--skip-log-bin", "--max-connections=200",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import MySQLdb

        for _ in range(600):
            try:
                MySQLdb.connect(host="127.0.0.1", port=self.port, user="root").close()
                return time.monotonic()
            except MySQLdb.OperationalError:
                time.sleep(0.05)
        raise RuntimeError("the bench's MariaDB did not start")

    def kill(self) -> float:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return time.monotonic()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


def _first_page_after(port: int, moment: float, timeout: float = 60) -> float | None:
    """The first moment after `moment` that /healthz answers 200 (polled every 50 ms)."""
    import http.client

    while time.monotonic() < moment + timeout:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.05)
    return None


def _half_written() -> dict:
    """Writes of the load without their "created" history row (each write is one
    transaction with its history, so there must be none)."""
    from patients.models import Patient, VitalSigns

    registered = Patient.objects.filter(last_name__startswith="Loadtest")
    vitals = VitalSigns.objects.filter(encounter__reason="Load test visit")
    return {
        "registrations": registered.exclude(
            pk__in=Patient.history.filter(history_type="+").values("id")
        ).count(),
        "vital signs": vitals.exclude(
            pk__in=VitalSigns.history.filter(history_type="+").values("id")
        ).count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--clinicians", type=int, default=20)
    parser.add_argument("--desk", type=int, default=10)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--down", type=float, default=3, help="seconds the database stays down")
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("mariadbd") or not shutil.which("mariadb-install-db"):
        print("bench/faults.py needs MariaDB's server binaries (apt-get install mariadb-server)")
        return 2

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="phms-faults-") as tmp:
        workdir = Path(tmp)
        database = OwnMariaDB(workdir)
        database.start()
        try:
            return _run(args, workdir, database)
        finally:
            database.stop()


def _run(args, workdir: Path, database: OwnMariaDB) -> int:
    os.environ["DATABASE_URL"] = f"mysql://root@127.0.0.1:{database.port}/{BENCH_DATABASE}"
    from pages import _prepare_environment  # bench/pages.py, beside this one

    label = _prepare_environment(workdir, name=BENCH_DATABASE)
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    import django

    django.setup()
    from django.db import connection

    from patients.models import Patient

    load.seed_database(args.patients)
    load.collect_static()
    doctors, desks = load.load_personas(args.clinicians, args.desk)
    mrns = list(Patient.objects.order_by("?").values_list("mrn", flat=True)[:200])
    connection.close()
    port = load.free_port()
    log_path = workdir / "gunicorn.log"
    moments = {}
    with log_path.open("w") as log:
        server = load.start_gunicorn(
            port, workers=args.workers, worker_class="sync", threads=1, log=log
        )

        def faults():
            time.sleep(args.duration / 3)
            moments["database killed"] = database.kill()
            time.sleep(args.down)
            moments["database back"] = database.start()
            moments["portal back"] = _first_page_after(port, moments["database back"])
            time.sleep(max(0.0, args.duration / 3 - args.down))
            worker = load.worker_pids(server)[0]
            os.kill(worker, signal.SIGKILL)
            moments["worker killed"] = time.monotonic()

        injector = threading.Thread(target=faults)
        try:
            injector.start()
            results = load.run_load(
                port, doctors, desks, mrns, duration=args.duration, ramp=2, think=(1.0, 3.0)
            )
            injector.join()
        finally:
            server.terminate()
            server.wait()
    connection.close()  # opened for the sessions, before the database was killed
    writes = load.lost_writes(results)
    half_written = _half_written()
    server_log = log_path.read_text()

    killed, back = moments["database killed"], moments["database back"]
    outage = Counter(status for at, _step, status in results.answers if killed <= at <= back + 1)
    worker_window = [
        status
        for at, _step, status in results.answers
        if moments["worker killed"] <= at <= moments["worker killed"] + 1
    ]
    print(f"Database: {label} (the bench's own server, port {database.port})")
    print(
        f"{args.clinicians + args.desk} users, {args.duration:.0f} s; database killed at "
        f"{args.duration / 3:.0f} s and started {back - killed:.1f} s later\n"
    )
    print("Answers while the database was down (and the second after):")
    for status, count in sorted(outage.items(), key=lambda item: str(item[0])):
        print(f"  {status}: {count}")
    portal_back = moments["portal back"]
    if portal_back is None:
        print("Recovery: the portal did not serve a page within 60 s of the database")
    else:
        print(f"Recovery: first page {(portal_back - back) * 1000:.0f} ms after the database")
    print(f"Tracebacks in the server's log: {server_log.count('Traceback')}")
    print(f"'Database unavailable' warnings in the log: {server_log.count('Database unavailable')}")
    print(f"\nWorker killed: {Counter(worker_window)} answered in the second after")
    print()
    load.print_steps(results)
    print()
    load.print_errors(results)
    lost = 0
    for kind, (acknowledged, found) in writes.items():
        lost += acknowledged - found
        print(f"Writes, {kind}: {acknowledged} acknowledged, {acknowledged - found} lost")
    for kind, count in half_written.items():
        print(f"Half-written {kind} (no history row): {count}")
    bare_500 = outage.get(500, 0)
    print()
    print(
        f"Target a 503 page, not a 500, during the outage: "
        f"{'met' if not bare_500 else 'NOT met'} ({outage.get(503, 0)} x 503, {bare_500} x 500)"
    )
    verdict = "met" if "Traceback" not in server_log else "NOT met"
    print(f"Target no traceback for the outage: {verdict}")
    print(f"Target 0 acknowledged writes lost: {'met' if not lost else 'NOT met'} ({lost})")
    return 1 if lost or bare_500 or any(half_written.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
