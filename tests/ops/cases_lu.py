"""Op-table rows for LU, slogdet and least squares (flowzero/ops/lu_ops.py), with the
composites over them (lu_solve, lu_matrix_inverse, pinv) checked through their ops."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

A = rand(2, 3, 3, seed=21) + 2.0 * np.eye(3)
TALL, WIDE = rand(5, 3, seed=22), rand(2, 4, seed=23)


def _np_lu(a):
    # Doolittle with partial pivoting, one matrix at a time, plain loops
    out, perms = [], []
    for m in a.reshape(-1, a.shape[-1], a.shape[-1]):
        m = m.astype(np.float64).copy()
        n = len(m)
        p = list(range(n))
        for k in range(n):
            r = k + int(np.argmax(np.abs(m[k:, k])))
            m[[k, r]] = m[[r, k]]
            p[k], p[r] = p[r], p[k]
            for i in range(k + 1, n):
                m[i, k] /= m[k, k]
                m[i, k + 1 :] -= m[i, k] * m[k, k + 1 :]
        out.append(m)
        perms.append(p)
    return [
        np.array(out).reshape(a.shape).astype(a.dtype),
        np.array(perms, np.int32).reshape(a.shape[:-1]),
    ]


def _np_lstsq(a, b, lam=0.0):
    n = a.shape[-1]
    at = np.swapaxes(a, -1, -2)
    return np.linalg.solve(at @ a + lam * np.eye(n), at @ b).astype(a.dtype)


CASES = [
    OpCase("Lu", lambda x: list(tf.linalg.lu(x)), _np_lu, [A], grad=False),
    OpCase(
        "Lu",
        lambda x: list(tf.linalg.lu(x)),
        _np_lu,
        [np.array([[0.0, 1.0, 2.0], [3.0, 1.0, 0.0], [3.0, 2.0, 1.0]], np.float32)],
        name="ties_float32",  # |3| twice: the first row with the largest pivot wins
        grad=False,
    ),
    OpCase(
        "Lu",
        lambda x: tf.linalg.lu_solve(*tf.linalg.lu(tf.stop_gradient(x)), x),
        lambda x: np.linalg.solve(x, x),
        [A],
        name="lu_solve",
        grad=False,
    ),
    OpCase(
        "Lu",
        lambda x: tf.linalg.lu_matrix_inverse(*tf.linalg.lu(x)),
        np.linalg.inv,
        [A],
        name="lu_matrix_inverse",
        grad=False,
    ),
    OpCase(
        "LogMatrixDeterminant",
        lambda x: list(tf.linalg.slogdet(x)),
        lambda x: [np.linalg.slogdet(x)[0], np.linalg.slogdet(x)[1]],
        [np.stack([A[0], -A[1]])],
        second_order=True,
    ),
    OpCase(
        "MatrixSolveLs",
        tf.matrix_solve_ls,
        _np_lstsq,
        [TALL, rand(5, 2, seed=24)],
        rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "MatrixSolveLs",
        lambda a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.5),
        lambda a, b: (
            np.swapaxes(a, -1, -2)
            @ np.linalg.solve(a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(2), b).astype(a.dtype)
        ),
        [WIDE, rand(2, 3, seed=25)],
        name="under_l2",
        rtol=1e-5,
    ),
    OpCase(
        "MatrixSolveLs",
        lambda a, b: tf.linalg.lstsq(a, b, l2_regularizer=0.25),
        lambda a, b: _np_lstsq(a, b, 0.25),
        [rand(3, 4, 2, seed=26), rand(3, 4, 1, seed=27)],
        name="batch_l2",
        rtol=1e-5,
    ),
    OpCase(
        "MatrixSolveLs",
        lambda a, b: tf.matrix_solve_ls(a, b, fast=False),
        lambda a, b: (np.linalg.pinv(a) @ b).astype(a.dtype),
        [np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]), np.array([[1.0], [2.0], [3.0]])],
        name="rank_deficient_slow",
        grad=False,
    ),
    OpCase(
        "Svd",
        tf.linalg.pinv,
        lambda a: np.linalg.pinv(a).astype(a.dtype),
        [TALL],
        name="pinv",
        rtol=1e-5,
    ),
    OpCase(
        "Svd",
        tf.linalg.matrix_rank,
        lambda a: np.linalg.matrix_rank(a).astype(np.int32),
        [np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1e-3]]])],
        name="matrix_rank",
        grad=False,
    ),
]
