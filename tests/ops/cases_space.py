"""Op-table rows for dynamic_partition/dynamic_stitch (flowzero/ops/partition_ops.py) and the
space/depth/patch ops (flowzero/ops/space_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

PARTS = np.array([[1, 0, 2], [0, 0, 1]], np.int32)


def _s2d(x, bs):
    b, h, w, c = x.shape
    out = np.zeros((b, h // bs, w // bs, bs * bs * c), x.dtype)
    for i in range(h // bs):
        for j in range(w // bs):
            for di in range(bs):
                for dj in range(bs):
                    out[:, i, j, (di * bs + dj) * c : (di * bs + dj + 1) * c] = x[
                        :, i * bs + di, j * bs + dj, :
                    ]
    return out


def _d2s(x, bs):
    b, h, w, c = x.shape
    oc = c // (bs * bs)
    out = np.zeros((b, h * bs, w * bs, oc), x.dtype)
    for i in range(h):
        for j in range(w):
            for di in range(bs):
                for dj in range(bs):
                    out[:, i * bs + di, j * bs + dj, :] = x[
                        :, i, j, (di * bs + dj) * oc : (di * bs + dj + 1) * oc
                    ]
    return out


def _patches(x, k, s, r, padding):
    b, h, w, c = x.shape
    ek = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if padding == "VALID":
        oh, ow = (h - ek[0]) // s[0] + 1, (w - ek[1]) // s[1] + 1
        top = left = 0
    else:
        oh, ow = -(-h // s[0]), -(-w // s[1])
        top = max((oh - 1) * s[0] + ek[0] - h, 0) // 2
        left = max((ow - 1) * s[1] + ek[1] - w, 0) // 2
    out = np.zeros((b, oh, ow, k[0] * k[1] * c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            for p in range(k[0]):
                for q in range(k[1]):
                    y, z = i * s[0] + p * r[0] - top, j * s[1] + q * r[1] - left
                    if 0 <= y < h and 0 <= z < w:
                        out[:, i, j, (p * k[1] + q) * c : (p * k[1] + q + 1) * c] = x[:, y, z, :]
    return out


def _patch_row(k, s, r, padding, shape, name, second=False):
    return OpCase(
        "ExtractImagePatches",
        lambda x: tf.extract_image_patches(x, [1, *k, 1], [1, *s, 1], [1, *r, 1], padding),
        lambda x: _patches(x, k, s, r, padding),
        [rand(*shape)],
        name=name,
        second_order=second,
    )


CASES = [
    OpCase(
        "DynamicPartition",
        lambda d: tf.dynamic_partition(d, PARTS, 3),
        lambda d: [d.reshape(6, 2)[PARTS.reshape(-1) == i] for i in range(3)],
        [rand(2, 3, 2)],
    ),
    OpCase(
        "DynamicPartition",
        lambda d: tf.concat(tf.dynamic_partition(d, PARTS, 3), 0),
        lambda d: np.concatenate([d.reshape(6, 2)[PARTS.reshape(-1) == i] for i in range(3)]),
        [rand(2, 3, 2)],
        name="concat",
        second_order=True,
    ),
    OpCase(
        "DynamicPartition",
        lambda d, p: tf.dynamic_partition(d, p, 2),
        lambda d, p: [d[p == i] for i in range(2)],
        [rand(5), np.array([1, 1, 1, 1, 1], np.int32)],
        name="one_empty",
        wrt=[0],
    ),
    OpCase(
        "DynamicStitch",
        lambda a, b: tf.dynamic_stitch([[0, 3], [[1], [2]]], [a, b]),
        lambda a, b: np.stack([a[0], b[0, 0], b[1, 0], a[1]]),
        [rand(2, 3), rand(2, 1, 3, seed=4)],
        second_order=True,
    ),
    OpCase(
        "DynamicStitch",
        lambda a, b: tf.dynamic_stitch([[0, 1], [1, 2]], [a, b]),
        lambda a, b: np.array([a[0], b[0], b[1]]),
        [rand(2), rand(2, seed=5)],
        name="repeat_last_wins",
        grad=False,
    ),
    OpCase(
        "SpaceToDepth",
        lambda x: tf.space_to_depth(x, 2),
        lambda x: _s2d(x, 2),
        [rand(2, 4, 6, 3)],
        second_order=True,
    ),
    OpCase(
        "SpaceToDepth",
        lambda x: tf.space_to_depth(x, 2, data_format="NCHW"),
        lambda x: _s2d(x.transpose(0, 2, 3, 1), 2).transpose(0, 3, 1, 2),
        [rand(1, 2, 4, 4)],
        name="nchw",
    ),
    OpCase(
        "DepthToSpace",
        lambda x: tf.depth_to_space(x, 2),
        lambda x: _d2s(x, 2),
        [rand(2, 2, 3, 8)],
        second_order=True,
    ),
    OpCase(
        "DepthToSpace",
        lambda x: tf.depth_to_space(x, 3),
        lambda x: _d2s(x, 3),
        [rand(1, 1, 2, 9).astype(np.int32)],
        name="int",
        grad=False,
    ),
    _patch_row((2, 2), (1, 1), (1, 1), "VALID", (2, 4, 5, 2), "valid", second=True),
    _patch_row((3, 2), (2, 3), (1, 1), "SAME", (1, 5, 7, 2), "same_strided"),
    _patch_row((2, 3), (1, 2), (2, 1), "SAME", (1, 6, 6, 1), "rates"),
    _patch_row((3, 3), (5, 5), (1, 1), "VALID", (1, 10, 10, 3), "doc_example"),
]

EXEMPT = {
    "ExtractImagePatchesGrad": "the gradient of ExtractImagePatches: its gradient rows check "
    "it, and its own gradient is checked by the second-order row",
}


# -- space_to_batch_nd / batch_to_space_nd (flowzero/ops/batch_space_ops.py) --------------------
def _s2b(x, block, pads):
    m = len(block)
    xp = np.pad(x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - m))
    outs = []
    # Batch entry (offset o, n) = xp[n, o0::b0, o1::b1, ...], offsets in row-major order.
    for o in np.ndindex(*block):
        for n in range(x.shape[0]):
            outs.append(xp[(n,) + tuple(slice(o[i], None, block[i]) for i in range(m))])
    return np.stack(outs)


def _b2s(y, block, crops):
    m, prod = len(block), int(np.prod(block))
    n = y.shape[0] // prod
    sp = [y.shape[1 + i] * block[i] for i in range(m)]
    out = np.zeros((n, *sp, *y.shape[1 + m :]), y.dtype)
    for k, o in enumerate(np.ndindex(*block)):
        for b in range(n):
            out[(b,) + tuple(slice(o[i], None, block[i]) for i in range(m))] = y[k * n + b]
    idx = tuple(slice(c[0], out.shape[1 + i] - c[1]) for i, c in enumerate(crops))
    return out[(slice(None),) + idx]


CASES += [
    OpCase(
        "SpaceToBatchND",
        lambda x: tf.space_to_batch_nd(x, [2, 3], [[1, 0], [0, 2]]),
        lambda x: _s2b(x, [2, 3], [[1, 0], [0, 2]]),
        [rand(2, 5, 4, 3)],
        name="2d_padded",
        second_order=True,
    ),
    OpCase(
        "SpaceToBatchND",
        lambda x: tf.space_to_batch_nd(x, [2], [[1, 1]]),
        lambda x: _s2b(x, [2], [[1, 1]]),
        [np.arange(12, dtype=np.int32).reshape(3, 4)],
        name="1d_int_no_rest",
        grad=False,
    ),
    OpCase(
        "SpaceToBatchND",
        lambda x: tf.space_to_batch(x, [[0, 0], [2, 0]], block_size=2),
        lambda x: _s2b(x, [2, 2], [[0, 0], [2, 0]]),
        [rand(1, 4, 2, 2)],
        name="v1_block_size",
    ),
    OpCase(
        "BatchToSpaceND",
        lambda y: tf.batch_to_space_nd(y, [2, 3], [[1, 0], [0, 2]]),
        lambda y: _b2s(y, [2, 3], [[1, 0], [0, 2]]),
        [rand(12, 3, 2, 3)],
        name="2d_cropped",
        second_order=True,
    ),
    OpCase(
        "BatchToSpaceND",
        lambda y: tf.batch_to_space(y, [[0, 1], [1, 0]], 2),
        lambda y: _b2s(y, [2, 2], [[0, 1], [1, 0]]),
        [rand(4, 2, 3, 1)],
        name="v1_block_size",
    ),
]
