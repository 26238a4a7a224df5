"""tf.nn.fractional_max_pool / fractional_avg_pool with random layouts: the sequences' form,
values vs a naive reference on the returned sequences, seeding, numerical gradients, errors,
and TF's gradient kernels on our sequences (skipped without TensorFlow)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz
from flowzero.framework.errors import InvalidArgumentError
from flowzero.testing import gradient_check
from tests.ops.cases_fractional_pool import ref_avg_grad, ref_max_grad, ref_pool

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
RATIO = [1.0, 1.44, 1.73, 1.0]


def _pool(x, fn, **kw):
    with fz.Graph().as_default():
        xt = fz.constant(x)
        y, r, c = fn(xt, RATIO, **kw)
        g = fz.gradients(fz.reduce_sum(y * y), xt)[0]
        with fz.Session() as s:
            return s.run([y, r, c, g])


@pytest.mark.parametrize("pseudo_random", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
@pytest.mark.parametrize("which", ["max", "avg"])
def test_random_layouts_pool_their_sequences(pseudo_random, overlapping, which):
    x = np.random.default_rng(0).normal(size=(2, 11, 9, 3))
    fn = fz.nn.fractional_max_pool if which == "max" else fz.nn.fractional_avg_pool
    y, r, c, g = _pool(x, fn, pseudo_random=pseudo_random, overlapping=overlapping)
    assert y.shape == (2, 7, 5, 3) and r.dtype == np.int64
    for seq, size, out in ((r, 11, 7), (c, 9, 5)):
        assert seq[0] == 0 and seq[-1] == size and len(seq) == out + 1
        assert set(np.diff(seq)) <= {size // out, size // out + 1}
    reduce = np.max if which == "max" else np.mean
    np.testing.assert_allclose(y, ref_pool(x, r, c, overlapping, reduce), rtol=1e-12)
    ref_grad = ref_max_grad if which == "max" else lambda x, dy, *a: ref_avg_grad(x.shape, dy, *a)
    np.testing.assert_allclose(g, ref_grad(x, 2 * y, r, c, overlapping), rtol=1e-12)


def test_layouts_vary_and_seeds_replay():
    x = np.zeros((1, 20, 20, 1))
    with fz.Graph().as_default():
        _, r, _ = fz.nn.fractional_max_pool(fz.constant(x), RATIO)
        _, rd, _ = fz.nn.fractional_max_pool(fz.constant(x), RATIO, deterministic=True, seed=5)
        _, r0, _ = fz.nn.fractional_max_pool(fz.constant(x), RATIO, deterministic=True)
        with fz.Session() as s:
            free = {tuple(s.run(r)) for _ in range(20)}
            fixed = {tuple(s.run(rd)) for _ in range(5)}
            unseeded = {tuple(s.run(r0)) for _ in range(5)}
        with fz.Session() as s:
            assert {tuple(s.run(rd)) for _ in range(3)} == fixed  # a new session replays
    assert len(free) > 1 and len(fixed) == 1 and len(unseeded) == 1


@pytest.mark.parametrize("overlapping", [False, True])
def test_numerical_gradients_of_a_fixed_layout(overlapping):
    x = (np.random.default_rng(2).permutation(2 * 7 * 6 * 2) * 0.1).reshape(2, 7, 6, 2)
    for fn in (fz.nn.fractional_max_pool, fz.nn.fractional_avg_pool):
        gradient_check.assert_gradients_close(
            lambda t, fn=fn: fn(t, [1, 1.5, 1.4, 1], True, overlapping, True, 3, 4)[0],
            [x],
            None,
            rtol=1e-6,
            atol=1e-8,
        )


def test_errors():
    with fz.Graph().as_default():
        x = fz.zeros([1, 4, 4, 2])
        with pytest.raises(InvalidArgumentError, match=r"FractionalMaxPool.*pooling_ratio"):
            fz.nn.fractional_max_pool(x, [2.0, 1.5, 1.5, 1.0])
        with pytest.raises(InvalidArgumentError, match=r"FractionalAvgPool.*pooling_ratio"):
            fz.nn.fractional_avg_pool(x, [1.0, 0.5, 1.5, 1.0])
        with pytest.raises(InvalidArgumentError, match=r"FractionalMaxPool.*positive.*output 0x"):
            fz.nn.fractional_max_pool(x, [1.0, 5.0, 1.5, 1.0])
        with pytest.raises(InvalidArgumentError, match=r"FractionalMaxPool.*seed2 should be 0"):
            fz.nn.fractional_max_pool(x, RATIO, seed=3)
        with pytest.raises(InvalidArgumentError, match=r"FractionalMaxPool.*rank 4"):
            fz.nn.fractional_max_pool(fz.zeros([4, 4]), RATIO)


@needs_tf
@pytest.mark.parametrize("overlapping", [False, True])
def test_tensorflow_gradient_kernels_agree_on_our_layouts(overlapping):
    import tensorflow as tf
    from tensorflow.python.ops import gen_nn_ops

    x = np.random.default_rng(1).normal(size=(2, 11, 9, 3))
    ym, rm, cm, gm = _pool(x, fz.nn.fractional_max_pool, overlapping=overlapping)
    ya, ra, ca, ga = _pool(x, fz.nn.fractional_avg_pool, overlapping=overlapping)
    with tf.Graph().as_default():
        tm = gen_nn_ops.fractional_max_pool_grad(x, ym, 2 * ym, rm, cm, overlapping=overlapping)
        ta = gen_nn_ops.fractional_avg_pool_grad(x.shape, 2 * ya, ra, ca, overlapping=overlapping)
        with tf.compat.v1.Session() as s:
            want_m, want_a = s.run([tm, ta])
    np.testing.assert_allclose(gm, want_m, rtol=1e-12)
    np.testing.assert_allclose(ga, want_a, rtol=1e-12)


def test_max_pool_grad_checks_orig_output():
    from flowzero.framework.graph import apply_op
    from flowzero.ops.fractional_pool_ops import FractionalMaxPoolGrad

    x = np.arange(24, dtype=np.float64).reshape(1, 4, 6, 1)
    seq = np.array([0, 2, 4], np.int64), np.array([0, 3, 6], np.int64)
    with fz.Graph().as_default():
        bad = apply_op(
            FractionalMaxPoolGrad, [x, np.zeros((1, 2, 2, 1)), np.ones((1, 2, 2, 1)), *seq],
            {"overlapping": False},
        )  # fmt: skip
        with (
            fz.Session() as s,
            pytest.raises(
                InvalidArgumentError, match="FractionalMaxPoolGrad.*orig_output must be the max"
            ),
        ):
            s.run(bad)
