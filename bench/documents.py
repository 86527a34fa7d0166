"""Benchmark the document API on the embedded store.

10,000 patients x 10 notes + 5 vaccination events each, written straight into a
throw-away store (and a throw-away SQLite database holding only the patient rows the
soft-delete filter needs). Prints p50/p95 of one note written through the API
(`note_create`, with and without an external id) when the store holds 1,000, 10,000 and
100,000 notes, of the per-patient reads and of keyword searches across all notes.
Run: .venv/bin/python bench/documents.py
"""

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PATIENTS = 10_000
NOTES_PER_PATIENT = 10
VACCINATIONS_PER_PATIENT = 5
READ_SAMPLES = 200
SEARCH_SAMPLES = 10
TARGET_READ_P95_MS = 20
TARGET_SEARCH_MS = 1000
TARGET_WRITE_P50_MS = 20
WRITE_SAMPLES = 30
WRITE_CHECKPOINTS = (1_000, 10_000, 100_000)

WORDS = [
    "patient", "reports", "mild", "headache", "fever", "resolved", "ambulating", "tolerating",
    "diet", "blood", "pressure", "stable", "wound", "clean", "dry", "intact", "plan", "continue",
    "current", "medication", "follow", "weeks", "denies", "chest", "pain", "shortness", "breath",
    "nausea",
]
VACCINES = [("Influenza, seasonal", "140"), ("COVID-19 mRNA", "208"), ("Td (adult)", "113"),
            ("Hep B, adult", "43"), ("Pneumococcal conjugate PCV 13", "133")]


def configure(workdir: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="phms.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DOCUMENT_STORE_DIR=str(workdir / "documents"),
        MONGO_URL="",
    )
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    import django

    django.setup()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def note_writes(patient, stored: int, rows: list) -> None:
    """Time notes written through the API into a store that holds `stored` notes."""
    from patients.notes import note_create

    typed = [
        timed(lambda: note_create(patient=patient, author=None, kind="progress", text="Stable."))
        for _ in range(WRITE_SAMPLES)
    ]
    imported = [
        timed(lambda n=n: note_create(patient=patient, author=None, kind="progress",
                                      text="Imported.", external_id=f"bench-{stored}-{n}"))
        for n in range(WRITE_SAMPLES)
    ]  # fmt: skip
    rows.append((f"note write at {stored:,} notes", typed))
    rows.append((f"imported note write at {stored:,} notes", imported))


def seed(rng: random.Random, write_rows: list) -> list[int]:
    from django.core.management import call_command

    from core import documents
    from patients.models import Patient

    call_command("migrate", verbosity=0)
    Patient.objects.bulk_create(
        Patient(mrn=f"B{n:06d}", first_name="Bench", last_name=f"P{n}", sex="MF"[n % 2],
                date_of_birth=date(1950 + n % 60, 1 + n % 12, 1 + n % 28))
        for n in range(PATIENTS)
    )
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    documents.ensure_indexes()
    base = datetime(2020, 1, 1, tzinfo=UTC)
    notes = documents.collection(documents.NOTES)

    def note(patient_id, text, created_at):
        return {"patient_id": patient_id, "encounter_id": None, "author_id": None,
                "author_name": "Bench", "kind": "progress", "text": text, "original_text": text,
                "tags": [], "amendments": [], "created_at": created_at}

    pending = []
    for patient_id in patient_ids:
        for n in range(NOTES_PER_PATIENT):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 80)))
            when = base + timedelta(days=n * 30, minutes=rng.randint(0, 10_000))
            pending.append(note(patient_id, text, when))
    writer = Patient.objects.create(mrn="BWRITER", first_name="Bench", last_name="Writer",
                                    sex="F", date_of_birth=date(1970, 1, 1))
    stored = 0
    for checkpoint in WRITE_CHECKPOINTS:
        while stored < min(checkpoint, len(pending)):
            batch = pending[stored : min(checkpoint, stored + 10_000)]
            notes.insert_many(batch)
            stored += len(batch)
        note_writes(writer, stored, write_rows)
    # A handful of notes carry a rare word, so one search has to scan everything.
    notes.insert_many([note(patient_id, "Zoster vaccine discussed; patient declined", base)
                       for patient_id in rng.sample(patient_ids, 5)])
    vaccinations = documents.collection(documents.VACCINATIONS)
    vaccinations.insert_many([
        {"patient_id": patient_id, "version": 1, "events": [
            {"id": f"{patient_id}-{n}", "vaccine": name, "cvx_code": cvx, "dose_number": 1,
             "date": (date(2015, 1, 1) + timedelta(days=400 * n)).isoformat(), "lot": "L",
             "site": "", "status": "completed", "administered_by": "", "corrections": [],
             "recorded_at": base, "deleted_at": None}
            for n, (name, cvx) in enumerate(VACCINES[:VACCINATIONS_PER_PATIENT])
        ]}
        for patient_id in patient_ids
    ])
    return patient_ids


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="phms-bench-") as workdir:
        configure(Path(workdir))
        from patients.document_selectors import patients_with_pain_symptoms
        from patients.notes import notes_for_patient, notes_search
        from patients.vaccinations import vaccinations_for_patient

        rng = random.Random(1)
        started = time.perf_counter()
        write_rows = []
        patient_ids = seed(rng, write_rows)
        print(f"seeded {len(patient_ids):,} patients, {len(patient_ids) * NOTES_PER_PATIENT:,} "
              f"notes, {len(patient_ids) * VACCINATIONS_PER_PATIENT:,} vaccination events "
              f"in {time.perf_counter() - started:.1f}s (embedded store)")

        sample = rng.sample(patient_ids, READ_SAMPLES)
        assert len(notes_for_patient(sample[0])) == NOTES_PER_PATIENT
        assert len(vaccinations_for_patient(sample[0])) == VACCINATIONS_PER_PATIENT
        results = {
            "notes for one patient": [timed(lambda p=p: notes_for_patient(p)) for p in sample],
            "vaccinations for one patient": [
                timed(lambda p=p: vaccinations_for_patient(p)) for p in sample
            ],
            "keyword search, common word (100 newest)": [
                timed(lambda w=w: notes_search(w)) for w in rng.sample(WORDS, SEARCH_SAMPLES)
            ],
            "keyword search, rare word (scans all)": [
                timed(lambda: notes_search("zoster")) for _ in range(SEARCH_SAMPLES)
            ],
            "pattern search, chest\\s+pain (100 newest)": [
                timed(lambda: notes_search(r"chest\s+pain", mode="pattern"))
                for _ in range(SEARCH_SAMPLES // 2)
            ],
            "pain selector (patient ids from all notes)": [
                timed(lambda: list(patients_with_pain_symptoms().values_list("pk", flat=True)))
                for _ in range(SEARCH_SAMPLES // 2)
            ],
        }
        from patients.models import Patient
        from patients.vaccinations import vaccination_record

        def add_event(patient):
            vaccination_record(patient=patient, vaccine="Influenza, seasonal", cvx_code="140",
                               dose_number=2, date=date(2025, 10, 1))  # fmt: skip

        write_rows.append((
            f"vaccination event added ({len(patient_ids):,} documents)",
            [timed(lambda p=p: add_event(p))
             for p in Patient.objects.filter(pk__in=sample[:WRITE_SAMPLES])],
        ))  # fmt: skip
        assert len(notes_search("zoster")) == 5
        failed = False
        print(f"{'operation':47} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}  target")
        for name, samples in write_rows:
            p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
            verdict = "ok" if p50 < TARGET_WRITE_P50_MS else "MISSED"
            failed |= verdict != "ok"
            target = f"p50 < {TARGET_WRITE_P50_MS} ms"
            print(f"{name:47} {len(samples):4} {p50:9.1f} {p95:9.1f}  {target} {verdict}")
        for name, samples in results.items():
            p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
            target = TARGET_READ_P95_MS if "one patient" in name else TARGET_SEARCH_MS
            verdict = "ok" if p95 < target else "MISSED"
            failed |= verdict != "ok"
            print(f"{name:47} {len(samples):4} {p50:9.1f} {p95:9.1f}  p95 < {target} ms {verdict}")
        print(f"total {time.perf_counter() - started:.1f}s")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
