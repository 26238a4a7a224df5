"""tf.nn beyond the op table: numerical stability, the fused cross-entropy gradients, dropout,
moments / batch normalization, top-k, bias_add layouts, composites and error paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import flowzero as tf
import flowzero.nn as nn
from flowzero.framework.errors import InvalidArgumentError
from flowzero.ops import loss_ops
from flowzero.testing import gradient_check

BIG = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]], dtype=np.float32)
ONEHOT = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _run(fetches, feed=None, graph=None):
    with tf.Session(graph=graph or tf.get_default_graph()) as sess:
        return sess.run(fetches, feed)


@pytest.fixture
def strict():
    """Any NumPy floating-point warning or Python warning fails the test."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


# -- stability ---------------------------------------------------------------------------------
STABLE = {
    "softmax_xent": lambda x: nn.softmax_cross_entropy_with_logits_v2(labels=ONEHOT, logits=x),
    "softmax_xent_v1": lambda x: nn.softmax_cross_entropy_with_logits(labels=ONEHOT, logits=x),
    "sparse_xent": lambda x: nn.sparse_softmax_cross_entropy_with_logits(
        labels=[0, 2, 1], logits=x
    ),
    "sigmoid_xent": lambda x: nn.sigmoid_cross_entropy_with_logits(labels=ONEHOT, logits=x),
    "weighted_xent": lambda x: nn.weighted_cross_entropy_with_logits(
        targets=ONEHOT, logits=x, pos_weight=3.0
    ),
    "log_softmax": nn.log_softmax,
    "softmax": nn.softmax,
    "softplus": nn.softplus,
    "sigmoid": nn.sigmoid,
    "tanh": nn.tanh,
    "elu": nn.elu,
    "selu": nn.selu,
    "softsign": nn.softsign,
}


@pytest.mark.parametrize("name", sorted(STABLE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_for_huge_logits_without_warnings(strict, name, dtype):
    x = tf.placeholder(tf.as_dtype(dtype), [3, 3])
    y = STABLE[name](x)
    (dx,) = tf.gradients(y, [x])
    (d2x,) = tf.gradients(tf.reduce_sum(dx * dx), [x])
    yv, dxv, d2xv = _run([y, dx, d2x], {x: BIG.astype(dtype)})
    for v in (yv, dxv, d2xv):
        assert v.dtype == dtype, f"{name}: {v.dtype} (float32 must stay float32)"
        assert np.all(np.isfinite(v)), f"{name}: {v}"


def test_huge_logits_values(strict):
    x = tf.constant(BIG)
    loss = nn.softmax_cross_entropy_with_logits_v2(labels=ONEHOT, logits=x)
    sig = nn.sigmoid_cross_entropy_with_logits(labels=ONEHOT, logits=x)
    sp = nn.softplus(x)
    lv, sv, spv = _run([loss, sig, sp])
    # row 0: label at -1e4 while 1e4 wins -> 2e4; row 1: label at a tie of two 1e4 -> log 2;
    # row 2: all equal -> log 3
    np.testing.assert_allclose(lv, [2e4, np.log(2), np.log(3)], rtol=1e-6)
    with np.errstate(under="ignore"):
        want_sig = np.maximum(BIG, 0) - BIG * ONEHOT + np.log1p(np.exp(-np.abs(BIG)))
    np.testing.assert_allclose(sv, want_sig, rtol=1e-6)
    np.testing.assert_allclose(spv, np.maximum(BIG, 0) + np.log(2) * (BIG == 0), atol=1e-6)


# -- the fused softmax cross entropy -----------------------------------------------------------
def test_fused_gradient_is_softmax_minus_labels():
    rng = np.random.default_rng(1)
    logits_v = rng.normal(size=(4, 5)).astype(np.float32)
    labels_v = np.eye(5, dtype=np.float32)[[0, 3, 1, 4]]
    dy_v = rng.uniform(0.5, 2.0, size=4).astype(np.float32)
    logits, labels = tf.constant(logits_v), tf.constant(labels_v)
    loss = nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    dlogits, dlabels = tf.gradients(loss, [logits, labels], grad_ys=[tf.constant(dy_v)])
    g, gl = _run([dlogits, dlabels])
    sm = _softmax(logits_v.astype(np.float64))
    np.testing.assert_allclose(g, (sm - labels_v) * dy_v[:, None], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gl, -np.log(sm) * dy_v[:, None], rtol=1e-5)
    # the op's second output is exactly that backprop
    _, backprop = loss_ops.raw_softmax_cross_entropy_with_logits(logits, labels)
    np.testing.assert_allclose(_run(backprop), sm - labels_v, rtol=1e-5, atol=1e-7)


def test_v1_blocks_the_labels_gradient():
    logits, labels = tf.constant(np.zeros((2, 3), np.float32)), tf.constant(ONEHOT[:2])
    loss = nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    assert tf.gradients(loss, [labels]) == [None]
    loss2 = nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
    assert tf.gradients(loss2, [labels])[0] is not None


def test_gradient_through_the_backprop_output():
    # d/d(logits, labels) of sum(w * backprop): the softmax Jacobian, and -1 for labels.
    def build(logits, labels):
        return loss_ops.raw_softmax_cross_entropy_with_logits(logits, labels)[1]

    p = np.random.default_rng(2).uniform(0.1, 1, (3, 4))
    gradient_check.assert_gradients_close(
        build, [np.random.default_rng(3).normal(size=(3, 4)), p / p.sum(-1, keepdims=True)]
    )

    def sparse(logits):
        return loss_ops.raw_sparse_softmax_cross_entropy_with_logits(logits, [1, 0, 3])[1]

    gradient_check.assert_gradients_close(sparse, [np.random.default_rng(4).normal(size=(3, 4))])


def test_labels_are_cast_to_the_logits_dtype():
    loss = nn.softmax_cross_entropy_with_logits_v2(
        labels=tf.constant([[0, 1]]), logits=tf.constant([[0.0, 0.0]])
    )
    assert loss.dtype == tf.float32
    np.testing.assert_allclose(_run(loss), [np.log(2)], rtol=1e-6)


def test_positional_call_is_refused():
    with pytest.raises(
        ValueError,
        match=r"Only call softmax_cross_entropy_with_logits with "
        r"named arguments \(labels=\.\.\., logits=\.\.\.\)",
    ):
        nn.softmax_cross_entropy_with_logits(ONEHOT, BIG)
    with pytest.raises(ValueError, match="named arguments"):
        nn.softmax_cross_entropy_with_logits_v2(ONEHOT, BIG)
    with pytest.raises(ValueError, match="named arguments"):
        nn.sparse_softmax_cross_entropy_with_logits([0], [[1.0]])
    with pytest.raises(ValueError, match="named arguments"):
        nn.sigmoid_cross_entropy_with_logits(ONEHOT, BIG)
    with pytest.raises(ValueError, match="must be provided"):
        nn.softmax_cross_entropy_with_logits(logits=BIG)


def test_labels_logits_shape_mismatch():
    with pytest.raises(
        InvalidArgumentError, match="SoftmaxCrossEntropyWithLogits.*same shape.*logits: .*labels"
    ):
        nn.softmax_cross_entropy_with_logits_v2(
            labels=np.zeros((2, 4), np.float32), logits=np.zeros((2, 3), np.float32)
        )
    # unknown at build time -> caught at run time, naming the op
    a = tf.placeholder(tf.float32, [None, None])
    b = tf.placeholder(tf.float32, [None, None])
    loss = nn.softmax_cross_entropy_with_logits_v2(labels=b, logits=a)
    with pytest.raises(InvalidArgumentError, match="SoftmaxCrossEntropyWithLogits.*same shape"):
        _run(loss, {a: np.zeros((2, 3)), b: np.zeros((2, 4))})
    with pytest.raises(ValueError, match="same shape"):
        nn.sigmoid_cross_entropy_with_logits(
            labels=np.zeros((2, 4), np.float32), logits=np.zeros((2, 3), np.float32)
        )


def test_sparse_labels_out_of_range_at_run_time():
    logits = tf.placeholder(tf.float32, [None, 3])
    labels = tf.placeholder(tf.int32, [None])
    loss = nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xent")
    feed = {logits: np.zeros((3, 3))}
    with pytest.raises(
        InvalidArgumentError,
        match=r"SparseSoftmaxCrossEntropyWithLogits 'xent'.*label value of 3 "
        r"which is outside the valid range of \[0, 3\)",
    ):
        _run(loss, {**feed, labels: [0, 3, 1]})
    with pytest.raises(InvalidArgumentError, match="label value of -1"):
        _run(loss, {**feed, labels: [-1, 0, 1]})
    np.testing.assert_allclose(_run(loss, {**feed, labels: [0, 2, 1]}), [np.log(3)] * 3, rtol=1e-6)


def test_sparse_label_rank_and_dtype_errors():
    with pytest.raises(ValueError, match="Rank mismatch"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=[[0]], logits=[[1.0, 2.0]])
    with pytest.raises(TypeError, match="int32 or int64"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=[0.0], logits=[[1.0, 2.0]])
    with pytest.raises(InvalidArgumentError, match="except for the last dimension"):
        nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 1], logits=[[1.0, 2.0]])


def test_sigmoid_and_weighted_cross_entropy_match_the_definitions():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4))
    z = rng.uniform(size=(3, 4))
    sig = 1 / (1 + np.exp(-x))
    got = _run(
        [
            nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
            nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=2.5),
        ]
    )
    np.testing.assert_allclose(got[0], -z * np.log(sig) - (1 - z) * np.log(1 - sig), rtol=1e-10)
    np.testing.assert_allclose(
        got[1], -2.5 * z * np.log(sig) - (1 - z) * np.log(1 - sig), rtol=1e-10
    )
    gradient_check.assert_gradients_close(
        lambda lg, lb: nn.sigmoid_cross_entropy_with_logits(labels=lb, logits=lg), [x, z]
    )
    gradient_check.assert_gradients_close(
        lambda lg, lb: nn.weighted_cross_entropy_with_logits(targets=lb, logits=lg, pos_weight=0.5),
        [x, z],
    )
    gradient_check.assert_second_order_close(
        lambda lg: nn.sigmoid_cross_entropy_with_logits(labels=z, logits=lg), [x]
    )


# -- dropout -----------------------------------------------------------------------------------
def test_dropout_keep_prob_one_and_rate_zero_are_identity():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert nn.dropout(x, keep_prob=1.0) is x
    assert nn.dropout(x, rate=0.0) is x
    kp = tf.placeholder(tf.float32, [])
    np.testing.assert_array_equal(
        _run(nn.dropout(x, keep_prob=kp), {kp: 1.0}), [[1.0, 2.0], [3.0, 4.0]]
    )


def test_dropout_rate_and_scaling():
    x = tf.ones([200, 500])
    for y, keep in ((nn.dropout(x, rate=0.25), 0.75), (nn.dropout(x, keep_prob=0.25), 0.25)):
        v = _run(y)
        kept = v != 0
        np.testing.assert_allclose(v[kept], 1 / keep, rtol=1e-6)  # inverted dropout
        assert abs(kept.mean() - keep) < 0.01, kept.mean()
        assert abs(v.mean() - 1.0) < 0.03, v.mean()  # expectation unchanged
        assert y.dtype == tf.float32 and y.shape.as_list() == [200, 500]


def test_dropout_keep_prob_tensor_noise_shape_and_gradient():
    x = tf.ones([100, 8])
    kp = tf.placeholder(tf.float32, [])
    y = nn.dropout(x, keep_prob=kp, noise_shape=[100, 1], seed=3)
    v = _run(y, {kp: 0.5})
    assert set(np.unique(v)) <= {0.0, 2.0}
    assert np.all(v == v[:, :1])  # whole rows kept or dropped
    xv = tf.placeholder(tf.float64, [4, 4])
    y = nn.dropout(xv, rate=0.5, seed=1)
    (dx,) = tf.gradients(tf.reduce_sum(y), [xv])
    with tf.Session() as sess:
        yv, dxv = sess.run([y, dx], {xv: np.ones((4, 4))})
    np.testing.assert_array_equal(dxv, yv)  # same mask: d y / d x = mask / keep


def test_dropout_seeded_reproducibility():
    def masks():
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(7)
            y = nn.dropout(tf.ones([10, 10]), keep_prob=0.5, seed=11)
            with tf.Session(graph=g) as sess:
                return sess.run(y), sess.run(y)

    (a1, a2), (b1, b2) = masks(), masks()
    np.testing.assert_array_equal(a1, b1)  # same seeds -> same masks in a new session
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # successive runs draw new masks


def test_dropout_errors():
    x = tf.ones([2, 2])
    with pytest.raises(ValueError, match="not both"):
        nn.dropout(x, keep_prob=0.5, rate=0.5)
    with pytest.raises(ValueError, match="rate"):
        nn.dropout(x)
    with pytest.raises(ValueError, match=r"range \[0, 1\)"):
        nn.dropout(x, rate=1.0)
    with pytest.raises(ValueError, match=r"range \(0, 1\]"):
        nn.dropout(x, keep_prob=0.0)
    with pytest.raises(ValueError, match="floating point"):
        nn.dropout(tf.ones([2], dtype=tf.int32), keep_prob=0.5)


# -- moments and batch normalization -----------------------------------------------------------
def test_moments_match_numpy():
    xv = np.random.default_rng(6).normal(2.0, 3.0, size=(4, 3, 3, 2)).astype(np.float32)
    x = tf.constant(xv)
    m, v = nn.moments(x, [0, 1, 2])
    mk, vk = nn.moments(x, [0], keep_dims=True)
    got = _run([m, v, mk, vk])
    np.testing.assert_allclose(got[0], xv.mean((0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(got[1], xv.var((0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(got[2], xv.mean(0, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[3], xv.var(0, keepdims=True), rtol=1e-5)
    assert m.shape.as_list() == [2] and mk.shape.as_list() == [1, 3, 3, 2]
    p = tf.placeholder(tf.float32, [None, 3])
    mp, vp = nn.moments(p, axes=[0])
    got = _run([mp, vp], {p: xv.reshape(-1, 3)})
    np.testing.assert_allclose(got[1], xv.reshape(-1, 3).var(0), rtol=1e-5)
    assert mp.shape.as_list() == [3]


def test_moments_and_batch_normalization_gradients():
    rng = np.random.default_rng(7)
    xv = rng.normal(size=(5, 3))
    gradient_check.assert_gradients_close(lambda x: nn.moments(x, [0])[1], [xv])
    gradient_check.assert_gradients_close(lambda x: nn.moments(x, [0, 1])[0], [xv])

    def bn(x, scale, offset):
        m, v = nn.moments(x, [0])
        return nn.batch_normalization(x, m, v, offset, scale, 1e-3)

    gradient_check.assert_gradients_close(
        bn, [xv, rng.uniform(0.5, 2, 3), rng.normal(size=3)], rtol=1e-5
    )


def test_batch_normalization_matches_numpy():
    rng = np.random.default_rng(8)
    xv = rng.normal(size=(6, 4)).astype(np.float32)
    mean, var = rng.normal(size=4).astype(np.float32), rng.uniform(0.5, 2, 4).astype(np.float32)
    off, sc = rng.normal(size=4).astype(np.float32), rng.uniform(0.5, 2, 4).astype(np.float32)
    y = nn.batch_normalization(xv, mean, var, off, sc, 1e-3)
    want = (xv - mean) / np.sqrt(var + 1e-3) * sc + off
    np.testing.assert_allclose(_run(y), want, rtol=1e-5, atol=1e-6)
    y2 = nn.batch_normalization(xv, mean, var, None, None, 1e-3)
    np.testing.assert_allclose(_run(y2), (xv - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-6)
    assert y.dtype == tf.float32


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_fused_batch_norm_training(fmt):
    rng = np.random.default_rng(9)
    xv = rng.normal(1.0, 2.0, size=(4, 3, 5, 2)).astype(np.float32)  # NHWC, C = 2
    scale, offset = np.array([1.5, 0.5], np.float32), np.array([0.1, -0.2], np.float32)
    x_in = xv if fmt == "NHWC" else xv.transpose(0, 3, 1, 2)
    y, bm, bv = nn.fused_batch_norm(x_in, scale, offset, epsilon=1e-3, data_format=fmt)
    yv, bmv, bvv = _run([y, bm, bv])
    mean, var = xv.mean((0, 1, 2)), xv.var((0, 1, 2))
    want = (xv - mean) / np.sqrt(var + 1e-3) * scale + offset
    if fmt == "NCHW":
        want = want.transpose(0, 3, 1, 2)
    np.testing.assert_allclose(yv, want, rtol=1e-4, atol=1e-5)  # biased variance in y
    np.testing.assert_allclose(bmv, mean, rtol=1e-5)
    n = 4 * 3 * 5
    np.testing.assert_allclose(bvv, var * n / (n - 1), rtol=1e-5)  # unbiased for moving avgs
    np.testing.assert_allclose(bvv, xv.reshape(-1, 2).var(0, ddof=1), rtol=1e-5)


def test_fused_batch_norm_dynamic_shape_and_inference():
    rng = np.random.default_rng(10)
    xv = rng.normal(size=(3, 2, 2, 4)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, None, None, 4])
    _, _, bv = nn.fused_batch_norm(x, np.ones(4, np.float32), np.zeros(4, np.float32))
    np.testing.assert_allclose(_run(bv, {x: xv}), xv.reshape(-1, 4).var(0, ddof=1), rtol=1e-5)
    mean, var = rng.normal(size=4).astype(np.float32), rng.uniform(1, 2, 4).astype(np.float32)
    y, m, v = nn.fused_batch_norm(
        xv, np.ones(4, np.float32), None, mean=mean, variance=var, is_training=False
    )
    yv, mv, vv = _run([y, m, v])
    np.testing.assert_allclose(yv, (xv - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mv, mean)
    np.testing.assert_array_equal(vv, var)
    with pytest.raises(ValueError, match="required when is_training=False"):
        nn.fused_batch_norm(xv, np.ones(4, np.float32), None, is_training=False)


def test_l2_normalize():
    xv = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    got = _run([nn.l2_normalize(xv, axis=1), nn.l2_normalize(xv, dim=0), nn.l2_normalize(xv)])
    np.testing.assert_allclose(got[0], [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)  # zeros stay 0
    np.testing.assert_allclose(got[1], [[1.0, 1.0], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(got[2], xv / 5, rtol=1e-6)
    gradient_check.assert_gradients_close(
        lambda x: nn.l2_normalize(x, 1), [np.random.default_rng(11).normal(size=(3, 4))]
    )


# -- top-k -------------------------------------------------------------------------------------
def test_top_k_values_indices_and_gradient():
    v, i = nn.top_k([[1.0, 5.0, 3.0, 5.0], [0.0, -1.0, 2.0, 1.0]], k=3)
    vv, iv = _run([v, i])
    np.testing.assert_array_equal(vv, [[5, 5, 3], [2, 1, 0]])
    np.testing.assert_array_equal(iv, [[1, 3, 2], [2, 3, 0]])  # lower index first among ties
    assert i.dtype == tf.int32 and v.shape.as_list() == [2, 3]
    x = tf.constant([[1.0, 5.0, 3.0, 4.0]])
    v, _ = nn.top_k(x, 2)
    (dx,) = tf.gradients(v, [x], grad_ys=[tf.constant([[10.0, 20.0]])])
    np.testing.assert_array_equal(_run(dx), [[0, 10, 0, 20]])
    with pytest.raises(InvalidArgumentError, match="TopKV2.*at least k=5"):
        nn.top_k(x, 5)


def test_in_top_k():
    preds = np.array([[0.1, 0.9, 0.5], [0.8, 0.1, 0.1], [0.3, 0.3, 0.3]], np.float32)
    got = _run([nn.in_top_k(preds, [1, 1, 2], 1), nn.in_top_k(preds, [2, 2, 0], 2)])
    np.testing.assert_array_equal(got[0], [True, False, True])  # ties at the boundary count
    np.testing.assert_array_equal(got[1], [True, True, True])
    with pytest.raises(InvalidArgumentError, match="InTopK.*same batch size"):
        nn.in_top_k(preds, [1, 1], 1)


# -- bias_add ----------------------------------------------------------------------------------
def test_bias_add_layouts_and_gradient():
    rng = np.random.default_rng(12)
    v, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=3)
    np.testing.assert_allclose(
        _run(nn.bias_add(v, b, data_format="NCHW")), v + b[:, None, None], rtol=1e-12
    )
    x = tf.placeholder(tf.float64, [2, 3, 4, 5])
    bias = tf.placeholder(tf.float64, [3])
    y = nn.bias_add(x, bias, data_format="NCHW")
    _, db = tf.gradients(tf.reduce_sum(y * y), [x, bias])
    np.testing.assert_allclose(
        _run(db, {x: v, bias: b}), (2 * (v + b[:, None, None])).sum((0, 2, 3)), rtol=1e-10
    )
    assert db.op.type == "BiasAddGrad"  # the fused backward op


def test_bias_add_errors():
    with pytest.raises(InvalidArgumentError, match="BiasAdd.*bias of length 4.*shape"):
        nn.bias_add(np.zeros((2, 3), np.float32), np.zeros(4, np.float32))
    with pytest.raises(InvalidArgumentError, match="BiasAdd.*bias of length 4"):
        nn.bias_add(np.zeros((2, 3, 5, 5), np.float32), np.zeros(4, np.float32), data_format="NCHW")
    with pytest.raises(InvalidArgumentError, match="bias must be 1-D"):
        nn.bias_add(np.zeros((2, 3), np.float32), np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="same dtype"):
        nn.bias_add(tf.zeros([2, 3]), tf.zeros([3], dtype=tf.float64))
    with pytest.raises(ValueError, match="data_format"):
        nn.bias_add(tf.zeros([2, 3]), tf.zeros([3]), data_format="HWCN")
    x, b = tf.placeholder(tf.float32, [None, None]), tf.placeholder(tf.float32, [None])
    with pytest.raises(InvalidArgumentError, match="BiasAdd.*bias of length 2"):
        _run(nn.bias_add(x, b), {x: np.zeros((2, 3)), b: np.zeros(2)})


# -- activations: details ----------------------------------------------------------------------
def test_relu_second_derivative_is_zero_and_relu_grad_differentiable():
    x = tf.constant([-2.0, 1.0, 3.0])
    (dx,) = tf.gradients(nn.relu(x) * nn.relu(x), [x])
    (d2x,) = tf.gradients(dx, [x])
    np.testing.assert_array_equal(_run([dx, d2x]), [[0, 2, 6], [0, 2, 2]])
    assert "ReluGrad" in {o.type for o in tf.get_default_graph().get_operations()}


def test_activation_gradients_are_finite_and_exact_at_extremes(strict):
    x = tf.constant([-1e4, -50.0, 50.0, 1e4])
    grads = _run(
        [tf.gradients(f(x), [x])[0] for f in (nn.sigmoid, nn.tanh, nn.softplus, nn.elu, nn.selu)]
    )
    # sigmoid' = y (1 - y) from the output, as TF: 0 once y rounds to 1 in float32
    np.testing.assert_allclose(grads[0], [0, 1.9287e-22, 0, 0], atol=1e-20, rtol=1e-3)
    np.testing.assert_allclose(grads[1], [0, 0, 0, 0], atol=1e-20)
    np.testing.assert_allclose(grads[2], [0, 1.9287e-22, 1, 1], atol=1e-20, rtol=1e-3)
    np.testing.assert_allclose(grads[3], [0, 0, 1, 1], atol=1e-20)
    np.testing.assert_allclose(grads[4], [0, 0, 1.0507, 1.0507], atol=1e-20, rtol=1e-4)
    for gv in grads:
        assert gv.dtype == np.float32 and np.all(np.isfinite(gv))


def test_leaky_relu_default_alpha_and_relu6():
    x = tf.constant([-10.0, -1.0, 3.0, 7.0])
    got = _run([nn.leaky_relu(x), nn.relu6(x), nn.crelu(x)])
    np.testing.assert_allclose(got[0], [-2.0, -0.2, 3.0, 7.0], rtol=1e-6)
    np.testing.assert_array_equal(got[1], [0, 0, 3, 6])
    np.testing.assert_array_equal(got[2], [0, 0, 3, 7, 10, 1, 0, 0])


def test_softmax_axis_arguments():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(_run(nn.softmax(x, dim=0)), _softmax(x, 0), rtol=1e-6)
    with pytest.raises(ValueError, match="both"):
        nn.softmax(x, axis=0, dim=0)
    with pytest.raises(InvalidArgumentError, match="Softmax.*axis 2 is out of range"):
        nn.softmax(x, axis=2)
    with pytest.raises(TypeError, match="floating"):
        nn.softmax(tf.constant([1, 2]))


# -- layers-style composites and the namespace -------------------------------------------------
def test_xw_plus_b_relu_layer_embedding_lookup_l2_loss():
    rng = np.random.default_rng(13)
    x, w, b = (rng.normal(size=s).astype(np.float32) for s in ((4, 3), (3, 2), (2,)))
    params = rng.normal(size=(5, 2)).astype(np.float32)
    got = _run(
        [
            nn.xw_plus_b(x, w, b),
            nn.relu_layer(x, w, b),
            nn.embedding_lookup(params, [4, 0, 4]),
            nn.l2_loss(x),
        ]
    )
    np.testing.assert_allclose(got[0], x @ w + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], np.maximum(x @ w + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got[2], params[[4, 0, 4]])
    np.testing.assert_allclose(got[3], (x**2).sum() / 2, rtol=1e-5)


def test_nn_namespace_has_the_conv_ops():
    for name in (
        "conv2d",
        "conv2d_transpose",
        "conv2d_backprop_input",
        "conv2d_backprop_filter",
        "max_pool",
        "avg_pool",
    ):
        assert callable(getattr(nn, name)), name
    for name in nn.__all__:
        assert hasattr(nn, name), name
