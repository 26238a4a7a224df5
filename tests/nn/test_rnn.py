"""tf.nn.static_rnn, dynamic_rnn and their bidirectional forms: numbers against a NumPy loop,
static == dynamic, sequence_length (zero outputs, state copied through), time_major, variable
names, gradients in float64 (through the while loop), the error messages, and a short fit."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

from . import _reference as ref

rnn_cell = tf.nn.rnn_cell
B, T, D, N = 3, 5, 4, 6  # batch, time, depth, units


def _names(variables) -> list[str]:
    return [v.op.name for v in variables]


def _xs(batch=B, time=T, depth=D, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, time, depth)).astype(np.float32)


def _lstm_step(w, prefix):
    def step(x, state):
        c, h = state
        out, (c, h) = ref.basic_lstm(x, c, h, w[prefix + "kernel"], w[prefix + "bias"])
        return out, (c, h)

    return step


def _gru_step(w, prefix):
    def step(x, h):
        return ref.gru(
            x,
            h,
            w[prefix + "gates/kernel"],
            w[prefix + "gates/bias"],
            w[prefix + "candidate/kernel"],
            w[prefix + "candidate/bias"],
        )

    return step


def _session_with_weights(seed=0):
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    return sess, ref.set_random_weights(sess, tf.global_variables(), seed)


# -- static_rnn --------------------------------------------------------------------------------
def test_static_rnn_equals_a_python_loop_of_cell_calls_and_numpy() -> None:
    x = tf.placeholder(tf.float32, [None, T, D])
    xs = tf.unstack(x, axis=1)
    cell = rnn_cell.BasicLSTMCell(N)
    outputs, state = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    assert _names(tf.global_variables()) == [
        "rnn/basic_lstm_cell/kernel",
        "rnn/basic_lstm_cell/bias",
    ]
    assert len(outputs) == T and outputs[0].shape.as_list() == [None, N]
    # The same cell called by hand reuses the variables.
    s = cell.zero_state(tf.shape(x)[0], tf.float32)
    by_hand = []
    for xt in xs:
        o, s = cell(xt, s)
        by_hand.append(o)
    assert len(tf.global_variables()) == 2
    xv = _xs()
    sess, w = _session_with_weights()
    with sess:
        got, got_state, hand = sess.run((outputs, state, by_hand), {x: xv})
    zeros = (np.zeros((B, N)), np.zeros((B, N)))
    want, want_state = ref.run_sequence(_lstm_step(w, "rnn/basic_lstm_cell/"), xv, zeros)
    np.testing.assert_allclose(np.stack(got, 1), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.stack(hand, 1), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.c, want_state[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.h, want_state[1], rtol=1e-5, atol=1e-6)


def test_static_rnn_sequence_length_zeroes_outputs_and_copies_state() -> None:
    x = tf.placeholder(tf.float32, [B, T, D])
    lengths = tf.placeholder(tf.int64, [B])
    outputs, state = tf.nn.static_rnn(
        rnn_cell.GRUCell(N),
        tf.unstack(x, axis=1),
        sequence_length=lengths,
        dtype=tf.float32,
        scope="my_rnn",
    )
    assert _names(tf.global_variables())[0] == "my_rnn/gru_cell/gates/kernel"
    xv, lv = _xs(), np.array([5, 2, 0])
    sess, w = _session_with_weights()
    with sess:
        got, got_state = sess.run((outputs, state), {x: xv, lengths: lv})
    want, want_state = ref.run_sequence(_gru_step(w, "my_rnn/gru_cell/"), xv, np.zeros((B, N)), lv)
    got = np.stack(got, 1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not got[1, 2:].any() and not got[2].any()
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_state[2], 0)  # length 0: the initial state


def test_static_rnn_initial_state_and_multi_cell_names() -> None:
    cell = rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(N) for _ in range(2)])
    xs = [tf.placeholder(tf.float32, [B, D]) for _ in range(2)]
    init = cell.zero_state(B, tf.float32)
    _, state = tf.nn.static_rnn(cell, xs, initial_state=init)
    assert _names(tf.global_variables()) == [
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
        "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias",
    ]
    assert isinstance(state, tuple) and isinstance(state[1], rnn_cell.LSTMStateTuple)


def test_static_rnn_errors() -> None:
    cell = rnn_cell.GRUCell(2)
    x = tf.placeholder(tf.float32, [B, D])
    with pytest.raises(ValueError, match="inputs must not be empty"):
        tf.nn.static_rnn(cell, [], dtype=tf.float32)
    with pytest.raises(TypeError, match="inputs must be a sequence"):
        tf.nn.static_rnn(cell, x, dtype=tf.float32)
    with pytest.raises(ValueError, match="no initial_state, you must give a dtype"):
        tf.nn.static_rnn(cell, [x])
    with pytest.raises(
        ValueError,
        match=r"sequence_length must be a vector of length "
        r"batch_size, but saw shape: \(3, 1\)",
    ):
        tf.nn.static_rnn(cell, [x], dtype=tf.float32, sequence_length=tf.zeros([3, 1]))
    with pytest.raises(ValueError, match=r"vector of length batch_size \(3\); got shape \(4,\)"):
        tf.nn.static_rnn(cell, [x], dtype=tf.float32, sequence_length=[1, 1, 1, 1])
    with pytest.raises(ValueError, match="must be accessible via shape inference"):
        tf.nn.static_rnn(cell, [tf.placeholder(tf.float32, [B, None])], dtype=tf.float32)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        tf.nn.static_rnn(lambda x, s: (x, s), [x], dtype=tf.float32)


def test_static_bidirectional_rnn_names_and_numbers() -> None:
    x = tf.placeholder(tf.float32, [B, T, D])
    lengths = tf.placeholder(tf.int32, [B])
    outputs, state_fw, state_bw = tf.nn.static_bidirectional_rnn(
        rnn_cell.GRUCell(N),
        rnn_cell.GRUCell(3),
        tf.unstack(x, axis=1),
        dtype=tf.float32,
        sequence_length=lengths,
    )
    names = _names(tf.global_variables())
    assert names[0] == "bidirectional_rnn/fw/gru_cell/gates/kernel"
    assert names[4] == "bidirectional_rnn/bw/gru_cell/gates/kernel"
    assert outputs[0].shape.as_list() == [B, N + 3]
    xv, lv = _xs(), np.array([5, 3, 1])
    sess, w = _session_with_weights()
    with sess:
        got, s_fw, s_bw = sess.run((outputs, state_fw, state_bw), {x: xv, lengths: lv})
    fw, want_fw = ref.run_sequence(
        _gru_step(w, "bidirectional_rnn/fw/gru_cell/"), xv, np.zeros((B, N)), lv
    )
    # The backward pass reads each sequence reversed within its length.
    x_rev = np.zeros_like(xv)
    for b, n in enumerate(lv):
        x_rev[b, :n] = xv[b, :n][::-1]
    bw_rev, want_bw = ref.run_sequence(
        _gru_step(w, "bidirectional_rnn/bw/gru_cell/"), x_rev, np.zeros((B, 3)), lv
    )
    bw = np.zeros_like(bw_rev)
    for b, n in enumerate(lv):
        bw[b, :n] = bw_rev[b, :n][::-1]
    np.testing.assert_allclose(np.stack(got, 1), np.concatenate([fw, bw], 2), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s_fw, want_fw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s_bw, want_bw, rtol=1e-5, atol=1e-6)


# -- dynamic_rnn -------------------------------------------------------------------------------
def test_dynamic_rnn_equals_static_rnn() -> None:
    x = tf.placeholder(tf.float32, [None, None, D])
    cell = rnn_cell.BasicLSTMCell(N)
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    assert outputs.shape.as_list() == [None, None, N]
    assert isinstance(state, rnn_cell.LSTMStateTuple) and state.c.shape.as_list() == [None, N]
    xs = tf.unstack(tf.placeholder_with_default(x, [None, T, D]), axis=1)
    static_out, static_state = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    assert _names(tf.global_variables()) == [
        "rnn/basic_lstm_cell/kernel",
        "rnn/basic_lstm_cell/bias",
    ]
    xv = _xs()
    sess, w = _session_with_weights()
    with sess:
        got, got_state, s_out, s_state = sess.run(
            (outputs, state, static_out, static_state), {x: xv}
        )
    np.testing.assert_allclose(got, np.stack(s_out, 1), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got_state.c, s_state.c, rtol=1e-6, atol=1e-7)
    want, _ = ref.run_sequence(
        _lstm_step(w, "rnn/basic_lstm_cell/"), xv, (np.zeros((B, N)), np.zeros((B, N)))
    )
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_sequence_length() -> None:
    x = tf.placeholder(tf.float32, [None, T, D])
    lengths = tf.placeholder(tf.int32, [None])
    outputs, state = tf.nn.dynamic_rnn(
        rnn_cell.BasicLSTMCell(N), x, sequence_length=lengths, dtype=tf.float32
    )
    assert outputs.shape.as_list() == [None, T, N]
    xv, lv = _xs(batch=4), np.array([5, 1, 0, 3])
    sess, w = _session_with_weights()
    with sess:
        got, got_state = sess.run((outputs, state), {x: xv, lengths: lv})
    want, (want_c, want_h) = ref.run_sequence(
        _lstm_step(w, "rnn/basic_lstm_cell/"), xv, (np.zeros((4, N)), np.zeros((4, N))), lv
    )
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for b, n in enumerate(lv):
        assert not got[b, n:].any()
    np.testing.assert_allclose(got_state.c, want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state.h, want_h, rtol=1e-5, atol=1e-6)
    # The final h of each entry is its output at its last step.
    np.testing.assert_allclose(got_state.h[0], got[0, 4], rtol=1e-6)
    np.testing.assert_allclose(got_state.h[3], got[3, 2], rtol=1e-6)


def test_dynamic_rnn_time_major_and_initial_state() -> None:
    x = tf.placeholder(tf.float32, [T, B, D])
    cell = rnn_cell.GRUCell(N)
    h0 = tf.placeholder(tf.float32, [B, N])
    outputs, state = tf.nn.dynamic_rnn(cell, x, initial_state=h0, time_major=True)
    assert outputs.shape.as_list() == [T, B, N]
    xv = _xs()
    hv = np.random.default_rng(5).standard_normal((B, N)).astype(np.float32)
    sess, w = _session_with_weights()
    with sess:
        got, got_state = sess.run((outputs, state), {x: xv.transpose(1, 0, 2), h0: hv})
    want, want_state = ref.run_sequence(_gru_step(w, "rnn/gru_cell/"), xv, hv)
    np.testing.assert_allclose(got.transpose(1, 0, 2), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_multi_cell_dropout_and_projection() -> None:
    cells = [
        rnn_cell.DropoutWrapper(
            rnn_cell.LSTMCell(N, num_proj=3, use_peepholes=True),
            output_keep_prob=tf.placeholder_with_default(1.0, []),
        ),
        rnn_cell.GRUCell(2),
    ]
    x = tf.placeholder(tf.float32, [B, T, D])
    outputs, state = tf.nn.dynamic_rnn(rnn_cell.MultiRNNCell(cells), x, dtype=tf.float32)
    names = _names(tf.global_variables())
    assert names[:3] == [
        "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
        "rnn/multi_rnn_cell/cell_0/lstm_cell/w_f_diag",
    ]
    assert "rnn/multi_rnn_cell/cell_0/lstm_cell/projection/kernel" in names
    assert names[-1] == "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias"
    assert outputs.shape.as_list() == [B, T, 2]
    assert state[0].h.shape.as_list() == [B, 3]
    xv = _xs()
    sess, w = _session_with_weights()
    with sess:
        got = sess.run(outputs, {x: xv})
    p0, p1 = "rnn/multi_rnn_cell/cell_0/lstm_cell/", "rnn/multi_rnn_cell/cell_1/gru_cell/"

    def step(xt, st):
        (c, m), h = st
        m_out, (c, m) = ref.lstm(
            xt,
            c,
            m,
            w[p0 + "kernel"],
            w[p0 + "bias"],
            w_f=w[p0 + "w_f_diag"],
            w_i=w[p0 + "w_i_diag"],
            w_o=w[p0 + "w_o_diag"],
            proj=w[p0 + "projection/kernel"],
        )
        out, h = _gru_step(w, p1)(m_out, h)
        return out, ((c, m), h)

    want, _ = ref.run_sequence(step, xv, ((np.zeros((B, N)), np.zeros((B, 3))), np.zeros((B, 2))))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_nested_inputs_with_a_user_cell() -> None:
    class SumCell(rnn_cell.RNNCell):
        """Takes a pair of inputs; the state accumulates both."""

        @property
        def state_size(self):
            return 2

        @property
        def output_size(self):
            return (2, 1)

        def call(self, inputs, state):
            a, b = inputs
            new = state + a + b
            return (new, tf.reduce_sum(new, 1, keepdims=True)), new

    a = tf.placeholder(tf.float32, [B, T, 2])
    b = tf.placeholder(tf.float32, [B, T, 2])
    (o1, o2), state = tf.nn.dynamic_rnn(SumCell(), (a, b), dtype=tf.float32)
    av, bv = _xs(depth=2), _xs(depth=2, seed=1)
    with tf.Session() as sess:
        g1, g2, s = sess.run((o1, o2, state), {a: av, b: bv})
    want = np.cumsum(av + bv, axis=1)
    np.testing.assert_allclose(g1, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g2[..., 0], want.sum(-1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s, want[:, -1], rtol=1e-5, atol=1e-6)


def test_bidirectional_dynamic_rnn_matches_static() -> None:
    x = tf.placeholder(tf.float32, [B, T, D])
    lengths = tf.placeholder(tf.int32, [B])
    fw_cell, bw_cell = rnn_cell.BasicLSTMCell(N), rnn_cell.GRUCell(3)
    (out_fw, out_bw), (s_fw, s_bw) = tf.nn.bidirectional_dynamic_rnn(
        fw_cell, bw_cell, x, sequence_length=lengths, dtype=tf.float32
    )
    names = _names(tf.global_variables())
    assert names == [
        "bidirectional_rnn/fw/basic_lstm_cell/kernel",
        "bidirectional_rnn/fw/basic_lstm_cell/bias",
        "bidirectional_rnn/bw/gru_cell/gates/kernel",
        "bidirectional_rnn/bw/gru_cell/gates/bias",
        "bidirectional_rnn/bw/gru_cell/candidate/kernel",
        "bidirectional_rnn/bw/gru_cell/candidate/bias",
    ]
    static_out, st_fw, st_bw = tf.nn.static_bidirectional_rnn(
        fw_cell, bw_cell, tf.unstack(x, axis=1), sequence_length=lengths, dtype=tf.float32
    )
    assert len(tf.global_variables()) == 6  # the same cells: the same variables
    xv, lv = _xs(), np.array([2, 5, 4])
    sess, _ = _session_with_weights()
    with sess:
        got = sess.run((out_fw, out_bw, s_fw, s_bw, static_out, st_fw, st_bw), {x: xv, lengths: lv})
    fw, bw, sf, sb, st_out, stf, stb = got
    np.testing.assert_allclose(
        np.concatenate([fw, bw], 2), np.stack(st_out, 1), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(sf.h, stf.h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sb, stb, rtol=1e-5, atol=1e-6)
    assert not bw[0, 2:].any()


def test_bidirectional_dynamic_rnn_time_major_without_lengths() -> None:
    x = tf.placeholder(tf.float32, [T, B, D])
    cell_fw, cell_bw = rnn_cell.BasicRNNCell(2), rnn_cell.BasicRNNCell(2)
    (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
        cell_fw, cell_bw, x, dtype=tf.float32, time_major=True
    )
    xv = _xs().transpose(1, 0, 2)
    sess, w = _session_with_weights()
    with sess:
        got_bw = sess.run(bw, {x: xv})
    p = "bidirectional_rnn/bw/basic_rnn_cell/"

    def step(xt, h):
        return ref.basic_rnn(xt, h, w[p + "kernel"], w[p + "bias"])

    rev, _ = ref.run_sequence(step, xv.transpose(1, 0, 2)[:, ::-1], np.zeros((B, 2)))
    np.testing.assert_allclose(got_bw.transpose(1, 0, 2), rev[:, ::-1], rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_errors_name_the_shapes() -> None:
    cell = rnn_cell.GRUCell(2)
    with pytest.raises(
        ValueError,
        match=r"rank >= 3 \(\[batch, time, depth\]\); got "
        r"'Placeholder.*' of shape \(3, 4\)",
    ):
        tf.nn.dynamic_rnn(cell, tf.placeholder(tf.float32, [3, 4]), dtype=tf.float32)
    x = tf.placeholder(tf.float32, [B, T, D])
    with pytest.raises(
        ValueError,
        match=r"sequence_length must be a vector of length "
        r"batch_size, but saw shape: \(3, 2\)",
    ):
        tf.nn.dynamic_rnn(cell, x, sequence_length=tf.ones([3, 2], tf.int32), dtype=tf.float32)
    with pytest.raises(ValueError, match=r"length batch_size \(3\); got shape \(2,\)"):
        tf.nn.dynamic_rnn(cell, x, sequence_length=[1, 2], dtype=tf.float32)
    with pytest.raises(ValueError, match="no initial_state, you must give a dtype"):
        tf.nn.dynamic_rnn(cell, x)
    with pytest.raises(ValueError, match=r"depth of inputs\) must be accessible"):
        tf.nn.dynamic_rnn(cell, tf.placeholder(tf.float32, [B, T, None]), dtype=tf.float32)


# -- gradients ---------------------------------------------------------------------------------
def test_gradients_of_dynamic_rnn_float64() -> None:
    def build(x):
        out, state = tf.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(3), x, dtype=tf.float64)
        return [out, state.c]

    ref.check_gradients(build, {"x": _xs(2, 4, 2).astype(np.float64)}, rtol=1e-5, atol=1e-7)


def test_gradients_of_dynamic_rnn_with_sequence_length_float64() -> None:
    def build(x):
        out, state = tf.nn.dynamic_rnn(
            rnn_cell.GRUCell(3), x, sequence_length=[4, 2, 0], dtype=tf.float64
        )
        return [out, state]

    ref.check_gradients(build, {"x": _xs(3, 4, 2).astype(np.float64)}, rtol=1e-5, atol=1e-7)


def test_gradients_of_static_and_bidirectional_rnn_float64() -> None:
    def build(x):
        outs, s_fw, s_bw = tf.nn.static_bidirectional_rnn(
            rnn_cell.BasicRNNCell(2),
            rnn_cell.BasicRNNCell(2),
            tf.unstack(x, axis=1),
            sequence_length=[3, 1],
            dtype=tf.float64,
        )
        return outs + [s_fw, s_bw]

    ref.check_gradients(build, {"x": _xs(2, 3, 2).astype(np.float64)}, rtol=1e-5, atol=1e-7)


def test_gradients_of_bidirectional_dynamic_rnn_float64() -> None:
    def build(x):
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(
            rnn_cell.GRUCell(2),
            rnn_cell.BasicLSTMCell(2),
            x,
            sequence_length=[3, 2],
            dtype=tf.float64,
        )
        return [fw, bw]

    ref.check_gradients(build, {"x": _xs(2, 3, 2).astype(np.float64)}, rtol=1e-5, atol=1e-7)


# -- end to end --------------------------------------------------------------------------------
def test_dynamic_rnn_learns_the_running_mean() -> None:
    """A GRU + dense readout fits y_t = mean(x_1..x_t) of a 1-D sequence."""
    rng = np.random.default_rng(0)
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, [None, 6, 1])
    y = tf.placeholder(tf.float32, [None, 6, 1])
    out, _ = tf.nn.dynamic_rnn(rnn_cell.GRUCell(8), x, dtype=tf.float32)
    pred = tf.layers.dense(tf.reshape(out, [-1, 8]), 1)
    loss = tf.reduce_mean(tf.square(pred - tf.reshape(y, [-1, 1])))
    train = tf.train.AdamOptimizer(0.03).minimize(loss)
    xv = rng.uniform(-1, 1, (64, 6, 1)).astype(np.float32)
    yv = np.cumsum(xv, axis=1) / np.arange(1, 7)[None, :, None]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: xv, y: yv})
        for _ in range(150):
            sess.run(train, {x: xv, y: yv})
        last = sess.run(loss, {x: xv, y: yv})
    assert last < 0.1 * first, (first, last)


# -- variable sharing across calls -------------------------------------------------------------
def test_dynamic_rnn_scope_argument_and_cell_reuse() -> None:
    x = tf.placeholder(tf.float32, [B, T, D])
    cell = rnn_cell.GRUCell(2)
    tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope="encoder")
    tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope="decoder")  # same cell: same weights
    assert _names(tf.global_variables()) == [
        "encoder/gru_cell/gates/kernel",
        "encoder/gru_cell/gates/bias",
        "encoder/gru_cell/candidate/kernel",
        "encoder/gru_cell/candidate/bias",
    ]


def test_a_new_cell_in_a_reused_scope_shares_the_first_ones_variables() -> None:
    x = tf.placeholder(tf.float32, [B, T, D])
    with tf.variable_scope("model"):
        tf.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(3), x, dtype=tf.float32)
    with tf.variable_scope("model", reuse=True):
        tf.nn.dynamic_rnn(rnn_cell.BasicLSTMCell(3), x, dtype=tf.float32)
    assert _names(tf.global_variables()) == [
        "model/rnn/basic_lstm_cell/kernel",
        "model/rnn/basic_lstm_cell/bias",
    ]


def test_dynamic_rnn_checks_sequence_length_against_the_batch_at_run_time() -> None:
    x = tf.placeholder(tf.float32, [None, T, D])
    lengths = tf.placeholder(tf.int32, [None])
    outputs, _ = tf.nn.dynamic_rnn(
        rnn_cell.GRUCell(2), x, sequence_length=lengths, dtype=tf.float32
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(outputs, {x: _xs(), lengths: [1, 2, 3]}).shape == (B, T, 2)
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"Expected shape for Tensor rnn/sequence_length:0 is \] \[3\] \[ but saw "
            r"shape: \] \[2\]",
        ):
            sess.run(outputs, {x: _xs(), lengths: [1, 2]})


def test_dropout_in_dynamic_rnn_draws_a_new_mask_every_step() -> None:
    def ones(z):
        return z * 0.0 + 1.0

    cell = rnn_cell.DropoutWrapper(rnn_cell.BasicRNNCell(40, activation=ones), output_keep_prob=0.5)
    outputs, _ = tf.nn.dynamic_rnn(cell, tf.ones([1, T, 2]), dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        dropped = sess.run(outputs)[0] == 0
    assert len({row.tobytes() for row in dropped}) == T
