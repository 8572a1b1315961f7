"""The management system's reports as spreadsheets read them: CSV, one row per figure.

The management review, the examiner monitoring report and the regulators' aggregated
figures answer JSON, which nests (certifications by scheme by kind; appeals decided by
outcome). A spreadsheet user filters columns, so every figure here is one row:
:data:`CSV_COLUMNS` — the section and, where the figure belongs to one, the scheme (its code
and its title), the group (an outcome, a subject, a state, an examiner, an examination day),
the measure (the JSON's own key, so the two formats name a figure alike), the value, its
unit, and the period it covers: the report's period (``from/to``, an ISO 8601 interval) for
what happened in it, or the single day (``as_of``) for what is still open then. A figure
with no value (a mean over no case; a regulator's count from 1 to 4) has an empty value and
a note saying why.

The file is what Excel and LibreOffice open without asking: UTF-8 with a byte order mark
(without it Excel reads "Schweißaufsicht" as "SchweiÃŸaufsicht"), CRLF line ends and RFC 4180
quoting. Every cell goes through :func:`issuer.process.regulators.csv_cell`, so a scheme title
someone typed as ``=HYPERLINK(…)`` is shown as text, never run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from issuer.process import monitoring
from issuer.process.regulators import csv_cell
from issuer.store import Reader

__all__ = [
    "CSV_COLUMNS",
    "ReviewDocument",
    "examiner_csv",
    "regulator_csv",
    "review_csv",
    "review_document",
    "scheme_titles",
]

CSV_COLUMNS = (
    "section",
    "scheme",
    "scheme_title",
    "group",
    "measure",
    "value",
    "unit",
    "period",
    "note",
)

_BOM = "\ufeff"
_AS_OF = {
    ("appeals", "overdue"),
    ("complaints", "overdue"),
    ("impartiality_risks", "open_by_state"),
    ("impartiality_risks", "open_by_level"),
    ("impartiality_risks", "overdue_for_review"),
    ("surveillance", "late"),
    ("findings", "overdue"),
    ("corrective_actions", "overdue"),
    ("corrective_actions", "by_state_now"),
    ("publication", "waiting"),
    ("publication", "oldest_waiting_since"),
}
"""The figures counted on the day ``as_of`` rather than over the period."""
_EXAMINER_MEASURES = (
    ("held", "examinations"),
    ("pass_rate", "ratio"),
    ("peers_held", "examinations"),
    ("peers_pass_rate", "ratio"),
    ("score_mean", "ratio"),
    ("score_spread", "ratio"),
    ("irregularities", "examinations"),
    ("identity_check_failures", "examinations"),
)
_NO_CASE = "no case in the period"
_WITHHELD = "withheld: fewer than 5"


@dataclass(frozen=True, slots=True)
class ReviewDocument:
    """Everything the printed management review shows, read in one unit of work."""

    body_name: str
    generated_at: datetime
    review: dict[str, Any]
    """The figures of :func:`issuer.process.monitoring.management_review`."""
    examiners: tuple[monitoring.ExaminerFigures, ...]
    """Each examiner's pass rate beside their scheme peers' over the period."""
    findings_by_state: dict[str, int]
    """Every finding by its state now: the corrective actions open and closed."""
    scheme_titles: dict[str, str]


def scheme_titles(tx: Reader) -> dict[str, str]:
    """Each scheme's current title by its code, so a reader sees which scheme a code is."""
    return {s.code: s.current.content.title for s in tx.list_schemes()}


def review_document(
    tx: Reader, *, first: date, last: date, now: datetime, body_name: str
) -> ReviewDocument:
    """The management review and what its charts need, as of ``now``."""
    review = monitoring.management_review(tx, first=first, last=last, today=now.date())
    examiners, _ = monitoring.examiner_report(tx, first=first, last=last)
    return ReviewDocument(
        body_name=body_name,
        generated_at=now,
        review=review,
        examiners=tuple(examiners),
        findings_by_state=tx.finding_states(),
        scheme_titles=scheme_titles(tx),
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unit(measure: str) -> str:
    if measure.startswith("mean_days"):
        return "days"
    if measure.endswith("_seconds_to_publish"):
        return "seconds"
    return "instant" if measure.endswith("_since") else "count"


class _Rows:
    """Rows of one report, each figure with its scheme's title and its period."""

    def __init__(self, *, period: dict[str, str], titles: dict[str, str], missing: str) -> None:
        self._over = f"{period['from']}/{period['to']}"
        self._as_of = period.get("as_of", period["to"])
        self._titles = titles
        self._missing = missing
        self.rows: list[tuple[str, ...]] = []

    def add(
        self,
        section: str,
        measure: str,
        value: Any,
        *,
        scheme: str = "",
        group: str = "",
        unit: str = "count",
        on_day: bool = False,
        missing: str | None = None,
    ) -> None:
        note = (missing or self._missing) if value is None else ""
        self.rows.append(
            (
                section,
                scheme,
                self._titles.get(scheme, ""),
                group,
                measure,
                _text(value),
                unit,
                self._as_of if on_day else self._over,
                note,
            )
        )

    def figures(self, figures: dict[str, Any], *, skip: Iterable[str] = ()) -> None:
        """Every section of a review's figures: a count, a mean, or counts by group;
        certifications by scheme; the examiner and session flags one row per flag."""
        for section, content in figures.items():
            if section in skip:
                continue
            if section == "certifications":
                for scheme, kinds in content.items():
                    for kind, n in kinds.items():
                        self.add(section, kind, n, scheme=scheme, unit="decisions")
            elif section in ("examiner_flags", "session_flags"):
                who = "examiner_id" if section == "examiner_flags" else "day"
                for row in content:
                    for flag in row["flags"]:
                        self.add(
                            section, flag, 1, scheme=row["scheme"], group=row[who], unit="flag"
                        )
            else:
                self._section(section, content)

    def _section(self, section: str, content: dict[str, Any]) -> None:
        for measure, value in content.items():
            on_day = (section, measure) in _AS_OF
            if isinstance(value, dict):
                for group, n in value.items():
                    self.add(section, measure, n, group=group, on_day=on_day)
            else:
                self.add(section, measure, value, unit=_unit(measure), on_day=on_day)

    def examiners(self, section: str, figures: Iterable[monitoring.ExaminerFigures]) -> None:
        for f in figures:
            for measure, unit in _EXAMINER_MEASURES:
                value = getattr(f, measure)
                self.add(section, measure, value, scheme=f.scheme, group=f.key, unit=unit)
            for flag in f.flags:
                self.add(section, flag, 1, scheme=f.scheme, group=f.key, unit="flag")


def _encoded(rows: Iterable[tuple[str, ...]]) -> bytes:
    """UTF-8 with a byte order mark, CRLF, RFC 4180 quoting, every cell formula-safe."""
    buffer = io.StringIO()
    buffer.write(_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def review_csv(review: dict[str, Any], titles: dict[str, str]) -> bytes:
    """The management review (:func:`issuer.process.monitoring.management_review`) as CSV."""
    rows = _Rows(period=review["period"], titles=titles, missing=_NO_CASE)
    rows.figures(review, skip=("period",))
    return _encoded(rows.rows)


def examiner_csv(
    examiners: Iterable[monitoring.ExaminerFigures],
    sessions: Iterable[monitoring.ExaminerFigures],
    *,
    first: date,
    last: date,
    titles: dict[str, str],
) -> bytes:
    """The examiner monitoring report as CSV: per examiner (``examiners``, the group is the
    examiner's staff id) and per examination day (``sessions``), each figure and flag."""
    period = {"from": first.isoformat(), "to": last.isoformat()}
    rows = _Rows(period=period, titles=titles, missing=_NO_CASE)
    rows.examiners("examiners", examiners)
    rows.examiners("sessions", sessions)
    return _encoded(rows.rows)


def regulator_csv(figures: dict[str, Any], titles: dict[str, str]) -> bytes:
    """The regulators' aggregated figures (:func:`issuer.process.regulator_reports.
    aggregated_review`) as CSV: the same counts, the withheld ones empty with a note."""
    rows = _Rows(period=figures["period"], titles=titles, missing=_WITHHELD)
    rows.figures(figures, skip=("period", "withheld_below"))
    return _encoded(rows.rows)
