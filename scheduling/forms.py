"""Forms of the front desk's pages. Forms validate input; `scheduling.services` decides
whether a time can be booked and says why not."""

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from providers.models import Department
from scheduling import selectors
from scheduling.models import Appointment
from scheduling.services import REASON_MAX_LENGTH

TIME_FORMAT = "%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=TIME_FORMAT)


class ProviderField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        specialty = f" · {obj.specialty.name}" if obj.specialty_id else ""
        return f"{obj.display_name}{specialty}"


class DepartmentField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.organization.name}"


def _department_field():
    return DepartmentField(
        queryset=Department.objects.select_related("organization").order_by("name", "pk"),
        empty_label="Choose a department",
    )


class ServiceForm(forms.Form):
    """A form whose cleaned data a service takes; the service's refusals land on its fields."""

    # Fields a service names that the form shows under another name.
    ERROR_FIELDS: dict[str, str] = {}

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)

    def refuse(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            name = self.ERROR_FIELDS.get(name, name)
            self.add_error(name if name in self.fields else None, errors)


def _pk(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 12 else None


class SlotForm(ServiceForm):
    """Department, provider, day and time; the time is a choice of the provider's free slots
    once provider and day are known (refreshed with htmx), a time input otherwise."""

    ERROR_FIELDS = {"starts_at": "time"}
    # Fields whose change refreshes the provider, day and time fields.
    REFRESHING = ("department", "provider", "day")
    # The fields that refresh replaces.
    WHEN = ("provider", "day", "time")

    department = _department_field()
    provider = ProviderField(queryset=selectors.providers_for_booking(), empty_label="Choose")
    day = forms.DateField(widget=DateInput())
    time = forms.TimeField(widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        required=False,
        min_value=5,
        max_value=480,
        help_text="Leave empty for the provider's slot length.",
    )

    def __init__(self, *args, slots_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        department = self._chosen(self.fields["department"].queryset, "department")
        if department is not None:
            self.fields["provider"].queryset = selectors.providers_for_booking(
                department=department
            )
        provider = self._chosen(self.fields["provider"].queryset, "provider")
        day = self._chosen_day()
        self.slots = None
        if provider is not None and department is not None and day is not None:
            self.slots = selectors.bookable_slots(provider=provider, department=department, day=day)
            self._offer_slots()
        else:
            self.fields["time"].help_text = "Choose the department, provider and day first."
        if slots_url:
            for name in self.REFRESHING:
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": slots_url,
                        "hx-target": "#booking-when",
                        "hx-select": "#booking-when",
                        "hx-swap": "outerHTML",
                        "hx-include": "#booking-fields",
                    }
                )

    def _value(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        value = self.initial.get(name, self.fields[name].initial)
        return getattr(value, "pk", value)

    def _chosen(self, queryset, name):
        pk = _pk(self._value(name))
        return queryset.filter(pk=pk).first() if pk is not None else None

    def _chosen_day(self) -> date | None:
        value = self._value("day")
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value or ""))
        except ValueError:
            return None

    def _offer_slots(self) -> None:
        field = self.fields["time"]
        times = [timezone.localtime(start).strftime(TIME_FORMAT) for start in self.slots]
        chosen = str(self._value("time") or "")[:5]
        if chosen and chosen not in times:
            times = sorted([*times, chosen])  # keep what was asked for; the service judges it
        if not times:
            field.help_text = "No free times on this day: choose another day, or type a time."
            return
        field.widget = forms.Select(choices=[("", "Choose a time"), *((t, t) for t in times)])
        field.help_text = f"{len(self.slots)} free times."

    def clean(self):
        cleaned = super().clean()
        day, moment = cleaned.get("day"), cleaned.get("time")
        if day is not None and moment is not None:
            cleaned["starts_at"] = timezone.make_aware(datetime.combine(day, moment))
        return cleaned

    @property
    def other_fields(self):
        """The fields after the refreshed ones (the page lays those out itself)."""
        return [self[name] for name in self.fields if name not in ("department", *self.WHEN)]

    def service_arguments(self) -> dict:
        arguments = dict(self.cleaned_data)
        del arguments["day"], arguments["time"]
        return arguments


class BookingForm(SlotForm):
    kind = forms.ChoiceField(label="Type", choices=Appointment.Kind.choices)
    mode = forms.ChoiceField(choices=Appointment.Mode.choices)
    meeting_link = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Video visits: the link the patient and the clinician join.",
    )
    reason = forms.CharField(max_length=255, required=False)

    field_order = ["department", "provider", "day", "time", "duration_minutes", "kind", "mode"]


class RescheduleForm(SlotForm):
    pass


class ReasonForm(ServiceForm):
    reason = forms.CharField(max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


class WalkInForm(ServiceForm):
    department = _department_field()
    provider = ProviderField(
        queryset=selectors.providers_for_booking(),
        empty_label="Choose",
        help_text="Who sees the patient: they are on the care team at once.",
    )
    kind = forms.ChoiceField(
        label="Type", choices=Appointment.Kind.choices, initial=Appointment.Kind.URGENT
    )
    reason = forms.CharField(max_length=255, required=False)
