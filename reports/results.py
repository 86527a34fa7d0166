"""A report as one user may see it, drawn once per data version and kept in the cache.

The cache key names everything the result depends on: the report, its filters and options,
the patients the user may see (everyone for administrators and billing; a digest of the
visible patients' ids for a clinician, so a figure drawn for one scope is never shown for
another), whether small cells are suppressed, today's date (ages), the records version
(database triggers move it on every write to any patient's records, and document-store
writes move it too: `patients.chart_cache.records_version`) and, for claim reports, the
billing version.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from access import permissions
from billing.selectors import billing_version
from core import documents
from patients.chart_cache import records_version
from patients.models import Patient, Payer
from reports import charts
from reports.catalog import BuildContext, Report, ReportResult
from reports.filters import ReportFilters
from reports.selectors import report_states

KEY_PREFIX = "report"
DOCUMENTS_DOWN = (
    "The document store is not answering, so vaccinations cannot be counted now. "
    "The rest of PHMS works; try again in a few minutes."
)


def threshold_for(user) -> int | None:
    """The smallest count of patients shown as a number; None: every count is shown."""
    return None if permissions.sees_small_report_cells(user) else settings.REPORT_MIN_CELL_SIZE


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:20]


def _scope_and_versions(user) -> tuple[str, tuple]:
    """(the scope's name, the records version) once per request: kept on the user object."""
    known = getattr(user, "_phms_report_scope", None)
    if known is None:
        if permissions.sees_all_patients(user):
            scope = "all"
        else:
            ids = Patient.objects.visible_to(user).order_by("pk").values_list("pk", flat=True)
            scope = f"ids-{_digest(list(ids))}"
        known = user._phms_report_scope = (scope, records_version())
    return known


def result_cache_key(*, user, report: Report, filters: ReportFilters, options: dict) -> str:
    scope, records = _scope_and_versions(user)
    versions = [*records]
    if report.claims:
        versions.extend(billing_version())
    day = timezone.localdate().isoformat()
    zone = timezone.get_current_timezone_name()
    shown = threshold_for(user) or "all"
    query = _digest((filters, sorted(options.items())))
    version = ".".join(map(str, versions))
    return f"{KEY_PREFIX}:{report.slug}:{scope}:{shown}:{day}:{zone}:{version}:{query}"


def report_result(
    *, user, report: Report, filters: ReportFilters, options: dict, key: str
) -> ReportResult:
    """The report for this user now, from the cache under `key` (`result_cache_key`) or
    drawn and kept there."""
    result = cache.get(key) if settings.REPORT_CACHE_SECONDS else None
    if result is None:
        context = BuildContext(
            # None: every patient (administrators, billing), with no look at the patients
            patients=None
            if permissions.sees_all_patients(user)
            else Patient.objects.visible_to(user),
            filters=filters,
            options=options,
            threshold=threshold_for(user),
            today=timezone.localdate(),
        )
        try:
            result = report.build(context)
        except documents.DocumentStoreUnavailable:
            return ReportResult(tables=[], chart=None, summary="", notice=DOCUMENTS_DOWN)
        if settings.REPORT_CACHE_SECONDS:
            cache.set(key, result, settings.REPORT_CACHE_SECONDS)
    return result


def filter_choices(user) -> tuple[list[str], list[tuple[int, str]]]:
    """(the states of the patients the user may see, the payers), for the filters; kept
    until the records or the catalogs change (the records version holds both)."""
    scope, records = _scope_and_versions(user)
    key = f"{KEY_PREFIX}-choices:{scope}:{'.'.join(map(str, records))}"
    choices = cache.get(key)
    if choices is None:
        states = report_states(
            patients=None if scope == "all" else Patient.objects.visible_to(user)
        )
        payers = list(Payer.objects.order_by("name").values_list("pk", "name"))
        choices = (states, payers)
        cache.set(key, choices, settings.REPORT_CACHE_SECONDS or 60)
    return choices


def report_png(result: ReportResult, key: str) -> bytes:
    """The chart as PNG, drawn on first request and kept beside the result."""
    png_key = f"{key}:png"
    image = cache.get(png_key)
    if image is None:
        image = charts.png(result.chart.figure_spec)
        if settings.REPORT_CACHE_SECONDS:
            cache.set(png_key, image, settings.REPORT_CACHE_SECONDS)
    return image
