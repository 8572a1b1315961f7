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
checking a certificate already meets there, in the certificate's language (and English
beneath them on a bilingual page). Dates are days in UTC, written as the language writes
them.
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
    _Element,
    _Gap,
    _Stack,
    _texts,
)
from issuer.credentials.certificate_words import ENGLISH, N_, Words

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
_WORDS = {
    Standing.SUPERSEDED: N_("Superseded"),
    Standing.WITHDRAWN: N_("Withdrawn"),
    Standing.SUSPENDED: N_("Suspended"),
    Standing.EXPIRED: N_("Expired"),
}
_HEADLINE_DATE = {
    Standing.SUPERSEDED: None,
    Standing.WITHDRAWN: N_("%(standing)s on %(date)s"),
    Standing.SUSPENDED: N_("%(standing)s since %(date)s"),
    Standing.EXPIRED: N_("%(standing)s on %(date)s"),
}


def word(notice: Notice, words: Words, language: str | None = None) -> str:
    """The notice's word in capitals, as the watermark prints it: "WITHDRAWN"."""
    return words.say(_WORDS[notice.standing], language).upper()


def headline(notice: Notice, words: Words = ENGLISH, language: str | None = None) -> str:
    """The banner's headline: "WITHDRAWN on 5 March 2027", "SUSPENDED since …", "SUPERSEDED"."""
    standing = word(notice, words, language)
    form = _HEADLINE_DATE[notice.standing]
    if notice.on is None or form is None:
        return standing
    return words.say(form, language, standing=standing, date=notice.on)


def sentence(notice: Notice, words: Words = ENGLISH, language: str | None = None) -> str:
    """What the notice means for whoever holds the page, in a sentence.

    A superseded page says what replaced it; the banner adds where to verify it.
    """
    on = notice.on

    def say(message: str, **values: object) -> str:
        return words.say(message, language, **values)

    match notice.standing:
        case Standing.SUPERSEDED:
            if on is None:
                return say(N_("Superseded — replaced by the certificate"))
            return say(N_("Superseded — replaced by the certificate issued on %(date)s"), date=on)
        case Standing.WITHDRAWN:
            if on is None:
                return say(N_("This certification was withdrawn: it is no longer valid."))
            return say(
                N_("This certification was withdrawn on %(date)s: it is no longer valid."),
                date=on,
            )
        case Standing.SUSPENDED:
            if on is None:
                return say(
                    N_(
                        "This certification has been suspended: it is not valid unless the "
                        "certification body reinstates it."
                    )
                )
            return say(
                N_(
                    "This certification has been suspended since %(date)s: it is not valid "
                    "unless the certification body reinstates it."
                ),
                date=on,
            )
        case Standing.EXPIRED:
            if on is None:
                return say(N_("This certification has expired: it is no longer valid."))
            return say(
                N_(
                    "This certification expired on %(date)s; its last valid day was %(last)s. "
                    "It is no longer valid."
                ),
                date=on,
                last=on - timedelta(days=1),
            )


def _block(
    notice: Notice, url: str, fonts: _Fonts, width: float, size: float, words: Words, language: str
) -> list[_Element]:
    """One notice's sentence in one language, wrapped; a superseded one ends with the address
    to verify it at, on lines of its own (an address is broken only where it must be)."""
    text = sentence(notice, words, language)
    if notice.standing is not Standing.SUPERSEDED:
        return _texts(_wrap(text, fonts.regular, size, width), fonts.regular, size)
    lead = words.say(N_("%(sentence)s; verify at"), language, sentence=text)
    lines = _texts(_wrap(lead, fonts.regular, size, width), fonts.regular, size)
    return lines + _texts(_wrap_url(url, fonts.semibold, size, width), fonts.semibold, size)


def _lines(
    notices: tuple[Notice, ...],
    url: str,
    fonts: _Fonts,
    width: float,
    size: float,
    words: Words,
) -> list[_Stack]:
    """Each notice's sentence, and on a bilingual page the English one beneath it, smaller
    and without the address again."""
    blocks: list[_Stack] = []
    for notice in notices:
        lines = _block(notice, url, fonts, width, size, words, words.language)
        if words.second is not None:
            english = sentence(notice, words, words.second)
            small = size - 1.5
            lines += _texts(_wrap(english, fonts.light, small, width), fonts.light, small)
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
    words: Words = ENGLISH

    @property
    def _inner_width(self) -> float:
        return _CONTENT_W - 8 * mm

    @property
    def _content(self) -> _Stack:
        first = headline(self.notices[0], self.words)
        largest, text_size, pad = (14, 9.0, 1.3 * mm) if self.compact else (22, 10.5, 3 * mm)
        size = _fit_size(first, self.fonts.bold, largest, 12, self._inner_width)
        colour, _ = _COLOURS[self.notices[0].standing]
        parts = [_Gap(pad), *_texts([first], self.fonts.bold, size, colour)]
        if self.words.second is not None:
            english = headline(self.notices[0], self.words, self.words.second)
            parts += _texts([english], self.fonts.semibold, size * 0.5, colour)
        parts.append(_Gap(pad / 3))
        width = self._inner_width
        for block in _lines(self.notices, self.url, self.fonts, width, text_size, self.words):
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


def draw_watermark(canvas: Canvas, notice: Notice, fonts: _Fonts, words: Words = ENGLISH) -> None:
    """The notice's word, large and pale, along the page's diagonal, behind everything (in
    the certificate's language only: two words would cross)."""
    text = word(notice, words)
    colour, _ = _COLOURS[notice.standing]
    angle = math.degrees(math.atan2(_PAGE_H, _PAGE_W))
    length = 0.78 * math.hypot(_PAGE_W, _PAGE_H)
    size = length / max(_width(text, fonts.bold, 1), 1e-6)
    # Marked as having no text of its own (an empty ActualText, PDF 32000-1 14.9.4): the
    # banner says the words, and text extraction (copying, search, screen readers) would
    # otherwise cut the diagonal word into pieces between the page's lines.
    canvas.addLiteral("/Span <</ActualText ()>> BDC")
    canvas.saveState()
    canvas.setFillColor(Color(colour.red, colour.green, colour.blue, alpha=0.11))
    canvas.translate(_CENTER, _PAGE_H / 2)
    canvas.rotate(angle)
    canvas.setFont(fonts.bold, size)
    canvas.drawCentredString(0, -size * 0.35, text)
    canvas.restoreState()
    canvas.addLiteral("EMC")
