"""Profile pictures: judged by their content, re-encoded without any metadata, or generated from the handle.

An upload is opened by Pillow whatever its name says; only JPEG, PNG and WebP content is taken, an
image larger than ``MAX_PIXELS`` (a decompression bomb) is refused before it is decoded, and a
damaged one when it is. What is stored is a new 256 px WebP built from the pixels alone, so EXIF
(GPS, camera serials), XMP, ICC profiles and comments never reach the storage, under a random name
served by the portal with a fixed content type. Without an upload a member has a generated picture:
the handle's initial on a colour chosen by a hash of the handle, made here, never fetched.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from portal.models import User

AVATAR_PX = 256
# Far above any photo a phone takes (about 50 megapixels) and far below what would exhaust memory.
MAX_PIXELS = 60_000_000
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
STORED_EXTENSION = ".webp"
CONTENT_TYPE = "image/webp"
UPLOAD_DIR = "avatars/"

# Backgrounds of generated pictures: each keeps white text above a 4.5:1 contrast (WCAG AA).
PALETTE = ("#1f5f7a", "#6a3d9a", "#2e6b30", "#a63d22", "#7a5c00", "#3949ab", "#a0124d", "#00695c")
NEUTRAL = "#5f6368"
NO_INITIAL = "_"


# --- Checking and re-encoding an upload -------------------------------------------------------------


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _not_an_image() -> ValidationError:
    return _refuse(
        _("This file is not a JPEG, PNG or WebP image. Please choose a photo or picture in one of these formats."),
        "format",
    )


def _too_many_pixels() -> ValidationError:
    return _refuse(
        _("This image has too many pixels to be processed safely. Please choose a smaller picture."), "pixels"
    )


def _damaged() -> ValidationError:
    return _refuse(_("This image is damaged or incomplete and cannot be read. Please choose another file."), "damaged")


def too_large_error() -> ValidationError:
    return _refuse(
        _("This file is larger than %(max)s. Please choose a smaller picture.")
        % {"max": filesizeformat(settings.AVATAR_MAX_BYTES)},
        "size",
    )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert colours from an embedded ICC profile to sRGB, so the picture looks right once the profile is gone."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # an unreadable profile: keep the pixels as they are


def avatar_image_normalise(data: bytes) -> bytes:
    """The stored form of an uploaded picture: a centred 256 px square WebP with no metadata at all.

    Raises ValidationError (codes ``size``, ``format``, ``pixels``, ``damaged``) with a message for the member.
    """
    if len(data) > settings.AVATAR_MAX_BYTES:
        raise too_large_error()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise _not_an_image()
                if probe.width * probe.height > MAX_PIXELS:
                    raise _too_many_pixels()
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)  # upright as the camera meant it, before EXIF goes
                image = _to_srgb(image.convert("RGBA" if _has_alpha(image) else "RGB"))
                square = ImageOps.fit(image, (AVATAR_PX, AVATAR_PX), Image.Resampling.LANCZOS, centering=(0.5, 0.4))
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except UnidentifiedImageError:
            raise _not_an_image() from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError):
            raise _damaged() from None
    # Only the pixels travel to the stored image: nothing of the upload's info (EXIF, XMP, ICC, comments).
    clean = Image.frombytes(square.mode, square.size, square.tobytes())
    out = io.BytesIO()
    clean.save(out, "WEBP", quality=85, method=4)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


# --- Writes ---------------------------------------------------------------------------------------


def _file_delete(name: str) -> None:
    if name:
        default_storage.delete(name)


def user_avatar_set(*, user: User, upload) -> User:
    """Check, re-encode and store a new profile picture; the previous file leaves storage once this commits.

    A refused upload changes nothing and stores nothing (ValidationError with the reason).
    """
    if upload is None:
        raise _refuse(_("Please choose an image file."), "required")
    if upload.size is not None and upload.size > settings.AVATAR_MAX_BYTES:
        raise too_large_error()
    data = upload.read(settings.AVATAR_MAX_BYTES + 1)
    encoded = avatar_image_normalise(data)
    name = default_storage.save(f"{UPLOAD_DIR}{secrets.token_hex(16)}{STORED_EXTENSION}", ContentFile(encoded))
    try:
        with transaction.atomic():
            row = User.objects.select_for_update().only("pk", "avatar").get(pk=user.pk)
            previous = row.avatar.name or ""
            User.objects.filter(pk=user.pk).update(avatar=name)
            transaction.on_commit(partial(_file_delete, previous))
    except BaseException:
        _file_delete(name)
        raise
    user.avatar.name = name
    return user


def user_avatar_remove(*, user: User) -> User:
    """Back to the generated picture; the file leaves storage once this commits."""
    with transaction.atomic():
        row = User.objects.select_for_update().only("pk", "avatar").get(pk=user.pk)
        previous = row.avatar.name or ""
        if previous:
            User.objects.filter(pk=user.pk).update(avatar="")
            transaction.on_commit(partial(_file_delete, previous))
    user.avatar.name = ""
    return user


# --- Reads ----------------------------------------------------------------------------------------


def avatar_token(name: str) -> str | None:
    """The random part of a stored picture's name (``avatars/<token>.webp``), the only part a URL carries."""
    if not name.startswith(UPLOAD_DIR) or not name.endswith(STORED_EXTENSION):
        return None
    token = name[len(UPLOAD_DIR) : -len(STORED_EXTENSION)]
    return token if token.isalnum() else None


def stored_name(token: str) -> str:
    return f"{UPLOAD_DIR}{token}{STORED_EXTENSION}"


def default_avatar_key(member: User | None) -> str:
    """``<initial><colour>`` of the generated picture: the handle's first letter or digit, a colour from its hash."""
    if member is None or member.erased_at is not None or not member.handle:
        return f"{NO_INITIAL}0"
    handle = member.handle
    initial = handle[0].lower() if handle[0].isascii() and handle[0].isalnum() else NO_INITIAL
    colour = int.from_bytes(hashlib.sha256(handle.encode()).digest()[:4], "big") % len(PALETTE)
    return f"{initial}{colour}"


def avatar_url(member: User | None) -> str:
    """Where the member's picture is served: the upload, or the generated one (an erased member: the neutral one)."""
    if member is not None and member.erased_at is None and member.avatar:
        token = avatar_token(member.avatar.name)
        if token:
            return reverse("member_avatar", args=[token])
    return reverse("default_avatar", args=[default_avatar_key(member)])


def default_avatar_svg(key: str) -> str | None:
    """The generated picture for ``key`` (from ``default_avatar_key``), or None for a key it never makes."""
    if len(key) != 2 or not key[1].isdigit() or int(key[1]) >= len(PALETTE):
        return None
    initial = key[0]
    if initial == NO_INITIAL:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
            f'<rect width="64" height="64" fill="{NEUTRAL}"/>'
            '<circle cx="32" cy="25" r="11" fill="#fff"/>'
            '<path d="M12 56c2-11 10-17 20-17s18 6 20 17z" fill="#fff"/></svg>'
        )
    if not (initial.isascii() and (initial.islower() or initial.isdigit())):
        return None
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<rect width="64" height="64" fill="{PALETTE[int(key[1])]}"/>'
        '<text x="32" y="43" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="30" font-weight="700" fill="#fff">{escape(initial.upper())}</text></svg>'
    )
