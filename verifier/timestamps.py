"""XML Schema ``dateTimeStamp`` values (VC Data Model 2.0 §5.8), read strictly into UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["DATE_TIME_STAMP", "parse_timestamp"]

DATE_TIME_STAMP = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|(24:00:00(\.0+)?))"
    r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def parse_timestamp(value: object) -> datetime:
    """A timezone-aware UTC datetime; ``ValueError`` for anything else."""
    if not isinstance(value, str) or not DATE_TIME_STAMP.fullmatch(value):
        raise ValueError("not an XML Schema dateTimeStamp")
    text = value.replace("Z", "+00:00")
    if "T24:00:00" in text:
        raise ValueError("24:00:00 is not supported")
    if "." in text:
        head, rest = text.split(".", 1)
        digits = re.match(r"[0-9]+", rest)
        assert digits is not None
        text = head + "." + digits.group(0)[:6].ljust(6, "0") + rest[digits.end() :]
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(str(exc)) from exc
