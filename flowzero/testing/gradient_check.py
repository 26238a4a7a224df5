"""Numerical gradient checks: central differences in float64, as the book's numerical_gradient.

Usable on any graph: give it a function that builds the output from input tensors, and the
input values; it builds a float64 graph, takes symbolic gradients with tf.gradients and compares
them with central differences of the same graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """d f / d x by central differences (the book's `numerical_gradient`, any shape).

    `x` is perturbed in place and restored; `f(x)` must return a scalar.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    if x.size == 0:
        return grad
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        orig = float(x[idx])
        x[idx] = orig + eps
        fp = float(f(x))
        x[idx] = orig - eps
        fm = float(f(x))
        x[idx] = orig
        grad[idx] = (fp - fm) / (2 * eps)
        it.iternext()
    return grad


def _projection(shape: tuple[int, ...], seed: int) -> np.ndarray:
    # A fixed random weighting of the outputs: checking d(sum(w * y))/dx checks every output's
    # contribution without building the full Jacobian.
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


def gradient_pairs(
    build: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    wrt: Sequence[int] | None = None,
    eps: float = 1e-6,
    seed: int = 0,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(symbolic, numerical) gradient of sum(w * build(*inputs)) for each input in `wrt`.

    Float inputs are promoted to float64 so central differences are accurate.
    """
    import flowzero as tf

    arrays = [
        np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
        for a in inputs
    ]
    wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if wrt is None else list(wrt)
    g = tf.Graph()
    with g.as_default():
        phs = [
            tf.placeholder(tf.as_dtype(a.dtype), a.shape, name=f"x{i}")
            for i, a in enumerate(arrays)
        ]
        y = build(*phs)
        y = y[0] if isinstance(y, (list, tuple)) else y
        w = tf.placeholder(tf.float64, None, name="w")
        loss = tf.reduce_sum(y * w)
        grads = tf.gradients(loss, [phs[i] for i in wrt])
        with tf.Session(graph=g) as sess:
            feed = dict(zip(phs, arrays))
            yv = sess.run(y, feed)
            wv = _projection(np.shape(yv), seed)
            feed[w] = wv
            sym = sess.run([gr if gr is not None else loss for gr in grads], feed)
            out: list[tuple[np.ndarray, np.ndarray]] = []
            for k, i in enumerate(wrt):

                def f(xi: np.ndarray, i: int = i) -> float:
                    fd = dict(feed)
                    fd[phs[i]] = xi
                    return float(sess.run(loss, fd))

                num = numerical_gradient(f, arrays[i].copy(), eps)
                s = np.zeros_like(num) if grads[k] is None else np.asarray(sym[k])
                out.append((s, num))
    return out


def assert_gradients_close(
    build: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    wrt: Sequence[int] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    eps: float = 1e-6,
) -> None:
    """Asserts symbolic == numerical gradients (float64) for every input in `wrt`."""
    for k, (sym, num) in enumerate(gradient_pairs(build, inputs, wrt, eps)):
        np.testing.assert_allclose(
            sym, num, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}: symbolic vs numerical"
        )


def assert_second_order_close(
    build: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    wrt: int = 0,
    rtol: float = 1e-5,
    atol: float = 1e-7,
    eps: float = 1e-5,
) -> None:
    """Checks the gradient of a gradient: d/dx (sum(v * dL/dx)) symbolic vs numerical."""

    def first(*xs: Any) -> Any:
        import flowzero as tf

        y = build(*xs)
        y = y[0] if isinstance(y, (list, tuple)) else y
        if y.shape.is_fully_defined():
            weights = tf.constant(_projection(tuple(y.shape.as_list()), 1), dtype=y.dtype)
        else:  # output shape known only at run time: weight every output equally
            weights = tf.ones_like(y)
        (dx,) = tf.gradients(tf.reduce_sum(y * weights), [xs[wrt]])
        return dx

    assert_gradients_close(first, inputs, [wrt], rtol=rtol, atol=atol, eps=eps)
