"""``certreg token`` and ``certreg staff``: who may act for the body, from the server.

Tokens are made (for a new staff member, for an existing one, or for a regulator), listed
and revoked; staff members are listed, deactivated and reactivated. Whoever runs these on
the server answers for the body, so the rules of :mod:`issuer.process.access` trust them: a
decision-maker's token is made here, never by an administrator's token. Each change is
audited as the command line's (``system:cli``). Like the rest of the command line, the
stores are imported when a command runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Final

import typer

from issuer.cli.common import _fail, _open_store, _settings, err
from issuer.cli.options import DataDir
from issuer.model import Role

if TYPE_CHECKING:
    from issuer.store import Store

__all__ = ["staff_app", "token_app"]

_CLI = "system:cli"
MARKDOWN: Final = "markdown"

token_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=MARKDOWN,
    help="Create, list and revoke the API tokens of staff members and regulators.",
)
staff_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=MARKDOWN,
    help="List staff members, and deactivate or reactivate them.",
)

TokenId = Annotated[str, typer.Argument(help="the token's id, as `certreg token list` shows it")]
StaffId = Annotated[
    str, typer.Argument(help="the staff member's id, as `certreg staff list` shows it")
]


def _store(data_dir: DataDir) -> Store:
    return _open_store(_settings(data_dir))


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option("--role", help="what the token may do")],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="the new staff member's name, or for a regulator the authority's name; with "
            "--staff-id, a label for the token (their name by default)",
        ),
    ] = None,
    staff_id: Annotated[
        str | None,
        typer.Option(
            "--staff-id",
            help="make the token for this existing staff member, who must hold the role and "
            "be active, instead of recording a new one",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create a staff member with a role and print their API token, or a regulator's token.

    With `--staff-id`, the token is for a staff member already recorded: a decision-maker's
    first token, or a new one after theirs was revoked, is made this way, since an
    administrator cannot make a decision-maker's token. The token is printed once, alone on
    standard output, so a script can capture it; only its digest is stored. A regulator
    token opens `/regulator/v1` only and belongs to no staff member: name the authority,
    since that name is what a person is told when their data is disclosed to it. Exit 2 if
    the token cannot be made (no such staff member, a role they do not hold, a deactivated
    member)."""
    from issuer.errors import IssuerError
    from issuer.process import staff as staff_records
    from issuer.runtime import system_clock, system_entropy

    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            _fail("--name must be 1-200 characters")
    if name is None and staff_id is None:
        _fail("give --name for a new staff member or a regulator, or --staff-id")
    store = _store(data_dir)
    try:
        with store.transaction() as tx:
            if staff_id is None:
                assert name is not None
                _, secret = staff_records.enrol(
                    tx,
                    actor=_CLI,
                    now=system_clock(),
                    entropy=system_entropy,
                    name=name,
                    role=role,
                )
            else:
                member = staff_records.get_staff(tx, staff_id)
                _, secret = staff_records.create_token(
                    tx,
                    actor=_CLI,
                    now=system_clock(),
                    entropy=system_entropy,
                    name=name or member.name,
                    role=role,
                    staff_id=staff_id,
                )
    except IssuerError as exc:
        _fail(exc.detail)
    typer.echo(secret)


@token_app.command("list")
def token_list(
    staff_id: Annotated[
        str | None, typer.Option("--staff-id", help="only this staff member's tokens")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """List the tokens, revoked ones included, oldest first; never a token itself.

    One line each: the token's id, whether it is a staff member's or a regulator's, its
    role, the staff member's id (`-` for a regulator), when it was made, when it was
    revoked (or `live`), and its name."""
    with _store(data_dir).reading() as tx:
        for token in tx.list_tokens(staff_id=staff_id):
            kind = "regulator" if token.staff_id is None else "staff"
            ended = "live" if token.revoked_at is None else f"revoked {_when(token.revoked_at)}"
            typer.echo(
                f"{token.id}  {kind:9}  {token.role.value:14}  {token.staff_id or '-':36}  "
                f"created {_when(token.created_at)}  {ended}  {token.name}"
            )


@token_app.command("revoke")
def token_revoke(token_id: TokenId, data_dir: DataDir = None) -> None:
    """Revoke the token TOKEN_ID: it is refused from its next request on, for good.

    A staff member's or a regulator's token alike. Prints the token's id and when it was
    revoked; exit 2 if there is no such token or it was already revoked."""
    from issuer.errors import IssuerError
    from issuer.process import access
    from issuer.runtime import system_clock

    try:
        with _store(data_dir).transaction() as tx:
            token = access.revoke_token(tx, actor=_CLI, now=system_clock(), token_id=token_id)
    except IssuerError as exc:
        _fail(exc.detail)
    assert token.revoked_at is not None
    typer.echo(f"{token.id} revoked {_when(token.revoked_at)}")


@staff_app.command("list")
def staff_list(data_dir: DataDir = None) -> None:
    """List the staff members: id, active or deactivated, roles and name."""
    with _store(data_dir).reading() as tx:
        for member in tx.list_staff():
            state = "active" if member.active else "deactivated"
            roles = ",".join(sorted(r.value for r in member.roles)) or "-"
            typer.echo(f"{member.id}  {state:11}  {roles}  {member.name}")


@staff_app.command("deactivate")
def staff_deactivate(staff_id: StaffId, data_dir: DataDir = None) -> None:
    """Deactivate the staff member STAFF_ID: every token of theirs stops at once, for good.

    They can be given no role or token until reactivated. Prints how many tokens were
    revoked; exit 2 if there is no such staff member or they are already deactivated."""
    from issuer.errors import IssuerError
    from issuer.process import access
    from issuer.runtime import system_clock

    try:
        with _store(data_dir).transaction() as tx:
            live = [t for t in tx.list_tokens(staff_id=staff_id) if t.revoked_at is None]
            member = access.deactivate(tx, actor=_CLI, now=system_clock(), staff_id=staff_id)
    except IssuerError as exc:
        _fail(exc.detail)
    typer.echo(f"{member.id} deactivated; {len(live)} token(s) revoked")


@staff_app.command("reactivate")
def staff_reactivate(staff_id: StaffId, data_dir: DataDir = None) -> None:
    """Reactivate the staff member STAFF_ID, so they may be given roles and tokens again.

    No token of theirs comes back: make a new one with `certreg token create --staff-id`.
    Exit 2 if there is no such staff member or they are active."""
    from issuer.errors import IssuerError
    from issuer.process import access
    from issuer.runtime import system_clock

    try:
        with _store(data_dir).transaction() as tx:
            member = access.reactivate(tx, actor=_CLI, now=system_clock(), staff_id=staff_id)
    except IssuerError as exc:
        _fail(exc.detail)
    typer.echo(f"{member.id} active")
    err.print("no earlier token works again: make a new one with `certreg token create`")
