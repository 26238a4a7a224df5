"""Op-table rows for where_v2 and the scatter ops (flowzero/ops/select_ops.py,
flowzero/ops/scatter_ops.py); the in-place variable scatters are tested as session state."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

T = rand(4, 3)
IDX = np.array([[2], [0]], np.int32)
IDX2 = np.array([[0, 1], [3, 2], [0, 1]], np.int64)  # a repeat: accumulates for add/sub


def _scatter(mode, t, idx, u):
    out = t.copy()
    at = tuple(idx[..., j] for j in range(idx.shape[-1]))
    if mode == "update":
        out[at] = u
    elif mode == "add":
        np.add.at(out, at, u)
    elif mode == "max":
        np.maximum.at(out, at, u)
    elif mode == "min":
        np.minimum.at(out, at, u)
    else:
        np.subtract.at(out, at, u)
    return out


CASES = [
    OpCase(
        "SelectV2",
        lambda c, x, y: tf.where_v2(c, x, y),
        np.where,
        [np.array([[True], [False], [True]]), rand(3, 4), rand(1, 4, seed=2)],
        wrt=[1, 2],
        second_order=True,
    ),
    OpCase(
        "SelectV2",
        lambda c, x, y: tf.where_v2(c, x, y),
        np.where,
        [np.array(True), np.float64(2.0), rand(2, 3).astype(np.float64)],
        name="scalar_cond",
        wrt=[1, 2],
    ),
    OpCase(
        "SelectV2",
        lambda c, x: tf.where_v2(c, x, 0),
        lambda c, x: np.where(c, x, 0),
        [np.array([True, False, True]), np.array([[1, 2, 3], [4, 5, 6]], np.int32)],
        name="int",
        grad=False,
    ),
    OpCase(
        "TensorScatterUpdate",
        lambda t, u: tf.tensor_scatter_nd_update(t, IDX, u),
        lambda t, u: _scatter("update", t, IDX, u),
        [T, rand(2, 3, seed=5)],
        second_order=True,
    ),
    OpCase(
        "TensorScatterUpdate",
        lambda t, u: tf.tensor_scatter_nd_update(t, IDX2[:2], u),
        lambda t, u: _scatter("update", t, IDX2[:2], u),
        [T, rand(2, seed=6)],
        name="elements",
    ),
    OpCase(
        "TensorScatterAdd",
        lambda t, u: tf.tensor_scatter_nd_add(t, IDX2, u),
        lambda t, u: _scatter("add", t, IDX2, u),
        [T, rand(3, seed=6)],
        second_order=True,
    ),
    OpCase(
        "TensorScatterSub",
        lambda t, u: tf.tensor_scatter_nd_sub(t, IDX2, u),
        lambda t, u: _scatter("sub", t, IDX2, u),
        [T, rand(3, seed=6)],
    ),
    OpCase(
        "TensorScatterAdd",
        lambda t, i, u: tf.tensor_scatter_nd_add(t, i, u),
        lambda t, i, u: _scatter("add", t, i, u),
        [
            np.arange(6, dtype=np.int32).reshape(2, 3),
            np.array([[1], [1]], np.int32),
            np.array([[1, 1, 1], [2, 2, 2]], np.int32),
        ],
        name="int_fed_indices",
        grad=False,
    ),
    OpCase(
        "TensorScatterMax",
        lambda t, u: tf.tensor_scatter_nd_max(t, IDX2, u),
        lambda t, u: _scatter("max", t, IDX2, u),
        [T, rand(3, seed=6)],
        second_order=True,
    ),
    OpCase(
        "TensorScatterMin",
        lambda t, u: tf.tensor_scatter_nd_min(t, IDX, u),
        lambda t, u: _scatter("min", t, IDX, u),
        [T, rand(2, 3, seed=5)],
    ),
    OpCase(
        "TensorScatterMax",
        lambda t, u: tf.tensor_scatter_nd_max(t, [[0], [2]], u),
        lambda t, u: _scatter("max", t, np.array([[0], [2]]), u),
        [np.array([1.0, 5.0, 3.0]), np.array([1.0, 2.0])],
        name="tie",
    ),
]

EXEMPT = {
    op: "in-place variable state; tests/ops/test_more_ops.py (test_variable_scatters)"
    for op in (
        "ScatterUpdate",
        "ScatterAdd",
        "ScatterSub",
        "ScatterMul",
        "ScatterDiv",
        "ScatterMax",
        "ScatterMin",
        "ScatterNdUpdate",
        "ScatterNdAdd",
        "ScatterNdSub",
    )
}
