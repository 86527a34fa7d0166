"""Benchmark the registration duplicate check as the patient table grows.

Fills a throw-away database with synthetic patients (Faker names, seeded) to 1,000,
10,000 and 100,000 and, at each size, times `duplicate_candidates` (the check the
registration page runs) for identities typed with a typo of a patient on file and for
new people. Prints p50/p95, how often the typo found its patient, and the target: p50
under 100 ms at 100,000 patients. Also times `find_duplicates` over the whole table.

Run: .venv/bin/python bench/duplicates.py [--sizes 1000 10000 100000]
     [--database-url mysql://root@127.0.0.1:3306/phms_bench_dup]  (an empty database)
"""

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P50_MS = 100
TARGET_SIZE = 100_000
PROBES = 200
PLANTED = 50
BATCH = 5000


def configure(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(DJANGO_SETTINGS_MODULE="phms.settings", DATABASE_URL=database_url)
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    import django

    django.setup()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def add_patients(fake, rng, start: int, count: int) -> None:
    from patients.models import Patient
    from patients.mrn import mrn_for_serial

    for first in range(start, start + count, BATCH):
        rows = []
        for serial in range(first, min(first + BATCH, start + count)):
            sex = rng.choice("FM")
            patient = Patient(
                mrn=mrn_for_serial(serial + 1),
                first_name=fake.first_name_female() if sex == "F" else fake.first_name_male(),
                last_name=fake.last_name(),
                date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(33_000)),
                sex=sex,
                phone=f"617-555-{rng.randrange(10_000):04d}",
                postal_code=f"02{rng.randrange(1000):03d}",
                ssn_last4=f"{rng.randrange(10_000):04d}",
            )
            patient.refresh_match_keys()
            rows.append(patient)
        Patient.objects.bulk_create(rows)


def typo(name: str, rng) -> str:
    if len(name) < 3:
        return name + "e"
    at = rng.randrange(1, len(name) - 1)
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]  # two letters swapped


def probes(fake, rng):
    """(identity, the patient it was typed from or None) pairs."""
    from patients.matching import Identity
    from patients.models import Patient

    ids = list(Patient.objects.values_list("pk", flat=True))
    typed = []
    for patient in Patient.objects.filter(pk__in=rng.sample(ids, PROBES // 2)):
        identity = Identity(
            first_name=patient.first_name,
            last_name=typo(patient.last_name, rng),
            date_of_birth=patient.date_of_birth,
            sex=patient.sex,
        )
        typed.append((identity, patient.pk))
    new = [
        (
            Identity(
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(33_000)),
                sex=rng.choice("FM"),
            ),
            None,
        )
        for _ in range(PROBES // 2)
    ]
    return typed + new


def plant_duplicates(rng, held: int) -> set[tuple[int, int]]:
    """Second records of PLANTED patients, with a typo in the family name and the same
    birth date, sex and phone: what a rushed registration leaves behind."""
    from patients.models import Patient
    from patients.mrn import mrn_for_serial

    originals = Patient.objects.filter(
        pk__in=rng.sample(list(Patient.objects.values_list("pk", flat=True)), PLANTED)
    )
    pairs = set()
    for offset, original in enumerate(originals):
        copy = Patient(
            mrn=mrn_for_serial(held + offset + 1),
            first_name=original.first_name,
            last_name=typo(original.last_name, rng),
            date_of_birth=original.date_of_birth,
            sex=original.sex,
            phone=original.phone,
        )
        copy.save()
        pairs.add((original.pk, copy.pk))
    return pairs


def measure(size: int, fake, rng) -> dict:
    from patients.duplicates import duplicate_candidates
    from patients.models import Patient

    timings, found, typed = [], 0, 0
    scope = Patient.objects.all()
    for identity, source in probes(fake, rng):
        started = time.perf_counter()
        candidates = duplicate_candidates(identity, patients=scope)
        timings.append((time.perf_counter() - started) * 1000)
        if source is not None:
            typed += 1
            found += any(c.patient.pk == source for c in candidates)
    return {
        "size": size,
        "p50": percentile(timings, 0.5),
        "p95": percentile(timings, 0.95),
        "recall": found / typed if typed else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, TARGET_SIZE])
    parser.add_argument("--database-url", help="an empty database (default: a temporary SQLite)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="phms-bench-dup-"))
    configure(args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}")

    from django.core.management import call_command
    from django.db import connection
    from faker import Faker

    from patients.duplicates import likely_duplicate_pairs

    call_command("migrate", verbosity=0)
    fake, rng = Faker("en_US"), random.Random(20261208)
    fake.seed_instance(20261208)
    print(f"database: {connection.vendor}; {PROBES} checks per size ({PROBES // 2} typos)")
    results, held = [], 0
    for size in sorted(args.sizes):
        started = time.perf_counter()
        add_patients(fake, rng, held, size - held)
        held = size
        filled = time.perf_counter() - started
        result = measure(size, fake, rng)
        results.append(result)
        print(
            f"{size:>9,} patients (filled in {filled:5.1f} s): check p50 {result['p50']:6.1f} ms"
            f"  p95 {result['p95']:6.1f} ms  typos found {result['recall']:.0%}"
        )
    planted = plant_duplicates(rng, held)
    started = time.perf_counter()
    pairs = likely_duplicate_pairs()
    listed = {(min(p.first.pk, p.second.pk), max(p.first.pk, p.second.pk)) for p in pairs}
    print(
        f"find_duplicates over {held + PLANTED:,} patients: {time.perf_counter() - started:.1f} s,"
        f" {len(pairs)} pairs scoring 55 or more; {len(planted & listed)} of the {PLANTED}"
        " planted duplicates among them"
    )
    if len(results) > 1:
        print(f"p50 ratio {results[-1]['size']:,} / {results[0]['size']:,}: "
              f"{results[-1]['p50'] / results[0]['p50']:.2f}x")  # fmt: skip
    at_target = next((r for r in results if r["size"] == TARGET_SIZE), None)
    if at_target is not None:
        met = at_target["p50"] < TARGET_P50_MS
        print(
            f"target: check p50 < {TARGET_P50_MS} ms at {TARGET_SIZE:,} patients: "
            f"{at_target['p50']:.1f} ms, {'met' if met else 'NOT MET'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
