"""tf.nn.raw_rnn (equals dynamic_rnn when loop_fn feeds the inputs; emits a custom structure;
loop state; gradients) and tf.nn.static_state_saving_rnn (state read from and saved to a state
saver across runs); TensorFlow's values where installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz

T, B, D, H = 5, 3, 4, 6
X = np.random.default_rng(0).normal(size=(T, B, D)).astype(np.float32)
LENGTHS = np.array([5, 2, 4], np.int32)


def _raw_program(m, cell_cls, extra_emit=False):
    inputs = m.constant(X)
    seq = m.constant(LENGTHS)
    inputs_ta = m.TensorArray(dtype=m.float32, size=T).unstack(inputs)
    cell = cell_cls(H)

    def loop_fn(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            state = cell.zero_state(B, m.float32)
            emit = (m.zeros([H]), m.zeros([], m.int32)) if extra_emit else None
            loop_state = m.constant(0.0) if extra_emit else None
        else:
            state = cell_state
            emit = (cell_output * 2.0, m.fill([B], time)) if extra_emit else cell_output
            if extra_emit:
                loop_state = loop_state + m.reduce_sum(cell_output)
        finished = time >= seq
        nxt = m.cond(m.reduce_all(finished), lambda: m.zeros([B, D]), lambda: inputs_ta.read(time))
        return finished, nxt, state, emit, loop_state

    emit_ta, final_state, loop_state = m.nn.raw_rnn(cell, loop_fn)
    return cell, emit_ta, final_state, loop_state, inputs


def test_raw_rnn_equals_dynamic_rnn_with_lengths():
    with fz.Graph().as_default():
        cell, emit_ta, final_state, loop_state, x = _raw_program(fz, fz.nn.rnn_cell.LSTMCell)
        out = emit_ta.stack()
        want_out, want_state = fz.nn.dynamic_rnn(
            cell, x, LENGTHS, time_major=True, dtype=fz.float32, scope="rnn"
        )
        (g_raw,) = fz.gradients(fz.reduce_sum(out**2), [x])
        (g_dyn,) = fz.gradients(fz.reduce_sum(want_out**2), [x])
        assert loop_state is None
        with fz.Session() as s:
            s.run(fz.global_variables_initializer())
            got = s.run([out, final_state, g_raw])
            want = s.run([want_out, want_state, g_dyn])
    np.testing.assert_allclose(got[0], want[0][: got[0].shape[0]], rtol=1e-5, atol=1e-6)
    assert got[0].shape[0] == LENGTHS.max()
    for a, b in zip(got[1], want[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-4, atol=1e-5)


def test_raw_rnn_custom_emit_structure_and_loop_state():
    with fz.Graph().as_default():
        _, (twice_ta, times_ta), _, loop_state = _raw_program(
            fz, fz.nn.rnn_cell.BasicRNNCell, extra_emit=True
        )[:4]
        with fz.Session() as s:
            s.run(fz.global_variables_initializer())
            twice, times, total = s.run([twice_ta.stack(), times_ta.stack(), loop_state])
    assert twice.shape == (5, B, H) and times.dtype == np.int32
    # finished entries emit zeros: entry 1 stops after 2 steps
    np.testing.assert_array_equal(times[:, 1], [1, 2, 0, 0, 0])
    np.testing.assert_array_equal(twice[2:, 1], 0.0)
    assert np.isfinite(total) and total != 0.0


def test_raw_rnn_rejects_a_non_callable_loop_fn():
    with fz.Graph().as_default(), pytest.raises(TypeError, match="loop_fn must be a callable"):
        fz.nn.raw_rnn(fz.nn.rnn_cell.BasicRNNCell(3), None)


class _Saver:
    """A state saver keeping each state in a variable."""

    def __init__(self, m, shapes):
        self.vars = {n: m.Variable(np.zeros(s, np.float32), name=n) for n, s in shapes.items()}
        self.m = m

    def state(self, name):
        return (
            self.vars[name].read_value()
            if hasattr(self.vars[name], "read_value")
            else (self.m.identity(self.vars[name]))
        )

    def save_state(self, name, value):
        return self.m.assign(self.vars[name], value)


def _saving_program(m):
    cell = m.nn.rnn_cell.LSTMCell(H)
    saver = _Saver(m, {"c": (B, H), "h": (B, H)})
    inputs = [m.constant(X[t]) for t in range(3)]
    outputs, state = m.nn.static_state_saving_rnn(cell, inputs, saver, ("c", "h"))
    return outputs, state, saver


def test_static_state_saving_rnn_carries_state_across_runs():
    with fz.Graph().as_default():
        outputs, state, saver = _saving_program(fz)
        with fz.Session() as s:
            s.run(fz.global_variables_initializer())
            first = s.run([outputs[-1], state])
            saved = s.run(saver.vars["h"])
            second = s.run(outputs[-1])
    np.testing.assert_allclose(saved, first[1][1])  # the last output waited for the save
    assert not np.allclose(first[0], second)  # the second run starts from the saved state
    with fz.Graph().as_default(), pytest.raises(ValueError, match="same type as cell.state_size"):
        fz.nn.static_state_saving_rnn(
            fz.nn.rnn_cell.LSTMCell(3), [fz.constant(X[0])], None, "state"
        )


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
def test_match_tensorflow():
    import os

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()

    def run(m, session):
        with m.variable_scope("a", initializer=m.constant_initializer(0.1)):
            _, emit_ta, final_state, _, _ = _raw_program(m, m.nn.rnn_cell.LSTMCell)
        with m.variable_scope("b", initializer=m.constant_initializer(0.05)):
            outputs, state, _ = _saving_program(m)
        with session() as s:
            s.run(m.global_variables_initializer())
            return s.run([emit_ta.stack(), final_state, outputs, state])

    with tf.Graph().as_default():
        want = run(tf1, tf1.Session)
    with fz.Graph().as_default():
        got = run(fz, fz.Session)
    got, want = tf.nest.flatten(got), tf.nest.flatten(want)
    assert len(got) == len(want) == 1 + 2 + 3 + 2  # emitted, LSTM state, outputs, state
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
