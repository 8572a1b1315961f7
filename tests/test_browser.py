"""The QR page and the API docs in a real browser: Debian's headless Chromium, driven by
Playwright, against a real ``certreg serve --demo``.

A phone 360 pixels wide opens the verification page of a demo certificate with JavaScript
off: the banner says valid, the page does not scroll sideways, the language is set and the
banner's words survive without the style sheet. The certification is then suspended through
the back office API; once the background publisher has delivered it, a reload says
suspended. A screenshot of each state (``valid.png``, ``suspended.png``) is written to the
test's directory under pytest's base temporary directory. ``/docs`` is opened in a browser
allowed to reach only the server, and must render the operations. A certified person's own
pages are used on the same phone, switched to German by keyboard, and checked with
axe-core's WCAG 2.2 AA rules in both languages.

The browser is Debian's ``chromium`` (installed by ``.ci/run``), never one downloaded by
Playwright. Without it the test is skipped — except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 360, 740
SUSPENSION_REASON = "zq-browser-test-confidential-reason"


def _require_browser() -> None:
    missing = None
    if not CHROMIUM.is_file():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is missing (pip install -e '.[test]')"
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {missing}")
    pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _certreg(*args: str) -> list[str]:
    return [sys.executable, "-c", "from issuer.cli import main; main()", *args]


@dataclass
class Server:
    base: str
    data_dir: Path
    env: dict[str, str]

    def token(self, role: str, name: str) -> str:
        """A staff token made with ``certreg token create``, as an operator would."""
        command = _certreg(
            "token", "create", "--role", role, "--name", name, "--data-dir", str(self.data_dir)
        )
        made = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=60, check=True
        )
        return made.stdout.strip()

    def api(self, method: str, path: str, token: str, body: Any = None) -> Any:
        response = httpx.request(
            method,
            f"{self.base}/api/v1{path}",
            headers={"Authorization": f"Bearer {token}"},
            json=body,
            timeout=10,
        )
        assert response.is_success, response.text
        return response.json()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    _require_browser()
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    command = _certreg("serve", "--demo", "--data-dir", str(data_dir), "--port", str(port))
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/docs", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("certreg serve --demo did not start")
            time.sleep(0.2)
        yield Server(base=base, data_dir=data_dir, env=env)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "Traceback" not in output, output


def _wait_for(check: Any, what: str, seconds: float = 5.0) -> Any:
    """Poll ``check()`` until it returns something truthy: the background publisher runs
    every fraction of a second, so a change reaches the registry within a few."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return result


def _demo_certificate(server: Server, admin: str) -> tuple[str, str]:
    """A demo certification's number and the id of its current certificate credential."""
    listed = server.api("GET", "/certifications", admin)
    number: str = listed[0]["certificate_number"]
    detail = server.api("GET", f"/certifications/{number}", admin)
    [credential_id] = [c["id"] for c in detail["credentials"] if c["kind"] == "certificate"]
    return number, credential_id


def _luminance(css_colour: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _check_page(page: Any, word: str) -> None:
    """The banner says ``word`` as a heading in a status region, in AA contrast, on a page
    that fits the phone's width and states its language."""
    banner = page.get_by_role("status")
    assert banner.get_by_role("heading", level=1).inner_text().strip() == word
    assert page.evaluate("document.documentElement.lang") == "en"
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " window.innerWidth]"
    )
    assert widths[0] <= widths[1] == WIDTH, f"horizontal scroll: {widths}"
    colours = page.evaluate(
        "(() => { const b = document.getElementById('standing');"
        " const s = getComputedStyle(b); return [s.color, s.backgroundColor]; })()"
    )
    assert _contrast(*colours) >= 4.5, colours


def _without_styles(page: Any) -> str:
    """The banner as a screen reader gets it, and its text once every style is removed."""
    snapshot: str = page.get_by_role("status").aria_snapshot()
    page.evaluate("document.querySelectorAll('style').forEach(s => s.remove())")
    assert page.evaluate("document.styleSheets.length") == 0
    text: str = page.get_by_role("status").inner_text()
    return snapshot + "\n" + text


def test_the_qr_page_in_a_phone_browser_follows_a_suspension(
    server: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    admin = (server.data_dir / "demo-admin.token").read_text("utf-8").strip()
    decider = server.token("decision-maker", "Browser Test Decision-Maker")
    number, credential_id = _demo_certificate(server, admin)
    url = f"{server.base}/v/{credential_id}"
    _wait_for(lambda: httpx.get(url, timeout=5).status_code == 200, "the credential's page")
    shots = tmp_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT}, java_script_enabled=False
            )
            page = context.new_page()
            response = page.goto(url)
            assert response is not None
            assert response.status == 200
            assert response.headers["cache-control"] == "no-store"
            _check_page(page, "Valid")
            assert number in page.inner_text("main")
            page.screenshot(path=str(shots / "valid.png"), full_page=True)

            server.api(
                "POST", f"/certifications/{number}/suspend", decider, {"reason": SUSPENSION_REASON}
            )

            def suspended() -> bool:
                page.reload()
                return bool(
                    page.get_by_role("status").get_attribute("data-standing") == "suspended"
                )

            _wait_for(suspended, "the suspension to reach the registry")
            _check_page(page, "Suspended")
            assert SUSPENSION_REASON not in page.content()
            page.screenshot(path=str(shots / "suspended.png"), full_page=True)
            unstyled = _without_styles(page)
            assert 'heading "Suspended" [level=1]' in unstyled
            assert "not valid" in unstyled
        finally:
            browser.close()
    for name in ("valid.png", "suspended.png"):
        assert (shots / name).read_bytes().startswith(b"\x89PNG"), name
        print(f"screenshot: {shots / name}")


COMPLAINT = "zq-browser-test-confidential-complaint: the certificate was shown for another site"


def test_a_complaint_is_filed_from_the_qr_page_on_a_phone(server: Server) -> None:
    """Someone who scanned a QR code follows its page's link to the complaint form, the
    certificate already filled in, and sends a complaint without JavaScript; the receipt
    gives a reference, staff find the complaint, and the public pages never show it."""
    from playwright.sync_api import sync_playwright

    admin = (server.data_dir / "demo-admin.token").read_text("utf-8").strip()
    registrar = server.token("registrar", "Browser Test Registrar")
    number, credential_id = _demo_certificate(server, admin)
    url = f"{server.base}/v/{credential_id}"
    _wait_for(lambda: httpx.get(url, timeout=5).status_code == 200, "the credential's page")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT}, java_script_enabled=False
            )
            page = context.new_page()
            page.goto(url)
            page.get_by_role("link", name="Report misuse of this certificate").click()
            assert "/public/complaints/new?certificate=" in page.url
            assert page.input_value("#certificate_number") == number
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] == WIDTH, f"horizontal scroll: {widths}"
            page.select_option("#subject", "certificate-misuse")
            page.fill("#description", COMPLAINT)
            page.fill("#email", "complainant@example.org")
            page.get_by_role("button", name="Send the complaint").click()
            assert page.get_by_role("heading", level=1).inner_text().strip()
            assert "Keep this reference" in page.inner_text("main")
            reference = page.locator("dd .code").first.inner_text().strip()
            assert len(reference) >= 20
            page.locator('main a[href*="/public/complaints/"]').first.click()
            assert reference in page.inner_text("main")
            assert COMPLAINT not in page.content()  # the status page shows only the state
            page.goto(url)
            assert COMPLAINT not in page.content()
        finally:
            browser.close()
    received = server.api("GET", "/complaints", registrar)
    [complaint] = [c for c in received if c["certificate_number"] == number]
    assert (complaint["subject"], complaint["channel"]) == ("certificate-misuse", "public-form")
    assert complaint["description"] == COMPLAINT


def test_the_api_docs_render_without_the_internet(server: Server) -> None:
    """``/docs`` in a browser that may reach only this server: Swagger UI loads from the
    server itself and renders the operations, the public registry's among them."""
    from playwright.sync_api import Route, sync_playwright

    own = f"{server.base}/"
    refused: list[str] = []

    def only_this_server(route: Route) -> None:
        url = route.request.url
        if url.startswith(own) or url.startswith("data:"):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context()
            context.route("**/*", only_this_server)
            page = context.new_page()
            response = page.goto(f"{server.base}/docs")
            assert response is not None
            assert response.status == 200
            page.wait_for_selector(".opblock", timeout=15_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()
    assert refused == []
    assert len(paths) > 50, paths
    for path in ("/directory", "/v/{credential_id}", "/api/v1/certifications/{number}"):
        assert any(p.replace("\u200b", "") == path for p in paths), path


def _tab_to(page: Any, name: str, limit: int = 20) -> None:
    """Press Tab until the link or button named ``name`` has the keyboard's focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            return
    raise AssertionError(f"{name!r} is not reached by the keyboard in {limit} presses")


def _axe_source() -> str:
    from tests.registry.test_public_browser import AXE

    if not AXE.is_file():
        missing = f"{AXE} is missing (npm ci --prefix tests/js)"
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return AXE.read_text("utf-8")


def _accessible(browser: Any, state: Any, url: str, axe: str) -> None:
    """``url`` opened with the session of ``state``, at the phone's width, in a context where
    axe-core may run (the pages themselves run no script): WCAG 2.2 AA, no violation."""
    from tests.registry.test_public_browser import WCAG_22_AA

    # bypass_csp only lets the test inject axe-core; the pages' own policy is checked by the
    # HTTP tests (tests/test_holders.py).
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, bypass_csp=True, storage_state=state
    )
    try:
        page = context.new_page()
        response = page.goto(url)
        assert response is not None
        assert response.status == 200, url
        page.add_script_tag(content=axe)
        violations = page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return result.violations.map(v => ({
                    id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}));
            }""",
            WCAG_22_AA,
        )
        assert violations == [], (url, violations)
    finally:
        context.close()


def test_a_certified_person_signs_in_on_a_phone_and_manages_their_certificate(
    server: Server,
) -> None:
    """A registrar makes a person's sign-in link; on a phone 360 pixels wide, without
    JavaScript, the person opens it, signs in, sees their certification, switches the pages
    to German with the keyboard alone, downloads the printable certificate, offers it to the
    kind of wallet they choose (QR code, link and code on one screen), and takes themselves
    out of the public directory, which the registry follows at once. Every page passes
    axe-core's WCAG 2.2 AA rules, in English and in German."""
    from playwright.sync_api import sync_playwright

    axe = _axe_source()
    admin = (server.data_dir / "demo-admin.token").read_text("utf-8").strip()
    registrar = server.token("registrar", "Browser Test Registrar")
    listed = server.api("GET", "/certifications", admin)
    certification = listed[0]
    number = certification["certificate_number"]
    link = server.api("POST", f"/persons/{certification['person_id']}/sign-in-links", registrar)
    assert link["url"].startswith(f"{server.base}/holder/link/")

    person = server.api("GET", f"/persons/{certification['person_id']}", registrar)

    def in_directory() -> list[str]:
        found = httpx.get(
            f"{server.base}/directory",
            params={"name": person["family_name"]},
            headers={"Accept": "application/json"},
            timeout=5,
        ).json()["results"]
        return [str(e["certificateNumber"]) for e in found]

    _wait_for(lambda: number in in_directory(), "the certificate in the directory")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(
                viewport={"width": WIDTH, "height": HEIGHT},
                java_script_enabled=False,
                accept_downloads=True,
            )
            page = context.new_page()
            _accessible(browser, None, f"{server.base}/holder/sign-in", axe)
            page.goto(link["url"])
            page.get_by_role("button", name="Sign in").click()
            assert page.url == f"{server.base}/holder"
            main = page.inner_text("main")
            assert number in main
            assert "You are listed in the directory." in main
            assert page.evaluate("document.documentElement.lang") == "en"
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] == WIDTH, f"horizontal scroll: {widths}"
            _accessible(browser, context.storage_state(), page.url, axe)

            _tab_to(page, "Deutsch")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url == f"{server.base}/holder?lang=de"
            assert page.evaluate("document.documentElement.lang") == "de"
            current = page.locator('nav a[aria-current="true"]')
            assert (current.inner_text(), current.get_attribute("hreflang")) == ("Deutsch", "de")
            main = page.inner_text("main")
            assert "Ihre Zertifizierungen" in main
            assert "Sie stehen im Verzeichnis." in main
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] == WIDTH, f"horizontal scroll: {widths}"
            _accessible(browser, context.storage_state(), page.url, axe)

            page.locator(f'a[href="/holder/certifications/{number}?lang=de"]').click()
            assert page.evaluate("document.documentElement.lang") == "de"
            assert "Druckbares Zertifikat" in page.inner_text("main")
            _accessible(browser, context.storage_state(), page.url, axe)
            with page.expect_download() as download:
                page.get_by_role("link", name="Druckbares Zertifikat (PDF)").click()
            saved = download.value.path()
            assert saved is not None
            assert Path(saved).read_bytes().startswith(b"%PDF")
            assert download.value.suggested_filename == f"certificate-{number}.pdf"
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] == WIDTH, f"horizontal scroll: {widths}"
            _accessible(
                browser, context.storage_state(), f"{server.base}/holder/appeals/new?lang=de", axe
            )

            # The kind of wallet is a required choice: without one, the browser stays put.
            page.get_by_role("button", name="Zu einer Wallet hinzufügen").click()
            assert page.url.startswith(f"{server.base}/holder/certifications/{number}?")
            page.get_by_role("radio", name="Eine EUDI-Wallet", exact=False).check()
            page.get_by_role("button", name="Zu einer Wallet hinzufügen").click()
            assert page.url == (
                f"{server.base}/holder/certifications/{number}/wallet-offer?lang=de"
            )
            offered = page.inner_text("main")
            assert re.search(r"\b[0-9]{6}\b", offered), offered
            assert "Art der Wallet: Eine EUDI-Wallet" in offered, offered
            assert page.locator("figure.qr svg").is_visible()
            link = page.get_by_role("link", name="Angebot in Ihrer Wallet öffnen")
            assert link.get_attribute("href", timeout=1000).startswith(  # type: ignore[union-attr]
                "openid-credential-offer://?credential_offer_uri="
            )
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] == WIDTH, f"horizontal scroll: {widths}"
            page.get_by_role("link", name="Zurück zu Ihrem Zertifikat").click()

            page.get_by_role("link", name="Ihre Zertifizierungen").first.click()
            page.get_by_role("button", name="Mich aus dem Verzeichnis entfernen").click()
            assert page.evaluate("document.documentElement.lang") == "de"
            assert "Sie stehen nicht im Verzeichnis." in page.inner_text("main")
            _wait_for(lambda: number not in in_directory(), "the registry to follow", 3.0)

            page.get_by_role("button", name="Abmelden").click()
            assert "Sie sind abgemeldet." in page.inner_text("main")
            page.goto(f"{server.base}/holder")
            assert page.url == f"{server.base}/holder/sign-in"
        finally:
            browser.close()
