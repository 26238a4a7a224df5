"""JAX: one `jax.jit`-compiled train step (forward + grad + update) per step, NHWC, batches put
on the device before timing. Steps are dispatched asynchronously, as a JAX training loop runs;
the timer blocks on the parameters at the end of each window. Max-pooling is by reshape (much
faster under XLA CPU than reduce_window's select-and-scatter gradient); Adam is written out
(TF's formula, eps 1e-8) since optax is not a dependency. W7's LSTM is `jax.lax.scan` over
the 28 rows with BasicLSTMCell's math (fused kernel on concat([x, h]), gates i, j, f, o,
forget bias 1.0), differentiated by jax.grad through the scan."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from bench.common import W7_FORGET_BIAS

NAME = "jax"


def info() -> dict[str, Any]:
    import jaxlib

    return {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "numpy": np.__version__,
            "devices": [str(d) for d in jax.devices()]}


def setup(threads: int) -> None:
    """XLA's CPU thread pool is sized by XLA_FLAGS, set by the harness in the environment."""


def _xent(logits: Any, t: Any) -> Any:
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, t[:, None], axis=1))


def _mlp(p: dict[str, Any], x: Any) -> Any:
    h = jax.nn.relu(x @ p["W1"] + p["b1"])
    return h @ p["W2"] + p["b2"]


def _cnn(p: dict[str, Any], x: Any) -> Any:
    h = jax.lax.conv_general_dilated(x, p["W1"], (1, 1), "VALID",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    h = jax.nn.relu(h + p["b1"])
    n = h.shape[0]
    h = h.reshape(n, 12, 2, 12, 2, 30).max(axis=(2, 4)).reshape(n, 4320)
    h = jax.nn.relu(h @ p["W2"] + p["b2"])
    return h @ p["W3"] + p["b3"]


def _lstm(p: dict[str, Any], x: Any) -> Any:
    hidden = p["W"].shape[0]
    depth = p["kernel"].shape[0] - hidden
    n = x.shape[0]
    xs = x.reshape(n, -1, depth).transpose(1, 0, 2)  # time-major for scan

    def cell(carry: Any, x_t: Any) -> Any:
        c, h = carry
        z = jnp.concatenate([x_t, h], axis=1) @ p["kernel"] + p["bias"]
        i, j, f, o = jnp.split(z, 4, axis=1)
        c = c * jax.nn.sigmoid(f + W7_FORGET_BIAS) + jax.nn.sigmoid(i) * jnp.tanh(j)
        h = jnp.tanh(c) * jax.nn.sigmoid(o)
        return (c, h), None

    zeros = jnp.zeros((n, hidden), x.dtype)
    (_, h), _ = jax.lax.scan(cell, (zeros, zeros), xs)
    return h @ p["W"] + p["b"]


def _sgd_step(predict: Any, lr: float) -> Any:
    def step(p: Any, x: Any, t: Any) -> Any:
        g = jax.grad(lambda q: _xent(predict(q, x), t))(p)
        return jax.tree_util.tree_map(lambda a, d: a - lr * d, p, g)

    return jax.jit(step)


def _adam_step(predict: Any, lr: float, b1: float = 0.9, b2: float = 0.999,
               eps: float = 1e-8) -> Any:
    def step(state: Any, x: Any, t: Any) -> Any:
        p, m, v, k = state
        g = jax.grad(lambda q: _xent(predict(q, x), t))(p)
        k = k + 1
        lr_t = lr * jnp.sqrt(1 - b2 ** k) / (1 - b1 ** k)
        m = jax.tree_util.tree_map(lambda a, d: b1 * a + (1 - b1) * d, m, g)
        v = jax.tree_util.tree_map(lambda a, d: b2 * a + (1 - b2) * d * d, v, g)
        p = jax.tree_util.tree_map(lambda a, mm, vv: a - lr_t * mm / (jnp.sqrt(vv) + eps),
                                   p, m, v)
        return p, m, v, k

    return jax.jit(step)


class TwoLayer:
    predict = staticmethod(_mlp)

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        self.state = {k: jnp.asarray(v) for k, v in w.items()}
        self._step = _sgd_step(self.predict, lr)
        self._params = lambda s: s
        self._loss = jax.jit(lambda p, x, t: _xent(self.predict(p, x), t))
        self._logits = jax.jit(self.predict)

    def prepare(self, x: np.ndarray, t: np.ndarray) -> Any:
        return jax.device_put(x), jax.device_put(t.astype(np.int32))

    def step(self, batch: Any) -> None:
        self.state = self._step(self.state, *batch)

    def sync(self) -> None:
        jax.block_until_ready(self.state)

    def loss(self, batch: Any) -> float:
        return float(self._loss(self._params(self.state), *batch))

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        logits = np.asarray(self._logits(self._params(self.state), jnp.asarray(x)))
        return float(np.mean(logits.argmax(1) == t))


class Conv(TwoLayer):
    predict = staticmethod(_cnn)

    def __init__(self, w: dict[str, np.ndarray], optimizer: str, lr: float) -> None:
        p = {k: jnp.asarray(v) for k, v in w.items()}
        if optimizer == "sgd":
            self.state = p
            self._step = _sgd_step(self.predict, lr)
            self._params = lambda s: s
        else:
            zeros = jax.tree_util.tree_map(jnp.zeros_like, p)
            self.state = (p, zeros, zeros, jnp.zeros((), jnp.float32))
            self._step = _adam_step(self.predict, lr)
            self._params = lambda s: s[0]
        self._loss = jax.jit(lambda q, x, t: _xent(self.predict(q, x), t))
        self._logits = jax.jit(self.predict)


class LSTM(Conv):
    """W7: the jitted Adam step over the scanned LSTM."""

    predict = staticmethod(_lstm)

    def __init__(self, w: dict[str, np.ndarray], lr: float) -> None:
        super().__init__(w, "adam", lr)


def w1(kind: str) -> Any:
    """A jitted function per call; feeds are host NumPy arrays transferred on each call."""
    if kind == "matmul":
        f = jax.jit(jnp.matmul)
        a = jnp.asarray(np.array([[3.0, 3.0]], np.float32))
        b = jnp.asarray(np.array([[2.0], [2.0]], np.float32))
        return lambda: f(a, b).block_until_ready()
    g = jax.jit(jnp.multiply)
    x1 = np.array([7.0], np.float32)
    x2 = np.array([2.0], np.float32)
    return lambda: g(x1, x2).block_until_ready()


def w9(kind: str) -> Any:
    """JAX's eager dispatch (no jit), on device arrays."""
    if kind == "matmul":
        a = jnp.asarray(np.array([[3.0, 3.0]], np.float32))
        b = jnp.asarray(np.array([[2.0], [2.0]], np.float32))
        return lambda: jnp.matmul(a, b).block_until_ready()
    x1 = jnp.asarray(np.array([7.0], np.float32))
    x2 = jnp.asarray(np.array([2.0], np.float32))
    return lambda: jnp.multiply(x1, x2).block_until_ready()
