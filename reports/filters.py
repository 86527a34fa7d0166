"""The filters a report takes, and the form that reads them from the query string."""

import datetime as dt
from dataclasses import dataclass

from django import forms

from core.forms import BootstrapFieldsMixin
from patients import value_sets
from patients.models import Encounter, Patient


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: str
    low: int  # years, inclusive
    high: int | None  # years, inclusive; None: no upper end


AGE_BANDS = (
    AgeBand("0-17", "0-17", 0, 17),
    AgeBand("18-34", "18-34", 18, 34),
    AgeBand("35-49", "35-49", 35, 49),
    AgeBand("50-64", "50-64", 50, 64),
    AgeBand("65-79", "65-79", 65, 79),
    AgeBand("80+", "80 and over", 80, None),
)
AGE_BAND_BY_KEY = {band.key: band for band in AGE_BANDS}


def birth_dates_of_age_band(band: AgeBand, today: dt.date) -> tuple[dt.date | None, dt.date]:
    """(earliest, latest) date of birth of someone whose age today is within the band."""
    latest = _years_before(today, band.low)
    if band.high is None:
        return None, latest
    earliest = _years_before(today, band.high + 1) + dt.timedelta(days=1)
    return earliest, latest


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class ReportFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    state: str = ""
    payer_id: int | None = None
    sex: str = ""
    age_band: str = ""
    encounter_class: str = ""

    def describe(self) -> str:
        """The filters in words, for the access log, the page and the exported files."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '...'} to {self.date_to or '...'}")
        if self.state:
            parts.append(f"state {self.state}")
        if self.payer_id:
            parts.append(f"payer {self.payer_id}")
        if self.sex:
            parts.append(f"sex {self.sex}")
        if self.age_band:
            parts.append(f"age {self.age_band}")
        if self.encounter_class:
            parts.append(f"class {self.encounter_class}")
        return ", ".join(parts) or "no filters"


FILTER_FIELDS = ("date_from", "date_to", "state", "payer", "sex", "age_band", "encounter_class")


class ReportFilterForm(BootstrapFieldsMixin, forms.Form):
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    state = forms.ChoiceField(
        required=False, error_messages={"invalid_choice": "Choose a state from the list."}
    )
    payer = forms.ChoiceField(
        required=False, error_messages={"invalid_choice": "Choose a payer from the list."}
    )
    sex = forms.ChoiceField(
        required=False,
        choices=[("", "Any sex"), *Patient.Sex.choices],
        error_messages={"invalid_choice": "Choose a sex from the list."},
    )
    age_band = forms.ChoiceField(
        required=False,
        label="Age",
        choices=[("", "Any age"), *((band.key, band.label) for band in AGE_BANDS)],
        error_messages={"invalid_choice": "Choose an age band from the list."},
    )
    encounter_class = forms.ChoiceField(
        required=False,
        label="Encounter class",
        choices=[("", "Any class"), *Encounter.EncounterClass.choices],
        error_messages={"invalid_choice": "Choose an encounter class from the list."},
    )

    def __init__(self, *args, fields=FILTER_FIELDS, states=(), payers=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in set(FILTER_FIELDS) - set(fields):
            del self.fields[name]
        if "state" in self.fields:
            names = value_sets.value_set(value_sets.STATE)
            self.fields["state"].choices = [
                ("", "Any state"),
                *((state, names.display(state)) for state in states),
            ]
        if "payer" in self.fields:
            self.fields["payer"].choices = [
                ("", "Any payer"),
                *((str(pk), name) for pk, name in payers),
            ]

    def clean(self):
        data = super().clean()
        low, high = data.get("date_from"), data.get("date_to")
        if low and high and low > high:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> ReportFilters:
        """The filters of a valid form; an invalid one filters nothing (its errors show)."""
        if not self.is_valid():
            return ReportFilters()
        data = self.cleaned_data
        payer = data.get("payer")
        return ReportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            state=data.get("state", ""),
            payer_id=int(payer) if payer else None,
            sex=data.get("sex", ""),
            age_band=data.get("age_band", ""),
            encounter_class=data.get("encounter_class", ""),
        )
