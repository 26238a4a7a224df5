"""Linear regression in TF1 eager mode (tf.enable_eager_execution, tfe.Variable,
tfe.implicit_gradients), on flowzero.

    python examples/eager_linear_regression.py
"""

from __future__ import annotations

import numpy as np

import flowzero as tf

tf.enable_eager_execution()
tfe = tf.contrib.eager


def main(steps=200):
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(100, 1)).astype(np.float32)
    ys = 3.0 * xs + 2.0 + 0.1 * rng.normal(size=(100, 1)).astype(np.float32)
    w = tfe.Variable(0.0, name="w")
    b = tfe.Variable(0.0, name="b")

    def loss(x, y):
        return tf.reduce_mean(tf.square(w * x + b - y))

    grad_fn = tfe.implicit_gradients(loss)
    opt = tf.train.GradientDescentOptimizer(0.1)
    for step in range(steps):
        opt.apply_gradients(grad_fn(xs, ys))
        if step % 50 == 0:
            print(f"step {step}: loss {loss(xs, ys).numpy():.4f}")
    print(f"w = {w.numpy():.3f}, b = {b.numpy():.3f}")
    return float(w.numpy()), float(b.numpy())


if __name__ == "__main__":
    w, b = main()
    print("OK" if abs(w - 3.0) < 0.05 and abs(b - 2.0) < 0.05 else "FAILED")
