"""tf.py_func / tf.numpy_function, tf.custom_gradient, tf.RegisterGradient with
gradient_override_map, and tf.NotDifferentiable, as TF1 programs use them."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import serialization


def test_py_func_runs_python_on_the_values_with_the_declared_dtypes():
    x = tf.placeholder(tf.float32, [3])
    y = tf.py_func(lambda a: np.sinh(a), [x], tf.float32)
    a, b = tf.py_func(lambda a: (a * 2, a.astype(np.int64)), [x], [tf.float64, tf.int32])
    with tf.Session() as sess:
        got = sess.run([y, a, b], {x: [0.5, 1.0, 2.0]})
    np.testing.assert_allclose(got[0], np.sinh([0.5, 1.0, 2.0]).astype(np.float32), rtol=1e-6)
    assert got[1].dtype == np.float64 and got[2].dtype == np.int32
    assert tf.numpy_function is tf.py_func


def test_py_func_errors_name_the_op():
    x = tf.constant([1.0])
    y = tf.py_func(lambda a: (a, a), [x], tf.float32, name="two")
    with (
        tf.Session() as sess,
        pytest.raises(tf.errors.InvalidArgumentError, match=r"PyFunc 'two'.*returned 2 values"),
    ):
        sess.run(y)
    with pytest.raises(LookupError, match="PyFunc.*RegisterGradient"):
        tf.gradients(tf.reduce_sum(tf.py_func(np.exp, [x], tf.float32)), [x])
    with pytest.raises(TypeError, match="callable"):
        tf.py_func(3, [x], tf.float32)


def test_a_py_func_graph_cannot_be_written_to_a_file_and_says_so():
    x = tf.constant([1.0])
    tf.py_func(np.exp, [x], tf.float32, name="f")
    with pytest.raises(TypeError, match="PyFunc 'f': attr 'func'"):
        serialization.graph_to_dict(tf.get_default_graph())


def test_custom_gradient_replaces_the_gradient():
    x = tf.placeholder(tf.float32, [3])

    @tf.custom_gradient
    def clip_gradient(v):
        return tf.identity(v) * 1.0, lambda dy: tf.clip_by_value(dy, -1.0, 1.0)

    (dx,) = tf.gradients(tf.reduce_sum(clip_gradient(x) * 10.0), [x])

    @tf.custom_gradient
    def log1pexp(v):  # TF's documented example: a numerically stable gradient
        e = tf.exp(v)
        return tf.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))

    (dl,) = tf.gradients(log1pexp(x), [x])
    with tf.Session() as sess:
        got_dx, got_dl = sess.run([dx, dl], {x: [0.5, 1.0, 2.0]})
    np.testing.assert_array_equal(got_dx, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(got_dl, 1 / (1 + np.exp(-np.array([0.5, 1.0, 2.0]))), rtol=1e-6)


def test_register_gradient_and_the_override_map():
    @tf.RegisterGradient("TimesHundred")
    def _grad(op, grad):
        return grad * 100.0

    x = tf.placeholder(tf.float32, [2])
    with tf.get_default_graph().gradient_override_map({"Square": "TimesHundred"}):
        s = tf.square(x)
    plain = tf.square(x)
    ds, dp = tf.gradients([tf.reduce_sum(s), tf.reduce_sum(plain)], [x, x])
    with tf.Session() as sess:
        got = sess.run([ds, dp], {x: [1.0, 3.0]})
    # ds and dp are the total gradient of both sums: 100 + 2x
    np.testing.assert_allclose(got[0], [102.0, 106.0])
    with pytest.raises(KeyError, match="TimesHundred"):
        tf.RegisterGradient("TimesHundred")(_grad)
    with pytest.raises(KeyError, match="Square"):
        tf.RegisterGradient("Square")(_grad)
    with tf.get_default_graph().gradient_override_map({"Square": "Nowhere"}):
        t = tf.square(x)
    with pytest.raises(LookupError, match="'Nowhere'.*RegisterGradient"):
        tf.gradients(t, [x])


def test_not_differentiable_marks_an_op_type():
    from flowzero.framework.registry import get_op_class

    cls = get_op_class("PyFunc")
    try:
        tf.NotDifferentiable("PyFunc")
        x = tf.constant([1.0])
        (g,) = tf.gradients(tf.reduce_sum(tf.py_func(np.exp, [x], tf.float32)), [x])
        assert g is None
    finally:
        cls.differentiable = True
