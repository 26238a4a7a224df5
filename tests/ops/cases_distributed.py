"""Op-table rows for the MPI collectives (flowzero/distributed/ops.py), in one process.

The test process is not started by an MPI launcher, so it is one rank of one: every collective
is the identity and these rows check what does not depend on other ranks (inferred shapes and
dtypes, identity forward, gradients through the collectives, graph round trips). Their values
across ranks are tested under `mpirun -np 2` in tests/distributed/test_mpi.py (odd sizes,
float16/32/64, sum and average, different dim 0 for allgather, broadcast of differently seeded
variables, shape mismatches) and test_failures.py.
"""

import numpy as np

import flowzero as tf
import flowzero.distributed as dist
from flowzero.testing.op_cases import OpCase, rand


def _broadcast_then_read(x):
    # The variable is initialized, broadcast (a no-op with one rank), then read: y = x + v.
    v = tf.Variable(np.array([1.0, 2.0, 3.0], np.float32), name="bcast_var")
    with tf.control_dependencies([v.initializer]):
        bcast = dist.broadcast_variables([v], 0)
    with tf.control_dependencies([bcast]):
        return x + v.read_value()


CASES = [
    OpCase(
        "MpiAllreduce",
        lambda x: dist.allreduce(x),
        lambda x: x,
        [rand(3, 4)],
        name="average",
        second_order=True,
    ),
    OpCase(
        "MpiAllreduce",
        lambda x: dist.allreduce(x, op=dist.Sum),
        lambda x: x,
        [rand(5, dtype=np.float64)],
        name="sum_f64",
    ),
    OpCase(
        "MpiAllreduce",
        lambda x: dist.allreduce(x),
        lambda x: x,
        [np.array(2.5, np.float32)],
        name="scalar",
    ),
    OpCase(
        "MpiAllreduce",
        lambda x: dist.allreduce(x, op=dist.Sum),
        lambda x: x,
        [np.arange(6, dtype=np.int32)],
        name="sum_int32",
        grad=False,
    ),
    OpCase(
        "MpiGroupedAllreduce",
        lambda x, y: dist.grouped_allreduce([x, y, x * 2.0]),
        lambda x, y: [x, y, x * 2],
        [rand(2, 3), rand(4, dtype=np.float64)],
        name="mixed_dtypes",
        wrt=[0],
    ),
    OpCase(
        "MpiGroupedAllreduce",
        lambda x: dist.grouped_allreduce([x], op=dist.Sum)[0],
        lambda x: x,
        [rand(7, dtype=np.float64)],
        name="one_sum",
    ),
    OpCase("MpiAllgather", lambda x: dist.allgather(x), lambda x: x, [rand(3, 2)], name="rows"),
    OpCase(
        "MpiAllgather",
        lambda x: dist.allgather(x) * 2.0,
        lambda x: x * 2,
        [rand(4, dtype=np.float64)],
        name="vector_f64",
    ),
    OpCase("MpiBroadcast", lambda x: dist.broadcast(x, 0), lambda x: x, [rand(2, 3)], name="root0"),
    OpCase(
        "MpiBroadcast",
        lambda x: dist.broadcast(x, 0),
        lambda x: x,
        [np.array([True, False])],
        name="bool",
        grad=False,
    ),
    OpCase(
        "MpiBroadcastVariables",
        _broadcast_then_read,
        lambda x: x + np.array([1.0, 2.0, 3.0], np.float32),
        [rand(3)],
        name="read_after",
        grad=False,
    ),
]
