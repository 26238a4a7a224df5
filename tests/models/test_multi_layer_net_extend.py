"""MultiLayerNetExtend (the book's ch. 6): batch norm and dropout as the book computes them,
train vs test behaviour, moving averages through UPDATE_OPS, gradients, and the book's batch-norm
and dropout findings on real digits."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.models import MultiLayerNet, MultiLayerNetExtend
from tests.models._util import (
    check_param_gradients,
    falls_on_average,
    fixed_uniform_feeds,
    n_params,
    train,
)

EPS = 1e-6  # the book's 10e-7


def numpy_forward(p, stats, x, *, training, use_bn, drop_ratio=None, draws=None):
    """The book's MultiLayerNetExtend.predict() in NumPy (ReLU). `draws` are the uniform
    numbers behind each dropout mask (kept where draw > ratio)."""
    n_hidden = sum(k.startswith("W") for k in p) - 1
    h = x.astype(np.float64)
    for i in range(1, n_hidden + 1):
        h = h @ p[f"W{i}"] + p[f"b{i}"]
        if use_bn:
            if training:
                mu, var = h.mean(0), ((h - h.mean(0)) ** 2).mean(0)
            else:
                mu, var = stats[f"running_mean{i}"], stats[f"running_var{i}"]
            h = p[f"gamma{i}"] * (h - mu) / np.sqrt(var + EPS) + p[f"beta{i}"]
        h = np.maximum(h, 0)
        if drop_ratio is not None:
            h = h * (draws[i - 1] > drop_ratio) if training else h * (1 - drop_ratio)
    return h @ p[f"W{n_hidden + 1}"] + p[f"b{n_hidden + 1}"]


def batch_norm_values(net, rng) -> dict:
    """Non-trivial values for gamma, beta and the running averages (they start at 1 / 0, and
    the book's running variance at 0), keyed by Variable for Variable.load."""
    out = {}
    for k, v in {**net.params, **net.running_stats}.items():
        shape = v.shape.as_list()
        if k.startswith(("gamma", "running_var")):
            out[v] = rng.uniform(0.5, 1.5, shape)
        elif k.startswith(("beta", "running_mean")):
            out[v] = rng.normal(size=shape)
    return out


# -- architecture ------------------------------------------------------------------------------
def test_parameters_in_the_books_order_and_counts() -> None:
    net = MultiLayerNetExtend(784, [100] * 5, 10, use_batchnorm=True, use_dropout=True)
    plain = 784 * 100 + 100 + 4 * (100 * 100 + 100) + 100 * 10 + 10
    assert list(net.params) == (
        [f"{p}{i}" for i in range(1, 7) for p in "Wb"]
        + [f"{p}{i}" for i in range(1, 6) for p in ("gamma", "beta")]
    )
    assert n_params(net.params) == plain + 5 * 2 * 100  # 121,910
    assert list(net.running_stats) == [
        f"running_{s}{i}" for i in range(1, 6) for s in ("mean", "var")
    ]
    assert set(tf.trainable_variables()) == set(net.params.values())
    assert set(tf.global_variables()) == set(net.params.values()) | set(net.running_stats.values())
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 10
    assert net.training.dtype == tf.bool and net.training.shape.ndims == 0
    assert net.logits.shape.as_list() == [None, 10]

    tf.reset_default_graph()
    bare = MultiLayerNetExtend(784, [100] * 5, 10)
    assert n_params(bare.params) == plain and bare.running_stats == {}
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


def test_bad_dropout_ratio() -> None:
    with pytest.raises(ValueError, match="dropout_ration.*1.5"):
        MultiLayerNetExtend(use_dropout=True, dropout_ration=1.5)


def test_without_extensions_it_is_multi_layer_net(digits) -> None:
    x, t, _, _ = digits
    fetch = []
    for cls in (MultiLayerNet, MultiLayerNetExtend):
        tf.reset_default_graph()
        net = cls(784, [50, 50], 10, weight_decay_lambda=0.05, seed=4)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            fetch.append(sess.run([net.logits, net.loss], {net.x: x[:10], net.t: t[:10]}))
    np.testing.assert_array_equal(fetch[0][0], fetch[1][0])
    np.testing.assert_array_equal(fetch[0][1], fetch[1][1])


# -- batch norm and dropout vs NumPy, train and test -------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_forward_matches_the_book(digits, training) -> None:
    x, t, _, _ = digits
    widths, batch, ratio = [30, 20], 16, 0.3
    net = MultiLayerNetExtend(
        784,
        widths,
        10,
        use_batchnorm=True,
        use_dropout=True,
        dropout_ration=ratio,
        weight_decay_lambda=0.02,
        seed=5,
        dtype=tf.float64,
    )
    draws = fixed_uniform_feeds(tf.get_default_graph(), [(batch, w) for w in widths])
    feed = {net.x: x[:batch], net.t: t[:batch], net.training: training, **draws}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for var, value in batch_norm_values(net, np.random.default_rng(0)).items():
            var.load(value, sess)
        p, stats = sess.run(net.params), sess.run(net.running_stats)
        logits, loss = sess.run([net.logits, net.loss], feed)
    ref = numpy_forward(
        p,
        stats,
        x[:batch],
        training=training,
        use_bn=True,
        drop_ratio=ratio,
        draws=list(draws.values()),
    )
    np.testing.assert_allclose(logits, ref, rtol=1e-9, atol=1e-10)
    z = ref - ref.max(1, keepdims=True)
    ce = -(z - np.log(np.exp(z).sum(1, keepdims=True)))[np.arange(batch), t[:batch]].mean()
    decay = 0.5 * 0.02 * sum(np.sum(p[f"W{i}"] ** 2) for i in (1, 2, 3))
    np.testing.assert_allclose(loss, ce + decay, rtol=1e-9)


def test_dropout_is_random_in_training_and_fixed_at_test(digits) -> None:
    x, t, _, _ = digits
    ratio = 0.2
    net = MultiLayerNetExtend(784, [200, 200], 10, use_dropout=True, dropout_ration=ratio)
    masks = [
        op.outputs[0]
        for op in tf.get_default_graph().get_operations()
        if op.name.endswith("dropout/mask")
    ]
    assert len(masks) == 2
    feed = {net.x: x[:100]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        test_a, test_b = sess.run(net.logits, feed), sess.run(net.logits, feed)
        train_a, m = sess.run([net.logits, masks], {**feed, net.training: True})
        train_b = sess.run(net.logits, {**feed, net.training: True})
    np.testing.assert_array_equal(test_a, test_b)
    assert not np.allclose(train_a, train_b)
    for mask in m:
        assert set(np.unique(mask)) == {0.0, 1.0}  # the book's mask: kept units are unscaled
        # 20,000 Bernoulli(0.8) draws: std of the mean 0.003
        np.testing.assert_allclose(mask.mean(), 1 - ratio, atol=0.015)


def test_moving_averages_follow_minimize_only_when_training(digits) -> None:
    """running = 0.9 * running + 0.1 * batch statistic, via UPDATE_OPS run by minimize(); the
    same step with training False (or any evaluation) leaves them alone."""
    x, t, _, _ = digits
    net = MultiLayerNetExtend(784, [20, 10], 10, use_batchnorm=True, seed=1, dtype=tf.float64)
    step = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
    rng = np.random.default_rng(0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        expected = {k: np.zeros(v.shape.as_list()) for k, v in net.running_stats.items()}
        for _ in range(3):
            idx = rng.choice(len(x), 50, replace=False)
            p = sess.run(net.params)
            h = x[idx].astype(np.float64) @ p["W1"] + p["b1"]
            h1 = h
            h = p["gamma1"] * (h - h.mean(0)) / np.sqrt(h.var(0) + EPS) + p["beta1"]
            h2 = np.maximum(h, 0) @ p["W2"] + p["b2"]
            for i, pre in ((1, h1), (2, h2)):
                for stat, batch_value in (("mean", pre.mean(0)), ("var", pre.var(0))):
                    key = f"running_{stat}{i}"
                    expected[key] = 0.9 * expected[key] + 0.1 * batch_value
            sess.run(step, {net.x: x[idx], net.t: t[idx], net.training: True})
            stats = sess.run(net.running_stats)
            for k in expected:
                np.testing.assert_allclose(stats[k], expected[k], rtol=1e-10, err_msg=k)
        before, stats_before = sess.run([net.params, net.running_stats])
        # a step without training=True trains the weights but not the averages
        sess.run(step, {net.x: x[:50], net.t: t[:50]})
        sess.run([net.loss, net.accuracy, net.logits], {net.x: x[:50], net.t: t[:50]})
        sess.run(tf.get_collection(tf.GraphKeys.UPDATE_OPS), {net.x: x[:50]})
        after, stats_after = sess.run([net.params, net.running_stats])
    assert not np.allclose(before["W1"], after["W1"])
    for k in expected:
        np.testing.assert_array_equal(stats_after[k], stats_before[k], err_msg=k)


# -- gradients ---------------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_gradient_check_tiny_net(training) -> None:
    """Backprop vs central differences through batch norm (batch statistics in training,
    running ones at test), the book's dropout with fixed draws and weight decay (float64)."""
    rng = np.random.default_rng(1)
    widths, batch = [5, 4], 6
    net = MultiLayerNetExtend(
        6,
        widths,
        3,
        use_batchnorm=True,
        use_dropout=True,
        dropout_ration=0.3,
        weight_decay_lambda=0.1,
        weight_init_std=0.5,
        seed=3,
        dtype=tf.float64,
    )
    feed = {
        net.x: rng.standard_normal((batch, 6)),
        net.t: rng.integers(0, 3, batch, np.int32),
        net.training: training,
        **fixed_uniform_feeds(tf.get_default_graph(), [(batch, w) for w in widths]),
    }
    values = batch_norm_values(net, rng)
    check_param_gradients(net.loss, net.params, feed, values=values)


# -- training on real digits -------------------------------------------------------------------
@pytest.mark.slow
def test_batch_norm_learns_where_the_plain_net_does_not(digits) -> None:
    """The book's ch. 6 batch-norm experiment: 5 ReLU layers of 100 with std-0.01 weights; with
    batch norm SGD learns in 300 steps, without it the signal vanishes (chance)."""
    x, t, xt, tt = digits
    acc = {}
    for use_bn in (True, False):
        tf.reset_default_graph()
        net = MultiLayerNetExtend(
            784, [100] * 5, 10, weight_init_std=0.01, use_batchnorm=use_bn, seed=0
        )
        step = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = train(net, step, x, t, steps=300, batch=100, training=True)
            # evaluated at test time: the running averages, not the test batch's statistics
            acc[use_bn] = sess.run(net.accuracy, {net.x: xt, net.t: tt})
        if use_bn:
            falls_on_average(losses, factor=0.3)
    assert acc[True] > 0.88, acc  # measured 0.918-0.937 over seeds 0-2
    assert acc[False] < 0.2, acc  # measured 0.084-0.109


@pytest.mark.slow
def test_dropout_net_learns(digits) -> None:
    x, t, xt, tt = digits
    net = MultiLayerNetExtend(
        784, [100, 100, 100], 10, use_dropout=True, dropout_ration=0.2, seed=0
    )
    step = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = train(net, step, x, t, steps=300, batch=100, training=True)
        acc = sess.run(net.accuracy, {net.x: xt, net.t: tt})
    falls_on_average(losses)
    assert acc > 0.85, acc  # measured 0.891-0.901 over seeds 0-2
