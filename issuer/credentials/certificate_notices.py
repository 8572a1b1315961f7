"""What a printed certificate says about what happened after its credential was signed.

A page printed today must not look like a valid certificate when the certification behind it
was withdrawn, suspended or has expired, or when this credential was replaced by another:
paper cannot be suspended, and a valid-looking page is exactly what a person who must stop
claiming certification (ISO/IEC 17024 9.5, 9.7) could keep showing. So such a page carries
a **notice**: a banner at the top, in words ("WITHDRAWN on 2027-03-05"), and the same word
as a large pale watermark across the page, so that a cut-off or photocopied page still says
it. The watermark is drawn first and the QR code's white quiet zone over it, so every text
and the code stay readable and scannable.

The wording is the verification page's (``registry.verification_page``): the words a person
checking a certificate already meets there. Dates are ISO 8601, in UTC, like the rest of the
page.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date, timedelta

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.certificate_fonts import _fit_size, _Fonts, _width, _wrap, _wrap_url
from issuer.credentials.certificate_layout import (
    _CENTER,
    _CONTENT_W,
    _MARGIN,
    _PAGE_H,
    _PAGE_W,
    _Gap,
    _Stack,
    _texts,
)

__all__ = ["Notice", "Standing"]


class Standing(enum.StrEnum):
    """What happened since the credential was signed, as the printed page names it."""

    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Notice:
    """One fact the page must state, with its date (``None`` when the records lack it).

    ``on`` is, by standing: the day the replacing certificate was issued (superseded), the day
    of the withdrawal (withdrawn), the day the suspension began (suspended), the first day on
    which the certificate was no longer valid (expired: the day after its last valid day).
    """

    standing: Standing
    on: date | None


_BAD = HexColor("#9b1c1c")
_BAD_TINT = HexColor("#fbeaea")
_WARN = HexColor("#8a4b00")
_WARN_TINT = HexColor("#fdf3e1")
_COLOURS = {
    Standing.SUPERSEDED: (_WARN, _WARN_TINT),
    Standing.SUSPENDED: (_WARN, _WARN_TINT),
    Standing.WITHDRAWN: (_BAD, _BAD_TINT),
    Standing.EXPIRED: (_BAD, _BAD_TINT),
}
_HEADLINE_DATE = {
    Standing.SUPERSEDED: "",
    Standing.WITHDRAWN: "on",
    Standing.SUSPENDED: "since",
    Standing.EXPIRED: "on",
}


def headline(notice: Notice) -> str:
    """The banner's headline: "WITHDRAWN on 2027-03-05", "SUSPENDED since …", "SUPERSEDED"."""
    word = notice.standing.value.upper()
    preposition = _HEADLINE_DATE[notice.standing]
    if notice.on is None or not preposition:
        return word
    return f"{word} {preposition} {notice.on.isoformat()}"


def sentence(notice: Notice) -> str:
    """What the notice means for whoever holds the page, in a sentence.

    A superseded page says what replaced it; :func:`verify_line` says where to check it.
    """
    on = notice.on.isoformat() if notice.on is not None else None
    match notice.standing:
        case Standing.SUPERSEDED:
            when = f" issued on {on}" if on else ""
            return f"Superseded — replaced by the certificate{when}"
        case Standing.WITHDRAWN:
            when = f" on {on}" if on else ""
            return f"This certification was withdrawn{when}: it is no longer valid."
        case Standing.SUSPENDED:
            when = f" since {on}" if on else ""
            return (
                f"This certification has been suspended{when}: it is not valid unless the "
                "certification body reinstates it."
            )
        case Standing.EXPIRED:
            if notice.on is None:
                return "This certification has expired: it is no longer valid."
            last = (notice.on - timedelta(days=1)).isoformat()
            return (
                f"This certification expired on {on}; its last valid day was {last}. "
                "It is no longer valid."
            )


def _lines(
    notices: tuple[Notice, ...], url: str, fonts: _Fonts, width: float, size: float
) -> list[_Stack]:
    """Each notice's sentence, wrapped; a superseded one ends with the address to verify it
    at, on lines of its own (an address is broken only where it must be)."""
    blocks: list[_Stack] = []
    for notice in notices:
        if notice.standing is Standing.SUPERSEDED:
            lines = _texts(
                _wrap(f"{sentence(notice)}; verify at", fonts.regular, size, width),
                fonts.regular,
                size,
            )
            lines += _texts(_wrap_url(url, fonts.semibold, size, width), fonts.semibold, size)
        else:
            lines = _texts(_wrap(sentence(notice), fonts.regular, size, width), fonts.regular, size)
        blocks.append(_Stack(tuple(lines)))
    return blocks


@dataclass(frozen=True, slots=True)
class Banner:
    """The framed banner at the top of the page: the first notice's headline, then what each
    notice means. It is an element of the page's column (a height, drawn below a top).

    ``compact`` sets it smaller, for a page whose scope would not fit under the full one.
    """

    notices: tuple[Notice, ...]
    url: str
    fonts: _Fonts
    compact: bool = False

    @property
    def _inner_width(self) -> float:
        return _CONTENT_W - 8 * mm

    @property
    def _content(self) -> _Stack:
        first = headline(self.notices[0])
        largest, text_size, pad = (14, 9.0, 1.3 * mm) if self.compact else (22, 10.5, 3 * mm)
        size = _fit_size(first, self.fonts.bold, largest, 12, self._inner_width)
        colour, _ = _COLOURS[self.notices[0].standing]
        parts = [_Gap(pad), *_texts([first], self.fonts.bold, size, colour), _Gap(pad / 3)]
        for block in _lines(self.notices, self.url, self.fonts, self._inner_width, text_size):
            parts += [block, _Gap(pad / 4)]
        parts.append(_Gap(pad * 0.75))
        return _Stack(tuple(parts))

    @property
    def height(self) -> float:
        return self._content.height

    def draw(self, canvas: Canvas, top: float) -> None:
        colour, tint = _COLOURS[self.notices[0].standing]
        content = self._content
        canvas.setFillColor(tint)
        canvas.setStrokeColor(colour)
        canvas.setLineWidth(1.4)
        canvas.rect(_MARGIN, top - content.height, _CONTENT_W, content.height, stroke=1, fill=1)
        content.draw(canvas, top)


def draw_watermark(canvas: Canvas, notice: Notice, fonts: _Fonts) -> None:
    """The notice's word, large and pale, along the page's diagonal, behind everything."""
    word = notice.standing.value.upper()
    colour, _ = _COLOURS[notice.standing]
    angle = math.degrees(math.atan2(_PAGE_H, _PAGE_W))
    length = 0.78 * math.hypot(_PAGE_W, _PAGE_H)
    size = length / max(_width(word, fonts.bold, 1), 1e-6)
    # Marked as having no text of its own (an empty ActualText, PDF 32000-1 14.9.4): the
    # banner says the words, and text extraction (copying, search, screen readers) would
    # otherwise cut the diagonal word into pieces between the page's lines.
    canvas.addLiteral("/Span <</ActualText ()>> BDC")
    canvas.saveState()
    canvas.setFillColor(Color(colour.red, colour.green, colour.blue, alpha=0.11))
    canvas.translate(_CENTER, _PAGE_H / 2)
    canvas.rotate(angle)
    canvas.setFont(fonts.bold, size)
    canvas.drawCentredString(0, -size * 0.35, word)
    canvas.restoreState()
    canvas.addLiteral("EMC")
