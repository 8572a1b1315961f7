"""Every public page in a real browser, with axe-core's WCAG 2.2 AA rules: Debian's Chromium,
driven by Playwright, at a phone's 360 px and a desk's 1280 px.

The pages come from the real registry app over real stores (SQLite and PostgreSQL), fed by
the real back office (:class:`tests.registry.test_verification_page.World`): Chromium's
requests to ``http://registry.test`` are answered by that app in the process, so the test's
clock decides what "now" is and every standing of the page behind a QR code can be reached
— valid, not yet valid, suspended, superseded, withdrawn, cannot confirm, expired, each in
English and in German — besides
the home page, a register entry, the directory's results, and the refusals a person can
meet (nothing found, a search too short, too many searches), in English and, for the home
page, a lookup, a directory search, a refusal and the QR page, in German too. axe-core
(``tests/js/node_modules/axe-core``, pinned in ``tests/js/package-lock.json``) is injected
into each page and must find no violation; no page may scroll sideways; a keyboard alone
reaches the lookup form from the top of the home page and submits it with Enter, and reaches
the language switch and turns the page German with Enter.

The browser is Debian's ``chromium``, never one Playwright downloads; without it (or without
axe-core's files) the test is skipped — except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from registry import RateLimit, RegistryStore
from schemas.publication import DocumentKind
from tests.backoffice import member
from tests.registry.test_verification_page import (  # noqa: F401 - the world fixture
    DELETE,
    SUSPENSION_REASON,
    WITHDRAWAL_REASON,
    World,
    world,
)
from tests.test_body_information import INFORMATION
from tests.test_browser import CHROMIUM, _require_browser

ORIGIN = "http://registry.test"
AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (360, 1280)
pytestmark = pytest.mark.parametrize(
    ("backend", "registry_backend"),
    [("sqlite", "sqlite"), ("postgresql", "postgresql")],
    indirect=True,
)
"""The back office and the registry on the same engine: each engine once, not each pair."""
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


LOOKUP_LIMIT = RateLimit(per_minute=30, burst=60)
"""Room for every lookup the pages make (two widths each) without waiting for the bucket to
refill in real time, which a fast machine does not give it; the refusal page is reached by
emptying the bucket on purpose."""


@pytest.fixture
def axe_source() -> str:
    _require_browser()
    if not AXE.is_file():
        missing = f"{AXE} is missing (npm ci --prefix tests/js)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return AXE.read_text("utf-8")


class Pages:
    """Chromium at each width, its requests answered by the registry app of ``world``."""

    def __init__(self, office: World, axe_source: str, browser: Any) -> None:
        self.world = office
        self.axe_source = axe_source
        self.contexts = []
        for width in WIDTHS:
            # bypass_csp only lets the test inject axe-core; the pages' own policy is
            # checked by the HTTP tests (tests/registry/test_public_pages.py).
            context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
            context.route(f"{ORIGIN}/**", self._answer)
            self.contexts.append(context)
        self.visited: list[str] = []
        self._before_next: Callable[[], object] = lambda: None

    def _answer(self, route: Any) -> None:
        # Run what the page needs done first (emptying a rate limit's bucket) right before
        # its request reaches the registry: done before Chromium opens the page, a slow
        # machine refills the bucket in between.
        before, self._before_next = self._before_next, lambda: None
        before()
        request = route.request
        url = urlsplit(request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = {k: v for k, v in request.headers.items() if k in ("accept", "accept-language")}
        response: httpx2.Response = self.world.public.request(
            request.method, target, headers=headers
        )
        self.world.seen.append(response.text)
        route.fulfill(
            status=response.status_code,
            headers={k: v for k, v in response.headers.items() if k != "content-length"},
            body=response.content,
        )

    def check(
        self,
        path: str,
        *,
        status: int = 200,
        standing: str | None = None,
        before: Callable[[], object] = lambda: None,
        language: str = "en",
    ) -> None:
        """``path`` at every width (each after ``before()``, run as its request reaches the
        registry): its status, its banner, its language, no sideways scroll, no axe
        violation."""
        for context in self.contexts:
            page = context.new_page()
            self._before_next = before
            try:
                response = page.goto(ORIGIN + path)
                assert response is not None
                assert response.status == status, (path, response.status)
                if standing is not None:
                    found = page.get_by_role("status").first.get_attribute("data-standing")
                    assert found == standing, (path, found)
                self._accessible(page, path, language)
            finally:
                page.close()
        self.visited.append(path)

    def _accessible(self, page: Any, path: str, language: str) -> None:
        assert page.evaluate("document.documentElement.lang") == language, path
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{path} scrolls sideways: {widths}"
        page.add_script_tag(content=self.axe_source)
        violations = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return result.violations.map(v => ({
                    id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}));
            }""",
            WCAG_22_AA,
        )
        assert violations == [], (path, page.viewport_size, violations)


@pytest.fixture
def pages(world: World, axe_source: str) -> Iterator[Pages]:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield Pages(world, axe_source, browser)
        finally:
            browser.close()


def _publish_body(office: World) -> None:
    office.office.ok("PUT", "/body-information", member(office.office, "admin"), INFORMATION)
    office.publish()


def test_every_public_page_is_accessible_and_the_lookup_works_by_keyboard(
    pages: Pages,
    world: World,  # noqa: F811
    registry_store: RegistryStore,
) -> None:
    _publish_body(world)
    number = world.certify()
    first = world.certificate_id(number)

    pages.check("/")
    pages.check(f"/v/{first}", standing="valid")
    pages.check("/schemes")
    pages.check("/schemes/" + world.answer(first)["scheme"]["id"].rsplit("/", 1)[1])
    pages.check("/body")

    # The keyboard alone: from the top of the home page to the form, then Enter.
    page = pages.contexts[0].new_page()
    page.goto(ORIGIN + "/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "number":
            break
    assert page.evaluate("document.activeElement.id") == "number"
    page.keyboard.type(number.lower().replace("-", " "))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "family_name"
    page.keyboard.type("MOREAU")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/register"
    assert page.get_by_role("status").get_attribute("data-standing") == "valid"
    assert "Certification of Ana Moreau" in page.inner_text("main")
    entry = urlsplit(page.url)
    page.close()
    pages.check(f"{entry.path}?{entry.query}", standing="valid")
    pages.check("/directory?name=moreau")
    pages.check("/directory")
    pages.check("/register?number=AAAA-BBBB-CCCC-DDDD-E&family_name=Moreau", status=404)
    pages.check(f"/register/{number}?family_name=Someone", status=404)
    pages.check("/directory?name=mo", status=400)
    pages.check("/register?number=&family_name=", status=422)

    world.clock.now -= timedelta(days=2)
    pages.check(f"/v/{first}", standing="not-yet-valid")
    pages.check(f"/v/{first}?lang=de", standing="not-yet-valid", language="de")
    world.clock.now += timedelta(days=2)

    world.decide(number, "suspend", {"reason": SUSPENSION_REASON})
    pages.check(f"/v/{first}", standing="suspended")
    pages.check(f"/v/{first}?lang=de", standing="suspended", language="de")
    pages.check(f"/register/{number}?family_name=Moreau", standing="suspended")
    world.decide(number, "reinstate", {"reason": "resolved"})

    world.decide(number, "scope", {"scope": ["VT-STEEL"]})
    second = world.certificate_id(number)
    pages.check(f"/v/{first}", standing="superseded")
    pages.check(f"/v/{first}?lang=de", standing="superseded", language="de")

    world.decide(number, "withdraw", {"reason": WITHDRAWAL_REASON})
    pages.check(f"/v/{second}", standing="withdrawn")
    pages.check(f"/v/{second}?lang=de", standing="withdrawn", language="de")
    pages.check(f"/register/{number}?family_name=Moreau", standing="withdrawn")

    with registry_store.engine.begin() as conn:
        conn.execute(DELETE, {"kind": DocumentKind.STATUS_LIST.value})
    pages.check(f"/v/{second}", standing="cannot-confirm")
    pages.check(f"/v/{second}?lang=de", standing="cannot-confirm", language="de")
    pages.check("/v/00000000-0000-4000-8000-000000000000", status=404)

    def exhaust() -> None:
        """Empty the lookups' bucket (refilled as time passes), as a flood of searches."""
        while world.public.get("/directory", params={"name": "zzzz"}).status_code != 429:
            pass

    pages.check("/directory?name=moreau", status=429, before=exhaust)


def test_an_expired_certification_in_the_browser(pages: Pages, world: World) -> None:  # noqa: F811
    number = world.certify()
    credential_id = world.certificate_id(number)
    expiry = date.fromisoformat(world.answer(credential_id)["expiryDate"])
    world.move_clock(
        world.clock.now.replace(year=expiry.year, month=expiry.month, day=expiry.day)
        + timedelta(days=1)
    )
    pages.check(f"/v/{credential_id}", standing="expired")
    pages.check(f"/v/{credential_id}?lang=de", standing="expired", language="de")
    pages.check(f"/register/{number}?family_name=Moreau", standing="expired")


def test_the_pages_in_german_are_accessible_and_the_switch_works_by_keyboard(
    pages: Pages,
    world: World,  # noqa: F811
) -> None:
    _publish_body(world)
    number = world.certify()
    first = world.certificate_id(number)
    for language in ("en", "de"):
        chosen = f"lang={language}"
        pages.check(f"/?{chosen}", language=language)
        lookup = f"/register?number={number}&family_name=Moreau&{chosen}"
        pages.check(lookup, standing="valid", language=language)
        pages.check(f"/register/{number}?family_name=Moreau&{chosen}", language=language)
        pages.check(f"/directory?name=moreau&{chosen}", language=language)
        refused = f"/register?number=AAAA-BBBB-CCCC-DDDD-E&family_name=Moreau&{chosen}"
        pages.check(refused, status=404, language=language)
        pages.check(f"/directory?name=mo&{chosen}", status=400, language=language)
        pages.check(f"/v/{first}?{chosen}", standing="valid", language=language)

    # The keyboard alone: from the top of the home page to "Deutsch", then Enter.
    page = pages.contexts[0].new_page()
    page.goto(ORIGIN + "/")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('hreflang')") == "de":
            break
    assert page.evaluate("document.activeElement.textContent") == "Deutsch"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert "Zertifikat prüfen" in page.inner_text("main")
    current = page.locator('nav.languages a[aria-current="true"]')
    assert current.get_attribute("hreflang") == "de"
    # The lookup form carries the language along: its answer is German too.
    page.locator("#number").fill(number)
    page.locator("#family_name").fill("Moreau")
    with page.expect_navigation():
        page.locator("#family_name").press("Enter")
    assert urlsplit(page.url).path == "/register"
    assert page.evaluate("document.documentElement.lang") == "de"
    assert "Zertifizierung von Ana Moreau" in page.inner_text("main")
    page.close()

    # A browser set to German gets German pages without choosing.
    context = pages.contexts[0].browser.new_context(locale="de-DE", bypass_csp=True)
    context.route(f"{ORIGIN}/**", pages._answer)
    page = context.new_page()
    page.goto(ORIGIN + f"/v/{first}")
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.get_by_role("status").first.inner_text().startswith("Gültig")
    context.close()
