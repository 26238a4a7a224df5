"""Op-table rows for the math family (flowzero/ops/math_ops.py) beyond the core arithmetic.

References are scalar Python functions applied elementwise (`_py`), so they do not share code
with the NumPy kernels: Python's //, % and round() have exactly TF's floor / banker's rounding
semantics. Gradient rows keep inputs away from kinks (abs at 0, clip bounds, floor-mod jumps)
and inside the domain (sqrt, log, rsqrt of positive values).
"""

import math
import operator

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, away_from, rand

F = np.float32


def _py(fn):
    """Elementwise reference from a scalar Python function (broadcasts like NumPy)."""
    vec = np.vectorize(lambda *xs: fn(*(x.item() if hasattr(x, "item") else x for x in xs)))
    return lambda *arrays: vec(*arrays)


def ints(*shape, low=-9, high=10, seed=0, dtype=np.int32):
    return np.random.default_rng(seed + 100).integers(low, high, shape).astype(dtype)


def nonzero_ints(*shape, seed=1, dtype=np.int32):
    x = ints(*shape, low=-5, high=6, seed=seed, dtype=dtype)
    x[x == 0] = 3
    return x


def bools(*shape, seed=0):
    return np.random.default_rng(seed + 200).uniform(size=shape) < 0.5


SIGNED = away_from(rand(3, low=-2.0, high=2.0, seed=3), [0.0], margin=0.25)  # |y| >= 0.25
HALVES = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 2.51, 3.0, -0.0], F)
SMALL = np.array([[-1.0, 0.0, 1.0], [2.0, -2.0, 0.0]], F)  # ties for comparisons


def _trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _cmp(op):
    return _py(lambda a, b: bool(op(a, b)))


CASES = [
    # -- FloorDiv / FloorMod / TruncateDiv / TruncateMod ----------------------------------------
    OpCase(
        "FloorDiv",
        tf.floordiv,
        _py(operator.floordiv),
        [ints(3, 4), nonzero_ints(4)],
        name="int_broadcast",
        grad=False,
    ),
    OpCase(
        "FloorDiv",
        tf.floordiv,
        _py(operator.floordiv),
        [ints(2, 3, dtype=np.int64), nonzero_ints(2, 3, dtype=np.int64)],
        name="int64",
        grad=False,
    ),
    OpCase(
        "FloorDiv",
        tf.floordiv,
        _py(operator.floordiv),
        [rand(2, 3, low=-5, high=5), SIGNED],
        name="float_broadcast",
        grad=False,
    ),
    OpCase(
        "FloorDiv",
        tf.floordiv,
        _py(operator.floordiv),
        [np.int32(-7), np.int32(2)],
        name="scalar",
        grad=False,
    ),
    OpCase(
        "FloorMod",
        tf.floormod,
        _py(operator.mod),
        [ints(3, 4), nonzero_ints(4)],
        name="int_broadcast",
        grad=False,
    ),
    OpCase(
        "FloorMod",
        tf.mod,
        _py(operator.mod),
        [np.int32(-7), np.int32(3)],
        name="scalar",
        grad=False,
    ),
    OpCase(
        "FloorMod",
        tf.floormod,
        _py(operator.mod),
        [rand(2, 3, low=-3, high=3), SIGNED],
        name="float_broadcast",
    ),
    OpCase("FloorMod", tf.floormod, _py(operator.mod), [F(5.5), F(-2.0)], name="float_scalar"),
    OpCase(
        "TruncateDiv",
        tf.truncatediv,
        _py(_trunc_div),
        [ints(3, 4), nonzero_ints(4)],
        name="int_broadcast",
        grad=False,
    ),
    OpCase(
        "TruncateDiv",
        tf.truncatediv,
        _py(_trunc_div),
        [np.int64(-7), np.int64(2)],
        name="scalar",
        grad=False,
    ),
    OpCase(
        "TruncateMod",
        tf.truncatemod,
        _py(lambda a, b: a - _trunc_div(a, b) * b),
        [ints(3, 4), nonzero_ints(4)],
        name="int_broadcast",
        grad=False,
    ),
    OpCase(
        "TruncateMod",
        tf.truncatemod,
        _py(lambda a, b: a - _trunc_div(a, b) * b),
        [np.int32(-7), np.int32(3)],
        name="scalar",
        grad=False,
    ),
    # -- Pow -----------------------------------------------------------------------------------
    OpCase(
        "Pow",
        tf.pow,
        _py(operator.pow),
        [rand(2, 3, low=0.5, high=2.0), rand(3, low=-2.0, high=2.0)],
        name="broadcast",
        second_order=True,
        rtol=1e-5,
    ),
    OpCase(
        "Pow",
        tf.pow,
        _py(operator.pow),
        [rand(2, 3, low=-2.0, high=-0.5), np.array([2.0, 3.0, -1.0], F)],
        name="negative_base",
        wrt=[0],
        second_order=True,
        rtol=1e-5,
    ),
    OpCase(
        "Pow",
        tf.pow,
        _py(operator.pow),
        [ints(2, 3, low=-3, high=4), ints(3, low=0, high=4)],
        name="int",
        grad=False,
    ),
    OpCase("Pow", tf.pow, _py(operator.pow), [F(2.0), F(-1.5)], name="scalar"),
    OpCase("Pow", lambda x: x**2.0, lambda x: x * x, [rand(4)], name="operator"),
    # -- SquaredDifference, Maximum, Minimum ---------------------------------------------------
    OpCase(
        "SquaredDifference",
        tf.squared_difference,
        _py(lambda a, b: (a - b) * (a - b)),
        [rand(2, 3), rand(3, seed=5)],
        name="broadcast",
        second_order=True,
    ),
    OpCase(
        "SquaredDifference",
        tf.squared_difference,
        _py(lambda a, b: (a - b) ** 2),
        [ints(2, 3), ints(2, 3, seed=1)],
        name="int",
        grad=False,
    ),
    OpCase(
        "SquaredDifference",
        tf.squared_difference,
        _py(lambda a, b: (a - b) ** 2),
        [F(1.5), F(-0.25)],
        name="scalar",
    ),
    OpCase("Maximum", tf.maximum, _py(max), [rand(2, 3), rand(3, seed=7)], name="broadcast"),
    OpCase(
        "Maximum",
        tf.maximum,
        _py(max),
        [ints(4, 1), ints(1, 3, seed=2)],
        name="int_broadcast",
        grad=False,
    ),
    OpCase("Maximum", tf.maximum, _py(max), [F(0.5), F(-1.0)], name="scalar"),
    OpCase("Minimum", tf.minimum, _py(min), [rand(2, 3), rand(3, seed=7)], name="broadcast"),
    OpCase(
        "Minimum",
        tf.minimum,
        _py(min),
        [ints(4, 1), ints(1, 3, seed=2)],
        name="int_broadcast",
        grad=False,
    ),
    OpCase("Minimum", tf.minimum, _py(min), [F(0.5), F(-1.0)], name="scalar"),
    # -- elementwise functions -----------------------------------------------------------------
    OpCase("Abs", tf.abs, _py(abs), [away_from(rand(3, 4), [0.0])], name="float"),
    OpCase("Abs", tf.abs, _py(abs), [ints(3, 4)], name="int", grad=False),
    OpCase("Abs", tf.abs, _py(abs), [F(-2.5)], name="scalar"),
    OpCase("Sign", tf.sign, _py(lambda a: (a > 0) - (a < 0)), [SMALL], name="float", grad=False),
    OpCase("Sign", tf.sign, _py(lambda a: (a > 0) - (a < 0)), [ints(3, 4)], name="int", grad=False),
    OpCase("Sign", tf.sign, _py(lambda a: (a > 0) - (a < 0)), [F(-0.5)], name="scalar", grad=False),
    OpCase(
        "Square", tf.square, _py(lambda a: a * a), [rand(3, 4)], name="float", second_order=True
    ),
    OpCase("Square", tf.square, _py(lambda a: a * a), [ints(3, 4)], name="int", grad=False),
    OpCase("Square", tf.square, _py(lambda a: a * a), [F(-3.0)], name="scalar"),
    OpCase(
        "Sqrt",
        tf.sqrt,
        _py(math.sqrt),
        [rand(3, 4, low=0.5, high=4.0)],
        name="float",
        second_order=True,
    ),
    OpCase(
        "Sqrt",
        tf.sqrt,
        _py(math.sqrt),
        [rand(5, low=0.1, high=9.0, dtype=np.float64)],
        name="float64",
    ),
    OpCase("Sqrt", tf.sqrt, _py(math.sqrt), [F(2.0)], name="scalar"),
    OpCase(
        "Rsqrt",
        tf.rsqrt,
        _py(lambda a: 1 / math.sqrt(a)),
        [rand(3, 4, low=0.5, high=4.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Rsqrt", tf.rsqrt, _py(lambda a: 1 / math.sqrt(a)), [F(4.0)], name="scalar"),
    OpCase(
        "Reciprocal",
        tf.reciprocal,
        _py(lambda a: 1 / a),
        [away_from(rand(3, 4, low=-2.0, high=2.0), [0.0], margin=0.25)],
        name="float",
        second_order=True,
    ),
    OpCase("Reciprocal", tf.inv, _py(lambda a: 1 / a), [F(-4.0)], name="inv_scalar"),
    OpCase(
        "Exp",
        tf.exp,
        _py(math.exp),
        [rand(3, 4, low=-3.0, high=3.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Exp", tf.exp, _py(math.exp), [F(1.0)], name="scalar"),
    OpCase(
        "Expm1",
        tf.expm1,
        _py(math.expm1),
        [rand(3, 4, low=-2.0, high=2.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Expm1", tf.expm1, _py(math.expm1), [F(1e-5)], name="scalar", rtol=1e-5),
    OpCase(
        "Log",
        tf.log,
        _py(math.log),
        [rand(3, 4, low=0.1, high=5.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Log", tf.log, _py(math.log), [F(2.0)], name="scalar"),
    OpCase(
        "Log1p",
        tf.log1p,
        _py(math.log1p),
        [rand(3, 4, low=-0.5, high=3.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Log1p", tf.log1p, _py(math.log1p), [F(1e-6)], name="scalar"),
    OpCase(
        "Sin",
        tf.sin,
        _py(math.sin),
        [rand(3, 4, low=-3.0, high=3.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Sin", tf.sin, _py(math.sin), [F(0.5)], name="scalar"),
    OpCase(
        "Cos",
        tf.cos,
        _py(math.cos),
        [rand(3, 4, low=-3.0, high=3.0)],
        name="float",
        second_order=True,
    ),
    OpCase("Cos", tf.cos, _py(math.cos), [F(0.5)], name="scalar"),
    OpCase("Floor", tf.floor, _py(math.floor), [HALVES], name="float", grad=False),
    OpCase("Floor", tf.floor, _py(math.floor), [F(-1.5)], name="scalar", grad=False),
    OpCase("Ceil", tf.ceil, _py(math.ceil), [HALVES], name="float", grad=False),
    OpCase("Ceil", tf.ceil, _py(math.ceil), [F(-1.5)], name="scalar", grad=False),
    OpCase("Round", tf.round, _py(round), [HALVES], name="bankers", grad=False),
    OpCase("Round", tf.round, _py(round), [HALVES.astype(np.float64)], name="float64", grad=False),
    OpCase("Round", tf.round, _py(round), [ints(3, 4)], name="int", grad=False),
    OpCase("Round", tf.round, _py(round), [F(2.5)], name="scalar", grad=False),
    # -- comparisons ---------------------------------------------------------------------------
    *[
        row
        for op, fn, pyop in [
            ("Equal", tf.equal, operator.eq),
            ("NotEqual", tf.not_equal, operator.ne),
            ("Less", tf.less, operator.lt),
            ("LessEqual", tf.less_equal, operator.le),
            ("Greater", tf.greater, operator.gt),
            ("GreaterEqual", tf.greater_equal, operator.ge),
        ]
        for row in (
            OpCase(
                op,
                fn,
                _cmp(pyop),
                [SMALL, np.array([0.0, 0.0, 1.0], F)],
                name="float_broadcast",
                grad=False,
            ),
            OpCase(
                op,
                fn,
                _cmp(pyop),
                [ints(3, 1, low=0, high=3), ints(4, low=0, high=3)],
                name="int_broadcast",
                grad=False,
            ),
            OpCase(op, fn, _cmp(pyop), [F(1.0), F(1.0)], name="scalar", grad=False),
        )
    ],
    OpCase(
        "Equal",
        tf.equal,
        _cmp(operator.eq),
        [bools(3, 4), bools(4, seed=1)],
        name="bool",
        grad=False,
    ),
    OpCase(
        "NotEqual",
        tf.not_equal,
        _cmp(operator.ne),
        [bools(3, 4), bools(4, seed=1)],
        name="bool",
        grad=False,
    ),
    # -- logic ---------------------------------------------------------------------------------
    OpCase(
        "LogicalAnd",
        tf.logical_and,
        _py(lambda a, b: a and b),
        [bools(3, 4), bools(4, seed=1)],
        name="broadcast",
        grad=False,
    ),
    OpCase(
        "LogicalAnd",
        tf.logical_and,
        _py(lambda a, b: a and b),
        [np.bool_(True), np.bool_(False)],
        name="scalar",
        grad=False,
    ),
    OpCase(
        "LogicalOr",
        tf.logical_or,
        _py(lambda a, b: a or b),
        [bools(3, 4), bools(4, seed=1)],
        name="broadcast",
        grad=False,
    ),
    OpCase(
        "LogicalOr",
        tf.logical_or,
        _py(lambda a, b: a or b),
        [np.bool_(True), np.bool_(False)],
        name="scalar",
        grad=False,
    ),
    OpCase(
        "LogicalNot", tf.logical_not, _py(lambda a: not a), [bools(3, 4)], name="matrix", grad=False
    ),
    OpCase(
        "LogicalNot",
        tf.logical_not,
        _py(lambda a: not a),
        [np.bool_(True)],
        name="scalar",
        grad=False,
    ),
    # -- Cast ----------------------------------------------------------------------------------
    OpCase(
        "Cast",
        lambda x: tf.cast(x, tf.int32),
        _py(int),
        [rand(3, 4, low=-5.0, high=5.0)],
        name="float_to_int_truncates",
        grad=False,
    ),
    OpCase("Cast", tf.to_float, _py(float), [ints(3, 4)], name="int_to_float", grad=False),
    OpCase(
        "Cast",
        lambda x: tf.cast(x, tf.float32),
        _py(float),
        [bools(3, 4)],
        name="bool_to_float",
        grad=False,
    ),
    OpCase(
        "Cast", lambda x: tf.cast(x, tf.bool), _py(bool), [SMALL], name="float_to_bool", grad=False
    ),
    OpCase("Cast", tf.to_int64, _py(int), [F(-2.7)], name="scalar", grad=False),
    OpCase("Cast", tf.to_double, _py(float), [rand(3, 4)], name="float_to_double"),
    # The gradient check runs in float64: round-trip through float32. Tiny values keep float32
    # rounding (one ulp ~1e-10 here) far below the central-difference step.
    OpCase(
        "Cast",
        lambda x: tf.cast(tf.cast(x, tf.float32), tf.float64),
        _py(float),
        [rand(3, 4) * F(1e-3)],
        name="float64_float32_roundtrip",
        grad_rtol=1e-3,
    ),
    # -- ClipByValue ---------------------------------------------------------------------------
    OpCase(
        "ClipByValue",
        tf.clip_by_value,
        _py(lambda t, lo, hi: min(max(t, lo), hi)),
        [away_from(rand(3, 4), [-0.5, 0.5]), F(-0.5), F(0.5)],
        name="scalar_bounds",
    ),
    OpCase(
        "ClipByValue",
        tf.clip_by_value,
        _py(lambda t, lo, hi: min(max(t, lo), hi)),
        [
            away_from(rand(3, 4), [-0.5, -0.2, 0.2, 0.5]),
            np.array([-0.5, -0.2, -0.5, -0.2], F),
            np.array([0.5, 0.2, 0.2, 0.5], F),
        ],
        name="broadcast_bounds",
    ),
    OpCase(
        "ClipByValue",
        tf.clip_by_value,
        _py(lambda t, lo, hi: min(max(t, lo), hi)),
        [ints(3, 4), np.int32(-2), np.int32(3)],
        name="int",
        grad=False,
    ),
    OpCase(
        "ClipByValue",
        tf.clip_by_value,
        _py(lambda t, lo, hi: min(max(t, lo), hi)),
        [F(2.0), F(-1.0), F(1.0)],
        name="scalar",
    ),
]
