"""tf.contrib.seq2seq.sequence_loss: every flag combination against a NumPy reference, unknown
shapes, a custom softmax_loss_function, zero weights, gradients, and the error paths (TF 1.15's
contrib/seq2seq loss semantics)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing.gradient_check import assert_gradients_close

B, T, C = 3, 4, 5


def _data(seed=0):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((B, T, C)).astype(np.float32)
    targets = rng.integers(0, C, size=(B, T)).astype(np.int32)
    weights = (rng.uniform(size=(B, T)) > 0.3).astype(np.float32)
    weights[1] = 0.0  # one all-padding row: its averages divide by zero -> 0
    weights[0, 1] = 0.5
    return logits, targets, weights


def _ref(logits, targets, weights, avg_t, avg_b, sum_t, sum_b):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    ce = -np.take_along_axis(logp, targets[..., None], -1)[..., 0] * weights

    def div(a, b):
        return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))

    nz = (weights != 0).astype(np.float64)
    if avg_t and avg_b:
        return div(ce.sum(), weights.sum())
    if sum_t and sum_b:
        return div(ce.sum(), nz.sum())
    if avg_t or avg_b:
        ax = 0 if avg_b else 1
        return div(ce.sum(ax), weights.sum(ax))
    if sum_t or sum_b:
        ax = 0 if sum_b else 1
        return div(ce.sum(ax), nz.sum(ax))
    return ce


FLAGS = [
    f
    for f in itertools.product([False, True], repeat=4)
    if not (f[0] and f[2]) and not (f[1] and f[3])
]


@pytest.mark.parametrize("avg_t,avg_b,sum_t,sum_b", FLAGS)
def test_every_flag_combination_matches_numpy(avg_t, avg_b, sum_t, sum_b):
    logits, targets, weights = _data()
    loss = tf.contrib.seq2seq.sequence_loss(
        tf.constant(logits),
        tf.constant(targets),
        tf.constant(weights),
        average_across_timesteps=avg_t,
        average_across_batch=avg_b,
        sum_over_timesteps=sum_t,
        sum_over_batch=sum_b,
    )
    want = _ref(logits, targets, weights, avg_t, avg_b, sum_t, sum_b)
    assert loss.shape.as_list() == list(np.shape(want))
    got = tf.Session().run(loss)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("avg_t,avg_b,sum_t,sum_b", FLAGS)
def test_unknown_shapes(avg_t, avg_b, sum_t, sum_b):
    logits, targets, weights = _data(1)
    lp = tf.placeholder(tf.float32, [None, None, None])
    tp = tf.placeholder(tf.int32, [None, None])
    wp = tf.placeholder(tf.float32, [None, None])
    loss = tf.contrib.seq2seq.sequence_loss(
        lp,
        tp,
        wp,
        average_across_timesteps=avg_t,
        average_across_batch=avg_b,
        sum_over_timesteps=sum_t,
        sum_over_batch=sum_b,
    )
    want = _ref(logits, targets, weights, avg_t, avg_b, sum_t, sum_b)
    assert loss.shape.ndims == np.ndim(want)
    got = tf.Session().run(loss, {lp: logits, tp: targets, wp: weights})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_default_name_and_custom_loss_function():
    logits, targets, weights = _data(2)
    seen = {}

    def my_loss(labels, logits):
        seen["shapes"] = (labels.shape.as_list(), logits.shape.as_list())
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits) * 2.0

    loss = tf.contrib.seq2seq.sequence_loss(
        tf.constant(logits),
        tf.constant(targets),
        tf.constant(weights),
        softmax_loss_function=my_loss,
    )
    assert loss.op.name.startswith("sequence_loss/")
    assert seen["shapes"] == ([B * T], [B * T, C])
    want = 2 * _ref(logits, targets, weights, True, True, False, False)
    np.testing.assert_allclose(tf.Session().run(loss), want, rtol=1e-5)


def test_all_zero_weights_give_zero_not_nan():
    logits, targets, _ = _data(3)
    zeros = np.zeros((B, T), np.float32)
    for flags in FLAGS:
        avg_t, avg_b, sum_t, sum_b = flags
        loss = tf.contrib.seq2seq.sequence_loss(
            logits,
            targets,
            zeros,
            average_across_timesteps=avg_t,
            average_across_batch=avg_b,
            sum_over_timesteps=sum_t,
            sum_over_batch=sum_b,
        )
        np.testing.assert_array_equal(tf.Session().run(loss), 0.0)


@pytest.mark.parametrize("avg_t,avg_b,sum_t,sum_b", [(1, 1, 0, 0), (0, 0, 1, 1), (1, 0, 0, 0)])
def test_gradient_wrt_logits(avg_t, avg_b, sum_t, sum_b):
    logits, targets, weights = _data(4)

    def build(lg):
        return tf.contrib.seq2seq.sequence_loss(
            lg,
            tf.constant(targets),
            tf.constant(weights, tf.float64),
            average_across_timesteps=bool(avg_t),
            average_across_batch=bool(avg_b),
            sum_over_timesteps=bool(sum_t),
            sum_over_batch=bool(sum_b),
        )

    assert_gradients_close(build, [logits.astype(np.float64)])


def test_errors():
    logits, targets, weights = _data()
    sl = tf.contrib.seq2seq.sequence_loss
    with pytest.raises(ValueError, match=r"logits must be a \[batch_size x sequence_length x"):
        sl(logits[0], targets, weights)
    with pytest.raises(ValueError, match=r"targets must be a .*got '.*' of shape \(3,\)"):
        sl(logits, targets[:, 0], weights)
    with pytest.raises(ValueError, match="weights must be a .*unknown rank"):
        sl(logits, targets, tf.placeholder(tf.float32))
    with pytest.raises(ValueError, match="average_across_timesteps and sum_over_timesteps"):
        sl(logits, targets, weights, sum_over_timesteps=True)
    with pytest.raises(ValueError, match="average_across_batch and sum_over_batch"):
        sl(logits, targets, weights, average_across_timesteps=False, sum_over_batch=True)


def test_label_out_of_range_is_a_run_time_error():
    logits, targets, weights = _data()
    targets = targets.copy()
    targets[0, 0] = C
    loss = tf.contrib.seq2seq.sequence_loss(logits, targets, weights)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.Session().run(loss)


def test_sequence_loss_object():
    logits, targets, weights = _data(5)
    got = tf.Session().run(tf.contrib.seq2seq.SequenceLoss()(targets, logits, weights))
    np.testing.assert_allclose(got, _ref(logits, targets, weights, 0, 0, 1, 1), rtol=1e-5)
    per_step = tf.contrib.seq2seq.SequenceLoss(
        average_across_timesteps=True, sum_over_timesteps=False
    )
    got = tf.Session().run(per_step(targets, logits, weights))
    np.testing.assert_allclose(got, _ref(logits, targets, weights, 1, 0, 0, 1), rtol=1e-5)
    with pytest.raises(ValueError, match="sample_weight"):
        tf.contrib.seq2seq.SequenceLoss()(targets, logits)
