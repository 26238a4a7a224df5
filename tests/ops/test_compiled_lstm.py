"""The compiled LSTM kernels (flowzero/ops/compiled/lstm.py) against the NumPy kernels they
replace in BlockLSTM and BlockLSTMGrad: same results on random shapes, gradients still right,
and FLOWZERO_COMPILED=0 (or a dtype they do not cover) gives the NumPy code."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.ops import compiled, rnn_ops

pytest.importorskip("numba")

# Random shapes: batch 1.., time 1.., odd unit counts, depth 1..
SHAPES = [(1, 1, 1, 1), (3, 2, 5, 7), (4, 1, 3, 13), (2, 5, 1, 3), (6, 3, 9, 17)]
# The kernels do the NumPy code's IEEE operations in the same order: equal up to a rounding.
TOL = {np.float32: 2e-7, np.float64: 1e-15}


@pytest.fixture
def mode(monkeypatch):
    """mode("1") / mode("0"): FLOWZERO_COMPILED for what follows, the loader reset."""

    def set_mode(value: str) -> None:
        monkeypatch.setenv("FLOWZERO_COMPILED", value)
        compiled.reset()

    yield set_mode
    compiled.reset()


def _inputs(dt, t, b, d, u, seed):
    rng = np.random.default_rng(seed)
    return [
        rng.standard_normal((t, b, d)).astype(dt),
        rng.standard_normal((b, u)).astype(dt),
        rng.standard_normal((b, u)).astype(dt),
        (0.5 * rng.standard_normal((d + u, 4 * u))).astype(dt),
        (0.3 * rng.standard_normal(4 * u)).astype(dt),
    ]


def _forward_and_backward(inputs, forget_bias, live, seq_grads):
    x, c, h, w, b = inputs
    out = rnn_ops.BlockLSTM({"forget_bias": forget_bias}, "lstm")._run(live, x, c, h, w, b)
    dt = x.dtype.type
    rng = np.random.default_rng(1)
    t, batch, u = x.shape[0], x.shape[1], c.shape[1]
    if seq_grads:
        dcs, dh = (rng.standard_normal((t, batch, u)).astype(dt) for _ in range(2))
        dcs_last, dh_last = (rng.standard_normal((batch, u)).astype(dt) for _ in range(2))
    else:  # as dynamic_rnn on the last h only: zeros arrive as scalars
        dcs, dh, dcs_last = dt(0), dt(0), dt(0)
        dh_last = rng.standard_normal((batch, u)).astype(dt)
    grads = rnn_ops.BlockLSTMGrad({}, "grad").compute(
        x, h, w, out[2], out[6], out[9], out[10], dcs, dh, dcs_last, dh_last
    )
    return out, grads


def _close(a, b, dt):
    for k, (p, q) in enumerate(zip(a, b)):
        if p is None:
            assert q is None, k
            continue
        np.testing.assert_allclose(q, p, rtol=TOL[dt], atol=TOL[dt], err_msg=f"output {k}")
        assert np.asarray(q).dtype == np.asarray(p).dtype


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seq_grads", [True, False])
def test_compiled_matches_numpy_kernels(mode, dt, shape, seq_grads):
    inputs = _inputs(dt, *shape, seed=sum(shape))
    live = (True,) * 11
    mode("0")
    ref = _forward_and_backward(inputs, 1.0, live, seq_grads)
    mode("1")
    assert rnn_ops._compiled_lstm(np.dtype(dt)) is not None
    got = _forward_and_backward(inputs, 1.0, live, seq_grads)
    _close(ref[0], got[0], dt)
    _close(ref[1], got[1], dt)


@pytest.mark.parametrize("forget_bias", [0.0, 2.5])
@pytest.mark.parametrize(
    "live",
    [
        (False, True, False, False, False, False, True, True, True, True, True),  # training
        (False,) * 6 + (True, True, True, False, False),  # inference: no factors
        (True, False, True, False, True, True, False, False, True, False, False),
    ],
)
def test_compiled_matches_numpy_on_partial_outputs(mode, forget_bias, live):
    inputs = _inputs(np.float32, 4, 3, 5, 11, seed=3)
    mode("0")
    ref = _forward_and_backward(inputs, forget_bias, live, True) if live[9] else None
    ref_fwd = rnn_ops.BlockLSTM({"forget_bias": forget_bias}, "l")._run(live, *inputs)
    mode("1")
    got_fwd = rnn_ops.BlockLSTM({"forget_bias": forget_bias}, "l")._run(live, *inputs)
    _close(ref_fwd, got_fwd, np.float32)
    if ref is not None:
        _close(ref[1], _forward_and_backward(inputs, forget_bias, live, True)[1], np.float32)


def test_the_kernels_run_when_on_and_not_when_off(mode, monkeypatch):
    calls = []
    mode("1")
    kernels = compiled.load("lstm")
    assert kernels is not None and "lstm" in compiled.compile_seconds()
    for name in ("block_fwd_gates", "block_fwd_out", "block_bwd_step"):
        real = getattr(kernels, name)

        def spy(*args, _real=real, _name=name):
            calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(kernels, name, spy)
    inputs = _inputs(np.float32, 3, 2, 4, 5, seed=0)
    _forward_and_backward(inputs, 1.0, (True,) * 11, True)
    assert calls.count("block_fwd_gates") == 3 and calls.count("block_bwd_step") == 3
    calls.clear()
    mode("0")
    assert compiled.load("lstm") is None and rnn_ops._compiled_lstm(np.dtype("f4")) is None
    _forward_and_backward(inputs, 1.0, (True,) * 11, True)
    assert calls == []


def test_float16_keeps_the_numpy_kernel(mode):
    mode("1")
    assert rnn_ops._compiled_lstm(np.dtype(np.float16)) is None
    inputs = _inputs(np.float16, 2, 2, 3, 3, seed=0)
    out = rnn_ops.BlockLSTM({"forget_bias": 1.0}, "l")._run((True,) * 11, *inputs)
    assert out[6].dtype == np.float16 and np.isfinite(out[6]).all()


def _train_step(seed_x, kernel_op="BlockLSTM"):
    """dynamic_rnn over BasicLSTMCell (BlockLSTM in the plan, or LSTMBlockCell steps in a
    while loop when fusion is off): loss and every gradient."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(3)
        x = tf.placeholder(tf.float32, [None, None, 5])
        out, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(7), x, dtype=tf.float32)
        assert kernel_op in {o.type for o in g.get_operations()}
        loss = tf.reduce_sum(out * out) + tf.reduce_sum(state.c)
        grads = tf.gradients(loss, [x] + tf.trainable_variables())
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run([loss, *grads], {x: seed_x})


def test_session_results_equal_with_and_without_compiled_kernels(mode):
    xv = np.random.default_rng(5).standard_normal((3, 4, 5)).astype(np.float32)
    mode("0")
    ref = _train_step(xv)
    mode("1")
    got = _train_step(xv)
    for p, q in zip(ref, got):
        np.testing.assert_allclose(q, p, rtol=2e-7, atol=2e-7)


def test_gradient_matches_central_differences_with_compiled_on(mode):
    """float64 BlockLSTM: the compiled backward's dx, dh_prev, dw against central differences."""
    mode("1")
    x, c, h, w, b = _inputs(np.float64, 3, 2, 2, 3, seed=9)
    g = tf.Graph()
    with g.as_default():
        tx, tc, th, tw, tb = (tf.constant(v) for v in (x, c, h, w, b))
        outs = rnn_ops.block_lstm(tx, tc, th, tw, tb, forget_bias=0.7)
        loss = tf.reduce_sum(outs[6] * outs[6]) + tf.reduce_sum(outs[7]) + tf.reduce_sum(outs[8])
        grads = tf.gradients(loss, [tx, th, tw])
        with tf.Session(graph=g) as sess:
            got = sess.run(grads)

    def f(xv, hv, wv):
        live = (True,) * 9 + (False, False)
        o = rnn_ops.BlockLSTM({"forget_bias": 0.7}, "l")._run(live, xv, c, hv, wv, b)
        return float((o[6] ** 2).sum() + o[7].sum() + o[8].sum())

    args = [x, h, w]
    eps = 1e-6
    for k, grad in enumerate(got):
        num = np.zeros_like(args[k])
        for idx in np.ndindex(args[k].shape):
            plus = [a.copy() for a in args]
            minus = [a.copy() for a in args]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            num[idx] = (f(*plus) - f(*minus)) / (2 * eps)
        np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-7)


def _cell_inputs(dt, b, d, u, seed):
    x, *rest = _inputs(dt, 1, b, d, u, seed)
    return [x[0], *rest]


def _cell(inputs, forget_bias, dcs_zero, dh_zero):
    x, c, h, w, b = inputs
    out = rnn_ops.LSTMBlockCell({"forget_bias": forget_bias}, "cell").compute(x, c, h, w, b)
    i, cs, f, o, ci, co, _ = out
    dt = x.dtype.type
    rng = np.random.default_rng(2)
    dcs = dt(0) if dcs_zero else rng.standard_normal(c.shape).astype(dt)
    dh = dt(0) if dh_zero else rng.standard_normal(c.shape).astype(dt)
    grads = rnn_ops.LSTMBlockCellGrad({}, "g").compute(x, c, h, w, i, f, o, ci, co, dcs, dh)
    return list(out) + list(grads)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5, 7), (6, 2, 13), (2, 9, 17)])
@pytest.mark.parametrize("zeros", [(False, False), (True, False), (False, True)])
def test_compiled_cell_matches_numpy_kernels(mode, dt, shape, zeros):
    b, d, u = shape
    inputs = _cell_inputs(dt, b, d, u, seed=b + d + u)
    mode("0")
    ref = _cell(inputs, 0.5, *zeros)
    mode("1")
    got = _cell(inputs, 0.5, *zeros)
    _close(ref, got, dt)


def test_cell_gradients_reaching_the_gates_keep_the_numpy_kernel(mode, monkeypatch):
    """The rare gradients of i, f, o, ci, co (extra inputs) are folded in by the NumPy code."""
    mode("1")
    kernels = compiled.load("lstm")
    called = []
    monkeypatch.setattr(kernels, "cell_bwd", lambda *a: called.append(a))
    x, c, h, w, b = _cell_inputs(np.float64, 2, 3, 4, seed=0)
    i, cs, f, o, ci, co, _ = rnn_ops.LSTMBlockCell({}, "c").compute(x, c, h, w, b)
    ones = np.ones_like(c)
    got = rnn_ops.LSTMBlockCellGrad({}, "g").compute(
        x, c, h, w, i, f, o, ci, co, ones, ones, ones, ones, ones, ones, ones
    )
    assert called == [] and got[3].shape == w.shape
    rnn_ops.LSTMBlockCellGrad({}, "g").compute(x, c, h, w, i, f, o, ci, co, ones, ones)
    assert len(called) == 1


def test_while_loop_form_equal_with_and_without_compiled_kernels(mode, monkeypatch):
    """dynamic_rnn as a while loop of LSTMBlockCell steps (fusion off), gradients included."""
    from flowzero.runtime import fusion

    monkeypatch.setattr(fusion, "ENABLED", False)
    xv = np.random.default_rng(6).standard_normal((2, 3, 5)).astype(np.float32)
    mode("0")
    ref = _train_step(xv, "LSTMBlockCell")
    mode("1")
    got = _train_step(xv, "LSTMBlockCell")
    for p, q in zip(ref, got):
        np.testing.assert_allclose(q, p, rtol=2e-7, atol=2e-7)
