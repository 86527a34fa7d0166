"""The reports area and the operations dashboard.

Permission: reports for administrators (every patient, every count shown), doctors and
nurses (the patients they may see, small counts suppressed) and billing staff (the claim
reports only, small counts suppressed); the dashboard for administrators. Anyone else
gets 403. Every view is logged as an aggregate view: it names no patient.
"""

import csv
import hashlib
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from access import permissions
from access.audit import Section, access_log_record_aggregate
from core.spreadsheets import Echo
from reports import dashboard as dashboard_figures
from reports import results
from reports.catalog import REPORTS, REPORTS_BY_SLUG, Report
from reports.filters import ReportFilterForm
from reports.templatetags.report_cells import is_figure

FORMATS = ("html", "csv", "svg", "png")


def reports_staff_only(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not permissions.can_view_reports(request.user):
            raise PermissionDenied("Reports are for clinicians, billing and administrators.")
        return view(request, *args, **kwargs)

    return wrapped


def _reports_for(user) -> list[Report]:
    claims_only = permissions.can_view_claim_reports_only(user)
    return [report for report in REPORTS if report.claims or not claims_only]


@reports_staff_only
@require_GET
def index(request):
    access_log_record_aggregate(request, section=Section.REPORTS, detail="reports index")
    context = {
        "reports": _reports_for(request.user),
        "dashboard": permissions.can_view_operations_dashboard(request.user),
        "threshold": results.threshold_for(request.user),
    }
    return render(request, "reports/index.html", context)


@reports_staff_only
@require_GET
def report(request, slug):
    report = REPORTS_BY_SLUG.get(slug)
    if report is None:
        raise Http404("No such report.")
    if report not in _reports_for(request.user):
        raise PermissionDenied("Billing staff open the claim reports only.")
    output = request.GET.get("format") or "html"
    if output not in FORMATS:
        output = "html"
    states, payers = results.filter_choices(request.user)
    filter_form = ReportFilterForm(request.GET, fields=report.filters, states=states, payers=payers)
    options_form = report.options(request.GET) if report.options else None
    options = options_form.cleaned_data if options_form and options_form.is_valid() else {}
    filters = filter_form.filters()
    access_log_record_aggregate(
        request,
        section=Section.REPORTS,
        detail=f"{report.slug} ({output}): {filters.describe()}"
        + "".join(f", {name} {value}" for name, value in sorted(options.items()) if value),
    )
    key = results.result_cache_key(
        user=request.user, report=report, filters=filters, options=options
    )
    query = _query_without_format(request)
    body = _cached_body(key, query) if output == "html" else None
    if body is None:
        result = results.report_result(
            user=request.user, report=report, filters=filters, options=options, key=key
        )
        if output == "csv":
            return _csv(result, request.GET.get("table"), report)
        if output in ("svg", "png") and result.chart is not None:
            return _image(result, key, report, output)
        body = _body(result, key, query, request.user)
    context = {
        "report": report,
        "filter_form": filter_form,
        "options_form": options_form,
        "body": body,
    }
    return render(request, "reports/report.html", context)


def _body_key(key: str, query: str) -> str:
    return f"{key}:html:{hashlib.sha256(query.encode()).hexdigest()[:20]}"


def _cached_body(key: str, query: str) -> SafeString | None:
    html = cache.get(_body_key(key, query)) if settings.REPORT_CACHE_SECONDS else None
    return None if html is None else mark_safe(html)  # noqa: S308 -- our template's output


def _body(result, key, query, user) -> SafeString:
    """The summary, chart and tables, rendered once per result and query string: they hold
    nothing of the viewer's session."""
    html = render_to_string(
        "reports/partials/report_body.html",
        {
            "result": result,
            "threshold": results.threshold_for(user),
            "query": query,
            "tables": [_table(index, table) for index, table in enumerate(result.tables)],
        },
    )
    if settings.REPORT_CACHE_SECONDS and not result.notice:
        cache.set(_body_key(key, query), html, settings.REPORT_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 -- rendered by our autoescaping template


def _query_without_format(request) -> str:
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    return query.urlencode()


def _table(index, table) -> tuple:
    """(index, table, [(column, whether it holds figures)], rows) for the template."""
    rows = table.rows()
    figures = [is_figure(value) for value in rows[0]] if rows else []
    return index, table, list(zip(table.frame.columns, figures, strict=False)), rows


def _csv(result, table_index, report):
    try:
        table = result.tables[int(table_index or 0)]
    except (ValueError, IndexError):
        raise Http404("No such table in this report.") from None
    writer = csv.writer(Echo())

    lines = (writer.writerow(row) for row in table.csv_rows())
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slugify(table.name)}.csv"'
    return response


def _image(result, key, report, output):
    if output == "svg":
        response = HttpResponse(
            result.chart.document(), content_type="image/svg+xml; charset=utf-8"
        )
    else:
        response = HttpResponse(results.report_png(result, key), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="{report.slug}.{output}"'
    return response


def _dashboard_only(request):
    if not permissions.can_view_operations_dashboard(request.user):
        raise PermissionDenied("The operations dashboard is for administrators.")


@reports_staff_only
@require_GET
def dashboard(request):
    _dashboard_only(request)
    access_log_record_aggregate(request, section=Section.REPORTS, detail="operations dashboard")
    return render(
        request, "reports/dashboard.html", {"figures": dashboard_figures.operations_dashboard()}
    )


@reports_staff_only
@require_GET
def dashboard_tiles(request):
    """The dashboard's tiles alone: what its page asks for every 30 seconds."""
    _dashboard_only(request)
    if not request.headers.get("HX-Request"):  # the page's own refresh is not a new view
        access_log_record_aggregate(
            request, section=Section.REPORTS, detail="operations dashboard tiles"
        )
    return render(
        request,
        "reports/partials/dashboard_tiles.html",
        {"figures": dashboard_figures.operations_dashboard()},
    )
