"""Op-table rows for local response normalization (tf.nn.lrn)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _ref_lrn(x, r=5, bias=1.0, alpha=1.0, beta=0.5):
    depth = x.shape[-1]
    s = np.empty_like(x)
    for d in range(depth):
        lo, hi = max(d - r, 0), min(d + r + 1, depth)
        s[..., d] = np.sum(x[..., lo:hi] ** 2, axis=-1)
    return x / (bias + alpha * s) ** beta


CASES = [
    OpCase("LRN", lambda x: tf.nn.lrn(x), _ref_lrn, [rand(2, 3, 3, 4)], "defaults"),
    OpCase(
        "LRN",
        lambda x: tf.nn.lrn(x, 2, bias=2.0, alpha=0.3, beta=0.75),
        lambda x: _ref_lrn(x, 2, 2.0, 0.3, 0.75),
        [rand(2, 2, 3, 7, seed=1)],
        "cifar10_like",
    ),
    OpCase(
        "LRN",
        lambda x: tf.nn.local_response_normalization(x, 0, alpha=0.5),
        lambda x: _ref_lrn(x, 0, 1.0, 0.5, 0.5),
        [rand(1, 2, 2, 3, seed=2)],
        "radius_0",
    ),
]

EXEMPT = {
    "LRNGrad": "LRN's gradient op: every LRN row's gradient check runs it (no gradient, as TF)"
}
