"""Billing pages: the worklist, the denials, one bill with its actions, a patient's statement.

Permission for every view: billing staff and administrators (`can_use_billing`); anyone
else gets 403, and a bill the user may not see answers 404.
"""

import csv
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from access import permissions
from access.audit import Section, access_log_record, access_log_record_list
from billing import selectors, services
from billing.forms import (
    ActionForm,
    AdjustmentForm,
    BulkSubmitForm,
    PaymentForm,
    ReversalForm,
    WorklistForm,
    WriteOffForm,
)
from billing.lifecycle import actions_allowed
from billing.services import BillingRefused
from core.spreadsheets import Echo, csv_cell
from patients.access import checked_patient

PAGE_SIZE = 25
CSV_COLUMNS = [
    "bill", "issued on", "patient", "MRN", "payer", "status",
    "total", "insurance paid", "patient paid", "adjusted", "balance",
]  # fmt: skip


class KnownCountPaginator(Paginator):
    """A paginator told the list's size (counted once per billing version, not per page)."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self._known_count = count

    @property
    def count(self):
        return self._known_count


def billing_staff_only(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not permissions.can_use_billing(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@billing_staff_only
@require_GET
def bills(request):
    form = WorklistForm(request.GET)
    filters = form.filters()
    worklist = selectors.worklist(user=request.user, filters=filters)
    if request.GET.get("export") == "csv":
        return _csv_export(request, worklist)
    version = selectors.billing_version()
    summary = selectors.worklist_summary(user=request.user, filters=filters, version=version)
    page = KnownCountPaginator(worklist, PAGE_SIZE, count=summary.count).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    results, patient_ids = _worklist_results(request, page, filters, summary, query, version)
    access_log_record_list(
        request, patient_ids=patient_ids, section=Section.BILLS, detail="billing worklist"
    )
    context = {
        "form": form,
        "page": page,
        "results": results,
        "query_without_page": query.urlencode(),
    }
    return render(request, "billing/list.html", context)


def _worklist_results(
    request, page, filters, summary, query, version
) -> tuple[SafeString, list[int]]:
    """The buckets and the page of bills, rendered once per billing version, filters and
    page (they hold nothing of the viewer's session), with the patients they show."""
    key = selectors.worklist_cache_key(
        user=request.user, kind="page", parts=(sorted(query.lists()), page.number), version=version
    )
    cached = cache.get(key)
    if cached is None:
        without_sort = query.copy()
        without_sort.pop("sort", None)
        context = {
            "page": page,
            "filters": filters,
            "buckets": summary.buckets,
            "query_without_page": query.urlencode(),
            "query_without_sort": without_sort.urlencode(),
        }
        cached = (
            render_to_string("billing/partials/worklist_results.html", context),
            [bill.patient_id for bill in page.object_list],
        )
        cache.set(key, cached, settings.BILLING_SUMMARY_CACHE_SECONDS)
    html, patient_ids = cached
    return mark_safe(html), patient_ids  # noqa: S308 -- rendered by our autoescaping template


def _csv_export(request, worklist):
    rows = list(worklist.values_list("patient_id", flat=True))
    access_log_record_list(
        request, patient_ids=rows, section=Section.BILLS, detail="billing worklist CSV export"
    )
    writer = csv.writer(Echo())

    def lines():
        yield writer.writerow(CSV_COLUMNS)
        for bill in worklist.iterator(chunk_size=2000):
            yield writer.writerow(
                csv_cell(v)
                for v in (
                    bill.pk,
                    bill.issued_on.isoformat(),
                    f"{bill.patient.last_name}, {bill.patient.first_name}",
                    bill.patient.mrn,
                    bill.payer.name if bill.payer_id else "Self-pay",
                    bill.get_status_display(),
                    bill.total_amount,
                    bill.insurance_paid,
                    bill.patient_paid,
                    bill.adjusted,
                    bill.balance,
                )
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="bills.csv"'
    return response


@billing_staff_only
@require_POST
def bulk_submit(request):
    form = BulkSubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Select at least one draft to submit.")
    else:
        submitted, refused = services.bulk_submit(
            bill_pks=form.cleaned_data["bills"], by=request.user
        )
        if submitted:
            messages.success(
                request, f"{submitted} claim{'s' if submitted != 1 else ''} submitted."
            )
        if refused:
            were = "s were" if refused != 1 else " was"
            messages.warning(request, f"{refused} selected bill{were} not a draft: left as it was.")
    query = QueryDict(request.POST.get("next_query", "")).urlencode()
    return redirect(f"{reverse('billing:list')}?{query}")


@billing_staff_only
@require_GET
def denials(request):
    page = Paginator(selectors.denials(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    access_log_record_list(
        request,
        patient_ids=[bill.patient_id for bill in page.object_list],
        section=Section.BILLS,
        detail="denial worklist",
    )
    return render(request, "billing/denials.html", {"page": page})


def _bill_or_404(request, pk):
    bill = selectors.bill_for_user(user=request.user, bill_pk=pk)
    if bill is None:
        raise Http404("No such bill.")
    return bill


def _detail(request, bill, *, status=200, posted_action="", **forms):
    """The bill's page; a form that was posted and refused comes back bound, with its errors."""
    access_log_record(
        request, patient=bill.patient, section=Section.BILLS, detail=f"bill {bill.pk}"
    )
    actions = actions_allowed(bill)
    panels = [
        (
            action,
            forms["action_form"]
            if action.name == posted_action
            else (WriteOffForm if action.name == "write_off" else ActionForm)(
                auto_id=f"{action.name}_%s"
            ),
        )
        for action in actions
    ]
    party = "patient" if bill.is_self_pay else "payer"
    context = {
        "bill": bill,
        "action_panels": [p for p in panels if p[0].name != "write_off"],
        "write_off_panels": [p for p in panels if p[0].name == "write_off"],
        "payment_form": forms.get("payment_form")
        or PaymentForm(auto_id="payment_%s", initial={"party": party}),
        "adjustment_form": forms.get("adjustment_form") or AdjustmentForm(auto_id="adjustment_%s"),
    }
    return render(request, "billing/detail.html", context, status=status)


@billing_staff_only
@require_GET
def bill_detail(request, pk):
    return _detail(request, _bill_or_404(request, pk))


def _done(request, bill, text):
    messages.success(request, text)
    return redirect("billing:detail", pk=bill.pk)


def _refused(request, bill, error):
    messages.error(request, str(error))
    return redirect("billing:detail", pk=bill.pk)


@billing_staff_only
@require_POST
def bill_action(request, pk, action):
    bill = _bill_or_404(request, pk)
    form_class = WriteOffForm if action == "write_off" else ActionForm
    form = form_class(request.POST, auto_id=f"{action}_%s")
    if not form.is_valid():
        return _detail(request, bill, status=400, posted_action=action, action_form=form)
    codes = form.cleaned_data.get("reason_codes") or []
    try:
        bill = services.bill_act(
            bill_pk=bill.pk,
            action=action,
            by=request.user,
            reason=form.cleaned_data["reason"],
            reason_codes=[codes] if isinstance(codes, str) else codes,
            sanctioned_amount=form.cleaned_data.get("sanctioned_amount"),
        )
    except BillingRefused as error:
        return _refused(request, bill, error)
    return _done(request, bill, f"The bill is now {bill.get_status_display().lower()}.")


def _post_entry(request, pk, form_class, prefix, **fixed):
    """Post the form's entry to the bill; a bad form comes back on the bill's page."""
    bill = _bill_or_404(request, pk)
    form = form_class(request.POST, auto_id=f"{prefix}_%s")
    if not form.is_valid():
        return _detail(request, bill, status=400, **{f"{prefix}_form": form})
    try:
        entry = services.post_entry(bill_pk=bill.pk, by=request.user, **fixed, **form.cleaned_data)
    except BillingRefused as error:
        return _refused(request, bill, error)
    return _done(request, bill, f"{entry.get_kind_display()} of {entry.amount} posted.")


@billing_staff_only
@require_POST
def bill_payment(request, pk):
    return _post_entry(request, pk, PaymentForm, "payment", kind="payment")


@billing_staff_only
@require_POST
def bill_adjustment(request, pk):
    return _post_entry(request, pk, AdjustmentForm, "adjustment")


@billing_staff_only
@require_POST
def bill_reversal(request, pk):
    bill = _bill_or_404(request, pk)
    form = ReversalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the entry is reversed.")
        return redirect("billing:detail", pk=bill.pk)
    entry_pk = form.cleaned_data["entry"]
    if not any(entry.pk == entry_pk for entry in bill.ledger.all()):
        raise Http404("No such entry on this bill.")
    try:
        reversal = services.reverse_entry(
            entry_pk=entry_pk, by=request.user, reason=form.cleaned_data["reason"]
        )
    except BillingRefused as error:
        return _refused(request, bill, error)
    return _done(request, bill, f"Entry reversed ({reversal.amount}).")


@billing_staff_only
@require_GET
def statement(request, patient_pk):
    patient = checked_patient(
        request,
        patient_pk,
        lambda user, patient: True,
        section=Section.BILLS,
        refusal="",
    )
    return render(request, "billing/statement.html", {"statement": selectors.statement(patient)})
