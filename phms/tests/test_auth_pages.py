"""Sign in, sign out, the home page, the 404 page and the role-aware navigation."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def fast_password_hashing(settings):
    # Argon2 is the production hasher; these tests only need a working one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk(fast_password_hashing):
    return get_user_model().objects.create_user(
        username="clerk", password=PASSWORD, first_name="Casey", last_name="Clerk"
    )


@pytest.fixture
def staff_member(fast_password_hashing):
    return get_user_model().objects.create_user(
        username="staffer", password=PASSWORD, is_staff=True
    )


def test_it_renders_the_login_page_with_the_form_and_csrf_token(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "registration/login.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Sign in to PHMS" in html


def test_it_shows_an_error_for_a_wrong_password(client, clerk):
    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong-password"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_shows_the_same_error_for_an_unknown_user(client):
    response = client.post(reverse("login"), {"username": "nobody", "password": "whatever-12345"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_signs_in_with_the_correct_password_and_redirects_home(client, clerk):
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_it_sends_an_anonymous_visitor_from_home_to_the_login_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('home')}"


def test_it_shows_the_home_page_to_a_signed_in_user(client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Welcome, Casey Clerk" in response.content.decode()


def test_it_signs_out_on_post_and_home_then_needs_a_login_again(client, clerk):
    client.force_login(clerk)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_it_does_not_sign_out_on_get(client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_it_renders_the_custom_404_page(client, settings):
    assert settings.DEBUG is False

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "Not found" in html
    assert "Traceback" not in html


def test_it_shows_administration_in_the_navigation_to_staff(client, staff_member):
    client.force_login(staff_member)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert f'<a class="nav-link" href="{reverse("admin:index")}">Administration</a>' in html


def test_it_hides_administration_from_non_staff(client, clerk):
    client.force_login(clerk)

    response = client.get(reverse("home"))

    html = response.content.decode()
    assert "Administration" not in html
    assert reverse("admin:index") not in html
