"""The engine's floors (DESIGN.md §2): the graph layer imports nothing above it, not even
lazily inside a function; the per-session state sits below the ops and the optimizers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "flowzero"


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """(module, inside a function?, line) for every import of a flowzero module in `path`."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, bool, int]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module and \
                    child.module.startswith("flowzero"):
                found.append((child.module, in_function, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((a.name, in_function, child.lineno) for a in child.names
                             if a.name.startswith("flowzero"))
            visit(child, inner)

    visit(tree, False)
    return found


@pytest.mark.parametrize("path", sorted((PKG / "framework").glob("*.py")), ids=lambda p: p.name)
def test_the_graph_layer_imports_only_itself_and_never_inside_functions(path: Path) -> None:
    for module, in_function, line in _imports(path):
        assert not in_function, f"{path.name}:{line}: function-level import of {module}"
        assert module.startswith("flowzero.framework"), (
            f"{path.name}:{line}: the graph layer imports {module} (a higher floor); register "
            "a hook from that layer instead (see graph.register_conversion)")


def test_session_state_sits_below_the_ops() -> None:
    for module, _, line in _imports(PKG / "runtime" / "state.py"):
        assert module.startswith("flowzero.framework"), f"state.py:{line} imports {module}"
    # MonitoredSession's job is to create and drive a Session: the one train module that may.
    drivers = {PKG / "train" / "monitored_session.py"}
    for path in list((PKG / "ops").glob("*.py")) + list((PKG / "train").glob("*.py")):
        if path in drivers:
            continue
        for module, _, line in _imports(path):
            assert module not in ("flowzero.runtime.plan", "flowzero.runtime.session"), (
                f"{path.relative_to(PKG)}:{line} imports {module}; per-session state is in "
                "flowzero.runtime.state")
