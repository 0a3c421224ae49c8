"""The imprint and the privacy policy: editable Wagtail pages that the footer links to in both languages."""

from __future__ import annotations

import re

import pytest
from wagtail.models import Locale

from portal import demo
from portal.models import HomePage, LegalPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def legal_pages(home_page):
    """The demo's imprint and privacy policy in English, translated into German."""
    demo._legal_pages(home_page)
    return LegalPage.objects.filter(locale=home_page.locale)


def _footer_links(html: str) -> dict[str, str]:
    footer = html[html.index('<footer class="site-footer"') :]
    return {text: href for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', footer)}


@pytest.mark.parametrize(
    ("language", "imprint", "policy", "imprint_heading", "policy_heading"),
    [
        ("en", "Imprint", "Privacy policy", "Register entry", "Your rights"),
        ("de", "Impressum", "Datenschutzerklärung", "Registereintrag", "Ihre Rechte"),
    ],
)
def test_footer_links_open_the_legal_pages_in_the_reader_language(
    client, legal_pages, language, imprint, policy, imprint_heading, policy_heading
):
    """Both footer links (404 before) answer 200 with the page in the reader's language."""
    client.cookies["django_language"] = language
    links = _footer_links(client.get("/").content.decode())
    assert links[imprint] == "/imprint/"
    assert links[policy] == "/privacy-policy/"
    page = client.get(links[imprint])
    assert page.status_code == 200
    html = page.content.decode()
    assert f"<h1>{imprint}</h1>" in html
    assert f"<h2>{imprint_heading}</h2>" in html
    assert "HRB 123456 B" in html
    page = client.get(links[policy])
    assert page.status_code == 200
    assert f"<h1>{policy}</h1>" in page.content.decode()
    assert f"<h2>{policy_heading}</h2>" in page.content.decode()


def test_the_privacy_centre_stays_its_own_footer_link(client, legal_pages):
    """The privacy policy no longer points at the privacy centre; both are linked."""
    links = _footer_links(client.get("/").content.decode())
    assert links["Privacy centre"] == "/privacy/"
    assert links["Privacy policy"] == "/privacy-policy/"


def test_seeding_the_legal_pages_twice_creates_each_once(home_page):
    """The demo's legal pages are created once per language, whatever how often seed_demo runs."""
    demo._legal_pages(home_page)
    demo._legal_pages(home_page)
    rows = sorted(LegalPage.objects.values_list("locale__language_code", "kind", "title"))
    assert rows == [
        ("de", "imprint", "Impressum"),
        ("de", "privacy_policy", "Datenschutzerklärung"),
        ("en", "imprint", "Imprint"),
        ("en", "privacy_policy", "Privacy policy"),
    ]


def test_an_edit_in_the_back_office_is_what_readers_see(client, administrator, legal_pages):
    """An administrator edits the German imprint in Wagtail; German readers see the new text at once."""
    imprint_de = LegalPage.objects.get(locale__language_code="de", kind=LegalPage.Kind.IMPRINT)
    client.force_login(administrator)
    edit_url = f"/admin/pages/{imprint_de.pk}/edit/"
    assert client.get(edit_url).status_code == 200
    imprint_de.body = [("paragraph", "<p>Neue Anschrift: Beispielweg 2, 10117 Berlin</p>")]
    imprint_de.save_revision(user=administrator).publish(user=administrator)
    client.logout()
    client.cookies["django_language"] = "de"
    assert "Neue Anschrift: Beispielweg 2, 10117 Berlin" in client.get("/imprint/").content.decode()
    client.cookies["django_language"] = "en"
    assert "Neue Anschrift" not in client.get("/imprint/").content.decode()


def test_legal_pages_live_directly_below_a_home_page(legal_pages, home_page):
    """Staff add legal pages under a language's home page only, and nothing below them."""
    assert LegalPage.parent_page_types == ["portal.HomePage"]
    assert LegalPage.subpage_types == []
    german_home = HomePage.objects.get(locale=Locale.objects.get(language_code="de"))
    assert LegalPage.can_create_at(german_home)
    assert not LegalPage.can_create_at(legal_pages.first())


def test_the_demo_brand_of_an_older_database_links_the_privacy_policy(home_page):
    """An earlier demo linked the privacy centre as "privacy policy"; seeding again points it at the page."""
    from theme.models import BrandSettings

    site = home_page.get_site()
    brand = BrandSettings.for_site(site)
    brand.privacy_policy_url = "/privacy/"
    brand.save()
    demo._brand(site)
    brand.refresh_from_db()
    assert brand.privacy_policy_url == "/privacy-policy/"
