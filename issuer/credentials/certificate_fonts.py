"""The certificate's type: the embedded Source Sans Pro, and text measured and wrapped in it.

The fonts are registered once per process; a character they cannot draw is refused with a
``ValueError`` rather than printed as a blank box. Why this font, and why refuse, is told in
:mod:`issuer.credentials.certificate_pdf`.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from importlib import resources

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_FONT_PACKAGE = "font_source_sans_pro"
_FONT_FILES = {
    "light": "SourceSansPro-Light.ttf",
    "regular": "SourceSansPro-Regular.ttf",
    "semibold": "SourceSansPro-Semibold.ttf",
    "bold": "SourceSansPro-Bold.ttf",
}


@dataclass(frozen=True, slots=True)
class _Fonts:
    light: str
    regular: str
    semibold: str
    bold: str
    glyphs: frozenset[int]


@functools.cache
def _fonts() -> _Fonts:
    """Register the embedded fonts once per process, under names no other module uses."""
    names: dict[str, str] = {}
    glyphs: set[int] | None = None
    for weight, filename in _FONT_FILES.items():
        name = f"certreg-SourceSansPro-{weight}"
        data = resources.files(_FONT_PACKAGE).joinpath("files", filename).read_bytes()
        font = TTFont(name, io.BytesIO(data))
        pdfmetrics.registerFont(font)
        names[weight] = name
        covered = set(font.face.charToGlyph)
        glyphs = covered if glyphs is None else glyphs & covered
    assert glyphs is not None
    return _Fonts(glyphs=frozenset(glyphs), **names)


def _clean(text: str, fonts: _Fonts) -> str:
    """NFC, single spaces, and a ``ValueError`` for any character the font cannot draw."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    missing = sorted({c for c in text if ord(c) not in fonts.glyphs})
    if missing:
        shown = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in missing)
        raise ValueError(f"the certificate font cannot print: {shown}")
    return text


def _width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _fit_size(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    """The largest size from ``largest`` down to ``smallest`` at which ``text`` fits."""
    size = largest
    while size > smallest and _width(text, font, size) > width:
        size -= 0.5
    return size


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = simpleSplit(text, font, size, width)
    return lines or [""]


def _wrap_url(url: str, font: str, size: float, width: float) -> list[str]:
    """Break a URL anywhere (preferring just after a ``/``), since it has no spaces to break at."""
    lines: list[str] = []
    current = ""
    for char in url:
        if current and _width(current + char, font, size) > width:
            cut = current.rfind("/") + 1
            if cut < len(current) // 2:
                cut = len(current)
            lines.append(current[:cut])
            current = current[cut:]
        current += char
    lines.append(current)
    return lines


def embedded_fonts() -> _Fonts:
    """The Source Sans Pro faces, registered on first use, for any other document the body
    prints (the management review): every font embedded, none of the 14 standard fonts a
    reader would have to substitute."""
    return _fonts()
