"""House rules that a test can hold: import direction, SQL only in the store, small surfaces."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["issuer", "registry", "verifier", "schemas"]
"""Each package may import only the packages after it."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ORDER)
def test_imports_point_downward(package: str) -> None:
    forbidden = set(ORDER[: ORDER.index(package)])
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} (upward)"


def test_only_the_store_and_migrations_touch_sqlalchemy_sessions() -> None:
    allowed = {"store.py", "tables.py", "migrate.py"}
    for path in (ROOT / "issuer").rglob("*.py"):
        if path.name in allowed or "migrations" in path.parts:
            continue
        assert "sqlalchemy" not in _imports(path), f"{path.relative_to(ROOT)} uses SQLAlchemy"


def test_nothing_reads_the_environment_but_settings_and_the_cli() -> None:
    for package in ORDER:
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "settings.py":
                continue
            source = path.read_text("utf-8")
            assert "os.environ" not in source, path
            assert "getenv" not in source, path


def test_package_surfaces_are_explicit() -> None:
    import issuer
    import registry
    import schemas
    import verifier

    assert schemas.__all__ == [
        "PROBLEM_MEDIA_TYPE",
        "Problem",
        "ProblemFieldError",
        "problem_type_uri",
    ]
    assert issuer.__all__ == []
    assert {"Verifier", "TrustPolicy", "Report", "VerificationError", "http_verifier"} <= set(
        verifier.__all__
    )
    assert all(hasattr(verifier, name) for name in verifier.__all__)
    assert {"Registry", "RegistryStore", "create_registry_app", "upgrade"} <= set(registry.__all__)
    assert all(hasattr(registry, name) for name in registry.__all__)


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    command = 'python -m pip install -c constraints.txt -e ".[test]" && python -m pytest'
    assert f"```sh\n{command}\n```" in readme
    assert f"\n{command}\n" in ci


def test_every_problem_kind_is_documented() -> None:
    from issuer.errors import PROBLEM_KINDS

    errors_doc = (ROOT / "docs" / "ERRORS.md").read_text("utf-8")
    for kind, (status, meaning) in PROBLEM_KINDS.items():
        assert f"| `/problems/{kind}` | {status} | {meaning} |" in errors_doc, kind
    raised = set()
    for path in (ROOT / "issuer").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                for keyword in node.exc.keywords:
                    if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                        raised.add(str(keyword.value.value))
    assert {"examined-candidate", "no-signing-key"} <= raised
    assert raised <= set(PROBLEM_KINDS), raised - set(PROBLEM_KINDS)
