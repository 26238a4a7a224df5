"""Op-table rows for flowzero/ops/shape_ops.py (ensure_shape, broadcast_dynamic_shape, bitcast,
shape_n, parallel_stack), flowzero/ops/linalg_more_ops.py (cross, matrix_set_diag) and the
histogram_fixed_width composites."""

import numpy as np

import flowzero as tf
from flowzero.framework.graph import apply_op
from flowzero.ops.shape_ops import BroadcastGradientArgs
from flowzero.testing.op_cases import OpCase, rand


def _broadcast_gradient_args(a, b):
    """TF's rule, checked against TF 2.21: per input, the axes of the result where the
    input, aligned right and padded with 1s, has size 1 (nothing when the shapes are equal)."""
    if list(a) == list(b):
        return np.zeros(0, a.dtype), np.zeros(0, a.dtype)
    rank = max(len(a), len(b))
    out = []
    for s in (a, b):
        padded = np.concatenate([np.ones(rank - len(s), s.dtype), s])
        out.append(np.flatnonzero(padded == 1).astype(s.dtype))
    return tuple(out)


def _set_diag(x, d):
    out = x.copy()
    n = min(x.shape[-2:])
    out[..., np.arange(n), np.arange(n)] = d
    return out


def _bins(v, r, n):
    idx = np.floor(n * (v - r[0]) / (r[1] - r[0]))
    return np.clip(idx, 0, n - 1).astype(np.int32)


HV = np.array([[-1.0, 0.0, 0.49], [0.5, 2.5, 5.0], [4.99, 7.0, 1.0]], np.float64)

CASES = [
    OpCase(
        "EnsureShape",
        lambda x: tf.ensure_shape(x, [None, 3]),
        lambda x: x,
        [rand(2, 3)],
        name="partial",
        second_order=True,
    ),
    OpCase(
        "BroadcastArgs",
        lambda a, b: tf.broadcast_dynamic_shape(a, b),
        lambda a, b: np.array(np.broadcast_shapes(tuple(a), tuple(b)), np.int32),
        [np.array([2, 1, 3], np.int32), np.array([4, 1], np.int32)],
        grad=False,
    ),
    OpCase(
        "BroadcastArgs",
        lambda a, b: tf.broadcast_dynamic_shape(a, b),
        lambda a, b: np.array(np.broadcast_shapes(tuple(a), tuple(b)), np.int64),
        [np.array([], np.int64), np.array([5, 1, 2], np.int64)],
        name="empty_int64",
        grad=False,
    ),
    *(
        OpCase(
            "BroadcastGradientArgs",
            lambda a, b: apply_op(BroadcastGradientArgs, [a, b]),
            _broadcast_gradient_args,
            [np.array(a, dt), np.array(b, dt)],
            name=name,
            grad=False,
        )
        for a, b, dt, name in (
            ([2, 1, 3], [1], np.int32, "vs_scalar_like"),
            ([5, 1, 1], [1, 1], np.int64, "both_ones"),
            ([1, 3], [1, 3], np.int32, "equal"),
            ([0, 1], [1, 4], np.int32, "zero_dim"),
        )
    ),
    OpCase(
        "Bitcast",
        lambda x: tf.bitcast(x, tf.int32),
        lambda x: x.view(np.int32),
        [rand(2, 3)],
        name="same_size",
        grad=False,
    ),
    OpCase(
        "Bitcast",
        lambda x: tf.bitcast(x, tf.uint8),
        lambda x: x.view(np.uint8).reshape(3, 4),
        [rand(3)],
        name="narrow",
        grad=False,
        rtol=0,
    ),
    OpCase(
        "Bitcast",
        lambda x: tf.bitcast(x, tf.float64),
        lambda x: x.view(np.float64).reshape(2),
        [np.arange(4, dtype=np.int32).reshape(2, 2) + 1072693248],
        name="widen",
        grad=False,
    ),
    OpCase(
        "Shape",
        lambda a, b: tf.shape_n([a, b], out_type=tf.int64),
        lambda a, b: [np.array(a.shape, np.int64), np.array(b.shape, np.int64)],
        [rand(2, 3), rand(4)],
        name="shape_n",
        grad=False,
    ),
    OpCase(
        "Pack",
        lambda a, b: tf.parallel_stack([a, b]),
        lambda a, b: np.stack([a, b]),
        [rand(2, 3), rand(2, 3, seed=1)],
        name="parallel_stack",
        unknown_shapes=False,
    ),
    OpCase(
        "Cross",
        lambda a, b: tf.cross(a, b),
        lambda a, b: np.cross(a, b),
        [rand(4, 3), rand(4, 3, seed=1)],
        second_order=True,
    ),
    OpCase(
        "Cross",
        lambda a, b: tf.linalg.cross(a, b),
        lambda a, b: np.cross(a, b),
        [np.array([1, 2, 3], np.int32), np.array([4, 5, -6], np.int32)],
        name="int",
        grad=False,
    ),
    OpCase(
        "MatrixSetDiag",
        lambda x, d: tf.matrix_set_diag(x, d),
        _set_diag,
        [rand(2, 3, 4), rand(2, 3, seed=1)],
        second_order=True,
    ),
    OpCase(
        "MatrixSetDiag",
        lambda x, d: tf.linalg.set_diag(x, d),
        _set_diag,
        [rand(3, 2), rand(2, seed=1)],
        name="tall",
    ),
    OpCase(
        "Floor",
        lambda v: tf.histogram_fixed_width_bins(v, [0.0, 5.0], nbins=5),
        lambda v: _bins(v, [0.0, 5.0], 5),
        [HV],
        name="histogram_fixed_width_bins",
        grad=False,
    ),
    OpCase(
        "Bincount",
        lambda v: tf.histogram_fixed_width(v, [0.0, 5.0], nbins=4),
        lambda v: np.bincount(_bins(v, [0.0, 5.0], 4).ravel(), minlength=4).astype(np.int32),
        [HV],
        name="histogram_fixed_width",
        grad=False,
    ),
]


# -- tf.linalg composites (flowzero/ops/linalg_more_ops.py) -------------------------------------
def _spd(rng):
    a = rng.normal(size=(2, 3, 3))
    return [a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)]


CASES += [
    OpCase(
        "MatMul",
        lambda a, b: tf.linalg.matvec(a, b),
        lambda a, b: np.einsum("...ij,...j->...i", a, b),
        [rand(2, 3, 4), rand(2, 4, seed=1)],
        name="matvec",
    ),
    OpCase(
        "MatMul",
        lambda a, b: tf.linalg.matvec(a, b, transpose_a=True),
        lambda a, b: np.einsum("ji,j->i", a, b),
        [rand(3, 4), rand(3, seed=1)],
        name="matvec_transpose_a",
    ),
    OpCase(
        "Cholesky",
        lambda m: tf.linalg.logdet(m),
        lambda m: np.linalg.slogdet(m)[1],
        _spd,
        name="logdet",
        # Cholesky reads one triangle, so its gradient is defined for symmetric
        # perturbations only; central differences perturb single entries.
        grad=False,
    ),
    OpCase(
        "Transpose",
        lambda m: tf.linalg.adjoint(m),
        lambda m: np.conj(np.swapaxes(m, -1, -2)),
        [(rand(2, 3) + 1j * rand(2, 3, seed=1)).astype(np.complex64)],
        name="adjoint",
        grad=False,
        unknown_shapes=False,  # matrix_transpose needs a known rank
    ),
    OpCase(
        "Sqrt",
        lambda x: tf.linalg.normalize(x, axis=1),
        lambda x: [
            x / np.linalg.norm(x, axis=1, keepdims=True),
            np.linalg.norm(x, axis=1, keepdims=True),
        ],
        [rand(3, 4) + 2.0],
        name="normalize",
    ),
]
