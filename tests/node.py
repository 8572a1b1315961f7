"""Node.js for the tests that check certreg's output with JavaScript implementations.

The modules are the exact versions ``tests/js/package-lock.json`` pins, installed by
``npm ci --prefix tests/js`` (``.ci/run`` does it). Without node or the modules a test that
needs them is skipped — except under ``CI=true``, where it fails, so CI never passes by
skipping the independent checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS = Path(__file__).resolve().parent / "js"


def node_with(module: str) -> str:
    """The node binary, once ``module`` is installed in ``tests/js``; else skip (or fail)."""
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed (Debian package nodejs)"
    elif not (JS / "node_modules" / module / "package.json").is_file():
        missing = f"{module} is not installed: run `npm ci --prefix tests/js`"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {missing}")
        pytest.skip(missing)
    assert node is not None
    return node


def run_script(module: str, script: str, request: Any) -> Any:
    """Run ``tests/js/<script>`` with ``request`` as JSON on stdin; its JSON answer."""
    done = subprocess.run(
        [node_with(module), str(JS / script)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return json.loads(done.stdout)
