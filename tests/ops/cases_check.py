"""Op-table rows for CheckNumerics (the assert_* functions are composites: tests/ops/
test_check_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

CASES = [
    OpCase(
        "CheckNumerics",
        lambda x: tf.check_numerics(x, "x"),
        lambda x: x,
        [rand(3, 4)],
        name="finite",
        second_order=True,
    ),
    OpCase(
        "CheckNumerics",
        lambda x: tf.check_numerics(x, "x") * 2.0,
        lambda x: x * 2.0,
        [np.float64(1.5)],
        name="scalar",
    ),
]
