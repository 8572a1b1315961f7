"""Options that several ``certreg`` commands share, defined once so that their help reads
the same everywhere. Only typer is imported: the command line starts before the stores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["BaseUrl", "DataDir", "Token"]

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="directory of certreg's files and SQLite stores (or CERTREG_DATA_DIR; default "
        "./certreg-data)",
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="the public address that credentials and QR codes point to, such as "
        "https://certs.example.org (or CERTREG_BASE_URL)",
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="CERTREG_TOKEN",
        show_envvar=False,
        help="your API token (or CERTREG_TOKEN), as `certreg token create` printed it: the "
        "work is recorded in your name",
    ),
]
