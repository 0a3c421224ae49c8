"""Profile pictures: content sniffed, bombs and broken files refused, every bit of metadata stripped, exported, erased."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms

from consent.dsar import services as dsar
from consent.dsar.export import exports_dir
from portal import avatars
from portal.models import User

GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AVATAR_MAX_BYTES = 2 * 1024 * 1024
    return settings.MEDIA_ROOT


def _stored_files(media) -> list:
    folder = media / "avatars"
    return sorted(folder.iterdir()) if folder.exists() else []


def _photo_with_gps(size=(640, 480)) -> bytes:
    """A JPEG as a phone writes it: EXIF with camera and GPS position, a comment and an ICC profile."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"home address 12 Secret Street", icc_profile=icc)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the fixture really carries what must be stripped
        assert check.getexif().get_ifd(GPS_IFD)[2] == (52.0, 31.0, 12.0)
        assert "icc_profile" in check.info and "comment" in check.info
    return data


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing ``width`` x ``height`` pixels with a tiny compressed body (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


def _upload(client, data: bytes, name: str, content_type: str):
    return client.post(reverse("avatar_upload"), {"avatar": SimpleUploadedFile(name, data, content_type=content_type)})


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_gps_photo_is_stored_as_a_square_webp_without_any_metadata(client, customer, _media):
    """EXIF (camera, GPS), the comment and the ICC profile are gone; the picture is 256 px square."""
    client.force_login(customer)
    response = _upload(client, _photo_with_gps(), "holiday.jpg", "image/jpeg")
    assert response.status_code == 302
    assert _messages(response) == ["Your profile picture is saved."]
    customer.refresh_from_db()
    files = _stored_files(_media)
    assert len(files) == 1
    assert customer.avatar.name == f"avatars/{files[0].name}"
    assert files[0].suffix == ".webp" and "holiday" not in files[0].name
    with Image.open(files[0]) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (256, 256)
        assert dict(stored.getexif()) == {}
        assert stored.getexif().get_ifd(GPS_IFD) == {}
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(stored.info)
    raw = files[0].read_bytes()
    assert b"SpyCam" not in raw and b"Secret Street" not in raw and b"EXIF" not in raw and b"ICCP" not in raw


def test_the_picture_is_served_with_a_fixed_safe_content_type(client, customer):
    client.force_login(customer)
    _upload(client, _photo_with_gps(), "me.jpg", "image/jpeg")
    customer.refresh_from_db()
    response = client.get(avatars.avatar_url(customer))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline;")
    assert b"".join(response.streaming_content).startswith(b"RIFF")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>',
            "innocent.png",
            "This file is not a JPEG, PNG or WebP image. Please choose a photo or picture in one of these formats.",
        ),
        (
            b"<!doctype html><html><script>alert(document.cookie)</script></html>",
            "page.png",
            "This file is not a JPEG, PNG or WebP image. Please choose a photo or picture in one of these formats.",
        ),
        (
            _png_header_only(30_000, 30_000),
            "bomb.png",
            "This image has too many pixels to be processed safely. Please choose a smaller picture.",
        ),
    ],
    ids=["svg-renamed-png", "html-renamed-png", "decompression-bomb"],
)
def test_refused_uploads_store_nothing(client, customer, _media, data, name, message):
    """Content decides, not the name; a refusal says why and leaves neither a file nor a change."""
    client.force_login(customer)
    response = _upload(client, data, name, "image/png")
    assert response.status_code == 302
    assert _messages(response) == [message]
    assert _stored_files(_media) == []
    customer.refresh_from_db()
    assert customer.avatar.name == ""


def test_a_broken_image_is_refused(client, customer, _media):
    client.force_login(customer)
    broken = _photo_with_gps()[:1500]
    response = _upload(client, broken, "cut.jpg", "image/jpeg")
    assert _messages(response) == [
        "This image is damaged or incomplete and cannot be read. Please choose another file."
    ]
    assert _stored_files(_media) == []


def test_a_gif_is_refused_although_it_is_an_image(client, customer, _media):
    client.force_login(customer)
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    response = _upload(client, out.getvalue(), "anim.gif", "image/gif")
    assert _messages(response) == [
        "This file is not a JPEG, PNG or WebP image. Please choose a photo or picture in one of these formats."
    ]
    assert _stored_files(_media) == []


def test_an_oversized_upload_is_refused(client, customer, settings, _media):
    """Over ``AVATAR_MAX_BYTES``: refused while the body is read, nothing stored."""
    settings.AVATAR_MAX_BYTES = 100_000
    client.force_login(customer)
    big = _photo_with_gps(size=(2000, 2000))
    big += b"\0" * (150_000 - len(big)) if len(big) < 150_000 else b""
    response = _upload(client, big, "big.jpg", "image/jpeg")
    assert _messages(response) == ["This file is larger than 97.7\xa0KB. Please choose a smaller picture."]
    assert _stored_files(_media) == []
    customer.refresh_from_db()
    assert customer.avatar.name == ""


def test_a_new_picture_replaces_the_old_file_and_remove_deletes_it(
    client, customer, _media, django_capture_on_commit_callbacks
):
    """The replaced or removed file leaves storage once the change commits."""
    client.force_login(customer)
    _upload(client, _photo_with_gps(), "one.jpg", "image/jpeg")
    first = _stored_files(_media)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, _photo_with_gps(size=(300, 500)), "two.jpg", "image/jpeg")
    second = _stored_files(_media)
    assert len(second) == 1 and second != first
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("avatar_remove"))
    assert _messages(response)[-1] == "Your profile picture is removed; the generated one shows again."
    assert _stored_files(_media) == []
    customer.refresh_from_db()
    assert customer.avatar.name == ""
    assert client.get(reverse("member_avatar", args=[second[0].stem])).status_code == 404
    assert avatars.avatar_url(customer).startswith("/members/avatars/default/")


def test_the_default_picture_is_generated_from_the_handle(client, customer):
    """Initial and colour come from the handle; the SVG is made here and names nobody."""
    key = avatars.default_avatar_key(customer)
    assert key[0] == customer.handle[0]
    assert key == avatars.default_avatar_key(User(handle=customer.handle))
    response = client.get(avatars.avatar_url(customer))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    svg = response.content.decode()
    assert f">{customer.handle[0].upper()}</text>" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert client.get(reverse("default_avatar", args=["<9"])).status_code == 404
    assert client.get(reverse("default_avatar", args=["a99"])).status_code == 404


def test_export_holds_the_picture_and_the_bio(customer, client, django_capture_on_commit_callbacks, _media):
    client.force_login(customer)
    client.post(reverse("account"), {"save_bio": "1", "bio": "I build birdhouses."})
    _upload(client, _photo_with_gps(), "me.jpg", "image/jpeg")
    customer.refresh_from_db()
    stored = _stored_files(_media)[0]
    with django_capture_on_commit_callbacks(execute=True):
        export = dsar.export_request(user=customer, actor=None)
    export.refresh_from_db()
    with zipfile.ZipFile(exports_dir() / export.file_name) as archive:
        profile = json.loads(archive.read("profile.json"))
        inside = f"files/profile/{stored.name}"
        assert profile[0]["bio"] == "I build birdhouses."
        assert profile[0]["avatar"] == inside
        assert archive.read(inside) == stored.read_bytes()
        manifest = json.loads(archive.read("manifest.json"))
        entry = next(item for item in manifest["files"] if item["name"] == inside)
        assert entry["media_type"] == "image/webp"


def test_erasure_deletes_the_picture_and_clears_the_bio(
    customer, client, dpo, django_capture_on_commit_callbacks, _media
):
    client.force_login(customer)
    client.post(reverse("account"), {"save_bio": "1", "bio": "I build birdhouses."})
    _upload(client, _photo_with_gps(), "me.jpg", "image/jpeg")
    customer.refresh_from_db()
    assert customer.bio == "I build birdhouses." and len(_stored_files(_media)) == 1
    token = avatars.avatar_token(customer.avatar.name)
    with django_capture_on_commit_callbacks(execute=True):
        dsar.member_erase(member=customer, actor=dpo)
    customer.refresh_from_db()
    assert _stored_files(_media) == []
    assert customer.avatar.name == ""
    assert customer.bio == ""
    assert customer.public_profile is False
    assert avatars.avatar_url(customer) == reverse("default_avatar", args=["_0"])
    assert client.get(reverse("member_avatar", args=[token])).status_code == 404


def test_the_back_office_shows_the_own_picture_never_gravatar(customer, rf):
    """Wagtail's avatar tag asks the portal's hook; Gravatar is switched off."""
    from django.conf import settings
    from wagtail.admin.templatetags.wagtailadmin_tags import avatar_url

    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    assert avatar_url(customer, 50) == avatars.avatar_url(customer)
    assert "gravatar" not in avatar_url(customer, 50)
