"""Op-table rows for the sparse ops (flowzero/ops/sparse_ops.py, sparse_math_ops.py).

Ops that return a SparseTensor are built as the list of its three tensors."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

IND = np.array([[0, 1], [1, 0], [2, 3]], np.int64)
SHAPE = np.array([3, 4], np.int64)
VALS = rand(3)


def _dense(ind, vals, shape, default=0):
    out = np.full(tuple(shape), default, dtype=np.asarray(vals).dtype)
    for i, ix in enumerate(ind):
        out[tuple(ix)] = vals[i] if np.ndim(vals) else vals
    return out


def _sp(ind, vals, shape=SHAPE):
    return tf.SparseTensor(ind, vals, shape)


CASES = [
    OpCase(
        "SparseToDense",
        lambda v: tf.sparse.to_dense(_sp(IND, v)),
        lambda v: _dense(IND, v, SHAPE),
        [VALS],
        second_order=True,
    ),
    OpCase(
        "SparseToDense",
        lambda i, s, v, d: tf.sparse_to_dense(i, s, v, d),
        lambda i, s, v, d: _dense(i, v, s, d),
        [IND, SHAPE, VALS, np.float32(0.5)],
        name="fed_default",
    ),
    OpCase(
        "SparseToDense",
        lambda v: tf.sparse_to_dense([1, 3], [5], v),
        lambda v: _dense([[1], [3]], v, [5]),
        [np.float32(2.0)],
        name="scalar_values_vector_indices",
    ),
    OpCase(
        "SparseToDense",
        lambda v: tf.sparse_to_dense(np.zeros((0, 2), np.int64), [2, 2], v, -1),
        lambda v: np.full((2, 2), -1, np.int32),
        [np.zeros(0, np.int32)],
        name="empty",
        grad=False,
    ),
]

# -- sparse_math_ops ----------------------------------------------------------------------------
IND3 = np.array([[0, 0, 1], [0, 2, 0], [1, 1, 1], [1, 2, 1]], np.int64)
SHAPE3 = np.array([2, 3, 2], np.int64)
VALS3 = rand(4, seed=3)


def _mm(ind, v, shape, b, adj_a=False, adj_b=False):
    a = _dense(ind, v, shape)
    a = a.T if adj_a else a
    return a @ (b.T if adj_b else b)


def _red(kind, ind, v, shape, axes, keep=False):
    """Reduces only the stored values (implicit zeros ignored), 0 where a group is empty."""
    rank = len(shape)
    red = sorted({a % rank for a in axes}) if axes else list(range(rank))
    kept = [1 if d in red else int(shape[d]) for d in range(rank)]
    out = np.zeros(kept, v.dtype)
    hit = np.zeros(kept, bool)
    for ix, x in zip(ind, v):
        k = tuple(0 if d in red else int(ix[d]) for d in range(rank))
        out[k] = (out[k] + x) if kind == "sum" else (x if not hit[k] else max(out[k], x))
        hit[k] = True
    return out if keep else out.reshape([kept[d] for d in range(rank) if d not in red])


for adj_a in (False, True):
    for adj_b in (False, True):
        CASES.append(
            OpCase(
                "SparseTensorDenseMatMul",
                lambda v, b, aa=adj_a, ab=adj_b: tf.sparse.matmul(
                    _sp(IND if not aa else IND, v), b, adjoint_a=aa, adjoint_b=ab
                ),
                lambda v, b, aa=adj_a, ab=adj_b: _mm(IND, v, SHAPE, b, aa, ab),
                [VALS, rand(*((3, 4) if adj_a else (4, 3))[:: -1 if adj_b else 1], seed=7)],
                name=f"adj_a={adj_a},adj_b={adj_b}",
                rtol=1e-5,
                atol=1e-6,
            )
        )

CASES += [
    OpCase(
        "SparseTensorDenseMatMul",
        lambda v, b: tf.sparse_tensor_dense_matmul(_sp([[1, 0], [0, 1], [1, 0]], v, [2, 2]), b),
        lambda v, b: np.array([[0, v[1]], [v[0] + v[2], 0]], v.dtype) @ b,
        [rand(3), rand(2, 2, seed=2)],
        name="duplicates_summed",
        rtol=1e-5,
    ),
    OpCase(
        "SparseReduceSum",
        lambda v: tf.sparse.reduce_sum(_sp(IND3, v, SHAPE3), axis=1),
        lambda v: _red("sum", IND3, v, SHAPE3, [1]),
        [VALS3],
        second_order=True,
    ),
    OpCase(
        "SparseReduceSum",
        lambda v: tf.sparse.reduce_sum(_sp(IND3, v, SHAPE3), axis=[0, -1], keepdims=True),
        lambda v: _red("sum", IND3, v, SHAPE3, [0, -1], keep=True),
        [VALS3],
        name="keepdims",
    ),
    OpCase(
        "SparseReduceSum",
        lambda v: tf.sparse_reduce_sum(_sp(IND3, v, SHAPE3)),
        lambda v: np.sum(v),
        [VALS3],
        name="all",
    ),
    OpCase(
        "SparseReduceSum",
        # the dense shape fed (with the table's unknown-shape run, a rank known only when it
        # runs: the axes are range(size(dense_shape)))
        lambda v, shp: tf.sparse_reduce_sum(_sp(IND3, v, shp)),
        lambda v, shp: np.sum(v),
        [VALS3, SHAPE3],
        name="all_shape_fed",
    ),
    OpCase(
        "SparseReduceMax",
        lambda v: tf.sparse.reduce_max(_sp(IND3, v, SHAPE3), axis=2),
        lambda v: _red("max", IND3, v, SHAPE3, [2]),
        [VALS3],
        grad=False,
    ),
    OpCase(
        "SparseReduceSumSparse",
        lambda v: list(tf.sparse.reduce_sum_sparse(_sp(IND3, v, SHAPE3), axis=1)._components()),
        lambda v: [
            np.array([[0, 0], [0, 1], [1, 1]]),
            np.array([v[1], v[0], v[2] + v[3]], v.dtype),
            np.array([2, 2]),
        ],
        [VALS3],
        grad=False,
    ),
    OpCase(
        "SparseReduceMaxSparse",
        lambda v: list(
            tf.sparse.reduce_max_sparse(_sp(IND3, v, SHAPE3), axis=1, keepdims=True)._components()
        ),
        lambda v: [
            np.array([[0, 0, 0], [0, 0, 1], [1, 0, 1]]),
            np.array([v[1], v[0], max(v[2], v[3])], v.dtype),
            np.array([2, 1, 2]),
        ],
        [VALS3],
        grad=False,
    ),
]

# -- sparse_array_ops ---------------------------------------------------------------------------
UNSORTED = np.array([[2, 3], [0, 1], [1, 0]], np.int64)
ORDER = np.array([1, 2, 0])


def _fill_ref(v, d):
    return [
        np.array([[0, 1], [1, 0], [1, 3], [2, 0], [3, 0]]),
        np.concatenate([v, [d, d]]).astype(v.dtype),
        np.array([False, False, True, True]),
    ]


CASES += [
    OpCase(
        "SparseReorder",
        lambda v: list(tf.sparse.reorder(_sp(UNSORTED, v))._components()[:2]),
        lambda v: [UNSORTED[ORDER], v[ORDER]],
        [VALS],
        grad=False,
    ),
    OpCase(
        "SparseReorder",
        lambda v: tf.sparse.reorder(_sp(UNSORTED, v)).values,
        lambda v: v[ORDER],
        [VALS],
        name="values",
        second_order=True,
    ),
    OpCase(
        "SparseReshape",
        lambda i: list(
            tf.sparse.reshape(tf.SparseTensor(i, VALS, SHAPE), [2, -1, 3])._components()[::2]
        ),  # fmt: skip
        lambda i: [
            np.stack(np.unravel_index(np.ravel_multi_index(i.T, (3, 4)), (2, 2, 3)), 1),
            np.array([2, 2, 3]),
        ],
        [IND],
        grad=False,
    ),
    OpCase(
        "SparseFillEmptyRows",
        lambda v, d: [
            *tf.sparse.fill_empty_rows(tf.SparseTensor([[0, 1], [1, 0], [1, 3]], v, [4, 4]), d)[
                0
            ]._components()[:2],
            tf.sparse.fill_empty_rows(tf.SparseTensor([[0, 1], [1, 0], [1, 3]], v, [4, 4]), d)[1],
        ],
        _fill_ref,
        [VALS, np.float32(0.5)],
        grad=False,
    ),
    OpCase(
        "SparseFillEmptyRows",
        lambda v, d: (
            tf.sparse.fill_empty_rows(tf.SparseTensor([[0, 1], [1, 0], [1, 3]], v, [4, 4]), d)[
                0
            ].values
        ),
        lambda v, d: _fill_ref(v, d)[1],
        [VALS, np.float32(0.5)],
        name="values",
    ),
]

# -- sparse_binary_ops --------------------------------------------------------------------------
B_IND = np.array([[0, 1], [2, 2]], np.int64)
B_VALS = rand(2, seed=5)
SM_IND = np.array([[0, 0], [0, 2], [1, 1], [2, 0], [2, 3]], np.int64)


def _softmax_ref(v):
    out = np.empty_like(v)
    for rows in ([0, 1], [2], [3, 4]):
        e = np.exp(v[rows] - v[rows].max())
        out[rows] = e / e.sum()
    return out


CASES += [
    OpCase(
        "SparseAdd",
        lambda a, b: list(tf.sparse.add(_sp(IND, a), _sp(B_IND, b))._components()),
        lambda a, b: [
            np.array([[0, 1], [1, 0], [2, 2], [2, 3]]),
            np.array([a[0] + b[0], a[1], b[1], a[2]], a.dtype),
            SHAPE,
        ],
        [VALS, B_VALS],
        grad=False,
    ),
    OpCase(
        "SparseAdd",
        lambda a, b: tf.sparse.add(_sp(IND, a), _sp(B_IND, b)).values,
        lambda a, b: np.array([a[0] + b[0], a[1], b[1], a[2]], a.dtype),
        [VALS, B_VALS],
        name="values",
    ),
    OpCase(
        "SparseAddGrad",
        lambda d: _add_grad(d),
        lambda d: [np.array([d[0], 0, d[1]], d.dtype), np.array([d[0], 0], d.dtype)],
        [rand(2, seed=9)],
        grad=False,
    ),
    OpCase(
        "SparseAddGrad",
        lambda d: _add_grad(d, with_shape=False),  # TF's form: no dense shape input
        lambda d: [np.array([d[0], 0, d[1]], d.dtype), np.array([d[0], 0], d.dtype)],
        [rand(2, seed=9)],
        name="no_shape",
        grad=False,
    ),
    OpCase(
        "SparseSoftmax",
        lambda v: tf.sparse.softmax(_sp(SM_IND, v)).values,
        _softmax_ref,
        [rand(5, seed=11)],
        second_order=True,
    ),
    OpCase(
        "SparseSparseMaximum",
        lambda a, b: list(tf.sparse.maximum(_sp(IND, a), _sp(B_IND, b))._components()[:2]),
        lambda a, b: [
            np.array([[0, 1], [1, 0], [2, 2], [2, 3]]),
            np.maximum([a[0], a[1], 0, a[2]], [b[0], 0, b[1], 0]).astype(a.dtype),
        ],
        [VALS, B_VALS],
        grad=False,
    ),
    OpCase(
        "SparseSparseMinimum",
        lambda a, b: list(tf.sparse.minimum(_sp(IND, a), _sp(B_IND, b))._components()[:2]),
        lambda a, b: [
            np.array([[0, 1], [1, 0], [2, 2], [2, 3]]),
            np.minimum([a[0], a[1], 0, a[2]], [b[0], 0, b[1], 0]).astype(a.dtype),
        ],
        [VALS, B_VALS],
        grad=False,
    ),
]


def _add_grad(d, with_shape=True):
    from flowzero.framework.graph import apply_op
    from flowzero.ops.sparse_binary_ops import SparseAddGrad

    ins = [d, tf.constant(IND), tf.constant(B_IND), tf.constant([[0, 1], [2, 3]], tf.int64)]
    return apply_op(SparseAddGrad, ins + [tf.constant(SHAPE)] * with_shape)
