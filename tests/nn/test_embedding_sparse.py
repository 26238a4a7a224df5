"""tf.nn.embedding_lookup_sparse / safe_embedding_lookup_sparse: against a NumPy reference,
gradient-checked wrt params, and against TensorFlow where installed."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing import gradient_check

PARAMS = np.random.default_rng(0).normal(size=(6, 3))
IND = np.array([[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]], np.int64)
IDS = np.array([1, 4, 4, 0, 5], np.int64)
W = np.array([0.5, 2.0, 1.0, 3.0, 0.25])


def _ref(params, combiner, weights=None):
    w = np.ones(len(IDS)) if weights is None else weights
    out = np.zeros((3, params.shape[1]))
    for r in range(3):
        sel = IND[:, 0] == r
        if not sel.any():
            continue
        s = (params[IDS[sel]] * w[sel, None]).sum(0)
        div = {"sum": 1.0, "mean": w[sel].sum(), "sqrtn": np.sqrt((w[sel] ** 2).sum())}[combiner]
        out[r] = s / div
    return out


def _build(combiner, weighted):
    def f(p):
        ids = tf.SparseTensor(IND, IDS, [3, 4])
        w = tf.SparseTensor(IND, W, [3, 4]) if weighted else None
        return tf.nn.embedding_lookup_sparse(p, ids, w, combiner=combiner)

    return f


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
@pytest.mark.parametrize("weighted", [False, True])
def test_values_and_gradient(combiner, weighted) -> None:
    with tf.Graph().as_default():
        out = _build(combiner, weighted)(tf.constant(PARAMS))
        with tf.Session() as sess:
            got = sess.run(out)
    np.testing.assert_allclose(got, _ref(PARAMS, combiner, W if weighted else None), rtol=1e-10)
    gradient_check.assert_gradients_close(_build(combiner, weighted), [PARAMS], [0])


def test_safe_lookup_drops_bad_ids_and_zeroes_empty_rows() -> None:
    ids = np.array([1, -1, 4, 0], np.int64)
    ind = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.int64)
    with tf.Graph().as_default():
        sp = tf.SparseTensor(ind, ids, [3, 2])
        out = tf.nn.safe_embedding_lookup_sparse(tf.constant(PARAMS), sp, combiner="sum")
        out_d = tf.nn.safe_embedding_lookup_sparse(tf.constant(PARAMS), sp, default_id=5)
        with tf.Session() as sess:
            got, got_d = sess.run([out, out_d])
    np.testing.assert_allclose(got, [PARAMS[1], PARAMS[4] + PARAMS[0], np.zeros(3)])
    np.testing.assert_allclose(got_d[2], PARAMS[5])


def test_bad_combiner() -> None:
    with tf.Graph().as_default(), pytest.raises(ValueError, match="combiner"):
        tf.nn.embedding_lookup_sparse(PARAMS, tf.SparseTensor(IND, IDS, [3, 4]), None, combiner="x")


def test_equal_to_tensorflow() -> None:
    real = pytest.importorskip("tensorflow").compat.v1
    real.disable_eager_execution()
    outs = []
    for lib in (tf, real):
        with lib.Graph().as_default():
            p = lib.constant(PARAMS)
            ids = lib.SparseTensor(IND, IDS, [3, 4])
            w = lib.SparseTensor(IND, W, [3, 4])
            ys = [lib.nn.embedding_lookup_sparse(p, ids, w, combiner=c) for c in
                  ("sum", "mean", "sqrtn")] + [
                lib.nn.embedding_lookup_sparse(p, ids, None, combiner="sqrtn"),
                lib.nn.safe_embedding_lookup_sparse(
                    p, lib.SparseTensor([[0, 0], [0, 1], [2, 0]], np.array([1, -1, 3]), [3, 2])),
            ]  # fmt: skip
            grads = lib.gradients(sum(lib.reduce_sum(y * y) for y in ys), p)
            with lib.Session() as sess:
                outs.append(sess.run(ys + [lib.convert_to_tensor(g) for g in grads]))
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
