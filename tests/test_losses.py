"""tf.losses vs NumPy (weights, every Reduction, the LOSSES collection) and the book's losses on
the book's own worked examples ("Deep Learning from Scratch", ch. 4)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
import flowzero.losses as losses
from flowzero.framework.errors import InvalidArgumentError
from flowzero.testing import gradient_check

R = losses.Reduction
RNG = np.random.default_rng(0)
LABELS = RNG.uniform(size=(4, 3))
PREDS = RNG.uniform(size=(4, 3))
W_ROW = np.array([[1.0], [0.0], [2.0], [0.5]])  # one weight per example, one of them zero


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _reduce(per_elem, weights, reduction):
    """TF1's reductions, written out in NumPy."""
    w = np.broadcast_to(np.asarray(weights, dtype=np.float64), per_elem.shape)
    weighted = per_elem * w
    if reduction == R.NONE:
        return weighted
    total = weighted.sum()
    den = {
        R.SUM: 1.0,
        R.MEAN: w.sum(),
        R.SUM_OVER_BATCH_SIZE: per_elem.size,
        R.SUM_BY_NONZERO_WEIGHTS: np.count_nonzero(w),
    }[reduction]
    return 0.0 if den == 0 else total / den


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x):
    z = x - x.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


PER_ELEMENT = {
    "absolute_difference": (
        lambda **kw: losses.absolute_difference(LABELS, PREDS, **kw),
        np.abs(PREDS - LABELS),
    ),
    "mean_squared_error": (
        lambda **kw: losses.mean_squared_error(LABELS, PREDS, **kw),
        (PREDS - LABELS) ** 2,
    ),
    "huber_loss": (
        lambda **kw: losses.huber_loss(LABELS, 3 * PREDS, delta=0.5, **kw),
        np.where(
            np.abs(3 * PREDS - LABELS) <= 0.5,
            0.5 * (3 * PREDS - LABELS) ** 2,
            0.5 * (np.abs(3 * PREDS - LABELS) - 0.25),
        ),
    ),
    "log_loss": (
        lambda **kw: losses.log_loss(LABELS, PREDS, **kw),
        -LABELS * np.log(PREDS + 1e-7) - (1 - LABELS) * np.log(1 - PREDS + 1e-7),
    ),
    "hinge_loss": (
        lambda **kw: losses.hinge_loss((LABELS > 0.5) * 1.0, PREDS * 4 - 2, **kw),
        np.maximum(0, 1 - (2 * (LABELS > 0.5) - 1) * (PREDS * 4 - 2)),
    ),
    "sigmoid_cross_entropy": (
        lambda **kw: losses.sigmoid_cross_entropy(LABELS, PREDS * 6 - 3, **kw),
        -LABELS * np.log(_sigmoid(PREDS * 6 - 3))
        - (1 - LABELS) * np.log(1 - _sigmoid(PREDS * 6 - 3)),
    ),
}


@pytest.mark.parametrize("name", sorted(PER_ELEMENT))
@pytest.mark.parametrize("reduction", R.all())
@pytest.mark.parametrize("weights", [1.0, 2.5, "rows", "zeros"])
def test_elementwise_losses_match_numpy(name, reduction, weights):
    build, per_elem = PER_ELEMENT[name]
    w = {"rows": W_ROW, "zeros": np.zeros((4, 1))}.get(weights, weights)
    loss = build(weights=w, reduction=reduction)
    got = _run(loss)
    np.testing.assert_allclose(got, _reduce(per_elem, w, reduction), rtol=1e-10, atol=1e-12)
    assert np.all(np.isfinite(got))  # all-zero weights give 0, not nan
    assert loss.dtype == tf.float64  # float64 in, float64 out (no silent downcast)
    assert tf.get_collection(tf.GraphKeys.LOSSES) == [loss]


def test_default_reduction_is_sum_by_nonzero_weights():
    loss = losses.mean_squared_error(LABELS, PREDS, weights=W_ROW)
    want = ((PREDS - LABELS) ** 2 * W_ROW).sum() / 9  # 3 of 4 rows have non-zero weight
    np.testing.assert_allclose(_run(loss), want, rtol=1e-12)
    assert R.SUM_OVER_NONZERO_WEIGHTS == R.SUM_BY_NONZERO_WEIGHTS


def test_float32_stays_float32_and_ints_become_float32():
    loss = losses.mean_squared_error(labels=[1, 2], predictions=tf.constant([1.0, 4.0]))
    assert loss.dtype == tf.float32
    np.testing.assert_allclose(_run(loss), 2.0)
    loss = losses.absolute_difference([1, 2], [1, 5])
    assert loss.dtype == tf.float32
    np.testing.assert_allclose(_run(loss), 1.5)


def test_softmax_cross_entropy_weights_and_label_smoothing():
    logits = RNG.normal(size=(4, 5))
    onehot = np.eye(5)[[1, 0, 4, 2]]
    w = np.array([1.0, 0.0, 2.0, 3.0])
    per_row = -(onehot * _log_softmax(logits)).sum(-1)
    loss = losses.softmax_cross_entropy(onehot, logits, weights=w)
    np.testing.assert_allclose(_run(loss), (per_row * w).sum() / 3, rtol=1e-12)
    smooth = onehot * 0.9 + 0.1 / 5
    loss_s = losses.softmax_cross_entropy(onehot, logits, label_smoothing=0.1)
    np.testing.assert_allclose(
        _run(loss_s), (-(smooth * _log_softmax(logits)).sum(-1)).mean(), rtol=1e-12
    )
    # unknown class count: the smoothing divisor is computed at run time
    ph = tf.placeholder(tf.float64, [None, None])
    loss_d = losses.softmax_cross_entropy(ph, logits, label_smoothing=0.1)
    np.testing.assert_allclose(_run(loss_d, {ph: onehot}), _run(loss_s), rtol=1e-12)
    assert len(tf.get_collection(tf.GraphKeys.LOSSES)) == 3


def test_sparse_softmax_cross_entropy_and_sigmoid_label_smoothing():
    logits = RNG.normal(size=(3, 4))
    labels = np.array([3, 0, 1])
    loss = losses.sparse_softmax_cross_entropy(labels, logits, weights=[2.0, 1.0, 0.0])
    per_row = -_log_softmax(logits)[np.arange(3), labels]
    np.testing.assert_allclose(_run(loss), (per_row * [2, 1, 0]).sum() / 2, rtol=1e-12)
    z = (LABELS > 0.5) * 1.0
    x = PREDS * 6 - 3
    zs = z * 0.8 + 0.5 * 0.2
    want = (-zs * np.log(_sigmoid(x)) - (1 - zs) * np.log(1 - _sigmoid(x))).mean()
    np.testing.assert_allclose(
        _run(losses.sigmoid_cross_entropy(z, x, label_smoothing=0.2)), want, rtol=1e-12
    )
    lab = tf.placeholder(tf.int32, [None])
    bad = losses.sparse_softmax_cross_entropy(lab, logits)
    with pytest.raises(InvalidArgumentError, match="label value of 4"):
        _run(bad, {lab: [0, 4, 1]})


def test_cosine_distance():
    a = np.array([[1.0, 0.0], [0.6, 0.8]])
    b = np.array([[0.0, 1.0], [0.6, 0.8]])
    loss = losses.cosine_distance(a, b, axis=1, reduction=R.NONE)
    np.testing.assert_allclose(_run(loss), [[1.0], [0.0]], atol=1e-12)
    with pytest.raises(ValueError, match="axis"):
        losses.cosine_distance(a, b)


def test_gradients_of_tf_losses():
    w = np.array([[1.0], [0.0], [2.0], [0.5]])
    for fn in (
        losses.mean_squared_error,
        losses.absolute_difference,
        losses.log_loss,
        losses.huber_loss,
    ):
        gradient_check.assert_gradients_close(
            lambda p, fn=fn: fn(LABELS, p, weights=w), [PREDS + 0.01], rtol=1e-5
        )
    gradient_check.assert_gradients_close(
        lambda lg: losses.softmax_cross_entropy(np.eye(3)[[0, 2, 1, 1]], lg, label_smoothing=0.1),
        [RNG.normal(size=(4, 3))],
    )


def test_collections_add_loss_and_totals():
    a = losses.mean_squared_error([1.0], [3.0])  # 4
    b = losses.absolute_difference([1.0], [3.0], loss_collection=None)  # not collected
    c = tf.constant(0.5)
    losses.add_loss(c)
    assert losses.get_losses() == [a, c]
    np.testing.assert_allclose(_run(losses.get_regularization_loss()), 0.0)
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(0.25))
    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, tf.constant(0.75))
    reg = losses.get_regularization_loss()
    assert reg.dtype == tf.float32
    np.testing.assert_allclose(
        _run(
            [
                reg,
                losses.get_total_loss(),
                losses.get_total_loss(add_regularization_losses=False),
                b,
            ]
        ),
        [1.0, 5.5, 4.5, 2.0],
    )
    assert len(losses.get_regularization_losses()) == 2


def test_scoped_losses_and_names():
    with tf.name_scope("tower_0"):
        a = losses.mean_squared_error([1.0], [2.0])
    losses.mean_squared_error([1.0], [2.0])
    assert losses.get_losses(scope="tower_0") == [a]
    assert a.name.startswith("tower_0/mean_squared_error/")


def test_errors():
    with pytest.raises(ValueError, match="Invalid Reduction"):
        losses.mean_squared_error([1.0], [1.0], reduction="average")
    with pytest.raises(ValueError, match="incompatible"):
        losses.mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        losses.mean_squared_error([1.0, 2.0], [1.0, 2.0], weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weights can not be broadcast"):
        losses.mean_squared_error([[1.0], [2.0]], [[1.0], [2.0]], weights=[[1.0, 2.0]])
    with pytest.raises(ValueError, match="no losses"):
        losses.get_total_loss()


# -- the book's losses (ch. 4) -----------------------------------------------------------------
T = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
Y_RIGHT = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
Y_WRONG = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]


def test_book_worked_examples():
    got = _run(
        [
            losses.sum_of_squares(Y_RIGHT, T),
            losses.cross_entropy_error(Y_RIGHT, T),
            losses.sum_squared_error(Y_WRONG, T),
            losses.cross_entropy_error(Y_WRONG, T),
        ]
    )
    np.testing.assert_allclose(
        got, [0.0975, 0.510825457099338, 0.5975, 2.302584092994546], rtol=1e-6
    )
    # in float64 the book's numbers are exact to the printed digits
    got64 = _run(
        [
            losses.sum_of_squares(np.array(Y_RIGHT), T),
            losses.cross_entropy_error(np.array(Y_RIGHT), T),
            losses.sum_of_squares(np.array(Y_WRONG), T),
            losses.cross_entropy_error(np.array(Y_WRONG), T),
        ]
    )
    np.testing.assert_allclose(
        got64, [0.0975, 0.510825457099338, 0.5975, 2.302584092994546], rtol=1e-14
    )
    assert tf.get_collection(tf.GraphKeys.LOSSES) == []  # the book's plain functions


def test_book_cross_entropy_batches_one_hot_and_labels_agree():
    y = np.array([Y_RIGHT, Y_WRONG, Y_RIGHT])
    labels = np.array([2, 2, 7])
    onehot = np.eye(10)[labels]
    want = -np.sum(np.log(y[np.arange(3), labels] + 1e-7)) / 3  # the book's label version
    got = _run(
        [
            losses.cross_entropy_error(y, onehot),
            losses.cross_entropy_error(y, labels),
            losses.cross_entropy_error(np.array(Y_WRONG), 2),
            losses.cross_entropy_error(np.array(Y_WRONG), np.eye(10)[2]),
        ]
    )
    np.testing.assert_allclose(got[:2], [want, want], rtol=1e-14)
    np.testing.assert_allclose(got[2:], [2.302584092994546] * 2, rtol=1e-14)
    # with run-time batch size
    yp = tf.placeholder(tf.float64, [None, 10])
    tp = tf.placeholder(tf.int64, [None])
    np.testing.assert_allclose(
        _run(losses.cross_entropy_error(yp, tp), {yp: y, tp: labels}), want, rtol=1e-14
    )
    gradient_check.assert_gradients_close(
        lambda v: losses.cross_entropy_error(v, labels), [y + 0.05]
    )
    with pytest.raises(ValueError, match="one-hot.*class labels"):
        losses.cross_entropy_error(y, np.zeros((3, 10, 1)))


def test_book_sum_of_squares_batch():
    y, t = RNG.uniform(size=(5, 3)), RNG.uniform(size=(5, 3))
    np.testing.assert_allclose(
        _run(losses.sum_of_squares(y, t)), 0.5 * np.sum((y - t) ** 2), rtol=1e-12
    )
    assert losses.sum_squared_error is losses.sum_of_squares
