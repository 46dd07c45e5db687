"""The shape of the code (docs/architecture.md): arrows point one way, pieces stay small.

Read from the source with ``ast``, so a violation fails here before any
behaviour does.  ``from server import x`` counts as importing ``server.x``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "sync", "client_sqlite")

#: The server's packages from the bottom up; each may import only those before it.
#: ``<top>`` is ``server/__init__.py`` (create_app).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("config", "infra"),
    ("http",),
    ("detection",),
    ("reports",),
    ("review", "devices", "aggregates"),
    ("evidence",),
    ("jobs", "openapi"),
    ("api", "web"),
    ("<top>",),
    ("runtime",),
    ("cli",),
)
DOMAINS = ("detection", "reports", "review", "devices", "aggregates", "evidence")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
#: Longer functions, each with its reason.
LONG_FUNCTIONS: dict[str, str] = {}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


MODULES = dict(_modules())


def _imports(name: str) -> set[str]:
    """Modules of this project that ``name`` imports (anywhere in the file)."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            # ``from package import submodule`` depends on the submodule; the
            # package itself only when a name defined in it is imported.
            named = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= named
            if not named <= set(MODULES):
                found.add(node.module)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name) for name in MODULES}


def _server_part(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "<top>"
    return parts[1]


def _layer(part: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if part in layer)


def test_sync_and_the_client_never_import_the_server() -> None:
    """sync/ imports neither server/ nor client_sqlite/; client_sqlite/ never imports server/."""
    wrong = [
        (m, d)
        for m, deps in GRAPH.items()
        for d in deps
        if (m.startswith("sync") and d.split(".")[0] in ("server", "client_sqlite"))
        or (m.startswith("client_sqlite") and d.startswith("server"))
    ]
    assert wrong == []


def test_every_server_package_has_a_layer() -> None:
    parts = {_server_part(m) for m in MODULES if m.startswith("server")}
    placed = {p for layer in LAYERS for p in layer}
    assert parts <= placed, f"place these in LAYERS: {sorted(parts - placed)}"


def test_server_arrows_point_down() -> None:
    """A server package imports only packages below it (infra imports no other one)."""
    upward = [
        (m, d)
        for m, deps in GRAPH.items()
        if m.startswith("server")
        for d in deps
        if d.startswith("server")
        and _server_part(d) != _server_part(m)
        and _layer(_server_part(d)) >= _layer(_server_part(m))
    ]
    assert upward == []


def test_domains_never_import_jobs_api_web_or_the_app() -> None:
    wrong = [
        (m, d)
        for m, deps in GRAPH.items()
        if m.startswith("server.") and _server_part(m) in DOMAINS
        for d in deps
        if d == "server" or _server_part(d) in ("jobs", "api", "web", "openapi", "runtime", "cli")
    ]
    assert wrong == []


def _cycle() -> list[str] | None:
    """One import cycle among the modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(GRAPH[node]):
            if state.get(dep) == 1:
                return stack[stack.index(dep) :] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(GRAPH):
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def test_no_import_cycle() -> None:
    """No module reaches itself through imports (a package counts as its __init__)."""
    assert _cycle() is None


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a planted circle is found."""
    monkeypatch.setitem(GRAPH, "server.infra.db", GRAPH["server.infra.db"] | {"server.api"})
    assert _cycle() is not None


def test_modules_and_functions_stay_small() -> None:
    """No module over ~400 lines; no function over ~60 unless listed with its reason."""
    big_modules, long_functions = [], []
    for name, path in MODULES.items():
        source = path.read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            big_modules.append(name)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                key = f"{name}.{node.name}"
                if length > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS:
                    long_functions.append((key, length))
    assert big_modules == [] and long_functions == []
