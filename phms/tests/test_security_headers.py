"""The headers every kind of page carries: CSP, HSTS, framing, no-store when signed in,
and the cookie flags."""

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def pages(administrator, attending_doctor, patient_record, patient_user, front_desk, billing_clerk):
    """(kind, client, URL) for each kind of signed-in page."""
    chart = reverse("patients:chart", kwargs={"pk": patient_record.pk})
    return [
        ("home, front desk", signed_in(front_desk), reverse("home")),
        ("directory", signed_in(front_desk), reverse("patients:list")),
        ("chart", signed_in(attending_doctor), chart),
        ("portal", signed_in(patient_user), reverse("portal:home")),
        ("billing", signed_in(billing_clerk), reverse("billing:list")),
        ("admin", signed_in(administrator), reverse("admin:patients_patient_changelist")),
        (
            "admin history",
            signed_in(administrator),
            reverse("admin:patients_patient_history", args=[patient_record.pk]),
        ),
        ("not found", signed_in(attending_doctor), "/no-such-page/"),
    ]


def test_every_signed_in_page_is_never_stored(pages):
    for kind, browser, url in pages:
        response = browser.get(url)
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control, kind
        assert "private" in cache_control, kind


def test_every_page_kind_carries_the_policy_headers(pages, client):
    for kind, browser, url in [*pages, ("sign in", client, reverse("login"))]:
        response = browser.get(url, secure=True)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy, kind
        assert "frame-ancestors 'none'" in policy, kind
        assert response["X-Frame-Options"] == "DENY", kind
        assert response["X-Content-Type-Options"] == "nosniff", kind
        assert response["Referrer-Policy"] == "same-origin", kind
        assert response["Strict-Transport-Security"].startswith("max-age=31536000"), kind


def test_the_session_and_csrf_cookies_are_http_only_and_same_site(client, settings, front_desk):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    front_desk.set_password("a-long-password-for-cookies-1")
    front_desk.save()
    client.get(reverse("login"))
    response = client.post(
        reverse("login"),
        {"username": front_desk.username, "password": "a-long-password-for-cookies-1"},
    )

    assert response.status_code == 302
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["httponly"] and csrf["secure"]


def inline_styles_and_scripts(html: str) -> list[str]:
    """What a strict policy (no 'unsafe-inline') would block on the page."""
    found = re.findall(r"<style\b[^>]*>\s*\S", html)
    found += re.findall(r"""\sstyle\s*=\s*["'][^"']+""", html)
    found += re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    return found


def test_admin_history_and_error_pages_need_no_inline_style(
    administrator, attending_doctor, patient_record
):
    admin = signed_in(administrator)
    doctor = signed_in(attending_doctor)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(attending_doctor)
    pages = {
        "admin history": admin.get(
            reverse("admin:patients_patient_history", args=[patient_record.pk])
        ),
        "admin list": admin.get(reverse("admin:patients_patient_changelist")),
        "admin page": admin.get(reverse("admin:patients_patient_change", args=[patient_record.pk])),
        "not found": doctor.get("/no-such-page/"),
        "refused": signed_in(administrator).get(reverse("portal:home")),
        "expired form": strict.post(reverse("patients:list")),
    }
    for kind, response in pages.items():
        assert response.status_code in (200, 403, 404), kind
        assert inline_styles_and_scripts(response.content.decode()) == [], kind
    assert b'data-testid="csrf-failure"' in pages["expired form"].content
