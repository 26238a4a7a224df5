"""Math ops beyond the op table: error paths, Python operators, TF dtype rules, gradient
conventions (ties, masks), composites (div, logical_xor, saturate_cast, scalar_mul, tensordot)
and a broadcasting property test against NumPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import flowzero as tf
from flowzero.testing import gradient_check
from flowzero.testing.op_cases import rand


def run(*fetches, feed=None):
    with tf.Session() as sess:
        out = sess.run(list(fetches), feed)
    return out[0] if len(out) == 1 else out


# -- build-time errors -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn, op",
    [
        (tf.floordiv, "FloorDiv"),
        (tf.floormod, "FloorMod"),
        (tf.pow, "Pow"),
        (tf.maximum, "Maximum"),
        (tf.minimum, "Minimum"),
        (tf.squared_difference, "SquaredDifference"),
        (tf.equal, "Equal"),
        (tf.less, "Less"),
        (tf.greater_equal, "GreaterEqual"),
    ],
)
def test_dtype_mismatch_is_a_type_error(fn, op) -> None:
    x = tf.placeholder(tf.float32, [2])
    y = tf.placeholder(tf.int32, [2])
    with pytest.raises(
        TypeError, match=f"{op} '.*': x and y must have the same dtype; got x: float32, y: int32"
    ):
        fn(x, y)
    with pytest.raises(tf.errors.InvalidArgumentError, match=f"{op}.*tf.cast"):
        fn(x, y)


@pytest.mark.parametrize(
    "fn, op",
    [
        (tf.floordiv, "FloorDiv"),
        (tf.floormod, "FloorMod"),
        (tf.pow, "Pow"),
        (tf.maximum, "Maximum"),
        (tf.squared_difference, "SquaredDifference"),
        (tf.not_equal, "NotEqual"),
        (tf.less_equal, "LessEqual"),
        (tf.greater, "Greater"),
    ],
)
def test_non_broadcastable_shapes_fail_at_build_time(fn, op) -> None:
    x = tf.placeholder(tf.float32, [2, 3])
    y = tf.placeholder(tf.float32, [4])
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=rf"{op} '.*': shapes must be broadcast-compatible; "
        r"got x: \(2, 3\), y: \(4,\)",
    ):
        fn(x, y)


def test_logical_ops_need_bools() -> None:
    x = tf.placeholder(tf.float32, [2])
    with pytest.raises(TypeError, match="LogicalAnd.*bool dtype; got float32"):
        tf.logical_and(x, x)
    with pytest.raises(TypeError, match="LogicalNot.*bool dtype; got float32"):
        tf.logical_not(x)
    with pytest.raises(TypeError, match="LogicalOr.*bool"):
        _ = x | x


@pytest.mark.parametrize(
    "fn, op",
    [
        (tf.sqrt, "Sqrt"),
        (tf.log, "Log"),
        (tf.exp, "Exp"),
        (tf.floor, "Floor"),
        (tf.reciprocal, "Reciprocal"),
        (tf.sin, "Sin"),
    ],
)
def test_float_only_ops_reject_ints(fn, op) -> None:
    with pytest.raises(TypeError, match=f"{op} '.*': x must have a floating dtype; got int32"):
        fn(tf.constant([1, 2]))


def test_ordering_comparisons_reject_bools_and_strings() -> None:
    with pytest.raises(TypeError, match="Less.*got bool"):
        tf.less(tf.constant([True]), tf.constant([False]))
    with pytest.raises(TypeError, match="Greater.*got string"):
        tf.greater(tf.constant(["a"]), tf.constant(["b"]))


def test_clip_by_value_errors() -> None:
    t = tf.placeholder(tf.float32, [3])
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"ClipByValue.*broadcast to t's shape; got t: \(3,\), "
        r"clip_value_min: \(2, 3\)",
    ):
        tf.clip_by_value(t, tf.zeros([2, 3]), 1.0)
    with pytest.raises(
        TypeError,
        match="ClipByValue.*t and clip_value_max must have the same "
        "dtype; got t: float32, clip_value_max: int32",
    ):
        tf.clip_by_value(t, 0.0, tf.constant(1))


def test_cast_between_string_and_number_fails() -> None:
    with pytest.raises(TypeError, match="Cast.*string.*float32"):
        tf.cast(tf.constant(["1"]), tf.float32)


def test_python_scalar_must_fit_the_tensor_dtype() -> None:
    with pytest.raises(TypeError, match="non-integral"):
        _ = tf.constant([1, 2]) < 2.5


def test_scalar_mul_needs_a_scalar() -> None:
    x = tf.constant([1.0, 2.0])
    np.testing.assert_allclose(run(tf.scalar_mul(3, x)), [3.0, 6.0])
    with pytest.raises(ValueError, match="only scalar multiply works; got scalar of shape"):
        tf.scalar_mul([1.0, 2.0], x)


# -- run-time errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn, op, want",
    [
        (tf.floordiv, "FloorDiv", [2, -3]),
        (tf.floormod, "FloorMod", [0, -1]),
        (tf.truncatediv, "TruncateDiv", [2, -2]),
        (tf.truncatemod, "TruncateMod", [0, 1]),
    ],
)
def test_integer_division_by_zero(fn, op, want) -> None:
    y = tf.placeholder(tf.int32, [2])
    z = fn(tf.constant([4, 5]), y)
    np.testing.assert_array_equal(run(z, feed={y: [2, -2]}), want)
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=f"{op} '.*': integer division by zero"
    ):
        run(z, feed={y: [1, 0]})


def test_float_division_by_zero_is_inf_or_nan_silently() -> None:
    x = tf.constant([1.0, -1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d, m, lg, sq = run(tf.floordiv(x, 0.0), tf.mod(x, 0.0), tf.log(x), tf.sqrt(-x))
    assert np.isinf(d[0]) and np.isnan(m).all()
    assert lg[0] == 0.0 and np.isnan(lg[1]) and lg[2] == -np.inf
    assert np.isnan(sq[0])


def test_integer_to_negative_power_fails() -> None:
    with pytest.raises(tf.errors.InvalidArgumentError, match="Pow.*negative integer powers"):
        run(tf.pow(tf.constant([2, 3]), tf.constant([1, -1])))


# -- Python operators --------------------------------------------------------------------------
def test_operators_on_tensors() -> None:
    x = tf.constant([7.0, -7.0])
    n = tf.constant([7, -7])
    a = tf.constant([True, True, False, False])
    b = tf.constant([True, False, True, False])
    got = run(
        x // 2,
        20 // n,
        n % 3,
        10 % n,
        x**2,
        2**x,
        abs(x),
        -x,
        x / 2,
        1 / x,
        x < 0,
        x <= -7,
        x > 0,
        x >= 7,
        a & b,
        a | b,
        a ^ b,
        ~a,
        True & b,
        False | b,
        True ^ b,
    )
    want = [
        [3, -4],
        [2, -3],
        [1, 2],
        [3, -4],
        [49, 49],
        [128, 2**-7],
        [7, 7],
        [-7, 7],
        [3.5, -3.5],
        [1 / 7, -1 / 7],
        [False, True],
        [False, True],
        [True, False],
        [True, False],
        [1, 0, 0, 0],
        [1, 1, 1, 0],
        [0, 1, 1, 0],
        [0, 0, 1, 1],
        [1, 0, 1, 0],
        [1, 0, 1, 0],
        [0, 1, 0, 1],
    ]
    for g, w in zip(got, want):
        np.testing.assert_allclose(
            np.asarray(g, dtype=float), np.asarray(w, dtype=float), rtol=1e-6
        )
    for g in got[10:]:
        assert g.dtype == np.bool_


def test_equality_operators_stay_identity_based() -> None:
    x = tf.constant(1.0)
    y = tf.constant(1.0)
    assert (x == x) is True and (x == y) is False and (x != y) is True
    assert {x: 1, y: 2}[y] == 2
    assert run(tf.equal(x, y)) is np.True_ or bool(run(tf.equal(x, y)))


def test_operators_on_variables() -> None:
    v = tf.Variable(3.0)
    k = tf.Variable(7)
    b = tf.Variable([True, False])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(
            [
                v + 1,
                2**v,
                v**2,
                v // 2,
                -v,
                abs(-v),
                v < 4.0,
                v % 2,
                k // 2,
                k % -2,
                b & [True, True],
                b | [False, False],
                ~b,
            ]
        )
    assert got[:6] == [4.0, 8.0, 9.0, 1.0, -3.0, 3.0]
    assert bool(got[6]) and got[7] == 1.0 and got[8] == 3 and got[9] == -1
    np.testing.assert_array_equal(got[10], [True, False])
    np.testing.assert_array_equal(got[11], [True, False])
    np.testing.assert_array_equal(got[12], [False, True])


def test_numpy_array_on_the_left_defers_to_tensor() -> None:
    x = tf.constant([1.0, 2.0])
    z = np.array([1.5, 2.5]) + x  # float64 array, float32 tensor
    assert z.dtype == tf.float32
    w = np.array([0.5, 4.0]) ** x
    np.testing.assert_allclose(run(z, w), [[2.5, 4.5], [0.5, 16.0]])


# -- TF dtype rules ----------------------------------------------------------------------------
def test_python_scalars_take_the_tensor_dtype() -> None:
    assert (tf.constant(1) + 2).dtype == tf.int32
    assert (tf.constant(2.0) * 2.5).dtype == tf.float32
    assert (2.5 * tf.constant(2.0)).dtype == tf.float32
    assert (tf.constant([1.0], tf.float64) ** 2).dtype == tf.float64
    assert (np.array([1.5]) + tf.constant([1.0])).dtype == tf.float32
    assert (tf.constant([1.0]) - np.float64(1.5)).dtype == tf.float32
    assert (tf.constant([1, 2]) < 2).dtype == tf.bool
    v = run(tf.constant(1) + 2, tf.constant(2.0) * 2.5)
    assert v[0].dtype == np.int32 and v[0] == 3
    assert v[1].dtype == np.float32 and v[1] == 5.0


def test_truediv_of_integers_is_float_as_tf() -> None:
    z32 = tf.constant(7) / 2
    z16 = tf.constant(7, tf.int16) / tf.constant(2, tf.int16)
    z64 = tf.truediv(tf.constant([7], tf.int64), 2)
    assert z32.dtype == tf.float64 and z16.dtype == tf.float32 and z64.dtype == tf.float64
    a, b, c = run(z32, z16, z64)
    assert a == 3.5 and a.dtype == np.float64 and b == 3.5 and c[0] == 3.5


def test_div_is_python2_division() -> None:
    i = tf.div(tf.constant([-7, 7]), 2)
    f = tf.div(tf.constant([-7.0, 7.0]), 2)
    assert i.dtype == tf.int32 and f.dtype == tf.float32
    gi, gf = run(i, f)
    np.testing.assert_array_equal(gi, [-4, 3])
    np.testing.assert_allclose(gf, [-3.5, 3.5])
    assert tf.divide is tf.truediv and tf.sub is tf.subtract and tf.mul is tf.multiply
    assert tf.neg is tf.negative and tf.inv is tf.reciprocal and tf.mod is tf.floormod


def test_cast_helpers_and_identity_cast() -> None:
    x = tf.constant([1.7, -1.7])
    assert tf.cast(x, tf.float32) is x
    assert tf.to_float(tf.constant([1])).op.name == "ToFloat"
    assert tf.to_int32(x).dtype == tf.int32 and tf.to_int64(x).dtype == tf.int64
    assert tf.to_double(x).dtype == tf.float64 and tf.cast(x, "float16").dtype == tf.float16
    i, d = run(tf.to_int32(x), tf.cast(tf.constant([0.0, 2.0]), tf.bool))
    np.testing.assert_array_equal(i, [1, -1])
    np.testing.assert_array_equal(d, [False, True])
    assert tf.cast(3.7, tf.int32).dtype == tf.int32 and run(tf.cast(3.7, tf.int32)) == 3


def test_saturate_cast_clamps() -> None:
    u8 = tf.saturate_cast(tf.constant([300.0, -5.0, 7.9]), tf.uint8)
    i32 = tf.saturate_cast(tf.constant([3e10, -3e10]), tf.int32)
    a, b = run(u8, i32)
    np.testing.assert_array_equal(a, [255, 0, 7])
    assert b[0] > 2**30 and b[1] == np.iinfo(np.int32).min


def test_logical_xor_and_equal_on_strings_and_bools() -> None:
    x, s = run(
        tf.logical_xor([True, True, False, False], [True, False, True, False]),
        tf.equal(tf.constant(["a", "b"]), "a"),
    )
    np.testing.assert_array_equal(x, [False, True, True, False])
    np.testing.assert_array_equal(s, [True, False])


# -- gradient conventions ----------------------------------------------------------------------
def test_maximum_and_minimum_ties_go_to_x() -> None:
    x = tf.constant([1.0, 2.0, 3.0])
    y = tf.constant([1.0, 3.0, 2.0])
    gx, gy = tf.gradients(tf.maximum(x, y), [x, y])
    hx, hy = tf.gradients(tf.minimum(x, y), [x, y])
    got = run(gx, gy, hx, hy)
    np.testing.assert_array_equal(got[0], [1, 0, 1])
    np.testing.assert_array_equal(got[1], [0, 1, 0])
    np.testing.assert_array_equal(got[2], [1, 1, 0])
    np.testing.assert_array_equal(got[3], [0, 0, 1])


def test_pow_exponent_gradient_is_zero_where_base_is_not_positive() -> None:
    x = tf.constant([0.0, -2.0, 3.0, 0.0])
    y = tf.constant([2.0, 2.0, 2.0, 0.5])
    gx, gy = run(*tf.gradients(tf.pow(x, y), [x, y]))
    np.testing.assert_allclose(gy, [0.0, 0.0, 9.0 * np.log(3.0), 0.0], rtol=1e-6)
    np.testing.assert_allclose(gx[:3], [0.0, -4.0, 6.0], rtol=1e-6)
    assert np.isinf(gx[3])  # d/dx sqrt(x) at 0, as TF


def test_clip_by_value_gradient_masks() -> None:
    t = tf.constant([-2.0, 0.0, 0.5, 3.0])
    lo, hi = tf.constant(-1.0), tf.constant(1.0)
    gt, glo, ghi = run(*tf.gradients(tf.clip_by_value(t, lo, hi), [t, lo, hi]))
    np.testing.assert_array_equal(gt, [0, 1, 1, 0])
    assert glo == 1.0 and ghi == 1.0


def test_gradient_stops_at_integer_casts_and_piecewise_constant_ops() -> None:
    x = tf.constant([1.5, -2.5])
    through_int = tf.cast(tf.cast(x, tf.int32), tf.float32)
    assert tf.gradients(through_int, [x]) == [None]
    assert tf.gradients(tf.floor(x) + tf.round(x) + tf.sign(x) + tf.ceil(x), [x]) == [None]
    assert tf.gradients(tf.cast(x > 0.0, tf.float32), [x]) == [None]
    (g,) = tf.gradients(tf.floor(x) + x, [x])
    np.testing.assert_array_equal(run(g), [1.0, 1.0])
    (g64,) = tf.gradients(tf.cast(x, tf.float64), [x])
    assert g64.dtype == tf.float32


def test_abs_gradient_is_sign() -> None:
    x = tf.constant([-2.0, 3.0])
    np.testing.assert_array_equal(run(tf.gradients(tf.abs(x), [x])[0]), [-1.0, 1.0])


def test_square_gradient_in_float32_stays_float32() -> None:
    x = tf.constant([1.0, 2.0])
    for y in (tf.square(x), tf.sqrt(x), tf.pow(x, 3.0), tf.rsqrt(x), tf.log1p(x)):
        (g,) = tf.gradients(y, [x])
        assert g.dtype == tf.float32 and run(g).dtype == np.float32


# -- tensordot (needs array_ops.transpose) -----------------------------------------------------
needs_transpose = pytest.mark.skipif(
    not hasattr(tf, "transpose"), reason="array_ops.transpose not available yet"
)


@needs_transpose
@pytest.mark.parametrize(
    "sa, sb, axes",
    [
        ((3, 4), (4, 5), 1),
        ((2, 3, 4), (4, 5), 1),
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3, 4), (4, 3), [[1, 2], [1, 0]]),
        ((3, 4), (5, 4), [[1], [1]]),
        ((3,), (3,), 1),
        ((2, 3), (4,), 0),
        ((2, 3, 4), (5, 2), [[0], [1]]),
    ],
)
def test_tensordot_matches_numpy(sa, sb, axes) -> None:
    a, b = rand(*sa), rand(*sb, seed=3)
    want = np.tensordot(a.astype(np.float64), b.astype(np.float64), axes)
    z = tf.tensordot(tf.constant(a), tf.constant(b), axes)
    assert z.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(run(z), want, rtol=1e-5, atol=1e-6)
    gradient_check.assert_gradients_close(lambda x, y: tf.tensordot(x, y, axes), [a, b])


@needs_transpose
def test_tensordot_with_unknown_batch_dim() -> None:
    x = tf.placeholder(tf.float32, [None, 3, 4])
    w = tf.constant(rand(4, 5))
    z = tf.tensordot(x, w, axes=1)
    assert z.shape.as_list() == [None, 3, 5]
    xv = rand(2, 3, 4)
    np.testing.assert_allclose(
        run(z, feed={x: xv}), np.tensordot(xv, rand(4, 5), 1), rtol=1e-5, atol=1e-6
    )


def test_tensordot_bad_axes() -> None:
    a, b = tf.constant(rand(2, 3)), tf.constant(rand(4, 5))
    with pytest.raises(ValueError, match="tensordot: contracted dimensions must match"):
        tf.tensordot(a, b, 1)
    with pytest.raises(ValueError, match=r"tensordot: axes must be in \[0, 2\]"):
        tf.tensordot(a, b, 3)
    with pytest.raises(ValueError, match="same length"):
        tf.tensordot(a, b, [[0, 1], [0]])
    with pytest.raises(ValueError, match="known ranks"):
        tf.tensordot(tf.placeholder(tf.float32), b, 1)


# -- broadcasting property test ----------------------------------------------------------------
BINARY = {
    "add": (tf.add, np.add),
    "maximum": (tf.maximum, np.maximum),
    "squared_difference": (tf.squared_difference, lambda x, y: (x - y) ** 2),
    "less": (tf.less, np.less),
    "floormod": (tf.floormod, np.mod),
    "pow": (tf.pow, np.power),
    "equal": (tf.equal, np.equal),
}


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
    op=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_broadcast_like_numpy(shapes, op, seed) -> None:
    (sx, sy), want_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    xv = rng.uniform(0.5, 2.0, sx).astype(np.float32)
    yv = rng.choice(np.array([0.5, 1.0, 1.5, 2.0], np.float32), sy)
    fn, ref = BINARY[op]
    g = tf.Graph()
    with g.as_default():
        x, y = tf.placeholder(tf.float32, sx), tf.placeholder(tf.float32, sy)
        z = fn(x, y)
        assert tuple(z.shape.as_list()) == want_shape
        with tf.Session(graph=g) as sess:
            got = sess.run(z, {x: xv, y: yv})
    want = ref(xv, yv)
    assert np.shape(got) == want_shape
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), rtol=1e-6
    )
