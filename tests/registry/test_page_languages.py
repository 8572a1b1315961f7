"""The public register's pages in the reader's language: German, French and Spanish besides
English, chosen by ``?lang=``, else by ``Accept-Language``, else the body's own language.

Each page a person meets — the home page, a lookup's answer and its refusal, the directory
and a search too short, the page behind a QR code in each standing, the scheme pages, the
body's page and the error pages — is asked for in German and another language, both ways,
and must show the catalogue's words (not the English ones), dates as Babel writes them for
the language, ``<html lang>``, ``Content-Language`` and ``Vary: Accept, Accept-Language``.
JSON answers do not change with the language, byte for byte.

Each test runs on SQLite and PostgreSQL (the registry store fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from registry import RateLimit, Registry, create_registry_app, pages
from registry.verification_render import PROBLEM_TITLES
from schemas.languages import LANGUAGE_NAMES, LANGUAGES, translations
from schemas.publication import DocumentKind
from tests.backoffice import member
from tests.registry.conftest import NUMBER, TestIssuer
from tests.registry.test_pages import full_scheme
from tests.registry.test_public_pages import NOW, people  # noqa: F401 - the people fixture
from tests.registry.test_verification_page import (  # noqa: F401 - the world fixture
    DELETE,
    SUSPENSION_REASON,
    WITHDRAWAL_REASON,
    World,
    world,
)
from tests.test_body_information import INFORMATION
from verifier import errors as verifier_errors

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
WAYS = ["query", "header"]
"""How the reader asks for a language: ``?lang=`` or ``Accept-Language``."""


def _ask(language: str, way: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    """The request options asking for ``language`` the ``way`` given."""
    params = dict(params or {})
    headers = {"Accept": BROWSER}
    if way == "query":
        params["lang"] = language
        headers["Accept-Language"] = "en"  # the explicit choice wins over the browser's
    else:
        headers["Accept-Language"] = f"{language}-XX, {language};q=0.9, en;q=0.5"
    return {"params": params, "headers": headers}


def _page(response: Response, language: str, status: int = 200) -> str:
    """The page's text, once its language is stated everywhere it should be."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == language
    assert response.headers["vary"] == "Accept, Accept-Language"
    text = response.text
    assert f'<html lang="{language}">' in text
    switch = re.search(r'<nav class="languages" aria-label="([^"]+)">(.*?)</nav>', text, re.S)
    assert switch is not None, "every page has the language switch"
    assert switch.group(1) == translations("registry", language).gettext("Language")
    for code in LANGUAGES:
        link = re.search(rf'<a href="([^"]*)" lang="{code}" hreflang="{code}"( [^>]*)?>', text)
        assert link is not None, code
        assert f"lang={code}" in link.group(1)
        assert (link.group(2) == ' aria-current="true"') == (code == language)
        assert f">{LANGUAGE_NAMES[code]}</a>" in switch.group(2)
    return text


@pytest.fixture
def client(people: Registry) -> Iterator[TestClient]:  # noqa: F811
    app = create_registry_app(people, lookup_limit=None, now=lambda: NOW)
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "de",
            [
                "Zertifikat prüfen",
                "Familienname des Inhabers",
                "Im öffentlichen Verzeichnis",
                "prüfen Sie die Präsentation hier</a>",
            ],
        ),
        (
            "fr",
            [
                "Vérifier un certificat",
                "Nom de famille du titulaire",
                "l’annuaire public",
                "vérifiez la présentation ici</a>",
            ],
        ),
        (
            "es",
            [
                "Comprobar un certificado",
                "Apellido del titular",
                "el directorio público",
                "verifique la presentación aquí</a>",
            ],
        ),
    ],
)
def test_the_home_page(client: TestClient, language: str, way: str, words: list[str]) -> None:
    text = _page(client.get("/", **_ask(language, way)), language)
    for word in words:
        assert word in text, word
    assert "Check a certificate" not in text
    assert "verify the presentation here" not in text
    # The employers' page is linked in the language chosen by ?lang=, and only then.
    presentations = f'href="/presentations?lang={language}"'
    assert (presentations in text) == (way == "query")
    # Both forms carry the language along, so their answer is in it too.
    assert text.count(f'<input type="hidden" name="lang" value="{language}">') == 2


@pytest.mark.parametrize("way", WAYS)
def test_a_lookup_answers_in_german(client: TestClient, way: str) -> None:
    ask = _ask("de", way, {"number": NUMBER, "family_name": "muller"})
    text = _page(client.get("/register", **ask), "de")
    assert "<span>Gültig</span>" in text
    assert "Diese Person besitzt diese Zertifizierung: Sie ist gültig." in text
    assert "Zertifizierung von Anna Müller" in text
    assert '<time datetime="2031-11-24">24. November 2031</time> (Tagesende, UTC)' in text
    assert "<dt>Geltungsbereich</dt>" not in text  # a heading here, below
    assert "<h3>Geltungsbereich</h3>" in text
    assert "Visual inspection" in text  # the body's words, as recorded
    assert "Welding inspector" in text
    # A link to the next page keeps a language chosen by ?lang=, and only then.
    assert ('href="/?lang=de"' in text) == (way == "query")


def test_a_lookup_answers_in_french_and_spanish(client: TestClient) -> None:
    ask = _ask("fr", "header", {"family_name": "Weiß"})
    text = _page(client.get("/register/9K3M-9QXD-2HFW-8T4B-R", **ask), "fr")
    assert "<span>Suspendue</span>" in text
    assert (
        'Cette certification est suspendue depuis le <time datetime="2026-11-25">'
        "25 novembre 2026</time>\u00a0: elle n’est pas valide"
    ) in text
    ask = _ask("es", "query", {"family_name": "Weiß"})
    text = _page(client.get("/register/9K3M-9QXD-2HFW-8T4B-R", **ask), "es")
    assert "<span>Suspendida</span>" in text
    assert "25 de noviembre de 2026" in text


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", "Kein Zertifikat gefunden"),
        ("es", "No se ha encontrado ningún certificado"),
    ],
)
def test_a_refused_lookup(client: TestClient, way: str, language: str, words: str) -> None:
    ask = _ask(language, way, {"number": NUMBER, "family_name": "Nobody"})
    text = _page(client.get("/register", **ask), language, 404)
    assert words in text
    assert "No certificate found" not in text
    assert f'<input type="hidden" name="lang" value="{language}">' in text
    incomplete = _page(client.get("/register", **_ask(language, way)), language, 422)
    assert "Enter the number and the name" not in incomplete


@pytest.mark.parametrize("way", WAYS)
def test_the_directory_in_german_and_french(client: TestClient, way: str) -> None:
    text = _page(client.get("/directory", **_ask("de", way, {"name": "müller"})), "de")
    assert '<h2 id="results-heading">1 Person gefunden</h2>' in text
    assert "Gültig bis 24. November 2031" in text
    assert "Welding inspector · Zertifikat" in text
    text = _page(client.get("/directory", **_ask("fr", way, {"name": "weiß"})), "fr")
    assert "1 personne trouvée" in text
    assert "Suspendue depuis le 25 novembre 2026" in text
    nobody = _page(client.get("/directory", **_ask("es", way, {"name": "zzzz"})), "es")
    assert "No se ha encontrado a nadie" in nobody
    assert "Nadie en el directorio tiene un nombre que contenga «zzzz»" in nobody
    form = _page(client.get("/directory", **_ask("de", way)), "de")
    assert "Geben Sie mindestens 3 Buchstaben ihres Namens ein." in form


@pytest.mark.parametrize("way", WAYS)
def test_a_search_too_short(client: TestClient, way: str) -> None:
    text = _page(client.get("/directory", **_ask("de", way, {"name": "mü"})), "de", 400)
    assert "Geben Sie mehr vom Namen ein" in text
    assert "mindestens 3 Buchstaben des Namens der Person und höchstens 100 Zeichen" in text
    text = _page(client.get("/directory", **_ask("fr", way, {"name": "mü"})), "fr", 400)
    assert "Saisissez une plus grande partie du nom" in text


def test_too_many_searches_in_german(people: Registry) -> None:  # noqa: F811
    app = create_registry_app(
        people, lookup_limit=RateLimit(per_minute=2, burst=1), clock=lambda: 0.0
    )
    with TestClient(app) as client:
        client.get("/directory", params={"name": "müller"})
        again = client.get("/directory", **_ask("de", "header", {"name": "müller"}))
    text = _page(again, "de", 429)
    assert "Bitte warten Sie einen Moment" in text
    assert "Versuchen Sie es in 30 Sekunden erneut." in text


def test_scheme_pages_in_german_and_spanish(registry: Registry, published: TestIssuer) -> None:
    publication = published.publication(DocumentKind.SCHEME, "welding-inspector", full_scheme())
    assert registry.accept(publication)
    app = create_registry_app(registry, page_limit=None)
    with TestClient(app) as client:
        for way in WAYS:
            listed = _page(client.get("/schemes", **_ask("de", way)), "de")
            assert "<h1>Zertifizierungsprogramme</h1>" in listed
            assert "Version 3" in listed
            text = _page(client.get("/schemes/welding-inspector", **_ask("de", way)), "de")
            for words in (
                "<dt>Programmeigner</dt><dd>Example Welding Certification Body</dd>",
                "<dd>im Abstand von 60 Monaten</dd>",
                "<dd>ab 6 Monaten vor Ablauf bis 30 Tage danach</dd>",
                "<dd>beruflicher Weiterbildung, einer erneuten Prüfung oder Nachweisen über "
                "Tätigkeiten im Fachgebiet</dd>",
                "<h2>Überwachungsplan</h2>",
                "<dd>im Abstand von 12 Monaten, überfällig 30 Tage nach Fälligkeit</dd>",
                "<h2>Antragstellung</h2>",
                "<h2>Geltungsbereich</h2>",
                "Steel structures",  # the scheme's own words
                "<p>Apply with proof of training.</p>",
            ):
                assert words in text, words
            text = _page(client.get("/schemes/welding-inspector", **_ask("es", way)), "es")
            assert "<dd>cada 60 meses</dd>" in text
            assert "<dd>desde 6 meses antes de la caducidad hasta 30 días después</dd>" in text
            assert "<h2>Alcance</h2>" in text
        missing = client.get("/schemes/nothing-here", **_ask("de", "query"))
        assert missing.headers["content-type"] == "application/problem+json"


def test_the_cached_pages_differ_by_language_and_json_does_not(client: TestClient) -> None:
    lookup = {"number": NUMBER, "family_name": "muller"}
    english = client.get("/register", params=lookup, headers={"Accept": BROWSER})
    german = client.get("/register", **_ask("de", "header", lookup))
    assert english.headers["content-language"] == "en"
    assert german.content != english.content
    assert german.headers["etag"] != english.headers["etag"]
    # A cache holding the English page must not answer a German reader with it.
    stale = _ask("de", "header", lookup)
    stale["headers"]["If-None-Match"] = english.headers["etag"]
    assert client.get("/register", **stale).status_code == 200
    same = _ask("de", "header", lookup)
    same["headers"]["If-None-Match"] = german.headers["etag"]
    assert client.get("/register", **same).status_code == 304
    for path, params in (
        (f"/register/{NUMBER}", {"family_name": "muller"}),
        ("/register", lookup),
        ("/directory", {"name": "müller"}),
        ("/schemes", {}),
        ("/", {}),
    ):
        plain = client.get(path, params=params, headers={"Accept": "application/json"})
        for way in WAYS:
            ask = _ask("de", way, params)
            ask["headers"]["Accept"] = "application/json"
            asked = client.get(path, **ask)
            if path == "/":
                continue  # the home page is a page for everyone
            assert asked.content == plain.content, path
            assert asked.headers["vary"] == "Accept"
            assert "content-language" not in asked.headers


def test_an_unknown_language_falls_back(client: TestClient) -> None:
    for lang, header, expected in (
        ("it", "fr-CH, fr;q=0.9", "fr"),
        ("xx-<b>", None, "en"),
        ("", "es", "es"),
        ("DE", None, "de"),
    ):
        headers = {"Accept": BROWSER} | ({"Accept-Language": header} if header else {})
        response = client.get("/", params={"lang": lang}, headers=headers)
        text = _page(response, expected)
        assert "<b>" not in text


def test_the_bodys_own_language_is_the_default(people: Registry) -> None:  # noqa: F811
    app = create_registry_app(people, lookup_limit=None, now=lambda: NOW, language="fr")
    with TestClient(app) as client:
        text = _page(client.get("/", headers={"Accept": BROWSER}), "fr")
        assert "Vérifier un certificat" in text
        _page(client.get("/", headers={"Accept": BROWSER, "Accept-Language": "it"}), "fr")
        _page(client.get("/", headers={"Accept": BROWSER, "Accept-Language": "de"}), "de")
        _page(client.get("/", params={"lang": "en"}, headers={"Accept": BROWSER}), "en")
    with pytest.raises(ValueError, match="language must be one of"):
        create_registry_app(people, language="it")


def test_the_switch_keeps_the_other_query_parameters() -> None:
    language = pages.PageLanguage("de", (("number", "A&B"), ("family_name", "Müller")))
    links = {link.code: link for link in language.links()}
    assert links["fr"].href == "?number=A%26B&family_name=M%C3%BCller&lang=fr"
    assert links["de"].current
    assert not links["fr"].current
    assert pages.PageLanguage("de", (("name", "x" * 3000),)).links()[0].href == "?lang=en"
    assert pages.PageLanguage("de", explicit=True).href("/v/1?a=b") == "/v/1?a=b&lang=de"
    assert pages.PageLanguage("de").href("/schemes") == "/schemes"


def test_every_problem_the_verifier_gives_can_be_shown_translated() -> None:
    titles = {
        error.title
        for error in vars(verifier_errors).values()
        if isinstance(error, type) and issubclass(error, verifier_errors.VerificationError)
    }
    assert titles == set(PROBLEM_TITLES)
    german = translations("registry", "de")
    assert all(german.gettext(title) != title for title in titles)


def _qr(world: World, credential_id: str, language: str, way: str) -> str:  # noqa: F811
    response = world.public.get(f"/v/{credential_id}", **_ask(language, way))
    world.seen.append(response.text)
    assert response.headers["cache-control"] == "no-store"
    return _page(response, language)


def _standing(text: str) -> str:
    found = re.search(r'data-standing="([\w-]+)">\s*<h1>.*?<span>(.*?)</span>', text, re.S)
    assert found is not None
    return f"{found.group(1)}: {found.group(2)}"


@pytest.mark.parametrize("way", WAYS)
def test_the_page_behind_the_qr_code_in_each_standing(world: World, way: str) -> None:  # noqa: F811
    world.office.ok("PUT", "/body-information", member(world.office, "admin"), INFORMATION)
    world.publish()
    number = world.certify()
    first = world.certificate_id(number)
    expiry = date.fromisoformat(world.answer(first)["expiryDate"])
    plain = world.public.get(f"/v/{first}", headers={"Accept": "application/json"}).content

    text = _qr(world, first, "de", way)
    assert _standing(text) == "valid: Gültig"
    assert "Diese Zertifizierung ist zum Zeitpunkt dieser Prüfung gültig." in text
    assert (
        'Geprüft am <time datetime="2026-11-25T09:00:00Z">25. November 2026, 09:00:00 UTC' in text
    )
    assert "<dt>Gültig ab</dt>" in text
    assert f"{expiry.day}. " in text
    assert "Akkreditiert durch National Accreditation Service, Akkreditierungsnummer" in text
    assert "Einspruch oder Beschwerde einlegen" in text
    text = _qr(world, first, "es", way)
    assert _standing(text) == "valid: Válida"
    assert 'Comprobado el <time datetime="2026-11-25T09:00:00Z">25 de noviembre de 2026' in text
    # JSON is the same whatever language is asked for.
    ask = _ask("de", way)
    ask["headers"]["Accept"] = "application/json"
    assert world.public.get(f"/v/{first}", **ask).content == plain

    world.move_clock(world.clock.now + timedelta(hours=3))
    world.decide(number, "suspend", {"reason": SUSPENSION_REASON})
    text = _qr(world, first, "de", way)
    assert _standing(text) == "suspended: Ausgesetzt"
    assert (
        'Diese Zertifizierung ist seit dem <time datetime="2026-11-25T12:00:00Z">25. November '
        "2026</time> ausgesetzt: Sie ist nicht gültig, solange die Zertifizierungsstelle sie "
        "nicht wieder in Kraft setzt."
    ) in text
    text = _qr(world, first, "fr", way)
    assert _standing(text) == "suspended: Suspendue"
    assert 'suspendue depuis le <time datetime="2026-11-25T12:00:00Z">25 novembre 2026' in text
    world.decide(number, "reinstate", {"reason": "resolved"})

    world.decide(number, "scope", {"scope": ["VT-STEEL"]})
    second = world.certificate_id(number)
    text = _qr(world, first, "de", way)
    assert _standing(text) == "superseded: Ersetzt"
    assert "Dieses Zertifikat wurde durch ein neueres ersetzt" in text
    assert "Das aktuelle Zertifikat prüfen, das dieses ersetzt hat" in text
    assert _standing(_qr(world, first, "es", way)) == "superseded: Sustituida"

    world.decide(number, "withdraw", {"reason": WITHDRAWAL_REASON})
    text = _qr(world, second, "de", way)
    assert _standing(text) == "withdrawn: Zurückgezogen"
    assert "von der Zertifizierungsstelle zurückgezogen: Sie ist nicht gültig." in text
    assert _standing(_qr(world, second, "fr", way)) == "withdrawn: Retirée"

    with world.registry.store.engine.begin() as conn:
        conn.execute(DELETE, {"kind": DocumentKind.STATUS_LIST.value})
    text = _qr(world, second, "de", way)
    assert _standing(text) == "cannot-confirm: Nicht bestätigt"
    assert "Der aktuelle Status dieser Zertifizierung konnte gerade nicht bestätigt werden" in text
    assert "Was nicht geklappt hat: Die Statusliste konnte nicht abgerufen werden" in text
    text = _qr(world, second, "es", way)
    assert _standing(text) == "cannot-confirm: No se puede confirmar"

    missing = world.public.get("/v/00000000-0000-4000-8000-000000000000", **_ask("de", way))
    text = _page(missing, "de", 404)
    assert "<h1>Nicht gefunden</h1>" in text
    assert "<title>Kein solcher Nachweis · Öffentliches Register zertifizierter Personen" in text

    body = _page(world.public.get("/body", **_ask("fr", way)), "fr")
    assert "<h2>Notre engagement d’impartialité</h2>" in body
    assert "We decide on evidence alone." in body  # the body's own words
    assert "<dt>Numéro d’accréditation</dt>" in body


@pytest.mark.parametrize("way", WAYS)
def test_an_expired_certification_in_german(world: World, way: str) -> None:  # noqa: F811
    number = world.certify()
    credential_id = world.certificate_id(number)
    expiry = date.fromisoformat(world.answer(credential_id)["expiryDate"])
    world.move_clock(
        world.clock.now.replace(year=expiry.year, month=expiry.month, day=expiry.day)
        + timedelta(days=1)
    )
    text = _qr(world, credential_id, "de", way)
    assert _standing(text) == "expired: Abgelaufen"
    months = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember")  # fmt: skip
    day = f"{expiry.day}. {months[expiry.month - 1]} {expiry.year}"
    assert f"Diese Zertifizierung ist mit Ablauf des {day} (UTC) abgelaufen" in text
    assert "<dt>Abgelaufen</dt>" in text
    entry = world.public.get(f"/register/{number}", **_ask("es", way, {"family_name": "Moreau"}))
    text = _page(entry, "es")
    assert _standing(text) == "expired: Caducada"


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "There is no page at this address"),
        ("de", "Unter dieser Adresse gibt es keine Seite"),
        ("es", "No hay ninguna página en esta dirección"),
    ],
)
def test_an_address_nothing_serves(client: TestClient, way: str, language: str, words: str) -> None:
    """A browser that opens an address no route serves gets a page in words, in its language,
    with a way back; a program still gets the problem+json it always got."""
    text = _page(client.get("/certificates/no-such-page", **_ask(language, way)), language, 404)
    assert words in text
    assert 'href="/' in text
    program = client.get("/certificates/no-such-page", headers={"Accept": "application/json"})
    assert program.status_code == 404
    assert program.headers["content-type"] == "application/problem+json"
    assert program.json()["type"].endswith("/problems/not-found")
    posted = client.post("/certificates/no-such-page", headers={"Accept": BROWSER})
    assert posted.headers["content-type"] == "application/problem+json"
