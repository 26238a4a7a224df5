"""The RNN cell base (TF1's rnn_cell_impl, first half): RNNCell, LSTMStateTuple and helpers.

A cell is a tf.layers Layer called as `output, new_state = cell(inputs, state)`. Its first call
opens a variable scope named after the cell (`basic_lstm_cell`, `lstm_cell`, `gru_cell`, ...,
made unique as tf.layers names are) under the caller's scope, creates the variables there with
tf.get_variable, and remembers the scope; later calls re-enter it with reuse. So
`tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)` makes `rnn/basic_lstm_cell/kernel`, as TF does,
and the weight layout is TF's: one fused kernel of shape [input_depth + units, k * units]
applied to concat([inputs, h], 1), so checkpoints map one to one.

Composites of public ops only (no kernels here).
"""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from typing import Any

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    _user_frame,
    convert_to_tensor,
    get_default_graph,
)
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.layers.base import Layer
from flowzero.ops import activation_ops, array_ops, cast_ops, manip_ops, reshape_ops
from flowzero.ops.common import static_value
from flowzero.variables import get_variable_scope, variable_scope


# -- helpers -----------------------------------------------------------------------------------
def _to_snake_case(name: str) -> str:
    """TF's layer base names: BasicLSTMCell -> basic_lstm_cell, GRUCell -> gru_cell."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _activation(activation: Any) -> Callable[..., Any]:
    """A callable activation; None means tanh, a string names one (TF accepts Keras names)."""
    return activation_ops.resolve(activation, default=activation_ops.tanh)


def _check_supported_dtype(dtype: Any) -> None:
    if dtype is None:
        return
    dt = dtypes.as_dtype(dtype)
    if not (dt.is_floating or dt.is_complex):
        raise ValueError(f"RNN cell only supports floating point inputs, but saw dtype: {dt.name}")


def _state_shape(size: Any) -> list[int | None]:
    """A state_size / output_size entry (int or TensorShape) as a list of dims."""
    if isinstance(size, Tensor):
        raise TypeError("state sizes must be ints or TensorShapes, not Tensors.")
    return as_shape(size).as_list()


def _zeros(batch_size: Any, size: Any, dtype: Any) -> Tensor:
    """zeros([batch_size] + size), batch_size an int or a scalar int Tensor."""
    dims = _state_shape(size)
    if not isinstance(batch_size, (Tensor,)) and not hasattr(batch_size, "_as_tensor"):
        return array_ops.zeros([int(batch_size)] + dims, dtype=dtype)
    b = convert_to_tensor(batch_size)
    known = static_value(b)
    if known is not None:
        return array_ops.zeros([int(known)] + dims, dtype=dtype)
    shape = manip_ops.concat(
        [
            reshape_ops.reshape(cast_ops.cast(b, dtypes.int32), [1]),
            array_ops.constant(dims, dtype=dtypes.int32),
        ],
        0,
    )
    out = array_ops.zeros(shape, dtype=dtype)
    out.set_shape([None] + dims)
    return out


def zero_state_tensors(state_size: Any, batch_size: Any, dtype: Any) -> Any:
    """Zeros of shape [batch_size] + s for every s in the (nested) `state_size`."""
    return nest.map_structure(lambda s: _zeros(batch_size, s, dtype), state_size)


def assert_like_rnncell(cell_name: str, cell: Any) -> None:
    """Raises TypeError naming what `cell` lacks to be used as an RNN cell.

    Raises:
        TypeError: no output_size or state_size, no zero_state, or not callable.
    """
    missing = [
        msg
        for ok, msg in (
            (hasattr(cell, "output_size"), "'output_size' property is missing"),
            (hasattr(cell, "state_size"), "'state_size' property is missing"),
            (
                hasattr(cell, "zero_state") or hasattr(cell, "get_initial_state"),
                "either 'zero_state' or 'get_initial_state' method is required",
            ),
            (callable(cell), "is not callable"),
        )
        if not ok
    ]
    if missing:
        raise TypeError(
            f"The argument {cell_name!r} ({cell!r}) is not an RNNCell: {', '.join(missing)}."
        )


# -- the state tuple ---------------------------------------------------------------------------
class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM state `(c, h)`: the memory cell and the output (hidden) state, in that order.

    Also the `state_size` of an LSTM cell (then both entries are ints).
    """

    __slots__ = ()

    @property
    def dtype(self) -> Any:
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype!r} vs {h.dtype!r}")
        return c.dtype


# -- the base class ----------------------------------------------------------------------------
class RNNCell(Layer):
    """TF1's abstract RNN cell: `output, new_state = cell(inputs, state)`.

    Subclasses give `state_size` and `output_size` (an int, a TensorShape, or a nested tuple
    of them) and either implement `build(inputs_shape)` + `call(inputs, state)` (the variables
    are then created once, in the cell's own variable scope), or override `__call__` entirely
    as TF 1.0-era cells do.

    Example:
        >>> class MinimalRNNCell(tf.nn.rnn_cell.RNNCell):
        ...     def __init__(self, units):
        ...         super().__init__()
        ...         self.units = units
        ...     @property
        ...     def state_size(self):
        ...         return self.units
        ...     @property
        ...     def output_size(self):
        ...         return self.units
        ...     def build(self, inputs_shape):
        ...         self.kernel = self.add_variable("kernel", [inputs_shape[-1].value,
        ...                                                    self.units])
        ...     def call(self, inputs, state):
        ...         h = tf.tanh(tf.matmul(inputs, self.kernel) + state)
        ...         return h, h
    """

    def __init__(
        self, trainable: bool = True, name: str | None = None, dtype: Any = None, **kwargs: Any
    ) -> None:
        reuse = kwargs.pop("_reuse", None)
        super().__init__(trainable=trainable, name=name, dtype=dtype, _reuse=reuse)
        # TF1 layers: a given name is the base name, made unique like the default one.
        self._base_name = name or _to_snake_case(type(self).__name__)
        self._input_depth: int | None = None

    # -- the contract --------------------------------------------------------------------------
    @property
    def state_size(self) -> Any:
        """Size(s) of the state: an int, a TensorShape, or a nested tuple of them."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self) -> Any:
        """Size of the output: an int or a TensorShape."""
        raise NotImplementedError("Abstract method")

    def build(self, inputs_shape: TensorShape) -> None:
        """Creates the variables (subclasses); runs once, in the cell's variable scope."""

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(inputs, state) or override __call__."
        )

    def add_variable(
        self,
        name: str,
        shape: Any,
        dtype: Any = None,
        initializer: Any = None,
        regularizer: Any = None,
        trainable: bool = True,
        constraint: Any = None,
        **kwargs: Any,
    ) -> Any:
        """get_variable in the cell's scope, tracked by the cell (TF's add_variable)."""
        return self.add_weight(
            name,
            shape,
            dtype=dtype,
            initializer=initializer,
            regularizer=regularizer,
            trainable=trainable,
            constraint=constraint,
        )

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        """Runs the cell one step: `(output, new_state)`.

        Args:
            inputs: a [batch, input_depth] tensor (or a nested structure for custom cells).
            state: a tensor [batch, state_size], or a tuple matching `state_size`.
            scope: a variable scope (name or VariableScope) for the cell's variables, used on
                the first call only (default: the cell's name under the current scope).

        Raises:
            ValueError: inputs are not 2-D or not floating point, their depth is unknown when
                the cell builds, or it differs from the depth the variables were built for.
        """
        flat_inputs = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        inputs = nest.pack_sequence_as(inputs, flat_inputs)
        return self._in_scope(inputs, flat_inputs, state, scope, lambda: self.call(inputs, state))

    def _call_sequence(self, inputs: Tensor, state: Any) -> tuple[Any, Any] | None:
        """Runs the cell over every step of `inputs` ([time, batch, depth]) as one fused op:
        (outputs [time, batch, output_size], final state), with the variables `__call__`
        would create; None when the cell has no fused sequence kernel for its settings."""
        if not self._fused_sequence_ok():
            return None
        x = convert_to_tensor(inputs)
        step = _StepShape(x)
        return self._in_scope(step, [step], state, None, lambda: self._sequence(x, state))

    def _fused_sequence_ok(self) -> bool:
        return False

    def _sequence(self, inputs: Tensor, state: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    def _in_scope(
        self, inputs: Any, flat_inputs: list[Any], state: Any, scope: Any, run: Any
    ) -> Any:
        first = flat_inputs[0]
        if self._dtype is None:
            self._dtype = first.dtype if first.dtype.is_floating else dtypes.float32
        for x in flat_inputs + [
            convert_to_tensor(s) for s in nest.flatten(state) if isinstance(s, Tensor)
        ]:
            _check_supported_dtype(x.dtype)
        if self._scope is None:
            if self._reuse:
                scope_cm = variable_scope(
                    scope if scope is not None else self._base_name, reuse=self._reuse
                )
            else:
                scope_cm = variable_scope(scope, default_name=self._base_name, reuse=self._reuse)
        else:
            scope_cm = variable_scope(self._scope, reuse=True)
        with first.graph.as_default(), scope_cm as vscope:
            if self._scope is None:
                self._scope = vscope
            if not self.built:
                self.build(
                    first.shape
                    if len(flat_inputs) == 1
                    else nest.map_structure(lambda t: t.shape, inputs)
                )
                self.built = True
            else:
                self._check_input_depth(first)
            return run()

    # -- helpers for the built-in cells --------------------------------------------------------
    def _input_depth_of(self, inputs_shape: Any) -> int:
        """inputs_shape[-1] of 2-D inputs, remembered for later calls."""
        shape = as_shape(inputs_shape)
        if shape.ndims is not None and shape.ndims != 2:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: "
                f"expected ndim=2, found ndim={shape.ndims}. Full shape "
                f"received: {shape}"
            )
        depth = None if shape.ndims is None else shape.as_list()[-1]
        if depth is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected inputs.shape[-1] "
                f"to be known, saw shape: {shape}"
            )
        self._input_depth = depth
        return depth

    def _check_input_depth(self, inputs: Tensor) -> None:
        shape = inputs.shape
        if shape.ndims is not None and shape.ndims != 2 and self._input_depth is not None:
            raise ValueError(
                f"Input 0 of layer {self.name} is incompatible with the layer: "
                f"expected ndim=2, found ndim={shape.ndims}. Full shape "
                f"received: {shape}"
            )
        got = None if shape.ndims is None else shape.as_list()[-1]
        if self._input_depth is not None and got is not None and got != self._input_depth:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' (called at {_user_frame()}): expected "
                f"inputs of depth {self._input_depth} (its variables were built for that); "
                f"got depth {got}, inputs shape {shape}."
            )

    def _add_kernel(
        self, name: str, rows: int, cols: int, input_depth: int, initializer: Any = None
    ) -> Any:
        """A [rows, cols] kernel whose rows hold input_depth input rows + the state rows; when
        an existing variable of another shape is re-used, the error names the depths."""
        try:
            return self.add_variable(name, [rows, cols], initializer=initializer)
        except ValueError as e:
            if "Trying to share variable" not in str(e):
                raise
            full = f"{get_variable_scope().name}/{name}"
            found = next(
                (
                    v
                    for v in get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
                    if v.op.name == full
                ),
                None,
            )
            if found is None or found.shape.ndims != 2:
                raise
            old_rows = found.shape.as_list()[0]
            expected = old_rows - (rows - input_depth)
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the existing variable {full} has shape "
                f"{found.shape}, built for inputs of depth {expected}; got inputs of depth "
                f"{input_depth}. Use a new variable scope, or feed inputs of depth "
                f"{expected}."
            ) from None

    # -- state ---------------------------------------------------------------------------------
    def get_initial_state(
        self, inputs: Any = None, batch_size: Any = None, dtype: Any = None
    ) -> Any:
        """zero_state from `inputs`' batch size and dtype, or from the given ones."""
        if inputs is not None:
            x = convert_to_tensor(inputs)
            dtype = x.dtype
            b = x.shape.as_list()[0] if x.shape.ndims else None
            batch_size = b if b is not None else array_ops.shape(x)[0]
        if batch_size is None or dtype is None:
            raise ValueError(
                f"batch_size and dtype cannot be None while constructing initial "
                f"state: batch_size={batch_size}, dtype={dtype}"
            )
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        """Zero-filled state: [batch_size, s] for each s in `state_size` (same nesting).

        Args:
            batch_size: an int or a scalar int Tensor.
            dtype: the state's dtype.
        """
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return zero_state_tensors(self.state_size, batch_size, dtype)


__all__ = ["RNNCell", "LSTMStateTuple", "assert_like_rnncell", "zero_state_tensors"]


class _StepShape:
    """One step of a [time, batch, depth] tensor, as the cell's shape checks see it."""

    def __init__(self, x: Tensor) -> None:
        known = x.shape.known
        self.shape = as_shape(None if known is None else known[1:])
        self.dtype = x.dtype
        self.graph = x.graph
