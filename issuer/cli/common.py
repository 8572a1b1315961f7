"""What the ``certreg`` commands share: settings from the options, the opened store, the
staff member a token acts for, the passphrase, the first signing key, the way a command
fails, and writing a file whole.

The helpers keep the underscore they had in the command line's root module: they are for
the command modules beside them in :mod:`issuer.cli`, and for nothing outside it. They sit
here, apart from :mod:`issuer.cli.root`, so that a command module (``issue-bulk``) reaches
them without importing the module that imports it — the command line has no import cycle.
Like the rest of the command line, only what the signatures need is imported at the top;
the stores and keys are imported when a helper runs.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from issuer.credentials.signing import Algorithm

if TYPE_CHECKING:
    from issuer.model import Role
    from issuer.process.auth import Actor
    from issuer.settings import Settings
    from issuer.store import Store

__all__: list[str] = []

err = Console(stderr=True)


def _settings(
    data_dir: Path | None = None, base_url: str | None = None, **extra: object
) -> Settings:
    from issuer.settings import Settings

    overrides: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if base_url is not None:
        overrides["base_url"] = base_url
    return Settings(**overrides)  # type: ignore[arg-type]


def _open_store(settings: Settings) -> Store:
    from issuer.store import Store, migrate

    if settings.issuer_database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.from_url(settings.issuer_url)
    migrate.upgrade(store.engine)
    return store


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error[/]: {message}")
    raise typer.Exit(2)


def _acting(store: Store, token: str | None, allowed: frozenset[Role], needed: str) -> Actor:
    """Who ``token`` acts for, checked against the store as the API checks a bearer token
    (unknown, revoked, of a deactivated member, a role taken away) and holding one of the
    ``allowed`` roles; else the command fails (exit 2) saying why."""
    from issuer.errors import IssuerError
    from issuer.process.auth import authenticate, require_role

    if not token:
        _fail(f"this needs {needed}'s token: give it with --token or CERTREG_TOKEN")
    try:
        with store.transaction() as tx:
            actor = authenticate(tx, f"Bearer {token.strip()}")
        require_role(actor, allowed)
        actor.staff()
    except IssuerError as exc:
        if exc.kind == "wrong-role":
            _fail(f"this needs {needed}'s token; this token is a {actor.role.value}'s")
        _fail(f"the token was refused: {exc.detail}")
    return actor


def _passphrase(settings: Settings) -> bytes:
    try:
        return settings.passphrase()
    except ValueError as exc:
        _fail(str(exc))


def _ensure_key(store: Store, settings: Settings, alg: Algorithm | None = None) -> None:
    """Create the first signing key if the store has none."""
    from issuer.credentials import keys
    from issuer.runtime import system_clock

    with store.transaction() as tx:
        if tx.list_signing_keys():
            return
        key = keys.create_key(
            tx,
            alg=alg or Algorithm(settings.signing_alg),
            passphrase=_passphrase(settings),
            now=system_clock(),
            actor="system:cli",
        )
    err.print(f"signing key {key.kid} ({key.alg}) created")


def write_atomically(target: Path, content: bytes) -> None:
    """Write beside ``target`` and rename over it: a reader sees the old file or the new."""
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
