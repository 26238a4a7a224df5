"""TF1's lower-level recurrent loops: `raw_rnn` (the caller's loop_fn decides each step's input,
when each batch entry is finished, and what is emitted) and `static_state_saving_rnn` (a
static_rnn whose state is read from and saved back to a state saver), composites over
tf.while_loop / TensorArray and static_rnn.
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes, nest
from flowzero.framework.graph import control_dependencies, convert_to_tensor
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.nn.rnn import static_rnn
from flowzero.nn.rnn_cell_base import assert_like_rnncell
from flowzero.ops import (
    array_ops,
    control_ops,
    indexing_ops,
    logic_ops,
    manip_ops,
    reduction_ops,
    reshape_ops,
)
from flowzero.ops.control_flow_ops import while_loop
from flowzero.ops.tensor_array_ops import TensorArray
from flowzero.variables import variable_scope


def _zeros(batch_size: Any, size: Any, dtype: Any) -> Any:
    if isinstance(size, TensorShape) or not hasattr(size, "dtype"):
        dims = as_shape(size).as_list()
        if isinstance(batch_size, int) and all(d is not None for d in dims):
            return array_ops.zeros([batch_size, *dims], dtype)
        size = array_ops.constant([d if d is not None else -1 for d in dims], dtypes.int32)
    shape = manip_ops.concat([reshape_ops.reshape(batch_size, [1]), size], 0)
    return array_ops.zeros(shape, dtype)


def raw_rnn(
    cell: Any,
    loop_fn: Any,
    parallel_iterations: int | None = None,
    swap_memory: bool = False,
    scope: Any = None,
) -> tuple[Any, Any, Any]:
    """Runs `cell` in a while_loop driven by `loop_fn` (TF1's tf.nn.raw_rnn).

    loop_fn(time, cell_output, cell_state, loop_state) returns (finished, next_input,
    next_cell_state, emit_output, next_loop_state). It is first called with time 0 and
    cell_output, cell_state and loop_state None: then next_cell_state is the initial state and
    emit_output (or None for cell.output_size) the structure of what is emitted, each tensor
    shaped as one batch entry's emission. The loop stops
    when every batch entry is finished; a finished entry emits zeros and keeps its state.

    Returns:
        (emit_ta, final_state, final_loop_state): emit_ta a (structure of) TensorArray(s) of
        the emitted outputs, one per step (`.stack()` gives [time, batch, ...]).

    Example:
        >>> max_time, batch, depth = 4, 2, 3
        >>> inputs = tf.placeholder(tf.float32, [max_time, batch, depth])
        >>> sequence_length = tf.constant([4, 2])
        >>> inputs_ta = tf.TensorArray(tf.float32, size=max_time).unstack(inputs)
        >>> cell = tf.nn.rnn_cell.BasicRNNCell(5)
        >>> def loop_fn(time, cell_output, cell_state, loop_state):
        ...     state = cell.zero_state(batch, tf.float32) if cell_output is None else cell_state
        ...     finished = time >= sequence_length
        ...     nxt = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([batch, depth]),
        ...                   lambda: inputs_ta.read(time))
        ...     return finished, nxt, state, cell_output, None
        >>> outputs_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
        >>> outputs = outputs_ta.stack()
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> out, state = sess.run([outputs, final_state], {inputs: np.ones([4, 2, 3])})
        >>> out.shape
        (4, 2, 5)
        >>> print(out[2:, 1].max(), out[2:, 1].min())   # entry 1 finished after 2 steps
        0.0 0.0
        >>> print(np.array_equal(state[1], out[1, 1]))   # and kept its state
        True
    """
    assert_like_rnncell("cell", cell)
    if not callable(loop_fn):
        raise TypeError("raw_rnn: loop_fn must be a callable.")
    parallel_iterations = parallel_iterations or 32
    with variable_scope(scope or "rnn"):
        time = array_ops.constant(0, dtype=dtypes.int32)
        finished, next_input, initial_state, emit_structure, init_loop_state = loop_fn(
            time=time, cell_output=None, cell_state=None, loop_state=None
        )
        flat_input = nest.flatten(next_input)
        loop_state = (
            init_loop_state
            if init_loop_state is not None
            else array_ops.constant(0, dtype=dtypes.int32)
        )
        static_batch = None
        for x in flat_input:
            k = x.shape.known
            d = k[0] if k else None
            if d is not None and static_batch is not None and d != static_batch:
                raise ValueError(
                    f"raw_rnn: the inputs' batch sizes differ: {static_batch} and {d}."
                )
            static_batch = d if d is not None else static_batch
        batch_size: Any = (
            static_batch if static_batch is not None else array_ops.shape(flat_input[0])[0]
        )
        nest.assert_same_structure(initial_state, cell.state_size)
        flat_state = [convert_to_tensor(s) for s in nest.flatten(initial_state)]
        state = nest.pack_sequence_as(initial_state, flat_state)
        if emit_structure is not None:
            flat_emit = nest.flatten(emit_structure)
            flat_sizes: list[Any] = [
                e.shape if e.shape.is_fully_defined() else array_ops.shape(e) for e in flat_emit
            ]
            flat_dtypes = [e.dtype for e in flat_emit]
        else:
            emit_structure = cell.output_size
            flat_sizes = nest.flatten(emit_structure)
            flat_dtypes = [flat_state[0].dtype] * len(flat_sizes)
        flat_ta = [
            TensorArray(dtype=dt, size=0, dynamic_size=True, tensor_array_name=f"rnn_output_{i}")
            for i, dt in enumerate(flat_dtypes)
        ]
        emit_ta = nest.pack_sequence_as(emit_structure, flat_ta)
        zero_emit = nest.pack_sequence_as(
            emit_structure,
            [_zeros(batch_size, s, dt) for s, dt in zip(flat_sizes, flat_dtypes)],
        )

        def condition(unused_time: Any, elements_finished: Any, *_: Any) -> Any:
            return logic_ops.logical_not(reduction_ops.reduce_all(elements_finished))

        def body(
            time: Any, elements_finished: Any, current_input: Any, emit_ta: Any, state: Any,
            loop_state: Any,
        ) -> tuple[Any, ...]:  # fmt: skip
            output, cell_state = cell(current_input, state)
            nest.assert_same_structure(state, cell_state)
            nest.assert_same_structure(cell.output_size, output)
            next_time = time + 1
            nxt_finished, nxt_input, nxt_state, emit, nxt_loop_state = loop_fn(
                next_time, output, cell_state, loop_state
            )
            nest.assert_same_structure(state, nxt_state)
            nest.assert_same_structure(current_input, nxt_input)
            nest.assert_same_structure(emit_ta, emit)
            loop_state = loop_state if nxt_loop_state is None else nxt_loop_state

            def copy_some_through(current: Any, candidate: Any) -> Any:
                def pick(cur: Any, cand: Any) -> Any:
                    if isinstance(cur, TensorArray) or cur.shape.ndims == 0:
                        return cand
                    return indexing_ops.where(elements_finished, cur, cand)

                return nest.map_structure(pick, current, candidate)

            emit = copy_some_through(zero_emit, emit)
            nxt_state = copy_some_through(state, nxt_state)
            emit_ta = nest.map_structure(lambda ta, e: ta.write(time, e), emit_ta, emit)
            elements_finished = logic_ops.logical_or(elements_finished, nxt_finished)
            return (next_time, elements_finished, nxt_input, emit_ta, nxt_state, loop_state)

        returned = while_loop(
            condition,
            body,
            [time, finished, next_input, emit_ta, state, loop_state],
            parallel_iterations=parallel_iterations,
            swap_memory=swap_memory,
        )
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state


def static_state_saving_rnn(
    cell: Any,
    inputs: Any,
    state_saver: Any,
    state_name: Any,
    sequence_length: Any = None,
    scope: Any = None,
) -> tuple[list[Any], Any]:
    """static_rnn starting from `state_saver.state(state_name)` and saving its final state
    with `state_saver.save_state(state_name, state)` (TF1's tf.nn.static_state_saving_rnn);
    the last output and the state depend on the saves.

    Args:
        state_saver: an object with state(name) -> Tensor and save_state(name, value) -> op.
        state_name: a name, or a structure of names like cell.state_size for a tuple state.

    Returns:
        (outputs, state) as static_rnn.
    """
    state_size = cell.state_size
    if nest.is_sequence(state_size) != nest.is_sequence(state_name):
        raise ValueError(
            f"static_state_saving_rnn: state_name should be the same type as cell.state_size; "
            f"got state_name: {state_name}, cell.state_size: {state_size}."
        )
    names = nest.flatten(state_name)
    if nest.is_sequence(state_size):
        if len(names) != len(nest.flatten(state_size)):
            raise ValueError(
                f"static_state_saving_rnn: #elems(state_name) != #elems(state_size): "
                f"{len(names)} vs. {len(nest.flatten(state_size))}."
            )
        initial_state = nest.pack_sequence_as(state_size, [state_saver.state(n) for n in names])
    else:
        initial_state = state_saver.state(state_name)
    outputs, state = static_rnn(
        cell, inputs, initial_state=initial_state, sequence_length=sequence_length, scope=scope
    )
    flat_state = nest.flatten(state)
    saves = [state_saver.save_state(n, s) for n, s in zip(names, flat_state)]
    with control_dependencies(saves):
        last = outputs[-1]
        outputs[-1] = nest.pack_sequence_as(
            last, [control_ops.identity(o) for o in nest.flatten(last)]
        )
        state = nest.pack_sequence_as(state, [control_ops.identity(s) for s in flat_state])
    return outputs, state


__all__ = ["raw_rnn", "static_state_saving_rnn"]
