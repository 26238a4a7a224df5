"""Op-table rows for the array ops (layout, slicing, gathering, padding, selection, ranges).

References are written directly in NumPy (loops where that is simplest), not with the kernels.
"""

import numpy as np

import flowzero as tf
from flowzero.framework.graph import apply_op
from flowzero.ops import indexing_ops, slicing_ops
from flowzero.testing.op_cases import OpCase, rand

i32 = np.int32
i64 = np.int64


def _ints(*v, dtype=i32):
    return np.array(v, dtype=dtype)


def _sq(t):
    """t * t: makes the upstream gradient depend on the input, so second order reaches the
    op's own gradient ops (a linear op alone has a zero second derivative)."""
    return t * t


# -- references written out by hand -----------------------------------------------------------
def _ref_gather_grad(dy, idx, n):
    out = np.zeros((n,) + dy.shape[idx.ndim :], dy.dtype)
    for k, i in enumerate(idx.reshape(-1)):
        out[i] += dy.reshape((-1,) + dy.shape[idx.ndim :])[k]
    return out


def _ref_one_hot(idx, depth, on=1.0, off=0.0, dtype=np.float32):
    out = np.full(idx.shape + (depth,), off, dtype)
    for pos, v in np.ndenumerate(idx):
        if 0 <= v < depth:
            out[pos + (v,)] = on
    return out


def _ref_tile(x, reps):
    out = x
    for ax, r in enumerate(reps):
        out = np.concatenate([out] * r, axis=ax) if r else np.take(out, [], axis=ax)
    return out


def _ref_pad(x, pads, value=0):
    out = np.full([d + a + b for d, (a, b) in zip(x.shape, pads)], value, x.dtype)
    out[tuple(slice(a, a + d) for d, (a, _) in zip(x.shape, pads))] = x
    return out


def _ref_reflect_1d(v, a, b, symmetric):
    n = len(v)
    idx = list(range(n))
    left = [(a - k) if not symmetric else (a - k - 1) for k in range(a)]
    right = [(n - 2 - k) if not symmetric else (n - 1 - k) for k in range(b)]
    return v[left + idx + right]


def _ref_mirror(x, pads, symmetric):
    out = x
    for ax, (a, b) in enumerate(pads):
        out = np.apply_along_axis(_ref_reflect_1d, ax, out, a, b, symmetric)
    return out


def _ref_mirror_grad(dy, pads, symmetric):
    # the adjoint, from the definition: dx[j] = sum of dy[p] over padded positions p whose
    # source index is j (computed one axis at a time from the 1-D source map)
    g = dy
    for ax, (a, b) in enumerate(pads):
        n = g.shape[ax] - a - b
        src = _ref_reflect_1d(np.arange(n), a, b, symmetric)
        out = np.zeros(g.shape[:ax] + (n,) + g.shape[ax + 1 :], dy.dtype)
        for p, j in enumerate(src):
            idx_o = [slice(None)] * g.ndim
            idx_g = [slice(None)] * g.ndim
            idx_o[ax], idx_g[ax] = j, p
            out[tuple(idx_o)] += g[tuple(idx_g)]
        g = out
    return g


def _ref_where_coords(c):
    rows = [list(pos) for pos, v in np.ndenumerate(c) if v]
    return np.array(rows, dtype=i64).reshape(len(rows), c.ndim)


def _ref_gather_nd(p, idx):
    out = [p[tuple(row)] for row in idx.reshape(-1, idx.shape[-1])]
    return np.array(out, p.dtype).reshape(idx.shape[:-1] + p.shape[idx.shape[-1] :])


def _ref_scatter_nd(idx, upd, shape):
    out = np.zeros(shape, upd.dtype)
    flat = upd.reshape((-1,) + tuple(shape[idx.shape[-1] :]))
    for k, row in enumerate(idx.reshape(-1, idx.shape[-1])):
        out[tuple(row)] += flat[k]
    return out


# -- private builders for the gradient-only ops --------------------------------------------------
def _strided_grad(dy):
    # the adjoint of x[1:, ::-2] for x of shape (3, 5)
    return apply_op(
        slicing_ops.StridedSliceGrad,
        [tf.constant([3, 5]), tf.constant([1, 0]), tf.constant([0, 0]), tf.constant([1, -2]), dy],
        {
            "begin_mask": 2,
            "end_mask": 3,
            "ellipsis_mask": 0,
            "new_axis_mask": 0,
            "shrink_axis_mask": 0,
        },
    )


def _ref_strided_grad(dy):
    out = np.zeros((3, 5), dy.dtype)
    out[1:, ::-2] = dy
    return out


CASES = [
    # -- Reshape (existing) ------------------------------------------------------------------
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, [3, 2]),
        lambda x: x.reshape(3, 2),
        [rand(2, 3)],
        second_order=True,
    ),
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, [-1, 4]),
        lambda x: x.reshape(-1, 4),
        [rand(2, 2, 4)],
        name="minus1",
    ),
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, [-1]),
        lambda x: x.reshape(-1),
        [rand(2, 3)],
        name="flatten",
    ),
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, [1, 1]),
        lambda x: x.reshape(1, 1),
        [rand()],
        name="scalar_up",
    ),
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, []),
        lambda x: x.reshape(()),
        [rand(1, 1)],
        name="to_scalar",
    ),
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, [0, 3]),
        lambda x: x.reshape(0, 3),
        [np.zeros((3, 0), np.float32)],
        name="empty",
        grad=False,
    ),
    OpCase(
        "Reshape",
        lambda x, s: tf.reshape(x, s),
        lambda x, s: x.reshape(tuple(s)),
        [rand(2, 6), _ints(3, -1)],
        name="shape_tensor",
    ),
    OpCase(
        "Reshape",
        lambda x: tf.reshape(x, [tf.shape(x)[1], -1]),
        lambda x: x.reshape(x.shape[1], -1),
        [rand(2, 6)],
        name="shape_of_x",
    ),
    # -- Size / Rank -------------------------------------------------------------------------
    OpCase("Size", tf.size, lambda x: np.array(x.size, i32), [rand(2, 3)], grad=False),
    OpCase("Size", tf.size, lambda x: np.array(1, i32), [rand()], name="scalar", grad=False),
    OpCase(
        "Size",
        lambda x: tf.size(x, out_type=tf.int64),
        lambda x: np.array(x.size, i64),
        [rand(0, 3)],
        name="int64_empty",
        grad=False,
    ),
    OpCase("Rank", tf.rank, lambda x: np.array(x.ndim, i32), [rand(2, 3, 1)], grad=False),
    OpCase("Rank", tf.rank, lambda x: np.array(0, i32), [rand()], name="scalar", grad=False),
    # -- Transpose / InvertPermutation -------------------------------------------------------
    OpCase("Transpose", tf.transpose, lambda x: x.T, [rand(2, 3)], second_order=True),
    OpCase(
        "Transpose",
        tf.transpose,
        lambda x: np.einsum("ijk->kji", x),
        [rand(2, 3, 4)],
        name="default_rank3",
    ),
    OpCase(
        "Transpose",
        lambda x: _sq(tf.transpose(x, [1, 0, 2])),
        lambda x: np.einsum("ijk->jik", x) ** 2,
        [rand(2, 3, 4)],
        name="perm",
        second_order=True,
    ),
    OpCase(
        "Transpose",
        lambda x, p: tf.transpose(x, p),
        lambda x, p: np.einsum("ijk->kij", x),
        [rand(2, 3, 4), _ints(2, 0, 1)],
        name="perm_tensor",
    ),
    OpCase("Transpose", tf.transpose, lambda x: x, [rand()], name="scalar"),
    OpCase(
        "Transpose",
        tf.transpose,
        lambda x: x.copy(),
        [np.arange(6, dtype=i32)],
        name="int_vector",
        grad=False,
    ),
    OpCase(
        "InvertPermutation",
        tf.invert_permutation,
        lambda p: np.array([list(p).index(i) for i in range(len(p))], p.dtype),
        [_ints(2, 0, 3, 1)],
        grad=False,
    ),
    OpCase(
        "InvertPermutation",
        tf.invert_permutation,
        lambda p: p.copy(),
        [_ints(dtype=i64)],
        name="empty",
        grad=False,
    ),
    # -- ExpandDims / Squeeze ----------------------------------------------------------------
    OpCase("ExpandDims", lambda x: tf.expand_dims(x, 0), lambda x: x[None], [rand(2, 3)]),
    OpCase(
        "ExpandDims",
        lambda x: tf.expand_dims(x, -1),
        lambda x: x[..., None],
        [rand(2, 3)],
        name="last",
    ),
    OpCase(
        "ExpandDims",
        lambda x: tf.expand_dims(x, 1),
        lambda x: x.reshape(2, 1, 3),
        [rand(2, 3)],
        name="middle",
    ),
    OpCase(
        "ExpandDims",
        lambda x: tf.expand_dims(x, 0),
        lambda x: x.reshape(1),
        [rand()],
        name="scalar",
    ),
    OpCase(
        "ExpandDims",
        lambda x, a: tf.expand_dims(x, a),
        lambda x, a: x.reshape(2, 3, 1),
        [rand(2, 3), np.array(2, i32)],
        name="axis_tensor",
    ),
    OpCase("Squeeze", tf.squeeze, lambda x: x.reshape(2, 3), [rand(1, 2, 1, 3)]),
    OpCase(
        "Squeeze",
        lambda x: tf.squeeze(x, [2]),
        lambda x: x.reshape(1, 2, 3),
        [rand(1, 2, 1, 3)],
        name="axis",
    ),
    OpCase(
        "Squeeze",
        lambda x: tf.squeeze(x, axis=[-1, 0]),
        lambda x: x.reshape(2),
        [rand(1, 2, 1)],
        name="neg_axis",
    ),
    OpCase("Squeeze", tf.squeeze, lambda x: x.reshape(()), [rand(1, 1)], name="to_scalar"),
    # -- ConcatV2 ----------------------------------------------------------------------------
    OpCase(
        "ConcatV2",
        lambda a, b: tf.concat([a, b], 0),
        lambda a, b: np.vstack([a, b]),
        [rand(2, 3), rand(1, 3, seed=1)],
        second_order=True,
    ),
    OpCase(
        "ConcatV2",
        lambda a, b, c: tf.concat([a, b, c], -1),
        lambda a, b, c: np.dstack([a, b, c]),
        [rand(2, 3, 1), rand(2, 3, 2, seed=1), rand(2, 3, 3, seed=2)],
        name="last_axis",
    ),
    OpCase(
        "ConcatV2",
        lambda a, b: tf.concat([a, b], 0),
        lambda a, b: np.hstack([a, b]),
        [rand(3), rand(0)],
        name="empty_part",
        wrt=[0],
    ),
    OpCase(
        "ConcatV2",
        lambda a, b: tf.concat(1, [a, b]),
        lambda a, b: np.hstack([a, b]),
        [rand(2, 1), rand(2, 2, seed=1)],
        name="tf0_order",
    ),
    OpCase(
        "ConcatV2",
        lambda a, b, ax: tf.concat([a, b], ax),
        lambda a, b, ax: np.hstack([a, b]),
        [rand(2, 1), rand(2, 2, seed=1), np.array(1, i32)],
        name="axis_tensor",
        grad=False,
    ),
    OpCase(
        "ConcatV2",
        lambda a, b: tf.concat([a, b], 0),
        lambda a, b: np.hstack([a, b]),
        [np.array([1, 2], i64), np.array([3], i64)],
        name="int64",
        grad=False,
    ),
    # -- Pack / Unpack -----------------------------------------------------------------------
    OpCase(
        "Pack",
        lambda a, b: tf.stack([a, b]),
        lambda a, b: np.array([a, b]),
        [rand(2, 3), rand(2, 3, seed=1)],
        second_order=True,
    ),
    OpCase(
        "Pack",
        lambda a, b: _sq(tf.stack([a, b], axis=-1)),
        lambda a, b: np.dstack([a, b]) ** 2,
        [rand(2, 3), rand(2, 3, seed=1)],
        name="last_axis",
        second_order=True,
    ),
    OpCase(
        "Pack",
        lambda a, b, c: tf.stack([a, b, c]),
        lambda a, b, c: np.array([a, b, c]),
        [rand(), rand(seed=1), rand(seed=2)],
        name="scalars",
    ),
    OpCase(
        "Pack",
        lambda a: tf.stack([a, 2.0 * a, [1.0, 2.0]], axis=1),
        lambda a: np.array([a, 2 * a, [1, 2]], np.float32).T,
        [rand(2)],
        name="mixed",
    ),
    OpCase(
        "Unpack",
        lambda x: tf.unstack(x),
        lambda x: [x[0], x[1]],
        [rand(2, 3)],
        grad=False,
        unknown_shapes=False,
    ),
    OpCase(
        "Unpack",
        lambda x: tf.unstack(x, num=3, axis=1),
        lambda x: list(x.T),
        [rand(2, 3)],
        name="axis1_list",
        grad=False,
    ),
    OpCase(
        "Unpack",
        lambda x: tf.unstack(x, axis=-1)[0] + 2.0 * tf.unstack(x, axis=-1)[2],
        lambda x: x[:, 0] + 2 * x[:, 2],
        [rand(2, 3)],
        name="grad_partial",
        unknown_shapes=False,
    ),
    OpCase(
        "Unpack",
        lambda x: tf.add_n([u * float(k + 1) for k, u in enumerate(tf.unstack(x, num=3))]),
        lambda x: x[0] + 2 * x[1] + 3 * x[2],
        [rand(3)],
        name="grad_all",
        second_order=True,
    ),
    OpCase("Unpack", lambda x: tf.unstack(x, num=1), lambda x: [x[0]], [rand(1, 2)], name="one"),
    # -- Split / SplitV ----------------------------------------------------------------------
    OpCase("Split", lambda x: tf.split(x, 2), lambda x: [x[:2], x[2:]], [rand(4, 3)], grad=False),
    OpCase(
        "Split",
        lambda x: tf.split(x, 3, axis=1)[2] * tf.split(x, 3, axis=1)[0],
        lambda x: x[:, 2:3] * x[:, 0:1],
        [rand(2, 3)],
        name="grad",
        second_order=True,
    ),
    OpCase(
        "Split",
        lambda x: tf.split(1, 2, x),
        lambda x: [x[:, :2], x[:, 2:]],
        [rand(2, 4)],
        name="tf0_order",
        grad=False,
    ),
    OpCase("Split", lambda x: tf.split(x, 1, axis=0), lambda x: [x], [rand(2, 2)], name="one"),
    OpCase(
        "SplitV",
        lambda x: tf.split(x, [1, -1], axis=1),
        lambda x: [x[:, :1], x[:, 1:]],
        [rand(2, 4)],
        grad=False,
    ),
    OpCase(
        "SplitV",
        lambda x: tf.concat(tf.split(x, [2, 0, 1], axis=0)[::-1], 0),
        lambda x: np.concatenate([x[2:], x[:2]]),
        [rand(3, 2)],
        name="grad",
    ),
    OpCase(
        "SplitV",
        lambda x, s: tf.split(x, s, axis=-1, num=3)[1],
        lambda x, s: x[..., 1:4],
        [rand(2, 5), _ints(1, 3, 1)],
        name="sizes_tensor",
    ),
    # -- Slice -------------------------------------------------------------------------------
    OpCase(
        "Slice",
        lambda x: tf.slice(x, [1, 0], [1, 2]),
        lambda x: x[1:2, 0:2],
        [rand(3, 4)],
        second_order=True,
    ),
    OpCase(
        "Slice",
        lambda x: tf.slice(x, [0, 1, 2], [-1, 2, -1]),
        lambda x: x[:, 1:3, 2:],
        [rand(2, 3, 4)],
        name="minus1",
    ),
    OpCase(
        "Slice",
        lambda x, b, s: _sq(tf.slice(x, b, s)),
        lambda x, b, s: x[1:3, 2:3] ** 2,
        [rand(3, 4), _ints(1, 2), _ints(2, 1)],
        name="tensors",
    ),
    OpCase("Slice", lambda x: tf.slice(x, [], []), lambda x: x, [rand()], name="scalar"),
    OpCase("Slice", lambda x: tf.slice(x, [2], [0]), lambda x: x[2:2], [rand(3)], name="empty"),
    # -- StridedSlice (through Tensor.__getitem__ and strided_slice) ---------------------------
    OpCase("StridedSlice", lambda x: x[1], lambda x: x[1], [rand(3, 4)], second_order=True),
    OpCase("StridedSlice", lambda x: x[:, 1:3], lambda x: x[:, 1:3], [rand(3, 4)], name="cols"),
    OpCase("StridedSlice", lambda x: x[::-1], lambda x: x[::-1], [rand(3, 4)], name="reverse"),
    OpCase(
        "StridedSlice", lambda x: x[..., 0], lambda x: x[..., 0], [rand(2, 3, 4)], name="ellipsis"
    ),
    OpCase(
        "StridedSlice",
        lambda x: x[None, :, 1],
        lambda x: x[None, :, 1],
        [rand(3, 4)],
        name="newaxis",
    ),
    OpCase(
        "StridedSlice",
        lambda x: _sq(x[-1, ::-2]),
        lambda x: x[-1, ::-2] ** 2,
        [rand(3, 5)],
        name="neg_step",
        second_order=True,
    ),
    OpCase("StridedSlice", lambda x: x[1, 2], lambda x: x[1, 2], [rand(3, 4)], name="scalar"),
    OpCase(
        "StridedSlice",
        lambda x: x[1:, tf.newaxis, ..., 5:0:-2],
        lambda x: x[1:, None, ..., 5:0:-2],
        [rand(3, 2, 7)],
        name="mixed",
    ),
    OpCase(
        "StridedSlice",
        lambda x: x[-100:100, 10:],
        lambda x: x[-100:100, 10:],
        [rand(3, 4)],
        name="clamped",
    ),
    OpCase("StridedSlice", lambda x: x[...], lambda x: x[...], [rand()], name="scalar_input"),
    OpCase(
        "StridedSlice",
        lambda x: x[tf.constant(1), tf.constant(-1)],
        lambda x: x[1, -1],
        [rand(3, 4)],
        name="tensor_index",
    ),
    OpCase(
        "StridedSlice",
        lambda x, i: x[i, 1:],
        lambda x, i: x[i, 1:],
        [rand(3, 4), np.array(2, i32)],
        name="fed_index",
    ),
    OpCase(
        "StridedSlice",
        lambda x: tf.strided_slice(x, [0, 1], [2, -1], [1, 2], begin_mask=1, end_mask=0),
        lambda x: x[:2, 1:-1:2],
        [rand(3, 6)],
        name="masks",
    ),
    OpCase(
        "StridedSlice",
        lambda x, b, e, s: tf.strided_slice(x, b, e, s, shrink_axis_mask=1, new_axis_mask=2),
        lambda x, b, e, s: x[2, None, 0:3:2],
        [rand(4, 3), _ints(2, 0, 0), _ints(3, 0, 3), _ints(1, 1, 2)],
        name="fed_spec",
    ),
    OpCase(
        "StridedSlice",
        lambda x: x[1:],
        lambda x: x[1:].copy(),
        [np.arange(5, dtype=i64)],
        name="int64",
        grad=False,
    ),
    OpCase("StridedSliceGrad", _strided_grad, _ref_strided_grad, [rand(2, 3)], second_order=True),
    # -- GatherV2 / GatherGrad / GatherNd / ScatterNd --------------------------------------------
    OpCase(
        "GatherV2",
        lambda p: tf.gather(p, [2, 0, 2]),
        lambda p: p[[2, 0, 2]],
        [rand(3, 4)],
        second_order=True,
    ),
    OpCase(
        "GatherV2",
        lambda p, i: _sq(tf.gather(p, i, axis=1)),
        lambda p, i: p[:, i] ** 2,
        [rand(2, 3, 2), np.array([[1, 1], [0, 2]], i64)],
        name="axis1_int64",
        second_order=True,
    ),
    OpCase(
        "GatherV2", lambda p: tf.gather(p, 1), lambda p: p[1], [rand(3, 2)], name="scalar_index"
    ),
    OpCase("GatherV2", lambda p: tf.gather(p, 1), lambda p: p[1], [rand(3)], name="scalar_out"),
    OpCase(
        "GatherV2",
        lambda p: tf.gather(p, [0, 3], axis=-1),
        lambda p: p[..., [0, 3]],
        [rand(2, 4)],
        name="neg_axis",
    ),
    OpCase(
        "GatherV2",
        lambda p, i: tf.gather(p, i),
        lambda p, i: p[i],
        [np.array([b"a", b"b", b"c"], object), _ints(2, 0)],
        name="string",
        grad=False,
    ),
    OpCase(
        "GatherGrad",
        lambda d, i: indexing_ops._gather_grad(d, i, [4, 2], 0),
        lambda d, i: _ref_gather_grad(d, i, 4),
        [rand(3, 2), _ints(1, 3, 1)],
        second_order=True,
        unknown_shapes=True,
    ),
    OpCase(
        "GatherNd",
        lambda p: tf.gather_nd(p, [[0, 1], [1, 2], [0, 1]]),
        lambda p: _ref_gather_nd(p, np.array([[0, 1], [1, 2], [0, 1]])),
        [rand(2, 3, 4)],
        second_order=True,
    ),
    OpCase(
        "GatherNd",
        lambda p, i: tf.gather_nd(p, i),
        _ref_gather_nd,
        [rand(2, 3), np.array([[[1, 2]], [[0, 0]]], i64)],
        name="full_depth",
    ),
    OpCase(
        "ScatterNd",
        lambda u: tf.scatter_nd([[1], [3], [1]], u, [5, 2]),
        lambda u: _ref_scatter_nd(np.array([[1], [3], [1]]), u, (5, 2)),
        [rand(3, 2)],
        second_order=True,
    ),
    OpCase(
        "ScatterNd",
        lambda i, u: tf.scatter_nd(i, u, [2, 3]),
        lambda i, u: _ref_scatter_nd(i, u, (2, 3)),
        [np.array([[0, 2], [1, 1], [0, 2]], i32), rand(3)],
        name="full_depth",
    ),
    # -- OneHot ------------------------------------------------------------------------------
    OpCase(
        "OneHot",
        lambda i: tf.one_hot(i, 4),
        lambda i: _ref_one_hot(i, 4),
        [_ints(0, 3, 1, -1, 4)],
        grad=False,
    ),
    OpCase(
        "OneHot",
        lambda i: tf.one_hot(i, 3, axis=0),
        lambda i: np.moveaxis(_ref_one_hot(i, 3), -1, 0),
        [np.array([[0, 2], [1, 1]], i64)],
        name="axis0",
        grad=False,
    ),
    OpCase(
        "OneHot",
        lambda i: tf.one_hot(i, 3, on_value=5, off_value=-1),
        lambda i: _ref_one_hot(i, 3, 5, -1, i32),
        [_ints(2, 0)],
        name="int_values",
        grad=False,
    ),
    OpCase(
        "OneHot",
        lambda i: tf.one_hot(i, 2, dtype=tf.float64),
        lambda i: _ref_one_hot(i, 2, dtype=np.float64),
        [np.array(1, i32)],
        name="scalar",
        grad=False,
    ),
    # -- Tile --------------------------------------------------------------------------------
    OpCase(
        "Tile",
        lambda x: tf.tile(x, [2, 1, 3]),
        lambda x: _ref_tile(x, [2, 1, 3]),
        [rand(2, 3, 1)],
        second_order=True,
    ),
    OpCase(
        "Tile",
        lambda x, m: _sq(tf.tile(x, m)),
        lambda x, m: _ref_tile(x, m) ** 2,
        [rand(2, 3), _ints(3, 2)],
        name="multiples_tensor",
    ),
    OpCase("Tile", lambda x: tf.tile(x, []), lambda x: x, [rand()], name="scalar"),
    OpCase(
        "Tile",
        lambda x: tf.tile(x, [0, 2]),
        lambda x: _ref_tile(x, [0, 2]),
        [rand(2, 3)],
        name="zero",
    ),
    # -- Pad / PadV2 / MirrorPad / MirrorPadGrad ---------------------------------------------
    OpCase(
        "Pad",
        lambda x: tf.pad(x, [[1, 0], [2, 3]]),
        lambda x: _ref_pad(x, [(1, 0), (2, 3)]),
        [rand(2, 3)],
        second_order=True,
    ),
    OpCase(
        "Pad",
        lambda x, p: _sq(tf.pad(x, p)),
        lambda x, p: _ref_pad(x, p.tolist()) ** 2,
        [rand(2, 3), _ints([0, 1], [1, 1])],
        name="paddings_tensor",
    ),
    OpCase(
        "Pad", lambda x: tf.pad(x, np.zeros((0, 2), np.int64)), lambda x: x, [rand()], name="scalar"
    ),
    OpCase(
        "PadV2",
        lambda x, c: tf.pad(x, [[1, 1]], constant_values=c),
        lambda x, c: _ref_pad(x, [(1, 1)], c),
        [rand(3), rand(seed=4)],
        second_order=True,
    ),
    OpCase(
        "PadV2",
        lambda x: tf.pad(x, [[0, 2], [1, 0]], constant_values=-1),
        lambda x: _ref_pad(x, [(0, 2), (1, 0)], -1),
        [np.arange(4, dtype=i32).reshape(2, 2)],
        name="int",
        grad=False,
    ),
    OpCase(
        "MirrorPad",
        lambda x: tf.pad(x, [[1, 1], [2, 2]], "REFLECT"),
        lambda x: _ref_mirror(x, [(1, 1), (2, 2)], False),
        [rand(2, 3)],
        second_order=True,
    ),
    OpCase(
        "MirrorPad",
        lambda x: _sq(tf.pad(x, [[2, 1], [0, 3]], "symmetric")),
        lambda x: _ref_mirror(x, [(2, 1), (0, 3)], True) ** 2,
        [rand(2, 3)],
        name="symmetric",
        second_order=True,
    ),
    OpCase(
        "MirrorPadGrad",
        lambda d: apply_op(
            slicing_ops.MirrorPadGrad, [d, tf.constant([[1, 2], [0, 1]])], {"mode": "REFLECT"}
        ),
        lambda d: _ref_mirror_grad(d, [(1, 2), (0, 1)], False),
        [rand(6, 3)],
        second_order=True,
    ),
    OpCase(
        "MirrorPadGrad",
        lambda d: apply_op(
            slicing_ops.MirrorPadGrad, [d, tf.constant([[2, 2]])], {"mode": "SYMMETRIC"}
        ),
        lambda d: _ref_mirror_grad(d, [(2, 2)], True),
        [rand(6)],
        name="symmetric",
    ),
    # -- ReverseV2 ---------------------------------------------------------------------------
    OpCase(
        "ReverseV2",
        lambda x: tf.reverse(x, [1]),
        lambda x: x[:, ::-1],
        [rand(2, 3)],
        second_order=True,
    ),
    OpCase(
        "ReverseV2",
        lambda x: _sq(tf.reverse(x, [0, -1])),
        lambda x: x[::-1, :, ::-1] ** 2,
        [rand(2, 3, 2)],
        name="two_axes",
        second_order=True,
    ),
    OpCase("ReverseV2", lambda x: tf.reverse(x, []), lambda x: x, [rand(2)], name="none"),
    # -- Select / Where ----------------------------------------------------------------------
    OpCase(
        "Select",
        lambda c, x, y: tf.where(c, x, y),
        np.where,
        [np.array([[True, False, True], [False, False, True]]), rand(2, 3), rand(2, 3, seed=1)],
        second_order=True,
    ),
    OpCase(
        "Select",
        lambda c, x, y: _sq(tf.where(c, x, y)),
        lambda c, x, y: np.where(c[:, None, None], x, y) ** 2,
        [np.array([True, False]), rand(2, 2, 3), rand(2, 2, 3, seed=1)],
        name="row_vector",
        second_order=True,
    ),
    OpCase(
        "Select",
        lambda c, x, y: tf.where(c, x, y),
        np.where,
        [np.array(False), rand(3), rand(3, seed=1)],
        name="scalar_cond",
    ),
    OpCase(
        "Select",
        lambda c, x, y: tf.where(c, x, y),
        np.where,
        [np.array(True), rand(), rand(seed=1)],
        name="scalar",
    ),
    OpCase(
        "Select",
        lambda c: tf.where(c, [1, 2], [10, 20]),
        lambda c: np.where(c, [1, 2], [10, 20]).astype(i32),
        [np.array([True, False])],
        name="python_values",
        grad=False,
    ),
    OpCase(
        "Where", tf.where, _ref_where_coords, [np.array([[True, False], [True, True]])], grad=False
    ),
    OpCase(
        "Where",
        tf.where,
        _ref_where_coords,
        [np.array([0.0, 2.0, 0.0, -1.0], np.float32)],
        name="numeric",
        grad=False,
    ),
    OpCase(
        "Where", tf.where, _ref_where_coords, [np.zeros((2, 0, 3), bool)], name="empty", grad=False
    ),
    OpCase("Where", tf.where, _ref_where_coords, [np.array(True)], name="scalar", grad=False),
    # -- Range / LinSpace --------------------------------------------------------------------
    OpCase(
        "Range",
        lambda: tf.range(3, 18, 3),
        lambda: np.array([3, 6, 9, 12, 15], i32),
        [],
        grad=False,
    ),
    OpCase(
        "Range", lambda: tf.range(5), lambda: np.arange(5, dtype=i32), [], name="limit", grad=False
    ),
    OpCase(
        "Range",
        lambda: tf.range(0.0, 1.0, 0.25),
        lambda: np.array([0, 0.25, 0.5, 0.75], np.float32),
        [],
        name="float",
        grad=False,
    ),
    OpCase(
        "Range",
        lambda: tf.range(1, 2.0, 0.5),
        lambda: np.array([1, 1.5], np.float32),
        [],
        name="mixed_promotes",
        grad=False,
    ),
    OpCase(
        "Range",
        lambda: tf.range(5, 1, -2),
        lambda: np.array([5, 3], i32),
        [],
        name="negative_delta",
        grad=False,
    ),
    OpCase("Range", lambda: tf.range(4, 4), lambda: np.zeros(0, i32), [], name="empty", grad=False),
    OpCase(
        "Range",
        lambda n: tf.range(n),
        lambda n: np.arange(n, dtype=i64),
        [np.array(4, i64)],
        name="tensor_limit",
        grad=False,
    ),
    OpCase(
        "Range",
        lambda: tf.range(3, dtype=tf.float64),
        lambda: np.arange(3.0),
        [],
        name="dtype",
        grad=False,
    ),
    OpCase(
        "LinSpace",
        lambda a, b: tf.lin_space(a, b, 5),
        lambda a, b: np.array([a + (b - a) * k / 4 for k in range(5)], a.dtype),
        [rand(), rand(seed=2)],
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "LinSpace",
        lambda a, b: tf.linspace(a, b, 1),
        lambda a, b: np.array([a]),
        [rand(), rand(seed=2)],
        name="one",
    ),
    OpCase(
        "LinSpace",
        lambda: tf.lin_space(10.0, 12.0, 3),
        lambda: np.array([10, 11, 12], np.float32),
        [],
        name="python",
        grad=False,
    ),
    # -- IdentityN ---------------------------------------------------------------------------
    OpCase(
        "IdentityN",
        lambda a, b: tf.identity_n([a, b]),
        lambda a, b: [a, b],
        [rand(2), np.array([1, 2], i32)],
        grad=False,
    ),
    OpCase(
        "IdentityN",
        lambda a, b: tf.add_n(tf.identity_n([a, b * 2.0])),
        lambda a, b: a + 2 * b,
        [rand(2, 2), rand(2, 2, seed=1)],
        name="grad",
    ),
    # -- composites over the primitives (rows under the op they end in) -----------------------
    OpCase(
        "GatherV2",
        lambda x, m: tf.boolean_mask(x, m),
        lambda x, m: x[m],
        [rand(3, 2), np.array([True, False, True])],
        name="boolean_mask",
        unknown_shapes=False,
    ),
    OpCase(
        "GatherV2",
        lambda x, m: tf.boolean_mask(x, m, axis=1),
        lambda x, m: x[:, m],
        [rand(2, 3, 2), np.array([False, True, True])],
        name="boolean_mask_axis1",
        unknown_shapes=False,
    ),
]
