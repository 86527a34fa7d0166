"""The patient directory's filter form (a search, kept apart from the record forms)."""

from django import forms

from core.forms import BootstrapFieldsMixin
from patients import value_sets
from patients.models import Payer

SORT_CHOICES = [
    ("name", "Name (A-Z)"),
    ("-name", "Name (Z-A)"),
    ("mrn", "MRN"),
    ("date_of_birth", "Date of birth (oldest first)"),
    ("-date_of_birth", "Date of birth (youngest first)"),
    ("state", "State"),
]


class PatientSearchForm(BootstrapFieldsMixin, forms.Form):
    q = forms.CharField(
        label="Name",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                # Live search: htmx swaps the results as the user types (the view sets hx-get).
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": "#patient-results",
                "hx-include": "closest form",
                "hx-push-url": "true",
                "hx-indicator": "#search-indicator",
            }
        ),
        required=False,
        max_length=100,
        help_text="First or last name, or the start of either.",
    )
    mrn = forms.CharField(label="MRN", required=False, max_length=20)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date of birth as YYYY-MM-DD."},
    )
    state = forms.ChoiceField(
        required=False,
        choices=value_sets.value_set(value_sets.STATE).choices(blank="Any state"),
        error_messages={"invalid_choice": "Choose a state from the list."},
    )
    payer = forms.ModelChoiceField(
        label="Insurer",
        required=False,
        queryset=Payer.objects.order_by("name"),
        empty_label="Any insurer",
        error_messages={"invalid_choice": "Choose an insurer from the list."},
    )
    condition = forms.CharField(
        required=False, max_length=100, help_text="Condition name or code, e.g. diabetes or E11."
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=SORT_CHOICES,
        error_messages={"invalid_choice": "Choose a sort order from the list."},
    )

    def search_arguments(self) -> dict:
        """Keyword arguments for `patient_search` from the fields that are valid."""
        data = getattr(self, "cleaned_data", {})
        payer = data.get("payer")
        return {
            "q": data.get("q", ""),
            "mrn": data.get("mrn", ""),
            "date_of_birth": data.get("date_of_birth"),
            "state": data.get("state", ""),
            "payer_id": payer.pk if payer else None,
            "condition": data.get("condition", ""),
            "sort": data.get("sort") or "name",
        }
