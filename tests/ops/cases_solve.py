"""Op-table rows for the linear solves (flowzero/ops/solve_ops.py) and confusion_matrix (a
ScatterNd composite in flowzero/ops/histogram_ops.py); CountUpTo is session state."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

A = (rand(2, 3, 3, seed=21) + 3 * np.eye(3, dtype=np.float32)).astype(np.float32)
B = rand(2, 3, 2, seed=22)


def _tri(a, lower):
    return np.tril(a) if lower else np.triu(a)


def _cm(lab, pred, n, w=None):
    out = np.zeros((n, n), np.int32 if w is None else w.dtype)
    np.add.at(out, (lab, pred), 1 if w is None else w)
    return out


CASES = [
    OpCase(
        "MatrixSolve",
        tf.matrix_solve,
        np.linalg.solve,
        [A, B],
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "MatrixSolve",
        lambda a, b: tf.matrix_solve(a, b, adjoint=True),
        lambda a, b: np.linalg.solve(np.swapaxes(a, -1, -2), b),
        [A, B],
        name="adjoint",
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
    ),
    OpCase(
        "MatrixTriangularSolve",
        tf.matrix_triangular_solve,
        lambda a, b: np.linalg.solve(_tri(a, True), b),
        [A, B],
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "MatrixTriangularSolve",
        lambda a, b: tf.matrix_triangular_solve(a, b, lower=False, adjoint=True),
        lambda a, b: np.linalg.solve(np.swapaxes(_tri(a, False), -1, -2), b),
        [A, B],
        name="upper_adjoint",
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
    ),
    OpCase(
        "MatrixTriangularSolve",
        lambda x, b: tf.cholesky_solve(tf.cholesky(tf.matmul(x, x, transpose_b=True)), b),
        lambda x, b: np.linalg.solve(x @ np.swapaxes(x, -1, -2), b),
        [A, B],
        name="cholesky_solve",
        rtol=1e-4,
        atol=1e-5,
        grad_rtol=1e-5,
    ),
    OpCase(
        "ScatterNd",
        lambda lab, pred: tf.confusion_matrix(lab, pred),
        lambda lab, pred: _cm(lab, pred, 5),
        [np.array([1, 2, 4, 2], np.int32), np.array([2, 2, 4, 0], np.int32)],
        name="confusion_matrix",
        grad=False,
    ),
    OpCase(
        "ScatterNd",
        lambda w: tf.confusion_matrix(
            [0, 1, 1], [1, 1, 1], num_classes=3, weights=w, dtype=w.dtype
        ),
        lambda w: _cm(np.array([0, 1, 1]), np.array([1, 1, 1]), 3, w),
        [np.array([0.5, 1.0, 2.0], np.float32)],
        name="confusion_matrix_weights",
    ),
]

EXEMPT = {"CountUpTo": "variable state; tests/ops/test_more_ops.py (test_count_up_to)"}
