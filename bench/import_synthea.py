"""Benchmark `manage.py import_synthea` on the sample and on a 20x enlarged copy.

Each copy of the sample gets fresh ids (every UUID is replaced by a deterministic
uuid5 of copy number + old id, the same everywhere, so references stay intact).
Each import runs in its own process on a fresh temporary SQLite database (and, when
DATABASE_URL points at MySQL/MariaDB, on a fresh temporary database there too), with
the embedded document store in a temporary folder. Prints rows/s and the process's
peak RSS; peak memory must not grow with the size of the export.
Run: .venv/bin/python bench/import_synthea.py [--sizes 1,20]
"""

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "synthea"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/data/synthea")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TARGET_ROWS_PER_SECOND = 5000
# Written to the document store (one insert_many per batch), timed apart from the SQL files.
DOCUMENT_FILES = {"careplans.csv", "immunizations.csv"}


def enlarge(source: Path, target: Path, copies: int) -> int:
    """Write `copies` copies of every CSV with fresh ids; returns the number of data rows."""
    target.mkdir(parents=True)
    rows = 0
    for path in sorted(source.glob("*.csv")):
        with (
            path.open(newline="", encoding="utf-8") as src,
            (target / path.name).open("w", newline="", encoding="utf-8") as out,
        ):
            reader = csv.reader(src)
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(next(reader))
            body = list(reader)  # one file of the 1x sample at a time: small
            for copy in range(copies):
                namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"synthea-bench-copy-{copy}")
                for row in body:
                    writer.writerow(
                        [str(uuid.uuid5(namespace, v)) if UUID.match(v) else v for v in row]
                    )
            rows += len(body) * copies
    return rows


def child(export: str, database_url: str, documents: str) -> None:
    """Runs in a fresh process: migrate, then import and print the figures as JSON."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="phms.settings",
        DATABASE_URL=database_url,
        DOCUMENT_STORE_DIR=documents,
        MONGO_URL="",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from interop.synthea.importer import import_export

    before = resource.getrusage(resource.RUSAGE_SELF)
    baseline = before.ru_maxrss
    started = time.perf_counter()
    stats = import_export(export, batch_size=1000, progress=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        json.dumps(
            {
                "rows": sum(s.read for s in stats),
                "rejected": sum(s.rejected for s in stats),
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "baseline_rss_mb": baseline / 1024,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "document_rows": sum(s.read for s in stats if s.name in DOCUMENT_FILES),
                "document_seconds": sum(s.elapsed for s in stats if s.name in DOCUMENT_FILES),
                "slowest": sorted(
                    ((s.name, round(s.elapsed, 2)) for s in stats), key=lambda x: -x[1]
                )[:4],
            }
        )
    )


def run(export: Path, database_url: str, workdir: Path) -> dict:
    env = {**os.environ, "DEBUG": "false"}
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(export), database_url, str(workdir / "docs")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def mysql_database(url: str, name: str, *, drop=False) -> str:
    import MySQLdb

    match = re.match(
        r"mysql://(?P<user>[^:@/]+)(:(?P<pw>[^@]*))?@(?P<host>[^:/]+)(:(?P<port>\d+))?/", url
    )
    connection = MySQLdb.connect(
        host=match["host"],
        port=int(match["port"] or 3306),
        user=match["user"],
        passwd=match["pw"] or "",
    )
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    if not drop:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    connection.close()
    return url[: url.rindex("/") + 1] + name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,20")
    parser.add_argument(
        "--tmp", default=None, help="folder for the temporary files (e.g. /dev/shm)"
    )
    args = parser.parse_args()
    backends = ["sqlite"]
    mysql_url = os.environ.get("DATABASE_URL", "")
    if mysql_url.startswith("mysql://"):
        backends.append("mysql")
    print(
        f"{'backend':8} {'size':>4} {'rows':>8} {'seconds':>8} {'rows/s':>8} "
        f"{'RSS before':>10} {'peak RSS':>9} {'rows/CPU-s':>12} {'SQL rows/s':>12}"
    )
    failures = []
    with tempfile.TemporaryDirectory(prefix="synthea-bench-", dir=args.tmp) as tmp:
        tmp = Path(tmp)
        for size in [int(s) for s in args.sizes.split(",")]:
            export = tmp / f"export-{size}x"
            enlarge(SAMPLE, export, size)
            for backend in backends:
                workdir = tmp / f"{backend}-{size}"
                workdir.mkdir()
                if backend == "sqlite":
                    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
                else:
                    url = mysql_database(mysql_url, f"phms_bench_{os.getpid()}_{size}")
                try:
                    figures = run(export, url, workdir)
                finally:
                    if backend == "mysql":
                        mysql_database(mysql_url, url.rsplit("/", 1)[1], drop=True)
                rate = figures["rows"] / figures["seconds"]
                cpu_rate = figures["rows"] / max(figures.get("cpu_seconds", 0), 1e-9)
                relational_rate = (figures["rows"] - figures["document_rows"]) / max(
                    figures["seconds"] - figures["document_seconds"], 1e-9
                )
                print(
                    f"{backend:8} {size:>3}x {figures['rows']:>8,} {figures['seconds']:>8.1f} "
                    f"{rate:>8,.0f} "
                    f"{figures['baseline_rss_mb']:>8.0f}MB {figures['peak_rss_mb']:>7.0f}MB"
                    f" {cpu_rate:>12,.0f} {relational_rate:>12,.0f}   slowest: {figures['slowest']}"
                )
                if figures["rejected"]:
                    failures.append(f"{backend} {size}x: {figures['rejected']} rows rejected")
                if backend == "sqlite" and rate < TARGET_ROWS_PER_SECOND:
                    # Reported, not fatal: wall-clock rates depend on the machine's load.
                    print(
                        f"BELOW TARGET: sqlite {size}x: {rate:,.0f} rows/s"
                        f" < {TARGET_ROWS_PER_SECOND:,}"
                    )
    for failure in failures:
        print("FAIL", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
