"""Op-table rows for tf.bitwise (integer ops: forward and unknown shapes; no gradients)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

A = np.array([[12, -7, 0], [255, 1, -1]], np.int32)
B = np.array([10, 3, 5], np.int32)
S = np.array([1, 2, 3], np.int32)
U = np.array([0, 1, 200, 255], np.uint8)

CASES = [
    OpCase("BitwiseAnd", tf.bitwise.bitwise_and, np.bitwise_and, [A, B], grad=False),
    OpCase("BitwiseOr", tf.bitwise.bitwise_or, np.bitwise_or, [A, B], grad=False),
    OpCase("BitwiseXor", tf.bitwise.bitwise_xor, np.bitwise_xor, [A, B], grad=False),
    OpCase("BitwiseXor", tf.bitwise.bitwise_xor, np.bitwise_xor, [U, U[::-1].copy()], grad=False),
    OpCase("LeftShift", tf.bitwise.left_shift, np.left_shift, [A, S], grad=False),
    OpCase("RightShift", tf.bitwise.right_shift, np.right_shift, [A, S], grad=False),
    OpCase("Invert", tf.bitwise.invert, np.invert, [A], grad=False),
    OpCase("Invert", tf.bitwise.invert, np.invert, [U], grad=False, name="uint8"),
]
