"""The languages certreg speaks to people in: catalogues, the choice of language, and dates.

Certification bodies work in their country's languages, and the people who read a register
entry, a printed certificate or a notice should read it in theirs. Every text a person reads
is written in English in the source and translated in gettext catalogues
(``schemas/locales/<language>/LC_MESSAGES/<domain>.po``) that a translator edits with any PO
editor; ``docs/LANGUAGES.md`` says how to add a language. The catalogues are compiled in
memory when first used, so there is no compiled ``.mo`` file to forget to rebuild, and a
change to a ``.po`` file is what ships.

One domain per audience, so a translator can finish one before starting the next:

* ``registry`` — the public register's pages (the page behind a QR code, lookups, the
  directory, scheme pages, errors);
* ``certificate`` — the printed certificate;
* ``notices`` — the e-mails sent to certified persons;
* ``holder`` — a certified person's own pages.

The choice of language (:func:`negotiate`) takes an explicit choice first (``?lang=``),
then the browser's ``Accept-Language``, then the body's default; dates and numbers are
formatted with Babel for the chosen language (:func:`format_date`), since "7 December 2026",
"7. Dezember 2026" and "7 décembre 2026" are not the same string with words swapped.
Scheme names and scope items are the body's own words and are never run through a catalogue.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAINS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALES",
    "catalogue_path",
    "format_date",
    "format_datetime",
    "format_number",
    "negotiate",
    "parse_accept_language",
    "translations",
]

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es")
"""The languages certreg ships catalogues for; English is the source language."""

DEFAULT_LANGUAGE = "en"

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
}
"""Each language by its own name, as a language switch shows it: a reader who cannot read
the current page still finds their language."""

DOMAINS: tuple[str, ...] = ("registry", "certificate", "notices", "holder")

LOCALES = Path(__file__).resolve().parent / "locales"

_MAX_ACCEPT_LANGUAGE = 1024
_MAX_RANGES = 32
_RANGE = re.compile(r"^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_QUALITY = re.compile(r"^[qQ]=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def catalogue_path(domain: str, language: str) -> Path:
    """Where the catalogue of ``domain`` in ``language`` lives (it may not exist yet)."""
    return LOCALES / language / "LC_MESSAGES" / f"{domain}.po"


@functools.cache
def translations(domain: str, language: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``domain`` in ``language``.

    English, an unknown language or a domain with no catalogue in that language gives the
    source text unchanged; ``tests/test_languages.py`` makes sure every shipped language has
    every message, so that fallback is never what a reader of a shipped language sees.
    Untranslated and fuzzy entries fall back to English rather than show an empty string."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown message domain {domain!r}")
    path = catalogue_path(domain, language)
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=domain)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def parse_accept_language(header: str | None) -> list[str]:
    """The language ranges of an ``Accept-Language`` header (RFC 9110 §12.5.4), best first,
    lower-cased; ranges with ``q=0`` and anything malformed are dropped. The header comes from
    anyone, so it is bounded in length and in the number of ranges read."""
    if not header or len(header) > _MAX_ACCEPT_LANGUAGE:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:_MAX_RANGES]):
        parts = [part.strip() for part in item.split(";")]
        tag = parts[0]
        if not _RANGE.match(tag):
            continue
        quality = 1.0
        if len(parts) > 1:
            match = _QUALITY.match(parts[1]) if len(parts) == 2 else None
            if match is None:
                continue
            quality = float(match.group(1))
        if quality > 0:
            ranked.append((-quality, position, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(
    requested: str | None,
    accept_language: str | None,
    *,
    default: str = DEFAULT_LANGUAGE,
    offered: Sequence[str] = LANGUAGES,
) -> str:
    """The language to answer in: ``requested`` (a ``?lang=`` choice) if offered, else the
    first of the browser's ranges that matches an offered language (``de-AT`` matches
    ``de``; ``*`` matches the default), else ``default``."""
    if requested is not None:
        choice = requested.strip().lower()
        if choice in offered:
            return choice
    for tag in parse_accept_language(accept_language):
        if tag == "*":
            return default
        primary = tag.split("-", 1)[0]
        if primary in offered:
            return primary
    return default


def _locale(language: str) -> Locale:
    return Locale.parse(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def format_date(value: date, language: str, *, form: str = "long") -> str:
    """A date as readers of ``language`` write it (``form``: Babel's short, medium, long)."""
    return _babel_format_date(value, format=form, locale=_locale(language))


def format_datetime(value: datetime, language: str, *, form: str = "medium") -> str:
    """An instant as readers of ``language`` write it, in the instant's own time zone."""
    return _babel_format_datetime(value, format=form, tzinfo=value.tzinfo, locale=_locale(language))


def format_number(value: int | float, language: str) -> str:
    """A number with the grouping and decimal signs of ``language`` (12,345.6 / 12.345,6)."""
    return format_decimal(value, locale=_locale(language))
