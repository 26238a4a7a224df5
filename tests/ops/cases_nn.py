"""Op-table rows for the nn and loss ops (activations, softmax, bias_add, top-k, L2Loss, the fused
softmax cross entropies).

References are plain NumPy written straight from the definitions (the naive formulas: inputs
here are small, so they do not overflow); the kernels' stable forms are tested against them.
Gradient rows keep inputs away from kinks (relu at 0, relu6 at 0 and 6, ...) so central
differences are valid there. Label distributions for the dense cross entropy sum to 1 per row,
which TF's backprop (softmax - labels) assumes.
"""

import numpy as np

import flowzero.nn as nn
from flowzero.ops import activation_ops, loss_ops, nn_ops
from flowzero.testing.op_cases import OpCase, away_from, rand

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _distribution(*shape, seed=0):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, shape)
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


def _bias_grad(dy, axis):
    return dy.sum(axis=tuple(i for i in range(dy.ndim) if i != axis % dy.ndim))


def _top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


def _in_top_k(p, t, k):
    out = []
    for row, target in zip(p, t):
        if not 0 <= target < len(row) or not np.isfinite(row[target]):
            out.append(False)
        else:
            out.append(int(np.sum(row > row[target])) < k)
    return np.array(out)


def _sparse_xent(logits, labels):
    ls = np.log(_softmax(logits))
    return -np.array([ls[i, t] for i, t in enumerate(labels)])


def _sparse_backprop(logits, labels):
    return _softmax(logits) - np.eye(logits.shape[-1])[labels]


X = rand(3, 4, low=-3, high=3)
X_AWAY0 = away_from(X, [0.0])
X_RELU6 = away_from(rand(3, 4, low=-2, high=8), [0.0, 6.0])
LABELS = np.array([2, 0, 3], dtype=np.int32)
TIES = np.array([[1.0, 5.0, 3.0, 5.0], [2.0, 2.0, 2.0, 0.0]], dtype=np.float32)

CASES = [
    # -- rectifiers -------------------------------------------------------------------------
    OpCase("Relu", nn.relu, lambda x: np.maximum(x, 0), [X_AWAY0]),
    OpCase("Relu", nn.relu, lambda x: np.maximum(x, 0), [np.float32(-1.5)], name="scalar"),
    OpCase(
        "Relu",
        nn.relu,
        lambda x: np.maximum(x, 0),
        [np.array([[-3, 0, 4]], dtype=np.int32)],
        name="int32",
        grad=False,
    ),
    OpCase(
        "ReluGrad",
        activation_ops.relu_grad,
        lambda dy, y: dy * (y > 0),
        [rand(3, 4, seed=3), X_AWAY0],
        second_order=True,
    ),
    OpCase("Relu6", nn.relu6, lambda x: np.minimum(np.maximum(x, 0), 6), [X_RELU6]),
    OpCase("LeakyRelu", nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), [X_AWAY0]),
    OpCase(
        "LeakyRelu",
        lambda x: nn.leaky_relu(x, alpha=0.01),
        lambda x: np.where(x > 0, x, 0.01 * x),
        [X_AWAY0],
        name="alpha",
    ),
    OpCase(
        "Elu", nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1), [X_AWAY0], second_order=True
    ),
    OpCase(
        "Selu",
        nn.selu,
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
        [X_AWAY0],
        second_order=True,
    ),
    # -- smooth activations -----------------------------------------------------------------
    OpCase("Sigmoid", nn.sigmoid, _sigmoid, [X], second_order=True),
    OpCase("Sigmoid", nn.sigmoid, _sigmoid, [np.float32(0.3)], name="scalar"),
    OpCase("Tanh", nn.tanh, np.tanh, [X], second_order=True),
    # TF's fused gradient kernels, built directly (y in (0, 1) / (-1, 1), dy anything).
    OpCase(
        "SigmoidGrad",
        activation_ops.sigmoid_grad,
        lambda y, dy: dy * y * (1 - y),
        [rand(3, 4, low=0.05, high=0.95), rand(3, 4, seed=3)],
        second_order=True,
    ),
    OpCase(
        "TanhGrad",
        activation_ops.tanh_grad,
        lambda y, dy: dy * (1 - y * y),
        [rand(3, 4, low=-0.9, high=0.9), rand(3, 4, seed=3)],
        second_order=True,
    ),
    OpCase(
        "Softplus", nn.softplus, lambda x: np.log(1 + np.exp(x)), [X], second_order=True, rtol=1e-5
    ),
    OpCase("Softsign", nn.softsign, lambda x: x / (1 + np.abs(x)), [X_AWAY0], second_order=True),
    # -- softmax ----------------------------------------------------------------------------
    OpCase("Softmax", nn.softmax, _softmax, [X], second_order=True, rtol=1e-5),
    OpCase(
        "Softmax",
        lambda x: nn.softmax(x, axis=0),
        lambda x: _softmax(x, 0),
        [X],
        name="axis0",
        second_order=True,
        rtol=1e-5,
    ),
    OpCase(
        "Softmax",
        lambda x: nn.softmax(x, dim=1),
        lambda x: _softmax(x, 1),
        [rand(2, 3, 4)],
        name="dim1_3d",
        rtol=1e-5,
    ),
    OpCase("Softmax", nn.softmax, _softmax, [rand(5)], name="1d", rtol=1e-5),
    OpCase(
        "LogSoftmax",
        nn.log_softmax,
        lambda x: np.log(_softmax(x)),
        [X],
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "LogSoftmax",
        lambda x: nn.log_softmax(x, axis=0),
        lambda x: np.log(_softmax(x, 0)),
        [X],
        name="axis0",
        second_order=True,
        rtol=1e-5,
        atol=1e-6,
    ),
    # -- bias_add ---------------------------------------------------------------------------
    OpCase(
        "BiasAdd",
        nn.bias_add,
        lambda v, b: v + b,
        [rand(2, 3, 3, 4), rand(4, seed=9)],
        second_order=True,
    ),
    OpCase("BiasAdd", nn.bias_add, lambda v, b: v + b, [rand(5, 3), rand(3, seed=9)], name="2d"),
    OpCase(
        "BiasAdd",
        lambda v, b: nn.bias_add(v, b, data_format="NCHW"),
        lambda v, b: v + b[:, None, None],
        [rand(2, 4, 3, 3), rand(4, seed=9)],
        name="nchw",
    ),
    OpCase(
        "BiasAddGrad",
        nn_ops.bias_add_grad,
        lambda dy: _bias_grad(dy, -1),
        [rand(2, 3, 3, 4)],
        second_order=True,
    ),
    OpCase(
        "BiasAddGrad",
        lambda dy: nn_ops.bias_add_grad(dy, data_format="NCHW"),
        lambda dy: _bias_grad(dy, 1),
        [rand(2, 4, 3, 3)],
        name="nchw",
    ),
    # -- top-k ------------------------------------------------------------------------------
    OpCase(
        "TopKV2",
        lambda x: nn.top_k(x, k=2),
        lambda x: _top_k(x, 2),
        [TIES],
        name="ties",
        grad=False,
    ),
    OpCase("TopKV2", lambda x: nn.top_k(x, k=3), lambda x: _top_k(x, 3), [X]),
    OpCase("TopKV2", lambda x: nn.top_k(x), lambda x: _top_k(x, 1), [rand(6)], name="1d_k1"),
    OpCase(
        "InTopK",
        lambda p, t: nn.in_top_k(p, t, 2),
        lambda p, t: _in_top_k(p, t, 2),
        [
            np.array(
                [[1, 5, 3, 5], [2, 2, 2, 0], [0, 1, 2, 3], [1, np.inf, 0, 0]], dtype=np.float32
            ),
            np.array([2, 1, 0, 1], dtype=np.int32),
        ],
        grad=False,
    ),
    OpCase(
        "InTopK",
        lambda p, t: nn.in_top_k(p, t, 1),
        lambda p, t: _in_top_k(p, t, 1),
        [X, np.array([0, 3, 7], dtype=np.int64)],
        name="k1_out_of_range",
        grad=False,
    ),
    # -- losses -----------------------------------------------------------------------------
    OpCase("L2Loss", nn.l2_loss, lambda x: np.sum(x**2) / 2, [X], second_order=True, rtol=1e-5),
    OpCase(
        "SoftmaxCrossEntropyWithLogits",
        lambda logits, labels: loss_ops.raw_softmax_cross_entropy_with_logits(logits, labels),
        lambda logits, labels: (
            -np.sum(labels * np.log(_softmax(logits)), -1),
            _softmax(logits) - labels,
        ),
        [X, _distribution(3, 4)],
        name="raw",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "SoftmaxCrossEntropyWithLogits",
        lambda logits, labels: nn.softmax_cross_entropy_with_logits_v2(
            labels=labels, logits=logits
        ),
        lambda logits, labels: -np.sum(labels * np.log(_softmax(logits)), -1),
        [X, _distribution(3, 4)],
        name="v2",
        second_order=True,
        rtol=1e-5,
    ),
    OpCase(
        "SoftmaxCrossEntropyWithLogits",
        lambda logits, labels: nn.softmax_cross_entropy_with_logits_v2(
            labels=labels, logits=logits, dim=0
        ),
        lambda logits, labels: -np.sum(labels * np.log(_softmax(logits, 0)), 0),
        [X, _distribution(4, 3).T.copy()],
        name="dim0",
        second_order=True,
        rtol=1e-5,
    ),
    OpCase(
        "SoftmaxCrossEntropyWithLogits",
        lambda logits, labels: nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
        lambda logits, labels: -np.sum(labels * np.log(_softmax(logits)), -1),
        [rand(2, 3, 5), _distribution(2, 3, 5)],
        name="v1_3d",
        wrt=[0],
        rtol=1e-5,
    ),
    OpCase(
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda logits, labels: loss_ops.raw_sparse_softmax_cross_entropy_with_logits(
            logits, labels
        ),
        lambda logits, labels: (_sparse_xent(logits, labels), _sparse_backprop(logits, labels)),
        [X, LABELS],
        name="raw",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase(
        "SparseSoftmaxCrossEntropyWithLogits",
        lambda logits, labels: nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits
        ),
        _sparse_xent,
        [X, LABELS.astype(np.int64)],
        name="int64",
        second_order=True,
        rtol=1e-5,
    ),
]
