"""tf.contrib.rnn: TF1's contrib RNN namespace.

The core cells and static_rnn are re-exported from tf.nn; this module adds LSTMBlockCell (TF's
fused-kernel LSTM: the fused `LSTMBlockCell` op of flowzero/ops/rnn_ops.py, or the composite
math of LSTMCell with peepholes / clipping), the layer-normalized LayerNormBasicLSTMCell, and the
stacked bidirectional helpers. Composites of existing ops only (no kernels here).

Example:
    >>> x = tf.placeholder(tf.float32, [None, 20, 8])   # [batch, time, depth]
    >>> lengths = tf.placeholder(tf.int32, [None])
    >>> cells_fw = [tf.contrib.rnn.LSTMBlockCell(64) for _ in range(2)]
    >>> cells_bw = [tf.contrib.rnn.LSTMBlockCell(64) for _ in range(2)]
    >>> out, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
    ...     cells_fw, cells_bw, x, sequence_length=lengths, dtype=tf.float32)
    >>> out.shape   # forward and backward outputs side by side
    TensorShape([None, 20, 128])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flowzero.contrib.rnn_projection import InputProjectionWrapper, OutputProjectionWrapper
from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor
from flowzero.framework.shapes import TensorShape
from flowzero.nn.rnn import (
    bidirectional_dynamic_rnn,
    static_bidirectional_rnn,
    static_rnn,
)
from flowzero.nn.rnn_cell_base import LSTMStateTuple, RNNCell, _activation, _StepShape
from flowzero.nn.rnn_cell_impl import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell
from flowzero.nn.rnn_cell_wrappers import (
    DeviceWrapper,
    DropoutWrapper,
    MultiRNNCell,
    ResidualWrapper,
)
from flowzero.ops import (
    activation_ops,
    array_ops,
    cast_ops,
    indexing_ops,
    linalg_ops,
    logic_ops,
    manip_ops,
    nn_impl,
    nn_ops,
    range_ops,
    reshape_ops,
    rnn_ops,
)
from flowzero.variables import (
    constant_initializer,
    get_variable,
    variable_scope,
    zeros_initializer,
)

# -- cells -------------------------------------------------------------------------------------


class LSTMBlockCell(RNNCell):
    """TF's LSTMBlockCell: the LSTM of BasicLSTMCell (+ optional peepholes and cell clipping),
    with TF's variable names `lstm_cell/kernel` and `lstm_cell/bias`, so its checkpoints load
    into an LSTMCell and back.

    i, j, f, o = split([x, h] @ kernel + bias, 4);
    c = sigmoid(f + forget_bias [+ w_f_diag * c_prev]) * c_prev
        + sigmoid(i [+ w_i_diag * c_prev]) * tanh(j), clipped to cell_clip when it is > 0;
    h = sigmoid(o [+ w_o_diag * c]) * tanh(c).

    Without peepholes and clipping a step is one fused `LSTMBlockCell` op (first-order
    gradients only); with them it is built from primitive ops.

    Args:
        num_units: the number of units.
        forget_bias: added to the forget gate's pre-activation.
        cell_clip: clip the cell state to this magnitude (None or <= 0: no clipping).
        use_peephole: add the peephole weights `w_i_diag`, `w_f_diag`, `w_o_diag`.
        dtype: the variables' dtype (default: the first inputs').
        reuse: re-use the variables of an existing scope of the same name.
        name: the variable scope's name (default "lstm_cell").
    """

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        cell_clip: Any = None,
        use_peephole: bool = False,
        dtype: Any = None,
        reuse: Any = None,
        name: str = "lstm_cell",
    ) -> None:
        super().__init__(name=name, dtype=dtype, _reuse=reuse)
        self._num_units = int(num_units)
        self._forget_bias = forget_bias
        self._cell_clip = cell_clip if cell_clip is not None else -1
        self._use_peephole = bool(use_peephole)

    @property
    def state_size(self) -> LSTMStateTuple:
        return LSTMStateTuple(self._num_units, self._num_units)

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        depth = self._input_depth_of(inputs_shape)
        n = self._num_units
        self._kernel = self._add_kernel("kernel", depth + n, 4 * n, depth)
        self._bias = self.add_variable("bias", [4 * n], initializer=zeros_initializer())
        if self._use_peephole:
            self._w_i_diag = self.add_variable("w_i_diag", [n])
            self._w_f_diag = self.add_variable("w_f_diag", [n])
            self._w_o_diag = self.add_variable("w_o_diag", [n])

    def _fused_sequence_ok(self) -> bool:
        return not self._use_peephole and self._cell_clip <= 0

    def _sequence(self, inputs: Tensor, state: Any) -> tuple[Tensor, LSTMStateTuple]:
        c_prev, h_prev = state
        out = rnn_ops.block_lstm(
            inputs, c_prev, h_prev, self._kernel, self._bias, float(self._forget_bias)
        )
        return out[6], LSTMStateTuple(out[7], out[8])

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, LSTMStateTuple]:
        c_prev, h_prev = state
        if not self._use_peephole and self._cell_clip <= 0:
            # TF's fused step kernel (flowzero has it for this case: no peepholes, no clip).
            _, c, _, _, _, _, h = rnn_ops.lstm_block_cell(
                inputs, c_prev, h_prev, self._kernel, self._bias, float(self._forget_bias)
            )
            return h, LSTMStateTuple(c, h)
        sigmoid, tanh = activation_ops.sigmoid, activation_ops.tanh
        gates = nn_ops.bias_add(
            linalg_ops.matmul(manip_ops.concat([inputs, h_prev], 1), self._kernel), self._bias
        )
        i, j, f, o = manip_ops.split(gates, 4, axis=1)
        if self._use_peephole:
            i = i + self._w_i_diag * c_prev
            f = f + self._w_f_diag * c_prev
        c = sigmoid(f + self._forget_bias) * c_prev + sigmoid(i) * tanh(j)
        if self._cell_clip > 0:
            c = cast_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peephole:
            o = o + self._w_o_diag * c
        h = sigmoid(o) * tanh(c)
        return h, LSTMStateTuple(c, h)


class LayerNormBasicLSTMCell(RNNCell):
    """An LSTM with layer normalization (Ba et al. 2016) and recurrent dropout (Semeniuta et
    al. 2016), TF's contrib cell.

    i, j, f, o = split([x, h] @ kernel (+ bias without layer norm), 4), each gate layer
    normalized (over its units, epsilon 1e-12) with its own gain and shift;
    g = dropout(activation(j)); c = LN_state(c_prev * sigmoid(f + forget_bias)
    + sigmoid(i) * g); h = activation(c) * sigmoid(o).

    Variables: `kernel` [depth + units, 4 * units]; with layer_norm, `input/gamma`,
    `input/beta`, `transform/...`, `forget/...`, `output/...`, `state/...` [units] (the gate
    scopes are TF's names for i, j, f, o and c), and no `bias`; without, `bias` [4 * units].

    Args:
        num_units: the number of units.
        forget_bias: added to the forget gate's pre-activation.
        input_size: deprecated in TF; ignored.
        activation: the inner nonlinearity (default tanh).
        layer_norm: apply layer normalization.
        norm_gain, norm_shift: the initial gain (gamma) and shift (beta).
        dropout_keep_prob: keep probability of the recurrent dropout on g (float or tensor).
        dropout_prob_seed: the dropout's seed.
        reuse: re-use the variables of an existing scope of the same name.
    """

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        input_size: Any = None,
        activation: Any = None,
        layer_norm: bool = True,
        norm_gain: float = 1.0,
        norm_shift: float = 0.0,
        dropout_keep_prob: Any = 1.0,
        dropout_prob_seed: int | None = None,
        reuse: Any = None,
    ) -> None:
        super().__init__(_reuse=reuse)
        self._num_units = int(num_units)
        self._activation: Callable[..., Any] = _activation(activation)
        self._forget_bias = forget_bias
        self._keep_prob = dropout_keep_prob
        self._seed = dropout_prob_seed
        self._layer_norm = bool(layer_norm)
        self._norm_gain = norm_gain
        self._norm_shift = norm_shift

    @property
    def state_size(self) -> LSTMStateTuple:
        return LSTMStateTuple(self._num_units, self._num_units)

    @property
    def output_size(self) -> int:
        return self._num_units

    def build(self, inputs_shape: TensorShape) -> None:
        self._input_depth_of(inputs_shape)

    def _norm(self, x: Tensor, scope: str) -> Tensor:
        shape = x.shape.as_list()[-1:]
        with variable_scope(scope):
            gamma = self._var("gamma", shape, x.dtype, constant_initializer(self._norm_gain))
            beta = self._var("beta", shape, x.dtype, constant_initializer(self._norm_shift))
            mean, variance = nn_impl.moments(x, [1], keep_dims=True)
            return nn_impl.batch_normalization(x, mean, variance, beta, gamma, 1e-12)

    def call(self, inputs: Tensor, state: Any) -> tuple[Tensor, LSTMStateTuple]:
        c, h = state
        args = manip_ops.concat([inputs, h], 1)
        depth = args.shape.as_list()[-1]
        kernel = self._var("kernel", [depth, 4 * self._num_units], args.dtype)
        concat = linalg_ops.matmul(args, kernel)
        if not self._layer_norm:
            bias = self._var("bias", [4 * self._num_units], args.dtype)
            concat = nn_ops.bias_add(concat, bias)
        i, j, f, o = manip_ops.split(concat, 4, axis=1)
        if self._layer_norm:
            i = self._norm(i, "input")
            j = self._norm(j, "transform")
            f = self._norm(f, "forget")
            o = self._norm(o, "output")
        g = self._activation(j)
        if not isinstance(self._keep_prob, float) or self._keep_prob < 1:
            g = nn_impl.dropout(g, keep_prob=self._keep_prob, seed=self._seed)
        new_c = c * activation_ops.sigmoid(f + self._forget_bias) + activation_ops.sigmoid(i) * g
        if self._layer_norm:
            new_c = self._norm(new_c, "state")
        new_h = self._activation(new_c) * activation_ops.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)

    def _var(self, name: str, shape: list[Any], dtype: Any, initializer: Any = None) -> Any:
        # NOTE: TF's cell makes its variables in call() (it is no LayerRNNCell), with
        # get_variable under the cell's scope: created on the first call, re-used after.
        v = get_variable(name, shape, dtype=dtype, initializer=initializer)
        if v not in self._trainable_weights:
            self._trainable_weights.append(v)
        return v


# -- stacked bidirectional ---------------------------------------------------------------------
class LSTMBlockFusedCell(LSTMBlockCell):
    """TF's fused LSTM (`tf.contrib.rnn.LSTMBlockFusedCell`): the whole sequence in one call.

    Called on time-major inputs, not step by step: `cell(inputs, initial_state=None,
    dtype=None, sequence_length=None)` -> (outputs [time, batch, units], LSTMStateTuple(c, h)).
    Its variables are LSTMBlockCell's (`lstm_cell/kernel`, `bias`, the peepholes), so the two
    share checkpoints. Without peepholes and clipping it is one `BlockLSTM` op; otherwise the
    steps are unrolled. With `sequence_length`, outputs past a sequence's length are zeros and
    the final state is the one at its last valid step (the initial state for length 0).

    Example:
        >>> x_time_major = tf.placeholder(tf.float32, [20, None, 8])   # [time, batch, depth]
        >>> cell = tf.contrib.rnn.LSTMBlockFusedCell(128)
        >>> outputs, (c, h) = cell(x_time_major, dtype=tf.float32)
        >>> outputs.shape, h.shape
        (TensorShape([20, None, 128]), TensorShape([None, 128]))
    """

    def __call__(
        self,
        inputs: Any,
        initial_state: Any = None,
        dtype: Any = None,
        sequence_length: Any = None,
        scope: Any = None,
    ) -> tuple[Any, LSTMStateTuple]:
        is_list = isinstance(inputs, (list, tuple))
        x = array_ops.stack(list(inputs)) if is_list else convert_to_tensor(inputs)
        if x.shape.ndims != 3 or x.shape.as_list()[2] is None:
            raise ValueError(
                f"LSTMBlockFusedCell '{self.name}': inputs must be [time, batch, depth] with "
                f"a known depth; got shape {x.shape}."
            )
        dims = x.shape.as_list()
        batch: Any = dims[1] if dims[1] is not None else array_ops.shape(x)[1]
        if initial_state is None:
            if dtype is None:
                raise ValueError(
                    f"LSTMBlockFusedCell '{self.name}': either initial_state "
                    "or dtype needs to be specified."
                )
            z = array_ops.zeros(array_ops.stack([batch, self._num_units]), dtype=dtype)
            initial_state = (z, z)
        elif len(initial_state) != 2:
            raise ValueError(
                f"LSTMBlockFusedCell '{self.name}': initial_state must be a "
                f"(cell_state, output) pair; got {len(initial_state)} items."
            )
        c0, h0 = (convert_to_tensor(t) for t in initial_state)
        step = _StepShape(x)
        outputs, cs = self._in_scope(
            step, [step], (c0, h0), scope, lambda: self._sequence_states(x, c0, h0)
        )
        if sequence_length is None:
            c, h = cs[-1], outputs[-1]
        else:
            seq = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
            n_t = array_ops.shape(x)[0]
            valid = logic_ops.less(
                reshape_ops.expand_dims(range_ops.range(0, n_t), 1), reshape_ops.expand_dims(seq, 0)
            )  # [time, batch]
            outputs = outputs * reshape_ops.expand_dims(cast_ops.cast(valid, outputs.dtype), 2)
            # The state after step len-1 (the initial state for len 0): row `len` of
            # [initial; states] for each sequence.
            rows = seq * batch + range_ops.range(0, batch)
            c, h = (
                indexing_ops.gather(
                    reshape_ops.reshape(
                        manip_ops.concat([reshape_ops.expand_dims(first, 0), seqs], 0),
                        [-1, self._num_units],
                    ),
                    rows,
                )
                for first, seqs in ((c0, cs), (h0, outputs))
            )
        if is_list:
            outputs = array_ops.unstack(outputs)
        return outputs, LSTMStateTuple(c, h)

    def _sequence_states(self, x: Tensor, c0: Tensor, h0: Tensor) -> tuple[Tensor, Tensor]:
        """(h of every step, cs of every step), [time, batch, units] each."""
        if self._fused_sequence_ok():
            out = rnn_ops.block_lstm(x, c0, h0, self._kernel, self._bias, float(self._forget_bias))
            return out[6], out[1]
        hs, cs = [], []
        state = LSTMStateTuple(c0, h0)
        for x_t in array_ops.unstack(x):  # peepholes or clipping: the composite step, unrolled
            h, state = self.call(x_t, state)
            hs.append(h)
            cs.append(state.c)
        return array_ops.stack(hs), array_ops.stack(cs)


class GRUBlockCell(GRUCell):
    """TF's `tf.contrib.rnn.GRUBlockCell` (and `GRUBlockCellV2`): GRUCell's math and variable
    names (`gru_cell/gates/kernel`, `.../candidate/bias`), so their checkpoints are shared.
    TF 1.x also accepted the width as `cell_size`."""

    def __init__(
        self,
        num_units: int | None = None,
        cell_size: int | None = None,
        reuse: Any = None,
        name: str = "gru_cell",
    ) -> None:
        units = num_units if num_units is not None else cell_size
        if units is None:
            raise ValueError("GRUBlockCell: give num_units (or cell_size).")
        super().__init__(units, reuse=reuse, name=name)


GRUBlockCellV2 = GRUBlockCell


def _check_stack_args(
    cells_fw: Any, cells_bw: Any, initial_states_fw: Any, initial_states_bw: Any
) -> None:
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if not isinstance(cells_fw, list):
        raise ValueError("cells_fw must be a list of RNNCells (one per layer).")
    if not isinstance(cells_bw, list):
        raise ValueError("cells_bw must be a list of RNNCells (one per layer).")
    if len(cells_fw) != len(cells_bw):
        raise ValueError(
            f"Forward and Backward cells must have the same depth; got "
            f"{len(cells_fw)} and {len(cells_bw)}."
        )
    for states, what in ((initial_states_fw, "fw"), (initial_states_bw, "bw")):
        if states is not None and (
            not isinstance(states, (list, tuple)) or len(states) != len(cells_fw)
        ):
            raise ValueError(
                f"initial_states_{what} must be a list of state tensors (one per "
                f"layer, {len(cells_fw)})."
            )


def stack_bidirectional_rnn(
    cells_fw: list[Any],
    cells_bw: list[Any],
    inputs: Sequence[Any],
    initial_states_fw: Any = None,
    initial_states_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple[list[Tensor], tuple[Any, ...], tuple[Any, ...]]:
    """Layers of static_bidirectional_rnn, each fed the previous layer's concatenated outputs.

    Layer k's variables live under `stack_bidirectional_rnn/cell_k/bidirectional_rnn/{fw,bw}`.

    Returns:
        (outputs, output_states_fw, output_states_bw): the last layer's outputs (a list of T
        [batch, fw + bw] tensors) and the final states of every layer.

    Raises:
        ValueError: empty or unequal cell lists, initial states of the wrong length, or empty
            inputs.
    """
    _check_stack_args(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    if not inputs:
        raise ValueError("stack_bidirectional_rnn: inputs must not be empty")
    states_fw, states_bw = [], []
    prev_layer = list(inputs)
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with variable_scope(f"cell_{i}"):
                prev_layer, state_fw, state_bw = static_bidirectional_rnn(
                    cell_fw,
                    cell_bw,
                    prev_layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length,
                    dtype=dtype,
                )
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_dynamic_rnn(
    cells_fw: list[Any],
    cells_bw: list[Any],
    inputs: Any,
    initial_states_fw: Any = None,
    initial_states_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    parallel_iterations: int | None = None,
    time_major: bool = False,
    scope: Any = None,
    swap_memory: bool = False,
) -> tuple[Tensor, tuple[Any, ...], tuple[Any, ...]]:
    """Layers of bidirectional_dynamic_rnn, each fed the previous layer's outputs
    concatenated on the depth axis.

    Layer k's variables live under
    `stack_bidirectional_rnn/cell_k/bidirectional_rnn/{fw,bw}`.

    Returns:
        (outputs, output_states_fw, output_states_bw): the last layer's outputs
        [batch, time, fw + bw] ([time, batch, ...] when time_major) and every layer's final
        states.

    Raises:
        ValueError: empty or unequal cell lists, or initial states of the wrong length.
    """
    _check_stack_args(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    states_fw, states_bw = [], []
    prev_layer = inputs
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw)):
            with variable_scope(f"cell_{i}"):
                outputs, (state_fw, state_bw) = bidirectional_dynamic_rnn(
                    cell_fw,
                    cell_bw,
                    prev_layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length,
                    parallel_iterations=parallel_iterations,
                    dtype=dtype,
                    swap_memory=swap_memory,
                    time_major=time_major,
                )
                prev_layer = manip_ops.concat(list(outputs), 2)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "DeviceWrapper",
    "DropoutWrapper",
    "GRUBlockCell",
    "GRUBlockCellV2",
    "GRUCell",
    "InputProjectionWrapper",
    "LSTMBlockCell",
    "LSTMBlockFusedCell",
    "LSTMCell",
    "LSTMStateTuple",
    "LayerNormBasicLSTMCell",
    "MultiRNNCell",
    "OutputProjectionWrapper",
    "RNNCell",
    "ResidualWrapper",
    "stack_bidirectional_dynamic_rnn",
    "stack_bidirectional_rnn",
    "static_bidirectional_rnn",
    "static_rnn",
]
