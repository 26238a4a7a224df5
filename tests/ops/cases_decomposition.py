"""Op-table rows for the decompositions (flowzero/ops/decomposition_ops.py). Inputs that must
be symmetric (positive definite) are built inside the row from a free matrix, so central
differences move through valid inputs only; u, v and q enter sign-invariant expressions."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

A = rand(2, 3, 3, seed=11)
TALL, WIDE = rand(4, 3, seed=12), rand(3, 5, seed=13)


def _spd(x):
    return tf.matmul(x, x, transpose_b=True) + 3.0 * tf.eye(3, dtype=x.dtype)


def _np_spd(x):
    return x @ np.swapaxes(x, -1, -2) + 3.0 * np.eye(3, dtype=x.dtype)


def _sym(x):
    return tf.matmul(x, x, transpose_b=True)


def _band(x, lo, up):
    m, n = x.shape[-2:]
    d = np.arange(m)[:, None] - np.arange(n)[None, :]
    keep = np.ones((m, n), bool)
    if lo >= 0:
        keep &= d <= lo
    if up >= 0:
        keep &= -d <= up
    return np.where(keep, x, 0).astype(x.dtype)


def _qr_check(q, r):
    # q r and r's diagonal signs are fixed by LAPACK; |q| and r^T r are sign-free
    return [tf.abs(q), tf.matmul(r, r, transpose_a=True)]


def _np_qr_check(a):
    q, r = np.linalg.qr(a)
    return [np.abs(q), r.T @ r]


def _svd_check(s, u, v):
    return [s, tf.abs(u), tf.matmul(v, v * s[..., None, :], transpose_b=True)]


def _np_svd_check(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = np.swapaxes(vh, -1, -2)
    return [s, np.abs(u), v @ (v * s[..., None, :]).swapaxes(-1, -2)]


CASES = [
    OpCase(
        "MatrixBandPart",
        lambda x: tf.matrix_band_part(x, -1, 0),
        lambda x: _band(x, -1, 0),
        [rand(2, 3, 4)],
        second_order=True,
    ),
    OpCase(
        "MatrixBandPart",
        lambda x: tf.linalg.band_part(x, 1, 2),
        lambda x: _band(x, 1, 2),
        [rand(5, 4)],
        name="band",
    ),
    OpCase(
        "MatrixBandPart",
        lambda x, lo, up: tf.matrix_band_part(x, lo, up),
        lambda x, lo, up: _band(x, int(lo), int(up)),
        [np.arange(16, dtype=np.int32).reshape(4, 4), np.int64(0), np.int64(-1)],
        name="fed_counts_int",
        grad=False,
    ),
    OpCase(
        "Cholesky",
        lambda x: tf.cholesky(_spd(x)),
        lambda x: np.linalg.cholesky(_np_spd(x)),
        [A],
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "Qr",
        lambda x: _qr_check(*tf.qr(x)),
        _np_qr_check,
        [TALL],
        rtol=1e-5,
        atol=1e-5,
        grad_rtol=1e-5,
    ),
    OpCase(
        "Qr",
        lambda x: list(tf.qr(x, full_matrices=True)),
        lambda x: list(np.linalg.qr(x, mode="complete")),
        [WIDE],
        name="full",
        rtol=1e-5,
        atol=1e-5,
        grad=False,
    ),
    OpCase(
        "Svd",
        lambda x: _svd_check(*tf.svd(x)),
        _np_svd_check,
        [TALL],
        rtol=1e-5,
        atol=1e-5,
        grad_rtol=1e-5,
    ),
    OpCase(
        "Svd",
        lambda x: _svd_check(*tf.svd(x)),
        _np_svd_check,
        [WIDE],
        name="wide",
        rtol=1e-5,
        atol=1e-5,
        grad_rtol=1e-5,
    ),
    OpCase(
        "Svd",
        lambda x: tf.svd(x, compute_uv=False),
        lambda x: np.linalg.svd(x, compute_uv=False),
        [A],
        name="values",
        rtol=1e-5,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "Svd",
        lambda x: tf.svd(x, full_matrices=True)[0],
        lambda x: np.linalg.svd(x, compute_uv=False),
        [TALL],
        name="full_s",
        rtol=1e-5,
        grad_rtol=1e-5,
    ),
    OpCase(
        "SelfAdjointEigV2",
        lambda x: tf.self_adjoint_eig(_sym(x))[0],
        lambda x: np.linalg.eigvalsh(x @ np.swapaxes(x, -1, -2)),
        [A],
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "SelfAdjointEigV2",
        lambda x: tf.abs(tf.self_adjoint_eig(_sym(x))[1]),
        lambda x: np.abs(np.linalg.eigh(x @ np.swapaxes(x, -1, -2))[1]),
        [A],
        name="vectors",
        rtol=1e-4,
        atol=1e-5,
        grad_rtol=1e-5,
    ),
    OpCase(
        "SelfAdjointEigV2",
        lambda x: tf.self_adjoint_eigvals(_sym(x)),
        lambda x: np.linalg.eigvalsh(x @ np.swapaxes(x, -1, -2)),
        [A],
        name="values_only",
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
    ),
]
