"""The printed certificate in German, French and Spanish, and bilingual with English: the
translated words come back out of the PDF (pypdf), the QR code still scans from a 150 dpi
print (pdftoppm, zxing-cpp), the dates are written as each language writes them, and the
embedded font covers every letter the languages need.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
import zxingcpp
from babel.messages.pofile import read_po
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from issuer.credentials.certificate_fonts import _clean, _fonts
from issuer.credentials.certificate_notices import Notice, Standing
from issuer.credentials.certificate_pdf import render_certificate_pdf
from issuer.credentials.certificate_words import Words
from schemas.languages import LANGUAGES, catalogue_path
from tests.test_certificate_design import _fonts_embedded
from tests.test_certificate_pdf import _page_image, _squash, _text, _view, pdftoppm

_ = pdftoppm  # the fixture, from the module that defines it

WORDS = {
    "de": ("KOMPETENZZERTIFIKAT", "Hiermit wird bescheinigt, dass", "Gültig bis (einschließlich)",
           "24. November 2029", "Zertifiziert nach ISO/IEC 17024", "Geltungsbereich".upper()),
    "fr": ("CERTIFICAT DE COMPÉTENCE", "Le présent certificat atteste que", "Valable jusqu’au",
           "24 novembre 2029", "Certifié conformément à l’ISO/IEC 17024", "PORTÉE"),
    "es": ("CERTIFICADO DE COMPETENCIA", "Por el presente se certifica que", "Válido hasta el",
           "24 de noviembre de 2029", "Certificado conforme a ISO/IEC 17024", "ALCANCE"),
}  # fmt: skip
ENGLISH = ("This is to certify that", "Valid until (inclusive)", "Verify this certificate")


@pytest.mark.parametrize("language", sorted(WORDS))
def test_the_page_speaks_the_language(pdftoppm: str, language: str) -> None:
    view = _view(language=language)
    pdf = render_certificate_pdf(view)
    text = _text(pdf)
    for words in WORDS[language]:
        assert words in text, words
    for words in ENGLISH:
        assert words not in text, words
    assert "2029-11-24" not in text
    assert "Mira Kovač" in text  # the body's and the person's words stay as written
    assert "Welding Inspector — Comprehensive Level" in text
    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"].get_object()
    assert isinstance(catalog, DictionaryObject)
    assert str(catalog["/Lang"]) == language
    image = _page_image(pdftoppm, pdf)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [view.verification_url]


@pytest.mark.parametrize("language", ["de", "es"])
def test_a_bilingual_page_prints_english_beneath_each_text(pdftoppm: str, language: str) -> None:
    notices = (Notice(Standing.SUPERSEDED, date(2027, 1, 4)), Notice(Standing.WITHDRAWN, None))
    view = _view(
        language=language,
        bilingual=True,
        notices=notices,
        certified_since=date(2020, 3, 1),
        accreditation_body="DAkkS",
        accreditation_number="D-ZP-12345-01-00",
        signatory_name="Dr. Ana Pérez",
        signatory_function="Directora de certificación",
        body_address="Calle Mayor 1\n28001 Madrid",
    )
    pdf = render_certificate_pdf(view)
    text = _text(pdf)
    for words in (*WORDS[language], *ENGLISH, "CERTIFICATE OF COMPETENCE", "SUPERSEDED"):
        assert words in text, words
    assert "Superseded — replaced by the certificate issued on January 4, 2027" in text
    assert text.index(WORDS[language][1]) < text.index("This is to certify that")
    assert f"{view.verification_url}" in _squash(text)
    image = _page_image(pdftoppm, pdf)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [view.verification_url]


def test_bilingual_in_english_is_the_english_page() -> None:
    assert render_certificate_pdf(_view(bilingual=True)) == render_certificate_pdf(_view())


def test_each_language_and_bilingual_give_other_bytes() -> None:
    pages = {render_certificate_pdf(_view(language=lang)) for lang in LANGUAGES}
    pages.add(render_certificate_pdf(_view(language="de", bilingual=True)))
    assert len(pages) == len(LANGUAGES) + 1


def test_a_long_scope_still_fits_on_a_bilingual_page() -> None:
    """A bilingual page sets tighter (as a page with a notice does): a dozen items of scope
    still fit beside a notice, more without one."""
    scope = tuple(
        (f"WI-C.{i}", f"Inspection task number {i} with a moderately long description")
        for i in range(1, 13)
    )
    notices = (Notice(Standing.SUSPENDED, date(2027, 1, 4)),)
    text = _text(render_certificate_pdf(_view(language="fr", bilingual=True, scope=scope)))
    assert all(title in text for _, title in scope)
    pdf = render_certificate_pdf(_view(language="de", bilingual=True, scope=scope, notices=notices))
    assert "AUSGESETZT seit dem 4. Januar 2027" in _text(pdf)


def test_a_language_without_a_catalogue_is_refused() -> None:
    with pytest.raises(ValueError, match="printed in en, de, fr, es only"):
        _view(language="it")
    with pytest.raises(ValueError, match="only"):
        Words("EN")


def test_the_font_prints_every_letter_the_languages_need() -> None:
    fonts = _fonts()
    letters = "äöüÄÖÜßéèàçñÑ¿¡êâîôûëïœæÉÈÀÇáíóúÁÍÓÚ«»„“’"
    assert [c for c in letters if ord(c) not in fonts.glyphs] == []
    name = "Ñuño Çàrlès-Groß ¿Jürgen? ¡Éöü!"
    pdf = render_certificate_pdf(_view(holder_name=name, language="es"))
    assert name in _text(pdf)
    assert all(_fonts_embedded(pdf).values())


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_translation_prints_in_the_font(language: str) -> None:
    """A translator's letter the font lacks would make every certificate unprintable."""
    fonts = _fonts()
    with catalogue_path("certificate", language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    strings = [m.string for m in catalog if m.id and isinstance(m.string, str)]
    assert strings
    for string in strings:
        _clean(string, fonts)  # raises for a letter the font cannot print
