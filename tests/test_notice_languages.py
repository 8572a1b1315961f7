"""Notices in every language certreg speaks: a person who chose French or Spanish receives
the notice in it, over a real SMTP server, with its dates written as the language writes
them; staff may record any offered language for a person, and no other.

The sentences come from the ``notices`` catalogues (``tests/test_languages.py`` checks that
each language has every one); these tests check that what reaches the person is them.
Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from issuer.model import NoticeKind, PersonNotice
from issuer.process import notice_sender
from issuer.store import Store
from schemas.languages import LANGUAGES, format_date
from tests.backoffice import BackOffice, member, person_body
from tests.conftest import FrozenClock
from tests.test_notices import Mailbox, certified, listed, parts, send, transport
from tests.test_notices import mailbox as mailbox  # the real SMTP server, as a fixture

CASES = {
    "fr": (
        "Bonjour Ana Moreau",
        "a été délivré",
        "Il est valable du",
        "organisme de certification",
    ),
    "es": ("Estimado/a Ana Moreau", "Se le ha concedido", "Es válido desde el", "organismo de"),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_a_grant_reaches_the_person_in_french_or_spanish(
    office: BackOffice,
    store: Store,
    clock: FrozenClock,
    mailbox: tuple[Mailbox, int],
    language: str,
) -> None:
    box, port = mailbox
    _, number = certified(office, language=language, email="ana.m@example.org")
    [queued] = listed(office, "queued")
    assert queued["language"] == language
    report = send(store, clock, transport(port, clock))
    assert report.sent == 1
    [message] = box.received
    greeting, subject_words, validity, signature = CASES[language]
    assert message["Content-Language"] == language
    assert number in message["Subject"]
    assert subject_words in message["Subject"]
    plain, html = parts(message)
    for text in (plain, html):
        assert greeting in text
        assert validity in text
        assert signature in text
        assert number in text
    expiry = date.fromisoformat(queued["facts"]["expires_on"])
    written = format_date(expiry, language)  # "24 novembre 2029", "24 de noviembre de 2029"
    assert written in plain
    assert expiry.isoformat() not in plain
    assert "Dear" not in plain


def test_every_kind_reads_in_its_own_language_with_its_dates() -> None:
    facts = {
        "certificate_number": "7K3M-9QXD-2HFW-8T4B-E",
        "scheme": "Welding inspector",
        "scope": "VT-STEEL",
        "scope_before": "VT-STEEL, VT-PRESSURE",
        "expires_on": "2029-11-24",
        "effective_on": "2026-11-25",
        "decided_on": "2026-11-25",
        "window_opens": "2029-05-25",
        "window_closes": "2029-11-24",
        "reissued_on": "2026-11-25",
        "disclosed_on": "2026-11-25",
        "field": "date_of_birth",
        "regulator": "Welding Authority",
        "legal_basis": "Art. 12",
        "minutes": "30",
    }
    english: dict[str, str] = {}
    for language in LANGUAGES:
        for kind in NoticeKind:
            notice = PersonNotice(
                id="n",
                person_id="p",
                kind=kind.value,
                subject_id="s",
                created_at=datetime(2026, 11, 25, tzinfo=UTC),
                sent_at=None,
                sent_by=None,
                facts=facts,
            )
            _, plain, _ = notice_sender.render(
                notice, name="Ana Moreau", body="Example Body", contact=None, language=language
            )
            assert "%(" not in plain
            assert "{{" not in plain
            assert "2029-11-24" not in plain
            assert "2026-11-25" not in plain
            if language == "en":
                english[kind.value] = plain
            else:  # translated: not one sentence left in English
                assert plain != english[kind.value]
                assert "Kind regards" not in plain
    day = format_date(date(2026, 11, 25), "de")
    assert day == "25. November 2026"
    german = notice_sender.render(
        PersonNotice(
            id="n",
            person_id="p",
            kind="withdrawn",
            subject_id="s",
            created_at=datetime(2026, 11, 25, tzinfo=UTC),
            sent_at=None,
            sent_by=None,
            facts=facts,
        ),
        name="Jana K.",
        body="Zertifizierungsstelle Nord",
        contact=None,
        language="de",
    )
    assert f"Am {day} haben wir Ihr Zertifikat" in german[1]
    assert "zurückgezogen" in german[0]


@pytest.mark.parametrize("language", LANGUAGES)
def test_staff_record_any_offered_language_for_a_person(office: BackOffice, language: str) -> None:
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body(language=language))
    assert person["confidential"]["language"] == language
    patch = {"language": "en" if language != "en" else "es"}
    changed = office.ok("PATCH", f"/persons/{person['id']}/contact", registrar, patch)
    assert changed["confidential"]["language"] == patch["language"]


@pytest.mark.parametrize("language", ["it", "EN", "de-AT", ""])
def test_a_language_certreg_does_not_speak_is_refused(office: BackOffice, language: str) -> None:
    registrar = member(office, "registrar")
    refused = office.call("POST", "/persons", registrar, person_body(language=language))
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
