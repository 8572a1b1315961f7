"""``certreg registry export-bundle``: the registry's keys and lists, for checks offline.

``certreg verify --offline`` (:mod:`issuer.cli.verify`) reads what this writes: the issuer's
DID document, its signed Bitstring status lists and the Token Status Lists of its SD-JWT
VCs, as the registry holds them now (:mod:`verifier.bundle`). Exit 2 for a usage error, as
``certreg verify``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from issuer.cli.common import write_atomically
from issuer.cli.options import DataDir

if TYPE_CHECKING:
    from registry import Registry
    from verifier import Bundle

__all__ = ["export_bundle"]

USAGE = 2


def _usage(message: str) -> NoReturn:
    Console(stderr=True).print(Text("error: ", style="red") + Text(message[:500]))
    raise typer.Exit(USAGE)


def _bundle_from(registry: Registry, created_at: datetime) -> Bundle:
    """The registry's keys and signed status lists (Bitstring and Token Status Lists), as an
    offline bundle."""
    from registry import RegistryError, jws
    from schemas.publication import DocumentKind
    from verifier import Bundle

    try:
        keys = registry.keys()
    except RegistryError as exc:
        _usage(f"the registry has no usable issuer keys: {exc.detail}")
    did = keys.did_document.get("id")
    if not isinstance(did, str):
        _usage("the registry's DID document names no id")
    lists: dict[str, str] = {}
    for document in registry.documents(DocumentKind.STATUS_LIST):
        url = jws.parse_compact(document.body).payload.get("id")
        if isinstance(url, str):
            lists[url] = document.body
    tokens: dict[str, str] = {}
    for document in registry.documents(DocumentKind.TOKEN_STATUS_LIST):
        uri = jws.parse_compact(document.body).payload.get("sub")
        if isinstance(uri, str):
            tokens[uri] = document.body
    return Bundle(
        created_at=created_at,
        did_documents={did: keys.did_document},
        status_lists=lists,
        token_status_lists=tokens,
    )


def export_bundle(
    file: Annotated[Path, typer.Argument(help="where to write the bundle (JSON)")],
    data_dir: DataDir = None,
) -> None:
    """Write the issuer's keys and signed status lists to FILE, for checks without network.

    `certreg verify --offline FILE` then checks credentials where there is no network. The
    bundle answers as of the moment it was written: export again to see later suspensions
    and withdrawals. Verifiers trust what it holds, so hand it over on a channel they
    trust. Exit 2 if the registry holds no keys yet or FILE cannot be written."""
    from pydantic import ValidationError

    from issuer.settings import Settings
    from registry import Registry, RegistryStore
    from registry import upgrade as registry_upgrade
    from verifier import read_bundle

    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        _usage(f"invalid CERTREG_* settings: {exc.errors()[0].get('msg', '')}")
    if settings.registry_database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = RegistryStore.from_url(settings.registry_store_url)
    try:
        registry_upgrade(store.engine)
        bundle = _bundle_from(Registry(store), datetime.now(UTC))
    finally:
        store.dispose()
    content = json.dumps(bundle.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
    read_bundle(content)  # what we write must read back
    try:
        write_atomically(file, content + b"\n")
    except OSError as exc:
        _usage(f"cannot write {file}: {exc.strerror or exc}")
    typer.echo(
        f"bundle written to {file}: {len(bundle.did_documents)} issuer, "
        f"{len(bundle.status_lists)} status lists, {len(bundle.token_status_lists)} token "
        f"status lists, created {bundle.to_json()['createdAt']}"
    )
