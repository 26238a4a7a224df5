"""End to end on real digits (the bundled MNIST subset): the book's gradient check, and training
runs that must cross accuracy thresholds set from measured runs (with a margin)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.datasets import mnist
from flowzero.models import SimpleConvNet, TwoLayerNet
from flowzero.testing.gradient_check import numerical_gradient


@pytest.fixture(scope="module")
def digits():
    (x, t), (xt, tt) = mnist.load_mnist(normalize=True, flatten=True, source="subset")
    return x, t.astype(np.int32), xt, tt.astype(np.int32)


def _train(net, train_op, x, t, steps: int, batch: int, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    sess = tf.get_default_session()
    losses = []
    for _ in range(steps):
        idx = rng.choice(len(x), batch, replace=False)
        loss, _ = sess.run([net.loss, train_op], {net.x: x[idx], net.t: t[idx]})
        losses.append(float(loss))
    return losses


def _falls_on_average(losses: list[float], windows: int = 5) -> None:
    means = np.array(losses).reshape(windows, -1).mean(axis=1)
    assert means[-1] < 0.5 * means[0], f"loss did not fall: window means {means}"
    assert all(means[i + 1] < means[i] * 1.1 for i in range(windows - 1)), means


@pytest.mark.slow
def test_book_gradient_check_two_layer_net(digits) -> None:
    """The book's ch. 5 check: backprop vs numerical gradient on 3 real images, float64."""
    x, t, _, _ = digits
    net = TwoLayerNet(784, 50, 10, weight_init_std=0.01, seed=0, dtype=tf.float64)
    params = net.params
    grads = tf.gradients(net.loss, list(params.values()))
    feed = {net.x: x[:3].astype(np.float64), net.t: t[:3]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        backprop = dict(zip(params, sess.run(grads, feed)))
        for name, var in params.items():
            value = sess.run(var)

            def loss_at(w, var=var):
                return sess.run(net.loss, {**feed, var.value(): w})

            numerical = numerical_gradient(loss_at, value.copy(), eps=1e-4)
            diff = np.abs(backprop[name] - numerical).mean()
            assert diff < 1e-6, f"{name}: mean |backprop - numerical| = {diff:.3g}"


def test_softmax_regression_learns_digits(digits) -> None:
    x, t, xt, tt = digits
    images = tf.placeholder(tf.float32, [None, 784])
    labels = tf.placeholder(tf.int32, [None])
    w = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    logits = tf.matmul(images, w) + b
    loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    acc = tf.reduce_mean(
        tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), labels), tf.float32)
    )
    rng = np.random.default_rng(0)
    losses = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(300):
            idx = rng.choice(len(x), 100, replace=False)
            losses.append(sess.run([loss, train], {images: x[idx], labels: t[idx]})[0])
        test_acc = sess.run(acc, {images: xt, labels: tt})
    _falls_on_average(losses)
    assert test_acc > 0.84, test_acc  # measured 0.87-0.89


def test_two_layer_net_learns_digits(digits) -> None:
    x, t, xt, tt = digits
    net = TwoLayerNet(seed=0)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = _train(net, train, x, t, steps=600, batch=100)
        test_acc = sess.run(net.accuracy, {net.x: xt, net.t: tt})
    _falls_on_average(losses)
    assert test_acc > 0.86, test_acc  # measured 0.895


@pytest.mark.slow
def test_small_conv_net_learns_digits(digits) -> None:
    x, t, xt, tt = digits
    net = SimpleConvNet(filter_num=8, hidden_size=32, seed=0)
    train = tf.train.AdamOptimizer(1e-3).minimize(net.loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = _train(net, train, x.reshape(-1, 28, 28, 1), t, steps=200, batch=50)
        test_acc = sess.run(net.accuracy, {net.x: xt.reshape(-1, 28, 28, 1), net.t: tt})
    _falls_on_average(losses)
    assert test_acc > 0.80, test_acc  # measured 0.846
