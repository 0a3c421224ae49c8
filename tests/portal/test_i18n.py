"""German and English ship; the switcher and the member's preference choose."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_language_switcher_turns_the_portal_german(client, home_page):
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="de">' in html
    assert "Zum Inhalt springen" in html
    assert "Anmelden" in html
    assert "Datenschutzzentrum" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Skip to content" in client.get("/").content.decode()


def test_browser_language_is_honoured(client, home_page):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert '<html lang="de">' in html


def test_member_preference_applies_after_login(client, customer, home_page):
    customer.preferred_language = "de"
    customer.save()
    client.force_login(customer)
    html = client.get(reverse("account")).content.decode()
    assert "Ihr Konto" in html


def test_signup_and_login_pages_are_translated(client):
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    assert "Konto anlegen" in client.get(reverse("signup")).content.decode()
    assert "Passwort vergessen?" in client.get(reverse("login")).content.decode()
