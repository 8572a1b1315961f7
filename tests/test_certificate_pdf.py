"""The printed certificate: its text as a PDF reader extracts it, and its QR code as a scanner
reads it from the page rendered at print resolution.

pypdf extracts the text (names with č, ß, Ł must come back exactly); pdftoppm (poppler-utils)
renders the page at 200 dpi and zxing-cpp must find and decode the one QR code on it, and
pdftotext (poppler-utils) must read a page with a notice line by line. Without them those
tests skip, or fail under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from issuer.credentials import qr
from issuer.credentials.certificate_notices import Notice, Standing
from issuer.credentials.certificate_pdf import QR_SYMBOL_MM, CertificateView, render_certificate_pdf

DPI = 200
BASE_URLS = (
    "https://certs.example.org",
    "http://localhost:8000",
    "https://registry.example-certification-body.eu:8443/public/registry/credentials",
)
NAMES = (
    "Mira Kovač",
    "Jürgen Groß",
    "Zoë Ł.",
    "Łucja Wąsik-Żółć",
    "Ștefan Țurcanu",
    "Ørjan Ødegård",
    "Nguyễn Thị Ánh",
)


def _view(**changes: object) -> CertificateView:
    view = CertificateView(
        holder_name="Mira Kovač",
        certificate_number="7K3M-9QXD-2HFW-8T4B-E",
        body_name="Nordic Welding Certification Body AB",
        scheme_name="Welding Inspector — Comprehensive Level",
        scheme_code="WI-C",
        scheme_version=3,
        scope=(
            ("WI-C.1", "Visual inspection of fusion welds in steel structures (EN ISO 17637)"),
            ("WI-C.2", "Review of welding procedure specifications and qualification records"),
            (
                "WI-C.3",
                "Supervision of non-destructive testing: radiographic and ultrasonic methods, "
                "interpretation of reports and acceptance levels according to EN ISO 5817",
            ),
        ),
        effective_date=date(2026, 11, 25),
        expiry_date=date(2029, 11, 24),
        verification_url=qr.verification_url(BASE_URLS[0], "3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f"),
        issued_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    return dataclasses.replace(view, **changes)  # type: ignore[arg-type]


def _tool(name: str, package: str) -> str:
    """The path of a command-line tool; a skip without it, or a failure under ``CI=true``."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package {package}: apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def pdftoppm() -> str:
    """Looked up outside the hypothesis test, so a missing tool is reported plainly."""
    return _tool("pdftoppm", "poppler-utils")


def _page_image(pdftoppm: str, pdf: bytes) -> Image.Image:
    png = subprocess.run(
        [pdftoppm, "-r", str(DPI), "-png", "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return Image.open(io.BytesIO(png))


def _text(pdf: bytes) -> str:
    """The page's text with all runs of white space made single spaces (lines wrap)."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_certificate_pdf(_view())


def test_public_surface() -> None:
    from issuer.credentials import certificate_pdf

    assert sorted(certificate_pdf.__all__) == [
        "CertificateView",
        "LAYOUT_VERSION",
        "QR_SYMBOL_MM",
        "render_certificate_pdf",
    ]


def test_one_a4_page_with_metadata(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (
        210,
        297,
    )
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.author == "Nordic Welding Certification Body AB"
    assert metadata.title is not None
    assert "7K3M-9QXD-2HFW-8T4B-E" in metadata.title
    assert "Mira Kovač" in metadata.title
    assert metadata.subject is not None
    assert "Welding Inspector — Comprehensive Level" in metadata.subject
    assert metadata.creation_date == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_page_states_every_field(pdf: bytes) -> None:
    view = _view()
    text = _text(pdf)
    for expected in (
        "Nordic Welding Certification Body AB",
        "Certificate of Competence",
        "Mira Kovač",
        "7K3M-9QXD-2HFW-8T4B-E",
        "Welding Inspector — Comprehensive Level",
        "WI-C",
        "version 3",
        "Valid from",
        "November 25, 2026",
        "Valid until",
        "November 24, 2029",
        "Scan the QR code",
        "valid only if the verification page shows it as valid",
        "November 25, 2026 at 09:30 UTC",
    ):
        assert expected.lower() in text.lower(), expected
    for code, title in view.scope:
        assert code in text
        assert " ".join(title.split()) in text
    assert view.verification_url in _squash(text)


@pytest.mark.parametrize("name", NAMES)
def test_non_ascii_names_print_and_extract_exactly(name: str) -> None:
    text = _text(render_certificate_pdf(_view(holder_name=name)))
    assert name in text


def test_decomposed_accents_print_as_composed_letters() -> None:
    text = _text(render_certificate_pdf(_view(holder_name="Mira Kovac\u030c")))
    assert "Mira Kovač" in text


@pytest.mark.parametrize("name", ["王小明", "Ana 🙂", "Ǥeorg"])
def test_characters_the_font_lacks_are_refused_not_dropped(name: str) -> None:
    with pytest.raises(ValueError, match="cannot print"):
        render_certificate_pdf(_view(holder_name=name))


def test_output_is_deterministic(pdf: bytes) -> None:
    assert render_certificate_pdf(_view()) == pdf


def test_qr_code_is_vector_not_an_image(pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    assert "/XObject" not in resources
    assert b"/Subtype /Image" not in pdf


@settings(max_examples=4, deadline=None)
@given(st.sampled_from(BASE_URLS), st.uuids())
def test_qr_code_on_the_rendered_page_decodes_to_the_exact_url(
    pdftoppm: str, base_url: str, credential_id: uuid.UUID
) -> None:
    url = qr.verification_url(base_url, str(credential_id))
    image = _page_image(pdftoppm, render_certificate_pdf(_view(verification_url=url)))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    position = results[0].position
    width_px = max(
        abs(position.top_right.x - position.top_left.x),
        abs(position.bottom_right.x - position.bottom_left.x),
    )
    assert width_px / DPI * 25.4 >= 30, "printed QR symbol narrower than 30 mm"
    assert width_px / DPI * 25.4 == pytest.approx(QR_SYMBOL_MM, abs=1.5)


def test_long_scope_shrinks_to_fit_one_page() -> None:
    scope = tuple(
        (f"WI-C.{i}", f"Inspection task number {i} with a moderately long description")
        for i in range(1, 16)
    )
    pdf = render_certificate_pdf(_view(scope=scope))
    text = _text(pdf)
    assert all(code in text and title in text for code, title in scope)


def test_scope_that_cannot_fit_is_an_error() -> None:
    scope = tuple((f"X.{i}", "An item " * 12) for i in range(60))
    with pytest.raises(ValueError, match="scope"):
        render_certificate_pdf(_view(scope=scope))


def test_long_names_and_urls_stay_on_the_page() -> None:
    name = "Maria Fernanda de los Ángeles Castellanos-Villavicencio y Zúñiga-Öztürk"
    url = qr.verification_url(
        BASE_URLS[2] + "/extra/path/segments", "0" * 8 + "-0000-4000-8000-" + "0" * 12
    )
    text = _text(render_certificate_pdf(_view(holder_name=name, verification_url=url)))
    assert name in text
    assert url in _squash(text)


def test_issue_time_is_printed_in_utc() -> None:
    issued = datetime(2026, 11, 25, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    text = _text(render_certificate_pdf(_view(issued_at=issued)))
    assert "November 26, 2026 at 04:30 UTC" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holder_name": "  "}, "holder_name"),
        ({"scope": ()}, "scope"),
        ({"scope": (("WI-C.1", ""),)}, "scope"),
        ({"scheme_version": 0}, "scheme_version"),
        ({"expiry_date": date(2026, 11, 24)}, "expiry_date"),
        ({"issued_at": datetime(2026, 11, 25, 9, 30)}, "timezone"),
        (
            {"notices": (Notice(Standing.SUSPENDED, None), Notice(Standing.SUSPENDED, None))},
            "twice",
        ),
    ],
)
def test_view_refuses_incomplete_or_contradictory_data(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _view(**changes)


# ── notices: what happened since the credential was signed ──────────────────────────────
NOTICES = {
    "superseded": (
        (Notice(Standing.SUPERSEDED, date(2027, 1, 4)),),
        "SUPERSEDED",
        "Superseded — replaced by the certificate issued on January 4, 2027; verify at",
    ),
    "withdrawn": (
        (Notice(Standing.WITHDRAWN, date(2027, 3, 5)),),
        "WITHDRAWN on March 5, 2027",
        "This certification was withdrawn on March 5, 2027: it is no longer valid.",
    ),
    "suspended": (
        (Notice(Standing.SUSPENDED, date(2026, 12, 5)),),
        "SUSPENDED since December 5, 2026",
        "This certification has been suspended since December 5, 2026: it is not valid unless the "
        "certification body reinstates it.",
    ),
    "expired": (
        (Notice(Standing.EXPIRED, date(2029, 11, 25)),),
        "EXPIRED on November 25, 2029",
        "This certification expired on November 25, 2029; its last valid day was "
        "November 24, 2029. It is no longer valid.",
    ),
}


@pytest.fixture(scope="module")
def pdftotext() -> str:
    return _tool("pdftotext", "poppler-utils")


def _poppler_text(pdftotext: str, pdf: bytes) -> list[str]:
    """The page's lines as poppler reads them (its reading order, not the content stream's)."""
    out = subprocess.run(
        [pdftotext, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout
    return [line.strip() for line in out.decode("utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("case", sorted(NOTICES))
def test_a_notice_is_stated_in_words_in_the_banner(case: str) -> None:
    notices, headline, sentence = NOTICES[case]
    pdf = render_certificate_pdf(_view(notices=notices))
    text = _text(pdf)
    assert headline in text
    assert sentence in text
    assert "Mira Kovač" in text  # the rest of the page is still there
    assert "November 24, 2029" in text
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title is not None
    assert metadata.title.endswith(f"— {notices[0].standing.value.upper()}")


def test_a_superseded_page_says_where_to_verify_it_and_a_later_withdrawal() -> None:
    url = _view().verification_url
    notices = (
        Notice(Standing.SUPERSEDED, date(2027, 1, 4)),
        Notice(Standing.WITHDRAWN, date(2027, 3, 5)),
    )
    text = _text(render_certificate_pdf(_view(notices=notices)))
    assert f"verifyat{url}" in _squash(text)
    assert "This certification was withdrawn on March 5, 2027" in text


def test_a_notice_without_a_date_says_no_date() -> None:
    text = _text(render_certificate_pdf(_view(notices=(Notice(Standing.SUSPENDED, None),))))
    assert "This certification has been suspended: it is not valid" in text
    assert "since" not in text


@pytest.mark.parametrize("case", sorted(NOTICES))
def test_the_watermark_has_no_words_of_its_own(pdftotext: str, case: str) -> None:
    """Poppler reads the banner once and the page's lines whole: the diagonal word is
    decoration, so it is not cut into pieces between the lines of the page."""
    notices, headline, sentence = NOTICES[case]
    view = _view(notices=notices)
    lines = _poppler_text(pdftotext, render_certificate_pdf(view))
    word = notices[0].standing.value.upper()
    assert [line for line in lines if word in line] == [headline]
    plain = _poppler_text(pdftotext, render_certificate_pdf(_view()))
    assert [line for line in plain if line not in lines] == []  # every line of the page, whole
    banner = headline + sentence + (view.verification_url if case == "superseded" else "")
    # Nothing else: not a letter of the watermark between the lines.
    assert len(_squash("".join(lines))) == len(_squash("".join(plain) + banner))


def test_notices_keep_the_page_deterministic_and_tell_apart() -> None:
    suspended = _view(notices=NOTICES["suspended"][0])
    assert render_certificate_pdf(suspended) == render_certificate_pdf(suspended)
    later = _view(notices=(Notice(Standing.SUSPENDED, date(2026, 12, 6)),))
    assert render_certificate_pdf(later) != render_certificate_pdf(suspended)
    assert render_certificate_pdf(suspended) != render_certificate_pdf(_view())


@pytest.mark.parametrize("case", sorted(NOTICES))
def test_the_qr_code_still_scans_under_a_watermark(pdftoppm: str, case: str) -> None:
    view = _view(notices=NOTICES[case][0])
    image = _page_image(pdftoppm, render_certificate_pdf(view))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [view.verification_url]


def _fits(**changes: object) -> bool:
    try:
        render_certificate_pdf(_view(**changes))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("title", "holder"),
    [
        ("Inspection task number {} with a moderately long description", "Mira Kovač"),
        ("Task {}", "Maria Fernanda de los Ángeles Castellanos-Villavicencio y Zúñiga-Öztürk"),
        (
            "Supervision of non-destructive testing number {}: radiographic and ultrasonic "
            "methods, interpretation of reports and acceptance levels according to EN ISO 5817",
            "Zoë Ł.",
        ),
    ],
)
def test_whatever_fits_on_a_valid_page_fits_with_its_notices(title: str, holder: str) -> None:
    """A certificate that could be printed while valid can still be printed, with its notice,
    after it is suspended, withdrawn, expired or superseded (the page then sets tighter)."""

    def scope(n: int) -> tuple[tuple[str, str], ...]:
        return tuple((f"WI-C.{i}", title.format(i)) for i in range(1, n + 1))

    longest = max(n for n in range(1, 40) if _fits(scope=scope(n), holder_name=holder))
    assert not _fits(scope=scope(longest + 1), holder_name=holder)
    for notices in [
        *(notices for notices, _, _ in NOTICES.values()),
        NOTICES["superseded"][0] + NOTICES["withdrawn"][0],
    ]:
        assert _fits(scope=scope(longest), holder_name=holder, notices=notices), notices
