"""Synthea's FHIR R4 bundles into the same records as its CSV export.

Each resource becomes the row the CSV export has for it (same columns, same Synthea
ids), and that row goes through the CSV importer's mappers: the same checks, the same
idempotent keys, the same patients (a patient imported from CSV and from FHIR of one
Synthea run is one patient).
"""

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from core import documents
from interop.synthea import mappers
from interop.synthea.reader import RowError, SkipRow
from interop.synthea.summary import FileStats
from providers.models import HealthcareProvider, Nurse, Organization

from . import codes

# Resource type -> the CSV mapper its rows go through, in the order they must be written.
MAPPER_OF = {
    "Organization": mappers.OrganizationsMapper,
    "Practitioner": mappers.ProvidersMapper,
    "Patient": mappers.PatientsMapper,
    "Encounter": mappers.EncountersMapper,
    "AllergyIntolerance": mappers.AllergiesMapper,
    "Condition": mappers.ConditionsMapper,
    "Observation": mappers.ObservationsMapper,
    "MedicationRequest": mappers.MedicationsMapper,
    "Immunization": mappers.ImmunizationsMapper,
}
CLAIMS_FROM_CSV = "claims come from the CSV export's claims files; not imported from FHIR"
NOT_IMPORTED = {
    "Claim": CLAIMS_FROM_CSV,
    "ExplanationOfBenefit": CLAIMS_FROM_CSV,
    "Procedure": "procedures are billed through claims; not imported from FHIR",
    "CarePlan": "care plans are imported from the CSV export (careplans.csv) only",
    "CareTeam": "care teams follow the encounters' participants",
}
CLASS_OF = {
    "AMB": "ambulatory",
    "EMER": "emergency",
    "IMP": "inpatient",
    "ACUTE": "inpatient",
    "NONAC": "snf",
    "HH": "home",
    "VR": "virtual",
    "OBSENC": "outpatient",
    "PRENC": "ambulatory",
    "SS": "outpatient",
}
NPI = "http://hl7.org/fhir/sid/us-npi"
SSN = "http://hl7.org/fhir/sid/us-ssn"


class FhirContext:
    """What references resolve to across bundles: practitioners' NPIs -> Synthea ids."""

    def __init__(self):
        self.npi = {}


def _ref(value) -> str:
    """'urn:uuid:X', 'Patient/X', 'Organization?identifier=system|X' -> 'X'."""
    reference = (value or {}).get("reference", "") if isinstance(value, dict) else ""
    if "?identifier=" in reference:
        return reference.rsplit("|", 1)[-1]
    if reference.startswith("urn:uuid:"):
        return reference[len("urn:uuid:") :]
    return reference.rsplit("/", 1)[-1]


def _coding(concept) -> dict:
    codings = (concept or {}).get("coding") or [{}]
    return codings[0]


def _concept_text(concept) -> str:
    concept = concept or {}
    return concept.get("text") or _coding(concept).get("display", "")


def _utc(text: str | None) -> str:
    """A FHIR dateTime in the CSV export's form (UTC, `Z`); dates stay dates."""
    if not text:
        return ""
    if len(text) == 10:
        return text
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"bad dateTime {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(text: str | None) -> str:
    return _utc(text)[:10]


def _extension_text(resource, name: str) -> str:
    for extension in resource.get("extension", []):
        if extension.get("url", "").endswith(name):
            for inner in extension.get("extension", []):
                if inner.get("url") == "text":
                    return inner.get("valueString", "")
    return ""


def organization_rows(resource, fhir):
    identifier = next(
        (i["value"] for i in resource.get("identifier", []) if i.get("system") == codes.SYNTHEA),
        resource.get("id", ""),
    )
    address = (resource.get("address") or [{}])[0]
    phone = next(
        (t.get("value", "") for t in resource.get("telecom", []) if t.get("system") == "phone"), ""
    )
    return [
        {
            "Id": identifier,
            "NAME": resource.get("name", ""),
            "ADDRESS": " ".join(address.get("line", [])),
            "CITY": address.get("city", ""),
            "STATE": address.get("state", ""),
            "ZIP": address.get("postalCode", ""),
            "PHONE": phone,
        }
    ]


def practitioner_rows(resource, fhir):
    name = (resource.get("name") or [{}])[0]
    for identifier in resource.get("identifier", []):
        if identifier.get("system") == NPI:
            fhir.npi[identifier.get("value")] = resource.get("id", "")
    given = " ".join(name.get("given", []))
    gender = resource.get("gender", "")
    return [
        {
            "Id": resource.get("id", ""),
            "NAME": f"{given} {name.get('family', '')}".strip(),
            "GENDER": {"female": "F", "male": "M"}.get(gender, ""),
            "SPECIALITY": "",
            "ORGANIZATION": "",
        }
    ]


def patient_rows(resource, fhir):
    names = resource.get("name") or [{}]
    official = next((n for n in names if n.get("use") == "official"), names[0])
    maiden = next((n for n in names if n.get("use") == "maiden"), {})
    given = official.get("given", [])
    address = (resource.get("address") or [{}])[0]
    ssn = next(
        (i.get("value", "") for i in resource.get("identifier", []) if i.get("system") == SSN), ""
    )
    return [
        {
            "Id": resource.get("id", ""),
            "BIRTHDATE": resource.get("birthDate", ""),
            "DEATHDATE": _day(resource.get("deceasedDateTime")),
            "SSN": ssn,
            "PREFIX": " ".join(official.get("prefix", [])),
            "FIRST": given[0] if given else "",
            "MIDDLE": " ".join(given[1:]),
            "LAST": official.get("family", ""),
            "SUFFIX": " ".join(official.get("suffix", [])),
            "MAIDEN": maiden.get("family", ""),
            "MARITAL": _coding(resource.get("maritalStatus")).get("code", ""),
            "RACE": _extension_text(resource, "us-core-race"),
            "ETHNICITY": _extension_text(resource, "us-core-ethnicity"),
            "GENDER": {"female": "F", "male": "M"}.get(resource.get("gender", ""), ""),
            "ADDRESS": " ".join(address.get("line", [])),
            "CITY": address.get("city", ""),
            "STATE": address.get("state", ""),
            "COUNTY": address.get("district", ""),
            "ZIP": address.get("postalCode", ""),
        }
    ]


def encounter_rows(resource, fhir):
    participants = [_ref(p.get("individual")) for p in resource.get("participant", [])]
    provider = next((fhir.npi.get(p, p) for p in participants if p), "")
    encounter_type = (resource.get("type") or [{}])[0]
    reason = (resource.get("reasonCode") or [{}])[0]
    code = (resource.get("class") or {}).get("code", "")
    return [
        {
            "Id": resource.get("id", ""),
            "START": _utc((resource.get("period") or {}).get("start")),
            "STOP": _utc((resource.get("period") or {}).get("end")),
            "PATIENT": _ref(resource.get("subject")),
            "ORGANIZATION": _ref(resource.get("serviceProvider")),
            "PROVIDER": provider,
            "ENCOUNTERCLASS": CLASS_OF.get(code, code.lower()),
            "CODE": _coding(encounter_type).get("code", ""),
            "DESCRIPTION": _concept_text(encounter_type),
            "REASONCODE": _coding(reason).get("code", ""),
            "REASONDESCRIPTION": _concept_text(reason) if reason else "",
        }
    ]


def condition_rows(resource, fhir):
    coding = _coding(resource.get("code"))
    return [
        {
            "START": _day(resource.get("onsetDateTime") or resource.get("recordedDate")),
            "STOP": _day(resource.get("abatementDateTime")),
            "PATIENT": _ref(resource.get("subject")),
            "ENCOUNTER": _ref(resource.get("encounter")),
            "SYSTEM": "ICD-10" if "icd-10" in coding.get("system", "") else "SNOMED-CT",
            "CODE": coding.get("code", ""),
            "DESCRIPTION": _concept_text(resource.get("code")),
        }
    ]


def _observation_value(holder) -> tuple[str, str, str]:
    if "valueQuantity" in holder:
        quantity = holder["valueQuantity"]
        return (
            str(quantity.get("value", "")),
            quantity.get("unit") or quantity.get("code", ""),
            "numeric",
        )
    if "valueCodeableConcept" in holder:
        return _concept_text(holder["valueCodeableConcept"]), "", "text"
    if "valueString" in holder:
        return holder["valueString"], "", "text"
    return "", "", "text"


def observation_rows(resource, fhir):
    base = {
        "DATE": _utc(resource.get("effectiveDateTime") or resource.get("issued")),
        "PATIENT": _ref(resource.get("subject")),
        "ENCOUNTER": _ref(resource.get("encounter")),
        "CATEGORY": _coding((resource.get("category") or [{}])[0]).get("code", ""),
    }
    holders = resource.get("component") if "component" in resource else [resource]
    rows = []
    for holder in holders:
        value, unit, kind = _observation_value(holder)
        rows.append(
            base
            | {
                "CODE": _coding(holder.get("code")).get("code", ""),
                "DESCRIPTION": _concept_text(holder.get("code")),
                "VALUE": value,
                "UNITS": unit,
                "TYPE": kind,
            }
        )
    return rows


def medication_request_rows(resource, fhir):
    if "medicationCodeableConcept" not in resource:
        raise SkipRow("a MedicationRequest naming a Medication resource, not a code")
    medication = resource["medicationCodeableConcept"]
    reason = (resource.get("reasonCode") or [{}])[0]
    return [
        {
            "START": _utc(resource.get("authoredOn")),
            "STOP": "",
            "PATIENT": _ref(resource.get("subject")),
            "ENCOUNTER": _ref(resource.get("encounter")),
            "CODE": _coding(medication).get("code", ""),
            "DESCRIPTION": _concept_text(medication),
            "DISPENSES": "1",
            "REASONDESCRIPTION": _concept_text(reason) if reason else "",
        }
    ]


def allergy_rows(resource, fhir):
    code = resource.get("code")
    reaction = (resource.get("reaction") or [{}])[0]
    manifestation = (reaction.get("manifestation") or [{}])[0]
    system = _coding(code).get("system", "")
    resolved = _coding(resource.get("clinicalStatus")).get("code") == "resolved"
    return [
        {
            "START": _day(resource.get("onsetDateTime") or resource.get("recordedDate")),
            "STOP": _day(resource.get("lastOccurrence")) if resolved else "",
            "PATIENT": _ref(resource.get("patient")),
            "ENCOUNTER": _ref(resource.get("encounter")),
            "CODE": _coding(code).get("code", ""),
            "SYSTEM": "RxNorm" if "rxnorm" in system else "SNOMED-CT",
            "DESCRIPTION": _concept_text(code),
            "TYPE": resource.get("type", ""),
            "CATEGORY": (resource.get("category") or [""])[0],
            "DESCRIPTION1": _concept_text(manifestation) if reaction else "",
            "SEVERITY1": (reaction.get("severity") or "").upper(),
        }
    ]


def immunization_rows(resource, fhir):
    return [
        {
            "DATE": _utc(resource.get("occurrenceDateTime")),
            "PATIENT": _ref(resource.get("patient")),
            "ENCOUNTER": _ref(resource.get("encounter")),
            "CODE": _coding(resource.get("vaccineCode")).get("code", ""),
            "DESCRIPTION": _concept_text(resource.get("vaccineCode")),
        }
    ]


ROWS_OF = {
    "Organization": organization_rows,
    "Practitioner": practitioner_rows,
    "Patient": patient_rows,
    "Encounter": encounter_rows,
    "AllergyIntolerance": allergy_rows,
    "Condition": condition_rows,
    "Observation": observation_rows,
    "MedicationRequest": medication_request_rows,
    "Immunization": immunization_rows,
}


def bundle_files(path) -> list[Path]:
    """The JSON files to read: Synthea's hospital and practitioner bundles first."""
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return sorted(
        files, key=lambda f: (not f.name.startswith(("hospital", "practitioner")), f.name)
    )


class BundleImport:
    def __init__(self, report):
        self.report = report
        self.ctx = mappers.Context(has_claims=False)
        self.ctx.organizations = dict(
            Organization._base_manager.exclude(external_id=None).values_list("external_id", "pk")
        )
        nurses = set(Nurse._base_manager.values_list("pk", flat=True))
        self.ctx.providers = {
            external_id: (pk, pk in nurses)
            for external_id, pk in HealthcareProvider._base_manager.exclude(
                external_id=None
            ).values_list("external_id", "pk")
        }
        self.fhir = FhirContext()
        self.stats: dict[str, FileStats] = {}
        self.mappers = {}
        self.current_file = ""

    def stats_of(self, resource_type: str) -> FileStats:
        if resource_type not in self.stats:
            self.stats[resource_type] = FileStats(resource_type)
        return self.stats[resource_type]

    def mapper_of(self, resource_type: str):
        if resource_type not in self.mappers:
            stats = self.stats_of(resource_type)

            def reject(entry, reason, stats=stats):
                stats.rejected += 1
                self.report(f"{self.current_file}: entry {entry}: {reason}")

            self.mappers[resource_type] = MAPPER_OF[resource_type](self.ctx, stats, reject)
        return self.mappers[resource_type]

    def run(self, path) -> list[FileStats]:
        documents.ensure_indexes()
        for file in bundle_files(path):
            self.current_file = file.name
            self.import_file(file)
        for stats in self.stats.values():
            stats.finish()
        order = [*MAPPER_OF, *sorted(set(self.stats) - set(MAPPER_OF))]
        return [self.stats[name] for name in order if name in self.stats]

    def import_file(self, file: Path) -> None:
        try:
            bundle = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            stats = self.stats_of("Bundle")
            stats.read += 1
            stats.rejected += 1
            self.report(f"{file.name}: not a readable JSON file ({error})")
            return
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            stats = self.stats_of("Bundle")
            stats.read += 1
            stats.rejected += 1
            self.report(f"{file.name}: not a FHIR Bundle")
            return
        groups = defaultdict(list)
        for number, entry in enumerate(bundle.get("entry") or [], start=1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            resource_type = (resource or {}).get("resourceType") or "(no resource)"
            stats = self.stats_of(resource_type)
            if resource_type not in ROWS_OF:
                stats.read += 1
                if resource_type in NOT_IMPORTED:
                    stats.skip(NOT_IMPORTED[resource_type])
                else:
                    stats.skip(f"{resource_type} is not imported")
                continue
            try:
                rows = ROWS_OF[resource_type](resource, self.fhir)
            except (RowError, SkipRow) as error:
                stats.read += 1
                self._refuse(stats, number, error)
                continue
            for row in rows:
                stats.read += 1
                groups[resource_type].append((number, row))
        for resource_type in MAPPER_OF:
            self._write(resource_type, groups.get(resource_type, []))

    def _refuse(self, stats, number, error) -> None:
        if isinstance(error, SkipRow):
            stats.skip(str(error))
        else:
            stats.rejected += 1
            self.report(f"{self.current_file}: entry {number}: {error}")

    def _write(self, resource_type, rows) -> None:
        if not rows:
            return
        mapper = self.mapper_of(resource_type)
        stats = self.stats_of(resource_type)
        batch = []
        for number, row in rows:
            try:
                record = mapper.map_row(row)
            except (RowError, SkipRow) as error:
                self._refuse(stats, number, error)
                continue
            batch.append((number, record))
        if batch:
            mapper.flush(batch)


def import_bundles(path, *, report=None) -> list[FileStats]:
    """Import one bundle file or every *.json of a folder; `report(text)` gets each refusal."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return BundleImport(report or (lambda text: None)).run(path)
