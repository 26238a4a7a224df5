"""linear_cosine_decay, cosine_decay_restarts (SGDR) and piecewise_constant_decay: against
NumPy references of TF's formulas, and against TensorFlow where it is installed."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import flowzero as tf

STEPS = (0, 1, 7, 10, 25, 33, 60, 100, 170)


def _run(mod, fn, **kw):
    g = mod.Graph()
    with g.as_default():
        step = mod.placeholder(mod.int64, [])
        lr = getattr(mod.train, fn)(0.1, step, **kw)
        with mod.Session(graph=g) as sess:
            return np.array([float(sess.run(lr, {step: k})) for k in STEPS])


def _sgdr(step, first, t_mul, m_mul, alpha):
    frac = step / first
    if t_mul == 1.0:
        i = math.floor(frac)
        frac -= i
    else:
        i = math.floor(math.log(1 - frac * (1 - t_mul)) / math.log(t_mul))
        frac = (frac - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i
    cosine = 0.5 * m_mul**i * (1 + math.cos(math.pi * frac))
    return 0.1 * ((1 - alpha) * cosine + alpha)


def _linear_cosine(step, decay_steps, num_periods, alpha, beta):
    step = min(step, decay_steps)
    linear = (decay_steps - step) / decay_steps
    cosine = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * step / decay_steps))
    return 0.1 * ((alpha + linear) * cosine + beta)


def test_against_numpy_references():
    got = _run(tf, "cosine_decay_restarts", first_decay_steps=10, t_mul=2.0, m_mul=0.5, alpha=0.05)
    np.testing.assert_allclose(got, [_sgdr(s, 10, 2.0, 0.5, 0.05) for s in STEPS], rtol=1e-5)
    got = _run(tf, "cosine_decay_restarts", first_decay_steps=10, t_mul=1.0, m_mul=0.9)
    np.testing.assert_allclose(got, [_sgdr(s, 10, 1.0, 0.9, 0.0) for s in STEPS], rtol=1e-5)
    got = _run(tf, "linear_cosine_decay", decay_steps=50, num_periods=1.5, alpha=0.1)
    want = [_linear_cosine(s, 50, 1.5, 0.1, 0.001) for s in STEPS]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
    assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
@pytest.mark.parametrize(
    "fn, kw",
    [
        ("linear_cosine_decay", {"decay_steps": 50, "num_periods": 1.5, "alpha": 0.1}),
        (
            "cosine_decay_restarts",
            {"first_decay_steps": 10, "t_mul": 2.0, "m_mul": 0.5, "alpha": 0.05},
        ),
        ("cosine_decay_restarts", {"first_decay_steps": 10, "t_mul": 1.0, "m_mul": 0.9}),
    ],
)
def test_matches_tensorflow(fn, kw):
    import tensorflow as real_tf

    np.testing.assert_allclose(
        _run(tf, fn, **kw), _run(real_tf.compat.v1, fn, **kw), rtol=1e-6, atol=1e-9
    )
