"""A certificate in the language asked for, the person's or the body's, through the back
office API and the holder's pages, on both engines: ``?lang=`` and ``?bilingual=``, a
language certreg does not speak refused in words, the rendering cache telling the
languages apart, and a scheme's own translations (its title, its certificate title and its
scope items) printed when it has them and checked when it is recorded.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials import renderings
from tests.backoffice import BackOffice, candidate, exam_body, member, person_body, scheme_body
from tests.test_certificate_pdf import _text
from tests.test_credentials import _cached_renderings
from tests.test_holders import browser, signed_in, staff_link
from tests.test_printed_certificates import _certificates

GERMAN = {
    "language": "de",
    "title": "Zertifizierter Schweißinspektor",
    "certificate_title": "Zertifikat über die Qualifikation",
    "scope_items": [{"code": "VT-STEEL", "title": "Sichtprüfung von Schweißnähten an Stahl"}],
}  # fmt: skip
SCHEME_WORDS = ("CERTIFIED WELDING INSPECTOR", "Visual testing of fusion welds in steel")


def _scheme(office: BackOffice, translations: list[dict[str, Any]]) -> dict[str, Any]:
    body = scheme_body() | {"certificate_title": "Certificate of Qualification"}
    body["translations"] = translations
    scheme: dict[str, Any] = office.ok("POST", "/schemes", member(office, "manager"), body)
    return scheme


def _granted(office: BackOffice, scheme: dict[str, Any], **confidential: Any) -> tuple[str, str]:
    """A person (with ``confidential`` data) certified under ``scheme``: (person, credential)."""
    manager = member(office, "manager")
    examiner = member(office, "examiner").staff_id
    office.ok("POST", f"/staff/{examiner}/approvals", manager, {"scheme_id": scheme["id"]})
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body(**confidential))
    accepted = candidate(office, scheme, ["VT-STEEL"], person["id"])
    exam = exam_body(accepted["id"], date(2026, 11, 20))
    office.ok("POST", "/examinations", member(office, "examiner"), exam)
    decision = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    granted = office.ok("POST", "/decisions", member(office, "decider"), decision)
    [credential] = _certificates(office, granted["certification"]["certificate_number"])
    return person["id"], credential


def _pdf(office: BackOffice, credential: str, query: str = "") -> bytes:
    response = office.call(
        "GET", f"/credentials/{credential}/certificate.pdf{query}", member(office, "registrar")
    )
    assert response.status_code == 200, response.text
    return response.content


def test_a_scheme_keeps_its_translations(office: BackOffice) -> None:
    scheme = _scheme(office, [GERMAN, {"language": "fr", "title": "Inspecteur en soudage"}])
    translations = scheme["current"]["translations"]
    assert [t["language"] for t in translations] == ["de", "fr"]
    assert translations[0] == GERMAN
    assert translations[1]["certificate_title"] is None
    assert translations[1]["scope_items"] == []
    again = office.ok("GET", f"/schemes/{scheme['id']}", member(office, "auditor"))
    assert again["current"]["translations"] == translations


@pytest.mark.parametrize(
    ("translations", "says"),
    [
        ([GERMAN | {"language": "it"}], "language"),
        ([GERMAN, GERMAN], "one translation per language"),
        ([GERMAN | {"scope_items": [{"code": "VT-GAS", "title": "Gas"}]}], "VT-GAS"),
        ([{"language": "es"}], "gives no title"),
        ([GERMAN | {"certificate_title": "Z" * 81}], "certificate_title"),
        ([GERMAN | {"title": "Zertifiziert\u202eer"}], "title"),
    ],
)
def test_translations_are_checked_as_the_scheme_is(
    office: BackOffice, translations: list[dict[str, Any]], says: str
) -> None:
    body = scheme_body() | {"translations": copy.deepcopy(translations)}
    refused = office.call("POST", "/schemes", member(office, "manager"), body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert says in refused.text


def test_the_certificate_speaks_the_persons_language_unless_asked_otherwise(
    office: BackOffice,
) -> None:
    _, credential = _granted(office, _scheme(office, [GERMAN]), language="es")
    spanish = _text(_pdf(office, credential))  # the person's language: no Spanish words of
    assert "Por el presente se certifica que" in spanish  # the scheme, so its own
    assert "CERTIFICATE OF QUALIFICATION" in spanish
    assert all(words.lower() in spanish.lower() for words in SCHEME_WORDS)

    german = _text(_pdf(office, credential, "?lang=de"))
    assert "Hiermit wird bescheinigt, dass" in german
    assert "ZERTIFIKAT ÜBER DIE QUALIFIKATION" in german
    assert "Zertifizierter Schweißinspektor" in german
    assert "Sichtprüfung von Schweißnähten an Stahl" in german
    assert "CERTIFICATE OF QUALIFICATION" not in german

    both = _text(_pdf(office, credential, "?lang=de&bilingual=true"))
    assert "ZERTIFIKAT ÜBER DIE QUALIFIKATION" in both
    assert "CERTIFICATE OF QUALIFICATION" in both  # the scheme's own title beneath
    assert "Hiermit wird bescheinigt, dass" in both
    assert "This is to certify that" in both

    english = _text(_pdf(office, credential, "?lang=en"))
    assert "This is to certify that" in english
    assert "Hiermit" not in english


def test_the_cache_tells_languages_apart(office: BackOffice) -> None:
    _, credential = _granted(office, _scheme(office, [GERMAN]))
    german = _pdf(office, credential, "?lang=de")
    [german_key] = _cached_renderings(office, credential)
    assert _pdf(office, credential, "?lang=de") == german
    bilingual = _pdf(office, credential, "?lang=de&bilingual=true")
    [bilingual_key] = _cached_renderings(office, credential)
    assert bilingual != german
    assert bilingual_key != german_key
    french = _pdf(office, credential, "?lang=fr")
    assert french not in (german, bilingual)
    assert set(_cached_renderings(office, credential).values()) == {french}


@pytest.mark.parametrize(
    "query", ["?lang=it", "?lang=DE-AT", "?lang=" + "x" * 17, "?bilingual=maybe"]
)
def test_a_language_certreg_does_not_speak_is_refused(office: BackOffice, query: str) -> None:
    _, credential = _granted(office, _scheme(office, []))
    refused = office.call(
        "GET", f"/credentials/{credential}/certificate.pdf{query}", member(office, "registrar")
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    if query == "?lang=it":
        assert refused.json()["type"] == "/problems/language-not-offered"
        assert "en, de, fr, es" in refused.json()["detail"]


def test_without_a_persons_language_the_bodys_is_used(office: BackOffice) -> None:
    _, credential = _granted(office, _scheme(office, []))
    with office.store.transaction() as tx:
        found = tx.get_credential(credential)
        assert found is not None
        choose = renderings.certificate_language
        assert choose(tx, found, requested=None, default="fr") == "fr"
        assert choose(tx, found, requested="es", default="fr") == "es"
    assert "This is to certify that" in _text(_pdf(office, credential))  # the body's: English


def test_the_holder_prints_their_certificate_in_a_language_of_their_choice(
    office: BackOffice, client: TestClient
) -> None:
    person, credential = _granted(office, _scheme(office, [GERMAN]), language="fr")
    holder = browser(client)
    signed_in(holder, staff_link(office, person))
    base = f"/holder/credentials/{credential}/certificate.pdf"
    french = holder.get(base)
    assert french.status_code == 200
    assert "Le présent certificat atteste que" in _text(french.content)
    german = holder.get(f"{base}?lang=de&bilingual=true")
    assert german.status_code == 200
    text = _text(german.content)
    assert "Zertifizierter Schweißinspektor" in text
    assert "This is to certify that" in text
    refused = holder.get(f"{base}?lang=it")
    assert refused.status_code == 422
