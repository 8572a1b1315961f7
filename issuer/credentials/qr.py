"""QR codes of verification URLs, for paper certificates and for screens.

A certificate's QR code holds only a short verification URL (``{base_url}/v/{credential_id}``),
never the credential itself: a signed credential needs a QR version of 25-40, a URL fits
version 5-8, and the page behind it always shows the *current* status (STANDARDS.md §9.4).

Choices that hold for every code made here:

- **Error correction Q** (about 25 % of the codewords may be lost), raised to H by segno's
  ``boost_error`` when that fits the same version. The code is printed on paper that gets
  folded, stamped, punched, laminated and photocopied; M (15 %) leaves too little margin for a
  fold line or a stamp across the symbol, and Q costs only one or two versions for a URL — the
  EU Digital COVID Certificate recommends Q for printed codes for the same reason.
- **Printable ASCII only.** Byte mode carries no character set unless an ECI is added, and
  scanners disagree on how to read non-ASCII bytes (ISO-8859-1 by the standard, UTF-8 by
  guess), while ECI itself is not supported by every phone camera. ASCII bytes read the same
  under every interpretation, so the decoded text always equals the input exactly. A host
  name must therefore be in its punycode form and a path percent-encoded. segno picks the
  mode: byte for ordinary URLs, alphanumeric when the text is only upper case, digits and
  ``$%*+-./:`` — both round-trip exactly.
- **Full-size QR, never Micro QR**, with the **4-module quiet zone** that ISO/IEC 18004 asks
  for: phone cameras find a symbol by its quiet zone, and many do not read Micro QR at all.
- **A fixed data mask** (:data:`MASK`). Choosing the mask scores all eight candidates and is
  most of segno's work: make + SVG is 4-4.4 times faster with a fixed mask (80-120/s against
  325-525/s on a 2-core development machine; make + PNG only about twice as fast, 67-95/s
  against 137-205/s, since writing the PNG then dominates). Mask 2 is the one segno's own
  scoring picks for about 80 % of verification URLs, with a median penalty gap of 0 to the
  best mask; under simulated damage (fold lines, stamps, low resolution) it decoded as often
  as a per-symbol choice. The tests decode every code with zxing-cpp.
- **Deterministic output**: the same text gives the same bytes, so the bytes can be cached
  and compared. Per PERFORMANCE.md codes are rendered on request and cached by the caller,
  never during issuance.
"""

from __future__ import annotations

import io
import re
import uuid
from urllib.parse import urlsplit

import segno

__all__ = [
    "ERROR_LEVEL",
    "MASK",
    "QUIET_ZONE",
    "SVG_MODULE_MM",
    "qr_matrix",
    "qr_png",
    "qr_svg",
    "verification_url",
]

ERROR_LEVEL = "Q"
MASK = 2
QUIET_ZONE = 4
SVG_MODULE_MM = 0.75
"""Module size of the SVG in millimetres: a typical verification URL (version 5-8, 37-49
modules) gives a code of 34-43 mm with its quiet zone, which phones read from arm's length."""

SVG_TITLE = "Verification QR code"
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


def _check_text(text: str) -> None:
    if not _PRINTABLE_ASCII.fullmatch(text):
        raise ValueError(
            "QR text must be non-empty printable ASCII (punycode hosts, percent-encoded paths)"
        )


def _make(text: str) -> segno.QRCode:
    _check_text(text)
    return segno.make(text, error=ERROR_LEVEL, boost_error=True, micro=False, mask=MASK, mode=None)


def verification_url(base_url: str, credential_id: str) -> str:
    """The URL a certificate's QR code points to: ``{base_url}/v/{credential_id}``.

    ``credential_id`` must be a UUID in its canonical form (lower case, hyphenated), so one
    credential has exactly one URL and one QR code; any other spelling is refused rather than
    normalised, because a second spelling printed on paper would be a second identifier.
    ``base_url`` must be an absolute http(s) URL without a trailing slash, query or fragment.
    """
    try:
        canonical = str(uuid.UUID(credential_id))
    except (ValueError, TypeError, AttributeError):
        raise ValueError(f"credential id is not a UUID: {credential_id!r}") from None
    if canonical != credential_id:
        raise ValueError(f"credential id is not a canonical lower-case UUID: {credential_id!r}")
    if not isinstance(base_url, str) or not _PRINTABLE_ASCII.fullmatch(base_url):
        raise ValueError("base URL must be printable ASCII (use the punycode form of the host)")
    parts = urlsplit(base_url)
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise ValueError(f"base URL has an invalid port: {base_url!r}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or base_url.endswith(("/", "?", "#"))
        or " " in base_url
    ):
        raise ValueError(
            f"base URL must be an absolute http(s) URL without trailing slash: {base_url!r}"
        )
    return f"{base_url}/v/{credential_id}"


def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The symbol's modules, row by row, ``True`` for dark, without the quiet zone.

    For renderers that draw the modules themselves (the certificate PDF draws vector
    rectangles); they must leave :data:`QUIET_ZONE` light modules on every side.
    """
    return tuple(tuple(bool(module) for module in row) for row in _make(text).matrix)


def qr_svg(text: str, *, title: str = SVG_TITLE) -> bytes:
    """A standalone SVG document (UTF-8, with XML declaration) of the QR code of ``text``.

    Width and height are in millimetres (:data:`SVG_MODULE_MM` per module), so the code prints
    at a known physical size; the ``<title>`` names it as the verification QR code and the
    ``<desc>`` carries the encoded text, for screen readers and for people who cannot scan.
    Another ``title`` names a code that is not a verification code (a wallet offer's).
    """
    buffer = io.BytesIO()
    _make(text).save(
        buffer,
        kind="svg",
        scale=SVG_MODULE_MM,
        unit="mm",
        border=QUIET_ZONE,
        xmldecl=True,
        svgns=True,
        title=title,
        desc=text,
        encoding="utf-8",
    )
    return buffer.getvalue()


def qr_png(text: str, *, scale: int = 8) -> bytes:
    """A PNG of the QR code of ``text``, ``scale`` pixels per module, black on white.

    ``scale`` is a whole number so every module is an exact block of pixels: no blurred edges
    for a scanner to guess at.
    """
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, not {scale!r}")
    buffer = io.BytesIO()
    _make(text).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()
