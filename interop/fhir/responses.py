"""FHIR responses: resources as application/fhir+json, bundles with paging links, and
OperationOutcome for every error."""

import json

from django.http import HttpResponse
from django.urls import reverse

FHIR_JSON = "application/fhir+json; charset=utf-8"


def fhir_response(resource: dict, *, status: int = 200, headers=None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(resource, separators=(",", ":")), content_type=FHIR_JSON, status=status
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def operation_outcome(code: str, diagnostics: str, *, severity: str = "error") -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


def error_response(status: int, code: str, diagnostics: str) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="PHMS FHIR"'} if status == 401 else None
    return fhir_response(operation_outcome(code, diagnostics), status=status, headers=headers)


def base_url(request) -> str:
    return request.build_absolute_uri(reverse("fhir:base"))


def searchset(request, resources: list[dict], *, total: int, page: int, count: int, outcomes=()):
    """A searchset Bundle of one page, with self/first/previous/next/last links."""
    last = max((total + count - 1) // count, 1)

    def link(relation, number):
        query = request.GET.copy()
        query["page"] = str(number)
        query["_count"] = str(count)
        return {
            "relation": relation,
            "url": request.build_absolute_uri(f"{request.path}?{query.urlencode()}"),
        }

    links = [link("self", page), link("first", 1)]
    if page > 1:
        links.append(link("previous", min(page - 1, last)))
    if page < last:
        links.append(link("next", page + 1))
    links.append(link("last", last))
    base = base_url(request)
    entries = [
        {
            "fullUrl": f"{base}{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    entries += [{"resource": o, "search": {"mode": "outcome"}} for o in outcomes]
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries,
    }
