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


def _a(tf, v):
    return tf.SparseTensor(IND, v, SHAPE)


B = np.array([[0, 0], [2, 1]], np.int64)


@pytest.mark.parametrize(
    "build",
    [
        lambda tf, v: tf.sparse.concat(1, [_a(tf, v), tf.SparseTensor(B, v[:2] * 2, [3, 2])]),
        lambda tf, v: tf.sparse.concat(0, [_a(tf, v), _a(tf, v * 3)]),
        lambda tf, v: tf.sparse.slice(_a(tf, v), [1, 1], [5, 5]),
        lambda tf, v: tf.sparse.split(sp_input=_a(tf, v), num_split=3, axis=1),
        lambda tf, v: tf.sparse.fill_empty_rows(tf.SparseTensor(IND[:2], v[:2], [4, 4]), 7.0),
        lambda tf, v: tf.sparse.reset_shape(_a(tf, v)),
        lambda tf, v: tf.sparse.reset_shape(_a(tf, v), [5, 6]),
        lambda tf, v: tf.sparse.eye(2, 3),
        lambda tf, v: tf.sparse.expand_dims(_a(tf, v), 1),
        lambda tf, v: tf.sparse.transpose(_a(tf, v)),
        lambda tf, v: tf.sparse.reshape(_a(tf, v), [-1, 2]),
        lambda tf, v: tf.sparse.reorder(tf.SparseTensor(IND[::-1], v, SHAPE)),
        lambda tf, v: tf.sparse.retain(_a(tf, v), [True, False, True]),
        lambda tf, v: tf.sparse.reduce_sum(_a(tf, v), 1),
        lambda tf, v: tf.sparse.reduce_sum(_a(tf, v), [0, 1], keepdims=True),
        lambda tf, v: tf.sparse.reduce_max(_a(tf, v), 0),
        lambda tf, v: tf.sparse.reduce_sum_sparse(_a(tf, v), 1),
        lambda tf, v: tf.sparse.reduce_max_sparse(_a(tf, v), 0),
        lambda tf, v: tf.sparse.matmul(_a(tf, v), np.arange(8.0, dtype=np.float32).reshape(4, 2)),
        lambda tf, v: tf.sparse.matmul(
            _a(tf, v), np.ones((2, 3), np.float32), adjoint_a=True, adjoint_b=True
        ),
    ],
    ids=[
        "concat1",
        "concat0",
        "slice",
        "split",
        "fill_empty_rows",
        "reset_shape",
        "reset_shape_new",
        "eye",
        "expand_dims",
        "transpose",
        "reshape",
        "reorder",
        "retain",
        "reduce_sum",
        "reduce_sum_keep",
        "reduce_max",
        "reduce_sum_sparse",
        "reduce_max_sparse",
        "matmul",
        "matmul_adjoint",
    ],  # fmt: skip
)
def test_sparse_ops_equal_tensorflow(build) -> None:
    same(build, [VALS])


@pytest.mark.parametrize(
    "build",
    [
        lambda tf, v: tf.sparse.reorder(tf.SparseTensor(IND[::-1], v, SHAPE)),
        lambda tf, v: tf.sparse.fill_empty_rows(tf.SparseTensor(IND[:2], v[:2], [4, 4]), 7.0)[0],
        lambda tf, v: tf.sparse.reduce_sum(_a(tf, v), 1),
        lambda tf, v: tf.sparse.matmul(_a(tf, v), np.arange(8.0, dtype=np.float32).reshape(4, 2)),
        lambda tf, v: tf.sparse.slice(_a(tf, v), [1, 0], [2, 4]),
    ],
    ids=["reorder", "fill_empty_rows", "reduce_sum", "matmul", "slice"],
)
def test_sparse_gradients_equal_tensorflow(build) -> None:
    same(build, [VALS], grad_of=[0])


def test_matmul_gradient_wrt_dense_equals_tensorflow() -> None:
    b = np.arange(8.0, dtype=np.float32).reshape(2, 4)
    same(lambda tf, v, b: tf.sparse.matmul(_a(tf, v), b, adjoint_b=True), [VALS, b], [0, 1])


def _b(tf, v):
    return tf.SparseTensor(B, v[:2] * 2 - 1, [3, 4])


SM = np.array([[0, 0], [0, 2], [1, 1], [2, 0], [2, 3]], np.int64)
DATA = np.arange(12.0, dtype=np.float32).reshape(4, 3) / 7


@pytest.mark.parametrize(
    "build,grad_of",
    [
        (lambda tf, v: tf.sparse.add(_a(tf, v), _b(tf, v)), [0]),
        (lambda tf, v: tf.sparse.add(_a(tf, v), _b(tf, v), threshold=0.9), [0]),
        (lambda tf, v: tf.sparse.add(_a(tf, v), tf.ones([3, 4])), [0]),
        (lambda tf, v: tf.sparse.maximum(_a(tf, v), _b(tf, v)), None),
        (lambda tf, v: tf.sparse.minimum(_a(tf, v), _b(tf, v)), None),
        (
            lambda tf, v: tf.sparse.softmax(tf.SparseTensor(SM, tf.concat([v, v], 0)[:5], [3, 4])),
            [0],
        ),  # fmt: skip
        (lambda tf, d: tf.sparse.segment_sum(d, [0, 2, 3, 3], [0, 0, 1, 2]), [0]),
        (lambda tf, d: tf.sparse.segment_mean(d, [0, 2, 3, 3], [0, 0, 2, 2]), [0]),
        (lambda tf, d: tf.sparse.segment_sqrt_n(d, [0, 2, 3, 3], [0, 0, 2, 2]), [0]),
        (lambda tf, d: tf.sparse.segment_sum(d, [0, 2, 3], [0, 1, 1], num_segments=3), [0]),
        (lambda tf, d: tf.sparse.segment_sqrt_n(d, [0, 2, 3], [0, 1, 1], num_segments=3), [0]),
    ],
    ids=[
        "add",
        "add_threshold",
        "add_dense",
        "maximum",
        "minimum",
        "softmax",
        "segment_sum",
        "segment_mean",
        "segment_sqrt_n",
        "segment_sum_num",
        "segment_sqrt_n_num",
    ],  # fmt: skip
)
def test_sparse_binary_ops_equal_tensorflow(build, grad_of) -> None:
    arrays = [DATA] if "segment" in str(build.__code__.co_names) else [VALS]
    same(build, arrays, grad_of)
