"""A Horovod-style TF1 program (MonitoredTrainingSession + hooks) on flowzero, data-parallel
over MPI.

Softmax regression on the bundled MNIST subset. Every rank trains on its own shard of each
batch; DistributedOptimizer averages the gradients; BroadcastGlobalVariablesHook gives every
rank rank 0's starting weights; only rank 0 writes (and restores) checkpoints. Run it again
with the same --checkpoint_dir and it resumes from rank 0's newest checkpoint on every rank.

    mpirun -np 2 python examples/horovod_monitored.py --checkpoint_dir /tmp/hvd --last_step 60
    python examples/horovod_monitored.py --last_step 60        # one process works too
"""

from __future__ import annotations

import argparse

import numpy as np

import flowzero as tf
import flowzero.distributed as hvd
from flowzero.datasets import mnist


def main(checkpoint_dir=None, last_step=60, batch_size=64):
    hvd.init()
    (x_train, y_train), _ = mnist.load_subset()
    x_train = (x_train.reshape(-1, 784) / 255.0).astype(np.float32)
    y_train = y_train.astype(np.int32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        y = tf.placeholder(tf.int32, [None])
        # Seeded per rank on purpose: the hook must make the starting weights equal.
        w = tf.get_variable(
            "w", [784, 10], initializer=tf.random_normal_initializer(0, 0.01, seed=hvd.rank())
        )
        b = tf.get_variable("b", [10], initializer=tf.zeros_initializer())
        loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=tf.matmul(x, w) + b)
        step = tf.train.get_or_create_global_step()
        opt = tf.train.MomentumOptimizer(0.05 * hvd.size(), 0.9)  # scaled by the ranks
        train_op = hvd.DistributedOptimizer(opt).minimize(loss, global_step=step)

        class StartStep(tf.train.SessionRunHook):
            def after_create_session(self, session, coord):
                self.value = int(session.run(step))

        start = StartStep()
        final = tf.train.FinalOpsHook(
            {"w": w, "b": b, "step": step, "loss": loss}, {x: x_train[:500], y: y_train[:500]}
        )
        hooks = [
            hvd.BroadcastGlobalVariablesHook(0),
            start,  # after the broadcast: the step every rank starts from
            tf.train.StopAtStepHook(last_step=last_step),
            final,
        ]
        with tf.train.MonitoredTrainingSession(
            checkpoint_dir=checkpoint_dir if hvd.rank() == 0 else None,
            hooks=hooks,
            save_checkpoint_steps=20,
            save_summaries_steps=None,
        ) as sess:
            epoch = 0
            while not sess.should_stop():
                for xb, yb in hvd.iterate_shard(x_train, y_train, batch_size, epoch, seed=1):
                    if sess.should_stop():
                        break
                    sess.run(train_op, {x: xb, y: yb})
                epoch += 1
        out = final.final_ops_values
        hvd.root_print(
            f"rank 0: from step {start.value} to step {out['step']}, "
            f"loss on 500 training images {out['loss']:.3f}"
        )
    return start.value, out


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint_dir", default=None)
    ap.add_argument("--last_step", type=int, default=60)
    args = ap.parse_args()
    main(args.checkpoint_dir, args.last_step)
