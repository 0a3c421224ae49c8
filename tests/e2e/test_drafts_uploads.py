"""A reply survives a reload as a server-side draft, posting clears it, and a picked image shows in the post."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ExifTags, Image

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

EMAIL = "drafts.e2e@example.com"
PASSWORD = "drafts-e2e-password-1"
TITLE = "Sync stops after the update"


def _printed(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def thread_id(live_server):
    """An established member (posts are not held) with a published thread to reply to."""
    created = live_server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group; from django.utils import timezone; "
        "from community.models import Forum; from community.services import thread_create, "
        "post_approve; from portal.models import User; "
        f"u = User.objects.create_user(email='{EMAIL}', password='{PASSWORD}', email_confirmed_at=timezone.now()); "
        "u.groups.add(Group.objects.get(name='Customer')); "
        "forum = Forum.objects.get(slug='getting-started'); "
        f"t = thread_create(forum=forum, author=u, title='{TITLE}', body='Since the update sync stops.'); "
        "first = t.posts.get(); "
        "first.status == 'held' and post_approve(post=first, moderator=User.objects.with_email('moderator@example.com').get())",
        check=False,
    )
    assert created.returncode == 0, created.stderr
    return int(
        _printed(
            live_server.shell(f"from community.models import Thread; print(Thread.objects.get(title='{TITLE}').pk)")
        )
    )


def _photo_with_gps(path):
    image = Image.new("RGB", (120, 80), (30, 140, 60))
    exif = image.getexif()
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize(
    ("language", "locale", "saved", "restored", "add_image"),
    [
        ("en", "en-GB", "Draft saved", "Your saved draft was restored.", "Add image"),
        ("de", "de-DE", "Entwurf gespeichert", "Ihr gespeicherter Entwurf wurde wiederhergestellt.", "Bild hinzufügen"),
    ],
)
def test_draft_survives_reload_posting_clears_it_and_a_picked_image_shows(
    new_page, live_server, thread_id, screenshot, tmp_path, language, locale, saved, restored, add_image
):
    """Type a reply, reload: the draft is back (from the server); pick an image and post: it shows, the draft is gone."""
    live_server.shell(
        f"from portal.models import User; User.objects.with_email('{EMAIL}').update(preferred_language='{language}')"
    )
    page = new_page(locale=locale)
    login(page, EMAIL, PASSWORD)
    page.goto(f"/forums/t/{thread_id}/")
    text = f"My half-written reply ({language}): sync works again after re-login."
    body = page.locator("#reply textarea[name=body]")
    body.fill(text)
    status = page.locator("#reply [data-editor-status]")
    status.filter(has_text=saved).wait_for()
    assert status.get_attribute("aria-live") == "polite"
    stored = live_server.shell(
        f"from community.models import Draft; from portal.models import User; print(repr(Draft.objects.get(author=User.objects.with_email('{EMAIL}').get()).body))"
    )
    assert _printed(stored) == repr(text)

    page.reload()
    assert page.locator("#reply textarea[name=body]").input_value() == text
    assert page.locator("#reply [data-editor-status]").inner_text() == restored

    page.locator("#reply textarea[name=body]").press("End")
    page.locator("#reply input[type=file][data-editor-file]").set_input_files(str(_photo_with_gps(tmp_path / "p.jpg")))
    page.wait_for_function("() => document.querySelector('#reply textarea[name=body]').value.includes('/media/posts/')")
    markdown = page.locator("#reply textarea[name=body]").input_value()
    match = re.search(r"!\[[^\]]*\]\((/media/posts/[A-Za-z0-9_-]+\.jpg)\)", markdown)
    assert match, markdown
    assert page.get_by_role("button", name=add_image).is_visible()

    page.locator("#reply button[value=publish]").click()
    page.wait_for_load_state()
    image = page.locator(f"article img[src='{match.group(1)}']")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 120
    assert image.get_attribute("loading") == "lazy"
    remaining = live_server.shell(
        f"from community.models import Draft; from portal.models import User; print(Draft.objects.filter(author=User.objects.with_email('{EMAIL}').get()).count())"
    )
    assert _printed(remaining) == "0"
    image.scroll_into_view_if_needed()
    screenshot(page, f"upload_{language}")

    page.reload()
    assert page.locator("#reply textarea[name=body]").input_value() == ""
