"""Variables: initialization, reads, assignment, scopes, sharing, initializers."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def test_variable_nodes_and_names() -> None:
    v = tf.Variable([1.0, 2.0], name="w")
    assert v.name == "w:0" and v.op.name == "w" and v.op.type == "VariableV2"
    assert v.value().name == "w/read:0" and v.initializer.name == "w/Assign"
    assert v.dtype == tf.float32 and v.shape.as_list() == [2]
    assert tf.Variable(0.0, name="w").name == "w_1:0"
    assert repr(v) == "<tf.Variable 'w:0' shape=(2,) dtype=float32_ref>"


def test_read_assign_and_overloads() -> None:
    v = tf.Variable(3.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(v.value()) == 3.0 and sess.run(v.read_value()) == 3.0
        assert sess.run(v.assign(5.0)) == 5.0
        assert sess.run(v.assign_add(1.0)) == 6.0
        assert sess.run(v.assign_sub(2.0)) == 4.0
        assert sess.run(tf.assign(v, 10.0)) == 10.0
        assert sess.run(v + 1.0) == 11.0 and sess.run(-v) == -10.0
        assert sess.run(2.0 * v) == 20.0 and sess.run(v * v) == 100.0
        assert v.eval(session=sess) == 10.0


def test_uninitialized_read_names_variable_and_fix() -> None:
    v = tf.Variable(1.0, name="weights")
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.FailedPreconditionError,
            match="uninitialized value weights.*global_variables_initializer",
        ):
            sess.run(v + 1.0)
        with pytest.raises(tf.errors.FailedPreconditionError, match="weights"):
            sess.run(tf.assign_add(v, 1.0))


def test_initializer_aliases_and_reporting() -> None:
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", trainable=False)
    assert tf.global_variables() == [a, b] and tf.trainable_variables() == [a]
    assert tf.all_variables() == [a, b]
    with tf.Session() as sess:
        assert list(sess.run(tf.report_uninitialized_variables())) == [b"a", b"b"]
        sess.run(tf.variables_initializer([a]))
        assert list(sess.run(tf.report_uninitialized_variables())) == [b"b"]
        sess.run(tf.initialize_all_variables())
        assert list(sess.run(tf.report_uninitialized_variables())) == []
        assert sess.run(tf.is_variable_initialized(b))


def test_variable_from_callable_and_dtype() -> None:
    v = tf.Variable(lambda: tf.constant([1, 2]), dtype=tf.int32)
    w = tf.Variable([1, 2], dtype=tf.float32)
    assert v.dtype == tf.int32 and w.dtype == tf.float32
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])


def test_variable_initialized_from_another() -> None:
    a = tf.Variable(2.0)
    b = tf.Variable(a.initialized_value() * 3.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(b) == 6.0


def test_assign_shape_and_dtype_checks() -> None:
    v = tf.Variable([1.0, 2.0], name="vec")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Assign.*vec.*\\(2,\\).*\\(3,\\)"):
        tf.assign(v, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="dtype"):
        tf.assign(v, tf.constant([1, 2]))
    grow = tf.Variable([1.0], validate_shape=False)
    bigger = tf.assign(grow, [1.0, 2.0, 3.0], validate_shape=False)
    with tf.Session() as sess:
        sess.run(grow.initializer)
        assert sess.run(bigger).shape == (3,)


def test_load_writes_without_new_ops() -> None:
    v = tf.Variable([0.0, 0.0])
    with tf.Session() as sess:
        n = len(tf.get_default_graph().get_operations())
        v.load([3.0, 4.0], sess)
        assert len(tf.get_default_graph().get_operations()) == n
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])


def test_get_variable_and_scopes() -> None:
    with tf.variable_scope("layer1"):
        w = tf.get_variable("w", [2, 3], initializer=tf.zeros_initializer())
    assert w.name == "layer1/w:0"
    with pytest.raises(ValueError, match="already exists, disallowed.*reuse=True"):
        with tf.variable_scope("layer1"):
            tf.get_variable("w", [2, 3])
    with tf.variable_scope("layer1", reuse=True):
        assert tf.get_variable("w", [2, 3]) is w
        with pytest.raises(ValueError, match="does not exist"):
            tf.get_variable("missing", [1])
    with tf.variable_scope("layer1", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("w") is w
        b = tf.get_variable("b", [3], initializer=tf.constant_initializer(0.5))
    with tf.variable_scope("layer1", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("b", [3]) is b
    with tf.variable_scope("layer1") as scope:
        scope.reuse_variables()
        assert tf.get_variable("w") is w
    with pytest.raises(ValueError, match="shape"):
        with tf.variable_scope("layer1", reuse=True):
            tf.get_variable("w", [5])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(b), [0.5] * 3)


def test_variable_scope_nesting_and_ops_names() -> None:
    with tf.variable_scope("outer"):
        with tf.variable_scope("inner"):
            v = tf.get_variable("v", [1], initializer=tf.ones_initializer())
            op = tf.identity(v, name="out")
    assert v.name == "outer/inner/v:0" and op.op.name == "outer/inner/out"
    assert tf.get_variable_scope().name == ""


def test_initializer_values() -> None:
    tf.set_random_seed(1)
    shapes = [200, 300]
    vs = {
        "zeros": tf.get_variable("zeros", shapes, initializer=tf.zeros_initializer()),
        "ones": tf.get_variable("ones", shapes, initializer=tf.ones_initializer()),
        "const": tf.get_variable(
            "const", [2, 2], initializer=tf.constant_initializer([[1, 2], [3, 4]])
        ),
        "normal": tf.get_variable(
            "normal", shapes, initializer=tf.random_normal_initializer(1.0, 2.0)
        ),
        "trunc": tf.get_variable(
            "trunc", shapes, initializer=tf.truncated_normal_initializer(0.0, 1.0)
        ),
        "uniform": tf.get_variable(
            "uniform", shapes, initializer=tf.random_uniform_initializer(-2.0, 3.0)
        ),
        "glorot": tf.get_variable("glorot", shapes, initializer=tf.glorot_uniform_initializer()),
        "default": tf.get_variable("default", shapes),
        "he": tf.get_variable(
            "he", shapes, initializer=tf.variance_scaling_initializer(2.0, "fan_in")
        ),
    }
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(vs)
    assert all(a.dtype == np.float32 for a in got.values())
    assert (got["zeros"] == 0).all() and (got["ones"] == 1).all()
    np.testing.assert_array_equal(got["const"], [[1, 2], [3, 4]])
    assert abs(got["normal"].mean() - 1.0) < 0.05 and abs(got["normal"].std() - 2.0) < 0.05
    assert np.abs(got["trunc"]).max() <= 2.0
    assert got["uniform"].min() >= -2.0 and got["uniform"].max() < 3.0
    limit = np.sqrt(6.0 / (200 + 300))
    assert np.abs(got["glorot"]).max() <= limit and np.abs(got["default"]).max() <= limit
    assert abs(got["he"].std() - np.sqrt(2.0 / 200)) < 0.01


def test_seeded_initializers_repeat_across_sessions() -> None:
    tf.set_random_seed(42)
    v = tf.get_variable("v", [3, 3], initializer=tf.random_normal_initializer(seed=7))
    vals = []
    for _ in range(2):
        with tf.Session() as sess:
            sess.run(v.initializer)
            vals.append(sess.run(v))
    np.testing.assert_array_equal(vals[0], vals[1])


def test_regularizer_goes_to_collection() -> None:
    def reg(w):
        return tf.reduce_sum(w * w)

    with tf.variable_scope("dense", regularizer=reg):
        tf.get_variable("kernel", [2], initializer=tf.ones_initializer())
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(losses[0]) == 2.0


def test_variable_gradient() -> None:
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    x = tf.constant([[1.0, 1.0]])
    (g,) = tf.gradients(tf.reduce_sum(tf.matmul(x, w)), [w])
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(g), np.ones((2, 2)))
