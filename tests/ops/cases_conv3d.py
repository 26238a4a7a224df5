"""Op-table rows for the 3-D convolution and pooling ops (tf.nn.conv3d, max_pool3d,
avg_pool3d): the references are the definitions, loops over output voxels."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _geom(size, k, s, padding):
    """(out, pad_before, pad_after) of one dimension, TF's rule."""
    if padding == "VALID":
        return (size - k) // s + 1, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def _windows(x, k, s, padding, fill=0.0):
    """Yields (out index, window array [n, kd, kh, kw, c]) over the padded input."""
    g = [_geom(x.shape[1 + i], k[i], s[i], padding) for i in range(3)]
    xp = np.pad(x, [(0, 0), *[(b, a) for _, b, a in g], (0, 0)], constant_values=fill)
    for i in range(g[0][0]):
        for j in range(g[1][0]):
            for m in range(g[2][0]):
                yield (
                    (i, j, m),
                    xp[
                        :,
                        i * s[0] : i * s[0] + k[0],
                        j * s[1] : j * s[1] + k[1],
                        m * s[2] : m * s[2] + k[2],
                    ],
                    [gi[0] for gi in g],
                )


def _conv_ref(x, w, s=(1, 1, 1), padding="SAME"):
    y = None
    for (i, j, m), win, outs in _windows(x, w.shape[:3], s, padding):
        if y is None:
            y = np.zeros((x.shape[0], *outs, w.shape[4]), x.dtype)
        y[:, i, j, m] = np.einsum("npqrc,pqrco->no", win, w)
    return y


def _pool_ref(x, k, s, padding, kind):
    y = None
    ones = np.ones(x.shape[:4] + (1,), x.dtype)
    counts = {idx: win.sum(axis=(1, 2, 3)) for idx, win, _ in _windows(ones, k, s, padding)}
    for idx, win, outs in _windows(x, k, s, padding, -np.inf if kind == "max" else 0.0):
        if y is None:
            y = np.zeros((x.shape[0], *outs, x.shape[4]), x.dtype)
        if kind == "max":
            y[(slice(None), *idx)] = win.max(axis=(1, 2, 3))
        else:
            y[(slice(None), *idx)] = win.sum(axis=(1, 2, 3)) / counts[idx]
    return y


X, W = rand(2, 4, 3, 5, 2), rand(2, 2, 3, 2, 3, seed=1)
CASES = [
    OpCase(
        "Conv3D",
        lambda x, w: tf.nn.conv3d(x, w, [1, 1, 1, 1, 1], "SAME"),
        _conv_ref,
        [X, W],
        "same",
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv3D",
        lambda x, w: tf.nn.conv3d(x, w, [1, 2, 1, 2, 1], "VALID"),
        lambda x, w: _conv_ref(x, w, (2, 1, 2), "VALID"),
        [X, W],
        "valid_stride",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv3D",
        lambda x, w: tf.nn.conv3d(x, w, [1, 1, 2, 1, 2], "SAME", data_format="NCDHW"),
        lambda x, w: _conv_ref(x.transpose(0, 2, 3, 4, 1), w, (2, 1, 2)).transpose(0, 4, 1, 2, 3),
        [rand(1, 2, 3, 4, 5, seed=2), W],
        "ncdhw",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "Conv3DBackpropInputV2",
        lambda v, w: tf.nn.conv3d_transpose(v, w, [2, 4, 3, 5, 2], [1, 1, 1, 1, 1], "VALID"),
        # conv3d_transpose(v, w) is the adjoint of conv3d(., w): <T v, u> = <v, conv3d(u, w)>
        None,
        [rand(2, 3, 2, 3, 3, seed=3), W],
        "transpose",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "MaxPool3D",
        lambda x: tf.nn.max_pool3d(x, [1, 2, 2, 3, 1], [1, 2, 1, 2, 1], "SAME"),
        lambda x: _pool_ref(x, (2, 2, 3), (2, 1, 2), "SAME", "max"),
        [X],
        "same",
        second_order=True,
    ),
    OpCase(
        "MaxPool3D",
        lambda x: tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID"),
        lambda x: _pool_ref(x, (2, 2, 2), (2, 2, 2), "VALID", "max"),
        [X],
        "valid",
    ),
    OpCase(
        "AvgPool3D",
        lambda x: tf.nn.avg_pool3d(x, [1, 2, 2, 3, 1], [1, 2, 1, 2, 1], "SAME"),
        lambda x: _pool_ref(x, (2, 2, 3), (2, 1, 2), "SAME", "avg"),
        [X],
        "same",
        second_order=True,
    ),
    OpCase(
        "AvgPool3D",
        lambda x: tf.nn.avg_pool3d(x, [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], "VALID"),
        lambda x: x,
        [X],
        "identity",
    ),
]


def _transpose_ref(v, w):
    # The adjoint, column by column: T v = sum_u <v, conv3d(e_u, w)> e_u.
    out = np.zeros((2, 4, 3, 5, 2), np.float64)
    flat = out.reshape(-1)
    for idx in range(flat.size):
        e = np.zeros(flat.size)
        e[idx] = 1
        flat[idx] = np.sum(_conv_ref(e.reshape(out.shape), w, padding="VALID") * v)
    return out.astype(v.dtype)


CASES[3].reference = _transpose_ref

EXEMPT = {
    "Conv3DBackpropFilterV2": "Conv3D's filter gradient: its rows' gradient and second-order "
    "checks, and tests/ops/test_conv_nd_tf.py",
    "MaxPool3DGrad": "MaxPool3D's gradient: its rows' gradient and second-order checks",
    "MaxPool3DGradGrad": "MaxPool3DGrad's gradient: MaxPool3D's second-order row",
    "AvgPool3DGrad": "AvgPool3D's gradient: its rows' gradient and second-order checks",
}
