"""Readable: nav text contrast (WCAG AA), the current page marked in the nav, role names as
words, one date format, a favicon."""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.templatetags.static import static
from django.urls import reverse

from access.roles import Role

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CSS = (ROOT / "static" / "css" / "phms.css").read_text()
TEMPLATES = ROOT / "templates"
WCAG_AA = 4.5


# Contrast --------------------------------------------------------------------------------------


def _rule(selector: str) -> str:
    """The declarations of the first CSS rule whose selector is exactly `selector`."""
    match = re.search(r"(?:^|\})\s*" + re.escape(selector) + r"\s*\{([^}]*)\}", CSS, re.M)
    assert match, f"no CSS rule {selector}"
    return match.group(1)


def _declarations(selector: str) -> dict[str, str]:
    return {
        name.strip(): value.strip()
        for name, _, value in (d.partition(":") for d in _rule(selector).split(";"))
        if value.strip()
    }


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_it_computes_contrast_as_wcag_defines_it():
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    # Bootstrap's dark navbar on bg-primary, which the nav used before: below AA.
    assert contrast_ratio("#8cb5fe", "#0d6efd") < WCAG_AA


def test_it_keeps_nav_text_at_wcag_aa_contrast_on_the_nav_background():
    nav = _declarations(".phms-nav")
    text, background = nav["--phms-nav-text"], nav["--phms-nav-bg"]
    # Every colour Bootstrap gives nav text is the nav's text colour, on its background.
    for variable in (
        "--bs-navbar-color",
        "--bs-navbar-hover-color",
        "--bs-navbar-active-color",
        "--bs-navbar-brand-color",
        "--bs-navbar-brand-hover-color",
    ):
        assert nav[variable] == "var(--phms-nav-text)"
    assert nav["background-color"] == "var(--phms-nav-bg)"
    assert contrast_ratio(text, background) >= WCAG_AA


def test_it_uses_the_nav_colours_in_the_layout(client, attending_doctor):
    client.force_login(attending_doctor)
    html = client.get(reverse("home")).content.decode()
    (nav_classes,) = re.findall(r'<nav class="([^"]*)" aria-label="Main navigation"', html)
    assert "phms-nav" in nav_classes.split()
    assert not any(name.startswith("bg-") for name in nav_classes.split())


# The current page -------------------------------------------------------------------------------


def _current_links(html: str) -> list[str]:
    return re.findall(
        r'<a class="nav-link active" href="[^"]*" aria-current="page">([^<]*)</a>', html
    )


@pytest.mark.parametrize(
    ("persona", "url", "current"),
    [
        ("attending_doctor", lambda t: reverse("home"), "Home"),
        ("attending_doctor", lambda t: reverse("patients:list"), "Patients"),
        ("attending_doctor", lambda t: t.get_absolute_url(), "Patients"),
        ("billing_clerk", lambda t: reverse("billing:list"), "Billing"),
        ("front_desk", lambda t: reverse("portal:review_queue"), "Change requests"),
        ("front_desk", lambda t: reverse("portal:proxies", kwargs={"pk": t.pk}), "Patients"),
        ("patient_user", lambda t: reverse("portal:home"), "My record"),
        ("patient_user", lambda t: reverse("portal:visits"), "My record"),
    ],
)
def test_it_marks_the_current_page_in_the_nav(
    client, request, patient_record, persona, url, current
):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(url(patient_record))
    assert response.status_code == 200
    assert _current_links(response.content.decode()) == [current]


def test_it_marks_no_nav_entry_on_pages_outside_the_nav(client, doctor_elsewhere, patient_record):
    client.force_login(doctor_elsewhere)
    response = client.get(reverse("access:break_glass", kwargs={"patient_pk": patient_record.pk}))
    assert response.status_code == 200
    assert 'aria-current="page"' not in response.content.decode().split("</nav>")[0]


def test_it_shows_the_current_page_visibly_not_only_to_screen_readers():
    current = _declarations('.phms-nav .nav-link[aria-current="page"]')
    assert current["text-decoration"] == "underline"
    assert int(current["font-weight"]) >= 600


# Role names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("front_desk", Role.FRONT_DESK),
        ("attending_doctor", Role.DOCTOR),
        ("billing_clerk", Role.BILLING),
        ("administrator", Role.ADMINISTRATOR),
    ],
)
def test_it_names_the_signed_in_role_in_words(client, request, persona, role):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("home")).content.decode()
    (signed_in,) = re.findall(r'data-testid="signed-in-as">\s*([^<]*?)\s*</span>', html)
    assert signed_in.endswith(f" · {role.label}")


def test_it_shows_no_role_value_in_any_template():
    values = [role.value for role in Role if role.value != role.label.lower()]
    assert values == ["front_desk"]
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert "role|capfirst" not in text, path
        assert "front_desk" not in text, path


# Dates ----------------------------------------------------------------------------------------

ALLOWED_DATE_FORMATS = {"Y-m-d", "Y-m-d H:i", "H:i"}  # H:i: a time within a day already shown


def test_it_formats_dates_one_way_in_every_template():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for date_format in re.findall(r'\|(?:date|time):"([^"]*)"', text):
            assert date_format in ALLOWED_DATE_FORMATS, f"{path}: {date_format}"
        for humanized in ("naturaltime", "naturalday", "timesince", "timeuntil"):
            assert humanized not in text, f"{path}: {humanized}"


def test_it_formats_dates_one_way_in_python():
    sources = [
        path
        for path in ROOT.rglob("*.py")
        if ".venv" not in path.parts and "tests" not in path.parts and "var" not in path.parts
    ]
    for path in sources:
        text = path.read_text()
        for pattern in ("%b", "%B", "%d/%m", "%m/%d", "naturaltime", '"N j, Y"'):
            assert pattern not in text, f"{path}: {pattern}"


def test_it_shows_unfiltered_dates_as_the_chart_does():
    rendered = Template("{{ day }} · {{ moment }} · {{ day|date }}").render(
        Context({"day": datetime.date(2024, 3, 9), "moment": datetime.datetime(2024, 3, 9, 7, 5)})
    )
    assert rendered == "2024-03-09 · 2024-03-09 07:05 · 2024-03-09"


# Favicon --------------------------------------------------------------------------------------


def test_it_links_a_favicon_from_every_page(client):
    html = client.get(reverse("login")).content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in html
    icon = Path(finders.find("favicon.svg")).read_text()
    assert icon.startswith("<svg") and "</svg>" in icon


def test_it_answers_favicon_ico_with_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url == static("favicon.svg")
    assert client.post("/favicon.ico").status_code == 405
