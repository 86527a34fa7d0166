"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

One browser per session, a fresh context (cookies, storage) per test. Screenshots of
each step land in var/screenshots/ (git-ignored).
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from phms.tests import personas

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
# a thread with a running loop unless told this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct-horse-battery-staple-42"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.shot = _screenshotter(page, request.node.name)
    yield page
    context.close()


def _screenshotter(page, test_name):
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test_name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shot(step: str) -> None:
        page.screenshot(path=str(folder / f"{next(counter):02d}-{step}.png"), full_page=True)

    return shot


def with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def care_team(transactional_db):
    """Ada Lovelace with an open encounter, her attending doctor and ward nurse (with passwords),
    and a doctor who treats only another patient."""
    personas.ensure_roles()
    patient = personas.patient_chart(first_name="Ada", last_name="Lovelace", mrn="MRN-E2E-0001")
    other = personas.patient_chart(first_name="Alan", last_name="Turing", mrn="MRN-E2E-0002")
    doctor = with_password(personas.doctor_user(username="dr.house"))
    nurse = with_password(personas.nurse_user(username="nurse.joy"))
    elsewhere = with_password(personas.doctor_user(username="dr.elsewhere"))
    personas.put_on_care_team(doctor, patient)
    personas.put_on_care_team(nurse, patient, "nursing")
    personas.put_on_care_team(elsewhere, other)
    return {
        "patient": patient,
        "doctor": doctor,
        "nurse": nurse,
        "elsewhere": elsewhere,
    }
