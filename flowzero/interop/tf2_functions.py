"""TF 2.x's functional control flow (control flow v2: `If` / `StatelessIf` / `While` /
`StatelessWhile`, and function calls) imported as flowzero's `tf.cond` / `tf.while_loop`.

TensorFlow 2.x (and TF1 code under `tf.compat.v1.enable_control_flow_v2()`, and every graph of
a `tf.function`) writes a conditional as one `If` node whose `then_branch` / `else_branch`
attrs name FunctionDefs of the GraphDef's `library`, and a loop as one `While` node whose
`cond` / `body` attrs do; a call of a function is a `PartitionedCall` (or a node whose op type
is the function's name). The importer builds such a node with flowzero's own cond / while_loop,
each branch, condition and body built by instantiating its FunctionDef's nodes (through the
same op table as the outer graph) on the branch's arguments.

In a FunctionDef a node's input is `node:output_arg:index` (an output *argument* of the op and
an index into it) or a function argument's name; `_OUTPUT_ARGS` lists the output arguments of
the op types that have several, to find the flat output.

TF 2.x passes every tensor a loop body reads from outside as one more loop variable, which the
body returns unchanged; flowzero reads such pass-through variables from outside instead
(captured), so their gradients are summed over the iterations as for any captured tensor.

Not imported (InvalidArgumentError / NotFoundError naming the node and the function): a
function the library does not hold, a function with list-valued arguments or attr
placeholders (generic functions), an op type flowzero does not implement inside a function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import Operation, Tensor, get_default_graph
from flowzero.interop import dataset_functions

IF_TYPES = frozenset({"If", "StatelessIf"})
WHILE_TYPES = frozenset({"While", "StatelessWhile"})
CALL_TYPES = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
# tf.data nodes whose attr names a function (MapDataset's `f`, OneShotIterator's factory)
DATASET_TYPES = dataset_functions.FUNCTION_TYPES
FUNCTIONAL_TYPES = IF_TYPES | WHILE_TYPES | CALL_TYPES | DATASET_TYPES
# The attrs of those nodes the importer reads (their type lists may hold DT_RESOURCE, which
# flowzero has no dtype for: a variable passes through as its own storage tensor).
READ_ATTRS = frozenset({"then_branch", "else_branch", "cond", "body", "f", "output_shapes"})

# Output arguments of TF op types with more than one (the others have one, maybe a list).
_OUTPUT_ARGS: dict[str, tuple[str, ...]] = {
    "Unique": ("y", "idx"),
    "UniqueV2": ("y", "idx"),
    "UniqueWithCounts": ("y", "idx", "count"),
    "ListDiff": ("out", "idx"),
    "TopK": ("values", "indices"),
    "TopKV2": ("values", "indices"),
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV2": (
        "y",
        "batch_mean",
        "batch_variance",
        "reserve_space_1",
        "reserve_space_2",
    ),
    "FusedBatchNormV3": (
        "y",
        "batch_mean",
        "batch_variance",
        "reserve_space_1",
        "reserve_space_2",
        "reserve_space_3",
    ),
    "BroadcastGradientArgs": ("r0", "r1"),
    "Svd": ("s", "u", "v"),
    "Qr": ("q", "r"),
    "SelfAdjointEigV2": ("e", "v"),
    "LogMatrixDeterminant": ("sign", "log_abs_determinant"),
    "MaxPoolWithArgmax": ("output", "argmax"),
    "SoftmaxCrossEntropyWithLogits": ("loss", "backprop"),
    "SparseSoftmaxCrossEntropyWithLogits": ("loss", "backprop"),
    "Switch": ("output_false", "output_true"),
    "Merge": ("output", "value_index"),
    "LSTMBlockCell": ("i", "cs", "f", "o", "ci", "co", "h"),
    "BlockLSTM": ("i", "cs", "f", "o", "ci", "co", "h"),
    "TensorArrayV3": ("handle", "flow"),
    "TensorArrayGradV3": ("grad_handle", "flow_out"),
    "TensorArrayConcatV3": ("value", "lengths"),
    "TensorListPopBack": ("output_handle", "tensor"),
    "Moments": ("mean", "variance"),
}

BuildNode = Callable[[Any, list[Tensor], str], list[Tensor]]


class Library:
    """The FunctionDefs of a GraphDef's `library`, by name."""

    def __init__(self, library: Any, where: str) -> None:
        self.where = where
        self.functions: dict[str, Any] = {}
        for f in library.function:
            name = f.signature.name
            if name in self.functions:
                raise errors.InvalidArgumentError(
                    None, None, f"{where}: the function library defines '{name}' twice."
                )
            self.functions[name] = f
        self._checked: set[str] = set()

    def __contains__(self, name: str) -> bool:
        return name in self.functions

    def get(self, name: str, node_where: str) -> Any:
        f = self.functions.get(name)
        if f is None:
            raise errors.NotFoundError(
                None,
                None,
                f"{node_where}: calls function '{name}', which is not in the graph's "
                f"function library ({len(self.functions)} functions).",
            )
        return f


def func_name(attr: Any, attr_key: str, node_where: str) -> str:
    """The function name an If / While / call node's func attr holds."""
    name = getattr(attr, "name", None)
    if not name:
        raise errors.InvalidArgumentError(
            None, None, f"{node_where}: attr '{attr_key}' must name a function; got {attr!r}."
        )
    return str(name)


class _Instance:
    """One instantiation of a FunctionDef: its nodes built lazily, on demand."""

    def __init__(
        self,
        lib: Library,
        fdef: Any,
        args: list[Tensor],
        build_node: BuildNode,
        supported: Callable[[str], bool],
        where: str,
    ) -> None:
        sig = fdef.signature
        self.fname = sig.name
        self.where = f"{where}: function '{self.fname}'"
        self.fdef = fdef
        self.build_node = build_node
        self.lib = lib
        for a in list(sig.input_arg) + list(sig.output_arg):
            if a.number_attr or a.type_list_attr:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"{self.where}: argument '{a.name}' is a list "
                    f"({a.number_attr or a.type_list_attr}); flowzero imports functions with "
                    "one tensor per argument.",
                )
        if len(sig.attr):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{self.where}: is generic (attrs {[a.name for a in sig.attr]}); flowzero "
                "imports instantiated functions only.",
            )
        if len(args) != len(sig.input_arg):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{self.where}: takes {len(sig.input_arg)} arguments; got {len(args)}.",
            )
        self.args = {a.name: t for a, t in zip(sig.input_arg, args)}
        self.nodes: dict[str, Any] = {}
        for n in fdef.node_def:
            if n.name in self.nodes or n.name in self.args:
                raise errors.InvalidArgumentError(
                    None, None, f"{self.where}: name '{n.name}' is used twice."
                )
            self.nodes[n.name] = n
        if self.fname not in lib._checked:
            for n in fdef.node_def:
                if n.op in ("PyFunc", "PyFuncStateless", "EagerPyFunc"):
                    raise errors.UnimplementedError(
                        None,
                        None,
                        f"{self.where}: node '{n.name}' is a {n.op}: its Python function is "
                        "not in the file, and flowzero never runs code from a file.",
                    )
                if not (supported(n.op) or n.op in FUNCTIONAL_TYPES or n.op in lib):
                    raise errors.NotFoundError(
                        None,
                        None,
                        f"{self.where}: node '{n.name}' has op type '{n.op}', which flowzero "
                        "does not implement.",
                    )
                for key, av in n.attr.items():
                    if av.WhichOneof("value") == "placeholder":
                        raise errors.InvalidArgumentError(
                            None,
                            None,
                            f"{self.where}: node '{n.name}' attr '{key}' is a placeholder "
                            f"('{av.placeholder}') of a generic function; not imported.",
                        )
            lib._checked.add(self.fname)
        self.built: dict[str, list[Tensor]] = {}
        self.ops: dict[str, Operation | None] = {}
        self.arg_used: dict[str, str] = {}  # node -> output arg name it was read by
        self.building: set[str] = set()

    def _resolve(self, ref: str) -> Tensor:
        """The tensor of an input reference: `arg`, `node:out_arg:i`, or `node` / `node:i`."""
        parts = ref.split(":")
        if len(parts) == 1 and parts[0] in self.args:
            return self.args[parts[0]]
        name = parts[0]
        if name not in self.nodes:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{self.where}: input '{ref}' names no argument or node of the function.",
            )
        outs = self._node(name)
        if len(parts) == 3:
            arg, idx = parts[1], int(parts[2])
            k = _flat_index(self.nodes[name].op, arg, idx)
            if k is None:
                prev = self.arg_used.setdefault(name, arg)
                if prev != arg:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{self.where}: node '{name}' ({self.nodes[name].op}) is read through "
                        f"output arguments '{prev}' and '{arg}'; flowzero does not know "
                        "this op's output arguments.",
                    )
                k = idx
        elif len(parts) == 2:
            k = int(parts[1])
        else:
            k = 0
        if k >= len(outs):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{self.where}: input '{ref}' does not exist; node '{name}' has "
                f"{len(outs)} outputs.",
            )
        return outs[k]

    def _control(self, ref: str) -> Operation | None:
        name = ref.lstrip("^")
        if name not in self.nodes:
            raise errors.InvalidArgumentError(
                None, None, f"{self.where}: control input '^{name}' names no node."
            )
        self._node(name)
        return self.ops.get(name)

    def _node(self, name: str) -> list[Tensor]:
        if name in self.built:
            return self.built[name]
        if name in self.building:
            raise errors.InvalidArgumentError(
                None, None, f"{self.where}: the function's nodes have a cycle through '{name}'."
            )
        self.building.add(name)
        n = self.nodes[name]
        inputs = [self._resolve(s) for s in n.input if not s.startswith("^")]
        controls = [self._control(s) for s in n.input if s.startswith("^")]
        controls = [c for c in controls if c is not None]
        g = next((t.graph for t in inputs if isinstance(t, Tensor)), None) or get_default_graph()
        before = len(g._ops)
        if controls:
            with g.control_dependencies(controls):
                outs = self.build_node(n, inputs, f"{self.where}: node '{name}' ({n.op})")
        else:
            outs = self.build_node(n, inputs, f"{self.where}: node '{name}' ({n.op})")
        made = g._ops[before:]
        self.ops[name] = made[-1] if made else (outs[0].op if outs else None)
        self.built[name] = list(outs)
        self.building.discard(name)
        return self.built[name]

    def outputs(self) -> list[Tensor]:
        from flowzero.ops import control_ops

        sig = self.fdef.signature
        outs = []
        for a in sig.output_arg:
            if a.name not in self.fdef.ret:
                raise errors.InvalidArgumentError(
                    None, None, f"{self.where}: output '{a.name}' has no value (ret)."
                )
            outs.append(self._resolve(self.fdef.ret[a.name]))
        # Nodes that must run for their effect (stateful ops) though no output reads them.
        controls = []
        for key in sorted(self.fdef.control_ret):
            op = self._control(self.fdef.control_ret[key])
            if op is not None:
                controls.append(op)
        if controls and outs:
            g = controls[0].graph
            with g.control_dependencies(controls):  # (a dataset passes as it is)
                outs = [control_ops.identity(t) if isinstance(t, Tensor) else t for t in outs]
        return outs


def _flat_index(op_type: str, arg: str, idx: int) -> int | None:
    names = _OUTPUT_ARGS.get(op_type)
    if names is None:
        return None  # one output argument (maybe a list): the index is the flat index
    if arg not in names:
        raise errors.InvalidArgumentError(
            None, None, f"{op_type} has no output argument '{arg}' (it has {list(names)})."
        )
    return names.index(arg) + idx


def call(
    lib: Library,
    fname: str,
    args: list[Tensor],
    build_node: BuildNode,
    supported: Callable[[str], bool],
    where: str,
) -> list[Tensor]:
    """Builds function `fname` on `args` in the current graph (or Body); its outputs."""
    fdef = lib.get(fname, where)
    return _Instance(lib, fdef, args, build_node, supported, where).outputs()


def build_functional(
    lib: Library,
    op_type: str,
    node: Any,
    attrs: dict[str, Any],
    inputs: list[Tensor],
    name: str,
    build_node: BuildNode,
    supported: Callable[[str], bool],
    where: str,
) -> list[Tensor]:
    """Builds an If / While / function call node. Returns its outputs."""

    def run(key: str, args: list[Tensor]) -> list[Tensor]:
        return call(lib, func_name(attrs.get(key), key, where), args, build_node, supported, where)

    if op_type in lib:  # a node whose op type is a function of the library: a call
        return call(lib, op_type, inputs, build_node, supported, where)
    if op_type in DATASET_TYPES:
        return dataset_functions.build_with_function(
            op_type,
            node,
            inputs,
            name,
            lambda f, args: call(lib, f, args, build_node, supported, where),
            where,
        )
    if op_type in CALL_TYPES:
        return run("f", inputs)
    if op_type in IF_TYPES:
        return _build_if(len(node.attr["Tout"].list.type), inputs, name, run, where)
    return _build_while(lib, attrs, inputs, name, run, where)


def _build_if(
    n_out: int,
    inputs: list[Tensor],
    name: str,
    run: Callable[[str, list[Tensor]], list[Tensor]],
    where: str,
) -> list[Tensor]:
    from flowzero.framework import dtypes
    from flowzero.ops import array_ops, math_ops
    from flowzero.ops.control_flow_ops import cond

    if not inputs:
        raise errors.InvalidArgumentError(None, None, f"{where}: has no condition input.")
    pred, args = inputs[0], inputs[1:]
    if pred.dtype is not dtypes.bool:
        # TF's If takes any scalar: nonzero numbers and non-empty strings are true.
        pred = math_ops.not_equal(pred, array_ops.zeros_like(pred))
    if n_out == 0:
        raise errors.InvalidArgumentError(
            None, None, f"{where}: an If without outputs (run for its effects) is not imported."
        )
    results = cond(
        pred,
        lambda: run("then_branch", args),
        lambda: run("else_branch", args),
        strict=True,
        name=name,
    )
    return list(results)


def _build_while(
    lib: Library,
    attrs: dict[str, Any],
    inputs: list[Tensor],
    name: str,
    run: Callable[[str, list[Tensor]], list[Tensor]],
    where: str,
) -> list[Tensor]:
    from flowzero.framework import dtypes
    from flowzero.framework.shapes import TensorShape
    from flowzero.ops.control_flow_ops import while_loop
    from flowzero.ops.shape_ops import ensure_shape

    body = lib.get(func_name(attrs.get("body"), "body", where), where)
    sig = body.signature
    if len(sig.input_arg) != len(inputs) or len(sig.output_arg) != len(inputs):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: body '{sig.name}' takes {len(sig.input_arg)} and returns "
            f"{len(sig.output_arg)} values; the loop has {len(inputs)}.",
        )
    # Loop variables the body returns unchanged (TF 2.x's captures) are read from outside.
    passthrough = [
        body.ret.get(o.name, "") == i.name for i, o in zip(sig.input_arg, sig.output_arg)
    ]
    varying = [k for k, p in enumerate(passthrough) if not p]
    if not varying:  # nothing changes: the loop (if it ends) returns its inputs
        return list(inputs)

    def full(vs: tuple[Tensor, ...]) -> list[Tensor]:
        out = list(inputs)
        for k, v in zip(varying, vs):
            out[k] = v
        return out

    def cond_fn(*vs: Tensor) -> Tensor:
        return run("cond", full(vs))[0]

    shapes = attrs.get("output_shapes") or []
    invariants = [
        shapes[k] if k < len(shapes) and isinstance(shapes[k], TensorShape) else TensorShape(None)
        for k in varying
    ]

    def body_fn(*vs: Tensor) -> list[Tensor]:
        res = run("body", full(vs))
        out = [res[k] for k in varying]
        # NOTE: TF records each loop variable's shape (output_shapes); a value flowzero cannot
        # infer inside the body (e.g. popped from a TensorList, whose element shape is set
        # outside the loop) gets that shape, checked at run time.
        return [
            ensure_shape(t, inv)
            if t.dtype is not dtypes.variant
            and t.shape.is_compatible_with(inv)
            and t.shape.merge_with(inv).known != t.shape.known
            else t
            for t, inv in zip(out, invariants)
        ]

    result = while_loop(
        cond_fn,
        body_fn,
        [inputs[k] for k in varying],
        shape_invariants=invariants,
        name=name,
        return_same_structure=True,
    )
    return full(tuple(result))
