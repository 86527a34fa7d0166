"""The reports: what each one counts, which filters it takes, its tables and its chart.

`REPORTS` lists them in the order of the reports page. A report's `build` turns the
selectors' DataFrames into what is shown: tables (the CSV files are these tables) and a
chart drawn from the same numbers, with small cells suppressed when a threshold is given.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from django import forms

from core.forms import BootstrapFieldsMixin
from core.spreadsheets import csv_cell
from reports import selectors
from reports.charts import Chart, chart
from reports.filters import FILTER_FIELDS, ReportFilters
from reports.suppression import is_small, marker, numeric, suppress_cells, suppress_rows
from reports.templatetags.report_cells import report_cell

PATIENT_FILTERS = ("state", "payer", "sex", "age_band")


@dataclass(frozen=True)
class Table:
    title: str
    frame: pd.DataFrame
    name: str  # the CSV file's name, without extension

    def rows(self) -> list[list]:
        """The cells row by row, missing ones as "": what the page and the CSV show."""
        return self.frame.astype(object).where(self.frame.notna(), "").to_numpy().tolist()

    def csv_rows(self):
        """The header and the rows as a spreadsheet opens them safely."""
        yield [csv_cell(column) for column in self.frame.columns]
        for row in self.rows():
            yield [csv_cell(value) for value in row]


@dataclass(frozen=True)
class ReportResult:
    tables: list[Table]
    chart: Chart | None
    summary: str  # the chart's text alternative, also shown above the tables
    notice: str = ""  # a part of the data that could not be read (the document store)


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    question: str
    build: Callable[..., ReportResult]
    filters: tuple[str, ...] = FILTER_FIELDS
    options: type[forms.Form] | None = None
    claims: bool = False  # a claim report: billing staff may open it


@dataclass(frozen=True)
class BuildContext:
    patients: object  # the caller's scope, `Patient.objects.visible_to(user)`; None: everyone
    filters: ReportFilters
    options: dict
    threshold: int | None  # None: nothing is suppressed (administrators)
    today: dt.date


def _count_text(count: int, threshold: int | None) -> str:
    if threshold is not None and is_small(count, threshold):
        return marker(threshold)
    return f"{count:,}"


def _pivot(frame, *, index, columns, values) -> pd.DataFrame:
    pivot = frame.pivot_table(
        index=index, columns=columns, values=values, aggfunc="sum", fill_value=0
    )
    pivot.columns = [str(column) for column in pivot.columns]
    return pivot.reset_index()


# Birth years -----------------------------------------------------------------------------


class BirthYearOptions(BootstrapFieldsMixin, forms.Form):
    by = forms.ChoiceField(
        required=False,
        label="Group by",
        choices=[("year", "Year"), ("decade", "Decade")],
        error_messages={"invalid_choice": "Choose year or decade."},
    )


def _birth_years(context: BuildContext) -> ReportResult:
    by = context.options.get("by") or "year"
    frame = selectors.birth_year_distribution(
        patients=context.patients, filters=context.filters, by=by, today=context.today
    )
    label = "decade of birth" if by == "decade" else "year of birth"
    table = _pivot(frame, index="period", columns="sex", values="patients")
    sexes = [column for column in table.columns if column != "period"]
    table["Total"] = table[sexes].sum(axis=1)
    table["period"] = table["period"].map(lambda year: f"{year}s" if by == "decade" else str(year))
    table = table.rename(columns={"period": label})
    drawn = frame
    if context.threshold is not None:
        table = suppress_cells(table, threshold=context.threshold, columns=sexes, total="Total")
        drawn = numeric(suppress_rows(frame, threshold=context.threshold), ["patients"]).dropna(
            subset=["patients"]
        )
    if by == "decade":
        drawn = drawn.assign(period=drawn["period"].map(lambda decade: f"{decade}s"))
    total = int(frame["patients"].sum())
    if frame.empty:
        summary = "No patients match these filters."
    else:
        peak = frame.groupby("period")["patients"].sum()
        busiest = f"{peak.idxmax()}s" if by == "decade" else str(peak.idxmax())
        summary = (
            f"{_count_text(total, context.threshold)} patients born from {peak.index.min()} "
            f"to {peak.index.max()}; most were born in {busiest}."
        )
    figure = chart(
        "bars",
        slug="birth-years",
        title=f"Patients by {label} and sex",
        description=summary,
        frame=drawn,
        x="period",
        y="patients",
        hue="sex",
        numeric_x=by == "year",
        xlabel=label.capitalize(),
        ylabel="Patients",
    )
    return ReportResult(
        tables=[Table(f"Patients by {label} and sex", table, f"birth-years-by-{by}")],
        chart=figure,
        summary=summary,
    )


# Top diagnoses ---------------------------------------------------------------------------


class TopDiagnosesOptions(BootstrapFieldsMixin, forms.Form):
    rank = forms.ChoiceField(
        required=False,
        label="Rank by",
        choices=[("patients", "Distinct patients"), ("diagnoses", "Number of diagnoses")],
        error_messages={"invalid_choice": "Choose patients or diagnoses."},
    )


def _top_diagnoses(context: BuildContext) -> ReportResult:
    rank_by = context.options.get("rank") or "patients"
    frequencies = selectors.diagnosis_frequencies(
        patients=context.patients, filters=context.filters, today=context.today
    )
    top = selectors.top_diagnoses(frequencies, rank_by=rank_by)
    drawn = top
    if context.threshold is not None:
        top = suppress_rows(top, threshold=context.threshold, dependent=["diagnoses"])
        drawn = numeric(top, ["patients", "diagnoses"]).dropna(subset=[rank_by])
    measure = "distinct patients" if rank_by == "patients" else "diagnoses"
    if top.empty:
        summary = "No diagnoses match these filters."
    else:
        first = top.iloc[0]
        summary = (
            f"The 10 most frequent conditions by {measure}; first: {first['condition']} "
            f"({report_cell(first[rank_by])})."
        )
    figure = chart(
        "bars",
        slug="top-diagnoses",
        title=f"Top 10 diagnoses by {measure}",
        description=summary,
        frame=drawn,
        x="condition",
        y=rank_by,
        hue=None,
        horizontal=True,
        xlabel="Condition",
        ylabel=measure.capitalize(),
    )
    return ReportResult(
        tables=[Table(f"Top 10 diagnoses by {measure}", top, f"top-diagnoses-by-{rank_by}")],
        chart=figure,
        summary=summary,
    )


# Claim amounts ---------------------------------------------------------------------------

AMOUNT_COLUMNS = ("lowest", *selectors.QUANTILE_COLUMNS, "highest")
PERCENTILE_LABELS = {
    "p5": "5th percentile",
    "p25": "25th percentile",
    "p75": "75th percentile",
    "p95": "95th percentile",
}
TOTAL_COLUMNS = ("bills", "billed", "insurance paid", "patient paid", "adjusted")


def _claims(context: BuildContext) -> ReportResult:
    suppressing = context.threshold is not None
    distribution = selectors.claim_amount_distribution(
        patients=context.patients,
        filters=context.filters,
        today=context.today,
        count_patients=suppressing,
    )
    totals = selectors.claim_totals_by_status_and_payer(
        patients=context.patients,
        filters=context.filters,
        today=context.today,
        count_patients=suppressing,
    )
    if context.threshold is not None:
        distribution = suppress_rows(
            distribution, threshold=context.threshold, dependent=["bills", *AMOUNT_COLUMNS]
        )
        totals = suppress_rows(totals, threshold=context.threshold, dependent=TOTAL_COLUMNS)
    shown = distribution[distribution["median"].map(lambda value: not isinstance(value, str))]
    stats = [
        {
            "label": row["status"],
            "whislo": float(row["p5"]),
            "q1": float(row["p25"]),
            "med": float(row["median"]),
            "q3": float(row["p75"]),
            "whishi": float(row["p95"]),
            "fliers": [],
        }
        for _, row in shown.iterrows()
    ]
    drawn_totals = [
        (row["status"], row["payer"], float(row["billed"]))
        for _, row in totals.iterrows()
        if not isinstance(row["billed"], str)
    ]
    if distribution.empty:
        summary = "No bills match these filters."
    else:
        parts = [f"{row['status']}: median ${row['median']:,}" for _, row in shown.iterrows()]
        summary = "Billed amount per claim status. " + "; ".join(parts) + "."
    figure = chart(
        "boxes",
        slug="claims",
        title="Billed amount per claim status",
        description=summary,
        stats=stats,
        xlabel="Amount per bill ($, log scale). Box: quartiles; whiskers: 5th-95th percentile",
        totals=drawn_totals,
        totals_title="Amount billed per payer and status ($ thousands)",
    )
    distribution = distribution.rename(columns=PERCENTILE_LABELS)
    return ReportResult(
        tables=[
            Table("Billed amount per claim status ($)", distribution, "claims-by-status"),
            Table("Totals per status and payer ($)", totals, "claims-by-status-and-payer"),
        ],
        chart=figure,
        summary=summary,
    )


# Encounters per month --------------------------------------------------------------------


def _encounters(context: BuildContext) -> ReportResult:
    frame = selectors.encounters_per_month(
        patients=context.patients,
        filters=context.filters,
        today=context.today,
        count_patients=context.threshold is not None,
    )
    table = _pivot(frame, index="month", columns="class", values="encounters")
    classes = [column for column in table.columns if column != "month"]
    table["Total"] = table[classes].sum(axis=1)
    if context.threshold is not None:
        counts = _pivot(frame, index="month", columns="class", values="patients")
        table = suppress_cells(
            table, threshold=context.threshold, columns=classes, counts=counts, total="Total"
        )
    # Drawn from the table: a month without encounters of a class is drawn as 0, and a
    # suppressed month as a gap in its line.
    drawn = numeric(table, classes).melt(
        id_vars="month", value_vars=classes, var_name="class", value_name="encounters"
    )
    if frame.empty:
        summary = "No encounters match these filters."
    else:
        per_month = frame.groupby("month")["encounters"].sum()
        summary = (
            f"Encounters per month from {per_month.index.min()} to {per_month.index.max()}, "
            f"by class; the busiest month was {per_month.idxmax()}."
        )
    figure = chart(
        "lines",
        slug="encounters",
        title="Encounters per month by class",
        description=summary,
        frame=drawn,
        x="month",
        y="encounters",
        hue="class",
        xlabel="Month of admission",
        ylabel="Encounters",
    )
    return ReportResult(
        tables=[Table("Encounters per month by class", table, "encounters-per-month")],
        chart=figure,
        summary=summary,
    )


# Patients per state ----------------------------------------------------------------------

CHART_ROWS = 25


def _states(context: BuildContext) -> ReportResult:
    frame = selectors.patients_per_state(
        patients=context.patients, filters=context.filters, today=context.today
    )
    return _ranked_patients(
        context, frame, key="state", slug="states", title="Patients per state of residence"
    )


def _ranked_patients(
    context, frame, *, key, slug, title, empty="No patients match."
) -> ReportResult:
    drawn = frame.head(CHART_ROWS)
    if context.threshold is not None:
        frame = suppress_rows(frame, threshold=context.threshold)
        drawn = numeric(frame.head(CHART_ROWS), ["patients"]).dropna(subset=["patients"])
    if frame.empty:
        summary = empty
    else:
        first = frame.iloc[0]
        count = first["patients"]
        summary = f"{title}: {len(frame)} in all; the most in {first[key]} ({report_cell(count)})."
    figure = chart(
        "bars",
        slug=slug,
        title=title if len(frame) <= CHART_ROWS else f"{title} (the {CHART_ROWS} largest)",
        description=summary,
        frame=drawn,
        x=key,
        y="patients",
        hue=None,
        horizontal=True,
        xlabel=key.capitalize(),
        ylabel="Patients",
    )
    return ReportResult(tables=[Table(title, frame, slug)], chart=figure, summary=summary)


# Vaccinations ----------------------------------------------------------------------------

GROUP_COLUMNS = ["COVID-19", "influenza", "COVID-19 or influenza"]


def _vaccinations(context: BuildContext) -> ReportResult:
    coverage, by_sex, denominator = selectors.vaccination_coverage(
        patients=context.patients, filters=context.filters, today=context.today
    )
    coverage = coverage.rename(columns={"cvx": "CVX"})
    drawn = coverage.head(CHART_ROWS)
    if context.threshold is not None:
        coverage = suppress_rows(coverage, threshold=context.threshold, dependent=["coverage %"])
        drawn = numeric(coverage.head(CHART_ROWS), ["coverage %"]).dropna(subset=["coverage %"])
        by_sex = suppress_cells(by_sex, threshold=context.threshold, columns=GROUP_COLUMNS)
    if coverage.empty:
        summary = (
            f"No vaccinations recorded for the {_count_text(denominator, context.threshold)} "
            "patients that match."
        )
    else:
        first = coverage.iloc[0]
        summary = (
            f"Share of the {_count_text(denominator, context.threshold)} patients that match "
            f"with at least one completed dose; highest: {first['vaccine']} "
            f"({first['coverage %']}%)."
        )
    figure = chart(
        "bars",
        slug="vaccinations",
        title="Vaccination coverage by vaccine (% of patients)",
        description=summary,
        frame=drawn,
        x="vaccine",
        y="coverage %",
        hue=None,
        horizontal=True,
        xlabel="Vaccine",
        ylabel="Patients with a completed dose (%)",
    )
    return ReportResult(
        tables=[
            Table("Coverage by vaccine", coverage, "vaccination-coverage"),
            Table(
                "Patients with a COVID-19 or influenza vaccination, by sex",
                by_sex,
                "covid19-influenza-by-sex",
            ),
        ],
        chart=figure,
        summary=summary,
    )


# Patients with a condition ---------------------------------------------------------------


class ConditionOptions(BootstrapFieldsMixin, forms.Form):
    condition = forms.CharField(
        required=False,
        max_length=100,
        label="Condition (name or code)",
        error_messages={"max_length": "Enter at most 100 characters."},
    )


DEFAULT_CONDITION = "Hypertension"


def _condition(context: BuildContext) -> ReportResult:
    condition = (context.options.get("condition") or DEFAULT_CONDITION).strip()
    frame = selectors.patients_with_condition_by_age_and_sex(
        condition, patients=context.patients, filters=context.filters, today=context.today
    )
    table = _pivot(frame, index="age", columns="sex", values="patients")
    if not table.empty:
        order = {band.key: index for index, band in enumerate(selectors.AGE_BANDS)}
        table = table.sort_values("age", key=lambda c: c.map(order), ignore_index=True)
    sexes = [column for column in table.columns if column != "age"]
    table["Total"] = table[sexes].sum(axis=1) if sexes else 0
    drawn = frame
    total = int(frame["patients"].sum())
    if context.threshold is not None:
        table = suppress_cells(table, threshold=context.threshold, columns=sexes, total="Total")
        drawn = numeric(suppress_rows(frame, threshold=context.threshold), ["patients"]).dropna(
            subset=["patients"]
        )
    summary = (
        f"{_count_text(total, context.threshold)} patients with a diagnosis matching "
        f"“{condition}”, by age today and sex."
    )
    figure = chart(
        "bars",
        slug="condition",
        title=f"Patients with “{condition}” by age and sex",
        description=summary,
        frame=drawn,
        x="age",
        y="patients",
        hue="sex",
        xlabel="Age (years)",
        ylabel="Patients",
    )
    return ReportResult(
        tables=[Table(f"Patients with “{condition}”", table, "patients-with-condition")],
        chart=figure,
        summary=summary,
    )


# Patients per insurer --------------------------------------------------------------------


def _insurers(context: BuildContext) -> ReportResult:
    frame = selectors.patients_per_payer(
        patients=context.patients, filters=context.filters, today=context.today
    )
    where = f" in {context.filters.state}" if context.filters.state else ""
    return _ranked_patients(
        context,
        frame,
        key="payer",
        slug="insurers",
        title=f"Patients{where} per insurer (coverage at any time)",
        empty="No patients with coverage match these filters.",
    )


REPORTS = (
    Report(
        "birth-years",
        "Birth years",
        "When were our patients born?",
        _birth_years,
        filters=PATIENT_FILTERS,
        options=BirthYearOptions,
    ),
    Report(
        "top-diagnoses",
        "Top 10 diagnoses",
        "Which conditions do we diagnose most?",
        _top_diagnoses,
        options=TopDiagnosesOptions,
    ),
    Report(
        "claims",
        "Claim amounts by status",
        "How much do we bill per claim, by status and payer?",
        _claims,
        claims=True,
    ),
    Report(
        "encounters",
        "Encounters per month",
        "How many encounters of each class per month?",
        _encounters,
    ),
    Report(
        "states",
        "Patients per state",
        "Where do our patients live?",
        _states,
        filters=("payer", "sex", "age_band"),
    ),
    Report(
        "vaccinations",
        "Vaccination coverage",
        "Which share of patients has each vaccine, and who had COVID-19 or influenza shots?",
        _vaccinations,
        filters=("date_from", "date_to", *PATIENT_FILTERS),
    ),
    Report(
        "condition",
        "Patients with a condition",
        "How many patients have a given condition (e.g. hypertension, COVID-19)?",
        _condition,
        options=ConditionOptions,
    ),
    Report(
        "insurers",
        "Patients per insurer",
        "How many patients from a state have a given insurer?",
        _insurers,
        filters=PATIENT_FILTERS,
    ),
)
REPORTS_BY_SLUG = {report.slug: report for report in REPORTS}
