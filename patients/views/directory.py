"""The patient directory: search and filter the patients the user may see."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from access import permissions
from access.audit import Section, access_log_record_list
from core.pagination import CappedCountPaginator
from patients.directory_forms import PatientSearchForm
from patients.selectors import patient_search, patients_outside_care_team_identified

PAGE_SIZE = 25
# A search is for finding someone, not for paging through the hospital: past this many
# matches the page says so and asks for more of the name, the MRN or the date of birth.
MATCHES_SHOWN = 1000


@login_required
@require_GET
def patient_list(request):
    """Permission: clinicians (their patients), front desk and administrators (all).

    A clinician who identifies a patient outside their care teams exactly (whole MRN, or
    full name with date of birth) is offered emergency access to them, nothing more.
    """
    if not permissions.can_use_patient_directory(request.user):
        raise PermissionDenied
    form = PatientSearchForm(request.GET)
    form.fields["q"].widget.attrs["hx-get"] = reverse("patients:list")
    form.is_valid()  # invalid fields are reported next to the field and ignored in the search
    arguments = form.search_arguments()
    patients = patient_search(user=request.user, **arguments)
    page = CappedCountPaginator(patients, PAGE_SIZE, cap=MATCHES_SHOWN).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    sort = arguments["sort"]
    outside_care_team = _outside_care_team(request.user, arguments)
    access_log_record_list(
        request,
        patient_ids=[patient.pk for patient in [*page.object_list, *outside_care_team]],
        section=Section.DIRECTORY,
        detail="patient search",
    )
    context = {
        "form": form,
        "page": page,
        "query_without_page": query.urlencode(),
        "sort_links": _sort_links(query, sort),
        "sort": sort,
        "offers_emergency_access": permissions.can_find_patients_for_emergency_access(request.user),
        "outside_care_team": outside_care_team,
    }
    if request.htmx:
        return render(request, "patients/partials/results.html", context)
    return render(request, "patients/list.html", context)


def _outside_care_team(user, arguments) -> list:
    if not permissions.can_find_patients_for_emergency_access(user):
        return []
    return patients_outside_care_team_identified(
        user=user,
        q=arguments["q"],
        mrn=arguments["mrn"],
        date_of_birth=arguments["date_of_birth"],
    )


def _sort_links(query, current: str) -> dict[str, dict]:
    """Per sortable column: the query string that sorts by it (toggling direction) and its state."""
    links = {}
    for column in ("name", "mrn", "date_of_birth", "state"):
        toggled = query.copy()
        toggled["sort"] = f"-{column}" if current == column else column
        state = {column: "ascending", f"-{column}": "descending"}.get(current, "none")
        links[column] = {"query": toggled.urlencode(), "aria_sort": state}
    return links
