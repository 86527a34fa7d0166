"""Synthea-shaped FHIR R4 bundles written from the sample CSV export, for the import tests.

Shaped as Synthea's R4 exporter writes them: a transaction bundle per patient with
`urn:uuid:` full URLs, conditional references to practitioners (by NPI) and organizations
(by Synthea id), blood pressure as one panel with two components, and resources PHMS does
not import (Claim, ExplanationOfBenefit, Procedure). Ids are the CSV export's, as in one
Synthea run.
"""

import datetime as dt

from interop.tests.test_import_synthea import SAMPLE, read_csv

SYNTHEA = "https://github.com/synthetichealth/synthea"
NPI = "http://hl7.org/fhir/sid/us-npi"
CLASS = {
    "ambulatory": "AMB",
    "wellness": "AMB",
    "outpatient": "AMB",
    "urgentcare": "AMB",
    "emergency": "EMER",
    "inpatient": "IMP",
    "home": "HH",
    "virtual": "VR",
    "snf": "NONAC",
}


def local(text: str) -> str:
    """A CSV UTC timestamp as Synthea's FHIR writes it: with a local offset (-05:00)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()


def entry(resource: dict) -> dict:
    return {
        "fullUrl": f"urn:uuid:{resource['id']}",
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def concept(system, code, display):
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def npi_of(provider_id: str) -> str:
    return str(9_999_000_000 + int(provider_id.replace("-", "")[:6], 16) % 1_000_000)


def practitioner_bundle(provider_ids) -> dict:
    providers = {p["Id"]: p for p in read_csv(SAMPLE, "providers.csv")}
    entries = []
    for provider_id in sorted(provider_ids):
        row = providers[provider_id]
        given, _, family = row["NAME"].partition(" ")
        entries.append(
            entry(
                {
                    "resourceType": "Practitioner",
                    "id": provider_id,
                    "identifier": [{"system": NPI, "value": npi_of(provider_id)}],
                    "name": [{"family": family, "given": [given], "prefix": ["Dr."]}],
                    "gender": {"F": "female", "M": "male"}[row["GENDER"]],
                }
            )
        )
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}


def hospital_bundle(organization_ids) -> dict:
    organizations = {o["Id"]: o for o in read_csv(SAMPLE, "organizations.csv")}
    entries = [
        entry(
            {
                "resourceType": "Organization",
                "id": org_id,
                "identifier": [{"system": SYNTHEA, "value": org_id}],
                "name": organizations[org_id]["NAME"],
                "address": [
                    {
                        "line": [organizations[org_id]["ADDRESS"]],
                        "city": organizations[org_id]["CITY"],
                        "state": organizations[org_id]["STATE"],
                        "postalCode": organizations[org_id]["ZIP"],
                    }
                ],
            }
        )
        for org_id in sorted(organization_ids)
    ]
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}


def patient_bundle(patient_id: str) -> dict:
    mine = lambda name: [r for r in read_csv(SAMPLE, name) if r["PATIENT"] == patient_id]  # noqa: E731
    row = next(p for p in read_csv(SAMPLE, "patients.csv") if p["Id"] == patient_id)
    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                "extension": [{"url": "text", "valueString": row["RACE"]}],
            },
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity",
                "extension": [{"url": "text", "valueString": row["ETHNICITY"]}],
            },
        ],  # fmt: skip
        "identifier": [
            {"system": SYNTHEA, "value": patient_id},
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": row["SSN"]},
        ],
        "name": [
            {
                "use": "official",
                "family": row["LAST"],
                "given": [row["FIRST"]],
                "prefix": [row["PREFIX"]] if row["PREFIX"] else [],
            },
        ],  # fmt: skip
        "gender": {"F": "female", "M": "male"}[row["GENDER"]],
        "birthDate": row["BIRTHDATE"],
        "address": [
            {
                "line": [row["ADDRESS"]],
                "city": row["CITY"],
                "state": row["STATE"],
                "district": row["COUNTY"],
                "postalCode": row["ZIP"],
            },
        ],  # fmt: skip
        "maritalStatus": {"coding": [{"code": row["MARITAL"]}]} if row["MARITAL"] else {},
    }
    entries = [entry(patient)]
    for e in mine("encounters.csv"):
        encounter = {
            "resourceType": "Encounter",
            "id": e["Id"],
            "status": "finished",
            "class": {"code": CLASS[e["ENCOUNTERCLASS"]]},
            "type": [concept("http://snomed.info/sct", e["CODE"], e["DESCRIPTION"])],
            "subject": {"reference": f"urn:uuid:{patient_id}"},
            "participant": [
                {
                    "individual": {
                        "reference": f"Practitioner?identifier={NPI}|{npi_of(e['PROVIDER'])}"
                    }
                }
            ],
            "period": {"start": local(e["START"]), "end": local(e["STOP"])},
            "serviceProvider": {
                "reference": f"Organization?identifier={SYNTHEA}|{e['ORGANIZATION']}"
            },
        }
        if e["REASONCODE"]:
            encounter["reasonCode"] = [
                concept("http://snomed.info/sct", e["REASONCODE"], e["REASONDESCRIPTION"])
            ]
        entries.append(entry(encounter))
    for number, c in enumerate(mine("conditions.csv")):
        resource = {
            "resourceType": "Condition",
            "id": f"condition-{number}",
            "clinicalStatus": {"coding": [{"code": "resolved" if c["STOP"] else "active"}]},
            "code": concept("http://snomed.info/sct", c["CODE"], c["DESCRIPTION"]),
            "subject": {"reference": f"urn:uuid:{patient_id}"},
            "encounter": {"reference": f"urn:uuid:{c['ENCOUNTER']}"},
            "onsetDateTime": c["START"],
        }
        if c["STOP"]:
            resource["abatementDateTime"] = c["STOP"]
        entries.append(entry(resource))
    observations = mine("observations.csv")
    pressures = {}
    for number, o in enumerate(observations):
        if o["CODE"] in ("8480-6", "8462-4"):
            pressures.setdefault((o["ENCOUNTER"], o["DATE"]), {})[o["CODE"]] = o
            continue
        resource = {
            "resourceType": "Observation",
            "id": f"observation-{number}",
            "status": "final",
            "category": [{"coding": [{"code": o["CATEGORY"]}]}] if o["CATEGORY"] else [],
            "code": concept("http://loinc.org", o["CODE"], o["DESCRIPTION"]),
            "subject": {"reference": f"urn:uuid:{patient_id}"},
            "effectiveDateTime": local(o["DATE"]),
        }
        if o["ENCOUNTER"]:
            resource["encounter"] = {"reference": f"urn:uuid:{o['ENCOUNTER']}"}
        if o["TYPE"] == "numeric":
            resource["valueQuantity"] = {"value": float(o["VALUE"]), "unit": o["UNITS"]}
        else:
            resource["valueCodeableConcept"] = {"text": o["VALUE"]}
        entries.append(entry(resource))
    for number, ((encounter_id, date), parts) in enumerate(sorted(pressures.items())):
        entries.append(
            entry(
                {
                    "resourceType": "Observation",
                    "id": f"blood-pressure-{number}",
                    "status": "final",
                    "category": [{"coding": [{"code": "vital-signs"}]}],
                    "code": concept("http://loinc.org", "85354-9", "Blood pressure panel"),
                    "subject": {"reference": f"urn:uuid:{patient_id}"},
                    "encounter": {"reference": f"urn:uuid:{encounter_id}"},
                    "effectiveDateTime": local(date),
                    "component": [
                        {
                            "code": concept("http://loinc.org", code, part["DESCRIPTION"]),
                            "valueQuantity": {"value": float(part["VALUE"]), "unit": "mm[Hg]"},
                        }
                        for code, part in sorted(parts.items(), reverse=True)
                    ],
                }
            )
        )
    for number, m in enumerate(mine("medications.csv")):
        entries.append(
            entry(
                {
                    "resourceType": "MedicationRequest",
                    "id": f"medication-{number}",
                    "status": "stopped" if m["STOP"] else "active",
                    "intent": "order",
                    "medicationCodeableConcept": concept(
                        "http://www.nlm.nih.gov/research/umls/rxnorm", m["CODE"], m["DESCRIPTION"]
                    ),
                    "subject": {"reference": f"urn:uuid:{patient_id}"},
                    "encounter": {"reference": f"urn:uuid:{m['ENCOUNTER']}"},
                    "authoredOn": local(m["START"]),
                }
            )
        )
    for number, i in enumerate(mine("immunizations.csv")):
        entries.append(
            entry(
                {
                    "resourceType": "Immunization",
                    "id": f"immunization-{number}",
                    "status": "completed",
                    "vaccineCode": concept(
                        "http://hl7.org/fhir/sid/cvx", i["CODE"], i["DESCRIPTION"]
                    ),
                    "patient": {"reference": f"urn:uuid:{patient_id}"},
                    "encounter": {"reference": f"urn:uuid:{i['ENCOUNTER']}"},
                    "occurrenceDateTime": local(i["DATE"]),
                    "primarySource": True,
                }
            )
        )
    for number, a in enumerate(mine("allergies.csv")):
        entries.append(
            entry(
                {
                    "resourceType": "AllergyIntolerance",
                    "id": f"allergy-{number}",
                    "clinicalStatus": {"coding": [{"code": "active"}]},
                    "type": a["TYPE"],
                    "category": [a["CATEGORY"]] if a["CATEGORY"] else [],
                    "code": concept("http://snomed.info/sct", a["CODE"], a["DESCRIPTION"]),
                    "patient": {"reference": f"urn:uuid:{patient_id}"},
                    "encounter": {"reference": f"urn:uuid:{a['ENCOUNTER']}"},
                    "recordedDate": a["START"],
                }
            )
        )
    for kind in ("Claim", "ExplanationOfBenefit", "Procedure"):
        entries.append(entry({"resourceType": kind, "id": f"{kind.lower()}-0"}))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def write_run(directory, patient_id) -> None:
    """A Synthea fhir/ folder for one patient: the patient's bundle and the shared ones."""
    import json

    encounters = [e for e in read_csv(SAMPLE, "encounters.csv") if e["PATIENT"] == patient_id]
    directory.mkdir(parents=True, exist_ok=True)
    bundles = {
        f"{patient_id}.json": patient_bundle(patient_id),
        "hospitalInformation1.json": hospital_bundle({e["ORGANIZATION"] for e in encounters}),
        "practitionerInformation1.json": practitioner_bundle({e["PROVIDER"] for e in encounters}),
    }
    for name, bundle in bundles.items():
        (directory / name).write_text(json.dumps(bundle, indent=1), encoding="utf-8")
