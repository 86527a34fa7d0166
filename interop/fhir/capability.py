"""The CapabilityStatement: what this server reads, searches and exports."""

from django.utils import timezone

from . import codes
from .resources import R4_VERSION, validated
from .types import RESOURCE_TYPES

SEARCH_TYPES = {"token": "token", "date": "date", "reference": "reference", "string": "string"}


def capability_statement(base_url: str) -> dict:
    resources = []
    for resource_type in RESOURCE_TYPES.values():
        entry = {
            "type": resource_type.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {
                    "name": name,
                    "type": SEARCH_TYPES[param.kind],
                    **({"documentation": param.documentation} if param.documentation else {}),
                }
                for name, param in resource_type.params.items()
            ],
        }
        if resource_type.profile:
            entry["supportedProfile"] = [codes.US_CORE + resource_type.profile]
        if resource_type.name == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": timezone.now().date().isoformat(),
        "publisher": "PHMS",
        "kind": "instance",
        "software": {"name": "PHMS"},
        "implementation": {"description": "PHMS FHIR R4 interface", "url": base_url},
        "fhirVersion": R4_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Reads and searches as the signed-in user or the owner of a personal API "
                    "token (Authorization: Bearer), with the chart's access rules. Searches of "
                    "clinical types name one patient. Paging: _count (at most 200) and page."
                ),
                "security": {
                    "cors": False,
                    "description": "Session sign-in or personal API tokens (Bearer).",
                },
                "resource": resources,
            }
        ],
    }
    return validated(statement)
