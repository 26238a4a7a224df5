"""A TF1 queue-based input pipeline (the style of the CIFAR-10 and ImageNet scripts), on
flowzero.

slice_input_producer hands out (image, label) rows for --epochs epochs, shuffle_batch mixes
them in a RandomShuffleQueue filled by two threads, a Coordinator and the queue runners drive
the threads, and the loop ends with OutOfRangeError when the epochs are done.

    python examples/queue_pipeline.py --epochs 3
"""

from __future__ import annotations

import argparse

import numpy as np

import flowzero as tf
from flowzero.datasets import mnist


def main(epochs=3, batch_size=50):
    (x_train, y_train), (x_test, y_test) = mnist.load_subset()
    x_train = (x_train.reshape(-1, 784) / 255.0).astype(np.float32)
    x_test = (x_test.reshape(-1, 784) / 255.0).astype(np.float32)
    with tf.Graph().as_default():
        image, label = tf.train.slice_input_producer(
            [x_train, y_train.astype(np.int32)], num_epochs=epochs, shuffle=True, seed=1
        )
        images, labels = tf.train.shuffle_batch(
            [image, label],
            batch_size=batch_size,
            capacity=1000,
            min_after_dequeue=500,
            num_threads=2,
            seed=1,
            allow_smaller_final_batch=True,
        )
        w = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))
        loss = tf.losses.sparse_softmax_cross_entropy(labels, tf.matmul(images, w) + b)
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        x = tf.placeholder(tf.float32, [None, 784])
        predict = tf.argmax(tf.matmul(x, w) + b, 1)

        with tf.Session() as sess:
            # num_epochs counts in a local variable
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess=sess, coord=coord)
            steps = 0
            try:
                while not coord.should_stop():
                    sess.run(train_op)
                    steps += 1
            except tf.errors.OutOfRangeError:
                print(f"Done training for {epochs} epochs, {steps} steps.")
            finally:
                coord.request_stop()
            coord.join(threads)
            accuracy = float(np.mean(sess.run(predict, {x: x_test}) == y_test))
    print(f"test accuracy {accuracy:.3f}")
    return steps, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    main(args.epochs)
