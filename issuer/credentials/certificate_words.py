"""The words the printed certificate says, in the certificate's language and, on a bilingual
certificate, in English beneath them.

Every fixed text of the page is written in English in the source, marked with :func:`N_`
so that ``pybabel extract`` finds it (``schemas/locales/certificate.cfg``), and translated
in the ``certificate`` catalogues. Dates are written as readers of the language write them
(:func:`schemas.languages.format_date`). A bilingual certificate is for a holder who works
across borders: each label in the certificate's language first, its English words beneath
or beside it, so an employer abroad reads the same page. The body's own words — the names
of the body, the person and the scheme, the scope — are never run through a catalogue (a
scheme may carry its own translations: :mod:`issuer.credentials.renderings` picks them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schemas.languages import DEFAULT_LANGUAGE, LANGUAGES, format_date, translations

__all__ = ["ENGLISH", "N_", "Words"]


def N_(message: str) -> str:  # noqa: N802  # the name gettext tools look for
    """Marks ``message`` for extraction; the translation is looked up where it is said."""
    return message


@dataclass(frozen=True, slots=True)
class Words:
    """The certificate's language (one of :data:`LANGUAGES`) and whether English is printed
    with it."""

    language: str = DEFAULT_LANGUAGE
    bilingual: bool = False

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"a certificate is printed in {', '.join(LANGUAGES)} only")

    @property
    def second(self) -> str | None:
        """English on a bilingual certificate in another language; otherwise none."""
        if self.bilingual and self.language != DEFAULT_LANGUAGE:
            return DEFAULT_LANGUAGE
        return None

    def say(self, message: str, language: str | None = None, /, **values: object) -> str:
        """``message`` in ``language`` (the certificate's by default), its ``%(name)s``
        placeholders filled; a date value is written as that language writes dates."""
        chosen = language or self.language
        text = translations("certificate", chosen).gettext(message)
        if not values:
            return text
        shown = {
            key: format_date(value, chosen) if isinstance(value, date) else value
            for key, value in values.items()
        }
        return text % shown

    def pair(self, message: str, **values: object) -> tuple[str, str | None]:
        """``message`` in the certificate's language, and in English when the certificate is
        bilingual (``None`` otherwise, or when the two read the same)."""
        first = self.say(message, **values)
        second = None if self.second is None else self.say(message, self.second, **values)
        return first, (None if second == first else second)

    def date(self, day: date) -> str:
        return format_date(day, self.language)


ENGLISH = Words()
"""The words of an English page."""
