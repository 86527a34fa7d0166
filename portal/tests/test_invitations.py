"""Invitations: one-time link and code, hashes only, expiry, reuse, wrong codes, re-inviting."""

import datetime as dt
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from access.permissions import can_use_portal
from patients.tests.factories import PatientFactory
from portal.models import PortalInvitation
from portal.services import MAX_CODE_ATTEMPTS, invitation_create

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-portal-passphrase-17"


@pytest.fixture
def newcomer(db):
    return PatientFactory(first_name="Mary", last_name="Somerville", email="mary@example.org")


def activation(client, token, **data):
    values = {"code": "", "username": "mary.s", "password1": PASSWORD, "password2": PASSWORD}
    values.update(data)
    return client.post(reverse("portal:activate", kwargs={"token": token}), values)


def test_it_shows_front_desk_a_link_and_code_once_and_keeps_only_hashes(
    client, front_desk, newcomer
):
    client.force_login(front_desk)

    response = client.post(reverse("portal:invitation", kwargs={"pk": newcomer.pk}))

    page = response.content.decode()
    code = response.context["code"]
    token = response.context["link"].rstrip("/").rsplit("/", 1)[1]
    assert response.status_code == 200
    assert code in page and response.context["link"] in page
    invitation = PortalInvitation.objects.get(patient=newcomer)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert code not in invitation.code_hash and token not in invitation.code_hash
    assert invitation.expires_at - invitation.created_at == dt.timedelta(hours=72)


def test_it_offers_the_invitation_button_on_the_front_desk_patient_page(
    client, front_desk, newcomer
):
    client.force_login(front_desk)

    page = client.get(reverse("patients:chart", kwargs={"pk": newcomer.pk})).content.decode()

    assert reverse("portal:invitation", kwargs={"pk": newcomer.pk}) in page


def test_it_lets_the_patient_activate_and_then_the_link_stops_working(client, front_desk, newcomer):
    _invitation, token, code = invitation_create(patient=newcomer, by=front_desk)

    response = activation(client, token, code=code.lower())

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    user = get_user_model().objects.get(username="mary.s")
    newcomer.refresh_from_db()
    assert newcomer.user == user and can_use_portal(user)
    assert user.check_password(PASSWORD)
    client.logout()
    reused = activation(client, token, code=code, username="someone.else")
    assert reused.status_code == 410
    assert "already been used" in reused.content.decode()
    assert not get_user_model().objects.filter(username="someone.else").exists()


def test_it_refuses_an_expired_link_with_a_message(client, front_desk, newcomer):
    invitation, token, code = invitation_create(patient=newcomer, by=front_desk)
    PortalInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1),
        created_at=timezone.now() - dt.timedelta(hours=73),
    )

    opened = client.get(reverse("portal:activate", kwargs={"token": token}))
    posted = activation(client, token, code=code)

    assert opened.status_code == 410 and posted.status_code == 410
    assert "has expired" in posted.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_it_refuses_an_unknown_link(client):
    response = client.get(reverse("portal:activate", kwargs={"token": "made-up"}))

    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_it_counts_wrong_codes_and_locks_the_link(client, front_desk, newcomer):
    invitation, token, _code = invitation_create(patient=newcomer, by=front_desk)

    first = activation(client, token, code="WRONG123")

    assert first.status_code == 200
    assert "does not match" in first.content.decode()
    assert f"{MAX_CODE_ATTEMPTS - 1} attempts left" in first.content.decode()
    for _ in range(MAX_CODE_ATTEMPTS - 1):
        last = activation(client, token, code="WRONG123")
    assert last.status_code == 410 and "locked" in last.content.decode()
    invitation.refresh_from_db()
    assert invitation.failed_attempts == MAX_CODE_ATTEMPTS


def test_it_revokes_the_old_link_when_the_patient_is_invited_again(client, front_desk, newcomer):
    _first, old_token, old_code = invitation_create(patient=newcomer, by=front_desk)
    _second, new_token, new_code = invitation_create(patient=newcomer, by=front_desk)

    old = activation(client, old_token, code=old_code)
    new = activation(client, new_token, code=new_code)

    assert old.status_code == 410 and "replaced by a newer invitation" in old.content.decode()
    assert new.status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password2": "something-else-entirely"}, "The two passwords differ"),
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"username": "front.desk"}, "That username is taken"),
        ({"username": "has space"}, "Enter a valid username"),
    ],
)
def test_it_refuses_bad_account_details_with_a_message(client, front_desk, newcomer, data, message):
    _invitation, token, code = invitation_create(patient=newcomer, by=front_desk)

    response = activation(client, token, code=code, **data)

    assert response.status_code == 200
    assert message in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_it_asks_a_signed_in_user_to_sign_out_first(client, front_desk, newcomer):
    _invitation, token, _code = invitation_create(patient=newcomer, by=front_desk)
    client.force_login(front_desk)

    response = client.get(reverse("portal:activate", kwargs={"token": token}))

    assert "Sign out first" in response.content.decode()


def test_it_refuses_to_invite_a_patient_who_has_an_account(
    client, front_desk, patient_user, patient_record
):
    client.force_login(front_desk)

    response = client.post(
        reverse("portal:invitation", kwargs={"pk": patient_record.pk}), follow=True
    )

    assert "already has a portal account" in response.content.decode()
    assert not PortalInvitation.objects.exists()


def test_it_mails_the_link_but_not_the_code_when_mail_is_configured(
    client, settings, front_desk, newcomer
):
    settings.EMAIL_URL = "smtp://mail.example.org:25"
    client.force_login(front_desk)

    response = client.post(reverse("portal:invitation", kwargs={"pk": newcomer.pk}))

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mary@example.org"]
    assert response.context["link"] in message.body
    assert response.context["code"] not in message.body
    assert "also e-mailed" in response.content.decode()


def test_it_sends_no_mail_without_a_mail_url(client, settings, front_desk, newcomer):
    settings.EMAIL_URL = ""
    client.force_login(front_desk)

    client.post(reverse("portal:invitation", kwargs={"pk": newcomer.pk}))

    assert mail.outbox == []


def test_it_uses_the_configured_validity(settings, front_desk, newcomer):
    settings.PORTAL_INVITATION_HOURS = 5

    invitation, _token, _code = invitation_create(patient=newcomer, by=front_desk)

    assert invitation.expires_at - invitation.created_at == dt.timedelta(hours=5)
