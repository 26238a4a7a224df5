"""The fused LSTM kernels behind BasicLSTMCell and LSTMBlockCell: a step (LSTMBlockCell) in
loops and static_rnn, a whole sequence (BlockLSTM) in dynamic_rnn. Each must give what the
cell's composite ops give, gradients included, and say clearly what it does not support."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.ops import rnn_ops
from flowzero.runtime import fusion

B, T, D, U = 3, 5, 4, 6


def _lstm_program(mode: str, xv: np.ndarray, weights: dict | None = None, seq=None):
    """dynamic_rnn over an LSTM: 'fused' (BlockLSTM), 'loop' (while_loop of fused steps) or
    'composite' (while_loop of primitive ops, activation given explicitly)."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(7)
        x = tf.placeholder(tf.float64, [None, None, D])
        cell = tf.nn.rnn_cell.BasicLSTMCell(U, activation=tf.tanh if mode == "composite" else None)
        old, fusion.ENABLED = fusion.ENABLED, mode == "fused"
        try:
            out, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float64, sequence_length=seq)
        finally:
            fusion.ENABLED = old
        types = {o.type for o in g.get_operations()}
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(state.c) + 2.0 * tf.reduce_sum(state.h)
        vs = tf.trainable_variables()
        grads = tf.gradients(loss, [x] + vs)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            if weights is not None:
                for v in vs:
                    v.load(weights[v.name], sess)
            vals = sess.run([out, state.c, state.h, *grads], {x: xv})
            weights = {v.name: sess.run(v) for v in vs}
    return vals, weights, types


@pytest.mark.parametrize("steps", [T, 1])
def test_fused_sequence_matches_the_loop_and_the_composite_cell(steps):
    xv = np.random.default_rng(0).standard_normal((B, steps, D))
    fused, weights, types = _lstm_program("fused", xv)
    assert "BlockLSTM" in types and "While" not in types
    for mode in ("loop", "composite"):
        got, _, types = _lstm_program(mode, xv, weights)
        assert "While" in types and "BlockLSTM" not in types
        assert ("LSTMBlockCell" in types) == (mode == "loop")
        for k, (a, b) in enumerate(zip(fused, got)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{mode} #{k}")


def test_fused_sequence_of_zero_steps_keeps_the_initial_state():
    # (The while-loop form fails here as TF's does: it cannot stack zero outputs of an unknown
    # batch size.)
    vals, _, _ = _lstm_program("fused", np.zeros((B, 0, D)))
    out, c, h = vals[:3]
    assert out.shape == (B, 0, U)
    np.testing.assert_array_equal(c, np.zeros((B, U)))
    np.testing.assert_array_equal(h, np.zeros((B, U)))


def test_sequence_length_takes_the_loop():
    xv = np.random.default_rng(1).standard_normal((B, T, D))
    _, _, types = _lstm_program("fused", xv, seq=[T, 2, 0])
    assert "While" in types and "BlockLSTM" not in types


def test_second_derivatives_of_the_fused_kernels_are_a_clear_error():
    x = tf.placeholder(tf.float32, [B, T, D])
    out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(U), x, dtype=tf.float32)
    (dx,) = tf.gradients(tf.reduce_sum(out), [x])
    with pytest.raises(LookupError, match="BlockLSTMGrad.*second derivatives"):
        tf.gradients(tf.reduce_sum(dx), [x])
    step_out, _ = tf.nn.rnn_cell.BasicLSTMCell(U, name="step")(
        x[:, 0], (x[:, 0, :1] * 0.0 + tf.zeros([B, U]),) * 2
    )
    (ds,) = tf.gradients(tf.reduce_sum(step_out), [x])
    with pytest.raises(LookupError, match="LSTMBlockCellGrad.*second derivatives"):
        tf.gradients(tf.reduce_sum(ds), [x])


def test_gradients_of_gate_outputs_of_the_sequence_kernel_are_refused():
    x = tf.placeholder(tf.float32, [T, B, D])
    c = tf.zeros([B, U])
    w = tf.zeros([D + U, 4 * U])
    b = tf.zeros([4 * U])
    i_seq = rnn_ops.block_lstm(x, c, c, w, b)[0]
    with pytest.raises(LookupError, match="BlockLSTM.*gate outputs"):
        tf.gradients(tf.reduce_sum(i_seq), [x])


def test_wrong_shapes_name_the_op_and_the_shapes():
    x = tf.placeholder(tf.float32, [T, B, D])
    c = tf.zeros([B, U])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"BlockLSTM.*w: \(9, 24\)"):
        rnn_ops.block_lstm(x, c, c, tf.zeros([9, 4 * U]), tf.zeros([4 * U]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"LSTMBlockCell.*4 \* units"):
        rnn_ops.lstm_block_cell(x[0], c, c, tf.zeros([D + U, 3 * U]), tf.zeros([4 * U]))


@pytest.mark.parametrize("peephole", [False, True])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_lstm_block_fused_cell_matches_dynamic_rnn_over_lstm_block_cell(peephole, with_lengths):
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((T, B, D))
    lengths = np.array([T, 2, 0], np.int32) if with_lengths else None
    results = []
    for fused in (True, False):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(5)
            x = tf.placeholder(tf.float64, [T, None, D])
            seq = None if lengths is None else tf.constant(lengths)
            if fused:
                cell = tf.contrib.rnn.LSTMBlockFusedCell(U, use_peephole=peephole)
                out, state = cell(x, dtype=tf.float64, sequence_length=seq)
            else:
                cell = tf.contrib.rnn.LSTMBlockCell(U, use_peephole=peephole)
                out, state = tf.nn.dynamic_rnn(
                    cell, x, dtype=tf.float64, time_major=True, sequence_length=seq
                )
            names = sorted(v.op.name.removeprefix("rnn/") for v in tf.global_variables())
            vs = sorted(tf.trainable_variables(), key=lambda v: v.op.name.removeprefix("rnn/"))
            loss = tf.reduce_sum(out * out) + tf.reduce_sum(state.c) + tf.reduce_sum(state.h)
            grads = tf.gradients(loss, [x] + vs)
            with tf.Session(graph=g) as sess:
                sess.run(tf.global_variables_initializer())
                if results:
                    for v, w in zip(vs, results[0][2]):
                        v.load(w, sess)
                weights = [sess.run(v) for v in vs]
                vals = sess.run([out, state.c, state.h, *grads], {x: xv})
        results.append((names, vals, weights))
    (n1, v1, _), (n2, v2, _) = results
    assert n1 == n2 and "lstm_cell/kernel" in n1
    for k, (a, b) in enumerate(zip(v1, v2)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"#{k}")
