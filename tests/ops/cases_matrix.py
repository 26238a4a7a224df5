"""Op-table rows for the matrix ops (flowzero/ops/matrix_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _well_conditioned(*batch: int) -> np.ndarray:
    a = rand(*batch, 3, 3, seed=7)
    return (a + 3 * np.eye(3, dtype=np.float32)).astype(np.float32)


def _np_matrix_diag(x):
    out = np.zeros(x.shape + (x.shape[-1],), x.dtype)
    i = np.arange(x.shape[-1])
    out[..., i, i] = x
    return out


CASES = [
    OpCase("MatrixDiag", tf.matrix_diag, _np_matrix_diag, [rand(2, 3)], second_order=True),
    OpCase(
        "MatrixDiagPart",
        tf.matrix_diag_part,
        lambda x: np.diagonal(x, axis1=-2, axis2=-1).copy(),
        [rand(2, 3, 3)],
        second_order=True,
    ),
    OpCase(
        "MatrixDiagPart",
        tf.matrix_diag_part,
        lambda x: np.diagonal(x, axis1=-2, axis2=-1).copy(),
        [rand(3, 4)],
        name="wide",
    ),
    OpCase(
        "MatrixInverse",
        tf.matrix_inverse,
        np.linalg.inv,
        [_well_conditioned(2)],
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
        second_order=True,
    ),
    OpCase(
        "MatrixInverse",
        lambda x: tf.matrix_inverse(x, adjoint=True),
        lambda x: np.linalg.inv(np.swapaxes(x, -1, -2)),
        [_well_conditioned()],
        name="adjoint",
        rtol=1e-5,
        atol=1e-6,
        grad_rtol=1e-5,
    ),
    OpCase(
        "MatrixDeterminant",
        tf.matrix_determinant,
        lambda x: np.linalg.det(x).astype(x.dtype),
        [_well_conditioned(2)],
        rtol=1e-5,
        grad_rtol=1e-5,
    ),
]

EXEMPT = {
    "MatrixSetDiagLike": "the gradient of a non-square MatrixDiagPart: checked by its "
    "gradient row ('wide') here",
}
