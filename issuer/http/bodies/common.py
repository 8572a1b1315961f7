"""Field types, validators and base models shared by every body of the back office API.

The string types bound their length and refuse control characters, the instants and days
their range; :class:`_In` forbids unknown fields. Request models are built of these, so a
body is either exactly what the API documents or a 422 problem.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
)

from schemas.languages import LANGUAGES

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(value: str) -> str:
    """Control characters (NUL above all, which PostgreSQL refuses) never enter the record,
    nor bidirectional overrides, which could make a published name read as another."""
    if any((ord(c) < 32 and c not in "\t\n\r") or c in _BIDI_CONTROLS for c in value):
        raise ValueError("control and bidirectional-override characters are not allowed")
    return value


def _sane_instant(value: datetime) -> datetime:
    """An instant with an offset, between 1900 and 9000, converted to UTC."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("the instant is out of range") from exc
    if not 1900 <= utc.year <= 9000:
        raise ValueError("the instant must lie between the years 1900 and 9000")
    return utc


def _sane_date(value: date) -> date:
    if not 1900 <= value.year <= 9000:
        raise ValueError("the date must lie between the years 1900 and 9000")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_sane_instant)]
"""A point in time from a client: it must carry its UTC offset (no guessing)."""
Day = Annotated[date, AfterValidator(_sane_date)]

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    AfterValidator(_printable),
]
Short = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000),
    AfterValidator(_printable),
]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_printable)]


def _offered(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"the languages offered are {', '.join(LANGUAGES)}")
    return value


Language = Annotated[
    str,
    AfterValidator(_offered),
    WithJsonSchema({"type": "string", "enum": list(LANGUAGES)}),
]
"""A language certreg speaks (``schemas.languages.LANGUAGES``), by its two-letter code."""
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"),
    AfterValidator(_printable),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)
