import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients import value_sets
from patients.models import EmergencyContact
from portal import selectors
from portal.models import ADDRESS_FIELDS, ChangeRequest, ProxyAccess
from scheduling.models import Appointment, AppointmentRequest

PHONE_CHARACTERS = re.compile(r"^\+?[0-9 ().\-/]+$")
PHONE_HELP = "Digits, spaces and + - ( ) only, e.g. +1 617 555 0100."


def clean_phone(value: str) -> str:
    value = (value or "").strip()
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_CHARACTERS.match(value) or not 7 <= digits <= 15:
        raise ValidationError(
            "This is not a phone number we can call: use 7 to 15 digits, with only spaces "
            "and + - ( ) between them, e.g. +1 617 555 0100."
        )
    return value


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", PHONE_HELP)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def clean(self, value):
        return clean_phone(super().clean(value))


# What the patient asks to change -------------------------------------------------------------


class PhoneChangeForm(forms.Form):
    phone = PhoneField(label="New phone number")


class EmailChangeForm(forms.Form):
    email = forms.EmailField(
        label="New email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class AddressChangeForm(forms.Form):
    address_line = forms.CharField(label="Street and number", max_length=200)
    city = forms.CharField(max_length=100)
    state = forms.ChoiceField(
        label="State",
        choices=value_sets.value_set(value_sets.STATE).choices(blank="Choose a state"),
        error_messages={"invalid_choice": "Choose a state from the list."},
    )
    postal_code = forms.CharField(label="Postal code", max_length=20)


class ContactAddForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    relationship = forms.CharField(max_length=60, help_text="e.g. spouse, daughter, neighbour.")
    phone = PhoneField()
    email = forms.EmailField(required=False, max_length=254)


class ContactRemoveForm(forms.Form):
    contact = forms.ModelChoiceField(
        label="Contact to remove",
        queryset=EmergencyContact.objects.none(),
        error_messages={"invalid_choice": "Choose one of your emergency contacts."},
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = EmergencyContact.objects.filter(patient=patient)

    def values(self) -> dict:
        contact = self.cleaned_data["contact"]
        return {"contact_id": contact.pk, "name": f"{contact.first_name} {contact.last_name}"}


CHANGE_FORMS = {
    "phone": (ChangeRequest.Kind.PHONE, PhoneChangeForm),
    "email": (ChangeRequest.Kind.EMAIL, EmailChangeForm),
    "address": (ChangeRequest.Kind.ADDRESS, AddressChangeForm),
    "contact-add": (ChangeRequest.Kind.CONTACT_ADD, ContactAddForm),
    "contact-remove": (ChangeRequest.Kind.CONTACT_REMOVE, ContactRemoveForm),
}


def change_form_values(form) -> dict:
    if isinstance(form, ContactRemoveForm):
        return form.values()
    if isinstance(form, AddressChangeForm):
        return {name: form.cleaned_data[name] for name in ADDRESS_FIELDS}
    return dict(form.cleaned_data)


# Appointments ---------------------------------------------------------------------------------


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        specialty = f" ({obj.specialty.name})" if obj.specialty_id else ""
        return f"{obj.display_name}{specialty}"


class AppointmentRequestForm(forms.Form):
    """What the patient asks the front desk for; the desk books the time."""

    department = forms.ModelChoiceField(
        label="Department or clinic",
        queryset=selectors.request_departments(),
        error_messages={"invalid_choice": "Choose one of the departments in the list."},
    )
    provider = ProviderChoiceField(
        label="Doctor or nurse (optional)",
        queryset=selectors.request_providers(),
        required=False,
        empty_label="Anyone available",
        error_messages={"invalid_choice": "Choose one of the providers in the list."},
    )
    mode = forms.ChoiceField(
        label="How", choices=Appointment.Mode.choices, initial=Appointment.Mode.IN_PERSON
    )
    earliest_on = forms.DateField(
        label="Not before",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The first day that suits you.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2025-07-01."},
    )
    window = forms.ChoiceField(
        label="Time of day",
        choices=AppointmentRequest.Window.choices,
        initial=AppointmentRequest.Window.ANY,
    )
    reason = forms.CharField(
        label="What is it about?",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='A few words for the front desk, e.g. "knee pain for two weeks".',
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: departments and providers change while the server runs.
        self.fields["department"].queryset = selectors.request_departments()
        self.fields["provider"].queryset = selectors.request_providers()
        if not self.is_bound:
            self.initial.setdefault("earliest_on", timezone.localdate())


class AppointmentCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=150,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Helps the front desk offer the time to someone else.",
    )


# Getting an account --------------------------------------------------------------------------


class ActivationForm(forms.Form):
    code = forms.CharField(
        label="Activation code",
        max_length=20,
        help_text="The 8 letters and digits on your invitation letter.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    username = forms.CharField(
        label="Choose a username",
        max_length=150,
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        help_text="At least 10 characters; not only digits, not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        get_user_model().username_validator(username)
        return username

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ; type the same one twice.")
        return cleaned


# Staff forms ---------------------------------------------------------------------------------


class ProxyGrantForm(forms.Form):
    username = forms.CharField(
        label="Portal username of the proxy",
        max_length=150,
        help_text="The parent or carer must already have a portal account.",
    )
    relationship = forms.ChoiceField(choices=ProxyAccess.Relationship.choices)
    ends_on = forms.DateField(
        label="Access ends on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Inclusive. For a child, usually the day before their 18th birthday.",
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise ValidationError("No login has that username.")
        return user

    def clean_ends_on(self):
        ends_on = self.cleaned_data["ends_on"]
        if ends_on < timezone.localdate():
            raise ValidationError("The end date cannot be in the past.")
        return ends_on


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept and apply the change"), ("decline", "Decline")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason for declining (the patient sees it)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "decline" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Tell the patient why the request is declined.")
        return cleaned
