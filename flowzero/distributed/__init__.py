"""flowzero.distributed: data-parallel training over MPI (Horovod's API, on mpi4py).

    import flowzero as tf
    import flowzero.distributed as dist

    dist.init()                                          # MPI_Init when launched by mpirun
    opt = tf.train.AdamOptimizer(0.001 * dist.size())    # scale the learning rate
    train_op = dist.DistributedOptimizer(opt).minimize(loss)
    bcast = dist.broadcast_global_variables(0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bcast)                                  # same initial weights everywhere
        for epoch in range(epochs):
            for xb, tb in dist.iterate_shard(x_train, t_train, 100, epoch, seed=0):
                sess.run(train_op, {x: xb, t: tb})
        if dist.is_root():
            saver.save(sess, "ckpt/model")

MonitoredTrainingSession programs use Horovod's hook instead of running the broadcast themselves:
`hooks=[dist.BroadcastGlobalVariablesHook(0), ...]`, with `checkpoint_dir` on rank 0 only
(flowzero/distributed/hooks.py). `import flowzero.distributed as hvd` runs Horovod TF1 code.

Launch with `mpirun -np 4 python train.py` (docs/distributed.md: hosts, Slurm, failures).
Without a launcher (or without MPI installed) everything works with size() == 1: the
collectives are the identity and mpi4py is never imported.
"""

from .comm import (
    DEFAULT_TIMEOUT,
    DistributedError,
    abort,
    barrier,
    collective_stats,
    init,
    is_initialized,
    is_root,
    launched_size,
    local_rank,
    local_size,
    mpi_enabled,
    rank,
    size,
)
from .data import (
    average_metrics,
    iterate_shard,
    root_print,
    shard_indices,
    shard_range,
    steps_per_epoch,
)
from .hooks import BroadcastGlobalVariablesHook
from .ops import (
    Average,
    Sum,
    allgather,
    allreduce,
    broadcast,
    broadcast_global_variables,
    broadcast_variables,
    grouped_allreduce,
)
from .optimizer import DistributedOptimizer

__all__ = [
    "DEFAULT_TIMEOUT",
    "Average",
    "BroadcastGlobalVariablesHook",
    "DistributedError",
    "DistributedOptimizer",
    "Sum",
    "abort",
    "allgather",
    "allreduce",
    "average_metrics",
    "barrier",
    "broadcast",
    "broadcast_global_variables",
    "broadcast_variables",
    "collective_stats",
    "grouped_allreduce",
    "init",
    "is_initialized",
    "is_root",
    "iterate_shard",
    "launched_size",
    "local_rank",
    "local_size",
    "mpi_enabled",
    "rank",
    "root_print",
    "shard_indices",
    "shard_range",
    "size",
    "steps_per_epoch",
]
