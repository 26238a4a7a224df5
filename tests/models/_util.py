"""Helpers for the model tests: backprop vs central differences, short training loops."""

from __future__ import annotations

from typing import Any

import numpy as np

import flowzero as tf
from flowzero.testing.gradient_check import numerical_gradient


def fixed_uniform_feeds(
    graph: Any, shapes: list[tuple[int, ...]], seed: int = 0
) -> dict[Any, np.ndarray]:
    """Fixed values for the graph's RandomUniform ops (the dropout masks' draws), in creation
    order with the given shapes, so that a graph with dropout is a deterministic function of
    its parameters."""
    ops = [op for op in graph.get_operations() if op.type == "RandomUniform"]
    assert len(ops) == len(shapes), [op.name for op in ops]
    rng = np.random.default_rng(seed)
    return {op.outputs[0]: rng.uniform(size=shape) for op, shape in zip(ops, shapes)}


def check_param_gradients(
    loss: Any,
    params: dict[str, Any],
    feed: dict[Any, Any],
    eps: float = 1e-5,
    atol: float = 1e-7,
    values: dict[Any, np.ndarray] | None = None,
) -> None:
    """tf.gradients of `loss` w.r.t. each Variable vs central differences of the same graph,
    evaluated by feeding the variable's read tensor (float64 graphs). `values` are loaded into
    their Variables after initialisation."""
    grads = tf.gradients(loss, list(params.values()))
    assert all(g is not None for g in grads), [k for k, g in zip(params, grads) if g is None]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for var, value in (values or {}).items():
            var.load(value, sess)
        backprop = dict(zip(params, sess.run(grads, feed)))
        for name, var in params.items():
            value = sess.run(var)

            def loss_at(w: np.ndarray, var: Any = var) -> float:
                return sess.run(loss, {**feed, var.value(): w})

            numerical = numerical_gradient(loss_at, value.copy(), eps=eps)
            np.testing.assert_allclose(
                backprop[name], numerical, rtol=1e-5, atol=atol, err_msg=f"d loss / d {name}"
            )


def train(
    net: Any,
    train_op: Any,
    x: np.ndarray,
    t: np.ndarray,
    steps: int,
    batch: int,
    seed: int = 0,
    training: bool | None = None,
) -> list[float]:
    """`steps` random mini-batches (the book's sampling) in the default session; returns the
    losses. `training` is fed to `net.training` when given."""
    rng = np.random.default_rng(seed)
    sess = tf.get_default_session()
    losses = []
    for _ in range(steps):
        idx = rng.choice(len(x), batch, replace=False)
        feed = {net.x: x[idx], net.t: t[idx]}
        if training is not None:
            feed[net.training] = training
        loss, _ = sess.run([net.loss, train_op], feed)
        losses.append(float(loss))
    return losses


def falls_on_average(losses: list[float], windows: int = 5, factor: float = 0.5) -> None:
    """The mean loss of the last window is below `factor` times the first's, and no window's
    mean rises by more than 10%."""
    means = np.array(losses).reshape(windows, -1).mean(axis=1)
    assert means[-1] < factor * means[0], f"loss did not fall: window means {means}"
    assert all(means[i + 1] < means[i] * 1.1 for i in range(windows - 1)), means


def n_params(params: dict[str, Any]) -> int:
    return sum(int(np.prod(v.shape.as_list())) for v in params.values())
