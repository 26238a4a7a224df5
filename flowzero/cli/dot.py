"""A flowzero graph as Graphviz DOT text: one node per op (labelled with its op type), one edge
per tensor (labelled with its static shape), control dependencies dashed, and every name scope
a cluster (`subgraph cluster_...`), nested as the scopes are, so `dot` draws the boxes that
TensorBoard's graph tab draws.
"""

from __future__ import annotations

import re
from typing import Any

_STYLE = {
    "Placeholder": 'shape=ellipse, style=filled, fillcolor="#fde9c9"',
    "PlaceholderWithDefault": 'shape=ellipse, style=filled, fillcolor="#fde9c9"',
    "VariableV2": 'shape=box, style="rounded,filled", fillcolor="#d5e8d4"',
    "Const": 'shape=box, style="rounded,filled", fillcolor="#eeeeee", fontsize=9',
}
_DEFAULT_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dae8fc"'


def quote(text: str) -> str:
    """`text` as a DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def cluster_id(scope: str) -> str:
    """The DOT id of the cluster for name scope `scope` (`cluster_` + a safe spelling)."""
    return "cluster_" + re.sub(r"[^A-Za-z0-9_]", "_", scope)


def _shape(tensor: Any) -> str:
    try:
        dims = tensor.shape.as_list()
    except (ValueError, AttributeError):  # unknown rank
        return "?"
    return "(" + ", ".join("?" if d is None else str(d) for d in dims) + ")"


class _Scope:
    def __init__(self, path: str) -> None:
        self.path = path
        self.children: dict[str, _Scope] = {}
        self.ops: list[tuple[str, Any]] = []


def graph_to_dot(graph: Any, title: str | None = None, rankdir: str = "TB") -> str:
    """DOT text for every operation of `graph` (a flowzero Graph)."""
    ops = graph.get_operations()
    ids = {op.name: f"n{i}" for i, op in enumerate(ops)}
    names = set(ids)
    scope_paths = {op.name.rsplit("/", 1)[0] for op in ops if "/" in op.name}
    for path in list(scope_paths):  # every ancestor is a scope too
        parts = path.split("/")
        scope_paths.update("/".join(parts[:k]) for k in range(1, len(parts)))

    root = _Scope("")
    for op in ops:
        # An op whose name is also a scope (a variable `W1` next to `W1/read`) goes inside it.
        home = op.name if op.name in scope_paths else op.name.rpartition("/")[0]
        node = root
        if home:
            path = ""
            for part in home.split("/"):
                path = f"{path}/{part}" if path else part
                node = node.children.setdefault(part, _Scope(path))
        node.ops.append((ids[op.name], op))

    lines = [
        "digraph flowzero {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=8, color="#555555"];',
    ]
    if title:
        lines.append(f"  label={quote(title)}; labelloc=t; fontsize=14;")

    def emit(scope: _Scope, indent: str) -> None:
        for node_id, op in scope.ops:
            # The op type; below it the op's own name when that says more (x, W1, loss).
            short = op.name.rsplit("/", 1)[-1]
            label = op.type if short.split("_")[0] == op.type else f"{op.type}\n{short}"
            lines.append(
                f"{indent}{node_id} [label={quote(label)}, tooltip={quote(op.name)}, "
                f"{_STYLE.get(op.type, _DEFAULT_STYLE)}];"
            )
        for child in scope.children.values():
            lines.append(f"{indent}subgraph {cluster_id(child.path)} {{")
            lines.append(
                f"{indent}  label={quote(child.path.rsplit('/', 1)[-1])}; "
                f'style="rounded"; color="#888888"; fontname="Helvetica";'
            )
            emit(child, indent + "  ")
            lines.append(f"{indent}}}")

    emit(root, "  ")
    for op in ops:
        for tensor in op.inputs:
            src = tensor.op.name
            if src in names:
                lines.append(f"  {ids[src]} -> {ids[op.name]} [label={quote(_shape(tensor))}];")
        for dep in op.control_inputs:
            if dep.name in names:
                lines.append(f"  {ids[dep.name]} -> {ids[op.name]} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"
