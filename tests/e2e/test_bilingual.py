"""Home page, blog, knowledge base and legal pages in English and German; the language switch keeps the page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

# path -> (English heading, German heading), as seed_demo fills both trees
PAGES = {
    "/": ("Welcome to the Acme community", "Willkommen in der Acme-Community"),
    "/blog/": ("Blog", "Blog"),
    "/blog/acme-cloud-spring-release/": ("Acme Cloud spring release", "Acme Cloud: das Frühjahrs-Release"),
    "/kb/": ("Knowledge base", "Wissensdatenbank"),
    "/kb/getting-started/create-your-first-project/": ("Create your first project", "Ihr erstes Projekt anlegen"),
    "/imprint/": ("Imprint", "Impressum"),
    "/privacy-policy/": ("Privacy policy", "Datenschutzerklärung"),
}


def _switch(page, language: str) -> None:
    with page.expect_navigation():
        page.click(f".language-switcher button[value={language}]")


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_content_page_reads_in_the_reader_language(new_page, screenshot, language):
    """Each content page shows its own language's text under the same address, with the interface to match."""
    page = new_page(locale="de-DE" if language == "de" else "en-GB")
    for path, headings in PAGES.items():
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("main h1").first.inner_text() == headings[language == "de"]
        name = path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"bilingual-{name}-{language}")


def test_the_language_switch_keeps_the_page(new_page, screenshot, live_server):
    """On a blog post, a KB article and the imprint the switch shows the same page in the other language."""
    page = new_page(locale="en-GB")
    page.goto("/blog/")
    page.click("text=Acme Cloud spring release")
    page.wait_for_url("**/blog/acme-cloud-spring-release/")
    _switch(page, "de")
    assert page.url == live_server.url + "/blog/acme-cloud-spring-release/"
    assert page.locator("main h1").first.inner_text() == "Acme Cloud: das Frühjahrs-Release"
    screenshot(page, "bilingual-switch-blog-de")

    page.goto("/kb/")
    page.click("text=Ihr erstes Projekt anlegen")
    page.wait_for_url("**/kb/getting-started/create-your-first-project/")
    _switch(page, "en")
    assert page.locator("main h1").first.inner_text() == "Create your first project"
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("footer >> text=Imprint")
    page.wait_for_url("**/imprint/")
    assert page.locator("main h1").inner_text() == "Imprint"
    _switch(page, "de")
    assert page.url == live_server.url + "/imprint/"
    assert page.locator("main h1").inner_text() == "Impressum"
    assert page.locator("main").get_by_text("HRB 123456 B").is_visible()
    screenshot(page, "bilingual-switch-imprint-de")
    page.click("footer >> text=Datenschutzerklärung")
    page.wait_for_url("**/privacy-policy/")
    assert page.locator("main h1").inner_text() == "Datenschutzerklärung"

    page.goto("/forums/")
    _switch(page, "en")
    assert page.url == live_server.url + "/forums/"
    assert page.locator("main").get_by_text("Getting started").first.is_visible()
    _switch(page, "de")
    assert page.locator("main").get_by_text("Erste Schritte").first.is_visible()
    screenshot(page, "bilingual-forums-de")
