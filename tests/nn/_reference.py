"""NumPy references for the RNN cells, written from the formulas (not from flowzero's code),
and helpers shared by the RNN tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import flowzero as tf
from flowzero.framework import nest
from flowzero.testing.gradient_check import numerical_gradient


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def basic_rnn(x, h, kernel, bias, act=np.tanh):
    out = act(np.concatenate([x, h], 1) @ kernel + bias)
    return out, out


def basic_lstm(x, c, h, kernel, bias, forget_bias=1.0, act=np.tanh):
    z = np.concatenate([x, h], 1) @ kernel + bias
    i, j, f, o = np.split(z, 4, axis=1)
    new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * act(j)
    new_h = act(new_c) * sigmoid(o)
    return new_h, (new_c, new_h)


def lstm(
    x,
    c,
    m,
    kernel,
    bias,
    forget_bias=1.0,
    w_f=None,
    w_i=None,
    w_o=None,
    cell_clip=None,
    proj=None,
    proj_clip=None,
):
    z = np.concatenate([x, m], 1) @ kernel + bias
    i, j, f, o = np.split(z, 4, axis=1)
    if w_f is not None:
        new_c = sigmoid(f + forget_bias + w_f * c) * c + sigmoid(i + w_i * c) * np.tanh(j)
    else:
        new_c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
    if cell_clip is not None:
        new_c = np.clip(new_c, -cell_clip, cell_clip)
    if w_o is not None:
        new_m = sigmoid(o + w_o * new_c) * np.tanh(new_c)
    else:
        new_m = sigmoid(o) * np.tanh(new_c)
    if proj is not None:
        new_m = new_m @ proj
        if proj_clip is not None:
            new_m = np.clip(new_m, -proj_clip, proj_clip)
    return new_m, (new_c, new_m)


def gru(x, h, gate_kernel, gate_bias, cand_kernel, cand_bias):
    gates = sigmoid(np.concatenate([x, h], 1) @ gate_kernel + gate_bias)
    n = h.shape[1]
    r, u = gates[:, :n], gates[:, n:]
    cand = np.tanh(np.concatenate([x, r * h], 1) @ cand_kernel + cand_bias)
    new_h = u * h + (1 - u) * cand
    return new_h, new_h


def layer_norm(x, gamma, beta, eps=1e-12):
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def run_sequence(
    step: Callable[..., Any], xs: np.ndarray, state: Any, lengths: np.ndarray | None = None
) -> tuple[np.ndarray, Any]:
    """Runs `step(x_t, state) -> (out, state)` over xs [batch, time, depth] one batch entry
    at a time; with lengths, entry b stops at lengths[b] (zeros after, state kept)."""
    batch, time = xs.shape[:2]
    outs, finals = [], []
    for b in range(batch):
        st = _take(state, b)
        row = []
        n = time if lengths is None else int(lengths[b])
        for t in range(time):
            if t < n:
                out, st = step(xs[b : b + 1, t], st)
                row.append(out[0])
            else:
                row.append(None)  # zeros, filled in below
        finals.append(st)
        outs.append(row)
    width = next(r for row in outs for r in row if r is not None).shape
    out = np.stack(
        [np.stack([r if r is not None else np.zeros(width) for r in row]) for row in outs]
    )
    return out, _join(finals)


def _take(state: Any, b: int) -> Any:
    if isinstance(state, tuple):
        return tuple(_take(s, b) for s in state)
    return state[b : b + 1]


def _join(states: list[Any]) -> Any:
    if isinstance(states[0], tuple):
        return tuple(_join([s[k] for s in states]) for k in range(len(states[0])))
    return np.concatenate(states, 0)


def set_random_weights(
    sess: Any, variables: list[Any], seed: int = 0, scale: float = 0.5
) -> dict[str, np.ndarray]:
    """Loads random values into `variables`; returns {op name: value}."""
    rng = np.random.default_rng(seed)
    out = {}
    for v in variables:
        val = rng.uniform(-scale, scale, v.shape.as_list()).astype(v.dtype.np)
        v.load(val, sess)
        out[v.op.name] = val
    return out


def check_gradients(
    build: Callable[..., Any],
    inputs: dict[str, np.ndarray],
    rtol: float = 1e-6,
    atol: float = 1e-8,
    seed: int = 0,
) -> None:
    """Symbolic vs central-difference gradients in float64 of sum(w * build(**placeholders))
    with respect to every input AND every trainable variable build creates (initialized
    with random values; variables are perturbed through Variable.load)."""
    g = tf.Graph()
    with g.as_default():
        phs = {k: tf.placeholder(tf.float64, v.shape, name=k) for k, v in inputs.items()}
        y = build(**phs)
        y = tf.concat([tf.reshape(t, [-1]) for t in nest.flatten(y)], 0)
        w = tf.placeholder(tf.float64, None, name="w")
        loss = tf.reduce_sum(y * w)
        variables = tf.trainable_variables()
        targets = list(phs.values()) + variables
        grads = tf.gradients(loss, targets)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            set_random_weights(sess, variables, seed=seed)
            feed = {phs[k]: np.asarray(v, np.float64) for k, v in inputs.items()}
            yv = sess.run(y, feed)
            feed[w] = np.random.default_rng(seed + 1).uniform(0.5, 1.5, yv.shape)
            sym = sess.run(grads, feed)
            for k, (ph, s) in enumerate(zip(targets, sym)):
                if k < len(phs):

                    def f(a, ph=ph):
                        return sess.run(loss, {**feed, ph: a})

                    num = numerical_gradient(f, feed[ph].copy())
                    what = ph.name
                else:
                    var = ph
                    orig = sess.run(var)

                    def f(a, var=var):
                        var.load(a, sess)
                        return sess.run(loss, feed)

                    num = numerical_gradient(f, orig.copy())
                    var.load(orig, sess)
                    what = var.name
                np.testing.assert_allclose(
                    s,
                    num,
                    rtol=rtol,
                    atol=atol,
                    err_msg=f"gradient of {what}: symbolic vs numerical",
                )
