"""tf.nn.rnn_cell: each cell against a NumPy reference, TF's variable names and initializers,
variable creation on the first call only, the wrappers, user-defined cells, gradients in
float64, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing.gradient_check import assert_gradients_close, assert_second_order_close

from . import _reference as ref

rnn_cell = tf.nn.rnn_cell
RNG = np.random.default_rng(0)
B, D = 3, 5  # batch, input depth


def _names(variables) -> list[str]:
    return [v.op.name for v in variables]


def _x(depth: int = D, batch: int = B) -> np.ndarray:
    return RNG.standard_normal((batch, depth)).astype(np.float32)


def _run_cell(cell, state_value, x_value, seed=0):
    """Builds one call of `cell` in scope "rnn", loads random weights; returns (outputs,
    weights by name, state values fed)."""
    x = tf.placeholder(tf.float32, [None, x_value.shape[1]])
    flat_state = [
        tf.placeholder(tf.float32, [None, s.shape[1]])
        for s in (state_value if isinstance(state_value, tuple) else (state_value,))
    ]
    state = (
        rnn_cell.LSTMStateTuple(*flat_state) if isinstance(state_value, tuple) else flat_state[0]
    )
    with tf.variable_scope("rnn"):
        out, new_state = cell(x, state)
    feed = {x: x_value}
    feed.update(
        dict(zip(flat_state, state_value if isinstance(state_value, tuple) else (state_value,)))
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w = ref.set_random_weights(sess, tf.global_variables(), seed)
        result = sess.run((out, new_state), feed)
    return result, w


# -- the cells against NumPy -------------------------------------------------------------------
def test_basic_rnn_cell_matches_numpy_and_names() -> None:
    h0 = _x(4)
    xv = _x()
    (out, state), w = _run_cell(rnn_cell.BasicRNNCell(4), h0, xv)
    assert list(w) == ["rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias"]
    assert w["rnn/basic_rnn_cell/kernel"].shape == (D + 4, 4)
    want, _ = ref.basic_rnn(xv, h0, w["rnn/basic_rnn_cell/kernel"], w["rnn/basic_rnn_cell/bias"])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, want, rtol=1e-5, atol=1e-6)


def test_basic_rnn_cell_activation_by_name() -> None:
    h0, xv = _x(4), _x()
    (out, _), w = _run_cell(rnn_cell.BasicRNNCell(4, activation="relu"), h0, xv)
    want, _ = ref.basic_rnn(
        xv,
        h0,
        w["rnn/basic_rnn_cell/kernel"],
        w["rnn/basic_rnn_cell/bias"],
        act=lambda z: np.maximum(z, 0),
    )
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("forget_bias", [1.0, 0.0])
def test_basic_lstm_cell_matches_numpy_and_names(forget_bias) -> None:
    c0, h0, xv = _x(4), _x(4), _x()
    (out, state), w = _run_cell(rnn_cell.BasicLSTMCell(4, forget_bias=forget_bias), (c0, h0), xv)
    assert list(w) == ["rnn/basic_lstm_cell/kernel", "rnn/basic_lstm_cell/bias"]
    kernel, bias = w["rnn/basic_lstm_cell/kernel"], w["rnn/basic_lstm_cell/bias"]
    assert kernel.shape == (D + 4, 16) and bias.shape == (16,)
    want_h, (want_c, _) = ref.basic_lstm(xv, c0, h0, kernel, bias, forget_bias)
    assert isinstance(state, rnn_cell.LSTMStateTuple)
    np.testing.assert_allclose(out, want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.h, want_h, rtol=1e-5, atol=1e-6)


def test_basic_lstm_cell_fused_by_default_and_composite_with_an_activation() -> None:
    x = tf.placeholder(tf.float32, [None, D])
    fused = rnn_cell.BasicLSTMCell(4, forget_bias=0.5)
    plain = rnn_cell.BasicLSTMCell(4, forget_bias=0.5, activation=tf.tanh, reuse=True)
    state = fused.zero_state(B, tf.float32)
    with tf.variable_scope("rnn"):
        out_fused, s_fused = fused(x, state)
    with tf.variable_scope("rnn"):
        out_plain, s_plain = plain(x, s_fused)
        out_plain, s_plain = plain(x, state)
    types = [op.type for op in tf.get_default_graph().get_operations()]
    assert types.count("LSTMBlockCell") == 1 and "Sigmoid" in types
    assert len(tf.global_variables()) == 2  # the second cell re-uses the first's
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        ref.set_random_weights(sess, tf.global_variables())
        a, b = sess.run(((out_fused, s_fused), (out_plain, s_plain)), {x: _x()})
    np.testing.assert_allclose(a[0], b[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[1].c, b[1].c, rtol=1e-5, atol=1e-6)


def test_basic_lstm_cell_concatenated_state() -> None:
    c0, h0, xv = _x(4), _x(4), _x()
    cell = rnn_cell.BasicLSTMCell(4, state_is_tuple=False)
    assert cell.state_size == 8
    (out, state), w = _run_cell(cell, np.concatenate([c0, h0], 1), xv)
    want_h, (want_c, _) = ref.basic_lstm(
        xv, c0, h0, w["rnn/basic_lstm_cell/kernel"], w["rnn/basic_lstm_cell/bias"]
    )
    np.testing.assert_allclose(state, np.concatenate([want_c, want_h], 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, want_h, rtol=1e-5, atol=1e-6)


def test_lstm_cell_plain_equals_basic_lstm() -> None:
    c0, h0, xv = _x(4), _x(4), _x()
    (out, state), w = _run_cell(rnn_cell.LSTMCell(4), (c0, h0), xv)
    assert list(w) == ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"]
    want_h, (want_c, _) = ref.basic_lstm(
        xv, c0, h0, w["rnn/lstm_cell/kernel"], w["rnn/lstm_cell/bias"]
    )
    np.testing.assert_allclose(out, want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)


def test_lstm_cell_peepholes_clip_projection_match_numpy() -> None:
    n, p = 4, 3
    cell = rnn_cell.LSTMCell(
        n, use_peepholes=True, cell_clip=0.3, num_proj=p, proj_clip=0.2, forget_bias=0.5
    )
    assert cell.state_size == rnn_cell.LSTMStateTuple(n, p) and cell.output_size == p
    c0, m0, xv = _x(n), _x(p), _x()
    (out, state), w = _run_cell(cell, (c0, m0), xv)
    assert list(w) == [
        "rnn/lstm_cell/kernel",
        "rnn/lstm_cell/bias",
        "rnn/lstm_cell/w_f_diag",
        "rnn/lstm_cell/w_i_diag",
        "rnn/lstm_cell/w_o_diag",
        "rnn/lstm_cell/projection/kernel",
    ]
    assert w["rnn/lstm_cell/kernel"].shape == (D + p, 4 * n)
    assert w["rnn/lstm_cell/projection/kernel"].shape == (n, p)
    want_m, (want_c, _) = ref.lstm(
        xv,
        c0,
        m0,
        w["rnn/lstm_cell/kernel"],
        w["rnn/lstm_cell/bias"],
        forget_bias=0.5,
        w_f=w["rnn/lstm_cell/w_f_diag"],
        w_i=w["rnn/lstm_cell/w_i_diag"],
        w_o=w["rnn/lstm_cell/w_o_diag"],
        cell_clip=0.3,
        proj=w["rnn/lstm_cell/projection/kernel"],
        proj_clip=0.2,
    )
    np.testing.assert_allclose(out, want_m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.c, want_c, rtol=1e-5, atol=1e-6)
    assert np.abs(state.c).max() <= 0.3 + 1e-7 and np.abs(out).max() <= 0.2 + 1e-7


def test_gru_cell_matches_numpy_and_names() -> None:
    h0, xv = _x(4), _x()
    (out, state), w = _run_cell(rnn_cell.GRUCell(4), h0, xv)
    assert list(w) == [
        "rnn/gru_cell/gates/kernel",
        "rnn/gru_cell/gates/bias",
        "rnn/gru_cell/candidate/kernel",
        "rnn/gru_cell/candidate/bias",
    ]
    assert w["rnn/gru_cell/gates/kernel"].shape == (D + 4, 8)
    assert w["rnn/gru_cell/candidate/kernel"].shape == (D + 4, 4)
    want, _ = ref.gru(
        xv,
        h0,
        w["rnn/gru_cell/gates/kernel"],
        w["rnn/gru_cell/gates/bias"],
        w["rnn/gru_cell/candidate/kernel"],
        w["rnn/gru_cell/candidate/bias"],
    )
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, want, rtol=1e-5, atol=1e-6)


def test_default_initializers_are_tf1s() -> None:
    x = tf.placeholder(tf.float32, [None, D])
    lstm, gru = rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(3)
    lstm(x, lstm.zero_state(2, tf.float32))
    gru(x, gru.zero_state(2, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = {
            n: sess.run(var) for n, var in zip(_names(tf.global_variables()), tf.global_variables())
        }
    np.testing.assert_array_equal(v["basic_lstm_cell/bias"], np.zeros(16))
    np.testing.assert_array_equal(v["gru_cell/gates/bias"], np.ones(6))
    np.testing.assert_array_equal(v["gru_cell/candidate/bias"], np.zeros(3))
    for name, (fan_in, fan_out) in {
        "basic_lstm_cell/kernel": (D + 4, 16),
        "gru_cell/gates/kernel": (D + 3, 6),
    }.items():
        limit = np.sqrt(6.0 / (fan_in + fan_out))  # glorot uniform
        assert 0 < np.abs(v[name]).max() <= limit
        assert np.abs(v[name]).max() > 0.5 * limit


def test_scope_initializer_and_cell_initializer_are_used() -> None:
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.variable_scope("s", initializer=tf.constant_initializer(0.25)):
        rnn_cell.BasicRNNCell(3)(x, tf.zeros([1, 3]))
    rnn_cell.LSTMCell(2, initializer=tf.constant_initializer(-0.5), use_peepholes=True)(
        x, rnn_cell.LSTMStateTuple(tf.zeros([1, 2]), tf.zeros([1, 2]))
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = {v.op.name: sess.run(v) for v in tf.global_variables()}
    np.testing.assert_array_equal(got["s/basic_rnn_cell/kernel"], np.full((5, 3), 0.25))
    np.testing.assert_array_equal(got["lstm_cell/kernel"], np.full((4, 8), -0.5))
    np.testing.assert_array_equal(got["lstm_cell/w_o_diag"], np.full(2, -0.5))
    np.testing.assert_array_equal(got["lstm_cell/bias"], np.zeros(8))


def test_float64_inputs_make_float64_variables() -> None:
    x = tf.placeholder(tf.float64, [None, 2])
    cell = rnn_cell.GRUCell(3)
    out, _ = cell(x, cell.zero_state(4, tf.float64))
    assert out.dtype == tf.float64
    assert {v.dtype for v in tf.global_variables()} == {tf.float64}


# -- layer semantics ---------------------------------------------------------------------------
def test_variables_are_created_on_the_first_call_and_reused_after() -> None:
    x = tf.placeholder(tf.float32, [None, D])
    cell = rnn_cell.BasicLSTMCell(4)
    state = cell.zero_state(3, tf.float32)
    with tf.variable_scope("rnn"):
        _, state = cell(x, state)
        cell(x * 2.0, state)
    # A later call from another scope still uses the first call's variables.
    with tf.variable_scope("elsewhere"):
        cell(x, state)
    assert _names(tf.global_variables()) == [
        "rnn/basic_lstm_cell/kernel",
        "rnn/basic_lstm_cell/bias",
    ]
    assert cell.trainable_variables == tf.global_variables()
    assert cell.built and cell.name == "rnn/basic_lstm_cell"


def test_two_cells_in_one_scope_get_unique_names_and_given_names_are_used() -> None:
    x = tf.placeholder(tf.float32, [None, 2])
    s = tf.zeros([1, 3])
    rnn_cell.GRUCell(3)(x, s)
    rnn_cell.GRUCell(3)(x, s)
    rnn_cell.GRUCell(3, name="encoder")(x, s)
    roots = sorted({n.split("/")[0] for n in _names(tf.global_variables())})
    assert roots == ["encoder", "gru_cell", "gru_cell_1"]


def test_scope_argument_names_the_variables() -> None:
    x = tf.placeholder(tf.float32, [None, 2])
    rnn_cell.BasicRNNCell(3)(x, tf.zeros([1, 3]), scope="my_cell")
    assert _names(tf.global_variables()) == ["my_cell/kernel", "my_cell/bias"]


def test_reuse_true_shares_an_existing_cells_variables() -> None:
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.variable_scope("shared"):
        rnn_cell.BasicLSTMCell(3)(x, rnn_cell.LSTMStateTuple(tf.zeros([1, 3]), tf.zeros([1, 3])))
    with tf.variable_scope("shared"):
        rnn_cell.BasicLSTMCell(3, reuse=True)(
            x, rnn_cell.LSTMStateTuple(tf.zeros([1, 3]), tf.zeros([1, 3]))
        )
    assert _names(tf.global_variables()) == [
        "shared/basic_lstm_cell/kernel",
        "shared/basic_lstm_cell/bias",
    ]


def test_zero_state_shapes_and_dtypes() -> None:
    lstm = rnn_cell.LSTMCell(4, num_proj=2)
    z = lstm.zero_state(5, tf.float64)
    assert isinstance(z, rnn_cell.LSTMStateTuple) and z.dtype == tf.float64
    assert z.c.shape.as_list() == [5, 4] and z.h.shape.as_list() == [5, 2]
    batch = tf.placeholder(tf.int32, [])
    multi = rnn_cell.MultiRNNCell([rnn_cell.GRUCell(3), rnn_cell.BasicLSTMCell(2)])
    zs = multi.zero_state(batch, tf.float32)
    assert zs[0].shape.as_list() == [None, 3] and zs[1].h.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        got = sess.run(zs, {batch: 7})
    assert got[0].shape == (7, 3) and got[1].c.shape == (7, 2) and not got[1].c.any()


def test_lstm_state_tuple_dtype_must_agree() -> None:
    s = rnn_cell.LSTMStateTuple(tf.zeros([1, 2]), tf.zeros([1, 2], dtype=tf.float64))
    with pytest.raises(TypeError, match="Inconsistent internal state"):
        _ = s.dtype


# -- errors ------------------------------------------------------------------------------------
def test_wrong_input_depth_on_second_call_names_the_cell_and_depths() -> None:
    cell = rnn_cell.BasicLSTMCell(4)
    state = cell.zero_state(2, tf.float32)
    with tf.variable_scope("rnn"):
        cell(tf.placeholder(tf.float32, [None, 3]), state)
        with pytest.raises(
            ValueError,
            match=r"BasicLSTMCell 'rnn/basic_lstm_cell' \(called at .*test_rnn_cell.py:\d+\): "
            r"expected inputs of depth 3.*got depth 5",
        ):
            cell(tf.placeholder(tf.float32, [None, 5]), state)


def test_wrong_input_depth_where_the_kernel_exists() -> None:
    state = rnn_cell.LSTMStateTuple(tf.zeros([2, 4]), tf.zeros([2, 4]))
    with tf.variable_scope("rnn"):
        rnn_cell.BasicLSTMCell(4)(tf.placeholder(tf.float32, [None, 3]), state)
    with (
        tf.variable_scope("rnn"),
        pytest.raises(
            ValueError,
            match=r"BasicLSTMCell .*rnn/basic_lstm_cell/kernel has shape \(7, 16\)"
            r", built for inputs of depth 3; got inputs of depth 5",
        ),
    ):
        rnn_cell.BasicLSTMCell(4, reuse=True)(tf.placeholder(tf.float32, [None, 5]), state)


def test_unknown_depth_non_2d_and_integer_inputs_are_rejected() -> None:
    cell = rnn_cell.GRUCell(2)
    s = tf.zeros([1, 2])
    with pytest.raises(ValueError, match=r"GRUCell .*inputs.shape\[-1\] to be known"):
        cell(tf.placeholder(tf.float32, [None, None]), s)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        rnn_cell.GRUCell(2)(tf.placeholder(tf.float32, [None, 2, 2]), s)
    with pytest.raises(ValueError, match="only supports floating point inputs.*int32"):
        rnn_cell.GRUCell(2)(tf.placeholder(tf.int32, [None, 2]), s)


def test_dropout_wrapper_rejects_keep_prob_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="output_keep_prob must be between 0 and 1: 1.5"):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), output_keep_prob=1.5)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        rnn_cell.DropoutWrapper(object())


def test_multi_rnn_cell_rejects_empty_and_tuple_states_without_state_is_tuple() -> None:
    with pytest.raises(ValueError, match="at least one cell"):
        rnn_cell.MultiRNNCell([])
    with pytest.raises(ValueError, match="state_is_tuple is not set"):
        rnn_cell.MultiRNNCell([rnn_cell.BasicLSTMCell(2)], state_is_tuple=False)


# -- MultiRNNCell and the wrappers -------------------------------------------------------------
def test_multi_rnn_cell_names_and_numbers() -> None:
    cells = [rnn_cell.BasicLSTMCell(4), rnn_cell.GRUCell(3)]
    multi = rnn_cell.MultiRNNCell(cells)
    assert multi.output_size == 3
    c0, h0, g0, xv = _x(4), _x(4), _x(3), _x()
    x = tf.placeholder(tf.float32, [None, D])
    state = (rnn_cell.LSTMStateTuple(tf.constant(c0), tf.constant(h0)), tf.constant(g0))
    with tf.variable_scope("rnn"):
        out, new_state = multi(x, state)
    assert _names(tf.global_variables()) == [
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel",
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias",
    ]
    assert multi.trainable_variables == tf.trainable_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        w = ref.set_random_weights(sess, tf.global_variables())
        got_out, got_state = sess.run((out, new_state), {x: xv})
    p0, p1 = "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/", "rnn/multi_rnn_cell/cell_1/gru_cell/"
    h1, (c1, _) = ref.basic_lstm(xv, c0, h0, w[p0 + "kernel"], w[p0 + "bias"])
    h2, _ = ref.gru(
        h1,
        g0,
        w[p1 + "gates/kernel"],
        w[p1 + "gates/bias"],
        w[p1 + "candidate/kernel"],
        w[p1 + "candidate/bias"],
    )
    np.testing.assert_allclose(got_out, h2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state[0].c, c1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state[1], h2, rtol=1e-5, atol=1e-6)


def test_multi_rnn_cell_concatenated_state() -> None:
    multi = rnn_cell.MultiRNNCell(
        [rnn_cell.GRUCell(3), rnn_cell.BasicRNNCell(2)], state_is_tuple=False
    )
    assert multi.state_size == 5
    x = tf.placeholder(tf.float32, [None, D])
    out, state = multi(x, multi.zero_state(3, tf.float32))
    assert state.shape.as_list() == [3, 5] and out.shape.as_list() == [3, 2]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s = sess.run((out, state), {x: _x()})
    np.testing.assert_allclose(s[:, 3:], o, rtol=1e-6)


def test_dropout_wrapper_keep_prob_placeholder() -> None:
    keep = tf.placeholder_with_default(1.0, [])
    base = rnn_cell.BasicRNNCell(50)
    cell = rnn_cell.DropoutWrapper(base, input_keep_prob=keep, output_keep_prob=keep)
    x = tf.placeholder(tf.float32, [None, D])
    h0 = tf.zeros([4, 50])
    with tf.variable_scope("rnn"):
        out, _ = cell(x, h0)
        plain, _ = base(x, h0)
    # The wrapper opens no scope: the wrapped cell's names are unchanged.
    assert _names(tf.global_variables()) == ["rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias"]
    xv = _x(batch=4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run((out, plain), {x: xv})
        np.testing.assert_allclose(a, b, rtol=1e-6)
        halved = sess.run(out, {x: np.ones_like(xv), keep: 0.5})
    # Output dropout: each entry is 0 or twice the cell's value (input dropout changes it).
    assert (halved == 0).mean() > 0.2


def test_dropout_wrapper_state_keeps_lstm_memory_cell() -> None:
    cell = rnn_cell.DropoutWrapper(rnn_cell.BasicLSTMCell(40), state_keep_prob=0.5, seed=3)
    x = tf.constant(_x(batch=6))
    out, state = cell(x, cell.zero_state(6, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s = sess.run((out, state))
    assert not (s.c == 0).any()  # c is never dropped
    assert (s.h == 0).mean() > 0.2  # h is
    np.testing.assert_allclose(s.h[s.h != 0], 2 * o[s.h != 0], rtol=1e-6)


def test_dropout_wrapper_constant_one_adds_no_dropout_op() -> None:
    cell = rnn_cell.DropoutWrapper(
        rnn_cell.GRUCell(2), input_keep_prob=1.0, output_keep_prob=tf.constant(1.0)
    )
    cell(tf.zeros([1, 2]), tf.zeros([1, 2]))
    assert not [op for op in tf.get_default_graph().get_operations() if "dropout" in op.name]


def test_dropout_wrapper_variational_uses_one_mask_per_run() -> None:
    cell = rnn_cell.DropoutWrapper(
        rnn_cell.BasicRNNCell(30),
        output_keep_prob=0.5,
        variational_recurrent=True,
        dtype=tf.float32,
        seed=1,
    )
    x = tf.ones([2, 4])
    h = tf.zeros([2, 30])
    outs = []
    for _ in range(3):
        o, h = cell(x, h)
        outs.append(o)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        masks = [v == 0 for v in sess.run(outs)]
    assert masks[0].any()
    for m in masks[1:]:  # the same units dropped at every step (and for every entry)
        np.testing.assert_array_equal(m, masks[0])
    with pytest.raises(ValueError, match="dtype must be provided"):
        rnn_cell.DropoutWrapper(rnn_cell.GRUCell(2), variational_recurrent=True)


def test_residual_and_device_wrappers() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    base = rnn_cell.GRUCell(3)
    h0 = tf.constant(_x(3))
    plain, _ = base(x, h0)
    res, _ = rnn_cell.ResidualWrapper(base)(x, h0)
    dev, dev_state = rnn_cell.DeviceWrapper(base, "/cpu:0")(x, h0)
    assert rnn_cell.DeviceWrapper(base, "/gpu:0").zero_state(2, tf.float32).shape == [2, 3]
    assert len(tf.global_variables()) == 4
    xv = _x(3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        p, r, d = sess.run((plain, res, dev), {x: xv})
    np.testing.assert_allclose(r, p + xv, rtol=1e-6)
    np.testing.assert_allclose(d, p, rtol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        rnn_cell.ResidualWrapper(rnn_cell.GRUCell(4))(x, tf.zeros([1, 4]))


# -- user-defined cells ------------------------------------------------------------------------
class MinimalRNNCell(rnn_cell.RNNCell):
    """h = tanh(x @ kernel + h) (the TF1 LayerRNNCell style: build + call)."""

    def __init__(self, units: int) -> None:
        super().__init__()
        self.units = units

    @property
    def state_size(self) -> int:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def build(self, inputs_shape) -> None:
        self.kernel = self.add_variable("kernel", [inputs_shape[-1].value, self.units])

    def call(self, inputs, state):
        h = tf.tanh(tf.matmul(inputs, self.kernel) + state)
        return h, h


class OldStyleCell(rnn_cell.RNNCell):
    """A TF 1.0-era cell: overrides __call__, makes its variable with tf.get_variable."""

    def __init__(self, units: int) -> None:
        self._units = units

    @property
    def state_size(self) -> int:
        return self._units

    @property
    def output_size(self) -> int:
        return self._units

    def __call__(self, inputs, state, scope=None):
        with tf.variable_scope(scope or "old_cell"):
            w = tf.get_variable("w", [inputs.shape[-1].value, self._units])
            h = tf.tanh(tf.matmul(inputs, w) + state)
            return h, h


def test_user_subclass_with_build_and_call() -> None:
    cell = MinimalRNNCell(3)
    x = tf.placeholder(tf.float32, [None, 2])
    with tf.variable_scope("rnn"):
        h, _ = cell(x, cell.zero_state(4, tf.float32))
        h2, _ = cell(x, h)
    assert _names(tf.global_variables()) == ["rnn/minimal_rnn_cell/kernel"]
    xv = _x(2, 4)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        k = sess.run(cell.kernel)
        got = sess.run(h2, {x: xv})
    h1 = np.tanh(xv @ k)
    np.testing.assert_allclose(got, np.tanh(xv @ k + h1), rtol=1e-5, atol=1e-6)


def test_old_style_cell_in_static_rnn_reuses_its_variable() -> None:
    cell = OldStyleCell(3)
    xs = [tf.placeholder(tf.float32, [None, 2]) for _ in range(3)]
    outputs, state = tf.nn.static_rnn(cell, xs, dtype=tf.float32)
    assert _names(tf.global_variables()) == ["rnn/old_cell/w"]
    assert cell.zero_state(2, tf.float32).shape.as_list() == [2, 3]
    assert len(outputs) == 3


# -- gradients (float64, symbolic vs central differences) -------------------------------------
def _with_weights(cell, **weights):
    """Makes `cell` use the given tensors as its weights (so they can be checked inputs)."""
    cell.built = True
    cell._input_depth = None
    for k, v in weights.items():
        setattr(cell, k, v)
    return cell


def test_gradients_basic_lstm_cell() -> None:
    def build(x, c, h, kernel, bias):
        cell = _with_weights(rnn_cell.BasicLSTMCell(3), _kernel=kernel, _bias=bias)
        out, state = cell(x, rnn_cell.LSTMStateTuple(c, h))
        return tf.concat([out, state.c], 1)

    rng = np.random.default_rng(1)
    assert_gradients_close(
        build,
        [
            rng.standard_normal((2, 4)),
            rng.standard_normal((2, 3)),
            rng.standard_normal((2, 3)),
            rng.standard_normal((7, 12)) * 0.5,
            rng.standard_normal(12) * 0.5,
        ],
        rtol=1e-5,
        atol=1e-7,
    )


def test_gradients_composite_basic_lstm_cell_first_and_second_order() -> None:
    def build(x, c, h):
        cell = _with_weights(
            rnn_cell.BasicLSTMCell(2, activation=tf.tanh),
            _kernel=tf.constant(np.linspace(-1, 1, 40).reshape(5, 8)),
            _bias=tf.constant(np.linspace(-0.5, 0.5, 8)),
        )
        out, state = cell(x, rnn_cell.LSTMStateTuple(c, h))
        return tf.concat([out, state.c], 1)

    rng = np.random.default_rng(5)
    inputs = [rng.standard_normal((2, 3)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2))]
    assert_gradients_close(build, inputs, rtol=1e-5, atol=1e-7)
    assert_second_order_close(build, inputs, wrt=0, rtol=1e-4, atol=1e-6)


def test_gradients_lstm_cell_peepholes_and_projection() -> None:
    def build(x, c, m, kernel, bias, wf, wi, wo, proj):
        cell = _with_weights(
            rnn_cell.LSTMCell(3, use_peepholes=True, num_proj=2),
            _kernel=kernel,
            _bias=bias,
            _w_f_diag=wf,
            _w_i_diag=wi,
            _w_o_diag=wo,
            _proj_kernel=proj,
        )
        out, state = cell(x, rnn_cell.LSTMStateTuple(c, m))
        return tf.concat([out, state.c], 1)

    rng = np.random.default_rng(2)
    shapes = [(2, 4), (2, 3), (2, 2), (6, 12), (12,), (3,), (3,), (3,), (3, 2)]
    assert_gradients_close(
        build, [rng.standard_normal(s) * 0.5 for s in shapes], rtol=1e-5, atol=1e-7
    )


def test_gradients_gru_cell() -> None:
    def build(x, h, gk, gb, ck, cb):
        cell = _with_weights(
            rnn_cell.GRUCell(3),
            _gate_kernel=gk,
            _gate_bias=gb,
            _candidate_kernel=ck,
            _candidate_bias=cb,
        )
        return cell(x, h)[0]

    rng = np.random.default_rng(3)
    shapes = [(2, 4), (2, 3), (7, 6), (6,), (7, 3), (3,)]
    assert_gradients_close(
        build, [rng.standard_normal(s) * 0.5 for s in shapes], rtol=1e-5, atol=1e-7
    )


def test_gradients_through_variables_of_a_multi_cell() -> None:
    def build(x, h):
        cell = rnn_cell.MultiRNNCell([rnn_cell.BasicRNNCell(3), rnn_cell.GRUCell(2)])
        out, state = cell(x, (h, tf.zeros_like(h[:, :2])))
        return out

    rng = np.random.default_rng(4)
    ref.check_gradients(
        build,
        {"x": rng.standard_normal((2, 4)), "h": rng.standard_normal((2, 3))},
        rtol=1e-5,
        atol=1e-7,
    )
