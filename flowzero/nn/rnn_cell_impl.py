"""The basic RNN cells (TF1's rnn_cell_impl, second half): BasicRNNCell, GRUCell,
BasicLSTMCell and LSTMCell, with TF's variable names and weight layout (see rnn_cell_base.py
for how cells name and create their variables).

Composites of public ops only (no kernels here).
"""

from __future__ import annotations

import numbers
from typing import Any

from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.nn.rnn_cell_base import (
    LSTMStateTuple,
    RNNCell,
    _activation,
    _check_supported_dtype,
)
from flowzero.ops import (
    activation_ops,
    array_ops,
    cast_ops,
    linalg_ops,
    manip_ops,
    math_ops,
    nn_ops,
    rnn_ops,
    slicing_ops,
)
from flowzero.variables import constant_initializer, zeros_initializer

_KERNEL = "kernel"
_BIAS = "bias"


# -- the basic cells ---------------------------------------------------------------------------
def _linear(args: Tensor, kernel: Any, bias: Any = None) -> Tensor:
    out = linalg_ops.matmul(args, kernel)
    return out if bias is None else nn_ops.bias_add(out, bias)


class BasicRNNCell(RNNCell):
    """The simplest RNN: output = new_state = activation([inputs, state] @ kernel + bias).

    Variables: `kernel` [input_depth + num_units, num_units] (glorot uniform unless the scope
    sets an initializer), `bias` [num_units] (zeros).

    Args:
        num_units: the number of units.
        activation: the nonlinearity (default tanh); a callable or a name.
        reuse: re-use the variables of an existing scope of the same name.
        name: the variable scope's name (default "basic_rnn_cell", made unique).
        dtype: the variables' dtype (default: the first inputs').
    """

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        _check_supported_dtype(self.dtype)
        self._num_units = int(num_units)
        self._activation = _activation(activation)

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth = self._input_depth_of(inputs_shape)
        n = self._num_units
        self._kernel = self._add_kernel(_KERNEL, depth + n, n, depth)
        self._bias = self.add_variable(_BIAS, [n], initializer=zeros_initializer())

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        out = self._activation(
            _linear(manip_ops.concat([inputs, state], 1), self._kernel, self._bias)
        )
        return out, out


class GRUCell(RNNCell):
    """Gated recurrent unit (Cho et al. 2014), TF's variant.

    r, u = sigmoid([inputs, h] @ gates/kernel + gates/bias);
    c = activation([inputs, r * h] @ candidate/kernel + candidate/bias);
    new_h = u * h + (1 - u) * c.

    Variables: `gates/kernel` [depth + units, 2 * units], `gates/bias` (ones: the gates start
    open), `candidate/kernel` [depth + units, units], `candidate/bias` (zeros).

    Args:
        num_units: the number of units.
        activation: the candidate's nonlinearity (default tanh).
        reuse: re-use the variables of an existing scope of the same name.
        kernel_initializer: initializer of both kernels (default: the scope's, else glorot).
        bias_initializer: initializer of both biases (default: ones / zeros as above).
        name: the variable scope's name (default "gru_cell").
        dtype: the variables' dtype (default: the first inputs').
    """

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        _check_supported_dtype(self.dtype)
        self._num_units = int(num_units)
        self._activation = _activation(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self) -> int:
        return self._num_units

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth = self._input_depth_of(inputs_shape)
        n = self._num_units
        bi = self._bias_initializer
        self._gate_kernel = self._add_kernel(
            f"gates/{_KERNEL}", depth + n, 2 * n, depth, self._kernel_initializer
        )
        self._gate_bias = self.add_variable(
            f"gates/{_BIAS}",
            [2 * n],
            initializer=bi if bi is not None else constant_initializer(1.0),
        )
        self._candidate_kernel = self._add_kernel(
            f"candidate/{_KERNEL}", depth + n, n, depth, self._kernel_initializer
        )
        self._candidate_bias = self.add_variable(
            f"candidate/{_BIAS}", [n], initializer=bi if bi is not None else zeros_initializer()
        )

    def call(self, inputs: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        gates = activation_ops.sigmoid(
            _linear(manip_ops.concat([inputs, state], 1), self._gate_kernel, self._gate_bias)
        )
        r, u = manip_ops.split(gates, 2, axis=1)
        candidate = _linear(
            manip_ops.concat([inputs, r * state], 1), self._candidate_kernel, self._candidate_bias
        )
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


def _split_lstm_state(
    state: Any, state_is_tuple: bool, c_size: int, h_size: int
) -> tuple[Tensor, Tensor]:
    if state_is_tuple:
        c, h = state
        return c, h
    c = slicing_ops.slice(state, [0, 0], [-1, c_size])
    h = slicing_ops.slice(state, [0, c_size], [-1, h_size])
    return c, h


class BasicLSTMCell(RNNCell):
    """The basic LSTM (Zaremba et al. 2014): no peepholes, clipping or projection.

    i, j, f, o = split([inputs, h] @ kernel + bias, 4);
    new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * activation(j);
    new_h = activation(new_c) * sigmoid(o).

    Variables: `kernel` [input_depth + units, 4 * units] (gate order i, j, f, o), `bias`
    [4 * units] (zeros).

    With the default activation and a Python forget_bias, a step is one fused `LSTMBlockCell`
    op (TF's LSTMBlockCell kernel, same numbers, first-order gradients only); pass
    `activation=tf.tanh` to build it from primitive ops (e.g. for second derivatives).

    Args:
        num_units: the number of units.
        forget_bias: added to the forget gate's pre-activation (1.0: remember at first).
        state_is_tuple: states are LSTMStateTuple(c, h) (else concat([c, h], 1)).
        activation: the inner nonlinearity (default tanh).
        reuse: re-use the variables of an existing scope of the same name.
        name: the variable scope's name (default "basic_lstm_cell").
        dtype: the variables' dtype (default: the first inputs').

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 20, 8])
        >>> cell = tf.nn.rnn_cell.BasicLSTMCell(64)
        >>> outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)  # x: [b, t, d]
        >>> outputs.shape, state.c.shape
        (TensorShape([None, 20, 64]), TensorShape([None, 64]))
    """

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        _check_supported_dtype(self.dtype)
        self._num_units = int(num_units)
        self._forget_bias = forget_bias
        self._state_is_tuple = bool(state_is_tuple)
        self._activation = _activation(activation)
        self._fused = activation is None and isinstance(forget_bias, numbers.Real)

    @property
    def state_size(self) -> Any:
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth = self._input_depth_of(inputs_shape)
        n = self._num_units
        self._kernel = self._add_kernel(_KERNEL, depth + n, 4 * n, depth)
        self._bias = self.add_variable(_BIAS, [4 * n], initializer=zeros_initializer())

    def _fused_sequence_ok(self) -> bool:
        return self._fused

    def _sequence(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        n = self._num_units
        c, h = _split_lstm_state(state, self._state_is_tuple, n, n)
        out = rnn_ops.block_lstm(
            inputs, c, h, self._kernel, self._bias, forget_bias=float(self._forget_bias)
        )
        new_c, new_h = out[7], out[8]
        new_state = (
            LSTMStateTuple(new_c, new_h)
            if self._state_is_tuple
            else manip_ops.concat([new_c, new_h], 1)
        )
        return out[6], new_state

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        n = self._num_units
        c, h = _split_lstm_state(state, self._state_is_tuple, n, n)
        if self._fused:
            _, new_c, _, _, _, _, new_h = rnn_ops.lstm_block_cell(
                inputs, c, h, self._kernel, self._bias, forget_bias=float(self._forget_bias)
            )
        else:
            gates = _linear(manip_ops.concat([inputs, h], 1), self._kernel, self._bias)
            i, j, f, o = manip_ops.split(gates, 4, axis=1)
            sigmoid = activation_ops.sigmoid
            forget_bias = array_ops.constant(self._forget_bias, dtype=f.dtype)
            new_c = math_ops.add(
                math_ops.multiply(c, sigmoid(math_ops.add(f, forget_bias))),
                math_ops.multiply(sigmoid(i), self._activation(j)),
            )
            new_h = math_ops.multiply(self._activation(new_c), sigmoid(o))
        new_state = (
            LSTMStateTuple(new_c, new_h)
            if self._state_is_tuple
            else manip_ops.concat([new_c, new_h], 1)
        )
        return new_h, new_state


class LSTMCell(RNNCell):
    """The full LSTM: optional peepholes (Sak et al. 2014), cell clipping and a projection.

    i, j, f, o = split([inputs, h] @ kernel + bias, 4); with peepholes,
    c = sigmoid(f + forget_bias + w_f_diag * c_prev) * c_prev
        + sigmoid(i + w_i_diag * c_prev) * activation(j),
    h = sigmoid(o + w_o_diag * c) * activation(c) (without: the BasicLSTMCell formulas);
    c is clipped to [-cell_clip, cell_clip]; h = h @ projection/kernel (clipped to proj_clip)
    when num_proj is set.

    Variables: `kernel` [depth + (num_proj or units), 4 * units], `bias` [4 * units];
    `w_f_diag`, `w_i_diag`, `w_o_diag` [units] with peepholes; `projection/kernel`
    [units, num_proj] with a projection.

    Args:
        num_units: the number of units.
        use_peepholes: add the diagonal peephole connections.
        cell_clip: clip the cell state to this magnitude before the output activation.
        initializer: initializer of the kernels and peephole weights.
        num_proj: project the output to this many units.
        proj_clip: clip the projected output to this magnitude.
        num_unit_shards, num_proj_shards: deprecated in TF; accepted and ignored.
        forget_bias: added to the forget gate's pre-activation.
        state_is_tuple: states are LSTMStateTuple(c, h) (else concat([c, h], 1)).
        activation: the inner nonlinearity (default tanh).
        reuse: re-use the variables of an existing scope of the same name.
        name: the variable scope's name (default "lstm_cell").
        dtype: the variables' dtype (default: the first inputs').
    """

    def __init__(
        self,
        num_units: int,
        use_peepholes: bool = False,
        cell_clip: Any = None,
        initializer: Any = None,
        num_proj: int | None = None,
        proj_clip: Any = None,
        num_unit_shards: Any = None,
        num_proj_shards: Any = None,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse, **kwargs)
        _check_supported_dtype(self.dtype)
        self._num_units = int(num_units)
        self._use_peepholes = bool(use_peepholes)
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = None if num_proj is None else int(num_proj)
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = bool(state_is_tuple)
        self._activation = _activation(activation)
        h = self._num_proj if self._num_proj else self._num_units
        self._state_size: Any = (
            LSTMStateTuple(self._num_units, h) if self._state_is_tuple else self._num_units + h
        )
        self._output_size = h

    @property
    def state_size(self) -> Any:
        return self._state_size

    @property
    def output_size(self) -> int:
        return self._output_size

    def build(self, inputs_shape: TensorShape) -> None:
        depth = self._input_depth_of(inputs_shape)
        n = self._num_units
        h_depth = n if self._num_proj is None else self._num_proj
        self._kernel = self._add_kernel(_KERNEL, depth + h_depth, 4 * n, depth, self._initializer)
        self._bias = self.add_variable(_BIAS, [4 * n], initializer=zeros_initializer())
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", [n], initializer=self._initializer)
            self._w_i_diag = self.add_variable("w_i_diag", [n], initializer=self._initializer)
            self._w_o_diag = self.add_variable("w_o_diag", [n], initializer=self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_variable(
                f"projection/{_KERNEL}", [n, self._num_proj], initializer=self._initializer
            )

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, Any]:
        n = self._num_units
        num_proj = n if self._num_proj is None else self._num_proj
        sigmoid = activation_ops.sigmoid
        c_prev, m_prev = _split_lstm_state(state, self._state_is_tuple, n, num_proj)
        gates = _linear(manip_ops.concat([inputs, m_prev], 1), self._kernel, self._bias)
        i, j, f, o = manip_ops.split(gates, 4, axis=1)
        if self._use_peepholes:
            c = sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev + sigmoid(
                i + self._w_i_diag * c_prev
            ) * self._activation(j)
        else:
            c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = cast_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = linalg_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = cast_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else manip_ops.concat([c, m], 1)
        return m, new_state


__all__ = ["BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell"]
