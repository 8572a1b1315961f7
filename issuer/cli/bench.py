"""``certreg bench``: the command; the measurements are :mod:`issuer.bench`'s (the harness's
own subpackage), imported when the command runs (they pull in the whole server stack)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["bench"]


def bench(
    n: Annotated[
        int, typer.Option("--n", min=100, max=10_000_000, help="how many certifications to issue")
    ] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="print the figures as JSON")] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="sqlite or postgresql", case_sensitive=False)
    ] = "sqlite",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="CERTREG_BENCH_DATABASE_URL",
            help="PostgreSQL URL for --engine postgresql; the run works in schemas of its"
            " own and drops them after",
        ),
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="also write the figures as JSON to this file")
    ] = None,
) -> None:
    """Measure how fast certreg runs on this machine, beside the machine's own limits.

    Issues `--n` certifications in bulk into new, temporary stores, then measures
    verification (of certificates and of wallets' SD-JWT VCs), the wallets' credential
    endpoint, public lookups, status changes and memory use, and prints each figure
    beside the raw signing rate and the other ceilings measured in the same run;
    docs/PERFORMANCE.md explains them. Your data directory is not touched. Progress goes to
    standard error, the figures to standard output."""
    from issuer.bench.figures import BenchOptions, render
    from issuer.bench.run import run_bench

    engine = engine.lower()
    if engine not in {"sqlite", "postgresql"}:
        raise typer.BadParameter("sqlite or postgresql", param_hint="--engine")
    if engine == "postgresql" and not database_url:
        raise typer.BadParameter("give the PostgreSQL URL", param_hint="--database-url")
    err = Console(stderr=True)
    options = BenchOptions(n=n, engine=engine, database_url=database_url)
    started = time.perf_counter()

    def say(text: str) -> None:
        err.print(f"[dim]{time.perf_counter() - started:6.1f} s  {text}[/]")

    result = run_bench(options, say)
    if save is not None:
        save.write_text(json.dumps(result.as_json(), indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
    else:
        console = Console()
        render(result, console if console.is_terminal else Console(width=200))
