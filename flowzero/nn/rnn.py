"""Recurrent networks over time (TF1's tf.nn.static_rnn / dynamic_rnn and the bidirectional
forms), composites of the cells in rnn_cell and public ops.

- `static_rnn` unrolls the cell in the graph, one call per input of a Python list.
- `dynamic_rnn` is one tf.while_loop over time: the inputs are unstacked into a TensorArray,
  each step reads one, calls the cell, and writes its output into another TensorArray, which
  is stacked at the end. Both take the variable scope "rnn" by default, so a BasicLSTMCell's
  weights are `rnn/basic_lstm_cell/kernel` and `rnn/basic_lstm_cell/bias`.

With `sequence_length`, batch entry b stops at its length: outputs from then on are zeros and
the state is copied through (a tf.where on the per-entry mask `time >= sequence_length`), so
the final state is the state at each sequence's own last step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, _user_frame, convert_to_tensor, get_default_graph
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.nn.rnn_cell_base import assert_like_rnncell
from flowzero.ops import (
    array_ops,
    cast_ops,
    control_ops,
    indexing_ops,
    logging_ops,
    logic_ops,
    manip_ops,
    range_ops,
    reduction_ops,
    reshape_ops,
)
from flowzero.ops.control_flow_ops import while_loop
from flowzero.ops.tensor_array_ops import TensorArray
from flowzero.runtime import fusion
from flowzero.variables import variable_scope

# -- helpers -----------------------------------------------------------------------------------


def _infer_state_dtype(explicit_dtype: Any, state: Any) -> dtypes.DType:
    if explicit_dtype is not None:
        return dtypes.as_dtype(explicit_dtype)
    flat = [s.dtype for s in nest.flatten(state)]
    if not flat:
        raise ValueError("Unable to infer dtype from empty state.")
    if any(d != flat[0] for d in flat):
        raise ValueError(
            f"State has tensors of different inferred dtypes "
            f"({sorted({d.name for d in flat})}). Unable to infer a single "
            f"representative dtype; pass dtype."
        )
    return flat[0]


def _size_dims(size: Any) -> list[int | None]:
    return as_shape(size).as_list()


def _zero_output(
    output_size: Any, batch_size: Any, static_batch: int | None, dtype: dtypes.DType
) -> Any:
    """Zeros of shape [batch] + s for each s in the (nested) output size."""

    def one(size: Any) -> Tensor:
        dims = _size_dims(size)
        if isinstance(batch_size, int):
            return array_ops.zeros([batch_size] + dims, dtype=dtype)
        shape = manip_ops.concat(
            [reshape_ops.reshape(batch_size, [1]), array_ops.constant(dims, dtype=dtypes.int32)], 0
        )
        z = array_ops.zeros(shape, dtype=dtype)
        z.set_shape([static_batch] + dims)
        return z

    return nest.map_structure(one, output_size)


def _prepare_sequence_length(sequence_length: Any, static_batch: int | None, fn: str) -> Tensor:
    """sequence_length as an int32 vector named "sequence_length", checked against the batch.

    Raises:
        ValueError: it is not a vector, or its static size differs from the batch size.
    """
    s = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
    if s.shape.ndims not in (None, 1):
        raise ValueError(
            f"{fn} (at {_user_frame()}): sequence_length must be a vector of length "
            f"batch_size, but saw shape: {s.shape}"
        )
    n = s.shape.as_list()[0] if s.shape.ndims == 1 else None
    if n is not None and static_batch is not None and n != static_batch:
        raise ValueError(
            f"{fn} (at {_user_frame()}): sequence_length must be a vector of length "
            f"batch_size ({static_batch}); got shape {s.shape}."
        )
    return control_ops.identity(s, name="sequence_length")


def _checked_at_run_time(sequence_length: Tensor, batch_size: Any) -> Tensor:
    """sequence_length behind an Assert that its run-time shape is [batch_size] (TF's
    CheckSeqLen), for when either is known only at run time."""
    want = array_ops.stack([batch_size])
    got = array_ops.shape(sequence_length)
    check = logging_ops.Assert(
        reduction_ops.reduce_all(logic_ops.equal(got, want)),
        [f"Expected shape for Tensor {sequence_length.name} is ", want, " but saw shape: ", got],
    )
    with get_default_graph().control_dependencies([check]):
        return control_ops.identity(sequence_length, name="CheckSeqLen")


def _initial_state(cell: Any, initial_state: Any, batch_size: Any, dtype: Any, fn: str) -> Any:
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError(f"{fn}: if there is no initial_state, you must give a dtype.")
    if getattr(cell, "get_initial_state", None) is not None and not hasattr(cell, "zero_state"):
        return cell.get_initial_state(batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


def _rnn_step(
    time: Any, sequence_length: Tensor, zero_output: Any, state: Any, call_cell: Any
) -> tuple[Any, Any]:
    """One step under sequence_length: entries with time >= length keep their state and
    output zeros (TF's _rnn_step with skip_conditionals=True)."""
    new_output, new_state = call_cell()
    nest.assert_same_structure(state, new_state)
    done = logic_ops.greater_equal(time, sequence_length)

    def pick(old: Tensor, new: Tensor) -> Tensor:
        return indexing_ops.where(done, old, new)

    flat_out = [pick(z, o) for z, o in zip(nest.flatten(zero_output), nest.flatten(new_output))]
    flat_state = [pick(s, n) for s, n in zip(nest.flatten(state), nest.flatten(new_state))]
    return (
        nest.pack_sequence_as(new_output, flat_out),
        nest.pack_sequence_as(new_state, flat_state),
    )


def _reverse_sequence(x: Tensor, lengths: Tensor, seq_axis: int, batch_axis: int) -> Tensor:
    """TF's reverse_sequence: for each batch entry b, the first lengths[b] steps along
    seq_axis reversed, the rest left in place (a gather_nd, so it has a gradient)."""
    x = convert_to_tensor(x)
    rank = x.shape.ndims
    if rank is None:
        raise ValueError("reverse_sequence: the input's rank must be known.")
    # Bring the input to [time, batch, ...].
    perm = [seq_axis, batch_axis] + [a for a in range(rank) if a not in (seq_axis, batch_axis)]
    xt = reshape_ops.transpose(x, perm) if perm != list(range(rank)) else x
    shape = array_ops.shape(xt)
    t = reshape_ops.expand_dims(range_ops.range(shape[0]), 1)  # [T, 1]
    lens = reshape_ops.expand_dims(cast_ops.cast(lengths, dtypes.int32), 0)  # [1, B]
    inside = cast_ops.cast(logic_ops.less(t, lens), dtypes.int32)  # [T, B]
    src = inside * (lens - 1 - t) + (1 - inside) * t
    b = reshape_ops.expand_dims(range_ops.range(shape[1]), 0) + 0 * src
    idx = array_ops.stack([src, b], axis=2)
    out = indexing_ops.gather_nd(xt, idx)
    out.set_shape(xt.shape)
    if perm != list(range(rank)):
        inv = [perm.index(a) for a in range(rank)]
        out = reshape_ops.transpose(out, inv)
    return out


def _transpose_batch_time(x: Tensor) -> Tensor:
    """Swaps axes 0 and 1 of a tensor of known rank >= 2."""
    return reshape_ops.transpose(x, [1, 0] + list(range(2, x.shape.ndims)))


# -- static -----------------------------------------------------------------------------------
def static_rnn(
    cell: Any,
    inputs: Sequence[Any],
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple[list[Any], Any]:
    """Unrolls `cell` over a Python list of inputs (one graph step per element).

    Args:
        cell: an RNNCell.
        inputs: a non-empty list of T tensors [batch, depth] (or of nested structures).
        initial_state: the first state (default: cell.zero_state(batch, dtype)).
        dtype: the state's dtype; needed when there is no initial_state.
        sequence_length: an int vector [batch]; outputs past an entry's length are zeros and
            its state stops changing.
        scope: the variable scope (default "rnn").

    Returns:
        (outputs, state): the list of T outputs and the final state.

    Raises:
        TypeError: `cell` is not a cell, or `inputs` is not a list/tuple.
        ValueError: `inputs` is empty or has an unknown depth, no initial_state nor dtype,
            or a sequence_length that is not a vector of batch size.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 5, 8])
        >>> xs = tf.unstack(x, axis=1)          # x: [batch, time, depth]
        >>> outputs, state = tf.nn.static_rnn(tf.nn.rnn_cell.GRUCell(32), xs, dtype=tf.float32)
        >>> len(outputs), state.shape
        (5, TensorShape([None, 32]))
    """
    assert_like_rnncell("cell", cell)
    if not nest.is_sequence(inputs):
        raise TypeError(
            f"static_rnn: inputs must be a sequence (a list of [batch, depth] "
            f"tensors); got {type(inputs).__name__}."
        )
    if not inputs:
        raise ValueError("static_rnn: inputs must not be empty")
    outputs: list[Any] = []
    with variable_scope(scope or "rnn") as varscope:
        flat_first = [convert_to_tensor(x) for x in nest.flatten(inputs[0])]
        first = flat_first[0]
        fixed_batch: int | None = None
        if first.shape.ndims != 1:
            for step in inputs:
                for x in nest.flatten(step):
                    s = convert_to_tensor(x).shape
                    if s.ndims is not None and s.ndims < 2:
                        raise ValueError(
                            f"static_rnn: each input must have rank >= 2 "
                            f"([batch, depth]); got shape {s}."
                        )
                    dims = s.as_list() if s.ndims is not None else [None, None]
                    if dims[0] is not None:
                        if fixed_batch is not None and dims[0] != fixed_batch:
                            raise ValueError(
                                f"static_rnn: the inputs' batch sizes differ: "
                                f"{fixed_batch} and {dims[0]}."
                            )
                        fixed_batch = dims[0]
                    for i, d in enumerate(dims[1:]):
                        if d is None:
                            raise ValueError(
                                f"static_rnn: input size (dimension {i} of "
                                f"inputs) must be accessible via shape "
                                f"inference, but saw value None (shape {s})."
                            )
        elif first.shape.as_list()[0] is not None:
            fixed_batch = first.shape.as_list()[0]
        batch_size: Any = fixed_batch if fixed_batch is not None else array_ops.shape(first)[0]
        state = _initial_state(cell, initial_state, batch_size, dtype, "static_rnn")
        zero_output = None
        if sequence_length is not None:
            sequence_length = _prepare_sequence_length(sequence_length, fixed_batch, "static_rnn")
            zero_output = _zero_output(
                cell.output_size, batch_size, fixed_batch, _infer_state_dtype(dtype, state)
            )
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()

            def call_cell(input_: Any = input_, state: Any = state) -> tuple[Any, Any]:
                return cell(input_, state)

            if sequence_length is not None:
                output, state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
            else:
                output, state = call_cell()
            outputs.append(output)
        return outputs, state


def _reverse_seq(input_seq: list[Any], lengths: Any) -> list[Any]:
    """The list reversed in time (per entry up to its length when lengths is given)."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_steps = [nest.flatten(step) for step in input_seq]
    n_leaves = len(flat_steps[0])
    per_leaf = []
    for k in range(n_leaves):
        seq = [convert_to_tensor(step[k]) for step in flat_steps]
        stacked = array_ops.stack(seq)  # [T, batch, ...]
        rev = _reverse_sequence(stacked, lengths, 0, 1)
        parts = array_ops.unstack(rev, num=len(seq))
        for p, s in zip(parts, seq):
            p.set_shape(s.shape)
        per_leaf.append(parts)
    return [
        nest.pack_sequence_as(input_seq[t], [per_leaf[k][t] for k in range(n_leaves)])
        for t in range(len(input_seq))
    ]


def static_bidirectional_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Sequence[Any],
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple[list[Any], Any, Any]:
    """A forward and a backward static_rnn over the same inputs, outputs concatenated.

    The backward cell reads the inputs reversed (each entry within its sequence_length),
    and its outputs are reversed back, so output t joins both directions at time t.

    Args:
        cell_fw, cell_bw: the two cells (variables under `bidirectional_rnn/fw` and `/bw`).
        inputs: a non-empty list of T tensors [batch, depth].
        initial_state_fw, initial_state_bw: first states (default zeros; then dtype).
        dtype: the states' dtype.
        sequence_length: an int vector [batch].
        scope: the variable scope (default "bidirectional_rnn").

    Returns:
        (outputs, output_state_fw, output_state_bw); outputs[t] is [batch, fw + bw units].

    Raises:
        TypeError, ValueError: as static_rnn.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    if not nest.is_sequence(inputs):
        raise TypeError("static_bidirectional_rnn: inputs must be a sequence")
    if not inputs:
        raise ValueError("static_bidirectional_rnn: inputs must not be empty")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = static_rnn(
                cell_fw, inputs, initial_state_fw, dtype, sequence_length, scope=fw_scope
            )
        with variable_scope("bw") as bw_scope:
            if sequence_length is not None:
                sequence_length = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
            reversed_inputs = _reverse_seq(list(inputs), sequence_length)
            tmp, state_bw = static_rnn(
                cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length, scope=bw_scope
            )
    output_bw = _reverse_seq(tmp, sequence_length)
    outputs = [
        nest.pack_sequence_as(
            fw, [manip_ops.concat([a, b], 1) for a, b in zip(nest.flatten(fw), nest.flatten(bw))]
        )
        for fw, bw in zip(output_fw, output_bw)
    ]
    return outputs, state_fw, state_bw


# -- dynamic ----------------------------------------------------------------------------------
def _dynamic_rnn_loop(
    cell: Any,
    inputs: Any,
    initial_state: Any,
    parallel_iterations: int,
    swap_memory: bool,
    sequence_length: Tensor | None,
    dtype: Any,
) -> tuple[Any, Any]:
    """The while_loop over time of time-major inputs; returns time-major outputs."""
    state = initial_state
    flat_input = nest.flatten(inputs)
    flat_output_size = nest.flatten(cell.output_size)
    first = flat_input[0]
    input_shape = array_ops.shape(first)
    time_steps: Any = input_shape[0]
    static_shapes = [x.shape for x in flat_input]
    const_time = static_shapes[0].as_list()[0]
    const_batch = static_shapes[0].as_list()[1]
    for s in static_shapes:
        dims = s.as_list()
        if dims[2:] and any(d is None for d in dims[2:]):
            raise ValueError(
                f"dynamic_rnn: input size (depth of inputs) must be accessible "
                f"via shape inference, but saw value None (inputs shape, "
                f"time-major: {s})."
            )
        if const_time is not None and dims[0] is not None and dims[0] != const_time:
            raise ValueError(
                "dynamic_rnn: time steps is not the same for all the elements "
                "in the input in a batch."
            )
        if const_batch is not None and dims[1] is not None and dims[1] != const_batch:
            raise ValueError(
                "dynamic_rnn: batch_size is not the same for all the elements in the input."
            )
    if const_time is not None:
        time_steps = const_time
    batch_size: Any = const_batch if const_batch is not None else input_shape[1]
    state_dtype = _infer_state_dtype(dtype, state)
    zero_output = (
        _zero_output(cell.output_size, batch_size, const_batch, state_dtype)
        if sequence_length is not None
        else None
    )

    with get_default_graph().name_scope("dynamic_rnn") as base_name:
        time = array_ops.constant(0, dtype=dtypes.int32, name="time")
        output_tas = tuple(
            TensorArray(
                dtype=state_dtype,
                size=time_steps,
                element_shape=TensorShape([const_batch]).concatenate(_size_dims(size)),
                tensor_array_name=f"{base_name}output_{i}",
            )
            for i, size in enumerate(flat_output_size)
        )
        input_tas = tuple(
            TensorArray(
                dtype=x.dtype,
                size=time_steps,
                element_shape=x.shape[1:],
                tensor_array_name=f"{base_name}input_{i}",
            ).unstack(x)
            for i, x in enumerate(flat_input)
        )

    def time_step(time: Tensor, output_tas_t: tuple[Any, ...], state: Any) -> tuple[Any, ...]:
        input_t = [ta.read(time) for ta in input_tas]
        for x, s in zip(input_t, static_shapes):
            x.set_shape(s[1:])
        input_t = nest.pack_sequence_as(inputs, input_t)

        def call_cell() -> tuple[Any, Any]:
            return cell(input_t, state)

        if sequence_length is not None:
            output, new_state = _rnn_step(time, sequence_length, zero_output, state, call_cell)
        else:
            output, new_state = call_cell()
        flat_out = nest.flatten(output)
        output_tas_t = tuple(ta.write(time, o) for ta, o in zip(output_tas_t, flat_out))
        return time + 1, output_tas_t, new_state

    _, final_tas, final_state = while_loop(
        lambda time, *_: logic_ops.less(time, time_steps),
        time_step,
        (time, output_tas, state),
        parallel_iterations=parallel_iterations,
        swap_memory=swap_memory,
        maximum_iterations=time_steps,
    )
    final_outputs = []
    for ta, size in zip(final_tas, flat_output_size):
        out = ta.stack()
        out.set_shape(TensorShape([const_time, const_batch]).concatenate(_size_dims(size)))
        final_outputs.append(out)
    return nest.pack_sequence_as(cell.output_size, final_outputs), final_state


def dynamic_rnn(
    cell: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
) -> tuple[Any, Any]:
    """Runs `cell` over the time axis of `inputs` in a tf.while_loop (TF1's dynamic_rnn).

    Args:
        cell: an RNNCell.
        inputs: [batch, time, depth] (or [time, batch, depth] with time_major), or a nested
            structure of such tensors (all with the same batch and time).
        sequence_length: an int vector [batch]: outputs past an entry's length are zeros and
            its state is copied through, so the final state is the one at its last step.
        initial_state: the first state (default: cell.zero_state(batch, dtype)).
        dtype: the state's dtype; needed when there is no initial_state.
        parallel_iterations, swap_memory: accepted (flowzero runs iterations in order).
        time_major: inputs and outputs are [time, batch, ...].
        scope: the variable scope (default "rnn").

    Returns:
        (outputs, state): outputs [batch, time, output_size] ([time, batch, ...] when
        time_major), in the structure of cell.output_size; the final state.

    Raises:
        TypeError: `cell` is not a cell.
        ValueError: inputs of rank < 3 or of unknown depth, no initial_state nor dtype, or a
            sequence_length that is not a vector of batch size.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 20, 8])
        >>> lengths = tf.placeholder(tf.int32, [None])
        >>> outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(32), x,
        ...                                    sequence_length=lengths, dtype=tf.float32)
        >>> state.h.shape       # [batch, 32], each at its own last step
        TensorShape([None, 32])
    """
    assert_like_rnncell("cell", cell)
    with variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in nest.flatten(inputs)]
        if not flat_input:
            raise ValueError("dynamic_rnn: inputs must not be empty.")
        for x in flat_input:
            if x.shape.ndims is None or x.shape.ndims < 3:
                layout = "[time, batch, depth]" if time_major else "[batch, time, depth]"
                raise ValueError(
                    f"dynamic_rnn: inputs must have rank >= 3 ({layout}); got "
                    f"'{x.name}' of shape {x.shape}."
                )
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        batch_dims = [x.shape.as_list()[1] for x in flat_input]
        static_batch = next((d for d in batch_dims if d is not None), None)
        if sequence_length is not None:
            sequence_length = _prepare_sequence_length(sequence_length, static_batch, "dynamic_rnn")
        batch_size: Any = (
            static_batch if static_batch is not None else array_ops.shape(flat_input[0])[1]
        )
        if sequence_length is not None and not (
            static_batch is not None and sequence_length.shape.is_fully_defined()
        ):
            sequence_length = _checked_at_run_time(sequence_length, batch_size)
        state = _initial_state(cell, initial_state, batch_size, dtype, "dynamic_rnn")
        time_major_inputs = nest.pack_sequence_as(inputs, flat_input)
        fused = None
        if (
            sequence_length is None
            and len(flat_input) == 1
            and fusion.ENABLED
            and flat_input[0].shape.as_list()[0] != 0
        ):
            # A cell with a fused sequence kernel (BasicLSTMCell, LSTMBlockCell) runs every
            # step in one op, as TF's LSTMBlockFusedCell: same variables, same numbers.
            fused = (
                cell._call_sequence(flat_input[0], state)
                if hasattr(cell, "_call_sequence")
                else None
            )
        if fused is not None:
            outputs, final_state = fused
        else:
            outputs, final_state = _dynamic_rnn_loop(
                cell,
                time_major_inputs,
                state,
                parallel_iterations,
                swap_memory,
                sequence_length,
                dtype,
            )
        if not time_major:
            outputs = nest.map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def bidirectional_dynamic_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """A forward and a backward dynamic_rnn over the same inputs.

    The backward cell reads the inputs reversed in time (each entry within its
    sequence_length, TF's reverse_sequence), and its outputs are reversed back.

    Args:
        cell_fw, cell_bw: the two cells (variables under `bidirectional_rnn/fw` and `/bw`).
        inputs, sequence_length, dtype, parallel_iterations, swap_memory, time_major: as
            dynamic_rnn.
        initial_state_fw, initial_state_bw: first states (default zeros; then dtype).
        scope: the variable scope (default "bidirectional_rnn").

    Returns:
        ((output_fw, output_bw), (output_state_fw, output_state_bw)); concatenate the outputs
        with tf.concat(outputs, 2) for one [batch, time, fw + bw] tensor.

    Raises:
        TypeError, ValueError: as dynamic_rnn.
    """
    assert_like_rnncell("cell_fw", cell_fw)
    assert_like_rnncell("cell_bw", cell_bw)
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)

    def reverse(x: Any, lengths: Any) -> Tensor:
        x = convert_to_tensor(x)
        if lengths is None:
            return manip_ops.reverse(x, [time_axis])
        return _reverse_sequence(x, lengths, time_axis, batch_axis)

    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, state_fw = dynamic_rnn(
                cell_fw,
                inputs,
                sequence_length=sequence_length,
                initial_state=initial_state_fw,
                dtype=dtype,
                parallel_iterations=parallel_iterations,
                swap_memory=swap_memory,
                time_major=time_major,
                scope=fw_scope,
            )
        with variable_scope("bw") as bw_scope:
            lengths = (
                None
                if sequence_length is None
                else cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
            )
            inputs_reverse = nest.map_structure(lambda x: reverse(x, lengths), inputs)
            tmp, state_bw = dynamic_rnn(
                cell_bw,
                inputs_reverse,
                sequence_length=sequence_length,
                initial_state=initial_state_bw,
                dtype=dtype,
                parallel_iterations=parallel_iterations,
                swap_memory=swap_memory,
                time_major=time_major,
                scope=bw_scope,
            )
    output_bw = nest.map_structure(lambda x: reverse(x, lengths), tmp)
    return (output_fw, output_bw), (state_fw, state_bw)


__all__ = ["static_rnn", "static_bidirectional_rnn", "dynamic_rnn", "bidirectional_dynamic_rnn"]
