"""The sparse ops against real TensorFlow: the same program built with flowzero and with
`tf.compat.v1`, values and gradients compared (skipped where TensorFlow is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as fz

tf_real = pytest.importorskip("tensorflow")
TF = tf_real.compat.v1
TF.disable_eager_execution()


def _flatten(v):
    if hasattr(v, "indices") and hasattr(v, "dense_shape"):
        return [np.asarray(v.indices), np.asarray(v.values), np.asarray(v.dense_shape)]
    return [np.asarray(v)]


def _run(tf, build, arrays, grad_of=None):
    """`build(tf, *placeholders)` in a fresh graph; its value(s), then the gradients of
    sum(y^2 + y/2) (y = the first output's values) wrt the float inputs listed in grad_of."""
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(a.dtype), a.shape) for a in arrays]
        out = build(tf, *phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        fetch = list(outs)
        if grad_of:
            y = outs[0].values if hasattr(outs[0], "dense_shape") else outs[0]
            grads = tf.gradients(tf.reduce_sum(y * y + 0.5 * y), [phs[i] for i in grad_of])
            fetch += list(grads)
        with tf.Session(graph=g) as sess:
            got = sess.run(fetch, dict(zip(phs, arrays)))
    return [a for v in got for a in _flatten(v)]


def same(build, arrays, grad_of=None, rtol=1e-5, atol=1e-6):
    got = _run(fz, build, arrays, grad_of)
    want = _run(TF, build, arrays, grad_of)
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        assert a.shape == b.shape, (k, a.shape, b.shape)
        if b.dtype.kind in "biu":
            np.testing.assert_array_equal(a, b, err_msg=f"output {k}")
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"output {k}")


IND = np.array([[0, 1], [1, 0], [2, 3]], np.int64)
VALS = np.array([1.5, -2.0, 3.0], np.float32)
SHAPE = np.array([3, 4], np.int64)


def test_to_dense_and_from_dense() -> None:
    same(
        lambda tf, v: tf.sparse.to_dense(tf.SparseTensor(IND, v, SHAPE), default_value=0.25),
        [VALS],
        grad_of=[0],
    )
    same(lambda tf, x: tf.sparse.from_dense(x), [np.array([[0, 2.0], [3.0, 0]], np.float32)])
    same(
        lambda tf, v: tf.sparse_to_dense([[0, 1], [2, 2]], [3, 3], v, default_value=-1.0),
        [np.array([4.0, 5.0], np.float32)],
        grad_of=[0],
    )
