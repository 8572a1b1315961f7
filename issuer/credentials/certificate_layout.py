"""The pieces the certificate page is laid out from: its colours, its geometry, and elements.

An element knows its height and draws itself below a given top: a line of text, a rule, a
gap (a stretching one shares the page's spare space), a list bullet, and stacks and rows of
other elements. :mod:`issuer.credentials.certificate_pdf` composes the page from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.certificate_fonts import _width

_INK = HexColor("#1b1f24")
_MUTED = HexColor("#5b6470")
_ACCENT = HexColor("#1f3a5f")
_RULE = HexColor("#b8c2cf")

_PAGE_W, _PAGE_H = A4
_MARGIN = 25 * mm
_CONTENT_W = _PAGE_W - 2 * _MARGIN
_CENTER = _PAGE_W / 2


class _Element(Protocol):
    """A piece of the page's centre column: a height, and a way to draw it below ``top``."""

    @property
    def height(self) -> float: ...

    def draw(self, canvas: Canvas, top: float) -> None: ...


@dataclass(frozen=True, slots=True)
class _Text:
    """One line of text, centred on the page unless ``x`` is given."""

    text: str
    font: str
    size: float
    color: Color = _INK
    x: float | None = None
    spacing: float = 0.0
    leading: float = 1.3

    @property
    def height(self) -> float:
        return self.size * self.leading

    def draw(self, canvas: Canvas, top: float) -> None:
        x = self.x
        if x is None:
            extra = self.spacing * max(len(self.text) - 1, 0)
            x = _CENTER - (_width(self.text, self.font, self.size) + extra) / 2
        text = canvas.beginText(x, top - self.size * (self.leading - 0.35))
        text.setFont(self.font, self.size)
        text.setCharSpace(self.spacing)
        text.setFillColor(self.color)
        text.textOut(self.text)
        canvas.drawText(text)


@dataclass(frozen=True, slots=True)
class _Rule:
    """A centred horizontal line."""

    width: float
    color: Color = _RULE
    thick: float = 0.6

    @property
    def height(self) -> float:
        return self.thick

    def draw(self, canvas: Canvas, top: float) -> None:
        canvas.setStrokeColor(self.color)
        canvas.setLineWidth(self.thick)
        y = top - self.thick / 2
        canvas.line(_CENTER - self.width / 2, y, _CENTER + self.width / 2, y)


@dataclass(frozen=True, slots=True)
class _Gap:
    """Vertical space; a ``stretch`` gap also takes a share of the page's spare space."""

    height: float
    stretch: bool = False

    def draw(self, canvas: Canvas, top: float) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Dot:
    """The bullet of a list item whose first line has the given type size."""

    x: float
    size: float
    height: float = 0.0

    def draw(self, canvas: Canvas, top: float) -> None:
        canvas.setFillColor(_ACCENT)
        canvas.circle(self.x, top - self.size * 0.68, 0.6 * mm, stroke=0, fill=1)


@dataclass(frozen=True, slots=True)
class _Stack:
    """Elements one below the other."""

    elements: tuple[_Element, ...]

    @property
    def height(self) -> float:
        return sum(element.height for element in self.elements)

    def draw(self, canvas: Canvas, top: float) -> None:
        for element in self.elements:
            element.draw(canvas, top)
            top -= element.height


@dataclass(frozen=True, slots=True)
class _Row:
    """Elements side by side, sharing one top edge."""

    elements: tuple[_Element, ...]

    @property
    def height(self) -> float:
        return max(element.height for element in self.elements)

    def draw(self, canvas: Canvas, top: float) -> None:
        for element in self.elements:
            element.draw(canvas, top)


def _texts(
    lines: Iterable[str], font: str, size: float, color: Color = _INK, x: float | None = None
) -> list[_Element]:
    return [_Text(line, font, size, color, x) for line in lines]
