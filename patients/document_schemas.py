"""One definition of each document kind's fields and limits: notes and vaccinations.

The forms (patients/forms.py) build their fields from these rules and the stores
(patients/notes.py, patients/vaccinations.py) check every write with the same rules, so a
value the form accepts is one the store keeps, and both refuse with the same message.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


@dataclass(frozen=True)
class Text:
    """Stripped text of at most `max_length` characters (and `max_bytes` UTF-8 bytes).

    `required` is the message for an empty value; an empty `required` makes it optional.
    """

    label: str
    max_length: int
    required: str = ""
    max_bytes: int | None = None
    too_long: str = ""

    @property
    def too_long_message(self) -> str:
        return self.too_long or f"{self.label} is limited to {self.max_length} characters."

    def clean(self, value) -> str:
        text = str(value or "").strip()
        if not text and self.required:
            raise ValidationError(self.required, code="required")
        too_many_bytes = self.max_bytes is not None and len(text.encode()) > self.max_bytes
        if len(text) > self.max_length or too_many_bytes:
            raise ValidationError(self.too_long_message, code="max_length")
        return text


@dataclass(frozen=True)
class WholeNumber:
    label: str
    low: int
    high: int

    @property
    def out_of_range_message(self) -> str:
        return f"{self.label} must be between {self.low} and {self.high}."

    def clean(self, value) -> int:
        try:
            number = int(value)
            if isinstance(value, bool) or isinstance(value, float) and value != number:
                raise ValueError
        except (TypeError, ValueError) as error:
            raise ValidationError(f"{self.label} {value!r} is not a whole number.") from error
        if not self.low <= number <= self.high:
            raise ValidationError(self.out_of_range_message, code="out_of_range")
        return number


def clean_choice(value, choices: type[models.TextChoices], label: str) -> str:
    if value not in choices.values:
        raise ValidationError(
            f"Unknown {label} {value!r}; use one of: {', '.join(choices.values)}."
        )
    return str(value)


# Notes ----------------------------------------------------------------------------------


class NoteKind(models.TextChoices):
    PROGRESS = "progress", "Progress note"
    NURSING = "nursing", "Nursing note"
    DISCHARGE = "discharge", "Discharge summary"
    CONSULT = "consult", "Consultation"
    ADMISSION = "admission", "Admission note"
    CARE_PLAN = "care_plan", "Care plan"
    OTHER = "other", "Other"


MAX_NOTE_BYTES = 64 * 1024
NOTE_TEXT = Text(
    "The note",
    max_length=MAX_NOTE_BYTES,
    max_bytes=MAX_NOTE_BYTES,
    required="A note needs some text.",
    too_long=f"The note is longer than {MAX_NOTE_BYTES // 1024} KB; split it or attach a summary.",
)
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_REASON_LENGTH = 500
AMENDMENT_REASON = Text(
    "The reason", MAX_REASON_LENGTH, required="Give a reason for the amendment."
)


def clean_note_kind(kind) -> str:
    return clean_choice(kind, NoteKind, "note kind")


def clean_tags(tags) -> list[str]:
    """Lower-cased, distinct tags from a list or a comma-separated text."""
    if isinstance(tags, str):
        tags = tags.split(",")
    cleaned: list[str] = []
    for tag in tags or ():
        tag = str(tag).strip().lower()
        if not tag or tag in cleaned:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(f"Tags are limited to {MAX_TAG_LENGTH} characters.")
        cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"A note can carry at most {MAX_TAGS} tags.")
    return cleaned


# Vaccinations ---------------------------------------------------------------------------


class VaccinationStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "Refused"
    NOT_DONE = "not_done", "Not done"


class VaccinationRoute(models.TextChoices):
    INTRAMUSCULAR = "intramuscular", "Intramuscular"
    SUBCUTANEOUS = "subcutaneous", "Subcutaneous"
    INTRADERMAL = "intradermal", "Intradermal"
    ORAL = "oral", "Oral"
    INTRANASAL = "intranasal", "Intranasal"


class VaccinationSite(models.TextChoices):
    """The sites the form offers; the value is the words the chart shows.

    The store keeps any site text within its limit (imported and earlier events).
    """

    LEFT_DELTOID = "Left deltoid"
    RIGHT_DELTOID = "Right deltoid"
    LEFT_THIGH = "Left thigh (vastus lateralis)"
    RIGHT_THIGH = "Right thigh (vastus lateralis)"
    LEFT_ARM = "Left arm"
    RIGHT_ARM = "Right arm"
    ORAL = "Oral"
    NASAL = "Nasal"


VACCINATION_TEXTS = {
    "vaccine": Text("Vaccine", 200, required="Name the vaccine."),
    "lot": Text("Lot", 64),
    "site": Text("Site", 100),
    "administered_by": Text("Administered by", 200),
}
CVX_MAX_DIGITS = 3
DOSE_NUMBER = WholeNumber("Dose number", 1, 20)
EARLIEST_VACCINATION_DATE = date(1900, 1, 1)
CHANGE_REASON = Text("The reason", MAX_REASON_LENGTH, required="Give a reason for the change.")


def clean_cvx_code(code) -> str:
    """CVX codes are 1 to 3 digits, written with at least two ("08", "140")."""
    text = str(code or "").strip()
    if not text.isdigit() or len(text) > CVX_MAX_DIGITS:
        raise ValidationError(
            f"CVX code {text!r} is not valid: CVX codes are 1 to {CVX_MAX_DIGITS} digits."
        )
    return normalize_cvx(text)


def normalize_cvx(code) -> str:
    return str(int(str(code).strip())).zfill(2)


def clean_vaccination_date(day) -> date:
    """A date (or ISO text) between 1900 and today."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            day = None
    elif isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date):
        raise ValidationError("Enter the vaccination date as YYYY-MM-DD.")
    if day > timezone.localdate():
        raise ValidationError("A vaccination date cannot be in the future.")
    if day < EARLIEST_VACCINATION_DATE:
        raise ValidationError(
            f"A vaccination date cannot be before {EARLIEST_VACCINATION_DATE:%Y}."
        )
    return day


def clean_vaccination_status(status) -> str:
    return clean_choice(status, VaccinationStatus, "status")


def clean_vaccination_route(route) -> str:
    """One of VaccinationRoute, or empty (not recorded, as on imported events)."""
    if route in (None, ""):
        return ""
    return clean_choice(route, VaccinationRoute, "route")


def clean_vaccination_fields(raw: dict) -> dict:
    """Every field of a vaccination event checked; all refusals at once, by field."""
    cleaners = {
        **{name: rule.clean for name, rule in VACCINATION_TEXTS.items()},
        "cvx_code": clean_cvx_code,
        "dose_number": DOSE_NUMBER.clean,
        "date": clean_vaccination_date,
        "status": clean_vaccination_status,
        "route": clean_vaccination_route,
    }
    cleaned, errors = {}, {}
    for name, clean in cleaners.items():
        try:
            cleaned[name] = clean(raw.get(name))
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned
