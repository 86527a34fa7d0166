"""A doctor whose role requires two-step sign-in sets up an authenticator app at her first
sign-in, keeps the recovery codes, and is asked for the app's code at the next one."""

import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def app_code(username: str, *, step_ahead: int = 0) -> str:
    """What the doctor's authenticator app shows now (or in a later 30-second window)."""
    device = TOTPDevice.objects.filter(user__username=username).latest("pk")
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    totp.drift = step_ahead
    return f"{totp.token():06d}"


def test_a_doctor_sets_up_two_step_sign_in_and_is_asked_for_the_code(page, care_team, settings):
    settings.MFA_REQUIRED_ROLES = ["administrator", "doctor", "nurse", "billing"]
    sign_in(page, "dr.house")

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_role("link", name="Patients")).to_have_count(0)
    expect(page.get_by_test_id("two-factor-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("two-factor-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret)
    page.shot("setup")
    page.get_by_label("Code").fill(app_code("dr.house"))
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    page.shot("recovery-codes")
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("link", name="Patients")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "dr.house")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_label("Code").fill("123456")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    page.shot("wrong-code")
    page.wait_for_timeout(1200)  # django-otp holds the app for a second after a wrong code
    page.get_by_label("Code").fill(app_code("dr.house", step_ahead=1))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Doctor")
    page.shot("signed-in")
