"""TF1's "Build a CNN with Estimators" MNIST program, run on flowzero.

The model_fn is the tutorial's: two 5x5 conv + 2x2 max-pool layers (32 and 64 filters), a
1024-unit dense layer with dropout, 10 logits; numpy_input_fn feeds it; the Estimator trains,
then evaluates. Data: flowzero's bundled 5,000-digit MNIST subset (works offline).

    python examples/estimator_mnist.py --steps 2000 --model_dir /tmp/mnist_convnet_model
"""

from __future__ import annotations

import argparse

import numpy as np

import flowzero as tf
from flowzero.datasets import mnist


def cnn_model_fn(features, labels, mode, params):
    """The tutorial's CNN (filter and unit counts can be shrunk through params)."""
    filters1, filters2 = params.get("filters", (32, 64))
    units = params.get("units", 1024)
    input_layer = tf.reshape(features["x"], [-1, 28, 28, 1])
    conv1 = tf.layers.conv2d(
        inputs=input_layer,
        filters=filters1,
        kernel_size=[5, 5],
        padding="same",
        activation=tf.nn.relu,
    )
    pool1 = tf.layers.max_pooling2d(inputs=conv1, pool_size=[2, 2], strides=2)
    conv2 = tf.layers.conv2d(
        inputs=pool1, filters=filters2, kernel_size=[5, 5], padding="same", activation=tf.nn.relu
    )
    pool2 = tf.layers.max_pooling2d(inputs=conv2, pool_size=[2, 2], strides=2)
    pool2_flat = tf.reshape(pool2, [-1, 7 * 7 * filters2])
    dense = tf.layers.dense(inputs=pool2_flat, units=units, activation=tf.nn.relu)
    dropout = tf.layers.dropout(
        inputs=dense, rate=0.4, training=mode == tf.estimator.ModeKeys.TRAIN
    )
    logits = tf.layers.dense(inputs=dropout, units=10)

    predictions = {
        "classes": tf.argmax(input=logits, axis=1),
        "probabilities": tf.nn.softmax(logits, name="softmax_tensor"),
    }
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode=mode, predictions=predictions)

    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    if mode == tf.estimator.ModeKeys.TRAIN:
        optimizer = tf.train.GradientDescentOptimizer(
            learning_rate=params.get("learning_rate", 0.001)
        )
        train_op = optimizer.minimize(loss=loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode=mode, loss=loss, train_op=train_op)

    eval_metric_ops = {
        "accuracy": tf.metrics.accuracy(labels=labels, predictions=predictions["classes"])
    }
    return tf.estimator.EstimatorSpec(mode=mode, loss=loss, eval_metric_ops=eval_metric_ops)


def load_data():
    """The bundled subset as the tutorial's arrays: float32 images in [0, 1], int32 labels."""
    (x_train, y_train), (x_test, y_test) = mnist.load_subset()

    def prep(x):
        return (x.reshape(len(x), 784) / 255.0).astype(np.float32)

    return (prep(x_train), y_train.astype(np.int32)), (prep(x_test), y_test.astype(np.int32))


def main(steps=2000, model_dir=None, params=None, batch_size=100, seed=None):
    (train_data, train_labels), (eval_data, eval_labels) = load_data()
    config = tf.estimator.RunConfig(tf_random_seed=seed, log_step_count_steps=50)
    mnist_classifier = tf.estimator.Estimator(
        model_fn=cnn_model_fn, model_dir=model_dir, config=config, params=params or {}
    )
    logging_hook = tf.train.LoggingTensorHook(
        tensors={"probabilities": "softmax_tensor"}, every_n_iter=50
    )
    train_input_fn = tf.compat.v1.estimator.inputs.numpy_input_fn(
        x={"x": train_data}, y=train_labels, batch_size=batch_size, num_epochs=None, shuffle=True
    )
    mnist_classifier.train(input_fn=train_input_fn, steps=steps, hooks=[logging_hook])
    eval_input_fn = tf.compat.v1.estimator.inputs.numpy_input_fn(
        x={"x": eval_data}, y=eval_labels, num_epochs=1, shuffle=False
    )
    eval_results = mnist_classifier.evaluate(input_fn=eval_input_fn)
    print(eval_results)
    return mnist_classifier, eval_results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--model_dir", default=None)
    parser.add_argument("--learning_rate", type=float, default=0.001)
    args = parser.parse_args()
    tf.logging.set_verbosity(tf.logging.INFO)
    main(args.steps, args.model_dir, {"learning_rate": args.learning_rate})
