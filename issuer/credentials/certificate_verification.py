"""The foot of the printed certificate: the QR code of the verification URL and, beside it,
how to verify — the URL in words and what "valid" means (see
:mod:`issuer.credentials.certificate_pdf` for why the code is vector and this size).
"""

from __future__ import annotations

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials import qr
from issuer.credentials.certificate_fonts import _Fonts, _wrap, _wrap_url
from issuer.credentials.certificate_layout import (
    _ACCENT,
    _MARGIN,
    _MUTED,
    _PAGE_W,
    _Element,
    _Gap,
    _Stack,
    _Text,
    _texts,
)
from issuer.credentials.certificate_words import N_, Words

__all__ = ["QR_SYMBOL_MM"]

QR_SYMBOL_MM = 34.0
"""Width of the QR symbol without its quiet zone: a 37-49 module verification URL gets
0.7-0.9 mm modules, which phone cameras read comfortably from a desk or a wall."""


def _draw_qr(canvas: Canvas, url: str, x: float, top: float) -> float:
    """Draw the QR code with its top-left quiet-zone corner at (x, top); return its full size.

    Each run of dark modules in a row becomes one rectangle, all in one filled path: one fill
    means no hairline seams between neighbouring modules in any renderer.
    """
    matrix = qr.qr_matrix(url)
    count = len(matrix)
    module = QR_SYMBOL_MM * mm / count
    quiet = qr.QUIET_ZONE * module
    full = count * module + 2 * quiet
    canvas.setFillColor(Color(1, 1, 1))
    canvas.rect(x, top - full, full, full, stroke=0, fill=1)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        y = top - quiet - (row_index + 1) * module
        start: int | None = None
        for column, dark in enumerate((*row, False)):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                path.rect(x + quiet + start * module, y, (column - start) * module, module)
                start = None
    canvas.setFillColor(Color(0, 0, 0))
    canvas.drawPath(path, stroke=0, fill=1)
    return full


def _draw_verification(
    canvas: Canvas, top: float, url: str, shown_url: str, fonts: _Fonts, words: Words
) -> None:
    """The QR code and, beside it, how to verify: the same URL in words and what "valid" means.

    The URL is printed as well as encoded, so a reader without a camera can type it. On a
    bilingual page each text has its English beneath it, the type a little smaller so that
    both fit beside the code.
    """
    qr_x = _MARGIN - 3 * mm
    qr_size = _draw_qr(canvas, url, qr_x, top)
    x = qr_x + qr_size + 3 * mm
    width = _PAGE_W - _MARGIN - x
    notice = words.pair(
        N_(
            "The certificate is valid only if the verification page shows it as valid. "
            "Certificates can be suspended or withdrawn; the verification page always shows "
            "the current status, and this paper alone is no proof of certification."
        )
    )
    heading = words.pair(N_("Verify this certificate"))
    how = words.pair(N_("Scan the QR code or open this address:"))
    two = words.second is not None
    size, small = (8.5, 7.0) if two else (10.0, 10.0)

    def english(text: str | None) -> list[_Element]:
        if text is None:
            return []
        return _texts(_wrap(text, fonts.light, small, width), fonts.light, small, _MUTED, x=x)

    _Stack(
        (
            _Gap((1.5 if two else 3) * mm),
            _Text(heading[0], fonts.semibold, 12, _ACCENT, x),
            *english(heading[1]),
            _Gap(1 * mm),
            *_texts(_wrap(how[0], fonts.regular, size, width), fonts.regular, size, x=x),
            *english(how[1]),
            *_texts(_wrap_url(shown_url, fonts.semibold, size, width), fonts.semibold, size, x=x),
            _Gap((1.2 if two else 2) * mm),
            *_texts(_wrap(notice[0], fonts.regular, size, width), fonts.regular, size, x=x),
            *english(notice[1]),
        )
    ).draw(canvas, top)
