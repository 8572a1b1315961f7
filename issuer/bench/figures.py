"""What a ``certreg bench`` run is asked and what it reports, and how the report is shown.

:class:`BenchOptions` is what the command asks for (N, the engine) and the durations that
follow from it; :class:`Figure` is one measured figure beside its ceiling and its target;
:class:`BenchResult` holds them all with the machine they were measured on
(:func:`_machine`: they mean little without it), as JSON for ``--json`` and ``--save``;
:func:`render` prints them as a table. The measuring itself is in :mod:`issuer.bench.run`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from issuer.bench import load as bench_load
from issuer.runtime import system_clock

__all__ = ["BenchOptions", "BenchResult", "Figure", "render"]


@dataclass(frozen=True, slots=True)
class BenchOptions:
    n: int
    engine: str = "sqlite"
    database_url: str | None = None

    @property
    def quick(self) -> bool:
        return self.n <= 5_000

    @property
    def load_seconds(self) -> float:
        return 2.0 if self.quick else 5.0 if self.n <= 100_000 else 10.0

    @property
    def warmup_seconds(self) -> float:
        return 0.5 if self.quick else 1.0

    @property
    def crypto_seconds(self) -> float:
        return 0.5 if self.quick else 2.0

    @property
    def credential_requests(self) -> int:
        """OpenID4VCI credential requests sent, each once (its token and nonce are spent)."""
        return 256 if self.quick else 512

    @property
    def credential_warmup(self) -> int:
        """The first of them, not counted: two per connection."""
        return 32

    @property
    def trials(self) -> int:
        """Status changes timed (each waits for the served list)."""
        return 12 if self.quick else 60


@dataclass(slots=True)
class Figure:
    """One measured figure, and how it compares with its ceiling and its target."""

    key: str
    name: str
    value: float
    unit: str
    ceiling: str | None = None
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass(slots=True)
class BenchResult:
    n: int
    engine: str
    machine: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def value(self, key: str) -> float:
        return next(f.value for f in self.figures if f.key == key)

    def as_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "engine": self.engine,
            "machine": self.machine,
            "figures": {f.key: asdict(f) for f in self.figures},
        }


def _machine() -> dict[str, Any]:
    """Where the figures come from: they mean little without it."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
        "load_average_start": list(os.getloadavg()),
        "uvicorn": importlib.metadata.version("uvicorn"),
        "uvicorn_http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "uvicorn_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "load_generator": "wrk" if bench_load.wrk_path() else "built-in (asyncio)",
        "started_at": system_clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# ── output ───────────────────────────────────────────────────────────────────────────────
def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def render(result: BenchResult, console: Console) -> None:
    machine = result.machine
    table = Table(
        title=f"certreg bench — N = {result.n:,}, {result.engine}",
        caption=(
            f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
            f"SQLite {machine['sqlite']}, uvicorn {machine['uvicorn']} "
            f"({machine['uvicorn_http']}, {machine['uvicorn_loop']}), "
            f"load by {machine['load_generator']}"
            + (f", PostgreSQL {machine['postgresql']}" if machine.get("postgresql") else "")
            + "; load average "
            + f"{machine['load_average_start'][0]:.2f} → {machine['load_average_end'][0]:.2f}"
        ),
    )
    for column in ("figure", "value", "unit", "ceiling", "ratio", "target", "result", "note"):
        table.add_column(column, justify="right" if column in {"value", "ratio"} else "left")
    names = {f.key: f.name for f in result.figures}
    for figure in result.figures:
        verdict = (
            "" if figure.passed is None else "[green]pass[/]" if figure.passed else "[red]miss[/]"
        )
        table.add_row(
            figure.name,
            _number(figure.value),
            figure.unit,
            names.get(figure.ceiling or "", ""),
            "" if figure.ratio is None else f"{figure.ratio:.2f}×",
            figure.target,
            verdict,
            figure.note,
        )
    console.print(table)
