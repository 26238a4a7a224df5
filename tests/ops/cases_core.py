"""Op-table rows for the core ops written with the engine (Const, Identity, Add, ...)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

CASES = [
    OpCase(
        "Const",
        lambda: tf.constant([[1.5, 2.0]]),
        lambda: np.array([[1.5, 2.0]], np.float32),
        [],
        grad=False,
    ),
    OpCase("Identity", lambda x: tf.identity(x), lambda x: x, [rand(2, 3)], second_order=True),
    OpCase("StopGradient", lambda x: tf.stop_gradient(x), lambda x: x, [rand(2, 3)], grad=False),
    OpCase("Add", tf.add, np.add, [rand(2, 3), rand(3)], name="broadcast", second_order=True),
    OpCase("Add", tf.add, np.add, [rand(), rand()], name="scalar"),
    OpCase("Sub", tf.subtract, np.subtract, [rand(4, 1), rand(1, 3)], name="broadcast"),
    OpCase("Mul", tf.multiply, np.multiply, [rand(2, 3), rand(2, 3, seed=5)], second_order=True),
    OpCase("Mul", tf.multiply, np.multiply, [rand(2, 1, 3), rand(4, 1)], name="broadcast3"),
    OpCase(
        "RealDiv",
        tf.realdiv,
        np.true_divide,
        [rand(2, 3), rand(3, low=0.5, high=2.0)],
        second_order=True,
    ),
    OpCase("Neg", tf.negative, np.negative, [rand(3, 2)], second_order=True),
    OpCase(
        "AddN",
        lambda a, b, c: tf.add_n([a, b, c]),
        lambda a, b, c: a + b + c,
        [rand(2, 2), rand(2, 2, seed=1), rand(2, 2, seed=2)],
    ),
    OpCase("MatMul", tf.matmul, np.matmul, [rand(3, 4), rand(4, 2)]),
    OpCase(
        "MatMul",
        lambda a, b: tf.matmul(a, b, transpose_a=True),
        lambda a, b: a.T @ b,
        [rand(4, 3), rand(4, 2)],
        name="ta",
    ),
    OpCase(
        "MatMul",
        lambda a, b: tf.matmul(a, b, transpose_b=True),
        lambda a, b: a @ b.T,
        [rand(3, 4), rand(2, 4)],
        name="tb",
    ),
    OpCase(
        "MatMul",
        lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
        lambda a, b: a.T @ b.T,
        [rand(4, 3), rand(2, 4)],
        name="tab",
    ),
    OpCase("MatMul", tf.matmul, np.matmul, [rand(2, 3, 4), rand(2, 4, 5)], name="batch"),
    OpCase(
        "BroadcastTo",
        lambda x: tf.broadcast_to(x, [2, 3]),
        lambda x: np.broadcast_to(x, (2, 3)),
        [rand(3)],
    ),
    OpCase(
        "SumTo", lambda x: tf.sum_to(x, [1, 3]), lambda x: x.sum(0, keepdims=True), [rand(4, 3)]
    ),
    OpCase(
        "Shape",
        lambda x: tf.shape(x),
        lambda x: np.array(x.shape, np.int32),
        [rand(2, 5)],
        grad=False,
    ),
    OpCase("Fill", lambda v: tf.fill([2, 3], v), lambda v: np.full((2, 3), v), [rand()]),
]
