"""Two-step sign-in (django-otp): required for MFA_REQUIRED_ROLES, optional for the rest,
recovery codes that work once, and an administrator's reset that is logged."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

SETUP = reverse("two_factor_setup")
VERIFY = reverse("two_factor_verify")


@pytest.fixture
def required_for_clinicians(settings):
    settings.MFA_REQUIRED_ROLES = ["administrator", "doctor", "nurse", "billing"]


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def code_of(device: TOTPDevice, *, later: int = 0) -> str:
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=later)
    return f"{code:06d}"


def set_up(browser, user) -> list[str]:
    page = browser.get(SETUP)
    assert b'data-testid="two-factor-qr"' in page.content and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = browser.post(SETUP, {"code": code_of(device), "next": "/"})
    assert response.status_code == 200
    return list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def test_a_doctor_is_sent_to_set_it_up_before_any_page(required_for_clinicians, attending_doctor):
    browser = signed_in(attending_doctor)

    response = browser.get(reverse("patients:list"))

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fpatients%2F"
    setup_page = browser.get(response["Location"]).content.decode()
    assert 'href="/patients/"' not in setup_page  # no menu until the code is confirmed
    assert "Sign out" in setup_page


def test_setting_it_up_shows_ten_recovery_codes_once_and_opens_the_pages(
    required_for_clinicians, attending_doctor
):
    browser = signed_in(attending_doctor)

    codes = set_up(browser, attending_doctor)

    assert len(codes) == 10
    assert browser.get(reverse("patients:list")).status_code == 200
    assert TOTPDevice.objects.get(user=attending_doctor).confirmed


def test_the_next_sign_in_asks_for_the_code(required_for_clinicians, attending_doctor, settings):
    set_up(signed_in(attending_doctor), attending_doctor)
    browser = signed_in(attending_doctor)
    device = TOTPDevice.objects.get(user=attending_doctor)

    assert browser.get("/")["Location"] == f"{VERIFY}?next=%2F"
    wrong = browser.post(VERIFY, {"code": "000000", "next": "/"})
    assert "That code is not right" in wrong.content.decode()
    at_once = browser.post(VERIFY, {"code": code_of(device, later=1), "next": "/"})
    assert "Too many wrong codes: wait 1 second," in at_once.content.decode()
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wait is over
    # The code of setting up was used in this 30-second window: a replay is refused.
    right = browser.post(VERIFY, {"code": code_of(device, later=1), "next": "/patients/"})
    assert right["Location"] == "/patients/"
    assert browser.get("/patients/").status_code == 200


def test_a_recovery_code_works_once(required_for_clinicians, attending_doctor):
    codes = set_up(signed_in(attending_doctor), attending_doctor)

    first = signed_in(attending_doctor)
    assert first.post(VERIFY, {"code": codes[0], "next": "/"})["Location"] == "/"
    second = signed_in(attending_doctor)
    refused = second.post(VERIFY, {"code": codes[0], "next": "/"})
    assert refused.status_code == 200, refused.get("Location")
    assert "That code is not right" in refused.content.decode(), refused.content.decode()[-3000:]
    assert StaticToken.objects.filter(device__user=attending_doctor).count() == 9


def test_it_never_sends_the_user_elsewhere_after_the_code(
    required_for_clinicians, attending_doctor
):
    set_up(signed_in(attending_doctor), attending_doctor)
    browser = signed_in(attending_doctor)
    device = TOTPDevice.objects.get(user=attending_doctor)

    response = browser.post(
        VERIFY, {"code": code_of(device, later=1), "next": "https://evil.example.org/"}
    )

    assert response["Location"] == "/"


def test_roles_outside_the_setting_may_use_it_and_then_must(
    required_for_clinicians, front_desk, patient_user
):
    assert signed_in(front_desk).get("/").status_code == 200
    set_up(signed_in(patient_user), patient_user)

    again = signed_in(patient_user)

    assert again.get(reverse("portal:home"))["Location"].startswith(VERIFY)


def test_without_required_roles_nobody_is_asked(attending_doctor, administrator):
    for user in (attending_doctor, administrator):
        assert signed_in(user).get("/").status_code == 200


def test_an_administrator_resets_a_lost_phone_and_it_is_logged(
    required_for_clinicians, attending_doctor, administrator, caplog
):
    set_up(signed_in(attending_doctor), attending_doctor)
    admin_browser = signed_in(administrator)
    set_up(admin_browser, administrator)

    response = admin_browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [attending_doctor.pk]},
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=attending_doctor).exists()
    assert not StaticToken.objects.filter(device__user=attending_doctor).exists()
    assert any(
        f"second factor reset: user={attending_doctor.pk} by administrator={administrator.pk}"
        in record.getMessage()
        for record in caplog.records
    )
    assert signed_in(attending_doctor).get("/")["Location"].startswith(SETUP)
