"""Languages: every shipped catalogue has every message, and the language choice is right.

A page, a certificate or a notice that shows one English sentence in the middle of a German
text is a bug a reader sees at once; this test finds it first. For each message domain with
an extraction map (``schemas/locales/<domain>.cfg``) it extracts the messages from the source
as ``pybabel extract`` does, and fails when the template (``<domain>.pot``) is out of date, or
when a shipped language lacks a message, has it empty or fuzzy, or drops or invents a
placeholder. ``docs/LANGUAGES.md`` gives the commands that fix each failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from schemas import languages
from schemas.languages import DEFAULT_LANGUAGE, DOMAINS, LANGUAGES, LOCALES

ROOT = Path(__file__).resolve().parents[1]
MAPPED = sorted(path.stem for path in LOCALES.glob("*.cfg"))
_MappingReader = Callable[[object], tuple[list[tuple[str, str]], dict[str, dict[str, str]]]]
_read_mapping: _MappingReader = parse_mapping_cfg  # Babel ships it without annotations
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def _messages(domain: str) -> Iterator[tuple[str, str | None]]:
    with (LOCALES / f"{domain}.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = _read_mapping(handle)
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        yield (message if isinstance(message, str) else message[0]), context


def _catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def test_every_domain_is_known() -> None:
    assert set(MAPPED) <= set(DOMAINS)


@pytest.mark.parametrize("domain", MAPPED)
def test_the_template_is_up_to_date(domain: str) -> None:
    extracted = set(_messages(domain))
    assert extracted, f"no message is marked for translation in the {domain} domain"
    template = _catalog(LOCALES / f"{domain}.pot")
    held = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in template if m.id}
    outdated = extracted ^ held
    assert not outdated, (
        f"schemas/locales/{domain}.pot is out of date (see docs/LANGUAGES.md): "
        f"new {sorted(m for m, _ in extracted - held)[:10]}, "
        f"gone {sorted(m for m, _ in held - extracted)[:10]}"
    )


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE])
@pytest.mark.parametrize("domain", MAPPED)
def test_every_message_is_translated(domain: str, language: str) -> None:
    path = languages.catalogue_path(domain, language)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    catalog = _catalog(path, language)
    wanted = set(_messages(domain))
    problems: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        key = (message.id if isinstance(message.id, str) else message.id[0], message.context)
        if key not in wanted:
            continue
        wanted.discard(key)
        raw = message.string
        strings = [str(s or "") for s in raw] if isinstance(raw, (list, tuple)) else [raw or ""]
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {key[0]!r}")
            continue
        ids = (
            [str(i) for i in message.id] if isinstance(message.id, (list, tuple)) else [message.id]
        )
        expected = set().union(*(_placeholders(text) for text in ids))
        for text in strings:
            if _placeholders(text) != expected:
                problems.append(f"placeholders differ: {key[0]!r} → {text!r}")
    problems.extend(f"missing: {key[0]!r}" for key in sorted(wanted, key=str))
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        ("de", "fr", "de"),
        ("DE", None, "de"),
        ("it", "fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        (None, "es-MX,es;q=0.9", "es"),
        (None, "it, de;q=0.5", "de"),
        (None, "de;q=0, fr;q=0.1", "fr"),
        (None, "*", "en"),
        (None, "", "en"),
        (None, "de;q=2", "en"),
        (None, "x" * 2000, "en"),
        (None, "<script>, fr", "fr"),
        (None, ",".join(["it"] * 40) + ",de", "en"),
    ],
)
def test_the_language_choice(requested: str | None, header: str | None, expected: str) -> None:
    assert languages.negotiate(requested, header) == expected


def test_the_default_is_the_bodys_choice() -> None:
    assert languages.negotiate(None, "it", default="de") == "de"


def test_dates_and_numbers_are_written_as_each_language_writes_them() -> None:
    day = date(2026, 12, 7)
    assert languages.format_date(day, "en") == "December 7, 2026"
    assert languages.format_date(day, "de") == "7. Dezember 2026"
    assert languages.format_date(day, "fr") == "7 décembre 2026"
    assert languages.format_date(day, "es") == "7 de diciembre de 2026"
    assert languages.format_number(12345.5, "de") == "12.345,5"
    assert languages.format_number(12345.5, "en") == "12,345.5"
    instant = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
    assert "14:05" in languages.format_datetime(instant, "de")


def test_english_and_unknown_languages_give_the_source_text() -> None:
    for language in ("en", "it"):
        assert languages.translations("registry", language).gettext("Valid") == "Valid"
    with pytest.raises(ValueError, match="unknown message domain"):
        languages.translations("nowhere", "de")
