"""TF1 eager execution: ops run as soon as they are called, on the same OpDefs and kernels.

`tf.enable_eager_execution()` makes the default graph an EagerGraph. Building an op there
infers its output specs as always, then runs its kernel at once on the inputs' values: the
outputs are EagerTensors, which hold their value (`.numpy()`). Variables are initialized when
they are created (their Assign runs immediately) and every use reads their current value.
Nothing is kept: an op is linked to its inputs (for gradients) only while a GradientTape
records.

`with tf.Graph().as_default():` still builds a graph inside an eager program, as in TF.
"""

from __future__ import annotations

import itertools
import operator
import threading
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.graph import Graph, Operation, Tensor, _graph_stack
from flowzero.framework.registry import OpDef, TensorSpec
from flowzero.framework.shapes import TensorShape
from flowzero.runtime.state import RunContext, VarCell


class EagerTensor(Tensor):
    """A Tensor with a value: the output of an op that has already run."""

    __slots__ = ("_value", "_ikey")

    def numpy(self) -> Any:
        """The value as a NumPy array (a NumPy scalar for rank 0, as TF's `.numpy()`)."""
        v = self._value
        if isinstance(v, VarCell):
            v = v.read()
        return v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = np.asarray(self.numpy())
        return a if dtype is None else a.astype(dtype)

    def __repr__(self) -> str:
        return (
            f"<tf.Tensor: id={id(self)}, shape={self.shape}, dtype={self.dtype.name}, "
            f"numpy={self.numpy()!r}>"
        )

    def __str__(self) -> str:
        return f"tf.Tensor({self.numpy()}, shape={self.shape}, dtype={self.dtype.name})"

    def __bool__(self) -> bool:
        return bool(self.numpy())

    def __float__(self) -> float:
        return float(self.numpy())

    def __int__(self) -> int:
        return int(self.numpy())

    def __index__(self) -> int:
        return int(self.numpy())

    def __len__(self) -> int:
        if not self.shape.ndims:
            raise TypeError("Scalar tensor has no `len()`")
        return int(np.shape(self.numpy())[0])

    def __format__(self, spec: str) -> str:
        return format(self.numpy(), spec)

    def eval(self, feed_dict: Any = None, session: Any = None) -> Any:
        return self.numpy()


class EagerGraph(Graph):
    """The default graph of an eager program: it runs ops instead of keeping them."""

    _eager = True
    _defun_depth = 0  # > 0 while tf.contrib.eager.defun traces a function into a body

    def __init__(self) -> None:
        super().__init__()
        self._ctx = RunContext()
        self._ids = itertools.count()
        self._tapes = threading.local()
        self._tape_refs: dict[Operation, int] = {}  # op -> how many tapes recorded it
        # An op's output specs depend on its type, attrs and inputs' dtypes and shapes (and
        # on the values of small shape-like inputs): the same call in a loop infers once.
        self._infer_cache: dict[Any, Any] = {}
        # The hot path's cache (see create_op): (op class, name, name scope, attrs, interned
        # input specs) -> (OpDef, output spec, node name, and the output's dims, TensorShape
        # and interned spec as the last call made them).
        self._fast: dict[Any, Any] = {}
        self._n_tapes = 0  # tapes pushed, in all threads (0: no op can be recorded)
        # tf.train.Checkpoint restores waiting for variables not made yet (optimizer slots)
        self._deferred_restores: list[Any] = []

    # -- recording -----------------------------------------------------------------------------
    def active_tapes(self) -> list[Any]:
        stack = getattr(self._tapes, "stack", None)
        if stack is None:
            stack = self._tapes.stack = []
        return [t for t in stack if t._recording] if stack else stack

    def push_tape(self, tape: Any) -> None:
        self.active_tapes()
        self._tapes.stack.append(tape)
        with _lock:
            self._n_tapes += 1

    def pop_tape(self, tape: Any) -> None:
        stack = self._tapes.stack
        if tape in stack:
            stack.remove(tape)
            with _lock:
                self._n_tapes -= 1

    # -- running -------------------------------------------------------------------------------
    def create_op(
        self, opdef_cls: type[OpDef], inputs: list[Tensor], attrs: dict[str, Any], name: str | None
    ) -> Operation:
        # The hot path: an op seen before, with the same name, attrs and input specs, on eager
        # values, with no tape recording. Its OpDef and output specs come from one dict lookup
        # (the key holds each input's interned spec, kept on the EagerTensor); nothing is
        # inferred, named or checked again. Anything else (a first call, a graph tensor, a
        # variable's cell, unhashable attrs) takes the full path below, which fills the cache.
        # NOTE: the key is _fast_key's, spelled out for one and two inputs (building it is most
        # of the lookup's cost): input ids (ints), then attr names (strs), then attr values.
        n = len(inputs)
        if not n:  # constants, variables: their attrs hold values, never on the hot path
            return self._create_op(opdef_cls, inputs, attrs, name)
        try:
            if n == 2:
                x, y = inputs
                key = (opdef_cls, name, self._name_stack, x._ikey, y._ikey, *attrs, *attrs.values())
            elif n == 1:
                x = inputs[0]
                key = (opdef_cls, name, self._name_stack, x._ikey, *attrs, *attrs.values())
            else:
                key = (opdef_cls, name, self._name_stack, *map(_ikey_of, inputs), *attrs)
                key += tuple(attrs.values())
            hit = self._fast.get(key)
        except AttributeError:  # an input without an interned key: not an eager value yet
            hit = None
        except TypeError:  # attrs holding lists (strides, axes): hashed as tuples
            key = _listed_key(opdef_cls, name, self._name_stack, attrs, inputs)
            hit = self._fast.get(key) if key is not None else None
        if hit is None or self._body_stack or self._n_tapes:
            return self._create_op(opdef_cls, inputs, attrs, name)
        opdef, spec, node_name, dims, shape, ikey = hit
        op = _new_op(Operation)
        op._graph, op._name, op._opdef, op._inputs = self, node_name, opdef, tuple(inputs)
        op._control_inputs, op._control_outputs = [], []
        op._traceback, op._body, op._multi = "(eager)", None, False
        op._id = next(self._ids)
        try:
            if n == 2:
                result = opdef.compute(x._value, y._value)
            elif n == 1:
                result = opdef.compute(x._value)
            else:
                result = opdef.compute(*map(_value_of_fast, inputs))
        except _KERNEL_ERRORS as e:
            op._outputs = []
            raise _kernel_error(e, opdef_cls, op, node_name) from None
        if result.__class__ is not np.ndarray:  # a NumPy scalar or a list: as the full path
            op._outputs = [_eager_tensor(op, 0, spec, result)]
        else:
            t = _new_op(EagerTensor)
            t._op, t._value_index, t._dtype, t._consumers = op, 0, spec.dtype, []
            if result.shape == dims:  # as last time: the output's spec is known, and interned
                t._shape, t._ikey = shape, ikey  # (so that the next op on it is a hit too)
            else:
                t._shape = _shape(result.shape)
            t._value = result
            op._outputs = [t]
        return op

    def _create_op(
        self, opdef_cls: type[OpDef], inputs: list[Tensor], attrs: dict[str, Any], name: str | None
    ) -> Operation:
        if self._body_stack:  # a cond/while/defun body being traced: build it as a graph would
            return super().create_op(opdef_cls, inputs, attrs, name)
        if opdef_cls.requires_feed:
            raise RuntimeError(
                f"tf.placeholder() is not compatible with eager execution "
                f"(a {opdef_cls.type} must be fed, and eager ops run at once: "
                "pass the value itself)."
            )
        base = name if name else opdef_cls.type
        stateful = opdef_cls.stateful
        if base.endswith("/"):
            node_name = base[:-1]
        elif stateful:  # variables: unique names, as savers and get_variable need
            node_name = self.unique_name(base)
        else:  # a value, gone after use: no name to reserve (a loop would grow the table)
            node_name = f"{self._name_stack}/{base}" if self._name_stack else base
        # No inputs (a Const, above all): infer() only reads attrs, cheaper than their key.
        key = _infer_key(opdef_cls, attrs, inputs) if inputs else None
        hit = self._infer_cache.get(key) if key is not None else None
        if hit is not None and hit[0].node_name == node_name:
            opdef, specs, multi = hit  # the same call as before: same attrs, input specs
        else:
            opdef = opdef_cls(attrs, node_name)
            out = opdef.infer(*inputs)
            multi = not isinstance(out, TensorSpec)
            specs = list(out) if multi else [out]
            if key is not None:
                if len(self._infer_cache) >= _INFER_CACHE_SIZE:
                    self._infer_cache.clear()
                self._infer_cache[key] = (opdef, specs, multi)
        # Outputs: EagerTensors, below. An eager op's errors are raised here, in the caller's
        # frame, so only a variable records where it was made (for "already exists").
        if stateful:
            op = Operation(self, node_name, opdef, inputs, [], [])
        else:  # Operation's fields, set directly: the hot path of every eager op
            op = _new_op(Operation)
            op._graph, op._name, op._opdef, op._inputs = self, node_name, opdef, tuple(inputs)
            op._control_inputs, op._control_outputs, op._outputs = [], [], []
            op._traceback, op._body = "(eager)", None
        op._multi = multi
        op._id = next(self._ids)
        values = []
        for t in inputs:
            v = getattr(t, "_value", None)
            values.append(v if v is not None else _value_of(t))  # None: raises, naming t
        fn = opdef.compute
        try:
            result = fn(self._ctx, *values) if opdef.needs_context else fn(*values)
        except _KERNEL_ERRORS as e:
            raise _kernel_error(e, opdef_cls, op, node_name) from None
        if not multi and result.__class__ is np.ndarray and not opdef.aliases_state:
            t = EagerTensor(op, 0, specs[0].dtype, _shape(result.shape))  # the common case
            t._value = result
            t._ikey = _intern(_input_key(t))  # its part of the next op's key, made once
            outs = [t]
        else:
            outs = []
            for i, (s, v) in enumerate(zip(specs, list(result or []) if multi else [result])):
                if not isinstance(v, VarCell):
                    v = np.asarray(v)
                    if opdef.aliases_state:  # a view of variable storage: later writes must
                        v = v.copy()  # not change a value already returned
                t = EagerTensor(
                    op, i, s.dtype, s.shape if isinstance(v, VarCell) else _shape(v.shape)
                )
                t._value = v
                if v.__class__ is np.ndarray:
                    t._ikey = _intern(_input_key(t))
                outs.append(t)
        op._outputs = outs
        tapes = self.active_tapes() if self._n_tapes else None
        if tapes:
            for t in inputs:
                t._consumers.append(op)
            for tape in tapes:
                tape._record(op)
        elif (
            key is not None
            and not multi
            and not opdef.aliases_state
            and not opdef.needs_context
            and not self._body_stack
        ):
            # Next time the same call takes the hot path (see create_op).
            fast_key = _fast_key(opdef_cls, name, self._name_stack, attrs, inputs)
            if fast_key is not None:
                if len(self._fast) >= _INFER_CACHE_SIZE:
                    self._fast.clear()
                out = outs[0]
                dims = ikey = None
                if out._value.__class__ is np.ndarray and opdef_cls.type not in _VALUE_OPS:
                    dims, ikey = out._value.shape, out._ikey
                self._fast[fast_key] = (opdef, specs[0], node_name, dims, out._shape, ikey)
        return op


def _fast_key(
    opdef_cls: type[OpDef], name: str | None, scope: str, attrs: dict[str, Any], inputs: Any
) -> Any:
    """The hot path's key (see EagerGraph.create_op), or None where there is none: an input
    that is not an interned eager value, an attr that is neither hashable nor a flat list.
    Input ids are ints and attr names strs, so the parts of a key cannot be read two ways."""
    try:
        key = (opdef_cls, name, scope, *map(_ikey_of, inputs), *attrs, *attrs.values())
        hash(key)
        return key
    except AttributeError:
        return None
    except TypeError:
        return _listed_key(opdef_cls, name, scope, attrs, inputs)


def _listed_key(
    opdef_cls: type[OpDef], name: str | None, scope: str, attrs: dict[str, Any], inputs: Any
) -> Any:
    """_fast_key for attrs that are not all hashable: flat lists become tagged tuples."""
    if opdef_cls.aliases_state or opdef_cls.stateful or opdef_cls.needs_context:
        return None  # never on the hot path (a Const's value attr, above all)
    values = []
    for v in attrs.values():
        if v.__class__ is list:
            v = (list, *v)
        elif v.__class__ is np.ndarray:
            return None
        values.append(v)
    try:
        key = (opdef_cls, name, scope, *map(_ikey_of, inputs), *attrs, *values)
        hash(key)
        return key
    except (AttributeError, TypeError):
        return None


_KERNEL_ERRORS = (
    errors.OpError,
    ValueError,
    TypeError,
    IndexError,
    ZeroDivisionError,
    FloatingPointError,
)


def _kernel_error(e: Exception, opdef_cls: type[OpDef], op: Operation, node_name: str) -> Any:
    """A kernel's exception (one of _KERNEL_ERRORS) as the TF error the eager op raises."""
    if isinstance(e, errors.OpError):
        return type(e)(
            None,
            op,
            e.message
            if f"'{node_name}'" in e.message
            else f"{opdef_cls.type} '{node_name}': {e.message}",
        )
    return errors.InvalidArgumentError(
        None, op, f"{opdef_cls.type} '{node_name}': {type(e).__name__}: {e}"
    )


def _eager_tensor(op: Operation, i: int, spec: TensorSpec, v: Any) -> EagerTensor:
    """An output that is not a fresh ndarray (a NumPy scalar, a list, a variable's cell)."""
    if isinstance(v, VarCell):
        t = EagerTensor(op, i, spec.dtype, spec.shape)
    else:
        v = np.asarray(v)
        t = EagerTensor(op, i, spec.dtype, _shape(v.shape))
        t._value = v
        t._ikey = _intern(_input_key(t))
        return t
    t._value = v
    return t


_new_op = object.__new__
_INFER_CACHE_SIZE = 4096
# Ops whose values an infer() may read (flowzero.ops.common.static_value and friends): an input
# made by one of these is keyed by its value too, when it is small (shapes, axes, sizes).
_VALUE_OPS = frozenset(
    {"Const", "Shape", "Identity", "Rank", "Size", "Pack", "ConcatV2", "Fill", "BroadcastTo"}
)
_SMALL = 64
_SHAPES: dict[tuple[int, ...], TensorShape] = {}


def _shape(dims: tuple[int, ...]) -> TensorShape:
    s = _SHAPES.get(dims)
    if s is None:
        if len(_SHAPES) >= _INFER_CACHE_SIZE:
            _SHAPES.clear()
        s = _SHAPES[dims] = TensorShape(list(dims))
    return s


def _frozen(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_frozen(x) for x in v)
    if isinstance(v, np.ndarray):
        if v.size > _SMALL or v.dtype.kind == "O":
            raise TypeError("large or object array")
        return ("nd", v.dtype.str, v.shape, v.tobytes())
    hash(v)
    return v


def _infer_key(opdef_cls: type[OpDef], attrs: dict[str, Any], inputs: list[Tensor]) -> Any:
    """The key of an op's inferred specs, or None when they must be inferred every time (ops
    with state or side effects, unhashable attrs, inputs that are not eager values)."""
    if opdef_cls.stateful or opdef_cls.needs_context:
        return None
    items = tuple(attrs.items())
    try:
        hash(items)  # plain attrs (bools, ints, strings, DTypes): the key as they are
        parts: list[Any] = [opdef_cls, items]
    except TypeError:
        parts = [opdef_cls]
        try:
            for k in sorted(attrs):
                parts.append((k, _frozen(attrs[k])))
        except TypeError:
            return None
    for t in inputs:
        k = getattr(t, "_ikey", None)
        if k is None:
            k = _input_key(t)
            if k is None:
                return None
            # An EagerTensor's value never changes: its part of the key neither. Kept as a
            # small int (hashed at no cost), unique per spec for the life of the process.
            k = t._ikey = _intern(k)
        parts.append(k)
    return tuple(parts)


_IKEYS: dict[Any, int] = {}
_ikey_ids = itertools.count(1)
_ikey_of = operator.attrgetter("_ikey")  # AttributeError where not interned yet
_value_of_fast = operator.attrgetter("_value")


def _intern(k: Any) -> int:
    i = _IKEYS.get(k)
    if i is None:
        if len(_IKEYS) >= _INFER_CACHE_SIZE:
            _IKEYS.clear()  # ids are never reused: a tensor keeping an old one stays distinct
        i = _IKEYS[k] = next(_ikey_ids)
    return i


def _input_key(t: Tensor) -> Any:
    v = getattr(t, "_value", None)
    if not isinstance(v, np.ndarray):
        return None  # a variable's cell, or a graph tensor (the kernel will say so)
    op_type = t._op._opdef.type
    if op_type in _VALUE_OPS and v.size <= _SMALL:
        return (op_type, t._dtype.name, v.shape, v.tobytes())
    return (op_type, t._dtype.name, v.shape)


def _value_of(t: Tensor) -> Any:
    v = getattr(t, "_value", None)
    if v is None:
        raise ValueError(
            f"Tensor '{t.name}' was built in a graph, not run eagerly: a graph "
            "tensor cannot be an eager op's input."
        )
    return v


_lock = threading.Lock()


def enable_eager_execution(
    config: Any = None, device_policy: Any = None, execution_mode: Any = None
) -> None:
    """Runs every op as soon as it is called (TF1's tf.enable_eager_execution()).

    Raises:
        ValueError: called after graph ops were created in the default graph (it must come
            first in the program, as in TF).
    """
    from flowzero.framework import graph as graph_mod

    with _lock:
        g = graph_mod._global_default_graph
        if isinstance(g, EagerGraph):
            return
        if (g is not None and g.get_operations()) or _graph_stack.stack:
            raise ValueError("tf.enable_eager_execution must be called at program startup.")
        graph_mod._global_default_graph = EagerGraph()


def executing_eagerly() -> bool:
    """True when ops run at once: eager execution is on, no graph is the default and no defun
    is tracing a function."""
    from flowzero.framework.graph import get_default_graph

    g = get_default_graph()
    return getattr(g, "_eager", False) and not g._defun_depth


__all__ = ["EagerTensor", "EagerGraph", "enable_eager_execution", "executing_eagerly"]
