"""The operations dashboard: live counts, each tile a link to its list, refreshed by htmx."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessLog, BreakGlassAccess
from billing.models import Bill
from billing.tests.factories import BillFactory
from patients.models import Encounter, Patient
from patients.tests.factories import EncounterFactory, PatientFactory
from reports.dashboard import operations_dashboard


@pytest.fixture
def busy_day(db, attending_doctor, patient_record):
    now = timezone.now()
    open_inpatient = EncounterFactory(encounter_class="inpatient", admitted_at=now)
    EncounterFactory(encounter_class="emergency", admitted_at=now - dt.timedelta(days=3))
    EncounterFactory(
        encounter_class="ambulatory",
        admitted_at=now - dt.timedelta(days=2),
        discharged_at=now,
        status=Encounter.Status.FINISHED,
    )
    EncounterFactory(encounter_class="inpatient", admitted_at=now, status=Encounter.Status.PLANNED)
    BillFactory(
        encounter=open_inpatient,
        status=Bill.Status.DRAFT,
        total_amount=Decimal("100.00"),
        sanctioned_amount=0,
    )
    BillFactory(status=Bill.Status.DENIED, total_amount=Decimal("50.00"), sanctioned_amount=0)
    BillFactory(status=Bill.Status.SUBMITTED, total_amount=Decimal("70.00"), sanctioned_amount=0)
    BillFactory(status=Bill.Status.PAID, total_amount=Decimal("999.00"), sanctioned_amount=0)
    BreakGlassAccess.objects.create(
        user=attending_doctor,
        patient=PatientFactory(),
        reason="Unconscious in the emergency room",
        expires_at=now + dt.timedelta(hours=1),
    )


def test_it_counts_the_census_the_day_the_week_the_bills_and_the_reviews(busy_day):
    registered_last_month = PatientFactory()
    Patient.objects.filter(pk=registered_last_month.pk).update(
        created_at=timezone.now() - dt.timedelta(days=40)
    )

    figures = operations_dashboard()

    # patient_record's open inpatient encounter, the new inpatient and the emergency; not
    # the discharged visit or the planned one. (Bills made by the factory open encounters
    # of their own: one each for the denied, submitted and paid bills.)
    census = {encounter_class: count for encounter_class, _, count in figures.census}
    assert census == {"inpatient": 5, "emergency": 1}
    assert figures.census_total == 6
    assert figures.discharges_today == 1
    assert figures.registered_this_week == Patient.objects.count() - 1
    lines = {line.status: (line.bills, line.balance, line.awaiting_us) for line in figures.bills}
    assert lines["draft"][2] and lines["denied"][2] and not lines["submitted"][2]
    assert lines["denied"][:2] == (1, Decimal("50.00"))
    assert "paid" not in lines
    awaiting = sum(balance for _, balance, ours in lines.values() if ours)
    assert figures.balance_awaiting_action == awaiting
    assert figures.break_glass_unreviewed == 1
    assert (figures.database, figures.documents) == ("ok", "ok")


def test_the_page_links_every_tile_to_the_list_behind_it_and_refreshes_itself(
    client, administrator, busy_day
):
    client.force_login(administrator)

    page = client.get(reverse("reports:dashboard")).content.decode()

    tiles = reverse("reports:dashboard_tiles")
    assert f'hx-get="{tiles}"' in page and 'hx-trigger="every 30s"' in page
    assert "Last updated" in page
    for link in (
        reverse("admin:patients_encounter_changelist") + "?status=in_progress",
        reverse("admin:patients_patient_changelist") + "?created_at__date__gte=",
        reverse("billing:list") + "?status=denied",
        reverse("access:break_glass_review"),
        reverse("healthz"),
    ):
        assert link in page, link


def test_the_tile_links_open_lists_that_exist(client, administrator, busy_day):
    client.force_login(administrator)
    today = timezone.localdate().isoformat()

    for url in (
        reverse("admin:patients_encounter_changelist")
        + "?status=in_progress&discharged_at__isnull=True&encounter_class=inpatient",
        reverse("admin:patients_encounter_changelist") + f"?admitted_at__date={today}",
        reverse("admin:patients_encounter_changelist") + f"?discharged_at__date={today}",
        reverse("admin:patients_patient_changelist") + f"?created_at__date__gte={today}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "?e=1" not in response.get("Location", ""), url


def test_the_refresh_answers_the_tiles_alone_and_is_not_logged_again(
    client, administrator, busy_day
):
    client.force_login(administrator)
    AccessLog.objects.all().delete()

    refresh = client.get(reverse("reports:dashboard_tiles"), headers={"HX-Request": "true"})
    direct = client.get(reverse("reports:dashboard_tiles"))

    body = refresh.content.decode()
    assert refresh.status_code == 200
    assert "<html" not in body and body.lstrip().startswith('<div id="dashboard-tiles"')
    assert direct.status_code == 200
    assert AccessLog.objects.filter(section="reports").count() == 1


def test_the_tiles_show_a_store_that_does_not_answer(client, administrator, monkeypatch, db):
    from core import health

    monkeypatch.setattr(health, "document_store_status", lambda: health.DOWN)
    client.force_login(administrator)

    body = client.get(reverse("reports:dashboard_tiles")).content.decode()

    assert "Document store: <strong" in body and "not answering" in body
