"""The printed certificate as a body prints it: its address, logo, accreditation (number and
mark) and signatory, recorded by an administrator through the back office API, and the title
a scheme gives its certificates; every font in the file embedded; the QR code still read
from a 150 dpi print; bad images refused in words; the defaults unchanged when nothing is
recorded. Through the API on both engines, with pypdf, poppler's pdftoppm and zxing-cpp as
the independent readers.
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import threading
from datetime import date
from typing import Any

import zxingcpp
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from issuer.model import Role
from issuer.store import Store
from tests.backoffice import BackOffice, candidate, exam_body, member, scheme_body
from tests.test_certificate_pdf import _text, _tool
from tests.test_printed_certificates import _certificates, _url

INFORMATION: dict[str, Any] = {
    "name": "Northern Welding Certification",
    "impartiality_commitment": "We decide on evidence alone.",
    "appeals_process": "Appeal within 30 days of a decision.",
    "complaints_process": "Write to us; we acknowledge within 5 working days.",
    "contact": "appeals@nwc.example",
    "accreditation": {
        "accreditation_body": "National Accreditation Service",
        "accreditation_number": "PC-0042",
    },
}


def _png(size: tuple[int, int], colour: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


LOGO = _png((300, 100), (200, 30, 40))
MARK = _png((120, 120), (20, 90, 160))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


DESIGN: dict[str, Any] = {
    "address": "Industrigatan 4\n211 14 Malmö\nSweden",
    "signatory_name": "Dr. Ingrid Lindqvist",
    "signatory_function": "Head of Certification",
    "logo_png": _b64(LOGO),
    "accreditation_mark_png": _b64(MARK),
}


def _granted(office: BackOffice, title: str | None = None) -> str:
    """A certificate granted under a scheme (with ``title`` for its certificates, if given);
    returns its credential's id."""
    manager = member(office, "manager")
    body = scheme_body() | ({} if title is None else {"certificate_title": title})
    scheme: dict[str, Any] = office.ok("POST", "/schemes", manager, body)
    assert scheme["current"]["certificate_title"] == title
    examiner = member(office, "examiner").staff_id
    office.ok("POST", f"/staff/{examiner}/approvals", manager, {"scheme_id": scheme["id"]})
    accepted = candidate(office, scheme, ["VT-STEEL"])
    exam = exam_body(accepted["id"], date(2026, 11, 20))
    office.ok("POST", "/examinations", member(office, "examiner"), exam)
    decision = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    granted = office.ok("POST", "/decisions", member(office, "decider"), decision)
    [credential] = _certificates(office, granted["certification"]["certificate_number"])
    return credential


def _pdf(office: BackOffice, credential: str) -> bytes:
    response = office.call(
        "GET", f"/credentials/{credential}/certificate.pdf", member(office, "registrar")
    )
    assert response.status_code == 200, response.text
    return response.content


def _fonts_embedded(pdf: bytes) -> dict[str, bool]:
    """Every font the page's resources name (in forms too), and whether the file carries it."""
    found: dict[str, bool] = {}

    def walk(resources: Any) -> None:
        resources = resources.get_object() if isinstance(resources, IndirectObject) else resources
        if not isinstance(resources, DictionaryObject):
            return
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            described = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = described.get("/FontDescriptor")
            descriptor = None if descriptor is None else descriptor.get_object()
            found[str(font["/BaseFont"])] = descriptor is not None and any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get_object().get("/Resources"))

    [page] = PdfReader(io.BytesIO(pdf)).pages
    walk(page.get("/Resources"))
    return found


def _qr_at_150_dpi(pdf: bytes) -> list[str]:
    png = subprocess.run(
        [_tool("pdftoppm", "poppler-utils"), "-r", "150", "-png", "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    image = Image.open(io.BytesIO(png))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_a_certificate_prints_what_the_body_and_the_scheme_recorded(office: BackOffice) -> None:
    admin = member(office, "admin")
    office.ok("PUT", "/body-information", admin, INFORMATION)
    recorded = office.ok("PUT", "/certificate-design", admin, DESIGN)
    assert recorded["version"] == 1
    assert recorded["logo"] == {
        "sha256": hashlib.sha256(LOGO).hexdigest(),
        "size": len(LOGO),
    }
    credential = _granted(office, title="Certificate of Qualification")
    pdf = _pdf(office, credential)

    text = _text(pdf)
    for expected in (
        "CERTIFICATE OF QUALIFICATION",
        "Industrigatan 4 · 211 14 Malmö · Sweden",
        "Dr. Ingrid Lindqvist",
        "Head of Certification",
        "Certified in accordance with ISO/IEC 17024",
        "Accredited by National Accreditation Service, accreditation number PC-0042",
    ):
        assert expected in text, expected
    assert "CERTIFICATE OF COMPETENCE" not in text

    [page] = PdfReader(io.BytesIO(pdf)).pages
    drawn = [image.image for image in page.images]
    images = {(i.size, i.convert("RGB").getpixel((5, 5))) for i in drawn if i is not None}
    assert ((300, 100), (200, 30, 40)) in images  # the logo, pixels intact
    assert ((120, 120), (20, 90, 160)) in images  # the accreditation mark

    fonts = _fonts_embedded(pdf)
    assert fonts
    assert all(fonts.values()), fonts
    assert _qr_at_150_dpi(pdf) == [_url(credential)]


def test_with_nothing_recorded_the_page_is_as_before(office: BackOffice) -> None:
    credential = _granted(office)
    pdf = _pdf(office, credential)
    text = _text(pdf)
    assert "CERTIFICATE OF COMPETENCE" in text
    assert "Certified in accordance with ISO/IEC 17024" in text
    assert "Accredited" not in text
    assert len(PdfReader(io.BytesIO(pdf)).pages[0].images) == 0
    fonts = _fonts_embedded(pdf)
    assert fonts
    assert all(fonts.values()), fonts
    assert not any("Helvetica" in name for name in fonts)
    assert _qr_at_150_dpi(pdf) == [_url(credential)]
    assert office.call("GET", "/certificate-design", member(office, "auditor")).status_code == 404


def test_a_new_design_shows_on_the_next_print_of_the_same_certificate(office: BackOffice) -> None:
    admin = member(office, "admin")
    credential = _granted(office)
    before = _text(_pdf(office, credential))  # rendered and cached
    assert "Lindqvist" not in before
    office.ok("PUT", "/certificate-design", admin, {"signatory_name": "Dr. Ingrid Lindqvist"})
    after = _text(_pdf(office, credential))
    assert "Dr. Ingrid Lindqvist" in after
    office.ok("PUT", "/certificate-design", admin, {})  # a version without a signatory
    assert "Lindqvist" not in _text(_pdf(office, credential))
    current = office.ok("GET", "/certificate-design", member(office, "auditor"))
    assert current["version"] == 2
    assert current["signatory_name"] is None


def _refused(office: BackOffice, body: dict[str, Any]) -> dict[str, Any]:
    response = office.call("PUT", "/certificate-design", member(office, "admin"), body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    return problem


def test_bad_images_are_refused_in_words_and_nothing_is_recorded(
    office: BackOffice, store: Store
) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    too_large = LOGO + bytes(85 * 1024 - len(LOGO))  # a valid PNG with trailing bytes
    for image, says in (
        (b"this is not an image at all", "not a PNG image"),
        (LOGO[: len(LOGO) // 2], "not a PNG image"),  # truncated
        (_png((50, 50), (0, 0, 0), "JPEG"), "is a JPEG image; send it as PNG"),
        (_png((50, 50), (0, 0, 0), "GIF"), "is a GIF image"),
        (svg, "is an SVG image; export it as PNG"),
        (too_large, "at most 81920 bytes"),
        (_png((4001, 10), (0, 0, 0)), "at most 4000 pixels a side"),
    ):
        for field in ("logo_png", "accreditation_mark_png"):
            problem = _refused(office, {field: _b64(image)})
            assert problem["type"] == "/problems/image-not-accepted", (says, problem)
            assert says in problem["detail"], (says, problem["detail"])
    problem = _refused(office, {"logo_png": "not base64!"})
    assert problem["type"] != "/problems/internal-error"
    problem = _refused(office, {"signatory_name": "王小明"})
    assert problem["type"] == "/problems/certificate-not-printable"
    problem = _refused(office, {"signatory_function": "Head of Certification"})
    assert "name the signatory" in problem["detail"]
    assert office.call("GET", "/certificate-design", member(office, "admin")).status_code == 404
    with store.reading() as reader:
        entries = reader.audit_entries(limit=10_000)
    assert not [e for e in entries if e.subject_type == "certificate-design"]


def test_only_an_administrator_records_the_design(office: BackOffice) -> None:
    for who in ("manager", "registrar", "decider", "auditor"):
        response = office.call("PUT", "/certificate-design", member(office, who), DESIGN)
        assert response.status_code == 403, who
    assert office.call("GET", "/certificate-design", member(office, "admin")).status_code == 404


def test_two_administrators_recording_at_once_both_record_one_version_after_the_other(
    office: BackOffice, store: Store
) -> None:
    admins = [member(office, "admin"), office.enrol("admin-2", Role.ADMINISTRATOR)]
    bodies = [DESIGN, DESIGN | {"signatory_name": "Per Holm"}]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = office.call("PUT", "/certificate-design", admins[index], bodies[index])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(a.json()["version"] for a in answers) == [1, 2]
    [last] = [i for i, a in enumerate(answers) if a.json()["version"] == 2]
    current = office.ok("GET", "/certificate-design", member(office, "auditor"))
    assert current["signatory_name"] == bodies[last]["signatory_name"]
    with store.reading() as reader:
        entries = reader.audit_entries(limit=10_000)
    assert [e.action for e in entries if e.subject_type == "certificate-design"] == [
        "certificate-design.recorded"
    ] * 2
