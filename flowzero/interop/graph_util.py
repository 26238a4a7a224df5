"""`tf.graph_util` (also `tf.compat.v1.graph_util`): freezing and trimming GraphDefs, as
TensorFlow's tensorflow/python/framework/graph_util_impl.py does it, on GraphDef messages."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.interop import convert
from flowzero.interop.graph_def import refuse_marked
from flowzero.proto import graph_pb2

_VARIABLE_TYPES = frozenset({"VariableV2", "Variable", "VarHandleOp"})
# Node types remove_training_nodes drops (their input passes through).
_TRAINING_ONLY = frozenset({"Identity", "CheckNumerics", "StopGradient", "PreventGradient"})


def _node_name(s: str) -> str:
    return s.lstrip("^").split(":")[0]


def _as_list(names: Any) -> list[str]:
    if isinstance(names, str):
        return [names]
    return list(names)


def extract_sub_graph(graph_def: Any, dest_nodes: Iterable[str]) -> Any:
    """The part of `graph_def` that `dest_nodes` depend on (data and control inputs), nodes in
    their original order.

    Raises:
        TypeError: `graph_def` is not a GraphDef or `dest_nodes` not a list of names.
        ValueError: a destination node is not in the graph.
    """
    if getattr(getattr(graph_def, "DESCRIPTOR", None), "name", None) != "GraphDef":
        raise TypeError(
            f"extract_sub_graph expects a GraphDef proto; got {type(graph_def).__name__}."
        )
    dest = _as_list(dest_nodes)
    if not all(isinstance(d, str) for d in dest):
        raise TypeError(f"dest_nodes must be a list of node names; got {dest_nodes!r}.")
    by_name = {n.name: n for n in graph_def.node}
    for d in dest:
        if _node_name(d) not in by_name:
            raise ValueError(f"'{d}' is not in graph")
    keep: set[str] = set()
    stack = [_node_name(d) for d in dest]
    while stack:
        name = stack.pop()
        if name in keep:
            continue
        keep.add(name)
        stack.extend(_node_name(i) for i in by_name[name].input if _node_name(i) in by_name)
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    out.node.extend(copy.deepcopy(n) for n in graph_def.node if n.name in keep)
    return _same_class(graph_def, out)


def _same_class(like: Any, gd: Any) -> Any:
    """`gd` as a message of `like`'s class (TensorFlow's own GraphDef in, TensorFlow's out)."""
    if type(like) is type(gd):
        return gd
    return type(like).FromString(gd.SerializeToString())


def _ours(graph_def: Any) -> Any:
    if isinstance(graph_def, graph_pb2.GraphDef):
        return graph_def
    return graph_pb2.GraphDef.FromString(graph_def.SerializeToString())


def convert_variables_to_constants(
    sess: Any,
    input_graph_def: Any,
    output_node_names: Any,
    variable_names_whitelist: Any = None,
    variable_names_blacklist: Any = None,
) -> Any:
    """A frozen GraphDef: the subgraph `output_node_names` need, with every variable (VariableV2
    or VarHandleOp) replaced by a Const of its current value in `sess`.

    Reads of the variables (`Identity` / `ReadVariableOp`) become `Identity` nodes of the Const;
    `Assign`s and initializers fall away with the subgraph extraction.

    Args:
        sess: the session holding the variables' values.
        input_graph_def: the graph (e.g. `sess.graph.as_graph_def()`).
        output_node_names: names of the nodes to keep (with what they depend on).
        variable_names_whitelist: convert only these variables (node names).
        variable_names_blacklist: leave these variables as they are.

    Raises:
        ValueError: an output node is not in the graph.
        tf.errors.FailedPreconditionError: a variable is not initialized in `sess`.
    """
    gd = extract_sub_graph(_ours(input_graph_def), _as_list(output_node_names))
    refuse_marked(gd, "convert_variables_to_constants")
    allow = None if variable_names_whitelist is None else set(variable_names_whitelist)
    deny = set(variable_names_blacklist or ())
    variables = [
        n
        for n in gd.node
        if n.op in _VARIABLE_TYPES and (allow is None or n.name in allow) and n.name not in deny
    ]
    values: dict[str, np.ndarray] = {}
    if variables:
        fetched = sess.run(
            [f"{n.name}:0" for n in variables if n.op != "VarHandleOp"]
            + [_resource_read(gd, n) for n in variables if n.op == "VarHandleOp"]
        )
        names = [n.name for n in variables if n.op != "VarHandleOp"] + [
            n.name for n in variables if n.op == "VarHandleOp"
        ]
        values = {name: np.asarray(v) for name, v in zip(names, fetched)}
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(gd.versions)
    out.library.CopyFrom(gd.library)
    frozen = set(values)
    for n in gd.node:
        node = out.node.add()
        if n.name in frozen:
            value = values[n.name]
            node.name, node.op = n.name, "Const"
            node.attr["dtype"].type = convert.dtype_enum(
                value.dtype if value.dtype.kind not in "OSU" else "string"
            )
            node.attr["value"].tensor.CopyFrom(convert.tensor_proto(value))
        elif (
            n.op in ("ReadVariableOp", "Identity") and n.input and _node_name(n.input[0]) in frozen
        ):
            node.CopyFrom(n)
            if n.op == "ReadVariableOp":
                node.op = "Identity"
                node.attr["T"].type = n.attr["dtype"].type
                del node.attr["dtype"]
        else:
            node.CopyFrom(n)
    return _same_class(input_graph_def, out)


def _resource_read(gd: Any, handle: Any) -> str:
    for n in gd.node:
        if n.op == "ReadVariableOp" and n.input and _node_name(n.input[0]) == handle.name:
            return f"{n.name}:0"
    raise errors.InvalidArgumentError(
        None,
        None,
        f"convert_variables_to_constants: resource variable '{handle.name}' has no "
        "ReadVariableOp in the graph to read its value with.",
    )


def remove_training_nodes(input_graph: Any, protected_nodes: Any = None) -> Any:
    """`input_graph` without Identity / CheckNumerics / StopGradient nodes (their consumers read
    the node's input directly), except the `protected_nodes` and nodes with control inputs."""
    gd = _ours(input_graph)
    protected = set(protected_nodes or ())
    drop: dict[str, str] = {}
    for n in gd.node:
        if (
            n.op in _TRAINING_ONLY
            and n.name not in protected
            and len(n.input) == 1
            and not n.input[0].startswith("^")
        ):
            drop[n.name] = n.input[0]

    def resolve(inp: str) -> str:
        ctrl = inp.startswith("^")
        name = inp.lstrip("^")
        seen = set()
        while _node_name(name) in drop and name.split(":")[-1] in (name, "0") and name not in seen:
            seen.add(name)
            name = drop[_node_name(name)]
        return ("^" + _node_name(name)) if ctrl else name

    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(gd.versions)
    out.library.CopyFrom(gd.library)
    for n in gd.node:
        if n.name in drop:
            continue
        node = out.node.add()
        node.CopyFrom(n)
        del node.input[:]
        node.input.extend(resolve(i) for i in n.input)
    return _same_class(input_graph, out)


def must_run_on_cpu(node: Any, pin_variables_on_cpu: bool = False) -> bool:
    """flowzero runs every node on the CPU."""
    return True


def tensor_shape_from_node_def_name(graph: Any, input_name: str) -> Any:
    """The static shape of tensor `input_name` (`node` means `node:0`) in `graph`."""
    name = input_name if ":" in input_name else f"{input_name}:0"
    return graph.get_tensor_by_name(name).shape


__all__ = [
    "convert_variables_to_constants",
    "extract_sub_graph",
    "remove_training_nodes",
    "must_run_on_cpu",
    "tensor_shape_from_node_def_name",
]
