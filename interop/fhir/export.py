"""Bulk export: every patient's record as NDJSON, one file per resource type.

Patients are read in chunks, each type's rows of a chunk in one query, so memory stays
flat whatever the number of patients.
"""

import json
from collections import Counter
from pathlib import Path

from patients.models import Patient

from . import resources, selectors
from .types import PATIENT_COMPARTMENT, RESOURCE_TYPES

EXPORT_TYPES = ("Patient", *PATIENT_COMPARTMENT, "Practitioner")
PATIENTS_PER_CHUNK = 500


def export_ndjson(directory, *, types=EXPORT_TYPES, on_progress=None) -> Counter:
    """Write `<Type>.ndjson` for each type into `directory`; returns resources per type.

    `on_progress(done, total)` is called after each chunk of patients (it may raise to stop).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts = Counter()
    files = {name: (directory / f"{name}.ndjson").open("w", encoding="utf-8") for name in types}
    try:
        patient_pks = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
        per_patient = [name for name in types if name != "Practitioner"]
        for start in range(0, len(patient_pks), PATIENTS_PER_CHUNK):
            chunk = patient_pks[start : start + PATIENTS_PER_CHUNK]
            for name in per_patient:
                for resource in RESOURCE_TYPES[name].resources_of_patients(chunk):
                    _write(files[name], resource)
                    counts[name] += 1
            if on_progress:
                on_progress(min(start + PATIENTS_PER_CHUNK, len(patient_pks)), len(patient_pks))
        if "Practitioner" in files:
            for provider in selectors.practitioners().iterator(chunk_size=2000):
                _write(files["Practitioner"], resources.practitioner_resource(provider))
                counts["Practitioner"] += 1
        if on_progress and not patient_pks:
            on_progress(0, 0)
    finally:
        for handle in files.values():
            handle.close()
    return counts


def _write(handle, resource: dict) -> None:
    handle.write(json.dumps(resource, separators=(",", ":")))
    handle.write("\n")
