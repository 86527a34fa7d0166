"""What every patient view shares: the form-page loop, the chart's address, messages.

Every form page has one shape: checked fetch (`patients.access.checked_patient`) -> form
-> `submit` (the service call) -> success message -> redirect, else `render_form`.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from access import permissions
from core.documents import DocumentStoreUnavailable
from patients.models import Encounter
from patients.selectors import encounter_timeline_page, patient_banner

FORM_PAGE = "patients/forms/form_page.html"


def posted(request):
    """The submitted data of a POST (even an empty one, e.g. a confirmation), else None."""
    return request.POST if request.method == "POST" else None


@dataclass(frozen=True)
class Submission:
    """What `submit` did: `saved` with the service's `result`, or the form to show again."""

    saved: bool
    result: object = None
    status: int = 200

    def __bool__(self) -> bool:
        return self.saved


# What a form page answers when the document it changes cannot be read.
UNREADABLE = Submission(saved=False, status=503)


def submit(
    request, form, service, *, store_down: str = "", readable: bool = True, **arguments
) -> Submission:
    """On a valid POST, call `service(**arguments, **form.cleaned_data)`.

    A refusal (ValidationError) lands next to the field it names; the document store being
    down (`store_down` is then the notice) keeps the input and answers 503, as does a page
    whose document could not be read (`readable` false: nothing is written).
    """
    if not readable:
        return UNREADABLE
    if request.method != "POST" or not form.is_valid():
        return Submission(saved=False)
    try:
        result = service(**arguments, **form.cleaned_data)
    except DocumentStoreUnavailable:
        form.add_error(None, store_down)
        return Submission(saved=False, status=503)
    except ValidationError as error:
        apply_validation_error(form, error)
        return Submission(saved=False)
    return Submission(saved=True, result=result)


def document_or_none(lookup, patient, document_id, *, missing: str):
    """`lookup(patient, document_id)`: the patient's document, 404 (`missing`) when it has
    none with this id, None while the document store is down (the page says so)."""
    try:
        document = lookup(patient, document_id)
    except DocumentStoreUnavailable:
        return None
    if document is None:
        raise Http404(missing)
    return document


def render_options(request, options, *, placeholder: str):
    """The <option>s a search box puts into its select: (value, label) pairs."""
    context = {"options": options, "placeholder": placeholder}
    return render(request, "patients/forms/partials/options.html", context)


def apply_validation_error(form, error: ValidationError) -> None:
    """Show a service's refusal next to the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def render_form(
    request,
    form,
    *,
    title: str,
    patient=None,
    submit: str = "Save",
    cancel=None,
    template: str = FORM_PAGE,
    status: int = 200,
    **context,
):
    """A form page (`template` extends form_page.html); `context` adds what it shows."""
    context = {
        "form": form,
        "title": title,
        "patient": patient,
        "banner": patient_banner(patient) if patient else None,
        "submit_label": submit,
        "cancel_url": cancel or (patient.get_absolute_url() if patient else reverse("home")),
        **context,
    }
    return render(request, template, context, status=status)


def chart_url(patient, section: str = "", *, encounters_page: int = 1) -> str:
    """The chart, scrolled to a section (the id of its heading), at a page of its timeline."""
    url = patient.get_absolute_url()
    if encounters_page != 1:
        url = f"{url}?encounters_page={encounters_page}"
    return f"{url}#{section}" if section else url


def chart_url_at(patient, record) -> str:
    """The chart page whose timeline shows the record's encounter, scrolled to its card."""
    encounter = record if isinstance(record, Encounter) else record.encounter
    return chart_url(
        patient,
        f"encounter-{encounter.pk}-heading",
        encounters_page=encounter_timeline_page(encounter),
    )


def message_with_action(request, text: str, url: str, label: str = "Undo") -> str:
    """A message with a button that POSTs to `url` (messages sit outside any form)."""
    context = {"text": text, "url": url, "label": label}
    return render_to_string("partials/message_action.html", context, request=request)


def encounter_offer(request, patient, form) -> dict | None:
    """When no encounter is open for the patient: where to open one and come back here."""
    if getattr(form, "open_encounter", None) is not None:
        return None
    if not permissions.can_open_encounter(request.user, patient):
        return {"open_url": ""}
    open_url = reverse("patients:encounter_open", kwargs={"pk": patient.pk})
    return {"open_url": f"{open_url}?{urlencode({'next': request.get_full_path()})}"}


def next_page(request, patient) -> str:
    """The `next` page asked for, when it is one of this patient's pages on this site."""
    url = request.GET.get("next", "")
    own_pages = patient.get_absolute_url()
    if url.startswith(own_pages) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""
