"""A member's public profile in a real browser: consent, picture upload, profile page, withdrawal, in English and German."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e
PASSWORD = "profile-e2e-password-1"

TEXTS = {
    "en-GB": {
        "agree": "Agree",
        "withdraw": "Withdraw",
        "upload": "Upload picture",
        "saved": "Your profile picture is saved.",
        "save_bio": "Save bio",
        "since": "Member since",
        "counts": "Contributions",
        "view": "view your profile",
        "refused": "This file is not a JPEG, PNG or WebP image.",
    },
    "de-DE": {
        "agree": "Zustimmen",
        "withdraw": "Widerrufen",
        "upload": "Bild hochladen",
        "saved": "Ihr Profilbild ist gespeichert.",
        "save_bio": "Kurzbeschreibung speichern",
        "since": "Mitglied seit",
        "counts": "Beiträge",
        "view": "Ihr Profil ansehen",
        "refused": "Diese Datei ist kein JPEG-, PNG- oder WebP-Bild.",
    },
}


def _member(live_server, email: str, language: str) -> str:
    """A confirmed member of its own (the demo accounts stay untouched); returns the handle."""
    out = live_server.shell(
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from portal.models import User; "
        f"u = User.objects.create_user(email='{email}', password='{PASSWORD}', email_confirmed_at=timezone.now(), "
        f"preferred_language='{language}'); "
        "u.groups.add(Group.objects.get(name='Customer')); print(u.handle)"
    )
    return out.strip().splitlines()[-1]


def _photo(tmp_path):
    from PIL import Image

    image = Image.new("RGB", (400, 300), (30, 110, 160))
    for x in range(150, 250):
        for y in range(100, 200):
            image.putpixel((x, y), (250, 200, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    path = tmp_path / "holiday.jpg"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_grant_upload_view_and_withdraw(new_page, live_server, screenshot, tmp_path, locale):
    """Grant the consent, upload a picture and a bio, see the profile; after withdrawal the page is gone."""
    texts = TEXTS[locale]
    language = locale[:2]
    email = f"profile.{language}@example.com"
    handle = _member(live_server, email, language)
    page = new_page(locale=locale)
    login(page, email, PASSWORD)

    assert page.goto(f"/members/{handle}/").status == 404

    page.goto("/privacy/")
    page.locator("#purpose-public_profile").get_by_role("button", name=texts["agree"]).click()
    expect(page.locator("#purpose-public_profile .status")).to_have_attribute("data-state", "granted")

    page.goto("/account/")
    bad = tmp_path / "not-an-image.png"
    bad.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    page.set_input_files("#id_avatar", str(bad))
    page.get_by_role("button", name=texts["upload"]).click()
    expect(page.locator(".message").filter(has_text=texts["refused"])).to_be_visible()

    page.set_input_files("#id_avatar", str(_photo(tmp_path)))
    page.get_by_role("button", name=texts["upload"]).click()
    expect(page.locator(".message").filter(has_text=texts["saved"])).to_be_visible()
    page.fill("#id_bio", "Birdwatcher and API tinkerer.\nAsk me about webhooks.")
    page.get_by_role("button", name=texts["save_bio"]).click()
    page.get_by_role("link", name=texts["view"]).click()

    expect(page).to_have_url(f"{live_server.url}/members/{handle}/")
    expect(page.locator("h1")).to_have_text(f"@{handle}")
    expect(page.locator(".profile__bio")).to_contain_text("Ask me about webhooks.")
    expect(page.get_by_text(texts["since"])).to_be_visible()
    expect(page.get_by_role("heading", name=texts["counts"])).to_be_visible()
    picture = page.locator(".profile__head img.avatar")
    src = picture.get_attribute("src")
    assert src.startswith("/members/avatars/") and src.endswith(".webp")
    assert page.evaluate("(img) => img.complete && img.naturalWidth", picture.element_handle()) == 256
    stored = live_server.shell(
        "from PIL import Image; from portal.models import User; "
        f"u = User.objects.get(handle='{handle}'); im = Image.open(u.avatar.path); "
        "print(im.format, im.size, dict(im.getexif()), sorted(set(im.info) & {'exif', 'icc_profile', 'xmp', 'comment'}))"
    )
    assert stored.strip().splitlines()[-1] == "WEBP (256, 256) {} []"
    screenshot(page, f"profile_{language}")

    page.goto("/privacy/")
    page.locator("#purpose-public_profile").get_by_role("button", name=texts["withdraw"]).click()
    expect(page.locator("#purpose-public_profile .status")).to_have_attribute("data-state", "off")
    assert page.goto(f"/members/{handle}/").status == 404


def test_the_third_party_check_sees_a_request_that_leaves_the_origin(page):
    """The harness's scan is real: an image from another origin is recorded with the page that asked for it."""
    from tests.e2e.conftest import OUTSIDE

    page.goto("/")
    with page.expect_request("https://third-party.invalid/pixel.png"):
        page.evaluate(
            "() => { const i = new Image(); i.alt = ''; i.src = 'https://third-party.invalid/pixel.png'; "
            "document.body.append(i); }"
        )
    found = list(OUTSIDE.found)
    OUTSIDE.found.clear()  # recorded on purpose here; any other test would fail on it
    assert found == [("https://third-party.invalid/pixel.png", page.url)]
