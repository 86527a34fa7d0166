"""FHIR search parameters: parsing (errors are the caller's, as OperationOutcome) and
matching them against built resources."""

import datetime as dt
import re
from dataclasses import dataclass

DEFAULT_COUNT = 50
MAX_COUNT = 200
# Parameters every search accepts besides the type's own.
CONTROL_PARAMS = {"_count", "page", "_format"}
JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


class FhirError(Exception):
    """Answered as an OperationOutcome with this HTTP status and issue code."""

    def __init__(self, status: int, code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics


def invalid(message: str) -> FhirError:
    return FhirError(400, "invalid", message)


def not_found(what: str) -> FhirError:
    return FhirError(404, "not-found", f"{what} is not known to this server.")


@dataclass(frozen=True)
class DateRange:
    """[start, end) of a date value at its own precision (a year, a month, a day, ...)."""

    start: dt.datetime
    end: dt.datetime


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
PREFIXES = ("eq", "lt", "le", "gt", "ge")


def date_range(text: str) -> DateRange:
    match = _DATE.match(text)
    try:
        if match:
            year, month, day = (int(g) if g else None for g in match.groups())
            start = dt.datetime(year, month or 1, day or 1, tzinfo=dt.UTC)
            if day:
                end = start + dt.timedelta(days=1)
            elif month:
                end = (start + dt.timedelta(days=32)).replace(day=1)
            else:
                end = start.replace(year=year + 1)
            return DateRange(start, end)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(
            f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return DateRange(moment, moment + dt.timedelta(seconds=1))


def parse_date_param(value: str) -> tuple[str, DateRange]:
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    if value[:2].isalpha() and value[:2] not in PREFIXES:
        raise invalid(f"Date prefix {value[:2]!r} is not supported (use eq, lt, le, gt or ge).")
    return prefix, date_range(text)


def date_matches(prefix: str, wanted: DateRange, value: str | None) -> bool:
    if not value:
        return False
    start = date_range(value[:10] if len(value) == 10 else value).start
    if prefix == "eq":
        return wanted.start <= start < wanted.end
    if prefix == "lt":
        return start < wanted.start
    if prefix == "le":
        return start < wanted.end
    if prefix == "gt":
        return start >= wanted.end
    return start >= wanted.start  # ge


def parse_token(value: str) -> tuple[str | None, str]:
    """'system|code' -> (system, code); 'code' -> (None, code); '|code' -> ('', code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def token_matches(tokens: list[tuple[str | None, str]], codings: list[tuple[str, str]]) -> bool:
    for system, code in tokens:
        for have_system, have_code in codings:
            if system is not None and system != (have_system or ""):
                continue
            if code and code != have_code:
                continue
            return True
    return False


def codings_of(concepts) -> list[tuple[str, str]]:
    """(system, code) of every coding in a CodeableConcept or list of them."""
    if isinstance(concepts, dict):
        concepts = [concepts]
    return [
        (coding.get("system", ""), coding.get("code", ""))
        for concept in concepts or []
        for coding in concept.get("coding", [])
    ]


def reference_id(value: str, resource_type: str) -> str:
    """'Patient/12', '12' or a full URL ending in Patient/12 -> '12'."""
    value = value.strip().rstrip("/")
    if "/" in value:
        kind, _, ident = value.rpartition("/")
        if not kind.endswith(resource_type):
            raise invalid(f"{value!r} is not a reference to a {resource_type}.")
        value = ident
    if not value:
        raise invalid(f"An empty {resource_type} reference.")
    return value


@dataclass
class Query:
    """A search's parameters once checked: values per name (repeats AND, commas OR)."""

    values: dict[str, list[str]]
    count: int
    page: int

    def first(self, name: str) -> str | None:
        values = self.values.get(name)
        return values[0] if values else None


def parse_query(querydict, allowed: set[str]) -> Query:
    unknown = sorted(set(querydict) - allowed - CONTROL_PARAMS)
    if unknown:
        names = ", ".join(sorted(allowed)) or "none"
        raise invalid(
            f"Search parameter(s) not supported: {', '.join(unknown)}. Supported: {names}."
        )
    fmt = querydict.get("_format")
    if fmt and fmt not in JSON_FORMATS:
        raise FhirError(406, "not-supported", "This server answers in JSON only.")
    count = _positive(querydict.get("_count"), "_count", DEFAULT_COUNT)
    page = _positive(querydict.get("page"), "page", 1)
    values = {
        name: [v for v in querydict.getlist(name) if v != ""]
        for name in querydict
        if name in allowed
    }
    return Query(
        values={k: v for k, v in values.items() if v}, count=min(count, MAX_COUNT), page=page
    )


def _positive(text, name: str, default: int) -> int:
    if text in (None, ""):
        return default
    if not text.isdigit() or int(text) < 1:
        raise invalid(f"{name} must be a whole number of at least 1, not {text!r}.")
    return int(text)
