"""tf.losses.mean_pairwise_squared_error: the mean over pairs of squared differences of
differences (NumPy, pair by pair), weights per example and per element, the LOSSES collection,
its gradient, errors, and TensorFlow's values (skipped without it)."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest

import flowzero as fz

R = np.random.default_rng(0)
L = R.normal(size=(4, 3, 2))
P = R.normal(size=(4, 3, 2))


def ref_pairs(labels, predictions, weights=None):
    """sum over examples of w * mean over ordered pairs i != j of ((p_i - p_j) - (l_i - l_j))**2."""
    total = 0.0
    for b in range(labels.shape[0]):
        d = (predictions[b] - labels[b]).ravel()
        pairs = [(d[i] - d[j]) ** 2 for i, j in itertools.permutations(range(d.size), 2)]
        total += (1.0 if weights is None else weights[b]) * np.mean(pairs)
    return total


def test_equals_the_mean_over_pairs():
    with fz.Graph().as_default():
        plain = fz.losses.mean_pairwise_squared_error(L, P)
        weighted = fz.losses.mean_pairwise_squared_error(
            L, P, weights=np.array([1.0, 0.0, 2.0, 0.5]).reshape(4, 1, 1)
        )
        assert fz.get_collection(fz.GraphKeys.LOSSES) == [plain, weighted]
        with fz.Session() as s:
            a, b = s.run([plain, weighted])
    assert a.dtype == np.float32
    np.testing.assert_allclose(a, ref_pairs(L, P), rtol=1e-5)
    np.testing.assert_allclose(b, ref_pairs(L, P, [1.0, 0.0, 2.0, 0.5]), rtol=1e-5)


def test_zero_weights_give_zero_and_the_docstring_example():
    with fz.Graph().as_default():
        zero = fz.losses.mean_pairwise_squared_error(L, P, weights=0.0)
        doc = fz.losses.mean_pairwise_squared_error([[0.0, 1.0, 2.0]], [[0.0, 1.0, 5.0]])
        with fz.Session() as s:
            assert s.run(zero) == 0.0
            np.testing.assert_allclose(s.run(doc), 6.0)


def test_gradient_is_the_analytic_one():
    # d/dd_i of 2 sum(d**2) / (n - 1) - 2 sum(d)**2 / (n (n - 1)), per example (n = 6)
    d = P - L
    n = 6
    want = 4 * d / (n - 1) - 4 * d.sum(axis=(1, 2), keepdims=True) / (n * (n - 1))
    with fz.Graph().as_default():
        p = fz.constant(P.astype(np.float32))
        (g,) = fz.gradients(fz.losses.mean_pairwise_squared_error(L, p), [p])
        with fz.Session() as s:
            np.testing.assert_allclose(s.run(g), want, rtol=1e-4, atol=1e-5)


def test_incompatible_shapes():
    with (
        fz.Graph().as_default(),
        pytest.raises(
            ValueError, match=r"mean_pairwise_squared_error: shapes of labels \(4, 3, 2\)"
        ),
    ):
        fz.losses.mean_pairwise_squared_error(L, P[:, :2])


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
def test_matches_tensorflow():
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()

    def program(m):
        pt = m.constant(P.astype(np.float32))
        w3 = np.array([[[1.0]], [[0.0]], [[2.0]], [[0.5]]], np.float32)
        welem = np.array([[[1.0, 0.0]] * 3] * 4, np.float32)
        outs = [
            m.losses.mean_pairwise_squared_error(L, pt),
            m.losses.mean_pairwise_squared_error(L, pt, weights=2.5),
            m.losses.mean_pairwise_squared_error(L, pt, weights=w3),
            m.losses.mean_pairwise_squared_error(L, pt, weights=welem),
            m.losses.mean_pairwise_squared_error(L[:, :, 0], P[:, :, 0], weights=m.constant(3.0)),
        ]
        return [*outs, m.gradients(outs[2], pt)[0]]

    with tf.Graph().as_default(), tf1.Session() as s:
        want = s.run(program(tf1))
    with fz.Graph().as_default(), fz.Session() as s:
        got = s.run(program(fz))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
