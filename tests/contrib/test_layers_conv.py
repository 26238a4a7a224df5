"""tf.contrib.layers' conv2d, conv2d_transpose, pooling, dropout, layer_norm,
one_hot_encoding, repeat, stack, and tf.contrib.framework.arg_scope."""

import numpy as np
import pytest

import flowzero as tf
from flowzero.contrib import layers
from flowzero.contrib.framework import add_arg_scope, arg_scope, current_arg_scope


def _run(out, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(out, feed)


def _conv_ref(x, w, stride, pad):
    n, h, wd, c = x.shape
    kh, kw, _, o = w.shape
    if pad == "SAME":
        oh, ow = -(-h // stride), -(-wd // stride)
        ph = max((oh - 1) * stride + kh - h, 0)
        pw = max((ow - 1) * stride + kw - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


@pytest.mark.parametrize("pad,stride", [("SAME", 1), ("VALID", 2), ("SAME", 2)])
def test_conv2d_matches_numpy_with_contrib_variable_names(pad, stride):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 6, 3)).astype(np.float32)
    with tf.Graph().as_default():
        y = layers.conv2d(x, 4, [3, 3], stride=stride, padding=pad)
        names = [v.op.name for v in tf.trainable_variables()]
        assert names == ["Conv/weights", "Conv/biases"]
        assert tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)[0].op.name == "Conv/weights"
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, got = sess.run([tf.trainable_variables()[0], y])
        want = np.maximum(_conv_ref(x.astype(np.float64), w.astype(np.float64), stride, pad), 0)
        assert y.shape.as_list() == list(want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_conv2d_linear_normalizer_and_errors():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 8, 8, 2])
        y = layers.conv2d(x, 3, 3, activation_fn=None, normalizer_fn=layers.batch_norm, scope="c")
        names = sorted(v.op.name for v in tf.global_variables())
        assert "c/weights" in names and "c/biases" not in names and "c/BatchNorm/beta" in names
        assert y.shape.as_list() == [None, 8, 8, 3]
        with pytest.raises(ValueError, match="4-D"):
            layers.conv2d(tf.placeholder(tf.float32, [None, 8]), 3, 3)
        with pytest.raises(ValueError, match="data_format"):
            layers.conv2d(x, 3, 3, data_format="NCWH")


def test_conv2d_transpose_shape_and_names():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 4, 5, 3])
        y = layers.conv2d_transpose(x, 2, [3, 3], stride=2)
        assert y.shape.as_list()[1:] == [8, 10, 2]
        v = layers.conv2d_transpose(x, 2, [3, 3], stride=2, padding="VALID", scope="t")
        assert v.shape.as_list()[1:] == [9, 11, 2]
        w = [x_.op.name for x_ in tf.trainable_variables()]
        assert w[:2] == ["Conv2d_transpose/weights", "Conv2d_transpose/biases"]
        assert tf.trainable_variables()[0].shape.as_list() == [3, 3, 2, 3]
        out = _run(v, {x: np.ones((2, 4, 5, 3), np.float32)})
        assert out.shape == (2, 9, 11, 2)


def test_pools_match_numpy():
    x = np.arange(2 * 4 * 4 * 1, dtype=np.float32).reshape(2, 4, 4, 1)
    with tf.Graph().as_default():
        mx = layers.max_pool2d(x, [2, 2])
        av = layers.avg_pool2d(x, 2, stride=2)
        assert mx.op.name.startswith("MaxPool2D/") and av.op.name.startswith("AvgPool2D/")
        got_max, got_avg = _run([mx, av])
    blocks = x.reshape(2, 2, 2, 2, 2, 1).transpose(0, 1, 3, 2, 4, 5).reshape(2, 2, 2, 4, 1)
    np.testing.assert_array_equal(got_max, blocks.max(axis=3))
    np.testing.assert_allclose(got_avg, blocks.mean(axis=3))


def test_dropout_keep_prob_and_is_training():
    with tf.Graph().as_default():
        train = tf.placeholder(tf.bool)
        x = tf.ones([200, 50])
        y = layers.dropout(x, 0.5, is_training=train)
        with tf.Session() as sess:
            on = sess.run(y, {train: True})
            off = sess.run(y, {train: False})
        assert set(np.unique(on)) <= {0.0, 2.0} and 0.4 < (on == 0).mean() < 0.6
        np.testing.assert_array_equal(off, np.ones((200, 50)))
        same = layers.dropout(x, 0.5, is_training=False)
        np.testing.assert_array_equal(_run(same), np.ones((200, 50)))


def test_layer_norm_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    with tf.Graph().as_default():
        y = layers.layer_norm(x)
        assert sorted(v.op.name for v in tf.trainable_variables()) == [
            "LayerNorm/beta",
            "LayerNorm/gamma",
        ]
        assert tf.trainable_variables()[0].shape.as_list() == [5]
        got = _run(y)
    m = x.mean(axis=(1, 2), keepdims=True)
    v = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 1e-12), rtol=1e-4, atol=1e-5)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="begin_norm_axis"):
        layers.layer_norm(x, begin_norm_axis=3)


def test_one_hot_repeat_stack():
    with tf.Graph().as_default():
        oh = layers.one_hot_encoding([0, 2, 1], 3)
        np.testing.assert_array_equal(_run(oh), np.eye(3)[[0, 2, 1]])
        x = tf.placeholder(tf.float32, [None, 4])
        layers.stack(x, layers.fully_connected, [8, 6], scope="fc")
        y = layers.repeat(x, 2, layers.fully_connected, 4, scope="rep")
        names = [v.op.name for v in tf.trainable_variables()]
        assert names[:2] == ["fc/fc_1/weights", "fc/fc_1/biases"]
        assert "fc/fc_2/weights" in names and "rep/rep_2/weights" in names
        assert y.shape.as_list() == [None, 4]
        with pytest.raises(ValueError, match="stack_args"):
            layers.stack(x, layers.fully_connected, 8)


def test_arg_scope_defaults_nesting_and_errors():
    calls = []

    @add_arg_scope
    def f(a, b=1, c=2):
        calls.append((a, b, c))

    with arg_scope([f], b=10):
        f(0)
        with arg_scope([f], c=20) as sc:
            f(1)
            f(2, b=5)  # explicit wins
        f(3)
        with arg_scope(sc):
            f(4)
    f(5)
    assert calls == [(0, 10, 2), (1, 10, 20), (2, 5, 20), (3, 10, 2), (4, 10, 20), (5, 1, 2)]
    assert current_arg_scope() == {}
    with pytest.raises(ValueError, match="not decorated"), arg_scope([len], x=1):
        pass
    with pytest.raises(TypeError, match="list/tuple"), arg_scope(f, b=1):
        pass
    with pytest.raises(ValueError, match="kwargs must be empty"), arg_scope({}, b=1):
        pass


def test_arg_scope_over_contrib_layers():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 6, 6, 2])
        with arg_scope([layers.conv2d, layers.fully_connected], activation_fn=None):
            c = layers.conv2d(x, 2, 3)
            d = layers.fully_connected(layers.flatten(c), 3)
        assert c.op.type != "Relu" and d.op.type != "Relu"
        e = layers.fully_connected(layers.flatten(c), 3)
        assert e.op.type == "Relu"


def test_contrib_layers_match_tensorflow():
    tf1 = pytest.importorskip("tensorflow").compat.v1
    tf1.disable_eager_execution()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    w = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    g = tf1.Graph()
    with g.as_default():
        t_conv = tf1.nn.relu(tf1.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"))
        t_pool = tf1.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "VALID")
        m, v = tf1.nn.moments(x, [1, 2, 3], keep_dims=True)
        t_ln = tf1.nn.batch_normalization(x, m, v, None, None, 1e-12)
        with tf1.Session() as s:
            want = s.run([t_conv, t_pool, t_ln])
    with tf.Graph().as_default():
        c = layers.conv2d(x, 4, 3, stride=2, weights_initializer=tf.constant_initializer(w))
        p = layers.max_pool2d(x, 3, stride=2)
        ln = layers.layer_norm(x)
        got = _run([c, p, ln])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
