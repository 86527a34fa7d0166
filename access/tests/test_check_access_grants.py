"""manage.py check_access_grants: reports stale grants and faults, repairs the grants."""

import io

import pytest
from django.core.management import CommandError, call_command
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from access import grants
from phms.tests import personas

pytestmark = pytest.mark.django_db


def _check(*args) -> str:
    out = io.StringIO()
    call_command("check_access_grants", *args, stdout=out)
    return out.getvalue()


def test_it_reports_no_difference_when_access_follows_the_care_teams(
    patient_record, attending_doctor, ward_nurse, doctor_elsewhere
):
    assert "no differences" in _check()


def test_it_reports_stale_grants_and_removes_them_with_fix(
    patient_record, attending_doctor, ward_nurse, billing_clerk
):
    gone = personas.doctor_user(username="dr.gone")
    assign_perm("patients.change_patient", ward_nurse, patient_record)  # the old sync's pair
    assign_perm("patients.view_patient", billing_clerk, patient_record)
    assign_perm("patients.view_patient", gone, patient_record)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    kept = personas.doctor_user(username="dr.consultant")
    assign_perm("patients.view_patient", kept, patient_record)  # a valid explicit grant

    with pytest.raises(CommandError, match="stale explicit grants found"):
        _check()
    output = _check("--fix")
    expected = f"user=nurse.ward patient={patient_record.pk}: change_patient is never granted"
    assert expected in output
    assert "user=billing.clerk" in output and "no doctor or nurse" in output
    assert "user=dr.gone" in output and "deactivated login" in output
    assert "removed 3 stale explicit grants" in output
    assert list(UserObjectPermission.objects.values_list("user__username", flat=True)) == [
        "dr.consultant"
    ]
    assert "no differences" in _check()


def test_it_reports_a_fault_in_the_access_code_and_repairs_nothing(
    monkeypatch, patient_record, attending_doctor
):
    monkeypatch.setattr(
        grants,
        "care_team_patient_ids",
        lambda user: (
            grants.live_care_assignments().none().values_list("encounter__patient_id", flat=True)
        ),
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="differences come from the access code itself"):
        call_command("check_access_grants", "--fix", stdout=out)
    assert (
        f"user=dr.attending patient={patient_record.pk}: on a live care team but cannot see it"
        in out.getvalue()
    )
