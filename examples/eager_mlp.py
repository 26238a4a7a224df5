"""An MLP trained in TF1 eager mode (tf.GradientTape, tf.data iterated eagerly, an optimizer's
apply_gradients) on the bundled MNIST subset, on flowzero.

    python examples/eager_mlp.py
"""

from __future__ import annotations

import numpy as np

import flowzero as tf
from flowzero.datasets import mnist

tf.enable_eager_execution()


def main(epochs=2, batch_size=100):
    (x_train, y_train), (x_test, y_test) = mnist.load_subset()
    x_train = (x_train.reshape(-1, 784) / 255.0).astype(np.float32)
    x_test = (x_test.reshape(-1, 784) / 255.0).astype(np.float32)
    init = tf.glorot_uniform_initializer(seed=0)
    w1 = tf.Variable(init([784, 64]))
    b1 = tf.Variable(tf.zeros([64]))
    w2 = tf.Variable(init([64, 10]))
    b2 = tf.Variable(tf.zeros([10]))
    variables = [w1, b1, w2, b2]

    def model(x):
        return tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2

    opt = tf.train.AdamOptimizer(0.01)
    ds = tf.data.Dataset.from_tensor_slices((x_train, y_train.astype(np.int64)))
    for epoch in range(epochs):
        for x, y in tf.contrib.eager.Iterator(ds.shuffle(4000, seed=epoch).batch(batch_size)):
            with tf.GradientTape() as tape:
                loss = tf.losses.sparse_softmax_cross_entropy(y, model(x))
            opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        accuracy = float(np.mean(np.argmax(model(x_test).numpy(), 1) == y_test))
        print(f"epoch {epoch}: loss {loss.numpy():.3f}, test accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    acc = main()
    print("OK" if acc > 0.85 else "FAILED")
