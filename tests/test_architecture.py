"""House rules that a test can hold: import direction, SQL only in the store, small surfaces."""

from __future__ import annotations

import ast
import subprocess
import sys
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


def test_only_the_store_touches_sqlalchemy_and_the_tables() -> None:
    """The store package (issuer/store/, with its tables and migrations) is the only code of
    the issuer that speaks SQL: nothing else imports SQLAlchemy, the tables or the modules
    of its aggregates; everything else works through the package's face (``Store``, ``Tx``,
    ``Reader``: ``from issuer.store import …``), plus ``issuer.store.migrate`` (the schema
    migrations) and ``issuer.store.audit`` (the audit chain's entries and checks)."""
    store = ROOT / "issuer" / "store"
    public = {"issuer.store", "issuer.store.migrate", "issuer.store.audit"}
    for path in (ROOT / "issuer").rglob("*.py"):
        if store in path.parents:
            continue
        assert "sqlalchemy" not in _imports(path), f"{path.relative_to(ROOT)} uses SQLAlchemy"
        named = {m for m in _modules_imported(path) if m.startswith("issuer.store.")}
        submodules = {m for m in named if (ROOT / (m.replace(".", "/") + ".py")).exists()}
        bad = submodules - public
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} (inside the store)"


ISSUER_LAYERS: list[tuple[str, list[str]]] = [
    (
        "the edge",
        [
            "issuer.cli",
            "issuer.bench",
            "issuer.http",
            "issuer.demo",
            "issuer.settings",
            "issuer.mail",
        ],
    ),
    ("bulk issuance", ["issuer.bulk"]),
    ("the certification process", ["issuer.process"]),
    ("publication", ["issuer.publication"]),
    ("credentials", ["issuer.credentials"]),
    ("the store", ["issuer.store"]),
    (
        "the vocabulary",
        [
            "issuer",
            "issuer.model",
            "issuer.errors",
            "issuer.runtime",
            "issuer.heap",
            "issuer.lifeline",
        ],
    ),
]
"""The issuer's layers, top to bottom (docs/ARCHITECTURE.md): a module may import modules of
its own layer and of the layers below it, never above. ``issuer`` itself is its docstring."""


def _layer(module: str) -> int | None:
    """The index in ISSUER_LAYERS of the longest prefix naming ``module``, or None."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(ISSUER_LAYERS):
        for prefix in prefixes:
            names = module == prefix or (prefix != "issuer" and module.startswith(f"{prefix}."))
            if names and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return best[0] if best else None


def test_the_issuer_imports_point_down_its_layers() -> None:
    """Inside the issuer the edge (HTTP, command line, benchmark) calls bulk issuance and the
    process, the process calls publication and the credential machinery, and all of them the
    store: a decision means the same whichever door it came through, and credentials know
    what to sign, not who decided. Every import counts, those inside a function too."""
    assert _layer("issuer.process.decisions") == 2
    assert _layer("issuer.modelling") is None
    graph = _import_graph(["issuer"])
    unplaced = sorted(m for m in graph if _layer(m) is None)
    assert not unplaced, f"modules in no layer (place them in ISSUER_LAYERS): {unplaced}"
    layer = {module: _layer(module) or 0 for module in graph}
    upward = [
        f"{module} ({ISSUER_LAYERS[layer[module]][0]}) imports {target} "
        f"({ISSUER_LAYERS[layer[target]][0]})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if target in layer and layer[target] < layer[module]
    ]
    assert not upward, "imports up the layers:\n" + "\n".join(upward)


def test_every_package_says_what_it_owns() -> None:
    """Each package's ``__init__`` opens with a docstring naming what it owns; those of the
    issuer's layers also say what they may import, so a newcomer finds the rule where the
    code is."""
    for top in ORDER:
        for init in (ROOT / top).rglob("__init__.py"):
            if "migrations" in init.parts:
                continue
            doc = ast.get_docstring(ast.parse(init.read_text("utf-8")))
            assert doc, f"{init.relative_to(ROOT)} has no docstring"
    for name in ("process", "credentials", "publication", "bulk", "store", "http", "cli", "bench"):
        doc = ast.get_docstring(ast.parse((ROOT / "issuer" / name / "__init__.py").read_text()))
        assert doc, f"issuer/{name}/__init__.py has no docstring"
        assert "import" in doc, f"issuer/{name}/__init__.py: say what it may import"


MODULE_LINES = 500
LONG_ON_PURPOSE = "Long on purpose:"
"""A module over MODULE_LINES lines says why in its docstring, after these words."""


def test_no_module_is_over_about_500_lines() -> None:
    """A module a newcomer can read in one sitting; one concept that truly needs more says
    why in its docstring."""
    long = []
    for top in ORDER:
        for path in (ROOT / top).rglob("*.py"):
            lines = path.read_text("utf-8").count("\n")
            doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
            if lines > MODULE_LINES and LONG_ON_PURPOSE not in doc:
                long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, "\n".join(long)


def test_only_signing_holds_private_keys() -> None:
    """In the issuer only :mod:`issuer.credentials.signing` imports the asymmetric-key and
    key-serialization parts of ``cryptography``: a private key never exists in clear
    anywhere else. The benchmark harness, outside the issuer's domain rooms, makes a
    throwaway key of its own to measure the machine's raw signing rate."""
    allowed = {ROOT / "issuer" / "credentials" / "signing.py"}
    harness = ROOT / "issuer" / "bench"
    risky = (
        "cryptography.hazmat.primitives.asymmetric",
        "cryptography.hazmat.primitives.serialization",
    )
    for path in (ROOT / "issuer").rglob("*.py"):
        if path in allowed or harness in path.parents:
            continue
        bad = {m for m in _modules_imported(path) if m.startswith(risky)}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_the_mail_module_speaks_smtp() -> None:
    """Sending e-mail is an edge concern: :mod:`issuer.mail` is the only module that imports
    ``smtplib``; the notice sender of the process gets it as a transport."""
    allowed = {ROOT / "issuer" / "mail.py"}
    for package in ORDER:
        for path in (ROOT / package).rglob("*.py"):
            if path not in allowed:
                assert "smtplib" not in _imports(path), f"{path.relative_to(ROOT)} uses smtplib"


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


def test_the_verifier_imports_no_web_framework() -> None:
    """``import verifier`` stays light for the command line and offline checks: the request
    reading lives in ``verifier.requests``; only the routers import FastAPI."""
    code = "import sys, verifier; sys.exit(any(m in sys.modules for m in ('fastapi', 'starlette')))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace") or "FastAPI was imported"


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


def test_the_architecture_map_names_what_exists() -> None:
    """docs/ARCHITECTURE.md names modules, functions and files for a newcomer to open; each
    must exist, so the map cannot drift from the code it describes."""
    import importlib
    import re

    from issuer.store import Reader, Store, Tx

    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text("utf-8")
    names = set(re.findall(r"`([^`\s]+)`", text))
    dotted = {n for n in names if re.fullmatch(r"(issuer|registry|verifier|schemas)(\.\w+)+", n)}
    methods = {n for n in names if re.fullmatch(r"(Tx|Store|Reader)\.\w+(\(\))?", n)}
    paths = {
        n for n in names if re.fullmatch(r"(issuer|registry|verifier|schemas|tests)/[\w/.]*", n)
    }
    assert len(dotted) > 20
    assert len(methods) > 5
    assert len(paths) > 10
    for name in sorted(dotted):
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found: object = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attribute in parts[cut:]:
                assert hasattr(found, attribute), f"docs/ARCHITECTURE.md: {name} does not exist"
                found = getattr(found, attribute)
            break
    faces = {"Tx": Tx, "Store": Store, "Reader": Reader}
    for name in sorted(methods):
        face, method = name.removesuffix("()").split(".")
        assert hasattr(faces[face], method), f"docs/ARCHITECTURE.md: {name} does not exist"
    for name in sorted(paths):
        assert (ROOT / name.rstrip("/")).exists(), f"docs/ARCHITECTURE.md: {name} does not exist"
