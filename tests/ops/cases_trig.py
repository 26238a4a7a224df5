"""Op-table rows for the table-driven trigonometric / hyperbolic functions and predicates."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

X = rand(3, 4, low=-0.8, high=0.8)  # inside every domain below but acosh's
BIG = rand(3, 4, low=1.2, high=3.0)

CASES = [
    OpCase("Tan", tf.tan, np.tan, [X], second_order=True),
    OpCase("Asin", tf.asin, np.arcsin, [X], second_order=True),
    OpCase("Acos", tf.acos, np.arccos, [X], second_order=True),
    OpCase("Atan", tf.atan, np.arctan, [X], second_order=True),
    OpCase("Atan", tf.atan, np.arctan, [np.float32(0.4)], name="scalar"),
    OpCase("Sinh", tf.sinh, np.sinh, [X], second_order=True),
    OpCase("Cosh", tf.cosh, np.cosh, [X], second_order=True),
    OpCase("Asinh", tf.asinh, np.arcsinh, [X], second_order=True),
    OpCase("Acosh", tf.acosh, np.arccosh, [BIG], second_order=True),
    OpCase("Atanh", tf.atanh, np.arctanh, [X], second_order=True),
    OpCase(
        "IsNan",
        tf.is_nan,
        np.isnan,
        [np.array([1.0, np.nan, np.inf, -np.inf], np.float32)],
        grad=False,
    ),
    OpCase(
        "IsInf",
        tf.is_inf,
        np.isinf,
        [np.array([1.0, np.nan, np.inf, -np.inf], np.float32)],
        grad=False,
    ),
    OpCase(
        "IsFinite",
        tf.is_finite,
        np.isfinite,
        [np.array([1.0, np.nan, np.inf, -np.inf], np.float64)],
        grad=False,
    ),
]
