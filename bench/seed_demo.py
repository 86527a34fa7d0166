"""Benchmark: seed the demo hospital into a fresh SQLite file and print the figures.

    .venv/bin/python bench/seed_demo.py [--patients 10000] [--seed 1]

Targets: 10,000 patients in under 2 minutes; 100,000 within 5 minutes, with memory flat
(the peak resident size is printed: on SQLite it includes the 256 MB page cache the seed
allows itself, so it levels off once the database outgrows that).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = {10_000: 120, 100_000: 300}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="phms-bench-")
    os.environ["PHMS_VAR_DIR"] = workdir
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phms.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    from demo.hospital import demo_seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started

    started, cpu_started = time.perf_counter(), time.process_time()
    summary = demo_seed(patients=args.patients, seed=args.seed)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    print(f"database      {os.environ['DATABASE_URL']}")
    print(f"migrate       {migrated:.1f} s")
    print(f"patients      {args.patients} (seed {args.seed})")
    target = TARGET_SECONDS.get(args.patients)
    print(f"elapsed       {elapsed:.1f} s" + (f" (target < {target} s)" if target else ""))
    print(f"cpu           {cpu:.1f} s (this process; wall time grows when the machine is busy)")
    print(f"load average  {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"rate          {args.patients / elapsed:.0f} patients/s")
    total = 0
    for label, count in sorted(summary.created.items()):
        print(f"  {label:<28} {count:>9}")
        total += count
    print(f"  {'rows (without history)':<28} {total:>9}")
    size = Path(workdir, "bench.sqlite3").stat().st_size
    print(f"database size {size / 1e6:.0f} MB")
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(f"peak RSS      {peak / 1024:.0f} MiB")
    return 0 if target is None or elapsed < target else 1


if __name__ == "__main__":
    sys.exit(main())
