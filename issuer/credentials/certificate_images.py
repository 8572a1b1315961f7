"""The images a body prints on its certificates (its logo, its accreditation mark), checked
once when an administrator records them, so that printing never meets a bad one.

Only PNG is accepted: reportlab draws PNG exactly (transparency included) and every
graphics program exports it. SVG would need a converter this project does not carry, and a
converter's partial SVG support would print a logo differently from how the body drew it;
so an SVG is refused in words that say to export it as PNG. An image is decoded completely
here — a truncated or corrupt file is refused now, not when a certificate is printed — and
its size is bounded before it is decoded, so a small file cannot expand into a huge bitmap.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS_SIDE", "check_png"]

MAX_IMAGE_BYTES = 80 * 1024
"""A logo or mark file is at most 80 KiB: a flat-colour logo of 1500 pixels prints sharp at
that size, and two of them, base64-encoded, fit in one request under the API's body limit."""

MAX_IMAGE_PIXELS_SIDE = 4000
"""Neither side over 4000 pixels (about 34 cm at 300 dpi, far more than any logo prints)."""


def check_png(data: bytes, what: str) -> bytes:
    """``data`` when it is a readable PNG within the limits; else ``ValueError`` saying why,
    in words an administrator can act on (``what`` names the image: "the logo")."""
    if not data:
        raise ValueError(f"{what} is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(
            f"{what} is {len(data)} bytes; at most {MAX_IMAGE_BYTES} bytes (80 KiB) are accepted"
        )
    if data.lstrip()[:5] in (b"<?xml", b"<svg ") or b"<svg" in data[:1024]:
        raise ValueError(f"{what} is an SVG image; export it as PNG and send that")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG":
                    raise ValueError(f"{what} is a {image.format} image; send it as PNG")
                width, height = image.size
                if max(width, height) > MAX_IMAGE_PIXELS_SIDE:
                    raise ValueError(
                        f"{what} is {width}×{height} pixels; at most "
                        f"{MAX_IMAGE_PIXELS_SIDE} pixels a side are accepted"
                    )
                image.load()
    except ValueError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{what} is not a PNG image that can be read") from exc
    except Image.DecompressionBombWarning as exc:
        raise ValueError(f"{what} is too large an image") from exc
    return data
