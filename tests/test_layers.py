"""No import circles inside tracker/, and no layer reaching sideways or up (DESIGN.md).

The imports are read with `ast`, not by importing: module-level, function-level and
TYPE_CHECKING imports all count, since a function-level import only hides a circle.
`from package import name` goes to the submodule when `name` is one, else to the package.
A package's parent is not an edge: Python runs `tracker/models/__init__.py` before
`tracker/models/catalog.py`, and a package importing its own submodules to re-export them is
the usual shape; a submodule importing its package back (not just `base`) is a circle here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"

# Layers and what each may not import (module-name prefixes).
FORBIDDEN = {
    "tracker.models": ("tracker.services", "tracker.api", "tracker.web", "tracker.schemas"),
    "tracker.schemas": ("tracker.services", "tracker.api", "tracker.web"),
    "tracker.services": ("tracker.api", "tracker.web"),
    "tracker.exports": ("tracker.services", "tracker.api", "tracker.web"),
    # The two entry points stand side by side: each calls services, never the other.
    "tracker.api": ("tracker.web",),
    "tracker.web": ("tracker.api",),
}
# Flask's request-bound globals: services take explicit actors and arguments instead.
REQUEST_GLOBALS = {
    "flask": {"request", "g", "session"},
    "flask_login": {"current_user"},
}
REQUEST_FREE = ("tracker.services", "tracker.models", "tracker.exports", "tracker.schemas")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _base(module: str, level: int) -> str:
    """The package a relative import of this level starts from."""
    parts = module.split(".")
    if MODULES[module].name != "__init__.py":
        parts.pop()  # a plain module's imports are relative to its package
    return ".".join(parts[: len(parts) - (level - 1)])


def imports_of(module: str) -> Iterator[tuple[str, set[str], int]]:
    """(imported module, names taken from it, line) for every import in the module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, set(), node.lineno
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = _base(module, node.level)
                source = f"{base}.{source}" if source else base
            names = {alias.name for alias in node.names}
            submodules = {n for n in names if f"{source}.{n}" in MODULES}
            for name in submodules:
                yield f"{source}.{name}", set(), node.lineno
            if names - submodules:
                yield source, names - submodules, node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for module in MODULES:
        for target, _, _ in imports_of(module):
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that reach each other, one sorted list per circle (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One concrete cycle per circle: a -> b -> ... -> a."""
    return [_cycle_in(graph, set(component)) for component in circles(graph)]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A concrete path start -> ... -> start inside one strongly connected component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    raise AssertionError("a strongly connected component without a cycle")


def test_the_import_walk_sees_function_level_and_relative_imports():
    """The walk itself: the test would be blind without these."""
    assert "tracker.extensions" in _graph()["tracker.services.unit"]
    assert len(MODULES) > 50
    found = {target for target, _, _ in imports_of("tracker")}
    assert "tracker.config" in found or "tracker.extensions" in found


def test_no_module_in_tracker_imports_itself_back_in_a_circle():
    graph = _graph()
    found = [
        f"{' -> '.join(_cycle_in(graph, set(members)))} (the circle holds: {', '.join(members)})"
        for members in circles(graph)
    ]
    assert not found, "Import circles:\n" + "\n".join(found)


def _crossings() -> Iterator[str]:
    for module in MODULES:
        layer = next((prefix for prefix in FORBIDDEN if module.startswith(prefix + ".")), None)
        for target, names, line in imports_of(module):
            if layer and target.startswith(FORBIDDEN[layer]):
                yield f"{module}:{line} imports {target}"
            if module.startswith(REQUEST_FREE) and target in REQUEST_GLOBALS:
                for name in sorted(names & REQUEST_GLOBALS[target]):
                    yield f"{module}:{line} imports the request global {target}.{name}"


def test_no_layer_imports_a_layer_above_or_beside_it():
    crossings = sorted(_crossings())
    assert not crossings, "Layer crossings:\n" + "\n".join(crossings)


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}}, [["a", "b", "c", "a"]]),
    ],
)
def test_the_cycle_finder_reports_each_circle(graph, expected):
    assert find_cycles(graph) == expected
