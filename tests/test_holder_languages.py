"""A certified person's own pages in their language, over HTTP on both engines: chosen with
``?lang=`` (and kept on every link and form after), the person's recorded language once
signed in, the browser's ``Accept-Language``, the body's own; the words, dates and numbers of
each page in that language, with ``<html lang>``, ``Content-Language`` and a language switch;
the refusals in words, the sign-in rate limit as a page to a browser and a problem to a
program; and the form token required exactly as in English."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from httpx2 import Response

from issuer.http.app import create_app
from issuer.settings import Settings
from issuer.store import Store
from schemas.languages import LANGUAGES, format_date
from tests.backoffice import BackOffice, member
from tests.conftest import FrozenClock
from tests.test_contact import corrected
from tests.test_due_jobs import decide
from tests.test_holders import (  # noqa: F401 (fixture)
    EMAIL,
    browser,
    csrf_of,
    holder_office,
    staff_link,
    token_of,
)

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def sign_in_as(client: TestClient, url: str, query: str = "", **headers: str) -> Response:
    """Open the link's page (with ``query``), press its button: the redirect."""
    opened = client.get(urlsplit(url).path + query, headers=headers)
    assert opened.status_code == 200
    action = re.search(r'<form method="post" action="([^"]+)"', opened.text)
    assert action is not None
    answer = client.post(
        action.group(1).replace("&amp;", "&"),
        data={"token": token_of(url)},
        headers=headers,
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer


def assert_in(language: str, answer: Response) -> None:
    """The page says it is in ``language``, in its markup and its headers, and offers every
    language by its own name, the current one marked."""
    assert f'<html lang="{language}">' in answer.text
    assert answer.headers["content-language"] == language
    assert "Accept-Language" in answer.headers["vary"]
    switch = re.findall(
        r'<a href="([^"]+)" lang="(\w+)" hreflang="(\w+)"( aria-current="true")?>', answer.text
    )
    assert [code for _, code, _, _ in switch] == list(LANGUAGES)
    assert [code for _, code, _, current in switch if current] == [language]
    for href, code, hreflang, _ in switch:
        assert code == hreflang
        assert href.endswith(f"lang={code}")


def expiry_of(office: BackOffice, number: str) -> date:
    found = office.ok("GET", f"/certifications/{number}", member(office, "registrar"))
    return date.fromisoformat(found["expiry_date"])


def test_a_language_chosen_with_lang_holds_on_every_page_after(
    holder_office: tuple[BackOffice, str, str],  # noqa: F811
) -> None:
    office, person_id, number = holder_office
    client = browser(office.client)
    start = client.get("/holder/sign-in?lang=de")
    assert start.status_code == 200
    assert_in("de", start)
    assert "<h1>Anmeldung zu Ihren Zertifizierungen</h1>" in start.text
    assert 'action="/holder/sign-in?lang=de"' in start.text
    assert "Sign in" not in start.text

    arrived = sign_in_as(client, staff_link(office, person_id), "?lang=de")
    assert arrived.headers["location"] == "/holder?lang=de"
    home = client.get("/holder?lang=de")
    assert_in("de", home)
    text = home.text
    assert "<h2>Ihre Zertifizierungen</h2>" in text
    assert "Gültig" in text
    assert f"gültig bis {format_date(expiry_of(office, number), 'de')}" in text
    assert "Sie stehen im Verzeichnis." in text
    assert f'href="/holder/certifications/{number}?lang=de"' in text
    assert 'href="/holder/appeals/new?lang=de"' in text
    assert 'action="/holder/directory?lang=de"' in text
    assert 'action="/holder/sign-out?lang=de"' in text
    assert "Your certifications" not in text

    detail = client.get(f"/holder/certifications/{number}?lang=de")
    assert_in("de", detail)
    assert "Druckbares Zertifikat (PDF)" in detail.text
    assert "Geltungsbereich" in detail.text
    assert f'href="/holder/appeals/new?certificate={number}&amp;lang=de"' in detail.text
    assert f'href="/holder/certifications/{number}?lang=fr" lang="fr"' in detail.text

    moved = client.post(
        "/holder/directory?lang=de",
        data={"listed": "no", "csrf": csrf_of(text)},
        follow_redirects=False,
    )
    assert (moved.status_code, moved.headers["location"]) == (303, "/holder?lang=de#directory")
    assert "Sie stehen nicht im Verzeichnis." in client.get("/holder?lang=de").text

    # Another choice, then back to English; an unknown language changes nothing.
    assert "<h2>Sus certificaciones</h2>" in client.get("/holder?lang=es").text
    english = client.get("/holder?lang=en")
    assert_in("en", english)
    assert "You are not listed in the directory." in english.text
    assert 'href="/holder/appeals/new?lang=en"' in english.text
    assert_in("en", client.get("/holder?lang=xx"))

    out = client.post(
        "/holder/sign-out?lang=de", data={"csrf": csrf_of(text)}, follow_redirects=False
    )
    assert out.headers["location"] == "/holder/sign-in?signed-out=true&lang=de"
    assert "Sie sind abgemeldet." in client.get(out.headers["location"]).text


def test_the_persons_recorded_language_comes_before_the_browsers_once_signed_in(
    holder_office: tuple[BackOffice, str, str],  # noqa: F811
) -> None:
    office, person_id, number = holder_office
    corrected(office, person_id, {"language": "de"})
    client = browser(office.client)
    french = {"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"}

    before = client.get("/holder/sign-in", headers=french)
    assert_in("fr", before)  # no one is signed in yet: the browser's language
    assert "<h1>Connexion à vos certifications</h1>" in before.text
    assert "?lang=" not in before.text.split("<main")[1]  # a language not chosen is not carried

    arrived = sign_in_as(client, staff_link(office, person_id), **french)
    assert arrived.headers["location"] == "/holder"
    home = client.get("/holder", headers=french)
    assert_in("de", home)
    assert "Ihre Zertifizierungen" in home.text
    assert f'href="/holder/certifications/{number}"' in home.text

    chosen = client.get("/holder?lang=es", headers=french)  # a choice beats the record
    assert_in("es", chosen)
    assert f"válida hasta el {format_date(expiry_of(office, number), 'es')}" in chosen.text

    missing = client.get("/holder/certifications/NOPE-1", headers=french)
    assert missing.status_code == 404
    assert_in("de", missing)
    assert "Nicht gefunden" in missing.text
    assert "Zurück zu Ihren Zertifizierungen" in missing.text

    forged = client.post(
        "/holder/directory", data={"listed": "no", "csrf": "forged"}, headers=french
    )
    assert forged.status_code == 403  # the form token is required in every language
    assert "Dieses Formular stammt nicht von Ihrer eigenen Seite" in forged.text
    with office.store.reading() as tx:
        person = tx.get_person(person_id)
        assert person is not None
        assert person.directory_consent


def test_the_browsers_language_then_the_bodys_and_the_appeal_in_french(
    holder_office: tuple[BackOffice, str, str],  # noqa: F811
    settings: Settings,
    store: Store,
    clock: FrozenClock,
) -> None:
    office, person_id, number = holder_office
    decide(office, number, "suspend", {"reason": "zq-holder-confidential-reason"})
    client = browser(office.client)
    french = {"Accept-Language": "fr"}
    sign_in_as(client, staff_link(office, person_id), **french)

    home = client.get("/holder", headers=french)
    assert_in("fr", home)
    assert "Vos certifications" in home.text
    assert "Suspendue" in home.text
    form = client.get(f"/holder/appeals/new?certificate={number}", headers=french)
    assert_in("fr", form)
    assert "<h1>Former un recours</h1>" in form.text
    assert "Suspension, " in form.text
    assert "Certification accordée, " in form.text
    assert f"certificat {number}" in form.text
    assert f'href="/holder/appeals/new?certificate={number}&amp;lang=de"' in form.text
    chosen = re.search(r'<option value="(lifecycle-decision:[^"]+)" selected', form.text)
    assert chosen is not None

    empty = client.post(
        "/holder/appeals",
        data={"decision": chosen.group(1), "grounds": " ", "csrf": csrf_of(form.text)},
        headers=french,
    )
    assert empty.status_code == 422
    assert "en 20\u202f000 caractères au plus" in empty.text  # French groups digits so
    assert 'href="/holder/appeals/new?lang=es"' in empty.text  # the switch reloads the form
    sent = client.post(
        "/holder/appeals",
        data={"decision": chosen.group(1), "grounds": "zq grounds", "csrf": csrf_of(form.text)},
        headers=french,
    )
    assert sent.status_code == 200
    assert "<h1>Recours reçu</h1>" in sent.text
    assert f"reçu le {format_date(office.clock().date(), 'fr')}" in sent.text
    assert "Recours reçu le" in client.get("/holder", headers=french).text
    assert "reçu</span>" in client.get("/holder", headers=french).text

    spanish_body = create_app(
        settings.model_copy(update={"language": "es"}),
        store=store,
        clock=clock,
        entropy=office.entropy,
    )
    with TestClient(spanish_body, base_url="https://testserver") as other:
        assert_in("es", other.get("/holder/sign-in"))  # no Accept-Language: the body's
        assert_in("es", other.get("/holder/sign-in", headers={"Accept-Language": "it"}))
        assert_in("de", other.get("/holder/sign-in", headers={"Accept-Language": "it, de"}))
        refused = other.post("/holder/link", data={"token": "garbage"})
        assert refused.status_code == 403
        assert "Este enlace no funciona" in refused.text


def test_a_browser_past_the_sign_in_limit_reads_a_page_and_a_program_a_problem(
    settings: Settings, store: Store, clock: FrozenClock, office: BackOffice
) -> None:
    limited = settings.model_copy(
        update={"holder_sign_in_per_minute": 1, "holder_sign_in_burst": 2}
    )
    app = create_app(limited, store=store, clock=clock, entropy=office.entropy)
    page_please = {"Accept": BROWSER_ACCEPT}
    with TestClient(app, base_url="https://testserver") as client:
        for _ in range(2):
            asked = client.post(
                "/holder/sign-in?lang=fr", data={"email": EMAIL}, headers=page_please
            )
            assert asked.status_code == 200
        assert "nous y avons envoyé un lien de connexion" in asked.text
        assert "pendant 30 minutes" in asked.text

        page = client.post("/holder/sign-in?lang=fr", data={"email": EMAIL}, headers=page_please)
        assert page.status_code == 429
        assert page.headers["content-type"].startswith("text/html")
        seconds = int(page.headers["retry-after"])
        assert seconds >= 1
        assert_in("fr", page)
        assert "<h1>Veuillez patienter un instant</h1>" in page.text
        assert f"Veuillez patienter {seconds} seconde" in page.text
        assert 'href="/holder/sign-in?lang=fr"' in page.text
        assert page.headers["cache-control"] == "no-store"

        link = client.post("/holder/link", data={"token": "x"}, headers=page_please)
        assert link.status_code == 429  # the same bucket: a page, in the browser's language
        assert "Please wait" in link.text
        assert link.headers["retry-after"]

        for accept in (None, "application/json", "*/*"):
            headers = {} if accept is None else {"Accept": accept}
            problem = client.post("/holder/sign-in", data={"email": EMAIL}, headers=headers)
            assert problem.status_code == 429
            assert problem.headers["content-type"] == "application/problem+json"
            assert problem.json()["type"].endswith("rate-limited")
            assert int(problem.headers["retry-after"]) >= 1
