"""Graph, Operation, Tensor: the engine's nouns.

A Graph owns Operations (nodes); an Operation's outputs are Tensors (edges). Everything about an
op's math lives in its OpDef (registry.py); the Graph only names, records and connects nodes, and
knows nothing about running them.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from flowzero.framework import dtypes as _dtypes
from flowzero.framework.registry import OpDef, TensorSpec, get_op_class
from flowzero.framework.shapes import Dimension, TensorShape, as_shape

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_REF_INPUTS: dict[type, tuple[frozenset[int], int | None]] = {}


def _takes_ref(cls: type[OpDef], i: int) -> bool:
    """Whether input `i` of `cls` is a variable's storage: its kernel parameter is annotated
    VarCell (Assign, the Apply* updates, scatter ops, ...); read once per op type. Kernels that
    take the run context (control flow, queues, ...) pass their inputs on as they are."""
    if cls.needs_context:
        return True
    hit = _REF_INPUTS.get(cls)
    if hit is None:
        import inspect

        params = list(inspect.signature(cls.compute).parameters.values())[1:]  # after self
        fixed = frozenset(
            k
            for k, p in enumerate(params)
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            and "VarCell" in str(p.annotation)
        )
        rest = next(
            (k for k, p in enumerate(params) if p.kind == p.VAR_POSITIONAL),
            None,
        )
        if rest is not None and "VarCell" not in str(params[rest].annotation):
            rest = None
        hit = _REF_INPUTS[cls] = (fixed, rest)
    fixed, rest = hit
    return i in fixed or (rest is not None and i >= rest)


def _dereferenced(g: Graph, cls: type[OpDef], inputs: list[Tensor]) -> list[Tensor]:
    """`inputs` with a read of each variable's storage that `cls` takes as a value: TF reads a
    reference tensor implicitly wherever a value is expected (`get_tensor_by_name("w:0") * 2`
    after import_meta_graph)."""
    out = []
    for i, t in enumerate(inputs):
        if t._op._opdef.type == "VariableV2" and not _takes_ref(cls, i):
            name = g.unique_name(f"{t._op.name}/read") + "/"  # beside the variable, any scope
            t = g.create_op(get_op_class("ReadVariableOp"), [t], {}, name).outputs[0]
        out.append(t)
    return out


_VALID_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
_VALID_SCOPE = re.compile(r"^[A-Za-z0-9_.\-/>]*$")


def _user_frame() -> str:
    """file:line of the first stack frame outside the flowzero package (where the user built)."""
    f: FrameType | None = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    if f is None:
        return "<unknown>"
    return f"{f.f_code.co_filename}:{f.f_lineno}"


class _Hooks:
    """What the graph layer needs from the layers above it, registered by them at import (as
    TF's tensor conversion registry): the graph never imports the runtime or the ops."""

    session_for: Any = None  # runtime.session: (graph, session, what) -> Session
    reset_sessions: Any = None  # runtime.session: drop InteractiveSessions of the old graph
    constant: Any = None  # ops.array_ops.constant
    stack: Any = None  # ops.array_ops.stack
    variable_type: Any = None  # variables.Variable (graph files hold variables)
    variable_from_nodes: Any = None  # variables.Variable._from_nodes
    graph_def: Any = None  # interop: (graph, add_shapes) -> a TensorFlow GraphDef message


def register_variable_type(cls: Any, from_nodes: Any) -> None:
    """Called by flowzero.variables: its Variable class and how to wrap existing nodes."""
    _Hooks.variable_type = cls
    _Hooks.variable_from_nodes = from_nodes


def register_graph_def_exporter(fn: Any) -> None:
    """Called by flowzero.interop: how Graph.as_graph_def writes TensorFlow's GraphDef."""
    _Hooks.graph_def = fn


def register_runtime(session_for: Any, reset_sessions: Any) -> None:
    """Called by runtime.session: how Tensor.eval / Operation.run find their session."""
    _Hooks.session_for = session_for
    _Hooks.reset_sessions = reset_sessions


def session_for(graph: Graph, session: Any, what: str) -> Any:
    """`session`, or the default session, checked to run `graph` (for code below the runtime,
    such as tf.train.Checkpoint, that runs ops in the caller's session)."""
    return _hook("session_for")(graph, session, what)


def register_conversion(constant: Any, stack: Any) -> None:
    """Called by ops.array_ops: how convert_to_tensor builds constants and packs lists."""
    _Hooks.constant = constant
    _Hooks.stack = stack


def _hook(name: str) -> Any:
    fn = getattr(_Hooks, name)
    if fn is None:  # pragma: no cover - `import flowzero` registers every hook
        raise RuntimeError(f"flowzero is not fully imported (no '{name}' hook): import flowzero.")
    return fn


class GraphKeys:
    """Standard collection names, as TF1's `tf.GraphKeys`."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    LOSSES = "losses"
    UPDATE_OPS = "update_ops"
    GLOBAL_STEP = "global_step"
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    SAVERS = "savers"
    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    BIASES = "biases"
    ASSET_FILEPATHS = "asset_filepaths"  # a SavedModel's asset files (path tensors)
    # TF 0.x name
    VARIABLES = GLOBAL_VARIABLES


class Tensor:
    """A symbolic handle to one output of an Operation (`name:index`)."""

    # Python operators on NumPy arrays defer to Tensor's reflected operators.
    __array_priority__ = 100

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "_consumers", "__weakref__")

    def __init__(
        self, op: Operation, value_index: int, dtype: _dtypes.DType, shape: TensorShape
    ) -> None:
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = shape
        self._consumers: list[Operation] = []

    @property
    def op(self) -> Operation:
        return self._op

    @property
    def graph(self) -> Graph:
        return self._op._graph

    @property
    def name(self) -> str:
        return f"{self._op._name}:{self._value_index}"

    @property
    def value_index(self) -> int:
        return self._value_index

    @property
    def dtype(self) -> _dtypes.DType:
        return self._dtype

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def device(self) -> str:
        return ""

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape: Any) -> None:
        """Refines the static shape; raises ValueError if `shape` is incompatible."""
        try:
            self._shape = self._shape.merge_with(as_shape(shape))
        except ValueError:
            raise ValueError(
                f"Tensor '{self.name}': shape {as_shape(shape)} is incompatible with its "
                f"inferred shape {self._shape}."
            ) from None

    def consumers(self) -> list[Operation]:
        return list(self._consumers)

    def eval(self, feed_dict: Any = None, session: Any = None) -> Any:
        """Runs the graph up to this tensor in `session` (default: the default session)."""
        return _hook("session_for")(self.graph, session, "eval()").run(self, feed_dict)

    if TYPE_CHECKING:
        # The Python operators ops/math_ops.py and ops/slicing_ops.py install when the op
        # catalogue loads (the graph layer does not import it), declared for the type checker.
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __rxor__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __getitem__(self, key: Any) -> Tensor: ...

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self._dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self._shape}, dtype={self._dtype.name})'

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        # NOTE: TF1 graph mode compares tensors by identity (use tf.equal for values), which
        # also keeps tensors usable as dict keys in feed_dict.
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __bool__(self) -> bool:
        raise TypeError(
            "Using a tf.Tensor as a Python `bool` is not allowed. Use `if t is not None:` "
            "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such as "
            "tf.cond to execute subgraphs conditioned on the value of a tensor."
        )

    def __iter__(self) -> Iterator[Tensor]:
        dims = self._shape.known
        if not dims:
            raise TypeError(
                f"Tensor '{self.name}' with shape {self._shape} is not iterable: its first "
                "dimension must be statically known. Use tf.unstack instead."
            )
        if dims[0] is None:
            raise TypeError(
                f"Cannot iterate over Tensor '{self.name}' with unknown first dimension "
                f"(shape {self._shape})."
            )
        return iter(self[i] for i in range(dims[0]))  # type: ignore[index]  # ops install []

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise NotImplementedError(
            f"Cannot convert a symbolic Tensor ({self.name}) to a numpy array. Run it in a "
            "Session (sess.run(t) or t.eval()) to get its value."
        )

    def _as_node_def_input(self) -> str:
        return self._op._name if self._value_index == 0 else self.name


class Operation:
    """A node in a Graph: an OpDef instance wired to input Tensors, producing output Tensors."""

    __slots__ = (
        "_graph",
        "_name",
        "_opdef",
        "_inputs",
        "_outputs",
        "_control_inputs",
        "_id",
        "_traceback",
        "_control_outputs",
        "_multi",
        "_body",
        "__weakref__",
    )

    def __init__(
        self,
        graph: Graph,
        name: str,
        opdef: OpDef,
        inputs: list[Tensor],
        output_specs: list[TensorSpec],
        control_inputs: list[Operation],
        traceback: str | None = None,
    ) -> None:
        self._graph = graph
        self._name = name
        self._opdef = opdef
        self._inputs = tuple(inputs)
        self._control_inputs = list(control_inputs)
        self._control_outputs: list[Operation] = []
        self._outputs = [Tensor(self, i, s.dtype, s.shape) for i, s in enumerate(output_specs)]
        # True when infer() declared a list of outputs: compute() then returns a sequence, even
        # of one array (Split into 1, Unstack of length 1); else it returns the array itself.
        self._multi = False
        self._id = 0
        self._traceback = _user_frame() if traceback is None else traceback
        # The function body (framework/function.py) this op was built in; None = top level.
        self._body: Any = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._opdef.type

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return self._inputs

    @property
    def outputs(self) -> list[Tensor]:
        return list(self._outputs)

    @property
    def control_inputs(self) -> list[Operation]:
        return list(self._control_inputs)

    @property
    def device(self) -> str:
        return ""

    @property
    def opdef(self) -> OpDef:
        return self._opdef

    @property
    def traceback(self) -> str:
        """file:line of the user code that created this op."""
        return self._traceback

    @property
    def node_def(self) -> Any:
        """This op as TensorFlow's NodeDef: its node in `self.graph.as_graph_def()`."""
        for node in self._graph.as_graph_def().node:
            if node.name == self._name:
                return node
        raise ValueError(
            f"Operation '{self._name}' is written as part of another node in TensorFlow's "
            "GraphDef (inside a while loop's body); it has no NodeDef of its own."
        )

    def values(self) -> tuple[Tensor, ...]:
        return tuple(self._outputs)

    def get_attr(self, name: str) -> Any:
        try:
            return self._opdef.attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.") from None

    def _add_control_input(self, op: Operation) -> None:
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            op._control_outputs.append(self)
            self._graph._structure_version += 1

    def run(self, feed_dict: Any = None, session: Any = None) -> None:
        """Runs this op in `session` (default: the default session)."""
        _hook("session_for")(self._graph, session, "run()").run(self, feed_dict)

    def __repr__(self) -> str:
        ins = ", ".join(t.name for t in self._inputs)
        return f"<tf.Operation '{self._name}' type={self.type} inputs=[{ins}]>"

    __str__ = __repr__


# -- default graph stack (per thread) ----------------------------------------------------------
class _DefaultStack(threading.local):
    def __init__(self) -> None:
        self.stack: list[Any] = []


_graph_stack = _DefaultStack()
_global_default_graph: Graph | None = None


def get_default_graph() -> Graph:
    """The innermost `Graph.as_default()` graph, else the global default graph."""
    global _global_default_graph
    if _graph_stack.stack:
        return _graph_stack.stack[-1]
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph() -> None:
    """Clears the global default graph (not allowed inside a `with graph.as_default():`)."""
    global _global_default_graph
    if _graph_stack.stack:
        raise AssertionError(
            "Do not use tf.reset_default_graph() to clear nested graphs. If you need a cleared "
            "graph, exit the nesting and create a new graph."
        )
    if _Hooks.reset_sessions is not None:
        _Hooks.reset_sessions()
    _global_default_graph = Graph()


class Graph:
    """A dataflow graph: Operations, name scopes, control dependencies, collections, seed."""

    def __init__(self) -> None:
        self._ops: list[Operation] = []
        self._ops_by_name: dict[str, Operation] = {}
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._control_dependencies_stack: list[list[Operation]] = []
        self._collections: dict[str, list[Any]] = {}
        self._finalized = False
        self._structure_version = 0
        self.seed: int | None = None
        self._lock = threading.RLock()
        # Per-graph state owned by higher layers (variable store, gradient registry hooks...).
        self._attachments: dict[str, Any] = {}
        # Function bodies being built (innermost last): new ops belong to the innermost one.
        self._body_stack: list[Any] = []

    # -- properties ----------------------------------------------------------------------------
    @property
    def finalized(self) -> bool:
        return self._finalized

    @property
    def version(self) -> int:
        return len(self._ops)

    @property
    def _last_id(self) -> int:
        return len(self._ops)

    def finalize(self) -> None:
        """Makes the graph read-only: adding an op afterwards raises RuntimeError."""
        self._finalized = True

    def _unsafe_unfinalize(self) -> None:
        self._finalized = False

    @contextlib.contextmanager
    def as_default(self) -> Iterator[Graph]:
        _graph_stack.stack.append(self)
        try:
            yield self
        finally:
            _graph_stack.stack.pop()

    # -- names ---------------------------------------------------------------------------------
    def get_name_scope(self) -> str:
        return self._name_stack

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """`name` within the current name scope, suffixed `_1`, `_2`, ... if already taken."""
        if self._name_stack:
            name = f"{self._name_stack}/{name}"
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while f"{base}_{i}" in self._names_in_use:
                i += 1
            if mark_as_used:
                self._names_in_use[f"{base}_{i}"] = 1
            name = f"{name}_{i}"
        return name

    @contextlib.contextmanager
    def name_scope(self, name: str | None) -> Iterator[str]:
        """Opens a name scope; a name ending in '/' re-enters that exact (absolute) scope."""
        old = self._name_stack
        if not name:
            new = ""
        elif name.endswith("/"):
            if not _VALID_SCOPE.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
            new = name[:-1]
        else:
            if not _VALID_SCOPE.match(name):
                raise ValueError(f"'{name}' is not a valid scope name")
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield f"{new}/" if new else ""
        finally:
            self._name_stack = old

    # -- function bodies (control flow) ---------------------------------------------------------
    @contextlib.contextmanager
    def _building_body(self, body: Any) -> Iterator[None]:
        """Ops created inside belong to `body` (a framework.function.Body) until it closes."""
        self._body_stack.append(body)
        try:
            yield
        finally:
            self._body_stack.pop()

    @contextlib.contextmanager
    def _outside_bodies(self) -> Iterator[None]:
        """Ops created inside belong to the top level even while a body is being built (TF's
        init_scope): variables and their initializers, created once, not per iteration."""
        old, self._body_stack = self._body_stack, []
        try:
            yield
        finally:
            self._body_stack = old

    # -- control dependencies ------------------------------------------------------------------
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs: Any) -> Iterator[None]:
        """Ops created inside run only after every op in `control_inputs` (None clears)."""
        old = self._control_dependencies_stack
        if control_inputs is None:
            self._control_dependencies_stack = []
        else:
            ops: list[Operation] = []
            for c in control_inputs:
                c = _as_op(c)
                if c._graph is not self:
                    raise ValueError(
                        f"Control input '{c.name}' is from a different graph than this one."
                    )
                ops.append(c)
            self._control_dependencies_stack = old + [ops]
        try:
            yield
        finally:
            self._control_dependencies_stack = old

    def _current_control_inputs(self) -> list[Operation]:
        out: list[Operation] = []
        for ops in self._control_dependencies_stack:
            for o in ops:
                if o not in out:
                    out.append(o)
        return out

    def as_graph_def(self, from_version: int | None = None, add_shapes: bool = False) -> Any:
        """This graph as a TensorFlow `GraphDef` protobuf (TF's op types and attrs), which
        `tf.import_graph_def` here or in TensorFlow reads back.

        Args:
            from_version: accepted for TF's signature; the whole graph is written.
            add_shapes: add each node's `_output_shapes` attr.

        Raises:
            tf.errors.UnimplementedError: an op has no TensorFlow form.
        """
        return _hook("graph_def")(self, add_shapes)

    # -- op creation ---------------------------------------------------------------------------
    def create_op(
        self, opdef_cls: type[OpDef], inputs: list[Tensor], attrs: dict[str, Any], name: str | None
    ) -> Operation:
        """Creates a node: names it, infers its outputs' shapes and dtypes, wires it in."""
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        for i, t in enumerate(inputs):
            if t._op._opdef.type == "VariableV2" and not _takes_ref(opdef_cls, i):
                inputs = _dereferenced(self, opdef_cls, inputs)
                break
        base = name if name else opdef_cls.type
        if not _VALID_NAME.match(base.rstrip("/")) and base:
            raise ValueError(f"'{base}' is not a valid node name")
        with self._lock:
            absolute = base.endswith("/")  # `name=scope` from `with tf.name_scope(..) as scope`
            node_name = base[:-1] if absolute else self.unique_name(base, mark_as_used=False)
            opdef = opdef_cls(attrs, node_name)
            out = opdef.infer(*inputs)
            specs = [out] if isinstance(out, TensorSpec) else list(out)
            if absolute:
                self._names_in_use[node_name.lower()] = 1
            else:
                self.unique_name(base, mark_as_used=True)
            op = Operation(self, node_name, opdef, inputs, specs, self._current_control_inputs())
            op._multi = not isinstance(out, TensorSpec)
            op._id = len(self._ops)
            if self._body_stack:
                op._body = self._body_stack[-1]
                op._body.ops.append(op)
            overrides = self._attachments.get("gradient_override_map")
            if overrides and opdef_cls.type in overrides:
                self._attachments.setdefault("op_gradient_overrides", {})[op] = overrides[
                    opdef_cls.type
                ]
            self._ops.append(op)
            self._ops_by_name[node_name] = op
            for t in inputs:
                t._consumers.append(op)
            for c in op._control_inputs:
                c._control_outputs.append(op)
        return op

    # -- lookup --------------------------------------------------------------------------------
    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings; got {type(name).__name__}.")
        try:
            return self._ops_by_name[name]
        except KeyError:
            raise KeyError(f"The name '{name}' refers to an Operation not in the graph.") from None

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings; got {type(name).__name__}.")
        op_name, sep, idx = name.rpartition(":")
        if not sep or not idx.isdigit():
            raise ValueError(
                f"The name '{name}' looks like an (invalid) Operation name, not a Tensor. "
                'Tensor names must be of the form "<op_name>:<output_index>".'
            )
        op = self._ops_by_name.get(op_name)
        if op is None:
            raise KeyError(
                f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                f"'{op_name}', does not exist in the graph."
            )
        i = int(idx)
        if i >= len(op._outputs):
            raise KeyError(
                f"The name '{name}' refers to a Tensor which does not exist. The operation, "
                f"'{op_name}', exists but only has {len(op._outputs)} outputs."
            )
        return op._outputs[i]

    def as_graph_element(
        self, obj: Any, allow_tensor: bool = True, allow_operation: bool = True
    ) -> Any:
        """Resolves a Tensor, Operation, name string or tensor-like object in this graph."""
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                return self.get_tensor_by_name(obj)
            if allow_operation:
                return self.get_operation_by_name(obj)
            raise ValueError(f"Name '{obj}' names an Operation, but a Tensor is required.")
        if hasattr(obj, "_as_graph_element"):
            obj = obj._as_graph_element()
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj._graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        raise TypeError(
            f"Can not convert a {type(obj).__name__} into a "
            f"{'Tensor or Operation' if allow_tensor and allow_operation else 'graph element'}."
        )

    # -- collections ---------------------------------------------------------------------------
    def add_to_collection(self, name: str, value: Any) -> None:
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names: Any, value: Any) -> None:
        names = (names,) if isinstance(names, str) else set(names)
        for n in names:
            self.add_to_collection(n, value)

    def get_collection(self, name: str, scope: str | None = None) -> list[Any]:
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        pattern = re.compile(scope)
        return [i for i in items if hasattr(i, "name") and pattern.match(i.name)]

    def get_collection_ref(self, name: str) -> list[Any]:
        return self._collections.setdefault(name, [])

    def clear_collection(self, name: str) -> None:
        self._collections.pop(name, None)

    def get_all_collection_keys(self) -> list[str]:
        return [k for k, v in self._collections.items() if v]

    # -- misc TF1 surface ----------------------------------------------------------------------
    @contextlib.contextmanager
    def device(self, device_name: Any) -> Iterator[None]:
        # NOTE: flowzero runs every op on the CPU; device scopes are accepted and ignored so
        # TF1 code that pins ops to '/cpu:0' or '/gpu:0' runs unchanged.
        yield

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map: dict[str, str]) -> Iterator[None]:
        """Ops of the mapped types built inside use the gradient function registered (with
        tf.RegisterGradient) under the mapped name instead of their own."""
        old = self._attachments.get("gradient_override_map", {})
        self._attachments["gradient_override_map"] = {**old, **op_type_map}
        try:
            yield
        finally:
            self._attachments["gradient_override_map"] = old

    def is_fetchable(self, tensor_or_op: Any) -> bool:
        return True

    def is_feedable(self, tensor: Any) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<flowzero.Graph object with {len(self._ops)} ops at {id(self):#x}>"


def _as_op(obj: Any) -> Operation:
    if isinstance(obj, Operation):
        return obj
    if isinstance(obj, Tensor):
        return obj.op
    if hasattr(obj, "_as_graph_element"):
        return _as_op(obj._as_graph_element())
    if hasattr(obj, "op") and isinstance(obj.op, Operation):
        return obj.op
    raise TypeError(f"Can not convert a {type(obj).__name__} into an Operation.")


# -- conversion --------------------------------------------------------------------------------
def _normalize_value(value: Any) -> Any:
    """Replaces Dimension objects (TF1 static shapes) by ints inside nested lists."""
    if isinstance(value, Dimension):
        if value.value is None:
            raise ValueError("Cannot convert an unknown Dimension to a Tensor.")
        return value.value
    if isinstance(value, TensorShape):
        return value.as_list()
    if isinstance(value, (list, tuple)):
        return [_normalize_value(v) for v in value]
    return value


def convert_to_tensor(
    value: Any,
    dtype: Any = None,
    name: str | None = None,
    preferred_dtype: Any = None,
    graph: Graph | None = None,
) -> Tensor:
    """Converts a Tensor, Variable, NumPy array or Python value to a Tensor.

    Python floats become float32, ints int32 (TF's rules; never an implicit float64). A Python
    value with an explicit `dtype` is converted to it (an int list to float32, say); a Tensor
    must already have it.

    Raises:
        ValueError: a Tensor of another dtype was passed with `dtype`.
        TypeError: the value cannot be converted (e.g. None, or a ragged list).
    """
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype is not _dtypes.as_dtype(dtype):
            raise ValueError(
                f"Tensor conversion requested dtype {_dtypes.as_dtype(dtype).name} for Tensor "
                f"with dtype {value.dtype.name}: {value!r}"
            )
        return value
    if hasattr(value, "_as_tensor"):
        return value._as_tensor(dtype)
    if isinstance(value, Operation):
        raise TypeError(
            f"Can't convert Operation '{value.name}' to Tensor (its outputs are "
            f"tensors: {[t.name for t in value.outputs]})."
        )
    if value is None:
        raise TypeError("Can't convert None to a Tensor. Did a function return nothing?")
    if isinstance(value, (list, tuple)) and any(_contains_tensor(v) for v in value):
        return _hook("stack")(list(value), name=name or "packed")  # TF's autopacking
    return _hook("constant")(
        _normalize_value(value), dtype=dtype or preferred_dtype, name=name or "Const"
    )


def _contains_tensor(v: Any) -> bool:
    if isinstance(v, Tensor) or hasattr(v, "_as_tensor"):
        return True
    if isinstance(v, (list, tuple)):
        return any(_contains_tensor(x) for x in v)
    return False


def graph_of(inputs: list[Any], op_name: str) -> Graph:
    """The one graph that all Tensor inputs live in (the default graph if none is a Tensor).

    Raises:
        ValueError: inputs come from two different graphs (names both tensors).
    """
    g: Graph | None = None
    first: Any = None
    for x in inputs:
        t = x
        if not isinstance(t, Tensor) and hasattr(t, "_as_graph_element"):
            t = t._as_graph_element()
        if isinstance(t, Tensor):
            if g is None:
                g, first = t.graph, t
            elif t.graph is not g:
                raise ValueError(
                    f"{op_name}: Tensor {t!r} must be from the same graph as Tensor {first!r} "
                    "(they were built in different tf.Graph objects)."
                )
    return g if g is not None else get_default_graph()


def apply_op(
    opdef_cls: type[OpDef],
    inputs: list[Any],
    attrs: dict[str, Any] | None = None,
    name: str | None = None,
    dtype_hint: Any = None,
) -> Any:
    """Builds an op node from Tensors (or convertible values) and returns its output(s).

    Single-output ops return the Tensor, multi-output ops the list of Tensors, no-output ops the
    Operation.
    """
    # The common case first (every eager op goes through here): all inputs are Tensors of one
    # graph, nothing to convert. Anything else, mixed graphs included, takes graph_of's path.
    g = None
    for x in inputs:
        if not isinstance(x, Tensor):
            g = None
            break
        xg = x._op._graph
        if g is None:
            g = xg
        elif xg is not g:
            g = None
            break
    if g is not None:
        tensors = inputs
    else:
        g = graph_of(inputs, opdef_cls.type)
        tensors = list(inputs)
        for x in inputs:
            if not isinstance(x, Tensor):  # something to convert: in the graph's scope
                with g.as_default():
                    tensors = [
                        convert_to_tensor(x, dtype=dtype_hint) if not isinstance(x, Tensor) else x
                        for x in inputs
                    ]
                break
    op = g.create_op(opdef_cls, tensors, attrs or {}, name)
    outs = op._outputs
    if not op._multi:
        return outs[0]
    if not outs:
        return op
    return list(outs)


# -- module-level conveniences (tf.*) ----------------------------------------------------------
def name_scope(name: str | None, default_name: str | None = None, values: Any = None) -> Any:
    """`tf.name_scope(name, default_name=None, values=None)` on the default graph (or values')."""
    g = graph_of(list(values), "name_scope") if values else get_default_graph()
    return g.name_scope(name if name is not None else default_name)


def control_dependencies(control_inputs: Any) -> Any:
    if control_inputs:
        return graph_of(list(control_inputs), "control_dependencies").control_dependencies(
            control_inputs
        )
    return get_default_graph().control_dependencies(control_inputs)


def add_to_collection(name: str, value: Any) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names: Any, value: Any) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key: str, scope: str | None = None) -> list[Any]:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key: str) -> list[Any]:
    return get_default_graph().get_collection_ref(key)


def device(device_name: Any) -> Any:
    return get_default_graph().device(device_name)


def set_random_seed(seed: int) -> None:
    """Sets the graph-level random seed of the default graph (TF's `tf.set_random_seed`)."""
    get_default_graph().seed = None if seed is None else int(seed)


DEFAULT_GRAPH_SEED = 87654321


def get_seed(op_seed: int | None, graph: Graph | None = None) -> tuple[int | None, int | None]:
    """TF's seed rule: (graph seed, op seed) for a new random op on `graph` (default graph)."""
    g = graph if graph is not None else get_default_graph()
    graph_seed = g.seed
    if graph_seed is not None:
        if op_seed is None:
            op_seed = g._last_id
        return graph_seed, int(op_seed)
    if op_seed is not None:
        return DEFAULT_GRAPH_SEED, int(op_seed)
    return None, None
