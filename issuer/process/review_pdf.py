"""The management review printed for the meeting: an A4 PDF with a table and, where a
picture says it faster, a chart for each section (clause 10).

A title page names the body, the period, when the report was made and the day open items
are counted on; then certifications by scheme (a grouped bar chart of grants, suspensions,
withdrawals and expiries), appeals and complaints (by outcome and on time or late),
impartiality risks, surveillance, findings with their corrective actions open and closed
(a chart of every finding by its state now), and examiner monitoring (each examiner's pass
rate beside their scheme peers').

Choices:

- **The same figures as the JSON**, from :class:`issuer.process.review_formats.ReviewDocument`;
  nothing is counted here. Staff appear by id, as in the JSON; no person, no text of a record.
- **Every font embedded**: Source Sans Pro from :mod:`issuer.credentials.certificate_fonts`
  for every string, the charts' axis labels and legends included. A PDF that names one of the
  14 standard fonts (Helvetica, reportlab's default) leaves the reader to substitute one, and
  a scheme title in Polish or Greek then prints wrongly. A character the font cannot draw is
  printed as "?" rather than refused: this is a working paper, not a certificate.
- **Deterministic** (reportlab ``invariant``): the same figures and time give the same bytes.
- **Long lists break across pages** with their header row repeated; the examiner chart shows
  the examiners with the most examinations (:data:`CHART_EXAMINERS`) and says so when it
  leaves some to the table.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import BarChart, HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from issuer.credentials.certificate_fonts import embedded_fonts
from issuer.process.review_formats import ReviewDocument

__all__ = ["CHART_EXAMINERS", "SECTION_TITLES", "render_review_pdf"]

CHART_EXAMINERS = 20
"""At most this many examiners in the pass-rate chart (those with most examinations)."""

SECTION_TITLES = (
    "Certifications by scheme",
    "Appeals",
    "Complaints",
    "Impartiality risks",
    "Surveillance",
    "Findings and corrective actions",
    "Examiner monitoring",
    "Publication to the public register",
)

_MARGIN = 18 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_INK = colors.HexColor("#1d2433")
_MUTED = colors.HexColor("#5b6475")
_RULE = colors.HexColor("#c9ced8")
_SERIES = (
    colors.HexColor("#1f5fa8"),
    colors.HexColor("#e07b00"),
    colors.HexColor("#b3261e"),
    colors.HexColor("#6b7280"),
)
_LATE = colors.HexColor("#b3261e")
_KINDS = (
    ("granted", "granted"),
    ("denied", "denied"),
    ("suspended", "suspended"),
    ("reinstated", "reinstated"),
    ("withdrawn", "withdrawn"),
    ("expired", "expired"),
    ("recertified", "recertified"),
    ("scope_changed", "scope changed"),
)
_CHARTED_KINDS = ("granted", "suspended", "withdrawn", "expired")


class _Printer:
    """The styles, in the embedded fonts, and the text cleaned for them."""

    def __init__(self) -> None:
        fonts = embedded_fonts()
        self.fonts = fonts
        self.body = ParagraphStyle("body", fontName=fonts.regular, fontSize=10, leading=13.5)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8.5, leading=10.5)
        self.header = ParagraphStyle("header", parent=self.small, fontSize=7.5, textColor=_MUTED)
        self.muted = ParagraphStyle("muted", parent=self.body, textColor=_MUTED)
        self.heading = ParagraphStyle(
            "heading",
            fontName=fonts.semibold,
            fontSize=15,
            leading=19,
            spaceBefore=10,
            spaceAfter=6,
            textColor=_INK,
        )
        self.title = ParagraphStyle("title", fontName=fonts.bold, fontSize=28, leading=34)
        self.subtitle = ParagraphStyle("subtitle", fontName=fonts.light, fontSize=16, leading=22)

    def clean(self, text: object) -> str:
        """NFC, single spaces, "?" for a character the font lacks."""
        said = " ".join(unicodedata.normalize("NFC", str(text)).split())
        return "".join(c if ord(c) in self.fonts.glyphs else "?" for c in said)

    def para(self, text: object, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(self.clean(text)), style or self.body)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
        """A table with its header repeated on each page; numbers right-aligned."""
        cells = [[self.para(h, self.header) for h in header]]
        cells += [[self.para(_shown(v), self.small) for v in row] for row in rows]
        first = _WIDTH * (0.25 if len(header) > 6 else 0.34 if len(header) > 4 else 0.55)
        rest = (_WIDTH - first) / max(len(header) - 1, 1)
        table = Table(cells, colWidths=[first] + [rest] * (len(header) - 1), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), self.fonts.regular, 8.5),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def figures(self, rows: Sequence[tuple[str, object]]) -> Table:
        return self.table(("figure", "value"), rows)

    def chart(
        self,
        chart: BarChart,
        *,
        names: Sequence[str],
        data: list[list[float | None]],
        series: Sequence[str],
        height: float,
        percent: bool = False,
    ) -> Drawing:
        """A bar chart in the embedded fonts, with its legend when it has several series."""
        legend_h = 14 if len(series) > 1 else 0
        drawing = Drawing(_WIDTH, height + legend_h)
        # the renderer starts each drawing in the font named here, else in Helvetica
        setattr(drawing, "initialFontName", self.fonts.regular)  # noqa: B010
        vertical = isinstance(chart, VerticalBarChart)
        chart.x, chart.y = (30 if vertical else 120), 28 if vertical else 18
        chart.width = int(_WIDTH - chart.x - 10)
        chart.height = int(height - chart.y - 6)
        chart.data = data
        chart.categoryAxis.categoryNames = [self.clean(n) for n in names]
        top = max([v for row in data for v in row if v is not None] + [0])
        chart.valueAxis.valueMin = 0
        chart.valueAxis.valueMax = 100 if percent else max(_ceiling(top), 1)
        chart.valueAxis.valueStep = 20 if percent else max(_ceiling(top) // 5, 1)
        for axis in (chart.categoryAxis, chart.valueAxis):
            axis.labels.fontName = self.fonts.regular
            axis.labels.fontSize = 7.5
            axis.labels.fillColor = _INK
            axis.strokeColor = _RULE
        chart.barLabels.fontName = self.fonts.regular
        chart.barLabels.fontSize = 6.5
        chart.barLabelFormat = "%.0f%%" if percent else "%d"
        chart.barLabels.nudge = 5
        chart.groupSpacing = 6
        for i in range(len(series)):
            chart.bars[i].fillColor = _SERIES[i % len(_SERIES)]
            chart.bars[i].strokeColor = None
        if vertical:
            chart.categoryAxis.labels.angle = 20 if len(names) > 6 else 0
            chart.categoryAxis.labels.boxAnchor = "ne" if len(names) > 6 else "n"
        drawing.add(chart)
        if len(series) > 1:
            legend = Legend()
            legend.fontName = self.fonts.regular
            legend.fontSize = 8
            legend.alignment = "right"
            legend.x, legend.y = chart.x, int(height + legend_h - 2)
            legend.columnMaximum = 1
            legend.deltax = 70
            legend.dx = legend.dy = 7
            legend.colorNamePairs = [
                (_SERIES[i % len(_SERIES)], name) for i, name in enumerate(series)
            ]
            drawing.add(legend)
        return drawing


def _ceiling(value: float) -> int:
    """A round axis top at or above ``value``: 1, 2, 5, 10, 20, 50, …"""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _shown(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def _hundredths(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _by(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none"


def _title_page(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    period = doc.review["period"]
    return [
        Spacer(1, 60 * mm),
        p.para(doc.body_name, p.subtitle),
        Spacer(1, 6 * mm),
        p.para("Management review", p.title),
        Spacer(1, 4 * mm),
        p.para(f"For the period {period['from']} to {period['to']}", p.subtitle),
        Spacer(1, 14 * mm),
        p.para(f"Generated on {doc.generated_at:%Y-%m-%d at %H:%M} UTC.", p.muted),
        p.para(
            f"Open items (overdue appeals, complaints, findings and surveillance; open "
            f"risks) are counted as of {period['as_of']}.",
            p.muted,
        ),
        p.para(
            "Staff appear by their id only. The report holds no person's name and no text of "
            "an appeal, a complaint or a finding: counts, clauses and outcomes only.",
            p.muted,
        ),
        PageBreak(),
    ]


def _certifications(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    by_scheme: dict[str, dict[str, int]] = doc.review["certifications"]
    out: list[Flowable] = [p.para(SECTION_TITLES[0], p.heading)]
    if not by_scheme:
        return [*out, p.para("No decisions in the period.")]
    titles = doc.scheme_titles
    named = [f"{code} — {titles[code]}" if code in titles else code for code in by_scheme]
    rows = [
        [name, *(row.get(k, 0) for k, _ in _KINDS)]
        for name, row in zip(named, by_scheme.values(), strict=True)
    ]
    out.append(p.table(("scheme", *(label for _, label in _KINDS)), rows))
    chart = p.chart(
        VerticalBarChart(),
        names=list(by_scheme),
        data=[[row.get(k, 0) for row in by_scheme.values()] for k in _CHARTED_KINDS],
        series=_CHARTED_KINDS,
        height=62 * mm,
    )
    return [*out, Spacer(1, 4 * mm), KeepTogether([chart])]


def _outcomes(
    p: _Printer, title: str, outcomes: dict[str, int], late: int, overdue: int
) -> Drawing:
    """One bar per outcome, then those on time, late, and still open past their deadline."""
    on_time = sum(outcomes.values()) - late
    names = [*sorted(outcomes), "on time", "late", "overdue now"]
    values: list[float | None] = [
        *(outcomes[k] for k in sorted(outcomes)),
        on_time,
        late,
        overdue,
    ]
    chart = VerticalBarChart()
    drawing = p.chart(chart, names=names, data=[values], series=[title], height=52 * mm)
    for i in range(len(outcomes), len(names)):
        chart.bars[(0, i)].fillColor = _SERIES[3] if i == len(outcomes) else _LATE
    return drawing


def _appeals(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    a = doc.review["appeals"]
    table = p.figures(
        [
            ("received in the period", a["received"]),
            ("decided, by outcome", _by(a["decided"])),
            ("closed", a["closed"]),
            ("withdrawn", a["withdrawn"]),
            ("overdue now", a["overdue"]),
            ("mean days from receipt to decision", a["mean_days_to_decision"]),
            ("mean days allowed", a["mean_days_allowed"]),
            ("decided late", a["decided_late"]),
        ]
    )
    chart = _outcomes(p, "appeals", a["decided"], a["decided_late"], a["overdue"])
    return [p.para(SECTION_TITLES[1], p.heading), table, Spacer(1, 4 * mm), chart]


def _complaints(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    c = doc.review["complaints"]
    table = p.figures(
        [
            ("received in the period, by subject", _by(c["received"])),
            ("rejected as invalid", c["rejected_invalid"]),
            ("answered, by outcome", _by(c["answered"])),
            ("closed", c["closed"]),
            ("overdue now", c["overdue"]),
            ("mean days from receipt to answer", c["mean_days_to_answer"]),
            ("mean days allowed", c["mean_days_allowed"]),
            ("answered late", c["answered_late"]),
        ]
    )
    chart = _outcomes(p, "complaints", c["answered"], c["answered_late"], c["overdue"])
    return [p.para(SECTION_TITLES[2], p.heading), table, Spacer(1, 4 * mm), chart]


def _risks_and_surveillance(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    r, s = doc.review["impartiality_risks"], doc.review["surveillance"]
    return [
        p.para(SECTION_TITLES[3], p.heading),
        p.figures(
            [
                ("open, by state", _by(r["open_by_state"])),
                ("overdue for review", r["overdue_for_review"]),
            ]
        ),
        p.para(SECTION_TITLES[4], p.heading),
        p.figures(
            [
                ("due in the period", s["due"]),
                ("done in the period", s["done"]),
                ("late now", s["late"]),
                ("suspensions proposed", s["suspensions_proposed"]),
            ]
        ),
    ]


def _publication(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    u = doc.review["publication"]
    slices = ("published_within_a_minute", "published_within_an_hour", "published_later")
    waits = ("mean_seconds_to_publish", "longest_seconds_to_publish")
    rows = [
        ("changes queued in the period", u["queued"]),
        ("published in the period", u["published"]),
        ("of them within a minute / an hour / later", " / ".join(_shown(u[k]) for k in slices)),
        ("mean / longest wait (seconds)", " / ".join(_shown(u[k]) for k in waits)),
        (
            "still waiting / the oldest since",
            f"{u['waiting']} / " + _shown(u["oldest_waiting_since"]),
        ),
    ]
    return [p.para(SECTION_TITLES[7], p.heading), p.figures(rows)]


def _findings(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    f, states = doc.review["findings"], doc.findings_by_state
    table = p.figures(
        [
            ("raised in the period, by severity", _by(f["raised"])),
            ("closed in the period", f["closed"]),
            ("overdue now", f["overdue"]),
            ("all findings now, by state", _by(states)),
        ]
    )
    out: list[Flowable] = [p.para(SECTION_TITLES[5], p.heading), table]
    if states:
        names = list(states)
        chart = p.chart(
            VerticalBarChart(),
            names=names,
            data=[[states[k] for k in names]],
            series=["findings"],
            height=48 * mm,
        )
        out += [Spacer(1, 3 * mm), p.para("Corrective actions now, open and closed", p.small)]
        out.append(chart)
    return out


def _examiners(p: _Printer, doc: ReviewDocument) -> list[Flowable]:
    out: list[Flowable] = [p.para(SECTION_TITLES[6], p.heading)]
    if not doc.examiners:
        return [*out, p.para("No examinations in the period.")]
    rows = [
        (
            f.key,
            f.scheme,
            f.held,
            _percent(f.pass_rate),
            _percent(f.peers_pass_rate),
            ", ".join(f.flags) or "–",
        )
        for f in doc.examiners
    ]
    out.append(p.table(("examiner", "scheme", "held", "pass rate", "peers'", "flags"), rows))
    shown = sorted(doc.examiners, key=lambda f: (-f.held, f.scheme, f.key))[:CHART_EXAMINERS]
    height = (12 + 7 * len(shown)) * mm
    chart = p.chart(
        HorizontalBarChart(),
        names=[f"{f.key[:8]} ({f.scheme})" for f in reversed(shown)],
        data=[
            [_hundredths(f.pass_rate) for f in reversed(shown)],
            [_hundredths(f.peers_pass_rate) for f in reversed(shown)],
        ],
        series=["pass rate", "scheme peers' pass rate"],
        height=height,
        percent=True,
    )
    out += [Spacer(1, 4 * mm), p.para("Pass rates against the scheme's peers", p.small), chart]
    if len(doc.examiners) > len(shown):
        out.append(
            p.para(
                f"The chart shows the {len(shown)} examiners with the most examinations; "
                "the table above lists them all.",
                p.small,
            )
        )
    flagged = doc.review["session_flags"]
    if flagged:
        out.append(p.para("Examination days flagged", p.heading))
        out.append(
            p.table(
                ("day", "scheme", "flags"),
                [(s["day"], s["scheme"], ", ".join(s["flags"])) for s in flagged],
            )
        )
    return out


def render_review_pdf(doc: ReviewDocument) -> bytes:
    """The management review as a printable A4 PDF."""
    p = _Printer()
    period = doc.review["period"]
    footer = p.clean(f"{doc.body_name} · management review {period['from']} to {period['to']}")
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 6 * mm,
        title=p.clean(f"Management review {period['from']} to {period['to']}"),
        author=p.clean(doc.body_name),
        creator="certreg",
        lang="en",
        invariant=1,
        initialFontName=p.fonts.regular,
    )
    # invariant=1 would date the file 2000-01-01; the time it was generated is as deterministic.
    pdf_date = doc.generated_at.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")

    def page(canvas: Canvas, _: Any) -> None:
        canvas.setDateFormatter(lambda *_: pdf_date)
        canvas.saveState()
        canvas.setFont(p.fonts.regular, 8)
        canvas.setFillColor(_MUTED)
        canvas.drawString(_MARGIN, _MARGIN, footer)
        canvas.drawRightString(A4[0] - _MARGIN, _MARGIN, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    story = [
        *_title_page(p, doc),
        *_certifications(p, doc),
        *_appeals(p, doc),
        *_complaints(p, doc),
        *_risks_and_surveillance(p, doc),
        *_findings(p, doc),
        *_publication(p, doc),
        *_examiners(p, doc),
    ]
    template.build(story, onFirstPage=page, onLaterPages=page)
    return buffer.getvalue()
