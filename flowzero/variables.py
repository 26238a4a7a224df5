"""Variables: tf.Variable, initializers, variable_scope / get_variable, initializer ops.

A Variable is three graph nodes: the storage (`VariableV2`, name `v`), the read (`v/read`) that
every op using the variable consumes, and the initializer (`v/Assign`). Its value lives in each
Session separately.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import (
    GraphKeys,
    Operation,
    Tensor,
    convert_to_tensor,
    get_default_graph,
    register_variable_type,
)
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops import array_ops, control_ops, state_ops


class Variable:
    """A mutable tensor whose value persists across Session.run calls (TF1's RefVariable).

    Args:
        initial_value: a Tensor, Python/NumPy value, or a callable returning one.
        trainable: also add it to TRAINABLE_VARIABLES (what optimizers train by default).
        collections: collection names (default [GLOBAL_VARIABLES]).
        validate_shape: if False, assignments may change the shape.
        name: node name (default "Variable").
        dtype: convert the initial value to this dtype.

    Example:
        >>> sess = tf.Session()
        >>> state = tf.Variable(0, name="counter")
        >>> sess.run(state.initializer)
        >>> print(sess.run(state.assign_add(1)))
        1
    """

    def __init__(
        self,
        initial_value: Any = None,
        trainable: bool = True,
        collections: Any = None,
        validate_shape: bool = True,
        caching_device: Any = None,
        name: str | None = None,
        variable_def: Any = None,
        dtype: Any = None,
        expected_shape: Any = None,
        import_scope: Any = None,
        constraint: Any = None,
        use_resource: Any = None,
        synchronization: Any = None,
        aggregation: Any = None,
        shape: Any = None,
    ) -> None:
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        g = initial_value.graph if isinstance(initial_value, Tensor) else get_default_graph()
        self._graph = g
        self._trainable = bool(trainable)
        self._constraint = constraint
        with (
            g.as_default(),
            g._outside_bodies(),
            g.control_dependencies(None),
            g.name_scope(name or "Variable") as scope,
        ):
            node_name = scope[:-1]
            with g.name_scope("Initializer"):
                init = initial_value() if callable(initial_value) else initial_value
                init = (
                    convert_to_tensor(init, dtype=dtype, name="initial_value")
                    if not isinstance(init, Tensor)
                    else init
                )
            if init.op._body is not None:
                raise ValueError(
                    f"Initializer for variable {node_name}/ is from inside a control-flow "
                    "construct, such as a loop or conditional. When creating a variable inside "
                    "a loop or conditional, use a lambda as the initializer."
                )
            if dtype is not None and init.dtype is not dtypes.as_dtype(dtype):
                raise ValueError(
                    f"Variable '{node_name}': initial_value has dtype "
                    f"{init.dtype.name}, expected {dtypes.as_dtype(dtype).name}."
                )
            var_shape = init.shape if validate_shape else TensorShape(None)
            if shape is not None:
                var_shape = as_shape(shape)
            if validate_shape and not var_shape.is_fully_defined():
                raise ValueError(
                    f"Variable '{node_name}': the initial value's shape {init.shape} must be "
                    "fully defined (or pass validate_shape=False)."
                )
            self._variable = state_ops.variable_op(var_shape, init.dtype, name=scope)
            self._initial_value = init
            self._initializer_op = state_ops.assign(
                self._variable, init, validate_shape=validate_shape, name="Assign"
            ).op
            self._snapshot = state_ops.read_variable(self._variable, name="read")
        self._name = node_name
        cols = list(collections) if collections is not None else [GraphKeys.GLOBAL_VARIABLES]
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in cols:
            cols.append(GraphKeys.TRAINABLE_VARIABLES)
        g.add_to_collections(cols, self)

    @classmethod
    def _from_nodes(
        cls,
        storage: Tensor,
        initializer: Operation,
        snapshot: Tensor,
        initial_value: Tensor,
        trainable: bool = True,
    ) -> Variable:
        """A Variable wrapping existing nodes (its VariableV2, Assign and read), adding no ops:
        what a graph file's variables come back as (TF's `variable_def=`)."""
        v = cls.__new__(cls)
        v._graph = storage.graph
        v._trainable = bool(trainable)
        v._constraint = None
        v._variable = storage
        v._initial_value = initial_value
        v._initializer_op = initializer
        v._snapshot = snapshot
        v._name = storage.op.name
        return v

    # -- identity ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._variable.name

    @property
    def op(self) -> Operation:
        return self._variable.op

    @property
    def graph(self) -> Any:
        return self._graph

    @property
    def dtype(self) -> dtypes.DType:
        return self._variable.dtype

    @property
    def shape(self) -> TensorShape:
        return self._variable.shape

    def get_shape(self) -> TensorShape:
        return self._variable.shape

    @property
    def trainable(self) -> bool:
        return self._trainable

    @property
    def initializer(self) -> Operation:
        return self._initializer_op

    @property
    def initial_value(self) -> Tensor:
        return self._initial_value

    @property
    def device(self) -> str:
        return ""

    @property
    def constraint(self) -> Any:
        return self._constraint

    # -- conversion ----------------------------------------------------------------------------
    def _read(self) -> Tensor:
        # NOTE: in eager execution the snapshot is the value at creation; every use reads anew.
        if getattr(self._graph, "_eager", False):
            return state_ops.read_variable(self._variable, name="read")
        return self._snapshot

    def _as_tensor(self, dtype: Any = None) -> Tensor:
        if dtype is not None and dtypes.as_dtype(dtype) is not self.dtype:
            raise ValueError(
                f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}'"
                f" for variable of type '{self.dtype.name}' ({self._name})."
            )
        return self._read()

    def _as_graph_element(self) -> Tensor:
        return self._read()

    def numpy(self) -> Any:
        """The current value (eager execution only)."""
        if not getattr(self._graph, "_eager", False):
            raise NotImplementedError(
                "numpy() is only available when eager execution is "
                "enabled; use sess.run(v) in graph mode."
            )
        return self._read().numpy()

    def _ref(self) -> Tensor:
        return self._variable

    def value(self) -> Tensor:
        """The tensor that reads the variable (`v/read:0`)."""
        return self._read()

    def read_value(self) -> Tensor:
        """A fresh read of the variable (an Identity of `value()`)."""
        return control_ops.identity(self._read(), name="read")

    def initialized_value(self) -> Tensor:
        """The initial value, for initializing another variable from this one."""
        return self._initial_value

    # -- assignment ----------------------------------------------------------------------------
    def assign(
        self,
        value: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Tensor:
        return state_ops.assign(self._variable, value, name=name)

    def assign_add(
        self,
        delta: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Tensor:
        return state_ops.assign_add(self._variable, delta, name=name)

    def assign_sub(
        self,
        delta: Any,
        use_locking: bool = False,
        name: str | None = None,
        read_value: bool = True,
    ) -> Tensor:
        return state_ops.assign_sub(self._variable, delta, name=name)

    def load(self, value: Any, session: Any = None) -> None:
        """Writes `value` into the variable in `session` (default session) without new ops."""
        from flowzero.runtime.session import _session_for

        sess = _session_for(self._graph, session, "load()")
        arr = np.asarray(value, dtype=self.dtype.np)
        self.shape.assert_is_compatible_with(arr.shape)
        sess._ctx.cell(self._variable.op.name).value = arr.copy()

    def eval(self, session: Any = None) -> Any:
        """The variable's value in `session` (default: the default session)."""
        return self._snapshot.eval(session=session)

    def set_shape(self, shape: Any) -> None:
        self._variable.set_shape(shape)
        self._snapshot.set_shape(shape)

    def __repr__(self) -> str:
        if getattr(self._graph, "_eager", False):
            return (
                f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={self.numpy()!r}>"
            )
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}_ref>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        raise TypeError("Using a tf.Variable as a Python `bool` is not allowed.")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if getattr(self._graph, "_eager", False):
            a = np.asarray(self.numpy())
            return a if dtype is None else a.astype(dtype)
        raise NotImplementedError(
            f"Cannot convert a symbolic Variable ({self.name}) to a numpy array. Use "
            "sess.run(v) or v.eval()."
        )

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self._read())


def _install_variable_operators() -> None:
    # Operators on a Variable act on its read tensor: v + 1, v @ w, -v, v[0], ...
    names = [
        n
        for n in dir(Tensor)
        if n.startswith("__")
        and n.endswith("__")
        and n
        not in {
            "__init__",
            "__repr__",
            "__str__",
            "__hash__",
            "__eq__",
            "__ne__",
            "__bool__",
            "__iter__",
            "__array__",
            "__getattribute__",
            "__setattr__",
            "__delattr__",
            "__class__",
            "__dict__",
            "__doc__",
            "__module__",
            "__new__",
            "__reduce__",
            "__reduce_ex__",
            "__sizeof__",
            "__subclasshook__",
            "__init_subclass__",
            "__format__",
            "__dir__",
            "__slots__",
            "__weakref__",
            "__getstate__",
            "__array_priority__",
        }
    ]
    for n in names:
        fn = getattr(Tensor, n)
        if not callable(fn):
            continue

        def make(fn: Any) -> Any:
            return lambda self, *a: fn(self._read(), *a)

        setattr(Variable, n, make(fn))
    Variable.__array_priority__ = 100  # type: ignore[attr-defined]


# -- collections -------------------------------------------------------------------------------
def global_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def local_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def trainable_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def model_variables(scope: str | None = None) -> list[Variable]:
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


all_variables = global_variables  # TF 0.x name


def variables_initializer(var_list: list[Variable], name: str = "init") -> Operation:
    """An op that runs the initializers of `var_list`."""
    if var_list:
        return control_ops.group(*[v.initializer for v in var_list], name=name)
    return control_ops.no_op(name=name)


def global_variables_initializer() -> Operation:
    """An op that initializes every global variable (run it once after building the graph)."""
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init_local")


initialize_all_variables = global_variables_initializer  # TF 0.x name
initialize_variables = variables_initializer
initialize_local_variables = local_variables_initializer


def report_uninitialized_variables(
    var_list: list[Variable] | None = None, name: str = "report_uninitialized_variables"
) -> Tensor:
    """A 1-D string tensor with the names of the variables not yet initialized."""
    var_list = global_variables() if var_list is None else var_list
    return state_ops.report_uninitialized([v._ref() for v in var_list], name=name)


def assert_variables_initialized(var_list: Any = None) -> Any:
    return report_uninitialized_variables(var_list)


# -- initializers (callables: (shape, dtype, partition_info) -> Tensor) ------------------------
class Initializer:
    """Base class of TF's initializers: `init(shape, dtype=None, partition_info=None)`."""

    dtype: dtypes.DType = dtypes.float32

    def __init__(self, dtype: Any = dtypes.float32) -> None:
        self.dtype = dtypes.as_dtype(dtype)

    def _dt(self, dtype: Any) -> dtypes.DType:
        return dtypes.as_dtype(dtype) if dtype is not None else self.dtype

    def get_config(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class Zeros(Initializer):
    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return array_ops.zeros(shape, dtype=self._dt(dtype))


class Ones(Initializer):
    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return array_ops.ones(shape, dtype=self._dt(dtype))


class Constant(Initializer):
    def __init__(
        self, value: Any = 0, dtype: Any = dtypes.float32, verify_shape: bool = False
    ) -> None:
        super().__init__(dtype)
        self.value = value
        self.verify_shape = verify_shape

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        return array_ops.constant(
            self.value, dtype=self._dt(dtype), shape=shape, verify_shape=self.verify_shape
        )


class RandomNormal(Initializer):
    def __init__(
        self,
        mean: float = 0.0,
        stddev: float = 1.0,
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops import random_ops

        return random_ops.random_normal(
            shape, self.mean, self.stddev, self._dt(dtype), seed=self.seed
        )


class TruncatedNormal(RandomNormal):
    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops import random_ops

        return random_ops.truncated_normal(
            shape, self.mean, self.stddev, self._dt(dtype), seed=self.seed
        )


class RandomUniform(Initializer):
    def __init__(
        self,
        minval: float = 0.0,
        maxval: float | None = None,
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops import random_ops

        return random_ops.random_uniform(
            shape, self.minval, self.maxval, self._dt(dtype), seed=self.seed
        )


class VarianceScaling(Initializer):
    """TF's variance_scaling_initializer: std = sqrt(scale / n), n from fan_in/out/avg."""

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        dtype: Any = dtypes.float32,
    ) -> None:
        super().__init__(dtype)
        if scale <= 0.0:
            raise ValueError(f"`scale` must be a positive float; got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops import random_ops

        dims = as_shape(shape).as_list()
        # A partition of a partitioned variable is scaled by the whole variable's fans.
        fan_in, fan_out = _compute_fans(_full_shape(dims, partition_info))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, n)
        dt = self._dt(dtype)
        if self.distribution == "truncated_normal":
            # 0.879... = std of a unit normal truncated to (-2, 2)
            std = math.sqrt(scale) / 0.87962566103423978
            return random_ops.truncated_normal(dims, 0.0, std, dt, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(dims, 0.0, math.sqrt(scale), dt, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_ops.random_uniform(dims, -limit, limit, dt, seed=self.seed)


def _full_shape(dims: list[Any], partition_info: Any) -> list[Any]:
    full = getattr(partition_info, "full_shape", None)
    return list(full) if full is not None else dims


class Orthogonal(Initializer):
    """TF's orthogonal_initializer: the (reshaped) Q of the QR decomposition of a normal
    random [rows, cols] matrix (rows = prod(shape[:-1]), cols = shape[-1]), its columns'
    signs fixed by R's diagonal, times `gain`: orthonormal rows or columns, whichever are
    fewer."""

    def __init__(
        self, gain: float = 1.0, seed: int | None = None, dtype: Any = dtypes.float32
    ) -> None:
        super().__init__(dtype)
        self.gain, self.seed = gain, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops import decomposition_ops, random_ops, reshape_ops, unary_ops
        from flowzero.ops.matrix_ops import matrix_diag_part, matrix_transpose

        dims = as_shape(shape).as_list()
        dt = self._dt(dtype)
        if not dt.is_floating:
            raise ValueError(f"orthogonal_initializer needs a float dtype; got {dt.name}.")
        if len(dims) < 2:
            raise ValueError(
                f"The tensor to initialize must be at least two-dimensional; got shape {dims}."
            )
        rows, cols = int(np.prod(dims[:-1])), int(dims[-1])
        flat = (cols, rows) if rows < cols else (rows, cols)
        a = random_ops.random_normal(flat, dtype=dt, seed=self.seed)
        q, r = decomposition_ops.qr(a, full_matrices=False)
        q = q * unary_ops.sign(matrix_diag_part(r))
        if rows < cols:
            q = matrix_transpose(q)
        return self.gain * reshape_ops.reshape(q, dims)


class Identity(Initializer):
    """TF's identity initializer: `gain` times the identity matrix (ones on the main
    diagonal of a 2-D shape, which may be non-square)."""

    def __init__(self, gain: float = 1.0, dtype: Any = dtypes.float32) -> None:
        super().__init__(dtype)
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops.matrix_ops import eye

        full = _full_shape(as_shape(shape).as_list(), partition_info)
        if len(full) != 2:
            raise ValueError(
                f"Identity matrix initializer can only be used for 2D matrices; got shape {full}."
            )
        if partition_info is not None and list(full) != as_shape(shape).as_list():
            raise ValueError("Identity matrix initializer cannot initialize a partition.")
        return self.gain * eye(full[0], full[1], dtype=self._dt(dtype))


class UniformUnitScaling(Initializer):
    """TF's (deprecated) uniform_unit_scaling_initializer: uniform in [-m, m] with
    m = factor * sqrt(3 / input_size), input_size = prod(shape[:-1]) (at least 1), so that
    a linear layer keeps its input's scale."""

    def __init__(
        self, factor: float = 1.0, seed: int | None = None, dtype: Any = dtypes.float32
    ) -> None:
        super().__init__(dtype)
        self.factor, self.seed = factor, seed

    def __call__(self, shape: Any, dtype: Any = None, partition_info: Any = None) -> Tensor:
        from flowzero.ops import random_ops

        dims = as_shape(shape).as_list()
        size = max(float(np.prod(_full_shape(dims, partition_info)[:-1])), 1.0)
        m = math.sqrt(3.0 / size) * self.factor
        return random_ops.random_uniform(dims, -m, m, self._dt(dtype), seed=self.seed)


def _compute_fans(shape: list[int]) -> tuple[float, float]:
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform_initializer(
    seed: int | None = None, dtype: Any = dtypes.float32
) -> VarianceScaling:
    return VarianceScaling(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal_initializer(
    seed: int | None = None, dtype: Any = dtypes.float32
) -> VarianceScaling:
    return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed: int | None = None) -> VarianceScaling:
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: int | None = None) -> VarianceScaling:
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: int | None = None) -> VarianceScaling:
    """Truncated normal with std sqrt(1 / fan_in) (variance_scaling, scale 1, fan_in)."""
    return VarianceScaling(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: int | None = None) -> VarianceScaling:
    """Uniform in [-sqrt(3 / fan_in), sqrt(3 / fan_in)] (variance_scaling, scale 1, fan_in)."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
random_uniform_initializer = RandomUniform
variance_scaling_initializer = VarianceScaling
orthogonal_initializer = Orthogonal
uniform_unit_scaling_initializer = UniformUnitScaling


# -- variable_scope / get_variable -------------------------------------------------------------
class _ReuseMode:
    def __repr__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


class VariableScope:
    """A variable scope: name prefix, reuse flag, default initializer/regularizer/dtype."""

    def __init__(
        self,
        reuse: Any,
        name: str = "",
        initializer: Any = None,
        regularizer: Any = None,
        dtype: Any = dtypes.float32,
        original_name_scope: str = "",
    ) -> None:
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = dtypes.as_dtype(dtype)
        self.original_name_scope = original_name_scope

    @property
    def name(self) -> str:
        return self._name

    @property
    def reuse(self) -> Any:
        return self._reuse

    @property
    def initializer(self) -> Any:
        return self._initializer

    @property
    def regularizer(self) -> Any:
        return self._regularizer

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    def reuse_variables(self) -> None:
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self._initializer = initializer

    def set_regularizer(self, regularizer: Any) -> None:
        self._regularizer = regularizer

    def get_variable(self, name: str, *args: Any, **kwargs: Any) -> Variable:
        return get_variable(name, *args, **kwargs)


def _store(g: Any) -> dict[str, Any]:
    st = g._attachments.get("variable_store")
    if st is None:
        st = g._attachments["variable_store"] = {
            "vars": {},
            "scope": VariableScope(False),
            "scope_counts": {},
        }
    return st


def get_variable_scope() -> VariableScope:
    return _store(get_default_graph())["scope"]


@contextlib.contextmanager
def variable_scope(
    name_or_scope: Any,
    default_name: str | None = None,
    values: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    caching_device: Any = None,
    partitioner: Any = None,
    custom_getter: Any = None,
    reuse: Any = None,
    dtype: Any = None,
    use_resource: Any = None,
    constraint: Any = None,
    auxiliary_name_scope: bool = True,
) -> Iterator[VariableScope]:
    """Opens a variable scope (and a matching name scope) for get_variable.

    reuse=True re-uses existing variables (missing ones are an error), tf.AUTO_REUSE creates
    them the first time and re-uses them after, None inherits the enclosing scope's setting.
    """
    g = get_default_graph()
    st = _store(g)
    parent: VariableScope = st["scope"]
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        name_ns = name_or_scope.original_name_scope or full
        base = name_or_scope
    else:
        prefix = f"{parent.name}/" if parent.name else ""
        counts = st["scope_counts"]
        if name_or_scope is None:
            # TF's unique default name: the first of name, name_1, ... never opened before
            # (by default or by explicit name) under this parent scope.
            leaf = default_name
            i = 0
            while counts.get(prefix + leaf, 0) > 0:
                i += 1
                leaf = f"{default_name}_{i}"
        else:
            leaf = name_or_scope
        full = prefix + leaf
        counts[full] = counts.get(full, 0) + 1
        name_ns = None
        base = parent
    if reuse is False:
        new_reuse: Any = False
    elif reuse is None:
        new_reuse = (
            parent.reuse if not isinstance(name_or_scope, VariableScope) else name_or_scope.reuse
        )
        if parent.reuse is True or parent.reuse is AUTO_REUSE:
            new_reuse = parent.reuse
    else:
        new_reuse = reuse
    scope = VariableScope(
        new_reuse,
        full,
        initializer if initializer is not None else base.initializer,
        regularizer if regularizer is not None else base.regularizer,
        dtype if dtype is not None else base.dtype,
    )
    st["scope"] = scope
    try:
        if not auxiliary_name_scope:
            yield scope
        elif name_ns is not None:
            with g.name_scope(name_ns + "/" if not name_ns.endswith("/") else name_ns) as ns:
                scope.original_name_scope = ns
                yield scope
        else:
            with g.name_scope(leaf) as ns:
                scope.original_name_scope = ns
                yield scope
    finally:
        st["scope"] = parent
        # As TF1: leaving a scope resets the default-name counters under it, so re-entering
        # it (with reuse=True, to share) names its sub-scopes from scratch ('rnn', not 'rnn_1').
        sub = full + "/"
        counts = st["scope_counts"]
        for k in [k for k in counts if k.startswith(sub)]:
            counts[k] = 0


def get_variable(
    name: str,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    trainable: bool = True,
    collections: Any = None,
    caching_device: Any = None,
    partitioner: Any = None,
    validate_shape: bool = True,
    use_resource: Any = None,
    custom_getter: Any = None,
    constraint: Any = None,
    **kwargs: Any,
) -> Variable:
    """Gets an existing variable `scope/name` or creates it (TF1's variable sharing).

    Raises:
        ValueError: the variable exists and the scope does not allow reuse ("Did you mean to
            set reuse=True or reuse=tf.AUTO_REUSE in VarScope?"), it does not exist and reuse is
            True, or an existing variable's shape/dtype differs from the requested one.
    """
    g = get_default_graph()
    st = _store(g)
    scope: VariableScope = st["scope"]
    full = f"{scope.name}/{name}" if scope.name else name
    existing = st["vars"].get(full)
    reuse = scope.reuse
    if existing is not None:
        if reuse is False or reuse is None:
            raise ValueError(
                f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or "
                f"reuse=tf.AUTO_REUSE in VarScope? Originally defined at: "
                f"{existing.op.traceback}"
            )
        if shape is not None and not existing.shape.is_compatible_with(as_shape(shape)):
            raise ValueError(
                f"Trying to share variable {full}, but specified shape "
                f"{as_shape(shape)} and found shape {existing.shape}."
            )
        if dtype is not None and dtypes.as_dtype(dtype) is not existing.dtype:
            raise ValueError(
                f"Trying to share variable {full}, but specified dtype "
                f"{dtypes.as_dtype(dtype).name} and found dtype "
                f"{existing.dtype.name}."
            )
        return existing
    if reuse is True:
        raise ValueError(
            f"Variable {full} does not exist, or was not created with tf.get_variable(). Did "
            "you mean to set reuse=tf.AUTO_REUSE in VarScope?"
        )
    dt = dtypes.as_dtype(dtype) if dtype is not None else scope.dtype
    init = initializer if initializer is not None else scope.initializer
    if init is None:
        if dt.is_floating:
            init = glorot_uniform_initializer()
        elif dt.is_integer or dt.is_bool:
            init = Zeros()
        else:
            raise ValueError(f"An initializer for variable {full} of {dt.name} is required.")
    if isinstance(init, (Tensor, np.ndarray, list, int, float)) and not callable(init):
        initial: Any = init
        if shape is not None and isinstance(init, Tensor):
            as_shape(shape).assert_is_compatible_with(init.shape)
    else:
        if shape is None:
            raise ValueError(
                f"Shape of a new variable ({full}) must be fully defined, but "
                "instead was <unknown>."
            )
        s = as_shape(shape)
        if not s.is_fully_defined():
            raise ValueError(
                f"Shape of a new variable ({full}) must be fully defined, but instead was {s}."
            )
        fn = init
        dims = s.as_list()

        def initial() -> Tensor:  # type: ignore[misc]
            return fn(dims, dtype=dt) if not isinstance(fn, type) else fn()(dims, dtype=dt)

    with g.name_scope(None), g.name_scope(f"{scope.name}/" if scope.name else None):
        v = Variable(
            initial,
            trainable=trainable,
            collections=collections,
            name=name,
            dtype=dt,
            validate_shape=validate_shape,
            constraint=constraint,
        )
    st["vars"][full] = v
    reg = regularizer if regularizer is not None else scope.regularizer
    if reg is not None:
        with g.name_scope(None), g.name_scope(f"{v.op.name}/Regularizer/"):
            loss = reg(v.value())
        if loss is not None:
            g.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return v


def _reset_store_for_tests(g: Any) -> None:
    g._attachments.pop("variable_store", None)


_install_variable_operators()

__all__ = [
    "Variable",
    "get_variable",
    "variable_scope",
    "AUTO_REUSE",
    "global_variables",
    "trainable_variables",
    "global_variables_initializer",
]


register_variable_type(Variable, Variable._from_nodes)
