"""tf.contrib.rnn: the re-exports, LSTMBlockCell and LayerNormBasicLSTMCell against NumPy with
TF's variable names, and the stacked bidirectional helpers."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

from . import _reference as ref

contrib_rnn = tf.contrib.rnn
B, D, N = 3, 4, 5


def _names(variables) -> list[str]:
    return [v.op.name for v in variables]


def _a(*shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_contrib_rnn_reexports_the_core_cells_and_functions() -> None:
    for name in (
        "BasicLSTMCell",
        "LSTMCell",
        "GRUCell",
        "BasicRNNCell",
        "MultiRNNCell",
        "DropoutWrapper",
        "ResidualWrapper",
        "DeviceWrapper",
        "LSTMStateTuple",
        "RNNCell",
    ):
        assert getattr(contrib_rnn, name) is getattr(tf.nn.rnn_cell, name)
    assert contrib_rnn.static_rnn is tf.nn.static_rnn
    assert contrib_rnn.static_bidirectional_rnn is tf.nn.static_bidirectional_rnn


def _one_step(cell, c0, h0, xv):
    x = tf.placeholder(tf.float32, [None, D])
    with tf.variable_scope("rnn"):
        out, state = cell(x, contrib_rnn.LSTMStateTuple(tf.constant(c0), tf.constant(h0)))
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    w = ref.set_random_weights(sess, tf.global_variables())
    with sess:
        got = sess.run((out, state), {x: xv})
    return got, w


def test_lstm_block_cell_names_and_numbers() -> None:
    c0, h0, xv = _a(B, N), _a(B, N, seed=1), _a(B, D, seed=2)
    (out, state), w = _one_step(contrib_rnn.LSTMBlockCell(N, forget_bias=0.5), c0, h0, xv)
    assert list(w) == ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"]
    want_h, (want_c, _) = ref.basic_lstm(
        xv, c0, h0, w["rnn/lstm_cell/kernel"], w["rnn/lstm_cell/bias"], forget_bias=0.5
    )
    np.testing.assert_allclose(out, want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)


def test_lstm_block_cell_peepholes_and_clip_match_lstm_cell() -> None:
    c0, h0, xv = _a(B, N), _a(B, N, seed=1), _a(B, D, seed=2)
    (out, state), w = _one_step(
        contrib_rnn.LSTMBlockCell(N, use_peephole=True, cell_clip=0.4), c0, h0, xv
    )
    assert list(w) == [
        "rnn/lstm_cell/kernel",
        "rnn/lstm_cell/bias",
        "rnn/lstm_cell/w_i_diag",
        "rnn/lstm_cell/w_f_diag",
        "rnn/lstm_cell/w_o_diag",
    ]
    p = "rnn/lstm_cell/"
    want_h, (want_c, _) = ref.lstm(
        xv,
        c0,
        h0,
        w[p + "kernel"],
        w[p + "bias"],
        w_f=w[p + "w_f_diag"],
        w_i=w[p + "w_i_diag"],
        w_o=w[p + "w_o_diag"],
        cell_clip=0.4,
    )
    np.testing.assert_allclose(out, want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)


def test_layer_norm_basic_lstm_cell_names_and_numbers() -> None:
    c0, h0, xv = _a(B, N), _a(B, N, seed=1), _a(B, D, seed=2)
    cell = contrib_rnn.LayerNormBasicLSTMCell(N, forget_bias=0.7)
    (out, state), w = _one_step(cell, c0, h0, xv)
    p = "rnn/layer_norm_basic_lstm_cell/"
    gates = ["input", "transform", "forget", "output", "state"]
    assert list(w) == [p + "kernel"] + [f"{p}{g}/{v}" for g in gates for v in ("gamma", "beta")]
    assert w[p + "kernel"].shape == (D + N, 4 * N)
    assert cell.trainable_variables == tf.trainable_variables()

    def ln(z, gate):
        return ref.layer_norm(z, w[f"{p}{gate}/gamma"], w[f"{p}{gate}/beta"])

    z = np.concatenate([xv, h0], 1) @ w[p + "kernel"]
    i, j, f, o = np.split(z, 4, axis=1)
    i, j, f, o = ln(i, "input"), ln(j, "transform"), ln(f, "forget"), ln(o, "output")
    new_c = ln(c0 * ref.sigmoid(f + 0.7) + ref.sigmoid(i) * np.tanh(j), "state")
    new_h = np.tanh(new_c) * ref.sigmoid(o)
    np.testing.assert_allclose(state.c, new_c, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out, new_h, rtol=1e-4, atol=1e-5)


def test_layer_norm_basic_lstm_cell_initial_gain_shift_and_no_norm() -> None:
    x = tf.placeholder(tf.float32, [None, D])
    s = contrib_rnn.LSTMStateTuple(tf.zeros([1, N]), tf.zeros([1, N]))
    cell = contrib_rnn.LayerNormBasicLSTMCell(N, norm_gain=2.0, norm_shift=0.5)
    cell(x, s)
    cell(x, s)  # the second call re-uses every variable
    plain = contrib_rnn.LayerNormBasicLSTMCell(N, layer_norm=False)
    plain(x, s)
    names = _names(tf.global_variables())
    assert len(names) == 11 + 2
    assert names[-2:] == [
        "layer_norm_basic_lstm_cell_1/kernel",
        "layer_norm_basic_lstm_cell_1/bias",
    ]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = {v.op.name: sess.run(v) for v in tf.global_variables()}
    np.testing.assert_array_equal(got["layer_norm_basic_lstm_cell/input/gamma"], 2.0)
    np.testing.assert_array_equal(got["layer_norm_basic_lstm_cell/state/beta"], 0.5)


def test_lstm_block_cell_in_dynamic_rnn_with_gradients() -> None:
    def build(x):
        out, state = tf.nn.dynamic_rnn(
            contrib_rnn.LSTMBlockCell(2, use_peephole=True),
            x,
            sequence_length=[3, 1],
            dtype=tf.float64,
        )
        return [out, state.c]

    ref.check_gradients(build, {"x": _a(2, 3, 2).astype(np.float64)}, rtol=1e-5, atol=1e-7)


def test_layer_norm_cell_gradients() -> None:
    def build(x):
        outs, state = tf.nn.static_rnn(
            contrib_rnn.LayerNormBasicLSTMCell(3), tf.unstack(x, axis=1), dtype=tf.float64
        )
        return outs + [state.c]

    ref.check_gradients(build, {"x": _a(2, 2, 2).astype(np.float64)}, rtol=1e-4, atol=1e-6)


def test_stack_bidirectional_dynamic_rnn_equals_two_bidirectional_layers() -> None:
    x = tf.placeholder(tf.float32, [B, 4, D])
    lengths = tf.constant([4, 2, 3])
    cells_fw = [contrib_rnn.LSTMBlockCell(N) for _ in range(2)]
    cells_bw = [contrib_rnn.GRUCell(N) for _ in range(2)]
    out, states_fw, states_bw = contrib_rnn.stack_bidirectional_dynamic_rnn(
        cells_fw, cells_bw, x, sequence_length=lengths, dtype=tf.float32
    )
    names = _names(tf.global_variables())
    assert names[0] == "stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/lstm_cell/kernel"
    assert "stack_bidirectional_rnn/cell_1/bidirectional_rnn/bw/gru_cell/gates/kernel" in names
    k1 = next(
        v
        for v in tf.global_variables()
        if v.op.name == "stack_bidirectional_rnn/cell_1/bidirectional_rnn/fw/lstm_cell/kernel"
    )
    assert k1.shape.as_list() == [2 * N + N, 4 * N]
    assert out.shape.as_list() == [B, 4, 2 * N] and len(states_fw) == len(states_bw) == 2
    # The same cells, layer by layer by hand (they re-use their variables).
    layer = x
    for cf, cb in zip(cells_fw, cells_bw):
        (f, b), _ = tf.nn.bidirectional_dynamic_rnn(
            cf, cb, layer, sequence_length=lengths, dtype=tf.float32
        )
        layer = tf.concat([f, b], 2)
    assert len(tf.global_variables()) == len(names)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        ref.set_random_weights(sess, tf.global_variables())
        got, want = sess.run((out, layer), {x: _a(B, 4, D)})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert not got[1, 2:].any()


def test_stack_bidirectional_rnn_static() -> None:
    xs = [tf.placeholder(tf.float32, [B, D]) for _ in range(3)]
    out, sf, sb = contrib_rnn.stack_bidirectional_rnn(
        [contrib_rnn.GRUCell(2), contrib_rnn.GRUCell(3)],
        [contrib_rnn.GRUCell(2), contrib_rnn.GRUCell(3)],
        xs,
        dtype=tf.float32,
    )
    assert len(out) == 3 and out[0].shape.as_list() == [B, 6]
    assert (
        _names(tf.global_variables())[0]
        == "stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/gru_cell/gates/kernel"
    )
    with pytest.raises(ValueError, match="at least one bw cell"):
        contrib_rnn.stack_bidirectional_rnn([contrib_rnn.GRUCell(2)], [], xs, dtype=tf.float32)
    with pytest.raises(ValueError, match="same depth"):
        contrib_rnn.stack_bidirectional_dynamic_rnn(
            [contrib_rnn.GRUCell(2)],
            [contrib_rnn.GRUCell(2), contrib_rnn.GRUCell(2)],
            tf.zeros([1, 2, 2]),
            dtype=tf.float32,
        )


def test_gru_block_cell_is_gru_cell_with_its_names() -> None:
    x = tf.placeholder(tf.float32, [None, 4, 3])
    tf.nn.dynamic_rnn(tf.contrib.rnn.GRUBlockCell(cell_size=5), x, dtype=tf.float32)
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "rnn/gru_cell/candidate/bias",
        "rnn/gru_cell/candidate/kernel",
        "rnn/gru_cell/gates/bias",
        "rnn/gru_cell/gates/kernel",
    ]
    with pytest.raises(ValueError, match="num_units"):
        tf.contrib.rnn.GRUBlockCell()
