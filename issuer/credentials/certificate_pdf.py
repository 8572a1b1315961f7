"""The printable certificate: one A4 page that a person can frame, file or hand to an employer.

The page carries what ISO/IEC 17024 (2012 edition 9.4.9) asks of a certificate — the certified
person's name, the unique certificate number, the certification body, the scheme with its
version, the scope, the effective and expiry dates — and the QR code of the verification URL.
Paper cannot be suspended or withdrawn, so the page says in words that it proves nothing by
itself: only the verification page behind the QR code tells whether it is valid today. That is
also what makes a counterfeit detectable (9.4.9: "designed to reduce the risk of
counterfeiting").

Choices:

- **Font: Source Sans Pro**, from the ``font-source-sans-pro`` package (SIL Open Font License),
  embedded as a subset. The PDF standard fonts (Helvetica) and reportlab's bundled Bitstream
  Vera cover only part of Latin Extended-A (Vera has "č" and "Ł" but not "ą", "ę", "ő", "ř",
  "ś", "ū"…), and a certificate must print every European name exactly. Source Sans Pro covers
  Latin-1, Latin Extended-A (all but the deprecated "ŉ"), Romanian "ș"/"ț", Vietnamese,
  Greek and Cyrillic. It ships as a Python package, so no system font path is assumed.
- **A name the font cannot draw is refused** (``ValueError``), never printed with a blank box:
  a misspelt name on a certificate is worse than no certificate. Text is NFC-normalised first,
  so a name typed with combining accents prints as the same letters.
- **The QR code is vector**: one filled path of module-row rectangles from segno's matrix, so
  it stays sharp at any printer resolution and a scanner sees no resampling blur. The symbol
  is :data:`QR_SYMBOL_MM` wide, plus the 4-module quiet zone kept clear on every side.
- **Deterministic output** (reportlab ``invariant=1``): the same view gives the same bytes,
  so a PDF can be cached, hashed and compared. Times are printed in UTC.
- **In the holder's language** (:mod:`issuer.credentials.certificate_words`): every fixed
  text is translated (English, German, French, Spanish) and dates are written as the
  language writes them; a bilingual page prints English beneath each text, in the same
  layout, smaller and lighter.
- **Everything on one page**: a scope that does not fit even at the smallest type size is an
  error rather than a silently cut list.
- **Never more than is true**: a page printed after the certification was withdrawn,
  suspended or expired, or after this credential was superseded, says so in a banner and a
  watermark (:mod:`issuer.credentials.certificate_notices`); the view carries those notices,
  so the same facts still give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.certificate_branding import (
    DEFAULT_TITLE,
    IMAGE_HEIGHT,
    SIGNATORY_HEIGHT,
    STANDARD_SENTENCE,
    Branding,
)
from issuer.credentials.certificate_details import _draw_frame, _draw_validity, _issued
from issuer.credentials.certificate_fonts import (
    _clean,
    _fit_size,
    _Fonts,
    _fonts,
    _width,
    _wrap,
)
from issuer.credentials.certificate_layout import (
    _ACCENT,
    _CONTENT_W,
    _MARGIN,
    _MUTED,
    _PAGE_H,
    _PAGE_W,
    _Dot,
    _Element,
    _Gap,
    _Row,
    _Rule,
    _Stack,
    _Text,
    _texts,
)
from issuer.credentials.certificate_notices import Banner, Notice, draw_watermark, word
from issuer.credentials.certificate_verification import QR_SYMBOL_MM, _draw_verification
from issuer.credentials.certificate_words import N_, Words
from schemas.languages import DEFAULT_LANGUAGE

__all__ = ["LAYOUT_VERSION", "QR_SYMBOL_MM", "CertificateView", "render_certificate_pdf"]

LAYOUT_VERSION = 4
"""The page's layout, for caches keyed by what a page shows: a change to how the page is
drawn (not only to what it says) must raise it, so no page drawn the old way is served."""

_SCOPE_SIZE = 11.0
_SCOPE_MIN_SIZE = 8.0
_STRETCH_MAX = 17 * mm
_BANNER_TOP = _PAGE_H - 18 * mm


@dataclass(frozen=True, slots=True)
class CertificateView:
    """Everything the printed certificate shows, already decided and formatted by the caller.

    ``expiry_date`` is the last day on which the certificate is valid. ``issued_at`` must be
    timezone-aware: it is printed in UTC, and a naive time would print as a guess.
    ``notices`` are what happened since the credential was signed, the weightiest first (it
    names the banner and the watermark); none for a certificate as valid as when issued.
    """

    holder_name: str
    certificate_number: str
    body_name: str
    scheme_name: str
    scheme_code: str
    scheme_version: int
    scope: tuple[tuple[str, str], ...]
    effective_date: date
    expiry_date: date
    verification_url: str
    issued_at: datetime
    notices: tuple[Notice, ...] = ()
    certified_since: date | None = None
    """The day the person was first certified, when the credential says (a recertification
    keeps it): printed beside the validity of the current cycle."""
    title: str = DEFAULT_TITLE
    """The scheme's title for its certificates."""
    body_address: str | None = None
    """The body's postal address, its lines separated by newlines."""
    accreditation_body: str | None = None
    accreditation_number: str | None = None
    """The accreditation the body information states, printed under the standard's name."""
    signatory_name: str | None = None
    signatory_function: str | None = None
    logo_png: bytes | None = None
    accreditation_mark_png: bytes | None = None
    """The body's logo and accreditation mark, PNG images checked when they were recorded."""
    language: str = DEFAULT_LANGUAGE
    """The language the page speaks (one of ``schemas.languages.LANGUAGES``)."""
    bilingual: bool = False
    """Whether English is printed beneath each text of a page in another language."""
    own_title: str | None = None
    """The scheme's own certificate title when ``title`` is its translation: a bilingual
    page prints it beneath."""

    def __post_init__(self) -> None:
        for field in (
            "holder_name",
            "certificate_number",
            "body_name",
            "scheme_name",
            "scheme_code",
            "verification_url",
            "title",
        ):
            if not str(getattr(self, field)).strip():
                raise ValueError(f"{field} must not be empty")
        if self.scheme_version < 1:
            raise ValueError("scheme_version must be 1 or more")
        if not self.scope:
            raise ValueError("a certificate states its scope (ISO/IEC 17024 9.4.9): none given")
        for item in self.scope:
            if len(item) != 2 or not all(isinstance(part, str) and part.strip() for part in item):
                raise ValueError(f"scope items are non-empty (code, title) pairs: {item!r}")
        if self.expiry_date < self.effective_date:
            raise ValueError("expiry_date is before effective_date")
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        standings = [notice.standing for notice in self.notices]
        if len(set(standings)) != len(standings):
            raise ValueError(f"notices name a standing twice: {standings}")
        if (self.accreditation_body is None) != (self.accreditation_number is None):
            raise ValueError("an accreditation is printed with both its body and its number")
        if self.signatory_function is not None and self.signatory_name is None:
            raise ValueError("a signatory's function is printed only with their name")
        Words(self.language, self.bilingual)  # refuses a language with no catalogue


def _said(
    pair: tuple[str, str | None], font: str, size: float, fonts: _Fonts, **style: Any
) -> list[_Element]:
    """A text, and on a bilingual page its English beneath it, smaller, lighter and muted."""
    first, english = pair
    lines: list[_Element] = [_Text(first, font, size, **style)]
    if english is not None:
        style = {**style, "color": _MUTED, "spacing": style.get("spacing", 0.0) * 0.6}
        lines.append(_Text(english, fonts.light, size * 0.78, **style))
    return lines


def _centre_column(
    *,
    body: str,
    address: str | None,
    heading: tuple[str, str | None],
    accreditation: str | None,
    holder: str,
    scheme: str,
    scheme_line: str,
    scope: tuple[tuple[str, str], ...],
    scope_size: float,
    fonts: _Fonts,
    words: Words,
    compact: bool = False,
) -> list[_Element]:
    """Header, title, holder, scheme and scope, top to bottom, before spare space is shared.

    ``compact`` (a page with a notice whose scope would not fit otherwise) halves the fixed
    gaps and sets the title and the name smaller, which frees more than a compact banner
    takes: whatever fits on a valid page fits with its notice.
    """
    gap = 0.5 if compact else 1.0
    name_size = _fit_size(holder, fonts.bold, *((24, 18) if compact else (32, 20)), _CONTENT_W)
    title_size, scheme_size = (19, 14) if compact else (25, 17)
    left = _MARGIN + 5 * mm
    code_x = left + 4 * mm
    code_width = max(_width(code, fonts.semibold, scope_size) for code, _ in scope) + 4 * mm
    code_width = min(code_width, 45 * mm)
    title_x = code_x + code_width
    title_width = _PAGE_W - _MARGIN - 5 * mm - title_x
    scope_rows: list[_Element] = []
    for code, title in scope:
        lines = _wrap(title, fonts.regular, scope_size, title_width)
        scope_rows += [
            _Gap(1.4 * mm),
            _Row(
                (
                    _Dot(left + 1 * mm, scope_size),
                    _Text(code, fonts.semibold, scope_size, x=code_x),
                    _Stack(tuple(_texts(lines, fonts.regular, scope_size, x=title_x))),
                )
            ),
        ]
    title = heading[0].upper()
    heading_size = _fit_size(title, fonts.light, title_size, 12, _CONTENT_W - 2.2 * len(title))
    english_title: list[_Element] = []
    if heading[1] is not None:
        english = heading[1].upper()
        size = _fit_size(english, fonts.light, 11, 8, _CONTENT_W - 1.2 * len(english))
        english_title = [_Text(english, fonts.light, size, _MUTED, spacing=1.2)]
    address_lines: list[_Element] = (
        _texts(_wrap(address, fonts.regular, 9, _CONTENT_W), fonts.regular, 9, _MUTED)
        if address
        else []
    )
    standard: list[_Element] = [
        _Gap(2 * mm * gap),
        *_said(words.pair(STANDARD_SENTENCE), fonts.regular, 10, fonts, color=_MUTED),
    ]
    if accreditation:
        standard += _texts(
            _wrap(accreditation, fonts.regular, 9, _CONTENT_W), fonts.regular, 9, _MUTED
        )
    return [
        *_texts(_wrap(body, fonts.semibold, 14, _CONTENT_W), fonts.semibold, 14, _ACCENT),
        *address_lines,
        _Gap(3.5 * mm * gap),
        _Rule(24 * mm, _ACCENT, 1.2),
        _Gap(4 * mm * gap, stretch=True),
        _Text(title, fonts.light, heading_size, _ACCENT, spacing=2.2),
        *english_title,
        _Gap(4 * mm * gap, stretch=True),
        *_said(words.pair(N_("This is to certify that")), fonts.regular, 12, fonts, color=_MUTED),
        _Gap(3 * mm * gap),
        *_texts(_wrap(holder, fonts.bold, name_size, _CONTENT_W), fonts.bold, name_size),
        _Gap(3 * mm * gap),
        _Rule(110 * mm),
        _Gap(3 * mm * gap, stretch=True),
        *_said(
            words.pair(N_("has met the requirements of the certification scheme")),
            fonts.regular,
            12,
            fonts,
            color=_MUTED,
        ),
        _Gap(2 * mm * gap),
        *_texts(
            _wrap(scheme, fonts.semibold, scheme_size, _CONTENT_W), fonts.semibold, scheme_size
        ),
        _Gap(0.8 * mm),
        _Text(scheme_line, fonts.regular, 11, _MUTED),
        *standard,
        _Gap(5 * mm * gap, stretch=True),
        _Text(_scope_heading(words), fonts.semibold, 9, _ACCENT, x=left, spacing=1.2),
        _Gap(0.5 * mm),
        *scope_rows,
    ]


def _scope_heading(words: Words) -> str:
    """ "SCOPE OF CERTIFICATION", and its English beside it on a bilingual page (one line:
    the scope needs the room)."""
    first, english = words.pair(N_("Scope of certification"))
    return first.upper() if english is None else f"{first.upper()} · {english.upper()}"


def _fit_centre_column(
    top: float, bottom: float, build: Callable[[float], list[_Element]]
) -> tuple[list[_Element], float]:
    """The column's elements between ``top`` and ``bottom``, shrinking the scope type to fit,
    and the extra space each stretch gap gets. Raises ``ValueError`` when nothing fits.

    Spare space goes to the stretch gaps (up to ``_STRETCH_MAX`` each), so a short scope does
    not leave one large hole above the validity dates; what is left stays below the scope.
    """
    size = _SCOPE_SIZE
    while True:
        elements = build(size)
        spare = (top - bottom) - sum(element.height for element in elements)
        if spare >= 0:
            break
        if size <= _SCOPE_MIN_SIZE:
            raise ValueError("the scope does not fit on one page")
        size -= 0.5
    stretches = sum(1 for e in elements if isinstance(e, _Gap) and e.stretch)
    return elements, min(spare / stretches, _STRETCH_MAX) if stretches else 0.0


def _draw_centre_column(canvas: Canvas, top: float, elements: list[_Element], extra: float) -> None:
    for element in elements:
        element.draw(canvas, top)
        top -= element.height
        if isinstance(element, _Gap) and element.stretch:
            top -= extra


def _optional(text: str | None, fonts: _Fonts) -> str | None:
    """An address's lines joined with " · " (the page has room for one or two lines of it),
    any other optional text cleaned, ``None`` kept."""
    if text is None:
        return None
    lines = [_clean(line, fonts) for line in text.splitlines()]
    return " · ".join(line for line in lines if line) or None


def _title(view: CertificateView, words: Words, fonts: _Fonts) -> tuple[str, str | None]:
    """The page's title: the scheme's (its translation when there is one), or the default
    title translated; and beneath it on a bilingual page the English or the scheme's own."""
    if view.title == DEFAULT_TITLE:
        return words.pair(DEFAULT_TITLE)
    title = _clean(view.title, fonts)
    own = None if view.own_title is None else _clean(view.own_title, fonts)
    return title, (own if words.second is not None and own != title else None)


def render_certificate_pdf(view: CertificateView) -> bytes:
    """The certificate of ``view`` as a one-page A4 PDF (bytes, deterministic for a view).

    Raises ``ValueError`` when a text holds a character the font cannot print, or when the
    scope list does not fit on the page even in the smallest type.
    """
    fonts = _fonts()
    words = Words(view.language, view.bilingual)
    holder = _clean(view.holder_name, fonts)
    number = _clean(view.certificate_number, fonts)
    body = _clean(view.body_name, fonts)
    scheme = _clean(view.scheme_name, fonts)
    scheme_code = _clean(view.scheme_code, fonts)
    scope = tuple((_clean(code, fonts), _clean(title, fonts)) for code, title in view.scope)
    url = _clean(view.verification_url, fonts)
    title = _title(view, words, fonts)
    address = _optional(view.body_address, fonts)
    accreditation = None
    if view.accreditation_body is not None and view.accreditation_number is not None:
        accreditation = _clean(
            words.say(
                N_("Accredited by %(body)s, accreditation number %(number)s"),
                body=view.accreditation_body,
                number=view.accreditation_number,
            ),
            fonts,
        )
    branding = Branding(
        logo_png=view.logo_png,
        accreditation_mark_png=view.accreditation_mark_png,
        signatory_name=_optional(view.signatory_name, fonts),
        signatory_function=_optional(view.signatory_function, fonts),
    )

    buffer = io.BytesIO()
    # The initial font is one of the embedded faces: reportlab's default, Helvetica, would
    # otherwise be named in every page's resources, a font the file does not carry.
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=1,
        pageCompression=1,
        lang=view.language,
        initialFontName=fonts.regular,  # type: ignore[arg-type]  # the stub says float
    )
    standing = f" — {word(view.notices[0], words)}" if view.notices else ""
    named = words.say(N_("Certificate %(number)s"), number=number)
    canvas.setTitle(f"{named} — {holder}{standing}")
    canvas.setAuthor(body)
    scheme_line = words.say(
        N_("Scheme %(code)s, version %(version)s"), code=scheme_code, version=view.scheme_version
    )
    canvas.setSubject(f"{title[0]}: {scheme} ({scheme_line})")
    canvas.setCreator("certreg")
    # invariant=1 would date the file 2000-01-01; the issue time is just as deterministic.
    pdf_date = view.issued_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    canvas.setDateFormatter(lambda *_: pdf_date)
    canvas.setKeywords(f"certificate, {number}, {scheme_code}")

    details_top = 92 * mm
    column_bottom = details_top + 6 * mm
    if branding.signatory_name is not None:
        column_bottom += SIGNATORY_HEIGHT

    def layout(
        compact: bool,
    ) -> tuple[Banner | None, tuple[float, float], list[_Element], float]:
        banner = Banner(view.notices, url, fonts, compact, words) if view.notices else None
        top = _PAGE_H - 24 * mm
        if banner is not None:
            top = _BANNER_TOP - banner.height - (2.5 if compact else 5) * mm
        images_top = top
        if branding.has_images:
            top -= IMAGE_HEIGHT + (2 if compact else 4) * mm
        elements, extra = _fit_centre_column(
            top,
            column_bottom,
            lambda size: _centre_column(
                body=body,
                address=address,
                heading=title,
                accreditation=accreditation,
                holder=holder,
                scheme=scheme,
                scheme_line=scheme_line,
                scope=scope,
                scope_size=size,
                fonts=fonts,
                words=words,
                compact=compact,
            ),
        )
        return banner, (images_top, top), elements, extra

    try:
        banner, (images_top, top), elements, extra = layout(compact=False)
    except ValueError:
        if not view.notices and words.second is None:
            raise
        banner, (images_top, top), elements, extra = layout(compact=True)

    _draw_frame(canvas)
    if banner is not None:
        draw_watermark(canvas, view.notices[0], fonts, words)
        banner.draw(canvas, _BANNER_TOP)
    branding.draw_images(canvas, images_top)
    _draw_centre_column(canvas, top, elements, extra)
    branding.draw_signatory(canvas, details_top + 2 * mm, fonts)
    _draw_validity(
        canvas,
        details_top,
        number,
        view.effective_date,
        view.expiry_date,
        fonts,
        words,
        view.certified_since,
    )
    _draw_verification(canvas, details_top - 25 * mm, view.verification_url, url, fonts, words)

    issued, english = _issued(view.issued_at, body, words)
    footer = _texts(_wrap(issued, fonts.regular, 8.5, _CONTENT_W), fonts.regular, 8.5, _MUTED)
    if english is not None:
        footer += _texts(_wrap(english, fonts.light, 7.5, _CONTENT_W), fonts.light, 7.5, _MUTED)
    bottom = (16 if english is not None else 18) * mm
    _Stack(tuple(footer)).draw(canvas, bottom + sum(line.height for line in footer))

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
