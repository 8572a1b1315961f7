"""Scheme pages (clause 7.2.2) in HTML for browsers and JSON for programs, escaped and
self-contained; and no bad input to a public route yields a 500."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import Registry, create_registry_app, page_views, pages
from schemas.publication import DocumentKind
from tests.registry.conftest import BASE_URL, NUMBER, TestIssuer, register_entry_payload, vc

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
EVIL = '<script>alert("x")</script> & "quotes" \'too\''


def full_scheme(scheme_id: str = "welding-inspector", name: str = "Welding inspector") -> Any:
    subject = {
        "id": f"{BASE_URL}/schemes/{scheme_id}",
        "type": "CertificationScheme",
        "code": "WI",
        "name": name,
        "version": 3,
        "schemeOwner": "Example Welding Certification Body",
        "scopeDescription": "Visual testing of welds.\n\nOn steel and pressure equipment.",
        "scopeItems": [
            {
                "type": "ScopeItem",
                "code": "VT-STEEL",
                "name": "Steel structures",
                "description": "Welded steel structures.",
            }
        ],
        "applicationRequirements": "Apply with proof of training.",
        "initialCertificationRequirements": "Pass the written and the practical examination.",
        "surveillanceRequirements": "A yearly statement of continued work.",
        "recertificationIntervalMonths": 60,
        "recertificationRequirements": "A practical examination every five years.",
        "recertificationEvidence": ["continuing-development", "examination", "work-evidence"],
        "recertificationWindowMonthsBefore": 6,
        "recertificationGraceDays": 30,
        "surveillanceActivities": [
            {
                "type": "SurveillanceActivity",
                "code": "CPD",
                "name": "Declaration of continued activity",
                "intervalMonths": 12,
                "graceDays": 30,
            }
        ],
        "processDescription": "Application, examination, decision.",
    }
    return vc("SchemeInformationCredential", subject)


@pytest.fixture
def schemes(registry: Registry, published: TestIssuer) -> Registry:
    for key, payload in (
        ("welding-inspector", full_scheme()),
        ("evil", full_scheme("evil", EVIL)),
    ):
        assert registry.accept(published.publication(DocumentKind.SCHEME, key, payload))
    entry = register_entry_payload(directory=True)
    assert registry.accept(published.publication(DocumentKind.REGISTER_ENTRY, NUMBER, entry))
    return registry


@pytest.fixture
def client(schemes: Registry) -> Iterator[TestClient]:
    app = create_registry_app(schemes, lookup_limit=None, page_limit=None)
    with TestClient(app) as test_client:
        yield test_client


def _assert_is_a_safe_page(response: Any) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] == "Accept, Accept-Language"
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    html: str = response.text
    assert html.startswith('<!doctype html>\n<html lang="en">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no external resources"
    assert "<link" not in html
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy  # the inline style is the one allowed
    return html


def test_a_browser_gets_the_scheme_list_as_a_page(client: TestClient) -> None:
    html = _assert_is_a_safe_page(client.get("/schemes", headers={"Accept": BROWSER}))
    assert '<a href="/schemes/welding-inspector">' in html
    assert "Welding inspector" in html
    assert "<h1>Certification schemes</h1>" in html


def test_a_browser_gets_one_scheme_with_the_information_of_7_2_2(client: TestClient) -> None:
    html = _assert_is_a_safe_page(
        client.get("/schemes/welding-inspector", headers={"Accept": BROWSER})
    )
    for text in (
        "<title>Welding inspector · Public register of certified persons</title>",
        "Example Welding Certification Body",
        "<p>Visual testing of welds.</p>",
        "<p>On steel and pressure equipment.</p>",
        "Steel structures",
        "How to apply",
        "Requirements for initial certification",
        "Surveillance",
        "every 60 months",
        "<dt>When to recertify</dt><dd>from 6 months before expiry until 30 days after it</dd>",
        "<dd>continuing professional development, a new examination or evidence of work done"
        " in the field</dd>",
        "<h2>Surveillance schedule</h2>",
        '<dt><span class="code">CPD</span> Declaration of continued activity</dt>',
        "<dd>every 12 months, late 30 days after it is due</dd>",
        "Requirements for recertification",
        "The certification process",
    ):
        assert text in html, text
    assert "Prerequisites" not in html  # none published: no empty section


def test_markup_in_published_text_is_shown_not_run(client: TestClient) -> None:
    for path in ("/schemes", "/schemes/evil"):
        html = _assert_is_a_safe_page(client.get(path, headers={"Accept": BROWSER}))
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
        assert "<script>" not in html


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0.5, */*"])
def test_programs_get_json_as_before(client: TestClient, accept: str | None) -> None:
    headers = {} if accept is None else {"Accept": accept}
    listed = client.get("/schemes", headers=headers)
    assert listed.headers["content-type"] == "application/json"
    assert listed.headers["vary"] == "Accept"
    assert [s["name"] for s in listed.json()] == [EVIL, "Welding inspector"]
    one = client.get("/schemes/evil", headers=headers)
    assert one.json()["name"] == EVIL


def test_each_representation_has_its_own_etag(client: TestClient) -> None:
    page = client.get("/schemes/welding-inspector", headers={"Accept": BROWSER})
    data = client.get("/schemes/welding-inspector", headers={"Accept": "application/json"})
    assert page.headers["etag"] != data.headers["etag"]
    again = client.get(
        "/schemes/welding-inspector",
        headers={"Accept": BROWSER, "If-None-Match": page.headers["etag"]},
    )
    assert again.status_code == 304


def test_an_unknown_scheme_is_a_404_problem_for_browsers_too(client: TestClient) -> None:
    response = client.get("/schemes/nope", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_a_scheme_page_survives_a_sparse_subject() -> None:
    view = page_views.scheme_view(
        "odd", {"name": 5, "scopeItems": ["x", {"code": 1}], "version": True}
    )
    assert (view.name, view.version, view.code) == ("odd", None, "")
    assert len(view.scope_items) == 1
    page = pages.render(
        "scheme.html", title=view.name, scheme=view, language=pages.PageLanguage("en")
    ).decode()
    assert "<h1>" in page
    assert page_views.scheme_view("x", None).sections == []


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("text/*", True),
        ("application/json", False),
        ("application/json, text/html", False),  # a tie keeps JSON
        ("*/*", False),
        ("", False),
        (None, False),
        ("text/html;q=0, */*", False),
        ("application/json;q=0.1, text/html;q=0.2", True),
        ("text/html;q=nan", False),
        ("text/html;q=abc, application/json;q=0.1", False),
        ("application/*;q=0.3, text/html;q=0.4", True),
        (";;;,,,", False),
    ],
)
def test_content_negotiation(accept: str | None, html: bool) -> None:
    assert pages.prefers_html(accept) is html


def test_the_style_sheet_keeps_aa_contrast() -> None:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    variables = dict(re.findall(r"--(\w+):(#[0-9a-f]{6})", pages.CSS))
    for ink in ("ink", "muted", "link"):
        assert contrast(variables[ink], variables["paper"]) >= 4.5, ink
        assert contrast(variables[ink], variables["soft"]) >= 4.5, ink
    for colour, background in re.findall(
        r"\.banner-\w+\{color:(#[0-9a-f]{6});background:(#[0-9a-f]{6})\}", pages.CSS
    ):
        assert contrast(colour, background) >= 4.5, colour
    assert len(re.findall(r"\.banner-\w+\{", pages.CSS)) == 4


# ── no 500, whatever is asked ────────────────────────────────────────────────────────────

ANYTHING = st.text(st.characters(codec="utf-8"), max_size=300)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(name=ANYTHING, family=ANYTHING, accept=st.text(max_size=80))
def test_no_query_string_yields_a_500(
    client: TestClient, name: str, family: str, accept: str
) -> None:
    headers = {"Accept": accept.encode("ascii", "ignore").decode().replace("\n", "")}
    for path, params in (
        ("/directory", {"name": name}),
        (f"/register/{NUMBER}", {"family_name": family}),
        ("/schemes", {"name": name}),
    ):
        response = client.get(path, params=params, headers=headers)
        assert response.status_code < 500, (path, params, response.text)


@FUZZ
@given(segment=ANYTHING)
def test_no_path_yields_a_500(client: TestClient, segment: str) -> None:
    escaped = quote(segment, safe="")
    for path in (
        f"/schemes/{escaped}",
        f"/register/{escaped}?family_name=M%C3%BCller",
        f"/status/{escaped}",
        f"/directory/{escaped}",
    ):
        response = client.get(path, headers={"Accept": BROWSER})
        assert response.status_code < 500, (path, response.text)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_no_raw_query_bytes_yield_a_500(client: TestClient, raw: bytes) -> None:
    query = quote(raw, safe="=&")
    response = client.get(f"/directory?{query}")
    assert response.status_code < 500, response.text
    response = client.get(f"/directory?name={quote(raw)}")
    assert response.status_code < 500, response.text
