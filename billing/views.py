from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from access import permissions
from access.audit import Section, access_log_record_list
from billing.models import Bill
from billing.selectors import bill_list

PAGE_SIZE = 25


class BillFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *Bill.Status.choices],
        error_messages={"invalid_choice": "Choose a status from the list."},
    )


@login_required
@require_GET
def bills(request):
    """Permission: billing staff and administrators."""
    if not permissions.can_use_billing(request.user):
        raise PermissionDenied
    form = BillFilterForm(request.GET)
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    page = Paginator(bill_list(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    access_log_record_list(
        request,
        patient_ids=[bill.patient_id for bill in page.object_list],
        section=Section.BILLS,
        detail="billing worklist",
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_without_page": query.urlencode()}
    return render(request, "billing/list.html", context)
