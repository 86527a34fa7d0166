"""Password reset for staff and portal users: same answer for any address, expiring one-time
links, rate-limited, mailed with EMAIL_URL, otherwise handed over by an administrator."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from access.services import password_reset_link

pytestmark = pytest.mark.django_db

RESET = reverse("password_reset")
NEW_PASSWORD = "a-brand-new-long-password-91"


@pytest.fixture(autouse=True)
def fresh_counts(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mail_on(settings):
    settings.EMAIL_URL = "locmem://"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def nurse(db):
    return get_user_model().objects.create_user(
        username="nurse.reset", email="nurse@example.org", password="the-old-password-123"
    )


def link_in(message) -> str:
    return re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)


def test_it_answers_the_same_whether_or_not_the_address_has_an_account(client, nurse, mail_on):
    known = client.post(RESET, {"email": "nurse@example.org"})
    unknown = client.post(RESET, {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nurse@example.org"]


def test_a_mailed_link_sets_the_password_once(client, nurse, mail_on):
    client.post(RESET, {"email": "nurse@example.org"})
    link = link_in(mail.outbox[0])

    form = client.get(link, follow=True)
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    nurse.refresh_from_db()
    assert nurse.check_password(NEW_PASSWORD)
    again = Client().get(link, follow=True)
    assert b'data-testid="reset-link-invalid"' in again.content


def test_a_link_expires(settings, nurse, monkeypatch):
    path = password_reset_link(nurse)
    later = dt.datetime.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)

    page = Client().get(path, follow=True)

    assert b'data-testid="reset-link-invalid"' in page.content


def test_without_a_mail_server_nothing_is_sent_and_the_page_says_whom_to_ask(client, nurse):
    response = client.post(RESET, {"email": "nurse@example.org"}, follow=True)

    assert mail.outbox == []
    assert "ask an administrator" in response.content.decode()


def test_it_limits_requests_per_address(client, nurse, mail_on, settings):
    for _ in range(5):
        assert client.post(RESET, {"email": "nurse@example.org"}).status_code == 302

    refused = client.post(RESET, {"email": "nurse@example.org"})

    assert refused.status_code == 429
    assert "Too many reset requests" in refused.content.decode()
    assert len(mail.outbox) == 5


def test_an_administrator_hands_over_a_link(administrator, nurse, caplog):
    browser = Client()
    browser.force_login(administrator)

    response = browser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "password_reset_link", "_selected_action": [nurse.pk]},
        follow=True,
    )

    message = next(str(m) for m in response.context["messages"])
    path = re.search(r"http://testserver(/accounts/reset/\S+)", message).group(1)
    assert "works once" in message
    assert any("password reset link made" in r.getMessage() for r in caplog.records)
    landing = Client().get(path, follow=True)
    assert b"Choose a new password" in landing.content
    assert b'data-testid="reset-link-invalid"' not in landing.content


def test_the_sign_in_page_offers_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
