"""``certreg rosters``: a roster prepared by one person and granted by a decision-maker.

``prepare`` records a roster file for approval with a registrar's (or a decision-maker's)
token: each row is checked with its evidence, nothing is granted. ``approve`` grants it with
the token of a decision-maker who did not prepare it, issuing every row in their name
(:mod:`issuer.bulk.prepared`); run again, it finishes an approval that was interrupted.
``list`` and ``show`` say where rosters stand. Like the rest of the command line, the stores
are imported when a command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Final

import typer
from rich.console import Console

from issuer.cli.bulk import (
    A_DECISION_MAKER,
    CORES,
    DECIDING,
    Batch,
    Format,
    RosterFile,
    Workers,
    _format,
    with_progress,
)
from issuer.cli.common import _acting, _ensure_key, _fail, _open_store, _passphrase, _settings
from issuer.cli.options import BaseUrl, DataDir, Token
from issuer.model import Role, RosterState

if TYPE_CHECKING:
    from issuer.bulk.prepared import RosterApproval
    from issuer.model import PreparedRoster

__all__ = ["rosters_app"]

MARKDOWN: Final = "markdown"

rosters_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=MARKDOWN,
    help="Prepare a roster for a decision-maker to approve, approve one, and see where "
    "rosters stand.",
)

RosterId = Annotated[
    str, typer.Argument(help="the roster's id, as `certreg rosters prepare` printed it")
]
PREPARING = frozenset({Role.REGISTRAR, Role.DECISION_MAKER})


def _when(roster: PreparedRoster) -> str:
    return f"{roster.prepared_at:%Y-%m-%d %H:%M} UTC"


def _line(roster: PreparedRoster) -> str:
    approved = f", approved by {roster.approved_by}" if roster.approved_by else ""
    return (
        f"{roster.id}  {roster.state.value:<8}  {roster.rows} rows, prepared {_when(roster)} "
        f"by {roster.prepared_by}{approved}"
    )


@rosters_app.command("prepare")
def prepare(
    file: RosterFile,
    fmt: Format = None,
    token: Token = None,
    data_dir: DataDir = None,
) -> None:
    """Record a roster for a decision-maker to approve, and print its id.

    Give a registrar's or a decision-maker's token. Each row is checked as `certreg
    issue-bulk` checks it, the evidence of the examination included, except who decides:
    the decision-maker who approves it grants every row. Nothing is granted or issued yet.
    Rows refused are listed with their line number and the problem; the roster's id is
    printed alone on standard output. Exit 0 when every row was kept, 1 when some row was
    refused, 2 when the token is missing or refused."""
    from issuer.bulk.prepared import prepare_roster
    from issuer.bulk.rosters import read_rows
    from issuer.runtime import system_clock, system_entropy

    store = _open_store(_settings(data_dir))
    try:
        actor = _acting(store, token, PREPARING, "a registrar or a decision-maker")
        done = prepare_roster(
            store,
            read_rows(file, _format(file, fmt).value),
            actor=actor,
            clock=system_clock,
            entropy=system_entropy,
        )
    finally:
        store.dispose()
    err = Console(stderr=True)
    for item in done.rejected[:1000]:
        ident = "" if item.external_id is None else f" ({item.external_id})"
        err.print(f"row {item.row}{ident}: {item.problem}: {item.detail}", markup=False)
    err.print(
        f"roster prepared: {done.roster.rows} rows kept, {done.roster.rejected} refused",
        markup=False,
    )
    typer.echo(done.roster.id)
    if done.rejected:
        raise typer.Exit(1)


@rosters_app.command("approve")
def approve(
    roster_id: RosterId,
    token: Token = None,
    workers: Workers = CORES,
    batch: Batch = None,
    data_dir: DataDir = None,
    base_url: BaseUrl = None,
) -> None:
    """Approve a roster someone else prepared, granting and issuing every row in your name.

    Give your decision-maker's token. A row naming another decision-maker is refused, and so
    is a row whose person you examined, trained or declared a conflict with; you may not
    approve a roster you prepared yourself. Run it again to finish an approval that was
    interrupted: nothing is issued twice. Exit 0 when every row is issued, now or before; 1
    when some row was refused; 2 when the token is missing or refused, the roster does not
    exist, or another decision-maker approved it."""
    from issuer.bulk.prepared import approve_roster
    from issuer.credentials.identity import IssuerIdentity
    from issuer.credentials.keys import KeyRing
    from issuer.errors import IssuerError
    from issuer.runtime import system_clock, system_entropy

    settings = _settings(data_dir, base_url)
    passphrase = _passphrase(settings)
    store = _open_store(settings)
    out = Console()
    try:
        actor = _acting(store, token, DECIDING, A_DECISION_MAKER)
        _ensure_key(store, settings)

        def run(
            progress: Callable[[int], None] | None, on_total: Callable[[int], None] | None
        ) -> RosterApproval:
            return approve_roster(
                store,
                roster_id,
                actor=actor,
                clock=system_clock,
                entropy=system_entropy,
                keyring=KeyRing(passphrase=passphrase),
                identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
                list_entries=settings.status_list_entries,
                workers=workers,
                batch_size=batch,
                progress=progress,
                on_start=on_total,
            )

        try:
            done = with_progress(out, run)
        except IssuerError as exc:
            _fail(exc.detail)
    finally:
        store.dispose()
    for item in done.rejections[:1000]:
        ident = "" if item.external_id is None else f" ({item.external_id})"
        out.print(f"row {item.row}{ident}: {item.problem}: {item.detail}", markup=False)
    refused = sum(r.outcome == "rejected" for r in done.rows)
    issued = sum(r.outcome == "issued" for r in done.rows)
    before = sum(r.outcome == "already-issued" for r in done.rows)
    out.print(
        f"roster {done.roster.id} {done.roster.state.value}: {len(done.rows)} rows, "
        f"{issued} issued, {before} already issued, {refused} rejected",
        markup=False,
    )
    if refused:
        raise typer.Exit(1)


@rosters_app.command("list")
def list_rosters(
    state: Annotated[
        RosterState | None, typer.Option("--state", help="only rosters in this state")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """List rosters, newest first: id, state, rows, who prepared and who approved each."""
    store = _open_store(_settings(data_dir))
    try:
        with store.reading() as tx:
            rosters = tx.list_rosters(state=state, limit=1000)
    finally:
        store.dispose()
    for roster in rosters:
        typer.echo(_line(roster))


@rosters_app.command("show")
def show(roster_id: RosterId, data_dir: DataDir = None) -> None:
    """Show a roster: who prepared and approved it, its counts, and each row's outcome.
    Exit 2 if there is no such roster."""
    store = _open_store(_settings(data_dir))
    try:
        with store.reading() as tx:
            roster = tx.get_roster(roster_id)
            rows = [] if roster is None else tx.roster_rows(roster_id)
    finally:
        store.dispose()
    if roster is None:
        _fail("no such roster")
    typer.echo(_line(roster))
    token = roster.prepared_token_id or "-"
    typer.echo(f"prepared with token {token}; {roster.rejected} rows refused then")
    if roster.approved_by is not None:
        typer.echo(f"approved with token {roster.approved_token_id or '-'}")
    for row in rows:
        outcome = row.outcome or "waiting for approval"
        extra = row.certificate_number or row.problem or ""
        typer.echo(f"row {row.number} ({row.external_id}): {outcome} {extra}".rstrip())
