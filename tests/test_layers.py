"""tf.layers and tf.contrib.layers: variable names and collections, values against NumPy,
batch-norm moving averages and the UPDATE_OPS guard, regularizers, an end-to-end XOR fit."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
import flowzero.contrib.layers as contrib_layers
import flowzero.layers as layers
from flowzero.ops import activation_ops

RNG = np.random.default_rng(0)


def _train():
    """flowzero.train, or a skip naming why (the optimizers land separately)."""
    try:
        import flowzero.train as train
    except ImportError as e:  # pragma: no cover - depends on the tree's state
        pytest.skip(f"flowzero.train (optimizers) is not available yet: {e}")
    return train


def _names(vs) -> list[str]:
    return [v.name for v in vs]


def _run_init(sess) -> None:
    sess.run(tf.global_variables_initializer())


# -- dense -------------------------------------------------------------------------------------
def test_dense_variable_names_shapes_and_collections() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    y = layers.dense(x, 4)
    y1 = layers.dense(y, 2, use_bias=False)
    layers.dense(y1, 5, name="frozen", trainable=False)
    assert _names(tf.global_variables()) == [
        "dense/kernel:0",
        "dense/bias:0",
        "dense_1/kernel:0",
        "frozen/kernel:0",
        "frozen/bias:0",
    ]
    assert _names(tf.trainable_variables()) == [
        "dense/kernel:0",
        "dense/bias:0",
        "dense_1/kernel:0",
    ]
    kernel, bias = tf.global_variables()[:2]
    assert kernel.shape.as_list() == [3, 4] and bias.shape.as_list() == [4]
    assert y.shape.as_list() == [None, 4] and y1.shape.as_list() == [None, 2]
    assert y.op.name.startswith("dense/") and y1.op.name.startswith("dense_1/")


def test_dense_matches_numpy() -> None:
    xv = RNG.standard_normal((5, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    y = layers.dense(
        x, 4, activation=activation_ops.relu, bias_initializer=tf.constant_initializer(0.3)
    )
    kernel, bias = tf.trainable_variables()
    with tf.Session() as sess:
        _run_init(sess)
        out, w, b = sess.run([y, kernel, bias], {x: xv})
    np.testing.assert_allclose(b, np.full(4, 0.3, np.float32))
    np.testing.assert_allclose(out, np.maximum(xv @ w + b, 0), rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32


def test_dense_kernel_default_is_glorot_uniform() -> None:
    layers.dense(tf.placeholder(tf.float32, [None, 300]), 200)
    with tf.Session() as sess:
        _run_init(sess)
        w, b = sess.run(tf.trainable_variables())
    limit = np.sqrt(6.0 / (300 + 200))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    np.testing.assert_allclose(w.std(), limit / np.sqrt(3), rtol=0.05)
    np.testing.assert_array_equal(b, np.zeros(200, np.float32))


@pytest.mark.parametrize("shape", [[None, 5, 3], [None, None, 3], [2, 4, 5, 3]])
def test_dense_rank_above_two_applies_on_last_axis(shape) -> None:
    x = tf.placeholder(tf.float32, shape)
    y = layers.dense(x, 4)
    assert y.shape.as_list() == shape[:-1] + [4]
    kernel, bias = tf.trainable_variables()
    dk = tf.gradients(tf.reduce_sum(y), [kernel])[0]
    concrete = [d or 3 for d in shape[:-1]] + [3]
    xv = RNG.standard_normal(concrete).astype(np.float32)
    with tf.Session() as sess:
        _run_init(sess)
        out, w, b, g = sess.run([y, kernel, bias, dk], {x: xv})
    np.testing.assert_allclose(out, np.einsum("...i,ij->...j", xv, w) + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g, np.repeat(xv.reshape(-1, 3).sum(0)[:, None], 4, 1), rtol=1e-4)


def test_dense_unknown_last_dimension_is_an_error_naming_layer_and_shape() -> None:
    with pytest.raises(
        ValueError,
        match=r"The last dimension of the inputs to `Dense` should "
        r"be defined\. Found `None`\..*'dense'.*\(\?, \?\)",
    ):
        layers.dense(tf.placeholder(tf.float32, [None, None]), 3)
    with pytest.raises(ValueError, match="last dimension.*Found `None`"):
        layers.dense(tf.placeholder(tf.float32), 3, name="fc")
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        layers.dense(tf.placeholder(tf.float32, [3]), 3)


def test_reuse_shares_variables() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    a = layers.dense(x, 4, name="fc")
    b = layers.dense(x, 4, name="fc", reuse=True)
    assert _names(tf.global_variables()) == ["fc/kernel:0", "fc/bias:0"]
    with pytest.raises(ValueError, match="fc/kernel already exists"):
        layers.dense(x, 4, name="fc")
    with pytest.raises(ValueError, match="Trying to share variable fc/kernel"):
        layers.dense(x, 5, name="fc", reuse=True)
    with tf.variable_scope("net", reuse=tf.AUTO_REUSE):
        layers.dense(x, 2, name="out")
    with tf.variable_scope("net", reuse=tf.AUTO_REUSE):
        layers.dense(x, 2, name="out")
    assert _names(tf.global_variables())[2:] == ["net/out/kernel:0", "net/out/bias:0"]
    xv = RNG.standard_normal((2, 3)).astype(np.float32)
    with tf.Session() as sess:
        _run_init(sess)
        va, vb = sess.run([a, b], {x: xv})
    np.testing.assert_array_equal(va, vb)


def test_layer_object_called_twice_shares_variables() -> None:
    layer = layers.Dense(3, name="shared")
    x1 = tf.placeholder(tf.float32, [None, 2])
    x2 = tf.placeholder(tf.float32, [None, 2])
    y1, y2 = layer(x1), layer(x2)
    assert _names(tf.global_variables()) == ["shared/kernel:0", "shared/bias:0"]
    assert layer.kernel.name == "shared/kernel:0" and layer.bias.name == "shared/bias:0"
    assert layer.trainable_weights == [layer.kernel, layer.bias] and layer.name == "shared"
    assert y1.op.name.startswith("shared/") and y2.op.name.startswith("shared/")
    xv = RNG.standard_normal((2, 2)).astype(np.float32)
    with tf.Session() as sess:
        _run_init(sess)
        a, b = sess.run([y1, y2], {x1: xv, x2: xv})
    np.testing.assert_array_equal(a, b)
    frozen = layers.Dense(2, trainable=False)
    frozen(x1)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2


def test_kernel_regularizer_adds_the_numpy_loss() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    y = layers.dense(
        x,
        4,
        kernel_regularizer=contrib_layers.l2_regularizer(0.1),
        bias_regularizer=layers.l2_regularizer(0.5),
        bias_initializer=tf.constant_initializer(2.0),
        activity_regularizer=contrib_layers.l1_regularizer(0.01),
    )
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 3
    kernel, bias = tf.trainable_variables()
    xv = RNG.standard_normal((5, 3)).astype(np.float32)
    with tf.Session() as sess:
        _run_init(sess)
        lk, lb, la, w, out = sess.run(losses + [kernel, y], {x: xv})
    np.testing.assert_allclose(lk, 0.1 * np.sum(w**2) / 2, rtol=1e-5)
    np.testing.assert_allclose(lb, 0.5 * 4 * 2.0**2 / 2, rtol=1e-6)
    np.testing.assert_allclose(la, 0.01 * np.abs(out).sum(), rtol=1e-5)


# -- conv2d and pooling ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [None, 26, 26, 8]),
        ({"padding": "same"}, [None, 28, 28, 8]),
        ({"strides": 2}, [None, 13, 13, 8]),
        ({"strides": (2, 1), "padding": "SAME"}, [None, 14, 28, 8]),
        ({"dilation_rate": 2}, [None, 24, 24, 8]),
    ],
)
def test_conv2d_output_shapes(kwargs, expected) -> None:
    x = tf.placeholder(tf.float32, [None, 28, 28, 3])
    y = layers.conv2d(x, 8, 3, **kwargs)
    assert y.shape.as_list() == expected
    assert _names(tf.global_variables()) == ["conv2d/kernel:0", "conv2d/bias:0"]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 3, 8]
    with tf.Session() as sess:
        _run_init(sess)
        out = sess.run(y, {x: np.zeros((2, 28, 28, 3), np.float32)})
    assert list(out.shape) == [2] + expected[1:]


def test_conv2d_channels_first_matches_channels_last_and_numpy() -> None:
    xv = RNG.standard_normal((2, 6, 5, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 6, 5, 3])
    xc = tf.placeholder(tf.float32, [None, 3, 6, 5])
    y = layers.conv2d(
        x, 4, (3, 2), activation=activation_ops.relu, bias_initializer=tf.constant_initializer(0.1)
    )
    yc = layers.conv2d(xc, 4, (3, 2), data_format="channels_first", name="cf")
    assert yc.shape.as_list() == [None, 4, 4, 4] and y.shape.as_list() == [None, 4, 4, 4]
    kernel, bias, kernel_cf, _ = tf.global_variables()
    assert kernel_cf.shape.as_list() == [3, 2, 3, 4]
    with tf.Session() as sess:
        _run_init(sess)
        w = sess.run(kernel)
        sess.run(kernel_cf.assign(w))
        out, out_cf = sess.run([y, yc], {x: xv, xc: xv.transpose(0, 3, 1, 2)})
    ref = np.zeros((2, 4, 4, 4), np.float32)
    for i in range(4):
        for j in range(4):
            ref[:, i, j, :] = np.einsum("nhwc,hwco->no", xv[:, i : i + 3, j : j + 2, :], w)
    np.testing.assert_allclose(out, np.maximum(ref + 0.1, 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out_cf, ref.transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-5)


def test_conv2d_errors() -> None:
    with pytest.raises(ValueError, match="channel dimension of the inputs should be defined"):
        layers.conv2d(tf.placeholder(tf.float32, [None, 8, 8, None]), 4, 3)
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layers.conv2d(tf.placeholder(tf.float32, [None, 8, 3]), 4, 3)
    with pytest.raises(ValueError, match="`padding` argument must be one of"):
        layers.conv2d(tf.placeholder(tf.float32, [None, 8, 8, 3]), 4, 3, padding="full")
    with pytest.raises(ValueError, match="`kernel_size` argument must be a tuple of 2"):
        layers.conv2d(tf.placeholder(tf.float32, [None, 8, 8, 3]), 4, (3, 3, 3))


@pytest.mark.parametrize(
    "fn, kwargs, expected",
    [
        (layers.max_pooling2d, {"pool_size": 2, "strides": 2}, [None, 14, 14, 3]),
        (layers.max_pooling2d, {"pool_size": 3, "strides": 2}, [None, 13, 13, 3]),
        (
            layers.max_pooling2d,
            {"pool_size": 3, "strides": 2, "padding": "same"},
            [None, 14, 14, 3],
        ),
        (layers.average_pooling2d, {"pool_size": (2, 4), "strides": (2, 4)}, [None, 14, 7, 3]),
        (
            layers.average_pooling2d,
            {"pool_size": 3, "strides": 1, "padding": "same"},
            [None, 28, 28, 3],
        ),
    ],
)
def test_pooling_shapes(fn, kwargs, expected) -> None:
    y = fn(tf.placeholder(tf.float32, [None, 28, 28, 3]), **kwargs)
    assert y.shape.as_list() == expected
    assert tf.global_variables() == []


def test_pooling_values_names_and_channels_first() -> None:
    xv = RNG.standard_normal((2, 4, 4, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    mp = layers.max_pooling2d(x, 2, 2)
    ap = layers.average_pooling2d(x, 2, 2)
    mp_cf = layers.max_pooling2d(tf.transpose(x, [0, 3, 1, 2]), 2, 2, data_format="channels_first")
    assert mp.op.name == "max_pooling2d/MaxPool" and ap.op.name == "average_pooling2d/AvgPool"
    assert layers.MaxPooling2D(2, 2)(x).op.name == "max_pooling2d_2/MaxPool"
    with tf.Session() as sess:
        m, a, mcf = sess.run([mp, ap, mp_cf], {x: xv})
    blocks = xv.reshape(2, 2, 2, 2, 2, 3)
    np.testing.assert_allclose(m, blocks.max(axis=(2, 4)))
    np.testing.assert_allclose(a, blocks.mean(axis=(2, 4)), rtol=1e-6)
    np.testing.assert_allclose(mcf, m.transpose(0, 3, 1, 2))


# -- flatten -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape, expected",
    [
        ([None, 7, 7, 64], [None, 3136]),
        ([8, 7, 7, 64], [8, 3136]),
        ([None, 5], [None, 5]),
        ([4, None, 3], [4, None]),
        ([None, None, 3], [None, None]),
        ([None], [None, 1]),
    ],
)
def test_flatten_keeps_batch_and_static_shape(shape, expected) -> None:
    x = tf.placeholder(tf.float32, shape)
    y = layers.flatten(x)
    assert y.shape.as_list() == expected and y.op.name == "flatten/Reshape"
    concrete = [d or 4 for d in shape]
    xv = RNG.standard_normal(concrete).astype(np.float32)
    with tf.Session() as sess:
        out = sess.run(y, {x: xv})
    np.testing.assert_array_equal(out, xv.reshape(concrete[0], -1))


def test_flatten_class_and_contrib_flatten() -> None:
    x = tf.placeholder(tf.float32, [None, 2, 3])
    assert layers.Flatten()(x).shape.as_list() == [None, 6]
    y = contrib_layers.flatten(x)
    # TF's name uniquifying ignores case: the "flatten" scope above makes this "Flatten_1".
    assert y.shape.as_list() == [None, 6] and y.op.name == "Flatten_1/Reshape"
    with pytest.raises(ValueError, match="rank must be known"):
        layers.flatten(tf.placeholder(tf.float32))


# -- dropout -----------------------------------------------------------------------------------
def test_dropout_python_bool_and_bool_tensor() -> None:
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [None, 1000])
    xv = RNG.uniform(1.0, 2.0, (4, 1000)).astype(np.float32)
    off = layers.dropout(x, rate=0.25)
    on = layers.dropout(x, rate=0.25, training=True)
    is_training = tf.placeholder(tf.bool, [])
    fed = layers.dropout(x, rate=0.25, training=is_training)
    with tf.Session() as sess:
        v_off, v_on = sess.run([off, on], {x: xv})
        v_true = sess.run(fed, {x: xv, is_training: True})
        v_false = sess.run(fed, {x: xv, is_training: False})
    np.testing.assert_array_equal(v_off, xv)
    np.testing.assert_array_equal(v_false, xv)
    for v in (v_on, v_true):
        kept = v != 0
        np.testing.assert_allclose(v[kept], xv[kept] / 0.75, rtol=1e-6)
        assert abs(kept.mean() - 0.75) < 0.02
    assert fed.shape.as_list() == [None, 1000]
    with pytest.raises(TypeError, match="bool Tensor"):
        layers.dropout(x, training=tf.placeholder(tf.float32, []))


def test_dropout_training_flag_must_be_a_scalar() -> None:
    x = tf.ones([2, 3])
    with pytest.raises(ValueError, match=r"`training` must be a scalar.*shape \(2,\)"):
        layers.dropout(x, training=tf.placeholder(tf.bool, [2]))
    flag = tf.placeholder(tf.bool)  # unknown shape: checked when the run feeds it
    y = layers.dropout(x, training=flag)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="training_flag_scalar.*shape"):
            sess.run(y, {flag: [True, False]})


def test_dropout_class_and_noise_shape() -> None:
    tf.set_random_seed(2)
    x = tf.ones([50, 20])
    y = layers.Dropout(0.5, noise_shape=[50, 1])(x, training=True)
    with tf.Session() as sess:
        v = sess.run(y)
    assert set(np.unique(v)) <= {0.0, 2.0}
    assert all(len(set(row)) == 1 for row in v)  # whole rows dropped or kept


# -- batch normalization -----------------------------------------------------------------------
def _bn_ref(x, mean, var, gamma, beta, eps=1e-3):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_batch_norm_variables_and_collections() -> None:
    x = tf.placeholder(tf.float32, [None, 4])
    layers.batch_normalization(x, training=True)
    layers.batch_normalization(x, center=False, name="bn2")
    assert _names(tf.global_variables()) == [
        "batch_normalization/gamma:0",
        "batch_normalization/beta:0",
        "batch_normalization/moving_mean:0",
        "batch_normalization/moving_variance:0",
        "bn2/gamma:0",
        "bn2/moving_mean:0",
        "bn2/moving_variance:0",
    ]
    assert _names(tf.trainable_variables()) == [
        "batch_normalization/gamma:0",
        "batch_normalization/beta:0",
        "bn2/gamma:0",
    ]
    assert all(v.shape.as_list() == [4] for v in tf.global_variables())
    # training=False (a Python bool) adds no update ops, as TF.
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert [u.op.name for u in updates] == [
        "batch_normalization/AssignMovingAvg",
        "batch_normalization/AssignMovingAvg_1",
    ]
    with tf.Session() as sess:
        _run_init(sess)
        g, b, mm, mv = sess.run(tf.global_variables()[:4])
    np.testing.assert_array_equal(g, np.ones(4)), np.testing.assert_array_equal(b, np.zeros(4))
    np.testing.assert_array_equal(mm, np.zeros(4)), np.testing.assert_array_equal(mv, np.ones(4))


def test_batch_norm_training_output_and_moving_averages_2d() -> None:
    xv = RNG.normal(3.0, 2.0, (16, 4)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4])
    y = layers.batch_normalization(
        x,
        momentum=0.9,
        training=True,
        gamma_initializer=tf.constant_initializer(1.5),
        beta_initializer=tf.constant_initializer(-0.5),
    )
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    _, _, moving_mean, moving_var = tf.global_variables()
    with tf.Session() as sess:
        _run_init(sess)
        out = sess.run(y, {x: xv})
        np.testing.assert_allclose(sess.run(moving_mean), np.zeros(4))  # not run yet
        sess.run(updates, {x: xv})
        mm, mv = sess.run([moving_mean, moving_var])
        sess.run(updates, {x: xv})
        mm2, mv2 = sess.run([moving_mean, moving_var])
    mean, var = xv.mean(0), xv.var(0)
    np.testing.assert_allclose(out, _bn_ref(xv, mean, var, 1.5, -0.5), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mm, 0.9 * 0 + 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(mv, 0.9 * 1 + 0.1 * var, rtol=1e-5)
    np.testing.assert_allclose(mm2, 0.9 * mm + 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(mv2, 0.9 * mv + 0.1 * var, rtol=1e-5)


@pytest.mark.parametrize(
    "axis, fused, bessel", [(-1, None, True), (1, None, True), (-1, False, False), (2, None, False)]
)
def test_batch_norm_4d_axis_and_tf1_fused_variance(axis, fused, bessel) -> None:
    xv = RNG.normal(1.0, 3.0, (4, 3, 5, 6)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3, 5, 6])
    y = layers.batch_normalization(x, axis=axis, momentum=0.5, training=True, fused=fused)
    _, _, moving_mean, moving_var = tf.global_variables()
    ch = xv.shape[axis]
    assert moving_mean.shape.as_list() == [ch]
    red = tuple(i for i in range(4) if i != axis % 4)
    with tf.Session() as sess:
        _run_init(sess)
        out, *_ = sess.run([y] + tf.get_collection(tf.GraphKeys.UPDATE_OPS), {x: xv})
        mm, mv = sess.run([moving_mean, moving_var])
    shape = [1, 1, 1, 1]
    shape[axis] = ch
    mean, var = xv.mean(red), xv.var(red)
    np.testing.assert_allclose(
        out, _bn_ref(xv, mean.reshape(shape), var.reshape(shape), 1, 0), rtol=1e-4, atol=1e-4
    )
    n = xv.size / ch
    batch_var = var * n / (n - 1) if bessel else var
    np.testing.assert_allclose(mm, 0.5 * mean, rtol=1e-5)
    np.testing.assert_allclose(mv, 0.5 + 0.5 * batch_var, rtol=1e-5)


def test_batch_norm_inference_uses_moving_statistics() -> None:
    xv = RNG.normal(0.0, 1.0, (8, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    y = layers.batch_normalization(x, name="bn")
    y_train = layers.batch_normalization(x, name="bn", reuse=True, training=True)
    gamma, beta, mm, mv = tf.global_variables()
    assert len(tf.global_variables()) == 4 and y_train.op.name.startswith("bn_1/")
    with tf.Session() as sess:
        _run_init(sess)
        sess.run(
            [
                mm.assign([1.0, 2.0, 3.0]),
                mv.assign([4.0, 0.25, 1.0]),
                gamma.assign([2.0, 1.0, 0.5]),
                beta.assign([0.0, 1.0, -1.0]),
            ]
        )
        out = sess.run(y, {x: xv})
    ref = _bn_ref(
        xv, np.array([1, 2, 3]), np.array([4, 0.25, 1]), np.array([2, 1, 0.5]), np.array([0, 1, -1])
    )
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)


def test_batch_norm_training_placeholder_selects_at_run_time() -> None:
    xv = RNG.normal(2.0, 3.0, (10, 3)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 3])
    is_training = tf.placeholder(tf.bool, [])
    y = layers.batch_normalization(x, momentum=0.8, training=is_training)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    _, _, mm, mv = tf.global_variables()
    with tf.Session() as sess:
        _run_init(sess)
        out_eval, *_ = sess.run([y] + updates, {x: xv, is_training: False})
        np.testing.assert_allclose(sess.run(mm), np.zeros(3))  # unchanged when not training
        np.testing.assert_allclose(sess.run(mv), np.ones(3))
        out_train, *_ = sess.run([y] + updates, {x: xv, is_training: True})
        got_mm, got_mv = sess.run([mm, mv])
    np.testing.assert_allclose(out_eval, _bn_ref(xv, 0, 1, 1, 0), rtol=1e-5)
    np.testing.assert_allclose(
        out_train, _bn_ref(xv, xv.mean(0), xv.var(0), 1, 0), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(got_mm, 0.2 * xv.mean(0), rtol=1e-5)
    np.testing.assert_allclose(got_mv, 0.8 + 0.2 * xv.var(0), rtol=1e-5)


def _numeric_grad(sess, loss, x, xv, eps=1e-6):
    g = np.zeros_like(xv)
    for idx in np.ndindex(*xv.shape):
        hi, lo = xv.copy(), xv.copy()
        hi[idx] += eps
        lo[idx] -= eps
        g[idx] = (sess.run(loss, {x: hi}) - sess.run(loss, {x: lo})) / (2 * eps)
    return g


@pytest.mark.parametrize("shape, axis", [((6, 3), -1), ((2, 3, 2, 2), 1)])
def test_gradients_through_layers_match_central_differences(shape, axis) -> None:
    xv = RNG.standard_normal(shape)
    x = tf.placeholder(tf.float64, shape)
    h = layers.batch_normalization(
        x,
        axis=axis,
        training=True,
        gamma_initializer=tf.constant_initializer(1.7),
        beta_initializer=tf.constant_initializer(0.2),
    )
    y = layers.dense(layers.flatten(h), 2, activation=activation_ops.tanh)
    w = tf.constant(RNG.uniform(0.5, 1.5, (shape[0], 2)))
    loss = tf.reduce_sum(y * w)
    params = tf.trainable_variables()
    grads = tf.gradients(loss, [x] + params)
    with tf.Session() as sess:
        _run_init(sess)
        sym = sess.run(grads, {x: xv})
        np.testing.assert_allclose(sym[0], _numeric_grad(sess, loss, x, xv), rtol=1e-5, atol=1e-7)
        gamma = params[0]
        gv = sess.run(gamma)
        num = np.zeros_like(gv)
        for i in range(gv.size):
            for sign in (1, -1):
                g2 = gv.copy()
                g2[i] += sign * 1e-6
                gamma.load(g2, sess)
                num[i] += sign * sess.run(loss, {x: xv}) / 2e-6
        np.testing.assert_allclose(sym[1], num, rtol=1e-5, atol=1e-7)


def _bn_regression_graph():
    x = tf.placeholder(tf.float32, [None, 2])
    h = layers.batch_normalization(x, momentum=0.5, training=True)
    loss = tf.reduce_mean(tf.square(layers.dense(h, 1) - 1.0))
    return x, loss


def test_optimizer_minimize_runs_update_ops() -> None:
    xv = RNG.normal(5.0, 1.0, (32, 2)).astype(np.float32)
    x, loss = _bn_regression_graph()
    train_op = _train().GradientDescentOptimizer(0.1).minimize(loss)
    mm = tf.global_variables()[2]
    assert mm.name == "batch_normalization/moving_mean:0"
    with tf.Session() as sess:
        _run_init(sess)
        sess.run(train_op, {x: xv})
        got = sess.run(mm)
    np.testing.assert_allclose(got, 0.5 * xv.mean(0), rtol=1e-5)


def test_tf1_control_dependencies_idiom_still_works() -> None:
    xv = RNG.normal(5.0, 1.0, (32, 2)).astype(np.float32)
    x, loss = _bn_regression_graph()
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = _train().GradientDescentOptimizer(0.1).minimize(loss)
    mm = tf.global_variables()[2]
    with tf.Session() as sess:
        _run_init(sess)
        sess.run(train_op, {x: xv})
        got = sess.run(mm)
    np.testing.assert_allclose(got, 0.5 * xv.mean(0), rtol=1e-5)  # once, not twice


def test_batch_norm_class_and_errors() -> None:
    bn = layers.BatchNormalization(momentum=0.9)
    x = tf.placeholder(tf.float32, [None, 5])
    bn(x, training=True)
    assert bn.moving_mean.name == "batch_normalization/moving_mean:0"
    assert bn.trainable_weights == [bn.gamma, bn.beta]
    assert bn.non_trainable_weights == [bn.moving_mean, bn.moving_variance]
    assert len(bn.updates) == 2
    with pytest.raises(ValueError, match="undefined `axis` dimension"):
        layers.batch_normalization(tf.placeholder(tf.float32, [None, None]))
    with pytest.raises(ValueError, match="Invalid axis"):
        layers.batch_normalization(x, axis=3)
    with pytest.raises(ValueError, match="not supported"):
        layers.batch_normalization(x, renorm=True)


# -- contrib.layers ----------------------------------------------------------------------------
def test_contrib_l2_l1_and_sum_regularizers() -> None:
    wv = RNG.standard_normal((3, 4)).astype(np.float32)
    w = tf.constant(wv)
    l2 = contrib_layers.l2_regularizer(0.3)(w)
    l1 = contrib_layers.l1_regularizer(0.2)(w)
    both = contrib_layers.sum_regularizer(
        [contrib_layers.l2_regularizer(0.3), contrib_layers.l1_regularizer(0.2), None]
    )(w)
    with tf.Session() as sess:
        v2, v1, vb = sess.run([l2, l1, both])
    np.testing.assert_allclose(v2, 0.3 * np.sum(wv**2) / 2, rtol=1e-5)
    np.testing.assert_allclose(v1, 0.2 * np.abs(wv).sum(), rtol=1e-5)
    np.testing.assert_allclose(vb, v1 + v2, rtol=1e-5)
    assert l2.op.name == "l2_regularizer" and l2.dtype == tf.float32
    assert contrib_layers.l2_regularizer(0.0)(w) is None
    with pytest.raises(ValueError, match="scale cannot be an integer"):
        contrib_layers.l2_regularizer(1)
    with pytest.raises(ValueError, match="less than 0"):
        contrib_layers.l1_regularizer(-0.1)


def test_get_variable_with_contrib_regularizer_and_zero_scale() -> None:
    v = tf.get_variable(
        "w",
        [2, 2],
        initializer=tf.constant_initializer(3.0),
        regularizer=contrib_layers.l2_regularizer(0.5),
    )
    tf.get_variable("u", [2], regularizer=contrib_layers.l2_regularizer(0.0))
    (loss,) = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert loss.op.name.startswith(v.op.name + "/Regularizer/")
    with tf.Session() as sess:
        _run_init(sess)
        np.testing.assert_allclose(sess.run(loss), 0.5 * 4 * 9 / 2)


def test_xavier_initializer_is_glorot() -> None:
    tf.set_random_seed(3)
    u = tf.get_variable("u", [200, 300], initializer=contrib_layers.xavier_initializer())
    n = tf.get_variable(
        "n", [200, 300], initializer=contrib_layers.xavier_initializer(uniform=False)
    )
    c = tf.get_variable("c", [3, 3, 16, 32], initializer=contrib_layers.xavier_initializer())
    with tf.Session() as sess:
        _run_init(sess)
        uv, nv, cv = sess.run([u, n, c])
    limit = np.sqrt(6.0 / 500)
    assert np.abs(uv).max() <= limit and np.abs(uv).max() > 0.98 * limit
    std = np.sqrt(1.3 * 2.0 / 500)  # contrib's truncated normal, factor 1, FAN_AVG
    assert np.abs(nv).max() <= 2 * std + 1e-6
    np.testing.assert_allclose(nv.std(), 0.8796 * std, rtol=0.05)
    assert np.abs(cv).max() <= np.sqrt(6.0 / (9 * 16 + 9 * 32))
    assert uv.dtype == np.float32


def test_variance_scaling_initializer_contrib_semantics() -> None:
    tf.set_random_seed(4)
    he = tf.get_variable(
        "he", [400, 100], initializer=contrib_layers.variance_scaling_initializer()
    )
    uni = tf.get_variable(
        "uni",
        [400, 100],
        initializer=contrib_layers.variance_scaling_initializer(
            factor=1.0, mode="FAN_OUT", uniform=True
        ),
    )
    with tf.Session() as sess:
        _run_init(sess)
        hv, uv = sess.run([he, uni])
    std = np.sqrt(1.3 * 2.0 / 400)
    np.testing.assert_allclose(hv.std(), 0.8796 * std, rtol=0.05)
    limit = np.sqrt(3.0 / 100)
    assert np.abs(uv).max() <= limit and np.abs(uv).max() > 0.98 * limit
    with pytest.raises(TypeError, match="Unknown mode"):
        contrib_layers.variance_scaling_initializer(mode="fan_in")
    with pytest.raises(TypeError, match="non-floating"):
        contrib_layers.variance_scaling_initializer(dtype=tf.int32)


def test_contrib_fully_connected() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    y = contrib_layers.fully_connected(x, 4)
    z = contrib_layers.fully_connected(y, 2, activation_fn=None, scope="logits")
    assert _names(tf.global_variables()) == [
        "fully_connected/weights:0",
        "fully_connected/biases:0",
        "logits/weights:0",
        "logits/biases:0",
    ]
    assert _names(tf.model_variables()) == _names(tf.global_variables())
    xv = RNG.standard_normal((5, 3)).astype(np.float32)
    with tf.Session() as sess:
        _run_init(sess)
        out, w1, b1, w2, b2 = sess.run([z] + tf.global_variables(), {x: xv})
    np.testing.assert_allclose(out, np.maximum(xv @ w1 + b1, 0) @ w2 + b2, rtol=1e-5, atol=1e-6)


# -- end to end --------------------------------------------------------------------------------
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], np.float32)


def _xor_net():
    tf.set_random_seed(0)
    x = tf.placeholder(tf.float32, [None, 2])
    t = tf.placeholder(tf.float32, [None, 1])
    h = layers.dense(x, 8, activation=activation_ops.tanh, name="hidden")
    logits = layers.dense(h, 1, name="out")
    prob = activation_ops.sigmoid(logits)
    loss = tf.reduce_mean(tf.square(prob - t))
    return x, t, prob, loss


def test_xor_with_plain_gradients_and_assign_sub() -> None:
    x, t, prob, loss = _xor_net()
    params = tf.trainable_variables()
    grads = tf.gradients(loss, params)
    step = tf.group(*[tf.assign_sub(p, 2.0 * g) for p, g in zip(params, grads)])
    feed = {x: XOR_X, t: XOR_Y}
    with tf.Session() as sess:
        _run_init(sess)
        first = sess.run(loss, feed)
        for _ in range(500):
            sess.run(step, feed)
        final, p = sess.run([loss, prob], feed)
    assert final < first / 4
    np.testing.assert_array_equal((p > 0.5).astype(np.float32), XOR_Y)


def test_xor_with_gradient_descent_optimizer() -> None:
    x, t, prob, loss = _xor_net()
    train_op = _train().GradientDescentOptimizer(2.0).minimize(loss)
    feed = {x: XOR_X, t: XOR_Y}
    with tf.Session() as sess:
        _run_init(sess)
        for _ in range(500):
            sess.run(train_op, feed)
        p = sess.run(prob, feed)
    np.testing.assert_array_equal((p > 0.5).astype(np.float32), XOR_Y)


def test_contrib_apply_regularization_and_l1_l2() -> None:
    w1 = tf.get_variable("w1", [2, 3], initializer=tf.constant_initializer(2.0))
    w2 = tf.get_variable("w2", [4], initializer=tf.constant_initializer(-1.0))
    penalty = contrib_layers.apply_regularization(
        contrib_layers.l1_l2_regularizer(scale_l1=0.1, scale_l2=0.2), [w1, w2]
    )
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == [penalty]
    with tf.Session() as sess:
        _run_init(sess)
        got = sess.run(penalty)
    l1 = 0.1 * (6 * 2 + 4 * 1)
    l2 = 0.2 * (6 * 4 + 4 * 1) / 2
    np.testing.assert_allclose(got, l1 + l2, rtol=1e-6)
    with pytest.raises(ValueError, match="No weights"):
        contrib_layers.apply_regularization(contrib_layers.l2_regularizer(0.1), [])


def test_conv2d_class_attributes_and_aliases() -> None:
    conv = layers.Conv2D(6, 5, padding="same", kernel_regularizer=layers.l2_regularizer(0.1))
    y = conv(tf.placeholder(tf.float32, [None, 8, 8, 2]))
    assert y.shape.as_list() == [None, 8, 8, 6]
    assert conv.kernel.name == "conv2d/kernel:0" and conv.bias.name == "conv2d/bias:0"
    assert conv.weights == [conv.kernel, conv.bias] and len(conv.losses) == 1
    assert layers.Convolution2D is layers.Conv2D and layers.MaxPool2D is layers.MaxPooling2D


def test_activation_names_as_tf_1_15_layers_accept_them() -> None:
    x = tf.placeholder(tf.float32, [None, 4])
    assert tf.layers.dense(x, 3, activation="relu").op.type == "Relu"
    img = tf.placeholder(tf.float32, [None, 5, 5, 1])
    assert tf.layers.conv2d(img, 2, 3, activation="tanh").op.type == "Tanh"
    with pytest.raises(ValueError, match="Unknown activation 'relux'.*'relu'"):
        tf.layers.dense(x, 3, activation="relux")


def test_a_network_built_twice_in_a_reused_scope_shares_its_layers() -> None:
    # The "tower" pattern: re-entering the scope with reuse=True restarts the default layer
    # names (conv2d, conv2d_1, dense), as TF does.
    x = tf.placeholder(tf.float32, [None, 8, 8, 1])

    def net(inputs):
        h = tf.layers.conv2d(inputs, 4, 3)
        h = tf.layers.conv2d(h, 4, 3)
        return tf.layers.dense(tf.layers.flatten(h), 2)

    with tf.variable_scope("ConvNet"):
        a = net(x)
    with tf.variable_scope("ConvNet", reuse=True):
        b = net(x)
    assert [v.op.name for v in tf.global_variables()] == [
        "ConvNet/conv2d/kernel",
        "ConvNet/conv2d/bias",
        "ConvNet/conv2d_1/kernel",
        "ConvNet/conv2d_1/bias",
        "ConvNet/dense/kernel",
        "ConvNet/dense/bias",
    ]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        xv = np.ones((2, 8, 8, 1), np.float32)
        np.testing.assert_array_equal(*sess.run([a, b], {x: xv}))
