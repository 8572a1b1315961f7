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


def _modules_imported(path: Path) -> set[str]:
    """Every module ``path`` names in an import, dotted in full: ``from issuer import bench``
    names ``issuer`` and ``issuer.bench``; relative imports are resolved against ``path``."""
    package = list(path.relative_to(ROOT).parts[:-1])  # a module's or an __init__'s package
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


BENCH = "issuer.bench"
BENCH_COMMAND = ROOT / "issuer" / "cli" / "bench.py"
"""The only module outside the harness that may import it: the ``certreg bench`` command."""


def test_the_benchmark_is_imported_by_nothing_but_its_command() -> None:
    """The harness (issuer/bench/) may import anything of certreg; nothing of certreg imports
    it but the command line's ``certreg bench`` (tests aside), so it stays out of the
    issuer's domain rooms and out of every process that does not run the benchmark."""
    harness = ROOT / "issuer" / "bench"
    assert (harness / "__init__.py").is_file()
    for package in ORDER:
        for path in (ROOT / package).rglob("*.py"):
            if path == BENCH_COMMAND or harness in path.parents:
                continue
            bad = {m for m in _modules_imported(path) if m == BENCH or m.startswith(f"{BENCH}.")}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} (the benchmark)"
    assert any(m.startswith(BENCH) for m in _modules_imported(BENCH_COMMAND))


def test_only_the_store_and_migrations_touch_sqlalchemy_sessions() -> None:
    store = ROOT / "issuer" / "store"
    for path in (ROOT / "issuer").rglob("*.py"):
        if store in path.parents:
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


def _import_graph(packages: list[str]) -> dict[str, set[str]]:
    """Each module of ``packages`` (dotted; a package is its ``__init__``) and the modules of
    ``packages`` it imports, at module level or inside a function (a reader needs them all).
    ``from x import y`` names the module ``x.y`` when there is one, else ``x``; ``import a.b``
    names ``a.b``; relative imports are resolved."""
    paths: dict[str, Path] = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            paths[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        parent = list(path.relative_to(ROOT).parts[:-1])
        named: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                named.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = parent[: len(parent) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                for alias in node.names:
                    submodule = f"{module}.{alias.name}"
                    named.add(submodule if submodule in paths else module)
        graph[name] = (named & paths.keys()) - {name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm): each
    is a set of modules that import one another, directly or through each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    """Modules that import one another, even from inside a function, cannot be read (or
    changed, or tested) one without the other, and whichever is imported first decides
    whether the other finds its names yet: the order of imports becomes a hidden rule."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = _import_graph(ORDER)
    cycles = _cycles(graph)
    described = [
        " <-> ".join(c) + ": " + str({m: sorted(graph[m] & set(c)) for m in c}) for c in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_the_command_line_is_the_top_edge_and_has_no_import_cycle() -> None:
    """The command line (issuer/cli/) is imported by nothing of certreg: it is the edge that
    wires settings into the contexts, above the process, the credentials and the store. And
    its modules import each other one way only. Every import counts, those inside a function
    too: the cycle this rule ended (the root module importing ``issue-bulk``'s, which
    imported the root's helpers back) ran through an import inside a command."""
    package = "issuer.cli"
    folder = ROOT / "issuer" / "cli"
    assert (folder / "__init__.py").is_file()
    for top in ORDER:
        for path in (ROOT / top).rglob("*.py"):
            if folder in path.parents:
                continue
            bad = {
                m for m in _modules_imported(path) if m == package or m.startswith(f"{package}.")
            }
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} (the command line)"

    graph = _import_graph(ORDER)
    ours = {m for m in graph if m == package or m.startswith(f"{package}.")}
    inside = {m: graph[m] & ours for m in ours}
    assert inside, "the command line's modules were not found"
    assert not _cycles(inside), _cycles(inside)  # test_no_import_cycles says which
    assert inside[package] == {f"{package}.root"}
    assert f"{package}.root" not in set().union(*(inside[m] for m in inside if m != package))
