"""`tf.import_graph_def`: a TensorFlow GraphDef -> flowzero ops.

The whole GraphDef is checked first (unique names, known op types, inputs that exist, no
cycle); only then are flowzero ops built, in a topological order, through op_mapping's table.
Every error names the source (`where`, e.g. the file) and the node.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Graph, Operation, Tensor, get_default_graph
from flowzero.framework.registry import get_op_class, registered_ops
from flowzero.interop import convert, op_mapping, tf1_conds, tf1_loops, tf2_functions
from flowzero.interop.graph_def import parse_graph_def, refuse_marked

# Ops that call a Python function of the process that built the graph.
_PYTHON_FUNCTION_TYPES = frozenset({"PyFunc", "PyFuncStateless", "EagerPyFunc"})
_DT_RESOURCE = 20  # types.proto's DT_RESOURCE
_INPUT_RE = re.compile(r"^(\^)?([^:^]+)(?::(\d+))?$")


class _Nodes:
    """A list of NodeDefs where a GraphDef is expected (`.node`)."""

    def __init__(self, node: list[Any]) -> None:
        self.node = node


def _parse_input(s: str, where: str) -> tuple[bool, str, int]:
    m = _INPUT_RE.match(s)
    if m is None:
        raise errors.InvalidArgumentError(None, None, f"{where}: malformed input {s!r}.")
    return bool(m.group(1)), m.group(2), int(m.group(3) or 0)


def _supported(op_type: str) -> bool:
    if op_type in op_mapping.IMPORTERS or op_type in tf2_functions.FUNCTIONAL_TYPES:
        return True
    name = op_mapping.RENAMED.get(op_type, op_type)
    if name in registered_ops():
        return True
    try:  # an op module loaded on first use (summaries, queues, readers) registers it now
        get_op_class(name)
    except errors.NotFoundError:
        return False
    return True


def _find_cycle(remaining: set[str], deps: dict[str, list[str]]) -> list[str]:
    """One cycle among `remaining` (nodes Kahn's sort could not order), as a list of names."""
    start = min(remaining)
    path, seen = [start], {start: 0}
    node = start
    while True:
        nxt = next(d for d in deps[node] if d in remaining)
        if nxt in seen:
            return path[seen[nxt] :] + [nxt]
        seen[nxt] = len(path)
        path.append(nxt)
        node = nxt


def _topological_order(units: list[str], deps: dict[str, list[str]], where: str) -> list[str]:
    waiting = {u: len(set(deps[u])) for u in units}
    users: dict[str, list[str]] = {u: [] for u in units}
    for name, ds in deps.items():
        for d in set(ds):
            users[d].append(name)
    ready = [u for u in units if waiting[u] == 0]
    order = []
    i = 0
    while i < len(ready):
        name = ready[i]
        i += 1
        order.append(name)
        for u in users[name]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    if len(order) != len(units):
        remaining = {n for n, k in waiting.items() if k > 0}
        cycle = _find_cycle(remaining, deps)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: the graph has a cycle: {' <- '.join(cycle)} (nodes are "
            f"listed consumer first; {len(remaining)} nodes cannot be ordered).",
        )
    return order


def _normalize_input_map(input_map: Any) -> dict[str, Tensor]:
    out: dict[str, Tensor] = {}
    for key, value in (input_map or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"input_map keys must be tensor names (str); got {key!r}.")
        if not isinstance(value, Tensor):
            raise TypeError(f"input_map['{key}'] must be a tf.Tensor; got {type(value).__name__}.")
        key = key.lstrip("^")
        out[key if ":" in key else f"{key}:0"] = value
    return out


def import_graph_def(
    graph_def: Any,
    input_map: Any = None,
    return_elements: Any = None,
    name: str | None = None,
    op_dict: Any = None,
    producer_op_list: Any = None,
    *,
    graph: Graph | None = None,
    skip_types: frozenset[str] = frozenset(),
    skip_scopes: tuple[str, ...] = (),
    keep_only: frozenset[str] | None = None,
    where: str = "GraphDef",
) -> Any:
    """Imports a TensorFlow GraphDef into the default graph, as TF's `tf.import_graph_def`.

    Args:
        graph_def: a GraphDef message (flowzero.proto or TensorFlow's own), or its bytes.
        input_map: `{"name:i": tensor}` — uses of those outputs read `tensor` instead.
        return_elements: names to return: `"node"` gives the Operation, `"node:i"` the Tensor.
        name: prefix for the imported names (default "import"; "" for none).
        op_dict, producer_op_list: accepted for TF's signature; unused.
        graph: the graph to import into (default: the default graph).
        skip_types: op types to leave out, with everything that depends on them (the saver
            subgraph of a MetaGraphDef).
        skip_scopes: name scopes (`save/`) whose nodes are left out, likewise.
        keep_only: node names: only they and what they depend on are imported (a
            SavedModel's serving part; see meta_graph.import_meta_graph_def).
        where: how errors name the source (e.g. the file path).

    Returns:
        The list of `return_elements`, or None.

    Raises:
        tf.errors.NotFoundError: a node's op type is not implemented by flowzero.
        tf.errors.InvalidArgumentError: duplicate names, a missing input, a cycle, a bad attr
            value (unknown dtype, bad shape, bad tensor), or ops that do not fit together.
    """
    del op_dict, producer_op_list
    if isinstance(graph_def, (bytes, bytearray, memoryview)):
        graph_def = parse_graph_def(bytes(graph_def), where)
    nodes = list(graph_def.node)
    lib = tf2_functions.Library(graph_def.library, where)  # TF 2.x's If / While bodies
    imap = _normalize_input_map(input_map)
    g = graph if graph is not None else get_default_graph()

    by_name: dict[str, Any] = {}
    for n in nodes:
        if not n.name:
            raise errors.InvalidArgumentError(None, None, f"{where}: a node has no name.")
        if n.name in by_name:
            raise errors.InvalidArgumentError(
                None, None, f"{where}: node name '{n.name}' is used twice."
            )
        by_name[n.name] = n
    parsed: dict[str, list[tuple[bool, str, int]]] = {}
    for n in nodes:
        parsed[n.name] = [_parse_input(s, f"{where}: node '{n.name}'") for s in n.input]
        for ctrl, src, _ in parsed[n.name]:
            if src not in by_name:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{where}: node '{n.name}' ({n.op}) has input "
                    f"'{'^' if ctrl else ''}{src}', which is not a node of the graph.",
                )

    # Leave out the skipped types and everything downstream of them.
    skipped = {
        n.name
        for n in nodes
        if n.op in skip_types or (skip_scopes and n.name.startswith(skip_scopes))
    }
    changed = bool(skipped)
    while changed:
        changed = False
        for n in nodes:
            if n.name not in skipped and any(src in skipped for _, src, _ in parsed[n.name]):
                skipped.add(n.name)
                changed = True
    kept = [n for n in nodes if n.name not in skipped]
    if keep_only is not None:
        needed: set[str] = set()
        stack = [k for k in keep_only if k in by_name and k not in skipped]
        while stack:
            k = stack.pop()
            if k not in needed:
                needed.add(k)
                stack.extend(src for _, src, _ in parsed[k] if src not in skipped)
        kept = [n for n in kept if n.name in needed]
    if any(n.op in op_mapping.SUMMARY_TYPES for n in kept):
        import flowzero.summary  # noqa: F401 - registers the summary op types
    refuse_marked(_Nodes(kept), where)  # (what as_graph_def() could not write in TF's form)
    frames = []
    if any(n.op in ("Enter", "RefEnter") for n in kept):
        frames = tf1_loops.find_frames(kept, by_name, parsed, where)
    frame_of: dict[str, Any] = {m: f for f in frames for m in f.all_members()}
    conds = []
    if any(n.op in ("Merge", "RefMerge") and n.name not in frame_of for n in kept):
        conds = tf1_conds.find_conds(kept, by_name, parsed, set(frame_of), where, frames)
    frame_of.update({m: c for c in conds for m in c.members})  # loops and conds: units
    machinery = _gradient_machinery(kept, frames, parsed)
    for n in kept:
        if n.op in _PYTHON_FUNCTION_TYPES:
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: node '{n.name}' is a {n.op}: its Python function is not in the file "
                "(only a process-local token), and flowzero never runs code from a file.",
            )
        if n.name in frame_of and n.op in tf1_loops.STRUCTURE_TYPES or n.name in machinery:
            continue
        if not _supported(n.op) and n.op not in lib:
            raise errors.NotFoundError(
                None,
                None,
                f"{where}: node '{n.name}' has op type '{n.op}', which flowzero "
                "does not implement.",
            )

    def unit(name: str) -> str:  # a TF1 loop or cond is one unit of the order
        f = frame_of.get(name)
        return f.key if f is not None else name

    units: list[str] = []
    deps: dict[str, list[str]] = {}
    for n in kept:
        u = unit(n.name)
        if u not in deps:
            units.append(u)
            deps[u] = []
        if machinery and tf1_loops.is_stack_side(n.name, by_name, parsed):
            continue  # (a stack's handle passed into a loop or a branch orders nothing)
        deps[u].extend(
            unit(src)
            for ctrl, src, k in parsed[n.name]
            if (ctrl or f"{src}:{k}" not in imap) and unit(src) != u
        )
    frame_by_key: dict[str, Any] = {f.key: f for f in frames}
    cond_by_key = {c.key: c for c in conds}
    order = _topological_order(units, deps, where)

    if name is None:
        name = "import"
    prefix = ""
    if name:
        prefix = g.unique_name(name.rstrip("/")) + "/"
    used_map: set[str] = set()
    outputs: dict[str, list[Tensor]] = {}
    node_ops: dict[str, Operation] = {}

    def const_value(t: Tensor) -> Any:
        return t.op.opdef.attrs.get("value") if t.op.type == "Const" else None

    def tensor(src: str, k: int, node_where: str) -> Tensor:
        key = f"{src}:{k}"
        if key in imap:
            used_map.add(key)
            return imap[key]
        outs = outputs[src]
        if k >= len(outs):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{node_where}: input '{key}' does not exist; '{src}' has {len(outs)} outputs.",
            )
        return outs[k]

    def build(
        n: Any, inputs: list[Tensor], name: str, absolute: bool, node_where: str = ""
    ) -> list[Tensor]:
        node_where = node_where or f"{where}: node '{n.name}' ({n.op})"
        functional = n.op in tf2_functions.FUNCTIONAL_TYPES or n.op in lib
        if n.op == "Identity" and n.attr["T"].type == _DT_RESOURCE and len(inputs) == 1:
            return [inputs[0]]  # a variable's handle passed on (TF 2.x's While outputs)
        attrs = {
            key: convert.value_from_attr(av, f"{node_where} attr '{key}'")
            for key, av in n.attr.items()
            if not key.startswith("_") and (not functional or key in tf2_functions.READ_ATTRS)
        }
        try:
            if functional:
                op_name = name.rstrip("/") if absolute else name
                return tf2_functions.build_functional(
                    lib,
                    n.op,
                    n,
                    attrs,
                    inputs,
                    op_name,
                    lambda nd, ins, w: build(nd, ins, nd.name, False, w),
                    _supported,
                    node_where,
                )
            return _build(g, name, n.op, inputs, attrs, node_where, const_value, absolute)
        except errors.OpError as e:
            if node_where in str(e.message):
                raise
            raise type(e)(None, None, f"{node_where}: {e.message}") from None
        except (ValueError, TypeError, KeyError, IndexError) as e:
            raise errors.InvalidArgumentError(
                None, None, f"{node_where}: cannot be built: {e}"
            ) from None

    def named(results: dict[str, Tensor]) -> None:
        """An Identity under each node's name (a cond's Merges, a gradient's Exits): the graph
        has TF's names for them (fetches, collections such as UPDATE_OPS, control deps)."""
        for node_name, t in results.items():
            ident = g.create_op(get_op_class("Identity"), [t], {}, prefix + node_name + "/")
            outputs[node_name] = ident.outputs
            node_ops[node_name] = ident

    with g.as_default(), g.control_dependencies(None):
        for u in order:
            cnd = cond_by_key.get(u)
            if cnd is not None and cnd.upstream:  # TF1's gradient of a tf.cond: rebuilt
                where_c = f"{where}: the gradient of the tf.cond on '{cnd.pred[0]}'"
                grads = tf1_conds.build_gradient(
                    cnd,
                    parsed,
                    lambda src, k, w=where_c: tensor(src, k, w),
                    prefix + cnd.scope + "/cond_gradients",
                )
                named(grads)
                continue
            if cnd is not None:
                where_c = f"{where}: tf.cond on '{cnd.pred[0]}'"
                used_index = any(
                    src in cnd.merges and k == 1
                    for n in kept
                    for ctrl, src, k in parsed[n.name]
                    if not ctrl
                )
                try:
                    merged = tf1_conds.build_cond(
                        cnd,
                        by_name,
                        parsed,
                        lambda src, k, w=where_c: tensor(src, k, w),
                        lambda n, ins: build(n, ins, n.name.rsplit("/", 1)[-1], False),
                        used_index,
                        where_c,
                    )
                except (ValueError, TypeError) as e:
                    raise errors.InvalidArgumentError(
                        None, None, f"{where_c}: cannot be built: {e}"
                    ) from None
                named(merged)
                continue
            frame = frame_by_key.get(u)
            if frame is not None and frame.grad_of is not None:
                grads = tf1_loops.build_gradient_frame(
                    frame,
                    parsed,
                    lambda src, k, w=f"{where}: while loop '{frame.name}'": tensor(src, k, w),
                    prefix + frame.name.rpartition("/")[0] + "/loop_grad",
                )
                named(grads)
                continue
            if frame is not None:
                where_f = f"{where}: while loop '{frame.name}'"
                try:
                    exits = tf1_loops.build_frame(
                        frame,
                        by_name,
                        parsed,
                        lambda src, k, w=where_f: tensor(src, k, w),
                        lambda n, ins: build(n, ins, n.name.rsplit("/", 1)[-1], False),
                        where_f,
                    )
                except (ValueError, TypeError) as e:
                    raise errors.InvalidArgumentError(
                        None, None, f"{where_f}: cannot be built: {e}"
                    ) from None
                for exit_name, t in exits.items():
                    outputs[exit_name] = [t]
                    node_ops[exit_name] = t.op
                continue
            n = by_name[u]
            if u in machinery:  # a stack of TF's loop-gradient machinery: not built
                outputs[u], node_ops[u] = [], None
                continue
            inputs = [tensor(src, k, n.name) for ctrl, src, k in parsed[n.name] if not ctrl]
            controls = [node_ops[src] for ctrl, src, _ in parsed[n.name] if ctrl]
            before = len(g._ops)
            with g.control_dependencies([c for c in controls if c is not None]):
                outs = build(n, inputs, prefix + n.name, True)
            made = g._ops[before:]
            outputs[n.name] = outs
            node_ops[n.name] = next(
                (o for o in made if o.name == prefix + n.name),
                made[-1] if made else (outs[0].op if outs else None),
            )
    unused = set(imap) - used_map
    if unused:
        raise ValueError(
            f"Attempted to map inputs that were not found in graph_def: "
            f"[{', '.join(sorted(unused))}]"
        )
    if return_elements is None:
        return None
    result = []
    for r in return_elements:
        ctrl, src, k = _parse_input(r, f"{where}: return_elements")
        if src not in node_ops and src not in outputs:
            raise ValueError(f"Requested return_element '{r}' not found in graph_def.")
        if ":" in r:
            result.append(outputs[src][k])
        else:
            result.append(node_ops[src])
    return result


def _gradient_machinery(
    kept: list[Any], frames: list[Any], parsed: dict[str, list[tuple[bool, str, int]]]
) -> set[str]:
    """What the importer leaves out of TF1 while-loop gradients it rebuilds (tf1_loops.py):
    the backward frames' nodes, the stacks, and the pushes in the forward frames."""
    linked = [f for f in frames if f.grad_of is not None or f.grad_frames]
    if not linked:
        return set()
    out: set[str] = set()
    for f in linked:
        if f.grad_of is not None:
            out |= f.all_members()
    in_linked = {m for f in linked for m in f.all_members()}
    users: dict[str, list[str]] = {}
    for n in kept:
        for _, src, _ in parsed[n.name]:
            users.setdefault(src, []).append(n.name)
    op_of = {n.name: n.op for n in kept}
    for n in kept:
        if n.op == "ControlTrigger" and n.name in in_linked:  # (f_sync: orders the pushes)
            out.add(n.name)
        elif n.op in tf1_loops.STACK_TYPES:
            if n.name in in_linked or _reaches_only(n.name, in_linked, users, op_of):
                out.add(n.name)
    return out


_HANDLE_PASSING = frozenset({"Switch", "RefSwitch", "Identity"})


def _reaches_only(name: str, inside: set[str], users: dict[str, list[str]], by: Any) -> bool:
    """Whether a stack's handle reaches only nodes of `inside` (the loops it is pushed and
    popped in), passed on by Switches (into a cond's branch) and Identities."""
    stack, seen = list(users.get(name, [])), set()
    while stack:
        u = stack.pop()
        if u in seen or u in inside:
            continue
        seen.add(u)
        if by[u] not in _HANDLE_PASSING:
            return False
        stack.extend(users.get(u, []))
    return True


def _build(
    g: Graph,
    name: str,
    tf_type: str,
    inputs: list[Tensor],
    attrs: dict[str, Any],
    where: str,
    const_value: Any,
    absolute: bool = True,
) -> list[Tensor]:
    ctx = op_mapping.ImportContext(g, name, tf_type, attrs, where, const_value, absolute)
    importer = op_mapping.IMPORTERS.get(tf_type)
    if importer is not None:
        return list(importer(ctx, inputs))
    handle = next((t for t in inputs if isinstance(t, op_mapping.HANDLE_TYPES)), None)
    if handle is not None and tf_type == "Identity" and len(inputs) == 1:
        return [handle]  # a dataset passed on (what a tf.data function returns)
    if handle is not None:
        raise errors.UnimplementedError(
            None,
            None,
            f"{where}: takes the {handle.what} handle '{handle.name}' as an input; flowzero "
            f"builds {handle.what} handles only into its {handle.what} ops.",
        )
    fz_type = op_mapping.RENAMED.get(tf_type, tf_type)
    fz_attrs = op_mapping.import_attrs(tf_type, attrs)
    if fz_type == "Identity" and len(inputs) == 1 and inputs[0].op.type == "VariableV2":
        fz_type = "ReadVariableOp"  # TF's read of a reference variable
        fz_attrs = {}
    # (Any other op reading a VariableV2 output directly gets a ReadVariableOp from
    # Graph.create_op, which reads references wherever a kernel takes a value, as TF does.)
    if tf_type == "Const":
        value = fz_attrs.get("value")
        if not isinstance(value, np.ndarray):
            raise errors.InvalidArgumentError(None, None, f"{where}: has no tensor 'value'.")
        dt = fz_attrs.get("dtype")
        if dt is not None and dt.np != value.dtype and not (dt.name == "string"):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: dtype attr {dt.name} differs from its value's dtype {value.dtype}.",
            )
    op = g.create_op(get_op_class(fz_type), inputs, fz_attrs, name + "/" if absolute else name)
    return op.outputs
