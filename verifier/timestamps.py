"""XML Schema ``dateTimeStamp`` values (VC Data Model 2.0 §5.8), read strictly and exactly.

One reader for every date the verifier meets (a credential's validity period, a status
list's, a bundle's creation time). An instant is seconds since 1970 plus the fraction's
digits, computed in the proleptic Gregorian calendar, so any year the grammar admits
(``-0001``, ``10000``) and ``24:00:00`` compare correctly — ``datetime`` cannot hold them.
The usual ``2026-11-25T00:00:00Z`` form takes a fast path in C.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from verifier.memo import TextMemo

__all__ = ["DATE_TIME_STAMP", "Instant", "instant", "parse_timestamp"]

DATE_TIME_STAMP = re.compile(
    r"(-?(?:[1-9][0-9]{3,}|0[0-9]{3}))-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(?:([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(?:\.([0-9]+))?|(24):(00):(00)(?:\.(0+))?)"
    r"(?:(Z)|([+-])(?:(0[0-9]|1[0-3]):([0-5][0-9])|(14):(00)))"
)
"""VCDM 2.0 §5.8 (XML Schema 1.1 dateTimeStamp): the time zone is mandatory."""
_SIMPLE_STAMP = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-[0-3][0-9]T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Instant(NamedTuple):
    """Seconds since 1970 (UTC) and the fraction's digits without trailing zeros; tuples of
    these compare in time order (digit strings compare like the fractions they spell)."""

    seconds: int
    fraction: str = ""

    def timestamp(self) -> float:
        return self.seconds + (float("0." + self.fraction) if self.fraction else 0.0)


def instant(value: object) -> Instant:
    """The instant a dateTimeStamp names; ``ValueError`` for anything else."""
    if type(value) is str:
        known = _instants_known(value)
        return _instants(value) if known is None else known
    if not isinstance(value, str):
        raise ValueError("not an XML Schema dateTimeStamp")
    return _read(value)


def _read(value: str) -> Instant:
    if _SIMPLE_STAMP.fullmatch(value) is not None:
        try:
            return Instant(int(datetime.fromisoformat(value).timestamp()))
        except ValueError:
            pass  # year 0000, or a day the month lacks: the general path decides
    match = DATE_TIME_STAMP.fullmatch(value)
    if match is None:
        raise ValueError("not an XML Schema dateTimeStamp")
    g = match.groups()
    year, month, day = int(g[0]), int(g[1]), int(g[2])
    if day > 28 and day > _month_length(year, month):
        raise ValueError("a day that the month does not have")
    if g[3] is not None:
        hour, minute, second, fraction = int(g[3]), int(g[4]), int(g[5]), g[6] or ""
    else:
        hour, minute, second, fraction = 24, 0, 0, ""
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    if g[11] is None:  # not "Z": an offset of ±hh:mm, at most 14:00
        offset = int(g[13]) * 3600 + int(g[14]) * 60 if g[13] is not None else 14 * 3600
        seconds += -offset if g[12] == "+" else offset
    return Instant(seconds, fraction.rstrip("0"))


_instants = TextMemo(_read, max_entries=1024, max_length=40)
"""Every credential is read twice (its shape, then its validity window), and one issuer's
credentials share a handful of dates."""
_instants_known = _instants.known


def parse_timestamp(value: object) -> datetime:
    """A timezone-aware UTC datetime (microseconds); ``ValueError`` for anything else,
    including instants outside ``datetime``'s years 1–9999."""
    when = instant(value)
    micro = int(when.fraction[:6].ljust(6, "0")) if when.fraction else 0
    try:
        return _EPOCH + timedelta(seconds=when.seconds, microseconds=micro)
    except OverflowError as exc:
        raise ValueError("outside the years a datetime can hold") from exc


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar, for any year."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468
