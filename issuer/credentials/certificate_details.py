"""The frame of the certificate page, its row of certificate number and validity dates, and
the footer saying when and by whom the credential was issued: the parts of the page
:mod:`issuer.credentials.certificate_pdf` draws at fixed places around its centre column.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.certificate_fonts import _fit_size, _Fonts
from issuer.credentials.certificate_layout import (
    _ACCENT,
    _CONTENT_W,
    _INK,
    _MARGIN,
    _MUTED,
    _PAGE_H,
    _PAGE_W,
    _RULE,
)
from issuer.credentials.certificate_words import N_, Words


def _draw_frame(canvas: Canvas) -> None:
    outer = 11 * mm
    inner = outer + 2.2 * mm
    canvas.setStrokeColor(_ACCENT)
    canvas.setLineWidth(1.6)
    canvas.rect(outer, outer, _PAGE_W - 2 * outer, _PAGE_H - 2 * outer, stroke=1, fill=0)
    canvas.setLineWidth(0.5)
    canvas.rect(inner, inner, _PAGE_W - 2 * inner, _PAGE_H - 2 * inner, stroke=1, fill=0)


def _draw_validity(
    canvas: Canvas,
    top: float,
    number: str,
    start: date,
    end: date,
    fonts: _Fonts,
    words: Words,
    since: date | None = None,
) -> None:
    """Certificate number and validity in labelled columns between two rules, with the day
    the person was first certified when the credential says; on a bilingual page each label
    has its English beneath it.

    Dates are written out as the language writes them ("24 November 2029", "24. November
    2029"), so no reader takes the day for the month. "Until" is inclusive, and the label says
    so, since "valid until" alone is read both ways.
    """
    columns: tuple[tuple[tuple[str, str | None], str], ...] = (
        (words.pair(N_("Certificate number")), number),
        *(((words.pair(N_("Certified since")), words.date(since)),) if since is not None else ()),
        (words.pair(N_("Valid from")), words.date(start)),
        (words.pair(N_("Valid until (inclusive)")), words.date(end)),
    )
    column_width = _CONTENT_W / len(columns)
    value_size = min(
        _fit_size(value, fonts.semibold, 14, 9, column_width - 4 * mm) for _, value in columns
    )
    canvas.setStrokeColor(_RULE)
    canvas.setLineWidth(0.6)
    canvas.line(_MARGIN, top, _PAGE_W - _MARGIN, top)
    canvas.line(_MARGIN, top - 19 * mm, _PAGE_W - _MARGIN, top - 19 * mm)
    bilingual = words.second is not None
    for index, ((label, english), value) in enumerate(columns):
        middle = _MARGIN + column_width * (index + 0.5)
        label_top = top - (5 if bilingual else 7) * mm
        canvas.setFillColor(_MUTED)
        size = _fit_size(label, fonts.regular, 9, 7, column_width - 2 * mm)
        canvas.setFont(fonts.regular, size)
        canvas.drawCentredString(middle, label_top, label)
        if english is not None:
            size = _fit_size(english, fonts.light, 7.5, 6, column_width - 2 * mm)
            canvas.setFont(fonts.light, size)
            canvas.drawCentredString(middle, label_top - 3.2 * mm, english)
        canvas.setFillColor(_INK)
        canvas.setFont(fonts.semibold, value_size)
        canvas.drawCentredString(middle, top - (15 if bilingual else 14) * mm, value)


def _issued(moment: datetime, body: str, words: Words) -> tuple[str, str | None]:
    """The footer: when, in UTC, and by whom the credential was issued."""
    utc = moment.astimezone(UTC)
    return words.pair(
        N_("Issued on %(date)s at %(time)s UTC by %(body)s"),
        date=utc.date(),
        time=utc.strftime("%H:%M"),
        body=body,
    )
