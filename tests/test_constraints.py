"""The gate runs with pinned tools: every dependency `pyproject.toml` names is pinned in
`constraints.txt`, the file the README's test command installs with.

A dependency added to `pyproject.toml` without refreshing the pins would install whatever
release is newest on the day, and the gate would pass or fail by date rather than by change.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    names = set()
    for requirement in requirements:
        match = _NAME.match(requirement)
        assert match, requirement
        names.add(_normalise(match.group(1)))
    return names


def _pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt pins with == only, not {line!r}"
        pins[_normalise(name.split(";")[0].strip())] = version.split(";")[0].strip()
    return pins


def test_every_declared_dependency_is_pinned() -> None:
    missing = _declared() - _pinned().keys()
    assert not missing, (
        f"{sorted(missing)} not pinned in constraints.txt: refresh it as the README says"
    )
