"""``certreg audit``: the audit log checked whole, its chain and its end.

``certreg audit verify`` walks the hash chain, then checks the log's end against the latest
audit checkpoint the registry holds (:func:`issuer.publication.audit_check.verify_audit`):
read from ``CERTREG_REGISTRY_URL`` when it is set (the public ``/audit/checkpoint``, no
secret needed), else from the registry's store beside the back office's, as the all-in-one
server keeps it. The store is only read, never created or migrated: a registry that cannot
be read leaves the end unconfirmed, with the reason, and a distinct exit status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from issuer.cli.common import _open_store, _settings, err
from issuer.cli.options import DataDir

if TYPE_CHECKING:
    from issuer.publication.checkpoints import CheckpointSource
    from issuer.settings import Settings

__all__ = ["audit_app"]

audit_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Check that the audit log of every recorded change has not been tampered with.",
)

CUT = 1
"""The exit status of a log changed inside or cut at its end."""
UNCONFIRMED = 2
"""The exit status of a log whose end could not be checked against the registry."""


class _RegistryStoreCheckpoints:
    """The checkpoint in the registry's store beside the back office's, read when asked: a
    store that cannot be read (a file missing, a server down, tables never created) is a
    registry that cannot be reached, not a failure of the command."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def audit_checkpoint(self) -> str | None:
        from issuer.publication.outbox import PublisherUnavailable
        from registry import RegistryStore
        from schemas.publication import AUDIT_CHECKPOINT_KEY, DocumentKind

        settings = self._settings
        default = settings.data_dir / "registry.sqlite3"
        if settings.registry_database_url is None and not default.is_file():
            raise PublisherUnavailable(
                f"there is no registry store at {default}, and CERTREG_REGISTRY_URL is not set"
            )
        store = RegistryStore.from_url(settings.registry_store_url)
        try:
            document = store.get(DocumentKind.AUDIT_CHECKPOINT.value, AUDIT_CHECKPOINT_KEY)
        except Exception as exc:  # whatever the driver raises: this store cannot be read
            raise PublisherUnavailable(f"the registry's store cannot be read: {exc}") from exc
        finally:
            store.dispose()
        return None if document is None else document.body


def _checkpoints(settings: Settings) -> CheckpointSource:
    if settings.registry_url is not None:
        import httpx

        from issuer.publication.publishers import HttpCheckpoints

        return HttpCheckpoints(httpx.Client(base_url=settings.registry_url, timeout=10))
    return _RegistryStoreCheckpoints(settings)


@audit_app.command("verify")
def audit_verify(data_dir: DataDir = None) -> None:
    """Check the audit log: its hash chain, from the first recorded change to the last, and
    that nothing was cut off its end.

    Entries deleted from the end of the log leave a chain that is consistent, only shorter;
    the registry keeps a signed checkpoint of how far the log went, which shows them. It is
    read from `CERTREG_REGISTRY_URL` when that is set, else from the registry's store beside
    the back office's.

    Exit 0 when the chain is intact and passes through the registry's latest checkpoint.
    Exit 1, naming the first entry affected, when an entry was changed, deleted, inserted or
    reordered, or entries were cut off the end. Exit 2 when the chain is intact but its end
    could not be checked (the registry cannot be reached, or holds no checkpoint yet), with
    a warning saying why."""
    from issuer.publication.audit_check import EndCheck, verify_audit

    settings = _settings(data_dir)
    store = _open_store(settings)
    try:
        verification = verify_audit(store, _checkpoints(settings))
    finally:
        store.dispose()
    chain, checkpoint = verification.chain, verification.checkpoint
    cut = verification.end is EndCheck.CUT
    if chain.break_ is not None:
        typer.echo(f"audit chain BROKEN at entry {chain.break_.seq}: {chain.break_.reason}")
    elif not cut:
        typer.echo(f"audit chain intact: {chain.entries} entries, head {chain.head_seq}")
    if cut:
        if chain.break_ is None:
            seq = verification.first_broken_seq
            typer.echo(f"audit log CUT at entry {seq}: {verification.reason}")
            typer.echo(
                f"(the chain that is left is consistent: {chain.entries} entries, head"
                f" {chain.head_seq})"
            )
        else:
            typer.echo(f"its end is cut too: {verification.reason}")
    elif checkpoint is not None:
        typer.echo(
            f"end confirmed: the log passes through {checkpoint.describe()} (entry"
            f" {checkpoint.seq})"
        )
    elif verification.end is EndCheck.UNCONFIRMED:
        err.print(
            "[yellow]warning[/]: the end of the log was not checked:"
            f" {escape(verification.reason or '')}. Entries cut off its end would not show."
        )
    if chain.break_ is not None or cut:
        raise typer.Exit(CUT)
    if verification.end is EndCheck.UNCONFIRMED:
        raise typer.Exit(UNCONFIRMED)
