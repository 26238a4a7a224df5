"""tf.random's stateless ops (same seed -> same numbers, across sessions and graphs; another
seed -> other numbers), categorical and poisson (graph/op seeds), shapes and errors."""

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError

R = tf.random

BUILDERS = {
    "uniform": lambda s: R.stateless_uniform([5, 3], s),
    "uniform_int": lambda s: R.stateless_uniform([7], s, minval=2, maxval=9, dtype=tf.int32),
    "normal": lambda s: R.stateless_normal([4], s, dtype=tf.float64),
    "truncated": lambda s: R.stateless_truncated_normal([4], s),
    "categorical": lambda s: R.stateless_categorical([[0.0, 1.0, 2.0]] * 2, 6, s),
    "multinomial": lambda s: R.stateless_multinomial([[0.0, 1.0]], 6, s, output_dtype=tf.int32),
    "poisson": lambda s: R.stateless_poisson([2, 3], s, lam=[1.0, 5.0, 20.0]),
    "gamma": lambda s: R.stateless_gamma([3, 2], s, alpha=[0.5, 4.0]),
    "binomial": lambda s: R.stateless_binomial([4], s, counts=[5.0, 10.0, 20.0, 40.0], probs=0.5),
}


def _draw(name, seed, feed_seed=False):
    with tf.Graph().as_default():
        s = tf.placeholder(tf.int32, [2]) if feed_seed else seed
        t = BUILDERS[name](s)
        with tf.Session() as sess:
            return t, sess.run(t, {s: seed} if feed_seed else None)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_same_seed_same_numbers_other_seed_other_numbers(name):
    t, a = _draw(name, [1, 2])
    _, b = _draw(name, [1, 2], feed_seed=True)  # a fed seed: the same function of its value
    _, c = _draw(name, [1, 3])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == tuple(t.shape.as_list())
    assert a.dtype == t.dtype.np
    with tf.Graph().as_default():
        t = BUILDERS[name]([1, 2])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(t), sess.run(t))  # no state between runs


def test_ranges():
    _, u = _draw("uniform", [5, 6])
    assert ((u >= 0) & (u < 1)).all()
    _, i = _draw("uniform_int", [5, 6])
    assert ((i >= 2) & (i < 9)).all()
    _, t = _draw("truncated", [5, 6])
    assert (np.abs(t) <= 2).all()
    _, c = _draw("categorical", [5, 6])
    assert ((c >= 0) & (c < 3)).all() and c.dtype == np.int64
    with tf.Graph().as_default(), tf.Session() as sess:
        x = sess.run(R.stateless_uniform([1000], [1, 1], minval=-2.0, maxval=-1.0))
        assert ((x >= -2) & (x < -1)).all()
        p = sess.run(R.stateless_binomial([100], [3, 3], counts=10.0, probs=1.0))
        np.testing.assert_array_equal(p, 10)


def test_seed_and_argument_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"seed must have shape \[2\]"):
            R.stateless_uniform([2], [1, 2, 3])
        with pytest.raises(TypeError, match="seed must be int32 or int64"):
            R.stateless_normal([2], [1.0, 2.0])
        with pytest.raises(ValueError, match="maxval must be given"):
            R.stateless_uniform([2], [1, 2], dtype=tf.int32)
        with pytest.raises(ValueError, match="must broadcast to shape"):
            R.stateless_poisson([3], [1, 2], lam=[1.0, 2.0])
        with pytest.raises(ValueError, match="floating point"):
            R.stateless_normal([2], [1, 2], dtype=tf.int32)
        s = tf.placeholder(tf.int64, None)
        t = R.stateless_uniform([2], s)
        with (
            tf.Session() as sess,
            pytest.raises(InvalidArgumentError, match=r"seed must have shape \[2\]"),
        ):
            sess.run(t, {s: [1, 2, 3]})
        bad = R.stateless_uniform([2], [1, 2], minval=5, maxval=5, dtype=tf.int64)
        with tf.Session() as sess, pytest.raises(InvalidArgumentError, match="minval < maxval"):
            sess.run(bad)
        neg = R.stateless_poisson([2], [1, 2], lam=-1.0)
        with tf.Session() as sess, pytest.raises(InvalidArgumentError, match="non-negative"):
            sess.run(neg)


def test_categorical_and_poisson_follow_graph_seeds():
    def run():
        with tf.Graph().as_default():
            tf.set_random_seed(5)
            c = R.categorical(tf.log([[0.5, 0.5], [0.1, 0.9]]), 8, dtype=tf.int32)
            p = R.poisson([1.0, 30.0], [4], dtype=tf.int64)
            assert c.shape.as_list() == [2, 8] and c.dtype == tf.int32
            assert p.shape.as_list() == [4, 2] and p.dtype == tf.int64
            with tf.Session() as sess:
                return sess.run([c, p]), sess.run([c, p])

    (c1, p1), (c2, p2) = run()
    (c3, p3), _ = run()
    np.testing.assert_array_equal(c1, c3)
    np.testing.assert_array_equal(p1, p3)
    assert not (np.array_equal(c1, c2) and np.array_equal(p1, p2))  # a stream, run to run
    assert tf.random_poisson is R.poisson
    with tf.Graph().as_default(), pytest.raises(TypeError, match="rate"):
        tf.random_poisson(tf.constant(["a"]), [2])


def test_poisson_statistics_per_rate():
    with tf.Graph().as_default():
        p = tf.random_poisson([0.5, 40.0], [20000], seed=1)
        with tf.Session() as sess:
            x = sess.run(p)
    np.testing.assert_allclose(x.mean(0), [0.5, 40.0], rtol=0.03)
    np.testing.assert_allclose(x.var(0), [0.5, 40.0], rtol=0.06)


def test_split_and_fold_in():
    with tf.Graph().as_default(), tf.Session() as sess:
        seeds = R.split([1, 2], num=3)
        assert seeds.shape.as_list() == [3, 2] and seeds.dtype == tf.int32
        a, b = sess.run([seeds, R.split(tf.constant([1, 2]), 3)])
        np.testing.assert_array_equal(a, b)
        assert len({tuple(r) for r in a.tolist()}) == 3
        f = R.fold_in([1, 2], 7)
        assert f.shape.as_list() == [2] and f.dtype == tf.int32
        f1, f2, f3 = sess.run([f, R.fold_in([1, 2], 7), R.fold_in([1, 2], 8)])
        np.testing.assert_array_equal(f1, f2)
        assert f1[1] == 7 and f3[1] == 8 and f1[0] == f3[0]
        draws = sess.run([R.stateless_normal([3], s) for s in tf.unstack(seeds)])
        assert not np.array_equal(draws[0], draws[1])
        full = sess.run(
            R.stateless_uniform([4000], [3, 4], minval=None, maxval=None, dtype=tf.int64)
        )
        assert full.min() < -(2**61) and full.max() > 2**61  # the whole int64 range
        with pytest.raises(TypeError, match="data must be int32 or int64"):
            R.fold_in([1, 2], 1.5)


def test_parameterized_truncated_normal_bounds():
    lo = np.array([8.0, -np.inf, -0.001, -1.0, -0.001, 2.0], np.float32)
    hi = np.array([9.0, -5.0, 0.001, 1.0, np.inf, 2.01], np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        t = R.stateless_parameterized_truncated_normal([3000, 6], [4, 2], 0.0, 1.0, lo, hi)
        a, b = sess.run([t, t])
        np.testing.assert_array_equal(a, b)
        assert ((a >= lo) & (a <= hi)).all()
        np.testing.assert_allclose(a[:, 1].mean(), -5.1865, atol=0.03)  # mean beyond -5
        np.testing.assert_allclose(a[:, 3].mean(), 0.0, atol=0.03)
        bad = R.stateless_parameterized_truncated_normal([2], [1, 2], 0.0, 1.0, 1.0, 1.0)
        with pytest.raises(InvalidArgumentError, match="minvals < maxvals"):
            sess.run(bad)
