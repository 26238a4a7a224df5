"""Op-table rows for expm, sqrtm, logm and the tridiagonal ops
(flowzero/ops/matrix_function_ops.py). References: Taylor series, eigendecompositions and dense
solves in NumPy."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _expm_taylor(a):
    # exp(a) = exp(a / 2^s)^(2^s), the inner one by 30 Taylor terms
    out = []
    for m in a.reshape(-1, a.shape[-1], a.shape[-1]).astype(np.float64):
        s = max(0, int(np.ceil(np.log2(max(np.abs(m).sum(0).max(), 1e-300)))) + 1)
        x = m / 2**s
        term, total = np.eye(len(m)), np.eye(len(m))
        for k in range(1, 30):
            term = term @ x / k
            total = total + term
        for _ in range(s):
            total = total @ total
        out.append(total)
    return np.array(out).reshape(a.shape).astype(a.dtype)


def _sqrtm_eig(a):
    w, v = np.linalg.eig(a)
    return (v @ (np.sqrt(w.astype(complex))[..., None] * np.linalg.inv(v))).real.astype(a.dtype)


def _logm_eig(a):
    w, v = np.linalg.eig(a)
    return (v @ (np.log(w)[..., None] * np.linalg.inv(v))).astype(a.dtype)


def _dense(d):
    i = np.arange(d.shape[-1])
    a = np.zeros(d.shape[:-2] + (d.shape[-1],) * 2, d.dtype)
    a[..., i, i] = d[..., 1, :]
    a[..., i[:-1], i[:-1] + 1] = d[..., 0, :-1]
    a[..., i[1:], i[1:] - 1] = d[..., 2, 1:]
    return a


E = rand(2, 3, 3, seed=31).astype(np.float64)
SPD = np.array([[5.0, 1.0, 0.5], [1.0, 4.0, 0.2], [0.5, 0.2, 3.0]])
D = rand(2, 3, 5, seed=32) + np.array([0.0, 4.0, 0.0])[:, None]  # diagonally dominant
RHS = rand(2, 5, 2, seed=33).astype(np.float64)
C = (np.eye(3) + 0.3 * rand(3, 3, seed=34) + 0.3j * rand(3, 3, seed=35)).astype(np.complex128)

CASES = [
    OpCase("MatrixExponential", tf.linalg.expm, _expm_taylor, [E], rtol=1e-12),
    OpCase(
        "MatrixExponential",
        tf.linalg.expm,
        _expm_taylor,
        [np.array([[0.0, 6.0], [-6.0, 0.0]])],  # norm 6: scaling and squaring
        name="scaled",
        rtol=1e-12,
        atol=1e-12,
    ),
    OpCase(
        "MatrixExponential",
        tf.linalg.expm,
        _expm_taylor,
        [(4.0 * rand(3, 3, seed=36)).astype(np.float32)],
        name="float32",
        rtol=2e-5,
        grad=False,
    ),
    OpCase(
        "MatrixSquareRoot",
        tf.linalg.sqrtm,
        _sqrtm_eig,
        [np.stack([SPD, SPD + np.triu(np.ones((3, 3)), 1)])],
        grad=False,
        rtol=1e-12,
    ),
    OpCase(
        "MatrixSquareRoot",
        tf.matrix_square_root,
        lambda a: np.array([[2.0, 0.2], [0.0, 3.0]], np.float32),
        [np.array([[4.0, 1.0], [0.0, 9.0]], np.float32)],
        name="triangular_float32",
        grad=False,
    ),
    OpCase("MatrixLogarithm", tf.linalg.logm, _logm_eig, [C], grad=False, rtol=1e-11),
    OpCase(
        "MatrixLogarithm",
        tf.linalg.logm,
        lambda a: np.array([[0, 1], [0, 0]], a.dtype),
        [np.array([[1.0, 1.0], [0.0, 1.0]], np.complex64)],  # defective: no eigenbasis
        name="jordan_complex64",
        grad=False,
        atol=1e-6,
    ),
    OpCase(
        "TridiagonalSolve",
        tf.linalg.tridiagonal_solve,
        lambda d, b: np.linalg.solve(_dense(d), b),
        [D, RHS],
        rtol=1e-12,
        second_order=True,
    ),
    OpCase(
        "TridiagonalSolve",
        lambda d, b: tf.linalg.tridiagonal_solve(d, b, partial_pivoting=False),
        lambda d, b: np.linalg.solve(_dense(d), b),
        [D[0], RHS[0]],
        name="thomas",
        rtol=1e-12,
    ),
    OpCase(
        "TridiagonalSolve",
        lambda a, b: tf.linalg.tridiagonal_solve(a, b, diagonals_format="matrix"),
        lambda a, b: np.linalg.solve(a, b).astype(a.dtype),
        [_dense(D[0]).astype(np.float32), RHS[0, :, 0].astype(np.float32)],
        name="matrix_vector_float32",
        rtol=1e-5,
        grad=False,
        unknown_shapes=False,  # a vector rhs is told from a matrix by the static rank
    ),
    OpCase(
        "TridiagonalSolve",
        lambda u, m, s, b: tf.linalg.tridiagonal_solve([u, m, s], b, diagonals_format="sequence"),
        lambda u, m, s, b: np.linalg.solve(_dense(np.stack([u, m, s], -2)), b),
        [D[0, 0], D[0, 1], D[0, 2], RHS[0]],
        name="sequence",
        rtol=1e-12,
    ),
    OpCase(
        "Pad",
        tf.linalg.tridiagonal_matmul,
        lambda d, b: _dense(d) @ b,
        [D, RHS],
        name="tridiagonal_matmul",
        second_order=True,
    ),
    OpCase(
        "Pad",
        lambda a, b: tf.linalg.tridiagonal_matmul(a, b, diagonals_format="matrix"),
        lambda a, b: (
            _dense(
                np.stack(
                    [np.pad(np.diag(a, 1), (0, 1)), np.diag(a), np.pad(np.diag(a, -1), (1, 0))]
                )
            )
            @ b
        ),
        [rand(4, 4, seed=37), rand(4, 3, seed=38)],
        name="tridiagonal_matmul_matrix",
    ),
]
