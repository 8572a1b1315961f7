"""The status list dates ``certreg verify`` has seen, kept in a small file between runs.

A verifier refuses a status list older than one it has already seen for the same URL
(:mod:`verifier.replay`); a command that exits after one credential would forget, so each
online run starts from this file and merges what it saw back into it. Offline runs
(``--offline``) neither read nor write it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from issuer.cli.common import write_atomically

__all__ = ["default_path", "load", "save", "seen_lists_path"]

FILE_NAME = "seen-status-lists.json"
KEPT = 10_000
"""Status lists remembered in the file: the newest-dated, a few hundred issuers' worth."""


def seen_lists_path(home: Path) -> Path:
    """Where the seen status lists are kept by default: the XDG base directories' default
    state directory under ``home`` (settings, not this command, read the environment)."""
    return home / ".local" / "state" / "certreg" / FILE_NAME


def default_path() -> Path:
    """The file ``certreg verify`` keeps without ``--seen-lists``."""
    return seen_lists_path(Path.home())


def read(path: Path) -> dict[str, datetime]:
    """The remembered list dates; empty when there is no file yet. ``ValueError``/``OSError``
    for an unreadable one."""
    from verifier.timestamps import parse_timestamp

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    data = json.loads(raw)
    lists = data.get("lists") if isinstance(data, dict) else None
    if not isinstance(lists, dict):
        raise ValueError("not a certreg seen-lists file")
    return {url: parse_timestamp(when) for url, when in lists.items() if isinstance(url, str)}


def load(path: Path, warnings: list[str]) -> dict[str, datetime]:
    try:
        return read(path)
    except (OSError, ValueError, RecursionError) as exc:
        warnings.append(f"the seen status lists in {path} could not be read ({exc}): started anew")
        return {}


def save(path: Path, seen: Mapping[str, datetime], warnings: list[str]) -> None:
    """Merge ``seen`` into the file (another run may have written it meanwhile: the newest
    date of each list wins) and write it atomically."""
    try:
        merged = read(path)
    except (OSError, ValueError, RecursionError):
        merged = {}
    for url, when in seen.items():
        if url not in merged or merged[url] < when:
            merged[url] = when
    newest = sorted(merged.items(), key=lambda item: item[1], reverse=True)[:KEPT]
    content = {
        "type": "certreg-seen-status-lists",
        "lists": {url: f"{when:%Y-%m-%dT%H:%M:%S.%fZ}" for url, when in sorted(newest)},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(content, indent=1).encode("utf-8") + b"\n")
    except OSError as exc:
        warnings.append(f"the seen status lists could not be kept in {path}: {exc.strerror}")
