"""Random ops: TF's seed rules, determinism across sessions and processes, shapes, dtypes and
statistics."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError
from flowzero.ops import random_ops as rops

N = 100_000


def _run(fetches, feed=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetches, feed)


def _build_seeded(graph_seed, op_seed=None):
    g = tf.Graph()
    with g.as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        ops = [
            rops.random_normal([3, 4], seed=op_seed),
            rops.truncated_normal([5], mean=1.0, stddev=2.0, seed=op_seed),
            rops.random_uniform([2, 2], -3, 3, seed=op_seed),
            rops.random_uniform([6], 0, 100, dtype=tf.int64, seed=op_seed),
            rops.random_shuffle(np.arange(10), seed=op_seed),
            rops.multinomial([[0.0, 1.0, 2.0]], 8, seed=op_seed),
            rops.random_gamma([4], [0.5, 2.0], seed=op_seed),
        ]
    return g, ops


def _equal_lists(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


# -- determinism -------------------------------------------------------------------------------
@pytest.mark.parametrize("graph_seed,op_seed", [(42, None), (42, 7), (None, 7)])
def test_same_seeds_same_numbers_in_every_new_session(graph_seed, op_seed):
    g, ops = _build_seeded(graph_seed, op_seed)
    first = _run(ops, graph=g)
    second = _run(ops, graph=g)
    assert _equal_lists(first, second)
    g2, ops2 = _build_seeded(graph_seed, op_seed)  # the same graph built again
    assert _equal_lists(first, _run(ops2, graph=g2))


def test_successive_runs_in_one_session_differ():
    tf.set_random_seed(1)
    ops = [
        rops.random_normal([8]),
        rops.truncated_normal([8]),
        rops.random_uniform([8]),
        rops.random_uniform([8], 0, 1 << 30, dtype=tf.int32),
        rops.random_shuffle(np.arange(20)),
        rops.multinomial([[0.0] * 50], 10),
        rops.random_gamma([8], 1.0),
    ]
    with tf.Session() as sess:
        a = sess.run(ops)
        b = sess.run(ops)
    for x, y, op in zip(a, b, ops):
        assert not np.array_equal(x, y), f"{op.op.type}: two runs gave the same numbers"


def test_a_new_session_replays_the_sequence():
    tf.set_random_seed(5)
    x = rops.random_uniform([4])
    with tf.Session() as s1:
        seq1 = [s1.run(x) for _ in range(3)]
    with tf.Session() as s2:
        seq2 = [s2.run(x) for _ in range(3)]
    assert _equal_lists(seq1, seq2)


def test_no_seed_is_nondeterministic():
    x = rops.random_normal([16])
    assert not np.array_equal(_run(x), _run(x))


def test_graph_seed_only_gives_each_op_its_own_stream():
    tf.set_random_seed(3)
    a = rops.random_normal([16])
    b = rops.random_normal([16])
    av, bv = _run([a, b])
    assert not np.array_equal(av, bv)


def test_same_op_seed_same_numbers_different_op_seed_differs():
    tf.set_random_seed(3)
    a, b, c = (
        rops.random_normal([16], seed=9),
        rops.random_normal([16], seed=9),
        rops.random_normal([16], seed=10),
    )
    av, bv, cv = _run([a, b, c])
    np.testing.assert_array_equal(av, bv)
    assert not np.array_equal(av, cv)


def test_graph_seed_changes_the_numbers():
    g1, (a, *_) = _build_seeded(1, 7)
    g2, (b, *_) = _build_seeded(2, 7)
    assert not np.array_equal(_run(a, graph=g1), _run(b, graph=g2))


def test_ops_added_before_change_later_ops_graph_seed_only():
    # TF's rule: without an op seed, the op seed is the graph's op count, so adding an op
    # earlier changes the numbers; an explicit op seed does not depend on it.
    def build(extra):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(11)
            if extra:
                tf.constant(0.0)
            return g, [rops.random_normal([6]), rops.random_normal([6], seed=4)]

    g1, (a1, b1) = build(False)
    g2, (a2, b2) = build(True)
    va1, vb1 = _run([a1, b1], graph=g1)
    va2, vb2 = _run([a2, b2], graph=g2)
    assert not np.array_equal(va1, va2)
    np.testing.assert_array_equal(vb1, vb2)


def test_one_draw_per_run_even_when_used_twice():
    tf.set_random_seed(0)
    x = rops.random_normal([5])
    y = x - x
    with tf.Session() as sess:
        xv1, xv2, yv = sess.run([x, x, y])
    np.testing.assert_array_equal(xv1, xv2)
    np.testing.assert_array_equal(yv, np.zeros(5, np.float32))


_SCRIPT = textwrap.dedent("""
    import numpy as np
    import flowzero as tf
    from flowzero.ops import random_ops as rops
    tf.set_random_seed(1234)
    ops = [rops.random_normal([3]), rops.truncated_normal([3], seed=5), rops.random_uniform([3]),
           rops.random_uniform([3], 0, 1000, dtype=tf.int32), rops.random_shuffle(np.arange(8)),
           rops.multinomial([[0.0, 0.5, 1.0]], 6), rops.random_gamma([2], 3.0)]
    with tf.Session() as sess:
        sess.run(ops)  # the second run must match too
        print(repr([v.tolist() for v in sess.run(ops)]))
""")


def test_same_numbers_in_every_process():
    """A fresh interpreter (its own hash seed) draws what this process draws in a fresh graph."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(
        os.environ,
        PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
        PYTHONHASHSEED="random",
    )
    p = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    here = io.StringIO()
    with tf.Graph().as_default(), contextlib.redirect_stdout(here):
        exec(_SCRIPT, {})
    assert p.stdout.strip() == here.getvalue().strip()
    assert here.getvalue().startswith("[[")


# -- shapes and dtypes -------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [rops.random_normal, rops.truncated_normal, rops.random_uniform])
@pytest.mark.parametrize("dt", [tf.float16, tf.float32, tf.float64])
def test_float_dtypes_and_shapes(fn, dt):
    x = fn([2, 3, 4], dtype=dt, seed=1)
    assert x.dtype == dt and x.shape.as_list() == [2, 3, 4]
    v = _run(x)
    assert v.dtype == dt.np and v.shape == (2, 3, 4)


@pytest.mark.parametrize("dt", [tf.int32, tf.int64])
def test_int_uniform_dtype(dt):
    x = rops.random_uniform([50], -5, 5, dtype=dt, seed=1)
    v = _run(x)
    assert x.dtype == dt and v.dtype == dt.np
    assert v.min() >= -5 and v.max() < 5


def test_shape_arguments():
    assert rops.random_normal(tf.TensorShape([2, 5])).shape.as_list() == [2, 5]
    assert rops.random_uniform([]).shape.as_list() == []
    assert _run(rops.random_uniform([])).shape == ()
    s = tf.placeholder(tf.int32, [2])
    x = rops.random_normal(s)
    assert x.shape.as_list() == [None, None]
    assert _run(x, {s: [3, 7]}).shape == (3, 7)
    assert _run(rops.random_normal([0, 3])).shape == (0, 3)


def test_mean_and_stddev_may_be_tensors():
    m = tf.placeholder(tf.float32, [])
    x = rops.random_normal([N], mean=m, stddev=tf.constant(0.5), seed=3)
    v = _run(x, {m: 10.0})
    assert abs(v.mean() - 10.0) < 0.01 and abs(v.std() - 0.5) < 0.01


def test_node_names():
    assert rops.random_normal([2]).op.name == "random_normal"
    assert rops.random_normal([2], name="noise").op.name == "noise"
    assert rops.random_uniform([2], 0, 4, dtype=tf.int32).op.name == "random_uniform"
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"RandomStandardNormal", "RandomUniformInt"} <= types


def test_bad_arguments():
    with pytest.raises(ValueError, match="maxval"):
        rops.random_uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="dtype"):
        rops.random_uniform([2], dtype=tf.bool)
    with pytest.raises(ValueError, match="floating"):
        rops.random_normal([2], dtype=tf.int32)
    x = rops.random_uniform([2], 5, 5, dtype=tf.int32)
    with pytest.raises(InvalidArgumentError, match="minval < maxval"):
        _run(x)
    s = tf.placeholder(tf.int32, [2])
    with pytest.raises(InvalidArgumentError, match="negative"):
        _run(rops.random_normal(s), {s: [2, -1]})
    with pytest.raises(InvalidArgumentError, match="1-D"):
        rops.random_normal(tf.constant([[2, 3]]))
    with pytest.raises(InvalidArgumentError, match="2-D"):
        rops.multinomial([0.0, 1.0], 3)


def test_not_differentiable_but_mean_and_stddev_are():
    m = tf.constant(1.0)
    s = tf.constant(2.0)
    x = rops.random_normal([3], m, s, seed=1)
    gm, gs = tf.gradients(tf.reduce_sum(x), [m, s])
    gmv, gsv = _run([gm, gs])
    assert gmv == 3.0
    assert np.isfinite(gsv)
    for op in tf.get_default_graph().get_operations():
        if op.type.startswith("Random"):
            assert not op.opdef.differentiable and op.opdef.needs_context


# -- statistics --------------------------------------------------------------------------------
def test_normal_statistics():
    v = _run(rops.random_normal([N], mean=2.0, stddev=3.0, seed=1)).astype(np.float64)
    assert abs(v.mean() - 2.0) < 0.05  # 5 standard errors
    assert abs(v.std() - 3.0) < 0.03
    assert abs(np.mean(np.abs(v - 2.0) > 6.0) - 0.0455) < 0.004  # tails are there


def test_truncated_normal_statistics_and_bounds():
    v = _run(rops.truncated_normal([N], mean=-1.0, stddev=2.0, seed=1)).astype(np.float64)
    assert v.min() >= -5.0 and v.max() <= 3.0
    assert abs(v.mean() + 1.0) < 0.03
    assert abs(v.std() - 2.0 * 0.8796256610342398) < 0.02
    v16 = _run(rops.truncated_normal([N], dtype=tf.float16, seed=2))
    assert np.abs(v16).max() <= 2.0


def test_uniform_statistics_and_bounds():
    v = _run(rops.random_uniform([N], -2.0, 6.0, seed=1)).astype(np.float64)
    assert v.min() >= -2.0 and v.max() < 6.0
    assert abs(v.mean() - 2.0) < 0.04
    assert abs(v.std() - 8.0 / np.sqrt(12.0)) < 0.02
    h = _run(rops.random_uniform([N], dtype=tf.float16, seed=3))
    assert h.min() >= 0 and h.max() < 1.0


def test_uniform_int_statistics():
    v = _run(rops.random_uniform([N], 3, 13, dtype=tf.int32, seed=1))
    counts = np.bincount(v - 3, minlength=10)
    assert len(counts) == 10 and counts.min() > 0
    np.testing.assert_allclose(counts / N, 0.1, atol=0.005)
    big = _run(rops.random_uniform([1000], 0, 2**40, dtype=tf.int64, seed=1))
    assert big.max() > 2**32


def test_shuffle_permutes_rows():
    base = np.arange(30).reshape(10, 3)
    v = _run(rops.random_shuffle(base, seed=1))
    assert v.shape == base.shape and v.dtype == base.dtype
    assert not np.array_equal(v, base)
    np.testing.assert_array_equal(v[np.argsort(v[:, 0])], base)  # rows stay intact
    np.testing.assert_array_equal(_run(rops.random_shuffle(tf.constant(4.0))), 4.0)


def test_multinomial_frequencies():
    p = np.array([0.1, 0.6, 0.3])
    x = rops.multinomial(np.log([p, p[::-1]]), N // 2, seed=1)
    assert x.dtype == tf.int64 and x.shape.as_list() == [2, N // 2]
    v = _run(x)
    for row, probs in zip(v, (p, p[::-1])):
        np.testing.assert_allclose(np.bincount(row, minlength=3) / row.size, probs, atol=0.01)
    w = _run(rops.multinomial([[-np.inf, 0.0, -np.inf]], 100, output_dtype=tf.int32, seed=2))
    assert w.dtype == np.int32 and np.all(w == 1)


def test_gamma_shape_and_mean():
    x = rops.random_gamma([N], [2.0, 5.0], beta=[1.0, 2.0], seed=1)
    assert x.shape.as_list() == [N, 2] and x.dtype == tf.float32
    v = _run(x).astype(np.float64)
    assert v.min() > 0
    np.testing.assert_allclose(v.mean(0), [2.0, 2.5], rtol=0.02)


# -- initializers built on these ops -----------------------------------------------------------
def test_seeded_initializer_is_reproducible():
    def build():
        g = tf.Graph()
        with g.as_default():
            init = tf.truncated_normal_initializer(stddev=0.1, seed=3)
            v = tf.Variable(init([4, 5]))
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                return sess.run(v)

    a, b = build(), build()
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and np.abs(a).max() <= 0.2
