"""tf.debugging's asserts and tf.check_numerics: build-time errors for what is statically known,
run-time InvalidArgumentError (listing `data`) for the rest, NoOps for static passes."""

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(op, feed=None):
    with tf.Session() as s:
        return s.run(op, feed)


BINARY = [
    ("assert_equal", "==", [1, 2], [1, 2], [1, 3]),
    ("assert_none_equal", "!=", [1, 2], [3, 4], [3, 2]),
    ("assert_less", "<", [1, 2], [2, 3], [2, 2]),
    ("assert_less_equal", "<=", [1, 2], [1, 2], [0, 2]),
    ("assert_greater", ">", [2, 3], [1, 2], [2, 2]),
    ("assert_greater_equal", ">=", [2, 3], [2, 3], [3, 3]),
]


@pytest.mark.parametrize("fn,sym,x,y_ok,y_bad", BINARY)
def test_binary_static_failure_raises_at_build_time(fn, sym, x, y_ok, y_bad):
    with pytest.raises(InvalidArgumentError) as e:
        getattr(tf, fn)(x, y_bad, message="custom")
    lines = str(e.value).split("\n")
    assert lines[0] == "custom"
    assert lines[1] == f"Condition x {sym} y did not hold element-wise:"
    assert lines[2] == f"x ({fn}/x:0) = " or lines[2].startswith(f"x ({fn}_")
    assert lines[3] == str(np.array(x, np.int32))
    assert lines[5] == str(np.array(y_bad, np.int32))


@pytest.mark.parametrize("fn,sym,x,y_ok,y_bad", BINARY)
def test_binary_dynamic_check_runs_as_assert_op(fn, sym, x, y_ok, y_bad):
    p = tf.placeholder(tf.int32, [None])
    op = getattr(tf, fn)(p, y_ok, summarize=5)
    assert isinstance(op, tf.Operation) and op.type == "Assert"
    assert op.name.startswith(fn)
    _run(op, {p: x})  # passes
    op_bad = getattr(tf, fn)(p, y_bad, message="m")
    with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[m\] \[Condition x"):
        _run(op_bad, {p: x})


def test_binary_static_pass_returns_assert_op_and_identity_short_cut():
    op = tf.assert_less(1, 2)
    assert op.type == "Assert"
    x = tf.constant([1.0])
    assert tf.assert_equal(x, x).type == "NoOp"


def test_binary_data_and_summarize_are_used():
    p = tf.placeholder(tf.float32, [None])
    op = tf.assert_less(p, 0.5, data=["values:", p], summarize=2)
    with pytest.raises(InvalidArgumentError, match=r"assertion failed: \[values:\] \[1 2\.\.\.\]"):
        _run(op, {p: [1.0, 2.0, 3.0]})


def test_binary_dtype_mismatch_is_type_error():
    p = tf.placeholder(tf.float32, [None])
    with pytest.raises(TypeError):
        tf.assert_less(p, tf.constant(1))


@pytest.mark.parametrize(
    "fn,sym,bad",
    [
        ("assert_positive", ">", [1, 0]),
        ("assert_negative", "<", [-1, 0]),
        ("assert_non_negative", ">=", [0, -1]),
    ],
)
def test_unary_asserts(fn, sym, bad):
    with pytest.raises(InvalidArgumentError) as e:
        getattr(tf, fn)(bad, message="mm")
    assert str(e.value).split("\n")[:2] == [
        "mm.  ",
        f"Condition x {sym} 0 did not hold element-wise:",
    ]
    p = tf.placeholder(tf.float32, [None])
    op = getattr(tf, fn)(p)
    with pytest.raises(InvalidArgumentError, match=f"Condition x {sym} 0"):
        _run(op, {p: np.array(bad, np.float32)})


def test_assert_non_positive_message_runs_strings_together_like_tf():
    with pytest.raises(InvalidArgumentError, match=r"element-wise:x \(assert_non_positive/x:0\)"):
        tf.assert_non_positive([1])
    assert tf.assert_non_positive([0, -2]).type == "Assert"


def test_assert_near():
    p = tf.placeholder(tf.float32, [2])
    op = tf.assert_near(p, [1.0, 2.0], rtol=0.0, atol=0.1, message="nn")
    _run(op, {p: [1.05, 2.0]})
    with pytest.raises(InvalidArgumentError, match=r"\[nn\.  \] \[x and y not equal to tolerance"):
        _run(op, {p: [1.2, 2.0]})
    # Default tolerance: 10 eps of float32; constants are still checked at run time (as TF).
    op2 = tf.assert_near([1.0], [1.5])
    assert op2.type == "Assert"
    with pytest.raises(InvalidArgumentError):
        _run(op2)
    with pytest.raises(TypeError, match="floating"):
        tf.assert_near([1], [1])


def test_assert_rank_family():
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.assert_rank(x, 2).type == "NoOp"
    assert tf.assert_rank(x, 2).name.endswith("static_checks_determined_all_ok")
    with pytest.raises(
        ValueError, match=r"^m\.  Tensor .* must have rank 3\.  Received rank 2, shape \(\?, 3\)$"
    ):
        tf.assert_rank(x, 3, message="m")
    assert tf.assert_rank_at_least(x, 1).type == "NoOp"
    with pytest.raises(ValueError, match="must have rank at least 3"):
        tf.assert_rank_at_least(x, 3)
    assert tf.assert_rank_in(x, [1, 2]).type == "NoOp"
    with pytest.raises(ValueError, match=r"must have rank in \(0, 1\)\.  Received rank 2"):
        tf.assert_rank_in(x, [0, 1])
    with pytest.raises(ValueError, match="Rank must be a scalar"):
        tf.assert_rank(x, [2])
    with pytest.raises(TypeError, match="int32"):
        tf.assert_rank(x, tf.constant(2, tf.int64))


def test_assert_rank_dynamic():
    u = tf.placeholder(tf.float32, None)
    ops = [tf.assert_rank(u, 2), tf.assert_rank_at_least(u, 2), tf.assert_rank_in(u, [0, 2])]
    assert all(o.type == "Assert" for o in ops)
    _run(ops, {u: np.zeros((2, 2))})
    with pytest.raises(
        InvalidArgumentError, match=r"must have rank\] \[2\] \[Received shape: \] \[3\]"
    ):
        _run(ops[0], {u: np.zeros(3)})
    with pytest.raises(InvalidArgumentError, match="rank in"):
        _run(ops[2], {u: np.zeros(3)})
    r = tf.placeholder(tf.int32, [])
    op = tf.assert_rank(u, r)
    _run(op, {u: np.zeros((1, 1)), r: 2})
    with pytest.raises(InvalidArgumentError):
        _run(op, {u: np.zeros((1, 1)), r: 1})


def test_static_dtype_and_scalar_checks():
    x = tf.placeholder(tf.float32, [2], name="xx")
    with pytest.raises(
        TypeError, match=r'^ii\.  Expected "x" to be integer type\.  Found: xx:0 of dtype'
    ):
        tf.assert_integer(x, message="ii")
    assert tf.assert_integer(tf.constant([1])).type == "NoOp"
    with pytest.raises(TypeError, match="xx:0 must be of type tf.int32; got tf.float32"):
        tf.assert_type(x, tf.int32)
    assert tf.assert_type(x, tf.float32).type == "NoOp"
    with pytest.raises(ValueError, match=r"Expected scalar shape for xx:0, saw shape: \(2,\)"):
        tf.assert_scalar(x)
    with pytest.raises(ValueError, match="<unknown>"):
        tf.assert_scalar(tf.placeholder(tf.float32, None))
    c = tf.constant(1.0)
    assert tf.assert_scalar(c) is c


def test_assert_proper_iterable_and_same_float_dtype():
    for bad in ("abc", b"abc", np.zeros(2), tf.constant([1])):
        with pytest.raises(TypeError, match="proper"):
            tf.assert_proper_iterable(bad)
    with pytest.raises(TypeError, match="to be iterable"):
        tf.assert_proper_iterable(3)
    assert tf.assert_proper_iterable([1, 2]) is None
    a = tf.placeholder(tf.float32)
    assert tf.assert_same_float_dtype([a, None]) is tf.float32
    assert tf.assert_same_float_dtype(None, tf.float16) is tf.float16
    assert tf.assert_same_float_dtype() is tf.float32
    with pytest.raises(ValueError, match="must be of the same type"):
        tf.assert_same_float_dtype([a, tf.constant(1.0, tf.float64)])
    with pytest.raises(ValueError, match="Expected floating point type"):
        tf.assert_same_float_dtype([tf.constant(1)])


def test_is_numeric_tensor():
    assert tf.is_numeric_tensor(tf.constant(1.0))
    assert tf.is_numeric_tensor(tf.constant(1, tf.uint8))
    assert not tf.is_numeric_tensor(tf.constant(True))
    assert not tf.is_numeric_tensor(tf.constant("a"))
    assert not tf.is_numeric_tensor(1.0)


def test_assert_shapes():
    x = tf.placeholder(tf.float32, [2, None])
    v = tf.placeholder(tf.float32, [None])
    op = tf.debugging.assert_shapes([(x, ("N", "D")), (v, ("N",))])
    assert op.type == "NoOp"
    with pytest.raises(
        ValueError, match="Specified explicitly.  Tensor .* dimension 0 must have size 3"
    ):
        tf.debugging.assert_shapes([(x, (3, "D"))])
    with pytest.raises(ValueError, match=r"must have rank in \(0, 1\)"):
        tf.debugging.assert_shapes([(x, ("N",))])
    with pytest.raises(ValueError, match="only allowed as the first entry"):
        tf.debugging.assert_shapes([(x, ("N", ...))])
    z = tf.placeholder(tf.float32, None)
    op = tf.debugging.assert_shapes({z: ("N", 3), v: ("N",)})
    _run(op, {z: np.zeros((4, 3)), v: np.zeros(4)})
    with pytest.raises(
        InvalidArgumentError, match=r"Specified by tensor .* dimension 0\] \[Tensor"
    ):
        _run(op, {z: np.zeros((4, 3)), v: np.zeros(5)})
    with pytest.raises(InvalidArgumentError, match=r"\[Specified explicitly\]"):
        _run(op, {z: np.zeros((4, 2)), v: np.zeros(4)})
    with pytest.raises(InvalidArgumentError, match="must have rank"):
        _run(op, {z: np.zeros(4), v: np.zeros(4)})
    op = tf.debugging.assert_shapes([(z, ("...", "D")), (v, ("D",))])
    _run(op, {z: np.zeros((2, 5, 4)), v: np.zeros(4)})
    with pytest.raises(InvalidArgumentError):
        _run(op, {z: np.zeros((2, 5, 4)), v: np.zeros(5)})
    assert not hasattr(tf, "assert_shapes")  # TF 1.15 has it only in tf.debugging


def test_check_numerics_and_verify():
    x = tf.placeholder(tf.float32, [None], name="xx")
    c = tf.check_numerics(x, "boom")
    v = tf.verify_tensor_all_finite(x, "vmsg")
    np.testing.assert_array_equal(_run(c, {x: [1.0, 2.0]}), [1.0, 2.0])
    for val, what in (([1.0, np.nan], "NaN"), ([np.inf], "Inf"), ([np.inf, np.nan], "Inf and NaN")):
        with pytest.raises(
            InvalidArgumentError, match=f"CheckNumerics.*boom : Tensor had {what} values"
        ):
            _run(c, {x: val})
    with pytest.raises(
        InvalidArgumentError, match="VerifyFinite/CheckNumerics.*vmsg : Tensor had NaN"
    ):
        _run(v, {x: [np.nan]})
    assert tf.debugging.assert_all_finite is tf.verify_tensor_all_finite
    with pytest.raises(TypeError, match="CheckNumerics.*int32"):
        tf.check_numerics(tf.constant([1]), "i")
    g = tf.gradients(tf.check_numerics(x, "sq") * 3.0, x)[0]
    assert g.op.type == "CheckNumerics"
    assert g.op.get_attr("message").endswith("detected in gradient. sq")
    np.testing.assert_allclose(_run(g, {x: [3.0]}), [3.0])


def test_add_check_numerics_ops():
    x = tf.placeholder(tf.float32, [None])
    y = tf.log(x)
    check = tf.add_check_numerics_ops()
    with tf.Session() as s:
        np.testing.assert_allclose(s.run([y, check], {x: [1.0]})[0], [0.0])
        with pytest.raises(InvalidArgumentError, match="Log:0 : Tensor had NaN values"):
            s.run([y, check], {x: [-1.0]})


def test_debugging_namespace_binds_root_functions():
    assert tf.debugging.assert_equal is tf.assert_equal
    assert tf.debugging.check_numerics is tf.check_numerics
    assert tf.debugging.is_numeric_tensor is tf.is_numeric_tensor
    assert tf.compat.v1.assert_rank_in is tf.assert_rank_in


def test_rank_and_type_checks_take_sparse_tensors():
    sp = tf.SparseTensor([[0, 1]], [1.0], [2, 3])
    assert tf.assert_rank(sp, 2).type == "NoOp"
    assert tf.assert_rank_in(sp, [1, 2]).type == "NoOp"
    assert tf.assert_type(sp, tf.float32).type == "NoOp"
    with pytest.raises(ValueError, match=r"Tensor  must have rank 3\.  Received rank 2"):
        tf.assert_rank(sp, 3)
    with pytest.raises(TypeError, match="tensor must be of type tf.int32"):
        tf.assert_type(sp, tf.int32)
    shape = tf.placeholder(tf.int64, [None])
    dyn = tf.SparseTensor(tf.zeros([0, 2], tf.int64), tf.zeros([0]), shape)
    op = tf.assert_rank(dyn, 2)
    assert op.type == "Assert"
    _run(op, {shape: [4, 5]})
    with pytest.raises(
        InvalidArgumentError, match=r"must have rank\] \[2\] \[Received shape: \] \[4 5 6\]"
    ):
        _run(op, {shape: [4, 5, 6]})
