"""The import graph runs one way: each package imports only its own layer and the ones below.

Every ``import`` counts, the ones inside functions too; only imports under ``TYPE_CHECKING``
(annotations naming a higher layer's record, never run) are left out. A new package or
top-level module must be given a layer here, and in the README's diagram ("For developers").
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

LAYERS: list[set[str]] = [
    {"about", "errors", "models", "types", "registry", "config", "stages", "safe_yaml", "safe_files",
     "spreadsheet", "npz_store", "offline"},
    {"codebook"},
    {"backends"},
    {"loaders"},
    {"segment"},
    {"embed"},
    {"cluster"},
    {"align"},
    {"prevalence"},
    {"reports"},
    {"result"},
    {"coders"},
    {"evaluation"},
    {"pipeline"},
    {"cli", "__main__", "narratives"},
]
"""Bottom to top. ``narratives`` is the package top (its lazy API names)."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / "narratives").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(modules: dict[str, Path]) -> dict[tuple[str, str], int]:
    """(importer, imported module) → line, for every import that runs."""

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    edges: dict[tuple[str, str], int] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, *([base] if base else [])])
                names = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for name in names:
                if name.startswith("narratives"):
                    target = resolve(name)
                    if target and target != module:
                        edges.setdefault((module, target), node.lineno)
                        break
    return edges


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "narratives"


def _layer(module: str) -> int:
    package = _package(module)
    return next(i for i, layer in enumerate(LAYERS) if package in layer)


MODULES = _modules()
EDGES = _imports(MODULES)


def test_every_package_has_a_layer() -> None:
    placed = set().union(*LAYERS)
    assert sorted({_package(m) for m in MODULES} - placed) == []


def test_no_import_runs_up_a_layer() -> None:
    upward = [f"{a} (line {line}) imports {b}: layer {_layer(a)} → {_layer(b)}"
              for (a, b), line in sorted(EDGES.items()) if _layer(b) > _layer(a)]
    assert upward == []


def test_no_import_circle_spans_two_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in EDGES:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert [c for c in circles if len({_package(m) for m in c}) > 1] == []


@pytest.mark.parametrize("module", ["narratives.loaders.formats.plain", "narratives.codebook.load"])
def test_the_check_sees_imports(module: str) -> None:
    """The graph is not empty by accident: known imports are in it."""
    assert any(a == module for a, _ in EDGES)
