"""The employers' page ``/presentations`` in Debian's Chromium, with axe-core's WCAG 2.2 AA
rules at 360 and 1280 px: a person pastes a presentation of a credential the back office
issued, types the nonce and audience they chose, and reads *Valid*; with another nonce, the
refusal in words; a wallet's SD-JWT VC presentation, with what the person showed and kept
back in words, in English and, from the form opened in German, in German. The form is
posted by the browser itself (no JavaScript on the page), its request answered in the
process by the registry app of the test's world (:mod:`tests.registry.test_public_browser`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest

from tests.backoffice import member
from tests.registry.test_public_browser import (  # noqa: F401 - the axe_source fixture
    ORIGIN,
    Pages,
    axe_source,
)
from tests.registry.test_verification_page import World, world  # noqa: F401 - the fixture
from tests.test_browser import CHROMIUM
from tests.test_sd_jwt_vc import _issue
from tests.test_sd_jwt_vc_presented import wallet_present
from tests.verifier.tokens import Holder, IssuerKey

pytestmark = pytest.mark.parametrize(
    ("backend", "registry_backend"),
    [("sqlite", "sqlite"), ("postgresql", "postgresql")],
    indirect=True,
)
NONCE = "c0ffee-2026-interview"
AUDIENCE = "https://hr.employer.example"


class FormPages(Pages):
    """:class:`Pages` whose requests carry their body and type too, so forms can be posted."""

    def _answer(self, route: Any) -> None:
        request = route.request
        url = urlsplit(request.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        headers = {k: v for k, v in request.headers.items() if k in ("accept", "content-type")}
        body = request.post_data_buffer
        if body is not None:
            headers["content-length"] = str(len(body))
        response: httpx2.Response = self.world.public.request(
            request.method, target, headers=headers, content=body
        )
        route.fulfill(
            status=response.status_code,
            headers={k: v for k, v in response.headers.items() if k != "content-length"},
            body=response.content,
        )


@pytest.fixture
def form_pages(world: World, axe_source: str) -> Iterator[FormPages]:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield FormPages(world, axe_source, browser)
        finally:
            browser.close()


def test_an_employer_verifies_a_presentation_in_the_browser(
    form_pages: FormPages,
    world: World,  # noqa: F811
) -> None:
    number = world.certify()
    credential_id = world.certificate_id(number)
    token = world.office.call(
        "GET", f"/credentials/{credential_id}", member(world.office, "registrar")
    ).text
    now = int(world.clock.now.timestamp())
    holder = Holder()
    presentation = holder.present(token, nonce=NONCE, aud=AUDIENCE, iat=now - 60, exp=now + 600)

    form_pages.check("/presentations")
    home = form_pages.contexts[0].new_page()
    home.goto(ORIGIN + "/")
    assert home.get_by_role("link", name="verify the presentation here").count() == 1
    home.close()
    for context in form_pages.contexts:
        for nonce, standing, words in (
            (NONCE, "valid", "Every credential in this presentation is valid"),
            ("a-nonce-of-someone-else", "not-valid", "its nonce is not the one you typed"),
        ):
            page = context.new_page()
            try:
                page.goto(ORIGIN + "/presentations")
                page.get_by_label("Paste the presentation").fill(presentation)
                page.get_by_label("Your nonce").fill(nonce)
                page.get_by_label("Your audience").fill(AUDIENCE)
                with page.expect_navigation():
                    page.get_by_role("button", name="Verify").click()
                status = page.get_by_role("status").first
                assert status.get_attribute("data-standing") == standing
                assert words in status.inner_text()
                if standing == "valid":
                    assert number in page.inner_text("main")
                    assert "Ana Moreau" in page.inner_text("main")
                form_pages._accessible(page, f"POST /presentations ({standing})", "en")
            finally:
                page.close()


def test_an_employer_reads_what_a_wallet_showed_and_kept_back(
    form_pages: FormPages,
    world: World,  # noqa: F811
) -> None:
    number = world.certify()
    holder = IssuerKey.generate()
    issued = _issue(world.office, number, {k: holder.jwk[k] for k in ("kty", "crv", "x", "y")})
    world.publish()
    presentation = wallet_present(issued, holder, world.clock, nonce=NONCE, audience=AUDIENCE)
    for context in form_pages.contexts:
        page = context.new_page()
        try:
            page.goto(ORIGIN + "/presentations")
            page.get_by_label("Paste the presentation").fill(presentation)
            page.get_by_label("Your nonce").fill(NONCE)
            page.get_by_label("Your audience").fill(AUDIENCE)
            with page.expect_navigation():
                page.get_by_role("button", name="Verify").click()
            status = page.get_by_role("status").first
            assert status.get_attribute("data-standing") == "valid"
            main = page.inner_text("main")
            assert "Credential 1: Valid, Ana Moreau" in main
            assert "What the person chose to show" in main
            assert "Scheme" in main
            assert number not in main  # kept back
            kept = page.locator("#kept-back-1").inner_text()
            assert "certificate number, certification body, scope" in kept
            form_pages._accessible(page, "POST /presentations (SD-JWT VC, valid)", "en")
        finally:
            page.close()


def test_an_employer_reads_the_answer_in_german(
    form_pages: FormPages,
    world: World,  # noqa: F811
) -> None:
    """The form opened in German posts its language along: the answer, what the wallet
    showed and kept back included, comes back in German, and passes axe in German too."""
    number = world.certify()
    holder = IssuerKey.generate()
    issued = _issue(world.office, number, {k: holder.jwk[k] for k in ("kty", "crv", "x", "y")})
    world.publish()
    presentation = wallet_present(issued, holder, world.clock, nonce=NONCE, audience=AUDIENCE)
    form_pages.check("/presentations?lang=de", language="de")
    for context in form_pages.contexts:
        page = context.new_page()
        try:
            page.goto(ORIGIN + "/presentations?lang=de")
            page.get_by_label("Fügen Sie die Präsentation ein").fill(presentation)
            page.get_by_label("Einmalwert (Nonce)").fill(NONCE)
            page.get_by_label("Empfänger (Audience)").fill(AUDIENCE)
            with page.expect_navigation():
                page.get_by_role("button", name="Prüfen").click()
            assert page.evaluate("document.documentElement.lang") == "de"
            status = page.get_by_role("status").first
            assert status.get_attribute("data-standing") == "valid"
            assert "Jeder Nachweis in dieser Präsentation ist" in status.inner_text()
            main = page.inner_text("main")
            assert "Nachweis 1: Gültig, Ana Moreau" in main
            kept = page.locator("#kept-back-1").inner_text()
            assert "Zertifikatsnummer, Zertifizierungsstelle, Geltungsbereich" in kept
            form_pages._accessible(page, "POST /presentations (SD-JWT VC, German)", "de")
        finally:
            page.close()
