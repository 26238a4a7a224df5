"""The program the distributed tests launch under mpirun (and import for the 1-process runs).

    mpirun -np 2 python tests/distributed/mpi_worker.py collectives OUT_DIR
    mpirun -np 2 python tests/distributed/mpi_worker.py train OUT_DIR
    mpirun -np 2 python tests/distributed/mpi_worker.py fail-kill|fail-exit|fail-hang|fail-raise OUT
    mpirun -np 2 python tests/distributed/mpi_worker.py horovod OUT_DIR

Each rank writes OUT_DIR/<mode>-rank<r>.npz; the tests compare them.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

import flowzero as tf
import flowzero.distributed as dist
from flowzero.datasets import mnist

STEPS = 6  # training steps per optimizer
BATCH = 16  # per rank


def digits(n: int = 512) -> tuple[np.ndarray, np.ndarray]:
    (x, t), _ = mnist.load_mnist(normalize=True, flatten=True, source="subset")
    return x[:n], t[:n].astype(np.int32)


def train(
    optimizer: str, batch: int, steps: int = STEPS, dtype: object = tf.float32
) -> dict[str, np.ndarray]:
    """`steps` steps of a 784-32-10 MLP with the DistributedOptimizer on this rank's shards;
    the initial weights are seeded by this rank (different on every rank) and made equal by
    broadcast_global_variables(0). Returns the final weights, rank 0's initial ones and the
    per-step losses averaged over the ranks."""
    x_all, t_all = digits()
    g = tf.Graph()
    with g.as_default():
        rng = np.random.default_rng(100 + dist.rank())  # deliberately different per rank
        npdt = tf.as_dtype(dtype).as_numpy_dtype
        x = tf.placeholder(dtype, [None, 784])
        t = tf.placeholder(tf.int32, [None])
        w1 = tf.Variable((0.1 * rng.standard_normal((784, 32))).astype(npdt), name="w1")
        b1 = tf.Variable(np.zeros(32, npdt), name="b1")
        w2 = tf.Variable((0.1 * rng.standard_normal((32, 10))).astype(npdt), name="w2")
        b2 = tf.Variable(np.zeros(10, npdt), name="b2")
        logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=logits)
        )
        base = (
            tf.train.GradientDescentOptimizer(0.5)
            if optimizer == "sgd"
            else tf.train.AdamOptimizer(0.01)
        )
        train_op = dist.DistributedOptimizer(base).minimize(loss)
        bcast = dist.broadcast_global_variables(0)
        params = [w1, b1, w2, b2]
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(bcast)
            initial = sess.run(params)
            losses = []
            epoch = 0
            while len(losses) < steps:
                for xb, tb in dist.iterate_shard(x_all, t_all, batch, epoch, seed=7):
                    lv, _ = sess.run([loss, train_op], {x: xb.astype(npdt), t: tb})
                    losses.append(dist.average_metrics(float(lv)))
                    if len(losses) == steps:
                        break
                epoch += 1
            final = sess.run(params)
    out = {f"final_{i}": v for i, v in enumerate(final)}
    out.update({f"initial_{i}": v for i, v in enumerate(initial)})
    out["losses"] = np.array(losses)
    return out


def collectives() -> dict[str, np.ndarray]:
    """Allreduce on odd sizes and dtypes, sum and average; grouped allreduce; allgather with a
    different dim 0 per rank; broadcast; a shape mismatch; the Python-level helpers."""
    r, n = dist.rank(), dist.size()
    out: dict[str, np.ndarray] = {}
    g = tf.Graph()
    with g.as_default(), tf.Session(graph=g) as sess:
        for shape in [(), (1,), (7,), (3, 5, 7), (1001,)]:
            for dt in (np.float32, np.float64, np.float16):
                val = (
                    np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.25 + r + 1
                ).astype(dt)
                ph = tf.placeholder(tf.as_dtype(dt), shape)
                avg, tot = dist.allreduce(ph), dist.allreduce(ph, op=dist.Sum)
                a, s = sess.run([avg, tot], {ph: val})
                key = f"{np.dtype(dt).name}_{'x'.join(map(str, shape)) or 'scalar'}"
                out[f"avg_{key}"], out[f"sum_{key}"] = a, s
        iph = tf.placeholder(tf.int32, [5])
        out["sum_int32"] = sess.run(dist.allreduce(iph, op=dist.Sum), {iph: np.arange(5) * r})
        # one fused call for mixed shapes and dtypes
        p32 = tf.placeholder(tf.float32, [None])
        p64 = tf.placeholder(tf.float64, [2, 3])
        grouped = dist.grouped_allreduce([p32, p64, p32 * 2])
        res = sess.run(
            grouped, {p32: np.full(3, r + 1.0, np.float32), p64: np.full((2, 3), 10.0 * r)}
        )
        for i, v in enumerate(res):
            out[f"grouped_{i}"] = v
        # gradient of allreduce = allreduce of the gradient
        gx = tf.placeholder(tf.float64, [4])
        y = dist.allreduce(gx)
        grad = tf.gradients(tf.reduce_sum(y * y) * (r + 1), gx)[0]
        out["allreduce_grad"] = sess.run(grad, {gx: np.arange(4.0) + r})
        # allgather: rank r contributes r + 1 rows
        ag_in = tf.placeholder(tf.float32, [None, 2])
        gathered = dist.allgather(ag_in)
        ag_grad = tf.gradients(tf.reduce_sum(gathered) * (r + 1), ag_in)[0]
        out["allgather"], out["allgather_grad"] = sess.run(
            [gathered, ag_grad], {ag_in: np.full((r + 1, 2), r, np.float32)}
        )
        # broadcast from the last rank
        b_in = tf.placeholder(tf.float32, [3])
        out["broadcast"] = sess.run(dist.broadcast(b_in, n - 1), {b_in: np.full(3, r + 0.5)})
        # every rank passing a different shape: an error on every rank, then business as usual
        bad = tf.placeholder(tf.float32, [None])
        try:
            sess.run(dist.allreduce(bad), {bad: np.zeros(3 + r, np.float32)})
            out["mismatch_error"] = np.array("no error" if n > 1 else "skipped")
        except tf.errors.InvalidArgumentError as e:
            out["mismatch_error"] = np.array(str(e))
        lonely = tf.Variable(np.ones(2, np.float32), name="never_initialized")
        try:
            sess.run(dist.broadcast_variables([lonely], 0))
            out["uninitialized_error"] = np.array("no error")
        except tf.errors.FailedPreconditionError as e:
            out["uninitialized_error"] = np.array(str(e))
        out["after_mismatch"] = sess.run(dist.allreduce(b_in, op=dist.Sum), {b_in: np.ones(3)})
    out["metrics"] = np.array(list(dist.average_metrics({"a": float(r), "b": 1.0}).values()))
    out["weighted"] = np.array(dist.average_metrics(float(r), weight=r + 1))
    try:
        dist.average_metrics({f"metric_of_rank_{r}": 1.0})
        out["metrics_mismatch"] = np.array("no error")
    except ValueError as e:
        out["metrics_mismatch"] = np.array(str(e))
    dist.barrier()
    out["rank_size"] = np.array([r, n, dist.local_rank(), dist.local_size()])
    return out


def resumable(
    ckpt_dir: str, batch: int, total_steps: int = 12, every: int = 5, fail_at: int | None = None
) -> dict[str, np.ndarray]:
    """docs/distributed.md's checkpoint-and-restart recipe: rank 0 saves every `every` steps;
    a restart restores the newest checkpoint on rank 0, broadcasts it, and goes on from its
    global step with the same per-epoch shards. `fail_at`: rank 1 dies after that many
    steps (os._exit, as a crashed or killed process)."""
    x_all, t_all = digits()
    g = tf.Graph()
    with g.as_default():
        rng = np.random.default_rng(dist.rank())
        x = tf.placeholder(tf.float32, [None, 784])
        t = tf.placeholder(tf.int32, [None])
        w = tf.Variable((0.01 * rng.standard_normal((784, 10))).astype(np.float32), name="w")
        b = tf.Variable(np.zeros(10, np.float32), name="b")
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=t, logits=tf.matmul(x, w) + b)
        )
        step = tf.train.get_or_create_global_step()
        opt = dist.DistributedOptimizer(tf.train.MomentumOptimizer(0.1, 0.9))
        train_op = opt.minimize(loss, global_step=step)
        bcast = dist.broadcast_global_variables(0)
        saver = tf.train.Saver(max_to_keep=2)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            latest = tf.train.latest_checkpoint(ckpt_dir)
            if dist.is_root() and latest:
                saver.restore(sess, latest)
            sess.run(bcast)  # the root's weights, slots and global step, everywhere
            start = int(sess.run(step))
            per_epoch = dist.steps_per_epoch(len(x_all), batch)
            for s in range(start, total_steps):
                epoch, i = divmod(s, per_epoch)
                idx = dist.shard_indices(len(x_all), batch, epoch, seed=3)
                sel = idx[i * batch : (i + 1) * batch]
                sess.run(train_op, {x: x_all[sel], t: t_all[sel]})
                if (s + 1) % every == 0 and dist.is_root():
                    saver.save(sess, os.path.join(ckpt_dir, "model"), global_step=step)
                if fail_at == s + 1 and dist.rank() == 1:
                    print(f"rank 1: dying after step {s + 1}", flush=True)
                    os._exit(9)
            final = sess.run([w, b, step])
    return {"w": final[0], "b": final[1], "step": np.array(final[2]), "start": np.array(start)}


def fail(how: str) -> None:
    """Trains until step 5, where rank 1 dies (SIGKILL or os._exit), hangs or raises."""
    x = tf.placeholder(tf.float32, [None, 4])
    w = tf.Variable(np.ones((4, 1), np.float32))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    train_op = dist.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.01)).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(10**9):
            if step == 5 and dist.rank() == 1:
                print(f"rank 1: failing ({how}) at step {step}", flush=True)
                if how == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                elif how == "exit":
                    os._exit(3)
                elif how == "hang":
                    time.sleep(3600)
                elif how == "raise":
                    raise RuntimeError("deliberate failure on rank 1")
            sess.run(train_op, {x: np.ones((8, 4), np.float32)})


def main(argv: list[str]) -> None:
    mode, out_dir = argv[1], argv[2]
    dist.init()
    if mode == "collectives":
        result = collectives()
    elif mode == "train":
        result = {f"{opt}_{k}": v for opt in ("sgd", "adam") for k, v in train(opt, BATCH).items()}
        result.update({f"f64_{k}": v for k, v in train("adam", BATCH, dtype=tf.float64).items()})
    elif mode == "resume":
        fail_at = os.environ.get("FAIL_AT")
        result = resumable(
            os.path.join(out_dir, "ckpt"), BATCH, fail_at=int(fail_at) if fail_at else None
        )
    elif mode == "horovod":  # examples/horovod_monitored.py, run, then resumed
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))
        import horovod_monitored

        ckpt = os.path.join(out_dir, "ckpt")
        result = {}
        for run, last in (("first", 30), ("resumed", 50)):
            start, final = horovod_monitored.main(ckpt, last_step=last)
            result[f"{run}_start"] = np.array(start)
            result.update({f"{run}_{k}": np.asarray(v) for k, v in final.items()})
    elif mode.startswith("fail-"):
        fail(mode[len("fail-") :])
        return
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    np.savez(os.path.join(out_dir, f"{mode}-rank{dist.rank()}.npz"), **result)


if __name__ == "__main__":
    main(sys.argv)
