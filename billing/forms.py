from decimal import Decimal

from django import forms
from django.utils import timezone

from billing import carc
from billing.models import Bill, LedgerEntry
from billing.selectors import AGE_BUCKETS, SORTS, WorklistFilters
from core.forms import BootstrapFieldsMixin
from patients.models import Payer

MONEY = {"max_digits": 12, "decimal_places": 2}
SELF_PAY = "self"
CENT = Decimal("0.01")


class WorklistForm(BootstrapFieldsMixin, forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), ("open", "Open (not paid or closed)"), *Bill.Status.choices],
        error_messages={"invalid_choice": "Choose a status from the list."},
    )
    payer = forms.ChoiceField(
        required=False, error_messages={"invalid_choice": "Choose a payer from the list."}
    )
    age = forms.ChoiceField(
        required=False,
        label="Age since issue",
        choices=[("", "Any age"), *((b.key, b.label) for b in AGE_BUCKETS)],
        error_messages={"invalid_choice": "Choose an age from the list."},
    )
    balance_from = forms.DecimalField(required=False, min_value=0, label="Balance from", **MONEY)
    balance_to = forms.DecimalField(required=False, min_value=0, label="Balance to", **MONEY)
    patient = forms.CharField(required=False, max_length=100, label="Patient name or MRN")
    sort = forms.ChoiceField(
        required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        payers = Payer.objects.order_by("name").values_list("pk", "name")
        self.fields["payer"].choices = [
            ("", "Any payer"),
            (SELF_PAY, "Self-pay (no insurance)"),
            *((str(pk), name) for pk, name in payers),
        ]

    def clean(self):
        data = super().clean()
        low, high = data.get("balance_from"), data.get("balance_to")
        if low is not None and high is not None and low > high:
            self.add_error("balance_to", "The upper end is below the lower end.")
        return data

    def filters(self) -> WorklistFilters:
        """The filters of a valid form; an invalid one filters nothing (its errors show)."""
        if not self.is_valid():
            return WorklistFilters()
        data = self.cleaned_data
        payer = data["payer"]
        return WorklistFilters(
            status=data["status"],
            payer_id=int(payer) if payer and payer != SELF_PAY else None,
            self_pay=payer == SELF_PAY,
            bucket=data["age"],
            balance_from=data["balance_from"],
            balance_to=data["balance_to"],
            patient=data["patient"].strip(),
            sort=data["sort"] or "-issued",
        )


class BillIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError("Select bills from the list.") from None


class BulkSubmitForm(forms.Form):
    bills = BillIdsField(error_messages={"required": "Select at least one draft to submit."})


class ActionForm(BootstrapFieldsMixin, forms.Form):
    reason = forms.CharField(required=False, max_length=300, widget=forms.TextInput)
    reason_codes = forms.MultipleChoiceField(
        required=False,
        label="Reason codes (CARC)",
        choices=carc.denial_choices(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    sanctioned_amount = forms.DecimalField(
        required=False, min_value=0, label="Amount the payer approved", **MONEY
    )


CHOOSE = [("", "Choose a reason code")]


class WriteOffForm(BootstrapFieldsMixin, forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.TextInput)
    reason_codes = forms.ChoiceField(
        label="Reason code (CARC)", choices=CHOOSE + carc.adjustment_choices()
    )


class PaymentForm(BootstrapFieldsMixin, forms.Form):
    party = forms.ChoiceField(label="Paid by", choices=LedgerEntry.Party.choices)
    amount = forms.DecimalField(min_value=CENT, **MONEY)
    posted_on = forms.DateField(
        label="Received on",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    method = forms.ChoiceField(choices=LedgerEntry.Method.choices)
    reference = forms.CharField(
        required=False, max_length=64, label="Reference (check or ERA number)"
    )


ADJUSTMENT_KINDS = [
    (LedgerEntry.Kind.CONTRACTUAL, "Contractual adjustment"),
    (LedgerEntry.Kind.REFUND, "Refund"),
    (LedgerEntry.Kind.TRANSFER, "Move to the patient's responsibility"),
]


class AdjustmentForm(BootstrapFieldsMixin, forms.Form):
    kind = forms.ChoiceField(label="Adjustment", choices=ADJUSTMENT_KINDS)
    amount = forms.DecimalField(min_value=CENT, **MONEY)
    reason_code = forms.ChoiceField(
        label="Reason code (CARC)",
        choices=carc.adjustment_choices(),
        initial=carc.CONTRACTUAL_DEFAULT,
    )
    party = forms.ChoiceField(
        required=False,
        label="Refunded to (refunds only)",
        choices=[("", "—"), *LedgerEntry.Party.choices],
    )
    note = forms.CharField(required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("kind") == LedgerEntry.Kind.REFUND and not data.get("party"):
            self.add_error("party", "Say who the refund goes to.")
        return data


class ReversalForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=200, label="Why it is reversed")
