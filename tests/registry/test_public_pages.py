"""The registry's pages for people: the home page, a register entry and the directory's
results as HTML for a browser, the JSON of before, byte for byte, for every program, and
refusals in words — a wrong name and an unknown number the same page.

Each test runs on SQLite and PostgreSQL (the registry store fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry import RateLimit, Registry, create_registry_app
from schemas.publication import DocumentKind
from tests.registry.conftest import NUMBER, TestIssuer, register_entry_payload

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HIDDEN = "8K3M-9QXD-2HFW-8T4B-3"
SUSPENDED = "9K3M-9QXD-2HFW-8T4B-R"
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
FORM = "/public/complaints/new"


@pytest.fixture
def people(registry: Registry, published: TestIssuer) -> Registry:
    """Anna Müller (listed, active), Hidden Müller (not listed) and Jörg Weiß (suspended)."""
    for number, given, family, status, listed in (
        (NUMBER, "Anna", "Müller", "active", True),
        (HIDDEN, "Hidden", "Müller", "active", False),
        (SUSPENDED, "Jörg", "Weiß", "suspended", True),
    ):
        payload = register_entry_payload(
            number, given_name=given, family_name=family, status=status, directory=listed
        )
        assert registry.accept(published.publication(DocumentKind.REGISTER_ENTRY, number, payload))
    return registry


def _client(registry: Registry, **options: Any) -> Iterator[TestClient]:
    app = create_registry_app(registry, **({"now": lambda: NOW} | options))
    with TestClient(app) as client:
        yield client


@pytest.fixture(params=[True, False], ids=["fast-paths", "routes-only"])
def client(people: Registry, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    yield from _client(people, lookup_limit=None, fast_paths=request.param, complaint_form_url=FORM)


def _page(response: object) -> str:
    """The HTML of a page answer, after checking the headers every page carries."""
    from httpx2 import Response

    assert isinstance(response, Response)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["vary"] == "Accept, Accept-Language"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<script" not in response.text
    assert '<html lang="en">' in response.text
    return response.text


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/*"])
def test_programs_get_the_json_of_before(client: TestClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    answer = client.get(f"/register/{NUMBER}", params={"family_name": "muller"}, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["vary"] == "Accept"
    assert set(answer.json()) == {"entry", "credential", "validFrom"}
    assert answer.json()["entry"]["certificateNumber"] == NUMBER
    # The form's address answers the same bytes.
    form = client.get(
        "/register", params={"number": NUMBER, "family_name": "muller"}, headers=headers
    )
    assert form.content == answer.content
    found = client.get("/directory", params={"name": "müller"}, headers=headers)
    assert found.headers["content-type"] == "application/json"
    assert [r["certificateNumber"] for r in found.json()["results"]] == [NUMBER]
    assert found.json()["truncated"] is False
    refused = client.get("/directory", params={"name": "mü"}, headers=headers)
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/invalid-query"


def test_a_browser_gets_the_register_entry_as_a_page(client: TestClient) -> None:
    response = client.get(
        f"/register/{NUMBER}", params={"family_name": "MULLER"}, headers={"Accept": BROWSER}
    )
    assert response.status_code == 200
    text = _page(response)
    assert 'data-standing="valid"' in text
    assert "<span>Valid</span>" in text
    assert "Certification of Anna Müller" in text
    assert NUMBER in text
    assert '<a href="/schemes/welding-inspector">Welding inspector</a>' in text
    assert 'href="/v/0b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a11"' in text
    assert '<time datetime="2031-11-24">November 24, 2031</time>' in text
    assert (
        client.get(
            f"/register/{NUMBER}",
            params={"family_name": "MULLER"},
            headers={"Accept": BROWSER, "If-None-Match": response.headers["etag"]},
        ).status_code
        == 304
    )
    # The lookup form's address gives the same page (its language switch links to it).
    form = client.get(
        "/register", params={"number": NUMBER, "family_name": "MULLER"}, headers={"Accept": BROWSER}
    )
    assert _without_switch(form.text) == _without_switch(response.text)
    assert 'href="?number=7K3M-9QXD-2HFW-8T4B-E&amp;family_name=MULLER&amp;lang=de"' in form.text


def test_a_suspended_entry_says_since_when(client: TestClient) -> None:
    text = _page(
        client.get(
            f"/register/{SUSPENDED}", params={"family_name": "WEIß"}, headers={"Accept": BROWSER}
        )
    )
    assert 'data-standing="suspended"' in text
    assert 'suspended since <time datetime="2026-11-25">November 25, 2026</time>' in text


def test_an_active_entry_past_its_last_day_reads_expired(people: Registry) -> None:
    """The issuer's due job republishes an expired entry within a minute; until then the
    page reads the signed last day itself rather than say "valid"."""
    after = datetime(2031, 11, 25, 0, 1, tzinfo=UTC)
    for late in _client(people, lookup_limit=None, now=lambda: after):
        text = late.get(
            f"/register/{NUMBER}", params={"family_name": "Müller"}, headers={"Accept": BROWSER}
        ).text
    assert 'data-standing="expired"' in text
    assert 'expired at the end of <time datetime="2031-11-24">November 24, 2031</time>' in text


def _without_switch(text: str) -> str:
    """A page without its language switch, which links to the page's own address."""
    return re.sub(r'<nav class="languages".*?</nav>', "", text, flags=re.S)


def _without_inputs(text: str, *typed: str) -> str:
    text = _without_switch(text)  # its links carry what was typed, as the form does
    for value in typed:
        text = text.replace(value, "TYPED")
    return text


def test_a_wrong_name_and_an_unknown_number_say_the_same(client: TestClient) -> None:
    """The same page, status and headers, but for what was typed (shown back in the form)."""
    tries = [
        ("AAAA-BBBB-CCCC-DDDD-E", "Nobody"),
        (NUMBER, "Nobody"),
        (HIDDEN, "Nobody"),
        ("not-a-number", "Nobody"),
    ]
    pages = []
    for number, name in tries:
        for path, params in (
            (f"/register/{number}", {"family_name": name}),
            ("/register", {"number": number, "family_name": name}),
        ):
            response = client.get(path, params=params, headers={"Accept": BROWSER})
            assert response.status_code == 404
            assert "etag" not in response.headers
            assert response.headers["cache-control"] == "no-store"
            pages.append(_without_inputs(_page(response), number))
            assert "No certificate found" in response.text
            assert "Anna" not in response.text
            assert "Hidden" not in response.text
    assert len(set(pages)) == 1
    # The typed number and name are shown back, escaped.
    odd = client.get(
        "/register",
        params={"number": "<b>1</b>", "family_name": '"><i>'},
        headers={"Accept": BROWSER},
    )
    assert odd.status_code == 404
    assert "&lt;b&gt;1&lt;/b&gt;" in odd.text
    assert "<b>1" not in odd.text
    assert "&#34;&gt;&lt;i&gt;" in odd.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/register", {}),
        ("/register", {"number": "", "family_name": ""}),
        ("/register", {"number": NUMBER}),
        (f"/register/{NUMBER}", {}),
        (f"/register/{NUMBER}", {"family_name": "x" * 201}),
        ("/register", {"number": "9" * 65, "family_name": "Müller"}),
    ],
)
def test_an_incomplete_lookup_asks_for_what_is_missing(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers={"Accept": BROWSER})
    assert response.status_code == 422
    text = _page(response)
    assert "Enter the number and the name" in text
    assert 'action="/register"' in text
    programs = client.get(path, params=params)
    assert programs.headers["content-type"] == "application/problem+json"


def test_a_browser_searches_the_directory(client: TestClient) -> None:
    empty = client.get("/directory", headers={"Accept": BROWSER})
    assert empty.status_code == 200
    assert 'action="/directory"' in _page(empty)
    found = _page(client.get("/directory", params={"name": "MÜLLER"}, headers={"Accept": BROWSER}))
    assert "1 person found" in found
    assert "Anna Müller" in found
    assert "Hidden" not in found
    assert f'href="/register/{NUMBER}?family_name=M%C3%BCller"' in found
    nobody = _page(client.get("/directory", params={"name": "zzzz"}, headers={"Accept": BROWSER}))
    assert "Nobody found" in nobody
    suspended = _page(
        client.get("/directory", params={"name": "weiß"}, headers={"Accept": BROWSER})
    )
    assert "Suspended since November 25, 2026" in suspended


@pytest.mark.parametrize("name", ["mü", "  ", "a" * 101, "ab\x00"])
def test_a_search_too_short_says_how_to_search(client: TestClient, name: str) -> None:
    response = client.get("/directory", params={"name": name}, headers={"Accept": BROWSER})
    assert response.status_code == 400
    text = _page(response)
    assert "at least 3 letters" in text
    assert 'action="/directory"' in text


@pytest.mark.parametrize("accept", [BROWSER, "application/json"])
def test_rate_limited_says_when_to_try_again(people: Registry, accept: str) -> None:
    for client in _client(people, lookup_limit=RateLimit(per_minute=2, burst=1), clock=lambda: 0.0):
        first = client.get(
            "/register",
            params={"number": NUMBER, "family_name": "Müller"},
            headers={"Accept": accept},
        )
        assert first.status_code == 200
        again = client.get("/directory", params={"name": "müller"}, headers={"Accept": accept})
        assert again.status_code == 429
        assert again.headers["retry-after"] == "30"
        if accept == BROWSER:
            assert "Try again in 30 seconds." in _page(again)
        else:
            assert again.json()["type"] == "/problems/rate-limited"


def test_the_home_page_offers_what_a_person_can_do(client: TestClient) -> None:
    for accept in (BROWSER, "application/json", None):
        response = client.get("/", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        text = _page(response)
    assert "<h1>Public register of certified persons</h1>" in text
    forms = re.findall(r'<form [^>]*action="([^"]+)" method="get"', text)
    assert forms == ["/register", "/directory"]
    for field in ('name="number"', 'name="family_name"', 'name="name"'):
        assert field in text
    for link in ('href="/schemes"', 'href="/body"', f'href="{FORM}"', "certreg verify"):
        assert link in text
    for label in ("number", "family_name", "name"):
        assert f'<label for="{label}">' in text


def test_no_complaint_link_without_a_form(people: Registry) -> None:
    for client in _client(people):
        text = client.get("/", headers={"Accept": BROWSER}).text
    assert "Make a complaint" not in text
    assert 'href="/body"' in text
