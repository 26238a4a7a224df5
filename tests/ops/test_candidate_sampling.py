"""Candidate samplers and the sampled losses (tf.nn.nce_loss, tf.nn.sampled_softmax_loss):
losses and gradients equal to TensorFlow's for the same sampled classes (skipped without
TensorFlow), the samplers' distributions and expected counts, a word2vec-style model that
learns, and errors."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz

R = np.random.default_rng(0)
V, D, B, S, T = 50, 8, 6, 7, 2
W = R.normal(size=(V, D)).astype(np.float32)
BIAS = R.normal(size=V).astype(np.float32)
X = R.normal(size=(B, D)).astype(np.float32)
LABELS = R.integers(0, V, size=(B, T)).astype(np.int64)
SAMPLED = np.array([3, 0, 17, LABELS[0, 0], 42, 9, LABELS[2, 1]], np.int64)  # two accidental hits
TRUE_Q = R.uniform(0.1, 0.9, size=(B, T)).astype(np.float32)
SAMPLED_Q = R.uniform(0.1, 0.9, size=S).astype(np.float32)


def _program(m, fn, remove_hits):
    w, b, x = m.constant(W), m.constant(BIAS), m.constant(X)
    sampled_values = (m.constant(SAMPLED), m.constant(TRUE_Q), m.constant(SAMPLED_Q))
    loss = getattr(m.nn, fn)(
        w,
        b,
        m.constant(LABELS),
        x,
        S,
        V,
        num_true=T,
        sampled_values=sampled_values,
        remove_accidental_hits=remove_hits,
    )
    return [loss, *m.gradients(m.reduce_sum(loss), [w, b, x])]


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
@pytest.mark.parametrize("fn", ["nce_loss", "sampled_softmax_loss"])
@pytest.mark.parametrize("remove_hits", [False, True])
def test_losses_and_gradients_match_tensorflow(fn, remove_hits):
    import tensorflow as real_tf

    tf1 = real_tf.compat.v1
    g = tf1.Graph()
    with g.as_default():
        outs = [real_tf.convert_to_tensor(t) for t in _program(tf1, fn, remove_hits)]
        with tf1.Session(graph=g) as sess:
            want = sess.run(outs)
    with fz.Session() as sess:
        got = sess.run(_program(fz, fn, remove_hits))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize(
    "sampler, prob",
    [
        (fz.nn.log_uniform_candidate_sampler, lambda c: np.log((c + 2) / (c + 1)) / np.log(V + 1)),
        (fz.nn.uniform_candidate_sampler, lambda c: np.full(np.shape(c), 1 / V)),
    ],
)
def test_samplers_follow_their_distribution(sampler, prob):
    true = fz.constant(LABELS)
    unique = sampler(true, T, 20, True, V, seed=3)
    drawn = sampler(true, T, 4000, False, V, seed=4)
    with fz.Session() as sess:
        for _ in range(3):
            s, tq, sq = sess.run(unique)
            assert len(set(s.tolist())) == 20 and s.min() >= 0 and s.max() < V
            assert tq.shape == (B, T) and sq.shape == (20,)
            # 1 - (1 - p)^n for the same number of tries n for every class
            n = np.log1p(-sq) / np.log1p(-prob(s))
            np.testing.assert_allclose(n, n[0], rtol=1e-4)
            assert n[0] >= 20
        s, tq, sq = sess.run(drawn)
    freq = np.bincount(s, minlength=V) / len(s)
    np.testing.assert_allclose(freq[:5], prob(np.arange(5)), atol=0.03)
    np.testing.assert_allclose(sq, prob(s) * 4000, rtol=1e-5)
    np.testing.assert_allclose(tq, prob(LABELS) * 4000, rtol=1e-5)


def test_a_skip_gram_model_learns_with_nce():
    fz.set_random_seed(0)  # the sampled classes too
    # Each word's context is the next word in a cycle of 12: nce must learn to predict it.
    vocab, dim = 12, 8
    centers = np.arange(vocab, dtype=np.int64)
    contexts = ((centers + 1) % vocab).reshape(-1, 1)
    train_inputs = fz.placeholder(fz.int64, [None])
    train_labels = fz.placeholder(fz.int64, [None, 1])
    embeddings = fz.Variable(fz.random_uniform([vocab, dim], -1.0, 1.0, seed=1))
    embed = fz.nn.embedding_lookup(embeddings, train_inputs)
    nce_w = fz.Variable(fz.truncated_normal([vocab, dim], stddev=1.0 / np.sqrt(dim), seed=2))
    nce_b = fz.Variable(fz.zeros([vocab]))
    loss = fz.reduce_mean(fz.nn.nce_loss(nce_w, nce_b, train_labels, embed, 4, vocab))
    step = fz.train.GradientDescentOptimizer(0.5).minimize(loss)
    logits = fz.matmul(embed, nce_w, transpose_b=True) + nce_b
    with fz.Session() as sess:
        sess.run(fz.global_variables_initializer())
        feed = {train_inputs: centers, train_labels: contexts}
        for _ in range(300):
            sess.run(step, feed)
        predicted = sess.run(fz.argmax(logits, 1), feed)
    assert (predicted == contexts[:, 0]).mean() >= 0.9


def test_errors():
    with pytest.raises(ValueError, match="num_sampled .* must be at most range_max"):
        fz.nn.log_uniform_candidate_sampler(fz.constant(LABELS), T, 60, True, V)
    with pytest.raises(fz.errors.InvalidArgumentError, match=r"true_classes must be \[batch"):
        fz.nn.uniform_candidate_sampler(fz.constant(LABELS), 3, 5, True, V)
    with pytest.raises(fz.errors.InvalidArgumentError, match=r"in \[0, range_max=50\)"):
        with fz.Session() as sess:
            sess.run(fz.nn.uniform_candidate_sampler(fz.constant(LABELS + 100), T, 5, True, V))
