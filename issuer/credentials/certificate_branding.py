"""What a body adds to its printed certificate beyond the credential: its logo and its
accreditation mark at the head of the page, the signatory's line at the foot, and the
sentence naming the standard the certification follows.

A body's certificates are its documents: bodies print their logo, their address, the
accreditation under which they certify (with the accreditation body's mark where its rules
allow it) and the name and function of the person authorised to sign. Those come from the
body's recorded certificate design and body information, not from the signed credential,
so a change of letterhead needs no re-issuing; they never change what the page certifies.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.certificate_fonts import _clean, _fit_size, _Fonts, _fonts, _width, _wrap
from issuer.credentials.certificate_layout import _INK, _MARGIN, _MUTED, _PAGE_W, _RULE
from issuer.credentials.certificate_words import N_

__all__ = ["DEFAULT_TITLE", "STANDARD_SENTENCE", "Branding", "check_printable"]

DEFAULT_TITLE = N_("Certificate of Competence")
"""The title of a certificate whose scheme names none (translated like every fixed text)."""

STANDARD_SENTENCE = N_("Certified in accordance with ISO/IEC 17024")
"""How certification bodies word it on their certificates: the standard the body's
certification process follows (ISO/IEC 17024:2012, Conformity assessment — General
requirements for bodies operating certification of persons)."""

IMAGE_HEIGHT = 16 * mm
"""The logo and the mark are drawn at most this high, and at most :data:`_IMAGE_WIDTH`
wide, keeping their proportions."""
_IMAGE_WIDTH = 55 * mm
_SIGNATORY_WIDTH = 80 * mm
SIGNATORY_HEIGHT = 20 * mm
"""The space the signatory's line takes above the validity dates."""


@dataclass(frozen=True, slots=True)
class Branding:
    """The body's additions to the page, each already cleaned for the font (or absent)."""

    logo_png: bytes | None = None
    accreditation_mark_png: bytes | None = None
    signatory_name: str | None = None
    signatory_function: str | None = None

    @property
    def has_images(self) -> bool:
        return self.logo_png is not None or self.accreditation_mark_png is not None

    def draw_images(self, canvas: Canvas, top: float) -> None:
        """The logo at the left margin and the mark at the right, their tops at ``top``."""
        if self.logo_png is not None:
            _draw_png(canvas, self.logo_png, top, right_aligned=False)
        if self.accreditation_mark_png is not None:
            _draw_png(canvas, self.accreditation_mark_png, top, right_aligned=True)

    def draw_signatory(self, canvas: Canvas, bottom: float, fonts: _Fonts) -> None:
        """A line to sign on at the right, with the signatory's name and function under it.

        The line is left blank on purpose: a certificate is signed by hand (or stamped) by
        the person named, not by a picture of a signature anyone could copy.
        """
        if self.signatory_name is None:
            return
        right = _PAGE_W - _MARGIN
        middle = right - _SIGNATORY_WIDTH / 2
        line_y = bottom + SIGNATORY_HEIGHT - 7 * mm
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.6)
        canvas.line(right - _SIGNATORY_WIDTH, line_y, right, line_y)
        canvas.setFillColor(_INK)
        size = _fit_size(self.signatory_name, fonts.semibold, 10, 7, _SIGNATORY_WIDTH)
        canvas.setFont(fonts.semibold, size)
        canvas.drawCentredString(middle, line_y - 4.5 * mm, self.signatory_name)
        if self.signatory_function is not None:
            canvas.setFillColor(_MUTED)
            canvas.setFont(fonts.regular, 9)
            lines = _wrap(self.signatory_function, fonts.regular, 9, _SIGNATORY_WIDTH)
            for index, line in enumerate(lines):
                canvas.drawCentredString(middle, line_y - (8.5 + 3.8 * index) * mm, line)


def check_printable(text: str, what: str) -> None:
    """``ValueError`` unless ``text`` prints on the certificate: every character in the font
    and, for the signatory's name and function, within the room the page gives them. Checked
    when a design is recorded, so no certificate becomes unprintable afterwards."""
    fonts = _fonts()
    try:
        cleaned = _clean(text, fonts)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from exc
    if what == "the signatory's name" and _width(cleaned, fonts.semibold, 7) > _SIGNATORY_WIDTH:
        raise ValueError(f"{what} is too long to print under the signature line")
    lines = _wrap(cleaned, fonts.regular, 9, _SIGNATORY_WIDTH)
    if what == "the signatory's function" and len(lines) > 2:
        raise ValueError(f"{what} is too long: it must fit on two printed lines")


def _draw_png(canvas: Canvas, png: bytes, top: float, *, right_aligned: bool) -> None:
    image = ImageReader(io.BytesIO(png))
    pixel_width, pixel_height = image.getSize()
    scale = min(_IMAGE_WIDTH / pixel_width, IMAGE_HEIGHT / pixel_height)
    width, height = pixel_width * scale, pixel_height * scale
    x = _PAGE_W - _MARGIN - width if right_aligned else _MARGIN
    canvas.drawImage(image, x, top - height, width, height, mask="auto")
