"""``certreg issue-bulk``: a decision-maker grants and issues a roster file (CSV or JSON
lines) through :mod:`issuer.bulk.issuance`.

Only a decision-maker grants (ISO/IEC 17024 9.4): the command takes a decision-maker's
token (``--token`` or ``CERTREG_TOKEN``), checked against the store as the API checks it,
and every row becomes that decision-maker's grant, audited in their name. With a terminal
on standard output a progress bar shows the rate and the time left; otherwise only the
summary is printed, so logs and scripts stay plain. Rejected rows are listed with their
line number and problem kind. The exit status is 0 when every row is issued or was issued
before, 1 when some row was rejected, 2 when the token is missing or refused.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from issuer.cli.common import _acting, _ensure_key, _open_store, _passphrase, _settings
from issuer.cli.options import BaseUrl, DataDir, Token
from issuer.model import Role

if TYPE_CHECKING:
    from issuer.bulk.report import BatchReport

__all__ = ["RosterFormat", "issue_bulk", "with_progress"]

T = TypeVar("T")

DECIDING = frozenset({Role.DECISION_MAKER})
A_DECISION_MAKER = "a decision-maker"


class RosterFormat(enum.StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def _format(path: Path, given: RosterFormat | None) -> RosterFormat:
    if given is not None:
        return given
    return RosterFormat.CSV if path.suffix.lower() == ".csv" else RosterFormat.JSONL


def _summary(report: BatchReport, out: Console) -> None:
    for item in report.rejections[:1000]:
        ident = "" if item.external_id is None else f" ({item.external_id})"
        out.print(f"row {item.row}{ident}: {item.problem}: {item.detail}", markup=False)
    if len(report.rejections) > 1000:
        out.print(f"… and {len(report.rejections) - 1000} more rejected rows", markup=False)
    out.print(
        f"batch {report.batch_id}: {report.rows} rows, {report.issued} issued, "
        f"{report.already_issued} already issued, {report.rejected} rejected "
        f"in {report.seconds:.1f} s ({report.rate:.0f} rows/s)",
        markup=False,
    )


def with_progress(
    out: Console,
    run: Callable[[Callable[[int], None] | None, Callable[[int], None] | None], T],
    total: int | None = None,
) -> T:
    """``run(progress, on_total)`` under a progress bar when standard output is a terminal
    (``on_total`` sets the bar's total once it is known), plainly otherwise."""
    if not sys.stdout.isatty():
        return run(None, None)
    columns = (
        TextColumn("issuing"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:>7.0f} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=out) as bar:
        task = bar.add_task("issue", total=total, rate=0.0)

        def advance(done: int) -> None:
            bar.advance(task, done)
            speed = bar.tasks[0].speed
            bar.update(task, rate=speed or 0.0)

        def on_total(count: int) -> None:
            bar.update(task, total=count)

        return run(advance, on_total)


CORES = max(os.cpu_count() or 1, 1)
"""Processes ``--workers`` uses by default: one per core."""

Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="processes to use, this one included (1: this one alone); on SQLite one of"
        " them writes to the store while the others sign",
    ),
]
RosterFile = Annotated[
    Path,
    typer.Argument(
        exists=True,
        dir_okay=False,
        readable=True,
        help="the roster: CSV, or JSON lines (one object a line)",
    ),
]
Format = Annotated[
    RosterFormat | None,
    typer.Option("--format", help="csv or jsonl (default: csv for a .csv file, else jsonl)"),
]
Batch = Annotated[
    int | None,
    typer.Option(
        "--batch",
        min=1,
        max=10_000,
        help="rows per transaction (default: 10,000 with a writing process, else 5,000)",
        show_default=False,
    ),
]


def issue_bulk(
    file: RosterFile,
    fmt: Format = None,
    workers: Workers = CORES,
    batch: Batch = None,
    token: Token = None,
    data_dir: DataDir = None,
    base_url: BaseUrl = None,
) -> None:
    """Grant and issue, as the decision-maker whose token you give, the certificates of a
    roster of people examined.

    Each row names a person, a scheme, the scope granted, the effective date and the
    evidence of the examination; docs/BULK.md lists the columns. Every row becomes your
    own grant: a row naming another decision-maker is refused, and so is a row whose
    person you examined, trained or declared a conflict with. Rerunning the same file
    issues nothing twice, since each row's `external_id` identifies it, so an interrupted
    run is resumed by running it again. Rejected rows are listed with their line number and
    the problem, then a summary with the counts and the rate. Exit 0 when every row is
    issued, now or before; 1 when some row was rejected; 2 when the token is missing, is
    not a decision-maker's, or was revoked. A registrar prepares a roster with `certreg
    rosters prepare` instead, for a decision-maker to approve."""
    from issuer.bulk.issuance import issue_batch
    from issuer.bulk.rosters import count_rows, read_rows
    from issuer.credentials.identity import IssuerIdentity
    from issuer.credentials.keys import KeyRing
    from issuer.runtime import system_clock, system_entropy

    settings = _settings(data_dir, base_url)
    passphrase = _passphrase(settings)
    store = _open_store(settings)
    try:
        actor = _acting(store, token, DECIDING, A_DECISION_MAKER)
        _ensure_key(store, settings)
        kind = _format(file, fmt)
        out = Console()

        def run(
            progress: Callable[[int], None] | None, _: Callable[[int], None] | None
        ) -> BatchReport:
            return issue_batch(
                store,
                read_rows(file, kind.value),
                clock=system_clock,
                entropy=system_entropy,
                keyring=KeyRing(passphrase=passphrase),
                identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
                acting_decision_maker=actor.staff(),
                workers=workers,
                batch_size=batch,
                list_entries=settings.status_list_entries,
                actor=actor.audit_name,
                progress=progress,
            )

        total = count_rows(file, kind.value) if sys.stdout.isatty() else None
        report = with_progress(out, run, total)
    finally:
        store.dispose()
    _summary(report, out)
    if report.rejected:
        raise typer.Exit(1)
