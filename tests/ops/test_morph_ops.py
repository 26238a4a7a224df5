"""max_pool_with_argmax, dilation2d and erosion2d: error paths, and values and gradients against
TensorFlow (skipped where it is not installed)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz
from flowzero.framework.errors import InvalidArgumentError

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)


def _run(m, fetches):
    sess_cls = (
        m.compat.v1.Session if hasattr(m, "compat") and hasattr(m.compat, "v1") else m.Session
    )
    with sess_cls() as s:
        return s.run(fetches)


def _program(m, x, f):
    nn = m.compat.v1.nn if m is not fz else m.nn
    xt, ft = m.constant(x), m.constant(f)
    y, a = nn.max_pool_with_argmax(xt, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")
    yb, ab = nn.max_pool_with_argmax(
        xt, [1, 2, 2, 1], [1, 1, 2, 1], "VALID", include_batch_in_index=True
    )
    d = nn.dilation2d(xt, ft, [1, 2, 1, 1], [1, 1, 2, 1], "SAME")
    e = nn.erosion2d(xt, ft, [1, 1, 1, 1], [1, 2, 1, 1], "VALID")
    loss = m.reduce_sum(y * y) + m.reduce_sum(yb**3) + m.reduce_sum(d * d) + m.reduce_sum(m.sin(e))
    return [y, a, yb, ab, d, e, *m.gradients(loss, [xt, ft])]


@needs_tf
@pytest.mark.parametrize("seed", [0, 1])
def test_values_and_gradients_match_tensorflow(seed):
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 7, 6, 3))
    f = rng.normal(size=(3, 2, 3)) * 0.3
    with tf.Graph().as_default():
        want = _run(tf, _program(tf, x, f))
    with fz.Graph().as_default():
        got = _run(fz, _program(fz, x, f))
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"output {k}")
        assert np.asarray(g).dtype == np.asarray(w).dtype


def test_argmax_pool_gradient_routes_to_argmax():
    x = np.array([[[[1.0], [3.0]], [[3.0], [0.0]]]], np.float32)  # a tie: the first wins
    with fz.Graph().as_default():
        xt = fz.constant(x)
        y, a = fz.nn.max_pool_with_argmax(xt, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        (dx,) = fz.gradients(y * 5.0, [xt])
        with fz.Session() as s:
            yv, av, dxv = s.run([y, a, dx])
    assert yv.ravel().tolist() == [3.0] and av.ravel().tolist() == [1]
    np.testing.assert_array_equal(dxv.ravel(), [0, 5, 0, 0])


def test_errors_name_the_op_and_shapes():
    with fz.Graph().as_default():
        x = fz.zeros([1, 4, 4, 2])
        with pytest.raises(InvalidArgumentError, match=r"Dilation2D.*same depth.*\(3, 3, 3\)"):
            fz.nn.dilation2d(x, fz.zeros([3, 3, 3]), [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
        with pytest.raises(InvalidArgumentError, match=r"Dilation2D.*must fit.*VALID"):
            fz.nn.dilation2d(x, fz.zeros([3, 3, 2]), [1, 1, 1, 1], [1, 2, 2, 1], "VALID")
        with pytest.raises(InvalidArgumentError, match=r"Dilation2D.*rates must be \[1"):
            fz.nn.dilation2d(x, fz.zeros([3, 3, 2]), [1, 1, 1, 1], [2, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match=r"requested dtype float32.*float64"):
            fz.nn.dilation2d(x, fz.zeros([3, 3, 2], fz.float64), [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
        with pytest.raises(ValueError, match="max_pool_with_argmax: data_format"):
            fz.nn.max_pool_with_argmax(x, 2, 2, "SAME", data_format="NCHW")
        with pytest.raises(InvalidArgumentError, match=r"MaxPoolWithArgmax.*Targmax"):
            fz.nn.max_pool_with_argmax(x, 2, 2, "SAME", Targmax=fz.float32)
        with pytest.raises(InvalidArgumentError, match=r"MaxPoolWithArgmax.*must fit"):
            fz.nn.max_pool_with_argmax(x, 5, 1, "VALID")


def test_dilation_at_run_time_checks_depth():
    with fz.Graph().as_default():
        x = fz.placeholder(fz.float32, None)
        d = fz.nn.dilation2d(x, fz.zeros([2, 2, 2]), [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
        with fz.Session() as s, pytest.raises(InvalidArgumentError, match="Dilation2D.*depth"):
            s.run(d, {x: np.zeros((1, 3, 3, 1), np.float32)})
