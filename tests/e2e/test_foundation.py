"""A visitor signs up, confirms by the mailed link, logs in and out; the home page in both languages."""

import re

import pytest

pytestmark = pytest.mark.e2e


def test_signup_confirm_login_logout(page, live_server, screenshot):
    page.goto("/")
    page.click("text=Sign up")
    assert page.locator("input[type=checkbox]:checked").count() == 0
    page.fill("input[name=email]", "e2e.member@example.com")
    page.fill("input[name=password1]", "e2e-secret-password-1")
    page.fill("input[name=password2]", "e2e-secret-password-1")
    screenshot(page, "signup")
    page.click("main button[type=submit]")
    page.wait_for_url("**/account/signup/done/")
    assert page.locator("h1").inner_text() == "Check your e-mail"

    body = live_server.wait_for_mail("e2e.member@example.com")[0]
    link = re.search(r"http://\S+/account/signup/confirm/\S+/", body).group(0)
    handle = re.search(r"@([a-z0-9-]+)\.", body).group(1)
    page.goto(link)
    page.wait_for_url("**/account/login/")
    assert "is confirmed" in page.locator(".messages").inner_text()

    page.fill("input[name=username]", "e2e.member@example.com")
    page.fill("input[name=password]", "e2e-secret-password-1")
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".site-nav .handle").inner_text() == f"@{handle}"
    assert page.locator("text=Back office").count() == 0

    page.click("text=Log out")
    page.wait_for_url(live_server.url + "/")
    assert page.locator("text=Log in").count() == 1


def test_staff_member_reaches_the_back_office(page, live_server, as_user):
    as_user(page, "editor@example.com", "editor-demo-2026")
    page.click("text=Back office")
    page.wait_for_url("**/admin/")
    assert page.locator("text=Pages").first.is_visible()


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize(("device", "width"), [("desktop", 1280), ("mobile", 390)])
def test_home_page_screenshots(new_page, screenshot, language, device, width):
    """The branded home page at desktop and mobile widths in both languages."""
    page = new_page(locale="de-DE" if language == "de" else "en-GB", width=width, height=844 if width < 500 else 900)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == language
    expected = "Zum Inhalt springen" if language == "de" else "Skip to content"
    assert page.locator(".skip-link").inner_text() == expected
    primary = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-primary').trim()")
    assert primary == "#1d4ed8"
    if device == "mobile":
        assert page.locator("#site-nav").is_hidden()
        page.click("[data-nav-toggle]")
        assert page.locator("#site-nav").is_visible()
    screenshot(page, f"home-{device}-{language}")
