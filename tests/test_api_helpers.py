"""The root-level helpers: get_static_value, make_tensor_proto/make_ndarray, dimension_*,
is_tensor, hessians, grad_pass_through, recompute_grad, make_template and the scoping
helpers, TensorSpec, DeviceSpec, the enums, the version constants and behaviour switches."""

import numpy as np
import pytest

import flowzero as tf


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_get_static_value_folds_what_is_static_only():
    with tf.Graph().as_default():
        x = tf.zeros([2, 3])
        np.testing.assert_array_equal(tf.get_static_value(tf.shape(x) * 2 + tf.rank(x)), [6, 8])
        np.testing.assert_array_equal(tf.get_static_value(tf.constant([1.5])), [1.5])
        assert tf.get_static_value(tf.placeholder(tf.float32) + 1.0) is None
        assert tf.get_static_value(tf.random_uniform([2])) is None
        v = tf.Variable(1.0)
        assert tf.get_static_value(v) is None and tf.get_static_value(v + 1.0) is None
        assert tf.get_static_value(tf.shape(tf.placeholder(tf.float32, [None, 2]))) is None
        assert tf.get_static_value(7) == 7


def test_tensor_proto_round_trip():
    p = tf.make_tensor_proto([[1, 2], [3, 4]], dtype=tf.float64)
    got = tf.make_ndarray(p)
    np.testing.assert_array_equal(got, [[1.0, 2.0], [3.0, 4.0]])
    assert got.dtype == np.float64
    np.testing.assert_array_equal(tf.make_ndarray(tf.make_tensor_proto(5, shape=[2, 2])), 5)
    np.testing.assert_array_equal(tf.make_ndarray(tf.make_tensor_proto(["a", b"b"])), [b"a", b"b"])
    with pytest.raises(ValueError, match="cannot fill shape"):
        tf.make_tensor_proto([1, 2, 3], shape=[2, 2])
    with pytest.raises(TypeError, match="expected shape"):
        tf.make_tensor_proto([1, 2, 3, 4], shape=[2, 2], verify_shape=True)
    with pytest.raises(TypeError, match="TensorProto"):
        tf.make_ndarray([1, 2])


def test_dimensions_and_is_tensor():
    s = tf.TensorShape([3, None])
    assert tf.dimension_value(s[0]) == 3 and tf.dimension_value(s[1]) is None
    assert tf.dimension_value(4) == 4
    assert tf.dimension_at_index(s, 0).value == 3
    assert tf.dimension_at_index(tf.TensorShape(None), 5).value is None
    with tf.Graph().as_default():
        assert tf.is_tensor(tf.constant(1)) and tf.is_tensor(tf.Variable(1.0))
        assert not tf.is_tensor(np.ones(2)) and not tf.is_tensor([1])


def test_hessians_match_the_analytic_hessian():
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    with tf.Graph().as_default():
        x = tf.constant([[1.0, -2.0]], tf.float64)
        y = tf.reduce_sum(tf.matmul(x, a) * x) + tf.reduce_sum(tf.sin(x))
        (h,) = tf.hessians(y, x)
        assert h.shape.as_list() == [1, 2, 1, 2]
        want = (a + a.T) - np.diag(np.sin([1.0, -2.0]))
        np.testing.assert_allclose(_run(h).reshape(2, 2), want, rtol=1e-12)
        with pytest.raises(ValueError, match="must be known"):
            p = tf.placeholder(tf.float64, [None])
            tf.hessians(tf.reduce_sum(p * p), p)


def test_grad_pass_through_and_recompute_grad():
    with tf.Graph().as_default():
        x = tf.constant([0.4, 1.7])
        y = tf.grad_pass_through(tf.round)(x * 3.0)
        np.testing.assert_allclose(_run(y), [1.0, 5.0])
        np.testing.assert_allclose(_run(tf.gradients(tf.reduce_sum(y * y), x)[0]), [6.0, 30.0])
        f = tf.recompute_grad(lambda v: tf.sin(v) * v)
        g1 = tf.gradients(f(x), x)[0]
        np.testing.assert_allclose(
            _run(g1), np.cos([0.4, 1.7]) * [0.4, 1.7] + np.sin([0.4, 1.7]), rtol=1e-6
        )


def test_unconnected_gradients_enum():
    with tf.Graph().as_default():
        x, z = tf.constant([1.0]), tf.constant([2.0, 3.0])
        (g,) = tf.gradients(x * 2.0, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        np.testing.assert_array_equal(_run(g), [0.0, 0.0])
        assert tf.gradients(x * 2.0, z, unconnected_gradients="none") == [None]
        with pytest.raises(ValueError, match="unconnected_gradients"):
            tf.gradients(x, z, unconnected_gradients="zeros")


def test_make_template_creates_once_and_reuses():
    with tf.Graph().as_default():

        def affine(x, scale):
            w = tf.get_variable("w", [2], initializer=tf.ones_initializer())
            return x * w * scale

        t = tf.make_template("affine", affine, scale=3.0)
        a, b = t(tf.constant([1.0, 2.0])), t(tf.constant([3.0, 4.0]))
        other = tf.make_template("affine", affine, scale=1.0)
        c = other(tf.constant([1.0, 1.0]))
        names = [v.name for v in tf.global_variables()]
        assert names == ["affine/w:0", "affine_1/w:0"]
        assert t.variable_scope_name == "affine" and [v.name for v in t.variables] == names[:1]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run([a, b, c]), [[3, 6], [9, 12], [1, 1]])

        def grows(x):
            return x * tf.get_variable(f"v{len(tf.trainable_variables())}", [])

        g = tf.make_template("grows", grows)
        g(1.0)
        with pytest.raises(ValueError):
            g(1.0)


def test_scoping_helpers():
    with tf.Graph().as_default() as g:
        lv = tf.get_local_variable("counter", [], initializer=tf.zeros_initializer())
        assert lv in tf.local_variables() and lv not in tf.global_variables()
        assert lv not in tf.trainable_variables()
        with tf.variable_scope("s", regularizer=lambda w: tf.reduce_sum(w)):
            tf.get_variable("r", [2])
            tf.get_variable("n", [2], regularizer=tf.no_regularizer)
        assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1
        x = tf.constant(1.0)
        with tf.control_dependencies([x]):
            with tf.init_scope():
                y = tf.constant(2.0)
        assert y.op.control_inputs == []
        with tf.container("c"), tf.colocate_with(x):
            z = x + 1.0
        with tf.op_scope([x], "outer"):
            assert tf.identity(x).name.startswith("outer/")
        with tf.variable_op_scope([x], None, default_name="vo"):
            assert tf.get_variable("q", []).name == "vo/q:0"
        assert tf.moving_average_variables() == g.get_collection("moving_average_variables")
        assert _run(z) == 2.0


def test_tensor_spec_and_device_spec():
    s = tf.TensorSpec([None, 3], tf.float32, name="x")
    assert s.shape.as_list() == [None, 3] and s.dtype == tf.float32 and s.name == "x"
    with tf.Graph().as_default():
        assert s.is_compatible_with(tf.zeros([2, 3]))
        assert not s.is_compatible_with(tf.zeros([2, 4]))
        assert not s.is_compatible_with(tf.zeros([2, 3], tf.float64))
    assert s.is_compatible_with(tf.TensorSpec([5, 3]))
    assert s == tf.TensorSpec([None, 3], tf.float32, "x") and s != tf.TensorSpec([None, 3])
    d = tf.DeviceSpec.from_string("/job:worker/replica:0/task:1/device:GPU:2")
    assert (d.job, d.replica, d.task, d.device_type, d.device_index) == ("worker", 0, 1, "GPU", 2)
    assert d.to_string() == "/job:worker/replica:0/task:1/device:GPU:2"
    assert tf.DeviceSpec.from_string("/cpu:0").to_string() == "/device:CPU:0"
    assert tf.DeviceSpec(job="ps", device_type="cpu").to_string() == "/job:ps/device:CPU:*"
    merged = d.make_merged_spec(tf.DeviceSpec.from_string("/device:CPU:0"))
    assert merged.to_string() == "/job:worker/replica:0/task:1/device:CPU:0"
    with pytest.raises(ValueError, match="Unknown attribute"):
        tf.DeviceSpec.from_string("/machine:1")


def test_enums_and_get_variable_accepts_them():
    assert tf.AggregationMethod.DEFAULT == tf.AggregationMethod.ADD_N == 0
    assert tf.UnconnectedGradients("zero") is tf.UnconnectedGradients.ZERO
    with tf.Graph().as_default():
        v = tf.get_variable(
            "v",
            [1],
            synchronization=tf.VariableSynchronization.AUTO,
            aggregation=tf.VariableAggregation.MEAN,
        )
        assert v.name == "v:0"


def test_versions_and_switches():
    from flowzero.interop import graph_def

    assert tf.VERSION == tf.version.VERSION == tf.__version__
    assert tf.GRAPH_DEF_VERSION == graph_def.PRODUCER
    assert tf.GRAPH_DEF_VERSION_MIN_CONSUMER == graph_def.MIN_CONSUMER
    assert isinstance(tf.COMPILER_VERSION, str) and tf.MONOLITHIC_BUILD == 0
    assert tf.resource_variables_enabled() is False
    assert tf.control_flow_v2_enabled() is False
    assert tf.executing_eagerly_outside_functions() is False
    tf.disable_resource_variables()
    tf.disable_control_flow_v2()
    tf.disable_tensor_equality()
    tf.disable_v2_tensorshape()
    for on in (
        tf.enable_resource_variables,
        tf.enable_control_flow_v2,
        tf.enable_tensor_equality,
        tf.enable_v2_tensorshape,
    ):
        with pytest.raises(NotImplementedError, match="TF 1.x graph mode"):
            on()
    with tf.Graph().as_default():
        x = tf.constant(1.0)
        assert (x == x) is True and (x == tf.constant(1.0)) is False  # identity, as reported
        assert isinstance(tf.TensorShape([2])[0], tf.Dimension)
