"""Images uploaded into posts: content sniffed, metadata stripped, refused whole, shown only when they are ours."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from community import services
from community.models import Post, PostImage
from consent import registry, retention
from portal.markup import render_markdown

UPLOAD = "/forums/editor/images/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _stored_files(media) -> list[Path]:
    return sorted(p for p in Path(media).rglob("*") if p.is_file())


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.DateTime] = "2024:05:01 10:00:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def _png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A small valid PNG whose header claims another size (how decompression bombs look before decoding)."""
    data = bytearray(_png((8, 8)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _upload(client, data: bytes, content_type="image/png"):
    return client.post(UPLOAD, data=data, content_type=content_type)


def test_gps_exif_is_stripped_and_the_image_reencoded(client, customer, media):
    """A phone photo with GPS, camera and time loses every tag; Pillow reads back no EXIF at all."""
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test image carries GPS
    client.force_login(customer)
    response = _upload(client, original, "image/jpeg")
    assert response.status_code == 201
    body = response.json()
    image = PostImage.objects.get()
    assert body["url"] == image.url == f"/media/{image.file.name}"
    assert body["markdown"] == f"![image]({image.url})"
    assert (body["width"], body["height"]) == (64, 48)
    stored = Path(media) / image.file.name
    assert stored.suffix == ".jpg"
    assert image.token in stored.name
    reread = Image.open(stored)
    assert reread.format == "JPEG"
    assert dict(reread.getexif()) == {}
    assert reread.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "exif" not in reread.info and "comment" not in reread.info and "icc_profile" not in reread.info
    assert b"PhoneMaker" not in stored.read_bytes() and b"secret comment" not in stored.read_bytes()


def test_a_50_mb_upload_is_refused_before_it_is_read(client, customer, media, settings):
    client.force_login(customer)
    response = _upload(client, b"\0" * (50 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json() == {"error": "The image is too large: at most 5 MB."}
    assert settings.POST_IMAGE_MAX_BYTES == 5 * 1024 * 1024
    assert not PostImage.objects.exists()
    assert _stored_files(media) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "This file is not a JPEG, PNG, WebP or GIF image.",
        ),
        (b"<!doctype html><html><script>alert(1)</script></html>", "This file is not a JPEG, PNG, WebP or GIF image."),
        (_png_claiming(30_000, 30_000), "This image has too many pixels."),
        (_png_claiming(8_000, 8_000), "This image has too many pixels."),
        (_png()[:60], "This image is damaged and cannot be read."),
        (b"", "The file is empty."),
    ],
    ids=["svg-renamed-png", "html-renamed-png", "decompression-bomb", "over-40-megapixels", "broken-png", "empty"],
)
def test_refused_uploads_store_nothing(client, customer, media, data, message):
    client.force_login(customer)
    response = _upload(client, data, "image/png")
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert not PostImage.objects.exists()
    assert _stored_files(media) == []


def test_a_form_upload_or_other_type_is_refused(client, customer, media):
    client.force_login(customer)
    response = client.post(UPLOAD, data=json.dumps({"x": 1}), content_type="application/json")
    assert response.status_code == 415
    assert not PostImage.objects.exists()


def test_anonymous_visitor_cannot_upload(client, media):
    response = _upload(client, _png())
    assert response.status_code == 403
    assert not PostImage.objects.exists()
    assert _stored_files(media) == []


def _posted_image(owner, thread, body_extra=""):
    image = services.post_image_upload(owner=owner, data=_png((40, 30)))
    post = services.post_create(thread=thread, author=owner, body=f"Look: ![my screen]({image.url}){body_extra}")
    image.refresh_from_db()
    return image, post


def test_own_upload_renders_as_img_and_external_images_stay_links(customer, thread):
    image, post = _posted_image(customer, thread, " and ![logo](https://tracker.example/pixel.png)")
    assert image.post_id == post.pk
    assert post.body_html == (
        f'<p>Look: <img src="{image.url}" alt="my screen" width="40" height="30" loading="lazy"> and '
        '<a href="https://tracker.example/pixel.png" rel="nofollow ugc noopener">logo</a></p>'
    )


def test_the_sanitiser_allows_img_only_for_own_uploads():
    """Only our renderer writes <img>; bleach still drops any other src, handler or attribute."""
    html = render_markdown("![a](https://evil.example/x.png)", images={"https://evil.example/x.png": (1, 1)})
    assert "<img" not in html
    from portal.markup import ALLOWED_ATTRIBUTES

    check = ALLOWED_ATTRIBUTES["img"]
    assert check("img", "src", "/media/posts/abcdefghijklmnopqrstuvwx.png") is True
    assert check("img", "src", "https://evil.example/abcdefghijklmnopqrstuvwx.png") is False
    assert check("img", "src", "/media/avatars/abcdefghijklmnopqrstuvwx.png") is False
    assert check("img", "onerror", "alert(1)") is False
    assert check("img", "width", "40") is True and check("img", "width", "40%") is False


def test_the_page_shows_the_uploaded_image_and_serves_it_safely(client, customer, other_customer, thread, media):
    image, post = _posted_image(customer, thread)
    client.force_login(other_customer)
    page = client.get(reverse("community:thread", args=[thread.pk])).content.decode()
    assert f'<img src="{image.url}" alt="my screen" width="40" height="30" loading="lazy">' in page
    response = client.get(image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="image.png"'
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == (Path(media) / image.file.name).read_bytes()


def test_an_upload_not_yet_posted_is_seen_only_by_its_owner(client, customer, other_customer, media):
    image = services.post_image_upload(owner=customer, data=_png())
    client.force_login(other_customer)
    assert client.get(image.url).status_code == 404
    client.force_login(customer)
    assert client.get(image.url).status_code == 200


def test_an_image_in_a_private_thread_is_not_served_to_outsiders(client, beta_member, other_customer, private_thread):
    image, _post = _posted_image(beta_member, private_thread)
    client.force_login(other_customer)
    assert client.get(image.url).status_code == 404


def test_a_hidden_post_no_longer_serves_its_image_to_readers(client, customer, other_customer, moderator, thread):
    image, post = _posted_image(customer, thread)
    services.post_hide(post=post, moderator=moderator, reason="Spam")
    client.force_login(other_customer)
    assert client.get(image.url).status_code == 404


def test_removed_image_disappears_from_the_post_and_from_storage(
    client, customer, thread, media, django_capture_on_commit_callbacks
):
    image, post = _posted_image(customer, thread)
    stored = Path(media) / image.file.name
    assert stored.exists()
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("community:image_delete", args=[image.token]))
    assert response.status_code == 200
    assert not PostImage.objects.exists()
    assert not stored.exists()
    post.refresh_from_db()
    assert post.body_html == "<p>Look: </p>"
    assert client.get(image.url).status_code == 404


def test_another_member_cannot_remove_an_image(client, customer, other_customer, thread, media):
    image, _post = _posted_image(customer, thread)
    client.force_login(other_customer)
    response = client.post(reverse("community:image_delete", args=[image.token]))
    assert response.status_code == 403
    assert PostImage.objects.count() == 1
    assert (Path(media) / image.file.name).exists()


def test_unattached_uploads_are_purged_after_a_day_attached_ones_stay(customer, thread, media):
    kept, _post = _posted_image(customer, thread)
    waiting = services.post_image_upload(owner=customer, data=_png())
    PostImage.objects.update(created_at=timezone.now() - timedelta(days=2))
    category = retention.category("community.post_images")
    assert category.default_days == 1
    cutoff = timezone.now() - timedelta(days=1)
    assert category.preview_tally(cutoff).deleted == 1
    assert category.apply_tally(cutoff).deleted == 1
    assert list(PostImage.objects.values_list("pk", flat=True)) == [kept.pk]
    assert waiting.pk != kept.pk


def test_uploads_are_in_the_export_with_their_files(customer, thread, media, django_capture_on_commit_callbacks):
    from consent.dsar import services as dsar
    from consent.dsar.export import exports_dir

    image, post = _posted_image(customer, thread)
    with django_capture_on_commit_callbacks(execute=True):
        export = dsar.export_request(user=customer)
    export.refresh_from_db()
    archive = zipfile.ZipFile(exports_dir() / export.file_name)
    rows = json.loads(archive.read("post_images.json"))
    assert [(row["post"], row["width"], row["height"]) for row in rows] == [(post.pk, 40, 30)]
    inside = rows[0]["file"]
    assert archive.read(inside) == (Path(media) / image.file.name).read_bytes()


def test_erasure_deletes_uploads_and_their_files_and_posts_drop_them(
    customer, other_customer, dpo, thread, media, django_capture_on_commit_callbacks
):
    from consent.dsar.services import member_erase

    rule = next(r for r in registry.rules() if r.model == "community.PostImage")
    assert (rule.subject, rule.erasure) == ("owner", registry.Erasure.DELETE)
    image, post = _posted_image(customer, thread)
    keep, _other_post = _posted_image(other_customer, thread)
    with django_capture_on_commit_callbacks(execute=True):
        member_erase(member=customer, actor=dpo)
    assert list(PostImage.objects.values_list("pk", flat=True)) == [keep.pk]
    assert not (Path(media) / image.file.name).exists()
    assert (Path(media) / keep.file.name).exists()
    post.refresh_from_db()
    assert "<img" not in post.body_html
    assert Post.objects.get(pk=_other_post.pk).body_html.count("<img") == 1
