"""``certreg keys``: the signing keys — list, rotate, retire, declare compromised — and the
re-issue of what a compromised key signed.

``keys compromised`` is the whole recovery in one command: the key is marked compromised and
replaced (:func:`issuer.process.compromise.declare`, one transaction), then every valid
certificate and mark it signed is re-issued under the new key in batches, with the same
progress bar as ``issue-bulk`` (:func:`issuer.process.compromise.run_reissue`). We chose to
re-issue by default: a holder whose certificate reads "not valid" through no fault of their
own is the harm to undo, and nothing is gained by waiting. ``--no-reissue`` leaves it to
``keys reissue`` (or to ``certreg serve``, which does it by itself); either resumes an
interrupted run without re-issuing anything twice.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

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

from issuer.cli.common import _fail, _open_store, _passphrase, _settings, err
from issuer.cli.options import BaseUrl, DataDir
from issuer.credentials.signing import Algorithm

if TYPE_CHECKING:
    from issuer.process.compromise import Compromise, ReissueReport
    from issuer.settings import Settings
    from issuer.store import Store

__all__ = ["keys_app"]

_CLI = "system:cli"
MARKDOWN: Final = "markdown"

keys_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=MARKDOWN,
    help="Manage the keys that sign certificates, marks and status lists.",
)

_KID_ARGUMENT = {"ignore_unknown_options": True}
"""A kid is an RFC 7638 thumbprint in base64url, and one in 64 begins with ``-``: as
``keys list`` prints it, it must be taken as the KID argument, not refused as an unknown
option. These commands have no short options, so such a word reaches KID unchanged."""


NOTHING_OWED = "nothing to re-issue: no valid certificate or mark is signed by a compromised key"

Kid = Annotated[str, typer.Argument(help="the key's id, as `certreg keys list` shows it")]


def _keys_store(data_dir: Path | None, base_url: str | None = None) -> tuple[Settings, Store]:
    settings = _settings(data_dir, base_url)
    return settings, _open_store(settings)


@keys_app.command("list")
def keys_list(data_dir: DataDir = None) -> None:
    """List the signing keys: key id, algorithm, state and creation date.

    A key is active (it signs), retired (it no longer signs, and stays published while
    anything it signed is still valid) or compromised (published as revoked)."""
    _, store = _keys_store(data_dir)
    with store.transaction() as tx:
        for key in tx.list_signing_keys():
            typer.echo(
                f"{key.kid}  {key.alg:5}  {key.state.value:11}  created {key.created_at:%Y-%m-%d}"
            )


@keys_app.command("rotate")
def keys_rotate(
    data_dir: DataDir = None,
    alg: Annotated[
        Algorithm | None,
        typer.Option("--alg", help="the new key's algorithm (or CERTREG_SIGNING_ALG)"),
    ] = None,
) -> None:
    """Start signing with a new key, and print its id.

    The key it replaces is retired: it signs nothing more, and stays published while any
    credential it signed is still valid, so those credentials keep verifying."""
    from issuer.credentials import keys
    from issuer.runtime import system_clock

    settings, store = _keys_store(data_dir)
    with store.transaction() as tx:
        key = keys.rotate(
            tx,
            alg=alg or Algorithm(settings.signing_alg),
            passphrase=_passphrase(settings),
            now=system_clock(),
            actor=_CLI,
        )
    typer.echo(key.kid)


@keys_app.command("retire", context_settings=_KID_ARGUMENT)
def keys_retire(kid: Kid, data_dir: DataDir = None) -> None:
    """Stop signing with the key KID, as `certreg keys list` shows it.

    Retiring the active key starts a new one. Prints the key id and its state; exit 2 if
    there is no such key or it is marked compromised."""
    from issuer.credentials import keys
    from issuer.errors import IssuerError
    from issuer.runtime import system_clock

    settings, store = _keys_store(data_dir)
    try:
        with store.transaction() as tx:
            key = keys.retire(
                tx, kid=kid, passphrase=_passphrase(settings), now=system_clock(), actor=_CLI
            )
    except IssuerError as exc:
        _fail(exc.detail)
    typer.echo(f"{key.kid} {key.state.value}")


NoReissue = Annotated[
    bool,
    typer.Option(
        "--no-reissue",
        help="only declare the key compromised; re-issue later with `certreg keys reissue`"
        " (a running `certreg serve` also re-issues by itself)",
    ),
]


@keys_app.command("compromised", context_settings=_KID_ARGUMENT)
def keys_compromised(
    kid: Kid, no_reissue: NoReissue = False, data_dir: DataDir = None, base_url: BaseUrl = None
) -> None:
    """Declare the key KID compromised, and re-issue what it signed under a new key.

    Verifiers then refuse everything KID signed. If KID was the key that signs, a new key of
    its kind signs from now on. The public registry is sent, at once, the keys with KID
    marked revoked, and every status list and register entry signed again by the active
    key: a running `certreg serve` publishes them within a second (otherwise start it, or
    run `certreg registry rebuild`).

    Then every valid certificate and mark KID signed is re-issued under the active key, in
    batches, with a progress bar: the old one is marked replaced (its QR code says so and
    points to the new one), a suspended certification stays suspended, and a notice to each
    holder is queued for staff to send with the new certificate. Withdrawn and expired
    certifications are not re-issued. If the run is interrupted, run `certreg keys reissue`
    (or this command again): nothing is re-issued twice.

    Prints the key id and its state, then the new key's id and `active` if one was made,
    then what was re-issued. Exit 2 if there is no such key; exit 1 if some certification
    could not be re-issued yet."""
    from issuer.errors import IssuerError
    from issuer.process import compromise
    from issuer.runtime import system_clock

    settings, store = _keys_store(data_dir, base_url)
    try:
        with store.transaction() as tx:
            declared = compromise.declare(
                tx,
                kid=kid,
                passphrase=lambda: _passphrase(settings),
                now=system_clock(),
                actor=_CLI,
            )
    except IssuerError as exc:
        _fail(exc.detail)
    _report_declared(declared)
    if no_reissue:
        if declared.owed:
            err.print(
                f"{_certifications(declared.owed)} to re-issue: run `certreg keys reissue`"
                " (a running `certreg serve` re-issues them by itself)",
                markup=False,
                soft_wrap=True,
            )
        return
    if not declared.owed:
        typer.echo(NOTHING_OWED)
        return
    _reissue(settings, store, declared.owed)


@keys_app.command("reissue")
def keys_reissue(data_dir: DataDir = None, base_url: BaseUrl = None) -> None:
    """Re-issue, under the active key, every valid certificate and mark a compromised key
    signed.

    `certreg keys compromised` does this by itself unless told `--no-reissue`; run this
    command after such a run, or to finish one that was interrupted: what was re-issued
    before is not re-issued again. Works in batches, with a progress bar, while `certreg
    serve` may be doing the same. Prints how many certificates and marks were re-issued and
    notices queued. Exit 0 when nothing is left to re-issue, 1 when some certification
    could not be re-issued yet."""
    from issuer.process import compromise
    from issuer.runtime import system_clock

    settings, store = _keys_store(data_dir, base_url)
    with store.reading() as reader:
        total = compromise.owed(reader, now=system_clock())
    if not total:
        typer.echo(NOTHING_OWED)
        return
    _reissue(settings, store, total)


def _certifications(count: int) -> str:
    return f"{count} certification{'' if count == 1 else 's'}"


def _report_declared(declared: Compromise) -> None:
    key, successor = declared.key, declared.successor
    typer.echo(f"{key.kid} {key.state.value}")
    if successor is not None:
        typer.echo(f"{successor.kid} {successor.state.value}")
        err.print(
            f"the new key {successor.kid} ({successor.alg}) signs from now on", soft_wrap=True
        )
    if not declared.newly:
        err.print("the key was declared compromised before: nothing new to publish", soft_wrap=True)
        return
    counts = declared.republished
    parts = [f"the keys, with {key.kid} marked revoked"]
    for kind, one, many in (
        ("status-list", "status list", "status lists"),
        ("scheme", "scheme description", "scheme descriptions"),
        ("register-entry", "register entry", "register entries"),
    ):
        if counts.get(kind):
            parts.append(f"{counts[kind]} {one if counts[kind] == 1 else many}")
    err.print(
        "queued for the public registry: "
        + ", ".join(parts)
        + ", signed again by the active key; a running `certreg serve` publishes them at once",
        markup=False,
        soft_wrap=True,
    )


def _reissue(settings: Settings, store: Store, total: int) -> None:
    """Run the re-issue with a progress bar on a terminal, then print what it did."""
    from issuer.credentials.identity import IssuerIdentity
    from issuer.credentials.issuance import IssuanceContext
    from issuer.credentials.keys import KeyRing
    from issuer.errors import IssuerError
    from issuer.process import compromise
    from issuer.runtime import system_clock, system_entropy

    context = IssuanceContext(
        identity=IssuerIdentity(base_url=settings.base_url, name=settings.body_name),
        keyring=KeyRing(passphrase=_passphrase(settings)),
        list_entries=settings.status_list_entries,
    )
    out = Console()

    def run(progress: Callable[[int], None] | None = None) -> ReissueReport:
        return compromise.run_reissue(
            store,
            context=context,
            clock=system_clock,
            entropy=system_entropy,
            actor=_CLI,
            progress=progress,
        )

    try:
        if total and sys.stdout.isatty():
            columns = (
                TextColumn("re-issuing"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, console=out) as bar:
                task = bar.add_task("reissue", total=total)
                report = run(lambda done: bar.advance(task, done))
        else:
            report = run()
    except IssuerError as exc:
        _fail(f"the re-issue stopped: {exc.detail}; what was re-issued before stays re-issued")
    finally:
        store.dispose()
    _summary(report, out)
    if report.remaining:
        raise typer.Exit(1)


def _summary(report: ReissueReport, out: Console) -> None:
    marks = f", {report.marks} mark{'' if report.marks == 1 else 's'}" if report.marks else ""
    out.print(
        f"re-issued {_certifications(report.certifications)}: {report.certificates} "
        f"certificate{'' if report.certificates == 1 else 's'}{marks}; "
        f"{report.notices} notice{'' if report.notices == 1 else 's'} to holders queued",
        markup=False,
        soft_wrap=True,
    )
    if report.remaining:
        out.print(
            f"{_certifications(report.remaining)} still to re-issue (another run holds them,"
            " or a mark's holder agreed to no mark rules): run `certreg keys reissue` again",
            markup=False,
            soft_wrap=True,
        )
