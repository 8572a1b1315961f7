"""The employers' page ``/presentations`` in the reader's language: German and French besides
English, chosen by ``?lang=``, by ``Accept-Language``, or carried by the form itself.

An employer reads the form, a valid presentation's answer, an SD-JWT VC presentation's
shown and kept-back claims and a refusal in their language — every sentence from the
``registry`` catalogues, dates and numbers as the language writes them — and the form's
hidden ``lang`` field brings the answer back in the language of the page it was sent from.

Each test runs on SQLite and PostgreSQL (the world fixture's stores).
"""

# ruff: noqa: F811 - the world fixture is imported from test_vc_api and named by the tests
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.registry.test_page_languages import BROWSER, WAYS, _ask, _page
from tests.test_presentations_api import AUDIENCE, NONCE, present
from tests.test_sd_jwt_vc import _issue
from tests.test_sd_jwt_vc_presented import wallet_present
from tests.test_vc_api import World, world  # noqa: F401 - the fixture
from tests.verifier.tokens import Holder, IssuerKey

ENGLISH = [
    "Verify a presentation",
    "Paste the presentation",
    "Your nonce",
    "Every credential in this presentation",
    "What the person chose to show",
    "The person chose not to show",
    "(checked)",
    "Check another presentation",
]
"""Words of the English page that no other language's page may show."""


def _fields(presentation: str, **more: str) -> dict[str, str]:
    return {"presentation": presentation, "nonce": NONCE, "audience": AUDIENCE} | more


def _english_gone(text: str) -> None:
    for words in ENGLISH:
        assert words not in text, words


POSTED = ["form", "header"]
"""How a posted form asks for a language: the hidden ``lang`` field of the page it was on,
or (a form built by a program, without the field) ``Accept-Language``."""


def _answer(world: World, language: str, way: str, fields: dict[str, str]) -> Any:
    """The form posted for an answer in ``language`` the ``way`` given."""
    if way == "form":
        return world.verify.post(
            "/presentations",
            data=fields | {"lang": language},
            headers={"Accept": BROWSER, "Accept-Language": "en"},
        )
    return world.verify.post(
        "/presentations", data=fields, headers=_ask(language, "header")["headers"]
    )


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "de",
            [
                "<title>Eine Präsentation prüfen ·",
                "<h1>Eine Präsentation prüfen</h1>",
                "sendet Ihnen ihre Wallet eine <em>Präsentation</em>:",
                '<label for="nonce">Einmalwert (Nonce)</label>',
                '<label for="audience">Empfänger (Audience)</label>',
                'beginnt (stammt er aus einer Wallet, sind seine Teile durch <span class="code">~'
                "</span> verbunden).",
                '<button type="submit">Prüfen</button>',
            ],
        ),
        (
            "fr",
            [
                "<title>Vérifier une présentation ·",
                "vous envoie une <em>présentation</em>\u00a0:",
                '<label for="nonce">Valeur à usage unique (nonce)</label>',
                '<label for="audience">Destinataire (audience)</label>',
                '<button type="submit">Vérifier</button>',
            ],
        ),
    ],
)
def test_the_form(world: World, language: str, way: str, words: list[str]) -> None:
    text = _page(world.verify.get("/presentations", **_ask(language, way)), language)
    for word in words:
        assert word in text, word
    _english_gone(text)
    # The form carries the language along, so the answer is in it too.
    assert text.count(f'<input type="hidden" name="lang" value="{language}">') == 1


@pytest.mark.parametrize("way", POSTED)
def test_a_valid_presentation_answers_in_german(world: World, way: str) -> None:
    number, token = world.issue()
    fields = _fields(present(world, Holder(), token))
    text = _page(_answer(world, "de", way, fields), "de")
    assert 'data-standing="valid"' in text
    assert "<title>Gültig: Präsentation ·" in text
    assert (
        "Jeder Nachweis in dieser Präsentation ist zum Zeitpunkt dieser Prüfung gültig, und "
        "die Person, die sie gesendet hat, hat sie für Ihre Anfrage signiert."
    ) in text
    assert f'<span class="code">{NONCE}</span> (geprüft)' in text
    assert "<dt>Vorgelegt von</dt>" in text
    assert re.search(r'<h2 id="credential-1">Nachweis 1: Gültig, [^<]+</h2>', text)
    assert "<dt>Inhaber</dt>" in text
    assert "<dt>Zertifikatsnummer</dt>" in text
    assert number in text
    assert re.search(r"<dt>Läuft ab</dt><dd><time [^>]+>\d+\. \w+ \d{4}</time> \(Tagesende", text)
    assert "Die Nachweise nennen diesen Schlüssel nicht." in text  # a did:jwk, not in the VC
    assert "<h2>Weitere Präsentation prüfen</h2>" in text
    _english_gone(text)
    # The answer's form keeps the language, and its language switch offers the others.
    assert '<input type="hidden" name="lang" value="de">' in text
    assert 'href="?lang=fr"' in text


@pytest.mark.parametrize("way", POSTED)
@pytest.mark.parametrize(
    ("language", "shown", "kept", "standing"),
    [
        (
            "de",
            ["<dt>Vorname</dt>", "<dt>Familienname</dt>", "<dt>Zertifizierungsprogramm</dt>"],
            "Die Person hat sich entschieden, Folgendes nicht zu zeigen: Zertifikatsnummer, "
            "Zertifizierungsstelle, Geltungsbereich. Ihre Wallet lässt ihr diese Wahl;",
            "Nachweis 1: Gültig, Ana Moreau",
        ),
        (
            "fr",
            ["<dt>Prénom</dt>", "<dt>Nom de famille</dt>", "<dt>Programme</dt>"],
            "La personne a choisi de ne pas montrer\u00a0: numéro de certificat, organisme de "
            "certification, portée. Son portefeuille lui laisse ce choix\u00a0;",
            "Attestation 1\u00a0: Valide, Ana Moreau",
        ),
    ],
)
def test_what_a_wallet_showed_and_kept_back_in_the_readers_words(
    world: World, way: str, language: str, shown: list[str], kept: str, standing: str
) -> None:
    number, _ = world.issue()
    holder = IssuerKey.generate()
    public_jwk = {k: v for k, v in holder.jwk.items() if k not in ("kid", "alg")}
    issued = _issue(world.office, number, public_jwk)
    world.publish()
    presentation = wallet_present(issued, holder, world.clock, nonce=NONCE, audience=AUDIENCE)
    text = _page(_answer(world, language, way, _fields(presentation)), language)
    assert 'data-standing="valid"' in text
    assert standing in text
    listed = text.split('id="shown-1">')[1].split("</dl>")[0]
    for words in shown:
        assert words in listed, words
    assert number not in text  # kept back
    assert text.split('id="kept-back-1">')[1].split("</p>")[0].startswith(kept)
    _english_gone(text)


@pytest.mark.parametrize("way", POSTED)
def test_a_presentation_for_someone_else_is_refused_in_french(world: World, way: str) -> None:
    _, token = world.issue()
    fields = _fields(present(world, Holder(), token), nonce="pas-le-mien")
    text = _page(_answer(world, "fr", way, fields), "fr")
    assert 'data-standing="not-valid"' in text
    assert "<title>Non valide\u00a0: présentation ·" in text
    assert (
        "Cette présentation n’a pas été faite pour votre demande\u00a0: sa valeur à usage unique "
        "n’est pas celle que vous avez saisie."
    ) in text
    assert "Ce qui n’a pas fonctionné\u00a0: La présentation n’a pas été faite pour cette " in text
    _english_gone(text)


@pytest.mark.parametrize("way", POSTED)
def test_a_form_refused_says_what_to_do_in_german(world: World, way: str) -> None:
    fields = {"presentation": "x", "audience": AUDIENCE}
    text = _page(_answer(world, "de", way, fields), "de", 422)
    assert (
        "Geben Sie den Einmalwert ein, den Sie der Person bei Ihrer Anfrage genannt haben."
    ) in text
    assert f'value="{AUDIENCE}"' in text  # what was typed is kept
    too_long = _fields("x", nonce="n" * 1001)
    text = _page(_answer(world, "de", way, too_long), "de", 422)
    assert "Der Einmalwert oder der Empfänger ist zu lang: höchstens 1.000 Zeichen." in text
    unknown = _fields("data:application/vp+cose,abc")
    text = _page(_answer(world, "de", way, unknown), "de", 422)
    assert "eine signierte Präsentation („vp+jwt“)" in text


def test_the_forms_language_comes_before_the_browsers(world: World) -> None:
    """The hidden field says which page the form was sent from; an unknown value is no
    error, the choice falls back to ``Accept-Language`` as an unknown ``?lang=`` does."""
    fields = {"presentation": "x", "audience": AUDIENCE}
    french = {"Accept": BROWSER, "Accept-Language": "fr"}
    page = world.verify.post("/presentations", data=fields | {"lang": "de"}, headers=french)
    assert "Geben Sie den Einmalwert ein" in _page(page, "de", 422)
    page = world.verify.post("/presentations", data=fields | {"lang": "xx"}, headers=french)
    assert "Saisissez la valeur à usage unique" in _page(page, "fr", 422)
    page = world.verify.post("/presentations", data=fields | {"lang": ""}, headers=french)
    assert "Saisissez la valeur à usage unique" in _page(page, "fr", 422)
