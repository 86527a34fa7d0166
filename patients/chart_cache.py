"""The chart page's sections, rendered once per chart version and kept in the cache.

A cache key holds everything the sections show or depend on:
- the patient's chart version, which database triggers move on every write to the patient's
  relational records (forms, admin, imports, soft-delete cascades alike; migration
  patients/0002) and `chart_version_bump` moves after a document-store write;
- the reference-data version (catalog and provider names, usernames in the history);
- today's date (ages) and the active time zone;
- the page variant and the viewer's section and action flags.

The version is read before the records, so a write that lands in between can only make a
cached entry newer than its key, never older. Sections render without the request: nothing
of one viewer's session (CSRF token, user, messages) can end up in a shared entry.
"""

import hashlib
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, Subquery, Sum
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from patients.migrations._chart_triggers import DATA_VERSION_BUCKETS
from patients.models import ChartVersion, DataVersion, ReferenceDataVersion

KEY_PREFIX = "chart-sections"
REFERENCE_ROW = 1  # the one row the triggers keep (migration patients/0002)


def chart_version_bump(patient_ids: Iterable[int]) -> None:
    """Move the chart versions of these patients (after a document-store write)."""
    ids = sorted({int(pk) for pk in patient_ids})
    if ids:
        ChartVersion.objects.filter(patient_id__in=ids).update(version=F("version") + 1)
        DataVersion.objects.filter(bucket=ids[0] % DATA_VERSION_BUCKETS).update(
            version=F("version") + 1
        )


def records_version() -> tuple[int, int]:
    """(every patient's records, the catalogs): moves on any write to either; two reads of
    at most sixteen rows."""
    records = DataVersion.objects.aggregate(total=Sum("version"))["total"] or 0
    reference = ReferenceDataVersion.objects.filter(pk=REFERENCE_ROW).values_list(
        "version", flat=True
    )
    return records, reference.first() or 0


@contextmanager
def charts_changing(patient_ids: Iterable[int]):
    """Wrap a document-store write: the charts move afterwards, even if it failed half-way."""
    try:
        yield
    finally:
        chart_version_bump(patient_ids)


def chart_sections_key(patient, *, variant: str, flags: dict[str, bool]) -> str | None:
    """The cache key of this view of the patient's chart now, or None if it has no version."""
    versions = (
        ChartVersion.objects.filter(patient_id=patient.pk)
        .annotate(
            reference=Subquery(
                ReferenceDataVersion.objects.filter(pk=REFERENCE_ROW).values("version")[:1]
            )
        )
        .values_list("version", "reference")
        .first()
    )
    if versions is None:
        return None
    # The view (template variant and what the user may do) as a short digest: memcached
    # takes keys of at most 250 characters.
    shown = ",".join(f"{name}={int(bool(value))}" for name, value in sorted(flags.items()))
    view = hashlib.sha256(f"{variant}|{shown}".encode()).hexdigest()[:20]
    day = timezone.localdate().isoformat()
    zone = timezone.get_current_timezone_name()
    chart, reference = versions
    return f"{KEY_PREFIX}:{patient.pk}:{chart}:{reference}:{day}:{zone}:{view}"


def cached_chart_sections(
    patient, *, variant: str, flags: dict[str, bool], render: Callable[[], tuple[str, bool]]
) -> SafeString:
    """The rendered sections from the cache, or from `render() -> (html, cacheable)`."""
    seconds = settings.CHART_CACHE_SECONDS
    key = chart_sections_key(patient, variant=variant, flags=flags) if seconds else None
    if key is not None:
        html = cache.get(key)
        if html is not None:
            return mark_safe(html)  # noqa: S308 -- rendered by our own autoescaping templates
    html, cacheable = render()
    if key is not None and cacheable:
        cache.set(key, str(html), seconds)
    return mark_safe(html)  # noqa: S308 -- as above
