"""What an uploaded image must pass before it is stored: real content sniffing, size bounds, re-encoding.

The file name and the declared type are never trusted: Pillow opens the bytes with the decoders of the
accepted formats only, so an SVG or an HTML page renamed ``.png`` is refused. The pixels are copied into a
new image and encoded again, so nothing of the original file survives except what the reader sees: no EXIF
(GPS position, camera, time), XMP, ICC profile, comment or trailing bytes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# The decoders Pillow may use (MPO: the JPEG variant many phones write); what each is stored as.
ACCEPTED = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "MPO": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", "image/webp"),
    # A GIF keeps its first frame, stored as PNG (lossless, and no GIF comment or application blocks).
    "GIF": ("PNG", "png", "image/png"),
}
# MPO files are opened by the JPEG decoder (it tells them apart itself).
DECODERS = ["JPEG", "PNG", "WEBP", "GIF"]
MAX_PIXELS = 40_000_000  # more is a decompression bomb, not a photo
MAX_SIDE = 2560  # larger images are scaled down: readers never need more


class ImageRefused(ValueError):
    """The upload is not an image the portal stores; ``message`` tells the member why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=DECODERS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(_("This image has too many pixels.")) from None
        except UnidentifiedImageError:
            raise ImageRefused(_("This file is not a JPEG, PNG, WebP or GIF image.")) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused(_("This image is damaged and cannot be read.")) from None
    if image.width * image.height > MAX_PIXELS:
        raise ImageRefused(_("This image has too many pixels."))
    return image


def sanitise(data: bytes) -> CleanImage:
    """The image in ``data`` re-encoded without any metadata, or ``ImageRefused``."""
    if not data:
        raise ImageRefused(_("The file is empty."))
    image = _open(data)
    stored_format, extension, content_type = ACCEPTED[image.format]
    try:
        image.seek(0)
        image.load()
        # Phones store "rotated" photos unrotated plus an orientation tag: apply it before the tags go.
        image = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        raise ImageRefused(_("This image is damaged and cannot be read.")) from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha and stored_format != "JPEG" else "RGB"
    converted = image.convert(mode)
    # A new image from the pixels alone: ``info`` (EXIF, XMP, ICC, comments) is left behind.
    clean = Image.frombytes(mode, converted.size, converted.tobytes())
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if stored_format == "JPEG":
        clean.save(out, "JPEG", quality=85, optimize=True)
    elif stored_format == "WEBP":
        clean.save(out, "WEBP", quality=85)
    else:
        clean.save(out, "PNG", optimize=True)
    return CleanImage(
        content=out.getvalue(),
        extension=extension,
        content_type=content_type,
        width=clean.width,
        height=clean.height,
    )
