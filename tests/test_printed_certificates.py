"""The printable certificate and the QR code after a change, through the back office API.

Paper cannot be suspended, so the page must say, at the moment it is printed, what happened
to the certification since the credential was signed: a superseded credential prints its own
dates and scope and says what replaced it; a withdrawn, suspended or expired certification
says so in a banner across the page. The cache of renderings never hands out a page made
before a change (or under other settings) as if nothing had happened.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import insert, select

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app, public_registry_app
from issuer.model import Role
from issuer.settings import Settings
from issuer.store import Store
from issuer.store.tables import RenderingRow
from registry import Registry, RegistryStore
from schemas.languages import format_date
from tests.backoffice import (
    BackOffice,
    Member,
    candidate,
    exam_body,
    grant,
    member,
    person_body,
    setup_scheme,
)
from tests.conftest import FrozenClock, SeededEntropy
from tests.test_certificate_pdf import _squash, _text
from tests.test_recertification import _examined as _reexamined

BASE_URL = "https://certs.example.test"
FIRST_DAY = date(2026, 11, 25)
LAST_DAY = date(2029, 11, 24)
"""The grant's effective date (the test clock's day) and its last valid day (36 months)."""


def _credentials(office: BackOffice, number: str) -> list[dict[str, Any]]:
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    credentials: list[dict[str, Any]] = detail["credentials"]
    return credentials


def _certificates(office: BackOffice, number: str) -> list[str]:
    """The ids of the certification's certificate credentials, oldest first."""
    return [c["id"] for c in _credentials(office, number) if c["kind"] == "certificate"]


def _pdf_text(office: BackOffice, credential_id: str, who: str = "registrar") -> str:
    response = office.call(
        "GET", f"/credentials/{credential_id}/certificate.pdf", member(office, who)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return _text(response.content)


def _decide(office: BackOffice, number: str, action: str, body: dict[str, Any]) -> None:
    office.ok("POST", f"/certifications/{number}/{action}", member(office, "decider"), body)


def _number(office: BackOffice) -> str:
    number: str = grant(office)["certification"]["certificate_number"]
    return number


def _url(credential_id: str) -> str:
    return f"{BASE_URL}/v/{credential_id}"


def _no_banner(text: str) -> None:
    for word in ("SUPERSEDED", "WITHDRAWN", "SUSPENDED", "EXPIRED"):
        assert word not in text, word


def test_a_superseded_certificate_prints_its_own_dates_and_scope_and_what_replaced_it(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = _number(office)
    [first] = _certificates(office, number)
    as_issued = _pdf_text(office, first)  # rendered and cached before anything changes
    _no_banner(as_issued)

    clock.advance(days=40)  # 2027-01-04: the reduction's credential keeps the dates
    _decide(office, number, "scope", {"scope": ["VT-STEEL"], "reason": "pressure work ended"})
    clock.now = datetime(2029, 6, 1, 9, 0, tzinfo=UTC)  # recertified in the window
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    exam = _reexamined(office, detail)
    body = {"reason": "continued competence shown", "examination_ids": [exam]}
    _decide(office, number, "recertify", body)
    first_, second, third = _certificates(office, number)
    assert first_ == first

    text = _pdf_text(office, first)
    assert format_date(FIRST_DAY, "en") in text
    assert format_date(LAST_DAY, "en") in text
    assert "VT-PRESSURE" in text
    assert "VT-STEEL" in text
    assert "SUPERSEDED" in text
    assert "Superseded — replaced by the certificate issued on January 4, 2027" in text
    assert f"verifyat{_url(first)}" in _squash(text)  # the address its QR code opens

    text = _pdf_text(office, second)
    assert format_date(FIRST_DAY, "en") in text
    assert format_date(LAST_DAY, "en") in text
    assert "VT-STEEL" in text
    assert "VT-PRESSURE" not in text
    assert "Superseded — replaced by the certificate issued on June 1, 2029" in text
    assert "November 24, 2032" not in text  # not the certification's current expiry

    # the new cycle runs from the day after the previous expiry; its certificate is valid
    # from the day it was issued, and says since when the person is certified
    text = _pdf_text(office, third)
    _no_banner(text)
    assert "June 1, 2029" in text
    assert "November 24, 2032" in text
    assert "VT-STEEL" in text
    assert "VT-PRESSURE" not in text
    assert "Certified since" in text
    assert format_date(FIRST_DAY, "en") in text


def test_a_withdrawn_certification_prints_withdrawn_with_its_date(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = _number(office)
    [credential] = _certificates(office, number)
    _no_banner(_pdf_text(office, credential))
    clock.advance(days=100)  # 2027-03-05
    _decide(office, number, "withdraw", {"reason": "falsified evidence"})

    text = _pdf_text(office, credential)
    assert "WITHDRAWN on March 5, 2027" in text
    assert "no longer valid" in text
    assert format_date(FIRST_DAY, "en") in text
    assert format_date(LAST_DAY, "en") in text


def test_render_suspend_render_again_then_reinstate(office: BackOffice, clock: FrozenClock) -> None:
    """The cache proof: the page cached while valid is not served once suspended, nor the
    suspended page once reinstated."""
    number = _number(office)
    [credential] = _certificates(office, number)
    before = office.call(
        "GET", f"/credentials/{credential}/certificate.pdf", member(office, "registrar")
    ).content
    _no_banner(_text(before))

    clock.advance(days=10)  # 2026-12-05
    _decide(office, number, "suspend", {"reason": "complaint under investigation"})
    text = _pdf_text(office, credential)
    assert "SUSPENDED since December 5, 2026" in text
    assert "not valid" in text
    assert _pdf_text(office, credential, who="auditor") == text  # the same page, from the cache

    clock.advance(days=10)
    _decide(office, number, "reinstate", {"reason": "complaint unfounded"})
    after = office.call(
        "GET", f"/credentials/{credential}/certificate.pdf", member(office, "registrar")
    ).content
    assert after == before  # the same view gives the same bytes


def test_a_suspension_carried_into_a_new_certificate_keeps_its_date(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = _number(office)
    clock.advance(days=10)  # 2026-12-05
    _decide(office, number, "suspend", {"reason": "complaint under investigation"})
    clock.advance(days=30)
    _decide(office, number, "scope", {"scope": ["VT-STEEL"], "reason": "narrower work"})
    old, new = _certificates(office, number)
    assert "SUSPENDED since December 5, 2026" in _pdf_text(office, new)
    text = _pdf_text(office, old)
    assert "Superseded — replaced by the certificate issued on January 4, 2027" in text
    assert "SUSPENDED" not in text  # it is the new certificate that is suspended


def test_an_expired_certification_prints_expired_before_and_after_the_due_jobs(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = _number(office)
    [credential] = _certificates(office, number)
    clock.now = datetime.combine(LAST_DAY, datetime.max.time(), tzinfo=UTC)
    _no_banner(_pdf_text(office, credential))  # still valid on its last valid day

    clock.now = datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    text = _pdf_text(office, credential)  # the due jobs have not run yet
    assert "EXPIRED on November 25, 2029" in text
    assert "last valid day was November 24, 2029" in text
    clock.advance(hours=1)
    office.ok("POST", "/certifications/expire-due", member(office, "admin"))
    assert _pdf_text(office, credential) == text


def test_a_withdrawn_certification_after_a_supersession_says_both(
    office: BackOffice, clock: FrozenClock
) -> None:
    number = _number(office)
    clock.advance(days=40)
    _decide(office, number, "scope", {"scope": ["VT-STEEL"], "reason": "pressure work ended"})
    clock.advance(days=60)  # 2027-03-05
    _decide(office, number, "withdraw", {"reason": "falsified evidence"})
    old, new = _certificates(office, number)
    text = _pdf_text(office, old)
    assert "Superseded — replaced by the certificate issued on January 4, 2027" in text
    assert "withdrawn on march 5, 2027" in text.lower()
    assert "WITHDRAWN on March 5, 2027" in _pdf_text(office, new)


def test_renderings_follow_the_settings_they_show(
    office: BackOffice,
    store: Store,
    settings: Settings,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> None:
    """A registry moved to another address: QR codes and certificates cached under the old
    one are not served any more."""
    number = _number(office)
    [credential] = _certificates(office, number)
    path = f"/api/v1/credentials/{credential}"
    registrar = member(office, "registrar")
    old_qr = office.client.get(f"{path}/qr.png", headers=registrar.headers).content
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(old_qr)))] == [
        _url(credential)
    ]
    office.client.get(f"{path}/certificate.pdf", headers=registrar.headers)

    moved = settings.model_copy(update={"base_url": "https://registry.example.test"})
    app = create_app(moved, store=store, clock=clock, entropy=entropy, keyring=keyring)
    new_url = f"https://registry.example.test/v/{credential}"
    with TestClient(app) as client:
        png = client.get(f"{path}/qr.png", headers=registrar.headers).content
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [new_url]
        svg = client.get(f"{path}/qr.svg", headers=registrar.headers).text
        assert svg != office.client.get(f"{path}/qr.svg", headers=registrar.headers).text
        pdf = client.get(f"{path}/certificate.pdf", headers=registrar.headers).content
        assert new_url in _squash(_text(pdf))


def test_renderings_are_not_kept_by_browsers_past_a_change(office: BackOffice) -> None:
    number = _number(office)
    [credential] = _certificates(office, number)
    for part in ("certificate.pdf", "qr.svg", "qr.png"):
        response = office.call(
            "GET", f"/credentials/{credential}/{part}", member(office, "auditor")
        )
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-cache", part


def test_only_staff_get_certificates_and_qr_codes(office: BackOffice) -> None:
    """The back office serves them to staff who read cases; a regulator's token, no token,
    and a scheme manager's token are refused."""
    number = _number(office)
    [credential] = _certificates(office, number)
    regulator: Member = office.enrol("regulator", Role.REGULATOR)
    for part in ("certificate.pdf", "qr.svg", "qr.png"):
        path = f"/api/v1/credentials/{credential}/{part}"
        assert office.client.get(path).status_code == 401
        assert office.client.get(path, headers=regulator.headers).status_code == 403
        manager = member(office, "manager")
        assert office.client.get(path, headers=manager.headers).status_code == 403
        for who in ("registrar", "examiner", "decider", "auditor", "admin"):
            assert office.client.get(path, headers=member(office, who).headers).status_code == 200


def test_the_public_registry_serves_no_certificate_or_qr_code(
    registry_store: RegistryStore, settings: Settings
) -> None:
    """Nothing a person without a token can reach renders a certificate: the public registry
    has the verification page behind the QR code, never the printable page or the code."""
    app = public_registry_app(Registry(registry_store), settings)
    paths = app.openapi()["paths"]
    assert "/v/{credential_id}" in paths
    for path, operations in paths.items():
        assert not path.endswith(".pdf"), path
        assert not any(part.startswith("qr") for part in path.split("/")), path
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                assert "application/pdf" not in response.get("content", {}), path


def _cache(store: Store, credential_id: str) -> dict[str, bytes]:
    """The renderings cache of one credential, by key (``pdf:<digest>``…)."""
    with store.reading() as tx:
        rows = tx._s.execute(
            select(RenderingRow.format, RenderingRow.content).where(
                RenderingRow.credential_id == credential_id
            )
        ).all()
    return {str(key): bytes(content) for key, content in rows}


def test_a_page_cached_before_an_upgrade_is_not_served(
    office: BackOffice, store: Store, clock: FrozenClock
) -> None:
    """Renderings cached under their format alone (before they were keyed by what they show)
    may be valid-looking pages of certifications suspended since: never served, replaced."""
    number = _number(office)
    [credential] = _certificates(office, number)
    with store.transaction() as tx:
        for fmt in ("certificate.pdf", "qr.svg"):
            tx._s.execute(
                insert(RenderingRow).values(
                    credential_id=credential, format=fmt, content=b"made before", created_at=clock()
                )
            )
    _decide(office, number, "suspend", {"reason": "complaint under investigation"})
    assert "SUSPENDED since November 25, 2026" in _pdf_text(office, credential)
    svg = office.call("GET", f"/credentials/{credential}/qr.svg", member(office, "registrar"))
    assert svg.content.lstrip().startswith(b"<?xml")
    assert sorted(key.split(":")[0] for key in _cache(store, credential)) == ["pdf", "svg"]


def test_the_cache_keeps_one_rendering_per_format(office: BackOffice, store: Store) -> None:
    number = _number(office)
    [credential] = _certificates(office, number)
    for action, body in (
        ("suspend", {"reason": "complaint under investigation"}),
        ("reinstate", {"reason": "complaint unfounded"}),
        ("withdraw", {"reason": "falsified evidence"}),
    ):
        office.call("GET", f"/credentials/{credential}/certificate.pdf", member(office, "auditor"))
        office.call("GET", f"/credentials/{credential}/qr.png", member(office, "auditor"))
        _decide(office, number, action, body)
    pdf = office.call(
        "GET", f"/credentials/{credential}/certificate.pdf", member(office, "auditor")
    )
    cache = _cache(store, credential)
    assert sorted(key.split(":")[0] for key in cache) == ["pdf", "png"]
    assert pdf.content in cache.values()


def test_a_certificate_the_font_cannot_print_is_refused_not_a_server_error(
    office: BackOffice, store: Store
) -> None:
    """A name the certificate font lacks is refused in words (the page would misspell it);
    the credential itself, with the name exact, stays available."""
    scheme = setup_scheme(office)
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body(given="王小明"))
    accepted = candidate(office, scheme, ["VT-STEEL"], person_id=person["id"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    body = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    number = office.ok("POST", "/decisions", member(office, "decider"), body)["certification"][
        "certificate_number"
    ]
    [credential] = _certificates(office, number)
    refused = office.call("GET", f"/credentials/{credential}/certificate.pdf", registrar)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/certificate-not-printable"
    assert "U+738B" in refused.json()["detail"]
    assert _cache(store, credential) == {}
    assert office.call("GET", f"/credentials/{credential}", registrar).status_code == 200
