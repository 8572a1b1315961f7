"""QR codes of verification URLs: every code made here is read back by a real scanner library.

zxing-cpp decodes the PNG directly and the SVG after rsvg-convert (librsvg2-bin) rasterises it,
as a browser or a print driver would; the decoded text must equal the input exactly. Without
rsvg-convert the SVG tests skip, or fail under ``CI=true``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from issuer.credentials import qr

SVG_NS = "{http://www.w3.org/2000/svg}"
BASE_URLS = (
    "https://certs.example.org",
    "http://localhost:8000",
    "https://registry.example-certification-body.eu:8443/public/registry/credentials",
    "https://zertifizierung.xn--prfstelle-r9a.de/de/%C3%B6ffentlich",
    "http://127.0.0.1:65535/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0/1/2/3/4/5",
)
urls = st.builds(qr.verification_url, st.sampled_from(BASE_URLS), st.uuids().map(lambda u: str(u)))


def _tool(name: str, package: str) -> str:
    """The path of a command-line tool; a skip without it, or a failure under ``CI=true``."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package {package}: apt-get install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def _decode(image: Image.Image) -> zxingcpp.Barcode:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, f"expected exactly one barcode, found {len(results)}"
    result = results[0]
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.symbology_identifier == "]Q1", "plain QR Code model 2 without ECI"
    return result


def _assert_round_trip(image: Image.Image, text: str) -> None:
    result = _decode(image)
    assert result.text == text
    assert result.bytes == text.encode("ascii")
    assert result.ec_level in ("Q", "H")


@pytest.fixture(scope="module")
def rsvg_convert() -> str:
    """Looked up outside the hypothesis tests, so a missing tool is reported plainly."""
    return _tool("rsvg-convert", "librsvg2-bin")


def _rasterise_svg(rsvg: str, svg: bytes) -> Image.Image:
    png = subprocess.run(
        [rsvg, "--format=png", "--dpi-x=300", "--dpi-y=300", "--background-color=white"],
        input=svg,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return Image.open(io.BytesIO(png))


def test_public_surface() -> None:
    assert sorted(qr.__all__) == [
        "ERROR_LEVEL",
        "MASK",
        "QUIET_ZONE",
        "SVG_MODULE_MM",
        "qr_matrix",
        "qr_png",
        "qr_svg",
        "verification_url",
    ]


def test_verification_url_shape() -> None:
    credential_id = "3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f"
    assert (
        qr.verification_url("https://certs.example.org:8443/reg", credential_id)
        == f"https://certs.example.org:8443/reg/v/{credential_id}"
    )


@pytest.mark.parametrize(
    "credential_id",
    [
        "",
        "not-a-uuid",
        "3F2B8A9C-1D4E-4F6A-9B7C-2E1D0C9B8A7F",
        "3f2b8a9c1d4e4f6a9b7c2e1d0c9b8a7f",
        "{3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f}",
        "urn:uuid:3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f",
        "3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f/../x",
        " 3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f",
    ],
)
def test_verification_url_refuses_non_canonical_ids(credential_id: str) -> None:
    with pytest.raises(ValueError, match="credential id"):
        qr.verification_url("https://certs.example.org", credential_id)


@pytest.mark.parametrize(
    "base_url",
    [
        "",
        "certs.example.org",
        "https://certs.example.org/",
        "https://certs.example.org/reg/",
        "https://certs.example.org?x=1",
        "https://certs.example.org#v",
        "ftp://certs.example.org",
        "https://zertifikate.prüfstelle.de",
        "https://",
        "https://certs.example.org/a b",
        "https://certs.example.org:99999",
        "https://certs.example.org:http",
    ],
)
def test_verification_url_refuses_bad_base_urls(base_url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        qr.verification_url(base_url, str(uuid.uuid4()))


@settings(max_examples=15, deadline=None)
@given(urls)
def test_png_decodes_to_the_exact_url(url: str) -> None:
    _assert_round_trip(Image.open(io.BytesIO(qr.qr_png(url))), url)


@settings(max_examples=8, deadline=None)
@given(urls)
def test_svg_rasterised_decodes_to_the_exact_url(rsvg_convert: str, url: str) -> None:
    _assert_round_trip(_rasterise_svg(rsvg_convert, qr.qr_svg(url)), url)


@pytest.mark.parametrize("scale", [2, 3, 8])
def test_png_is_a_valid_png_with_a_four_module_quiet_zone(scale: int) -> None:
    url = qr.verification_url(BASE_URLS[2], "3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f")
    png = qr.qr_png(url, scale=scale)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(png)).verify()
    image = Image.open(io.BytesIO(png)).convert("L")
    modules = len(qr.qr_matrix(url))
    assert image.size == ((modules + 2 * qr.QUIET_ZONE) * scale,) * 2
    border = qr.QUIET_ZONE * scale
    width = image.size[0]
    for box in (
        (0, 0, width, border),
        (0, width - border, width, width),
        (0, 0, border, width),
        (width - border, 0, width, width),
    ):
        assert image.crop(box).getextrema() == (255, 255), f"quiet zone {box} is not blank"
    assert image.crop((border, border, width - border, width - border)).getextrema() == (0, 255)
    _assert_round_trip(image, url)


def test_svg_is_a_standalone_titled_document_in_millimetres() -> None:
    url = qr.verification_url(BASE_URLS[0], "3f2b8a9c-1d4e-4f6a-9b7c-2e1d0c9b8a7f")
    svg = qr.qr_svg(url)
    assert svg.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted input)
    assert root.tag == f"{SVG_NS}svg"
    title = root.find(f"{SVG_NS}title")
    assert title is not None
    assert title.text is not None
    assert "verification qr code" in title.text.lower()
    desc = root.find(f"{SVG_NS}desc")
    assert desc is not None
    assert desc.text == url
    modules = len(qr.qr_matrix(url)) + 2 * qr.QUIET_ZONE
    size = f"{modules * qr.SVG_MODULE_MM:g}mm"
    assert (root.get("width"), root.get("height")) == (size, size)
    assert root.get("viewBox") is not None


def test_output_is_deterministic() -> None:
    url = qr.verification_url(BASE_URLS[1], str(uuid.uuid4()))
    assert qr.qr_svg(url) == qr.qr_svg(url)
    assert qr.qr_png(url) == qr.qr_png(url)
    assert qr.qr_png(url, scale=3) == qr.qr_png(url, scale=3)
    assert qr.qr_matrix(url) == qr.qr_matrix(url)


def test_full_size_qr_never_micro_even_for_tiny_text() -> None:
    png = qr.qr_png("1")
    assert len(qr.qr_matrix("1")) == 21, "version 1 is the smallest full-size QR code"
    _assert_round_trip(Image.open(io.BytesIO(png)), "1")


def test_alphanumeric_text_round_trips_exactly() -> None:
    text = "HTTPS://CERTS.EXAMPLE.ORG/V/3F2B8A9C-1D4E-4F6A-9B7C-2E1D0C9B8A7F"
    _assert_round_trip(Image.open(io.BytesIO(qr.qr_png(text))), text)


@pytest.mark.parametrize("text", ["", "https://prüfstelle.example/v/1", "a\nb", "tab\there"])
def test_refuses_text_that_would_not_round_trip_everywhere(text: str) -> None:
    with pytest.raises(ValueError, match="ASCII"):
        qr.qr_png(text)
    with pytest.raises(ValueError, match="ASCII"):
        qr.qr_svg(text)


@pytest.mark.parametrize("scale", [0, -1, True])
def test_png_scale_must_be_a_positive_integer(scale: int) -> None:
    with pytest.raises(ValueError, match="scale"):
        qr.qr_png("https://certs.example.org", scale=scale)
