"""DeepConvNet (the book's ch. 8): the book's layer shapes and parameter count, He init, the
book's dropout train vs test, gradients on a tiny version, and a short run on real digits."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.models import DeepConvNet
from tests.models._util import check_param_gradients, fixed_uniform_feeds, n_params, train

# (filter_num, in_channels) per convolution, and the book's total of weights and biases
BOOK_CONVS = [(16, 1), (16, 16), (32, 16), (32, 32), (64, 32), (64, 64)]
BOOK_TOTAL = sum(n * c * 9 + n for n, c in BOOK_CONVS) + 64 * 4 * 4 * 50 + 50 + 50 * 10 + 10


def test_the_books_shapes_and_parameter_count() -> None:
    net = DeepConvNet()
    assert list(net.params) == [f"{p}{i}" for i in range(1, 9) for p in "Wb"]
    for i, (n, c) in enumerate(BOOK_CONVS, start=1):
        assert net.params[f"W{i}"].shape.as_list() == [3, 3, c, n]  # HWIO
        assert net.params[f"b{i}"].shape.as_list() == [n]
    # the book's conv4 pads by 2: 14x14 -> 16x16, so the last pool leaves 4x4x64
    assert net.params["W7"].shape.as_list() == [64 * 4 * 4, 50]
    assert net.params["W8"].shape.as_list() == [50, 10]
    assert n_params(net.params) == BOOK_TOTAL == 123_552
    assert net.x.shape.as_list() == [None, 28, 28, 1]
    assert net.logits.shape.as_list() == [None, 10]
    assert net.training.dtype == tf.bool
    assert set(tf.trainable_variables()) == set(net.params.values())


def test_custom_conv_params_and_errors() -> None:
    same = [{"filter_num": 4, "filter_size": 3, "pad": 1, "stride": 1}] * 6
    net = DeepConvNet(conv_params=same, hidden_size=8, output_size=5)
    assert net.params["W7"].shape.as_list() == [4 * 3 * 3, 8]  # 28 -> 14 -> 7 -> 3
    assert net.logits.shape.as_list() == [None, 5]
    with pytest.raises(ValueError, match="6 conv_params"):
        DeepConvNet(conv_params=same[:4])
    with pytest.raises(ValueError, match="dropout_ratio"):
        DeepConvNet(dropout_ratio=1.0)


def test_he_initial_std() -> None:
    with tf.Session() as sess:
        net = DeepConvNet(seed=1)
        sess.run(tf.global_variables_initializer())
        values = sess.run(net.params)
    fan_in = [c * 9 for _, c in BOOK_CONVS] + [1024, 50]
    for i, n in enumerate(fan_in, start=1):
        w = values[f"W{i}"]
        rtol = 4.5 / np.sqrt(2 * w.size)  # 4.5 x the spread of a sample std (see the MLP test)
        np.testing.assert_allclose(w.std(), np.sqrt(2.0 / n), rtol=rtol, err_msg=f"W{i}")
        np.testing.assert_array_equal(values[f"b{i}"], 0)


def test_dropout_train_vs_test(digits) -> None:
    x, t, _, _ = digits
    net = DeepConvNet(seed=0)
    feed = {net.x: x[:8].reshape(-1, 28, 28, 1), net.t: t[:8]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run(net.logits, feed), sess.run(net.logits, feed)
        c, d = (sess.run(net.logits, {**feed, net.training: True}) for _ in range(2))
        # the book's test-time dropout scales (does not change) the logits: half of the
        # training-mode logits with every unit kept
        keep_all = fixed_uniform_feeds(tf.get_default_graph(), [(8, 50), (8, 10)])
        keep_all = {k: np.ones_like(v) for k, v in keep_all.items()}
        full = sess.run(net.logits, {**feed, net.training: True, **keep_all})
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(c, d)
    # hidden layer x 0.5, then logits (affine of it) x 0.5: (0.5 * h W8 + b8) * 0.5, b8 = 0
    np.testing.assert_allclose(a, 0.25 * full, rtol=1e-5, atol=1e-7)
    assert (c == 0).mean() > 0.3  # about half the logits dropped


def test_gradient_check_tiny_version() -> None:
    """Backprop vs central differences for all 16 parameters of an 8x8, few-filter version
    (padding 1 and the book's padding 2 on conv4, pools, dropout with fixed draws; float64)."""
    convs = [(2, 1), (2, 1), (3, 1), (3, 2), (2, 1), (2, 1)]  # (filter_num, pad)
    conv_params = [{"filter_num": n, "filter_size": 3, "pad": p, "stride": 1} for n, p in convs]
    net = DeepConvNet(
        input_dim=(1, 8, 8),
        conv_params=conv_params,
        hidden_size=4,
        output_size=3,
        seed=2,
        dtype=tf.float64,
    )
    # 8 -> 8 -> 8, pool 4 -> 4 -> 6 (pad 2), pool 3 -> 3 -> 3, pool 1: 2 features
    assert net.params["W7"].shape.as_list() == [2, 4]
    rng = np.random.default_rng(0)
    feed = {
        net.x: rng.uniform(size=(3, 8, 8, 1)),
        net.t: np.array([0, 2, 1], np.int32),
        net.training: True,
        **fixed_uniform_feeds(tf.get_default_graph(), [(3, 4), (3, 3)], seed=1),
    }
    check_param_gradients(net.loss, net.params, feed, eps=1e-6, atol=1e-7)


@pytest.mark.slow
def test_short_training_run(digits) -> None:
    """A forward/backward smoke run: 80 Adam steps (the book's optimizer, lr 1e-3) on batches of
    32 real digits; the training loss falls, and so does the test-time loss on 300 held-out
    digits, whose accuracy leaves chance."""
    x, t, xt, tt = digits
    net = DeepConvNet(seed=0)
    step = tf.train.AdamOptimizer(1e-3).minimize(net.loss)
    held_out = {net.x: xt[:300].reshape(-1, 28, 28, 1), net.t: tt[:300]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(net.loss, held_out)
        losses = train(net, step, x.reshape(-1, 28, 28, 1), t, steps=80, batch=32, training=True)
        after, acc = sess.run([net.loss, net.accuracy], held_out)
    means = np.array(losses).reshape(4, -1).mean(axis=1)
    # measured over seeds 0-2: last / first training window 0.82-0.84, held-out loss
    # 2.31-2.40 -> 1.56-1.59, held-out accuracy 0.58-0.79 (seed 0: 0.76)
    assert means[-1] < 0.92 * means[0], means
    assert after < 0.8 * before, (before, after)
    assert acc > 0.45, acc
