"""A TF1 training loop in the MonitoredTrainingSession style, on flowzero.

Softmax regression on the bundled MNIST subset, fed by tf.data. The session restores from
--checkpoint_dir if a checkpoint is there (run it twice: the second run resumes), saves
checkpoints and summaries, logs the loss, and stops at --last_step.

    python examples/monitored_training.py --checkpoint_dir /tmp/mts --last_step 300
"""

from __future__ import annotations

import argparse

import numpy as np

import flowzero as tf
from flowzero.datasets import mnist


def main(checkpoint_dir=None, last_step=300, batch_size=100):
    (x_train, y_train), (x_test, y_test) = mnist.load_subset()
    x_train = (x_train.reshape(-1, 784) / 255.0).astype(np.float32)
    x_test = (x_test.reshape(-1, 784) / 255.0).astype(np.float32)
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices((x_train, y_train.astype(np.int64)))
        images, labels = (
            ds.shuffle(1000, seed=0).repeat().batch(batch_size).make_one_shot_iterator().get_next()
        )
        w = tf.get_variable("w", [784, 10], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [10], initializer=tf.zeros_initializer())
        logits = tf.matmul(images, w) + b
        loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
        tf.summary.scalar("loss", loss)
        step = tf.train.get_or_create_global_step()
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
        x = tf.placeholder(tf.float32, [None, 784])
        predict = tf.argmax(tf.matmul(x, w) + b, 1)

        # Runs once when the loop ends, on the trained values: the test-set predictions.
        final = tf.train.FinalOpsHook({"predict": predict, "step": step}, {x: x_test})
        hooks = [
            tf.train.StopAtStepHook(last_step=last_step),
            tf.train.NanTensorHook(loss),
            tf.train.LoggingTensorHook({"loss": loss, "step": step}, every_n_iter=100),
            final,
        ]
        with tf.train.MonitoredTrainingSession(
            checkpoint_dir=checkpoint_dir,
            hooks=hooks,
            save_checkpoint_steps=100,
            save_summaries_steps=50,
        ) as sess:
            while not sess.should_stop():
                sess.run(train_op)
        accuracy = float(np.mean(final.final_ops_values["predict"] == y_test))
        final_step = final.final_ops_values["step"]
    print(f"step {final_step}: test accuracy {accuracy:.3f}")
    return final_step, accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint_dir", default=None)
    parser.add_argument("--last_step", type=int, default=300)
    args = parser.parse_args()
    tf.logging.set_verbosity(tf.logging.INFO)
    main(args.checkpoint_dir, args.last_step)
