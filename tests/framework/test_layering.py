"""The engine's floors (DESIGN.md §2): the graph layer imports nothing above it, not even
lazily inside a function; the per-session state sits below the ops and the optimizers."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "flowzero"


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


@functools.cache
def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(module, inside a function?, line) for every import of a flowzero module in `path`."""
    tree = _tree(path)
    found: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if (
                isinstance(child, ast.ImportFrom)
                and child.module
                and child.module.startswith("flowzero")
            ):
                found.append((child.module, in_function, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend(
                    (a.name, in_function, child.lineno)
                    for a in child.names
                    if a.name.startswith("flowzero")
                )
            visit(child, inner)

    visit(tree, False)
    return found


@pytest.mark.parametrize("path", sorted((PKG / "framework").glob("*.py")), ids=lambda p: p.name)
def test_the_graph_layer_imports_only_itself_and_never_inside_functions(path: Path) -> None:
    for module, in_function, line in _imports(path):
        assert not in_function, f"{path.name}:{line}: function-level import of {module}"
        assert module.startswith("flowzero.framework"), (
            f"{path.name}:{line}: the graph layer imports {module} (a higher floor); register "
            "a hook from that layer instead (see graph.register_conversion)"
        )


def test_session_state_sits_below_the_ops() -> None:
    for module, _, line in _imports(PKG / "runtime" / "state.py"):
        assert module.startswith("flowzero.framework"), f"state.py:{line} imports {module}"
    # MonitoredSession's job is to create and drive a Session: the one train module that may.
    # warm_start evaluates a new vocabulary row's initializer once, in a Session of its own.
    drivers = {PKG / "train" / "monitored_session.py", PKG / "train" / "warm_starting.py"}
    for path in list((PKG / "ops").glob("*.py")) + list((PKG / "train").glob("*.py")):
        if path in drivers:
            continue
        for module, _, line in _imports(path):
            assert module not in ("flowzero.runtime.plan", "flowzero.runtime.session"), (
                f"{path.relative_to(PKG)}:{line} imports {module}; per-session state is in "
                "flowzero.runtime.state"
            )


ENGINE = ("framework", "runtime", "ops")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def test_the_engine_import_graph_has_no_cycles() -> None:
    """framework/, runtime/, ops/, autodiff and variables import each other without a cycle,
    counting imports inside functions too (a lazy import that closes a loop hides a cycle)."""
    paths = [p for d in ENGINE for p in (PKG / d).glob("*.py")]
    paths += [PKG / "autodiff.py", PKG / "variables.py"]
    names = {_module_name(p): p for p in paths}
    edges: dict[str, set[str]] = {m: set() for m in names}
    for m, p in names.items():
        for module, _, _ in _imports(p):
            targets = [module]  # `from flowzero.ops import x` names flowzero.ops.x
            if module in ("flowzero.ops", "flowzero.framework", "flowzero.runtime"):
                targets = [
                    f"{module}.{a.name}"
                    for node in ast.walk(_tree(p))
                    if isinstance(node, ast.ImportFrom) and node.module == module
                    for a in node.names
                ]
            edges[m].update(t for t in targets if t in names and t != m)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in sorted(edges[m]):
            if state.get(t) == 1:
                cycle = path[path.index(t) :] + [t]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in sorted(names):
        if m not in state:
            visit(m)
