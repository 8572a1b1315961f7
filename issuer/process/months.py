"""Calendar months, as certification cycles and surveillance intervals count them.

A module of its own, below the decisions, the lifecycle and the surveillance schedule, so
that each counts months the same way without importing the others.
"""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["add_months"]


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
