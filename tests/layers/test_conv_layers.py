"""tf.layers.conv2d_transpose / Conv2DTranspose and separable_conv2d / SeparableConv2D: TF's
variable names and kernel layouts, TF's output-size rules, values and gradients equal to
TensorFlow's from the same weights (skipped without TensorFlow; the ops' own gradients are
checked in the op table), and a DCGAN-style generator that trains."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import flowzero as fz

CONFIGS = [  # kernel, stride, padding, data_format
    (5, 2, "same", "channels_last"),
    (4, 2, "valid", "channels_last"),
    (3, 1, "valid", "channels_last"),
    (2, 2, "same", "channels_last"),
    (3, 2, "same", "channels_first"),
]


def _build(tf, x, k, s, pad, fmt):
    return tf.layers.conv2d_transpose(
        x,
        3,
        k,
        strides=s,
        padding=pad,
        data_format=fmt,
        activation=tf.nn.relu,
        bias_initializer=tf.constant_initializer(0.1),
    )


def test_variables_shapes_and_output_size():
    x = fz.placeholder(fz.float32, [None, 7, 7, 8])
    y = fz.layers.conv2d_transpose(x, 4, 5, strides=2, padding="same")
    z = fz.layers.conv2d_transpose(y, 2, [3, 2], strides=(2, 1), padding="valid")
    assert y.shape.as_list() == [None, 14, 14, 4]
    assert z.shape.as_list() == [None, 29, 15, 2]  # 14*2 + (3-2), 14*1 + (2-1)
    names = {v.name: v.shape.as_list() for v in fz.trainable_variables()}
    assert names == {
        "conv2d_transpose/kernel:0": [5, 5, 4, 8],  # [kh, kw, filters, in_channels], as TF
        "conv2d_transpose/bias:0": [4],
        "conv2d_transpose_1/kernel:0": [3, 2, 2, 4],
        "conv2d_transpose_1/bias:0": [2],
    }
    layer = fz.layers.Conv2DTranspose(6, 3, strides=2, padding="same", name="up")
    out = layer(fz.placeholder(fz.float32, [2, 5, 5, 1]))
    assert out.shape.as_list() == [2, 10, 10, 6] and fz.layers.Convolution2DTranspose is type(layer)


def test_unknown_spatial_size_runs():
    x = fz.placeholder(fz.float32, [None, None, None, 2])
    y = fz.layers.conv2d_transpose(x, 3, 3, strides=2, padding="valid")
    assert y.shape.as_list() == [None, None, None, 3]
    with fz.Session() as sess:
        sess.run(fz.global_variables_initializer())
        assert sess.run(y, {x: np.zeros((1, 4, 5, 2))}).shape == (1, 9, 11, 3)


def test_a_small_generator_learns_a_target_image():
    fz.set_random_seed(0)
    rng = np.random.default_rng(0)
    z = fz.constant(rng.normal(size=(8, 4)).astype(np.float32))
    target = fz.constant((rng.uniform(size=(8, 8, 8, 1)) > 0.5).astype(np.float32))
    h = fz.reshape(fz.layers.dense(z, 2 * 2 * 16, activation=fz.nn.relu), [-1, 2, 2, 16])
    h = fz.layers.conv2d_transpose(h, 8, 5, strides=2, padding="same", activation=fz.nn.relu)
    logits = fz.layers.conv2d_transpose(h, 1, 5, strides=2, padding="same")
    loss = fz.reduce_mean(fz.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits))
    step = fz.train.AdamOptimizer(0.01).minimize(loss)
    with fz.Session() as sess:
        sess.run(fz.global_variables_initializer())
        first = sess.run(loss)
        for _ in range(150):
            sess.run(step)
        assert sess.run(loss) < 0.3 * first


needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("tf_keras") is None,
    reason="tensorflow and tf_keras are not installed",
)


def _same_weights(build, shape):
    """(flowzero's, TensorFlow's) [output, d input, d variables...] of sum(y * y), with
    TensorFlow's initial weights loaded into flowzero's variables by name."""
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as real_tf

    xv = np.random.default_rng(1).normal(size=shape)

    def run(tf, weights=None):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float64, shape)
            y = build(tf, x)
            variables = tf.trainable_variables()
            grads = tf.gradients(tf.reduce_sum(y * y), [x, *variables])
            with tf.Session(graph=g) as sess:
                sess.run(tf.global_variables_initializer())
                if weights is not None:
                    for v in variables:
                        v.load(weights[v.name], sess)
                got = sess.run([y, *grads], {x: xv})
                return got, {v.name: sess.run(v) for v in variables}, y.shape.as_list()

    want, weights, want_shape = run(real_tf.compat.v1)
    got, _, got_shape = run(fz, weights)
    assert got_shape == want_shape
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


@needs_tf
@pytest.mark.parametrize("k, s, pad, fmt", CONFIGS)
def test_transpose_values_and_gradients_match_tensorflow(k, s, pad, fmt):
    shape = (2, 3, 4, 5) if fmt == "channels_first" else (2, 4, 5, 3)
    _same_weights(lambda tf, x: _build(tf, x, k, s, pad, fmt), shape)


@needs_tf
@pytest.mark.parametrize(
    "k, s, pad, mult", [(3, 1, "same", 1), (3, 2, "valid", 2), (2, 1, "valid", 3)]
)
def test_separable_values_and_gradients_match_tensorflow(k, s, pad, mult):
    def build(tf, x):
        return tf.layers.separable_conv2d(
            x,
            4,
            k,
            strides=s,
            padding=pad,
            depth_multiplier=mult,
            activation=tf.nn.relu,
            bias_initializer=tf.constant_initializer(0.1),
        )

    _same_weights(build, (2, 6, 7, 3))


def test_separable_variables_and_shapes():
    x = fz.placeholder(fz.float32, [None, 8, 8, 3])
    y = fz.layers.separable_conv2d(x, 5, 3, depth_multiplier=2, padding="same")
    assert y.shape.as_list() == [None, 8, 8, 5]
    assert {v.name: v.shape.as_list() for v in fz.trainable_variables()} == {
        "separable_conv2d/depthwise_kernel:0": [3, 3, 3, 2],
        "separable_conv2d/pointwise_kernel:0": [1, 1, 6, 5],
        "separable_conv2d/bias:0": [5],
    }
