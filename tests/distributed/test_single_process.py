"""flowzero.distributed without a launcher (and without mpi4py): size 1, identity collectives."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import flowzero as tf
import flowzero.distributed as dist
from flowzero.testing import gradient_check

from .launcher import mpi_missing, run_python

# NOTE: the collectives read the process-wide state at run time; this process was not started
# by a launcher, so init() keeps everything local (the tests below check that in subprocesses).
dist.init()


def test_rank_and_size_without_a_launcher() -> None:
    assert (dist.rank(), dist.size(), dist.local_rank(), dist.local_size()) == (0, 1, 0, 1)
    assert dist.is_root() and dist.is_initialized()
    assert dist.launched_size() is None


def test_collectives_are_the_identity() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    xv = np.arange(6, dtype=np.float32).reshape(2, 3)
    outs = [
        dist.allreduce(x),
        dist.allreduce(x, op=dist.Sum),
        dist.allgather(x),
        dist.broadcast(x, 0),
        *dist.grouped_allreduce([x, tf.cast(x, tf.float64)]),
    ]
    v = tf.Variable([1.0, 2.0])
    bcast = dist.broadcast_global_variables(0)
    assert isinstance(bcast, tf.Operation)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(bcast)
        got = sess.run(outs, {x: xv})
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
    for g in got:
        np.testing.assert_array_equal(g, xv)
    assert got[-1].dtype == np.float64


def test_gradients_through_the_collectives_are_the_identity() -> None:
    builds = [
        lambda a: dist.allreduce(a * a),
        lambda a: dist.allreduce(a, op=dist.Sum) * a,
        lambda a: dist.allgather(a) * 3.0,
        lambda a: dist.broadcast(a * a, 0),
        lambda a: tf.add_n(dist.grouped_allreduce([a * a, a])),
    ]
    x = np.random.default_rng(0).uniform(-1, 1, (4, 3))
    for build in builds:
        gradient_check.assert_gradients_close(build, [x], None, rtol=1e-6, atol=1e-8)


def test_distributed_optimizer_with_one_rank_is_the_wrapped_optimizer() -> None:
    def run(wrap: bool) -> list[np.ndarray]:
        g = tf.Graph()
        with g.as_default():
            x = tf.constant(np.random.default_rng(1).standard_normal((8, 5)))
            w = tf.Variable(np.ones((5, 2)))
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
            opt: tf.train.Optimizer = tf.train.AdamOptimizer(0.1)
            if wrap:
                opt = dist.DistributedOptimizer(opt)
            step = tf.Variable(0, trainable=False)
            train_op = opt.minimize(loss, global_step=step)
            assert opt.get_slot(w, "m") is not None and opt.get_slot_names() == ["m", "v"]
            with tf.Session(graph=g) as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(5):
                    sess.run(train_op)
                return sess.run([w, step])

    plain, wrapped = run(False), run(True)
    np.testing.assert_array_equal(wrapped[0], plain[0])
    assert wrapped[1] == plain[1] == 5


def test_distributed_optimizer_fuses_all_gradients_into_one_op() -> None:
    x = tf.placeholder(tf.float32, [None, 4])
    w1, w2 = tf.Variable(np.ones((4, 3), np.float32)), tf.Variable(np.ones(3, np.float32))
    unused = tf.Variable(1.0)
    loss = tf.reduce_sum(tf.matmul(x, w1) + w2)
    opt = dist.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1))
    pairs = opt.compute_gradients(loss, var_list=[w1, unused, w2])
    assert pairs[1][0] is None
    ops = {g.op for g, _ in pairs if g is not None}
    assert len(ops) == 1 and next(iter(ops)).type == "MpiGroupedAllreduce"
    assert len(next(iter(ops)).inputs) == 2
    kinds = [op.type for op in tf.get_default_graph().get_operations()]
    assert kinds.count("MpiGroupedAllreduce") == 1 and "MpiAllreduce" not in kinds


def test_average_metrics_keeps_the_structure() -> None:
    pair = collections.namedtuple("pair", "loss acc")
    assert dist.average_metrics(2.5) == 2.5
    assert dist.average_metrics([1, 2]) == [1.0, 2.0]
    assert dist.average_metrics((1, 2)) == (1.0, 2.0)
    assert dist.average_metrics({"loss": 0.5}, weight=10) == {"loss": 0.5}
    assert dist.average_metrics(pair(1, 0.5)) == pair(1.0, 0.5)
    dist.barrier()  # nothing to wait for


def test_error_messages() -> None:
    i = tf.placeholder(tf.int32, [3])
    with pytest.raises(TypeError, match="MpiAllreduce.*average needs a floating point"):
        dist.allreduce(i)
    assert dist.allreduce(i, op=dist.Sum).dtype == tf.int32
    with pytest.raises(ValueError, match="contradicts"):
        dist.allreduce(tf.constant(1.0), average=False, op=dist.Average)
    with pytest.raises(ValueError, match="Average or Sum"):
        dist.allreduce(tf.constant(1.0), op="max")
    with pytest.raises(ValueError, match=r"root_rank must be an int in \[0, 1\)"):
        dist.broadcast(tf.constant(1.0), 1)
    with pytest.raises(ValueError, match="root_rank"):
        dist.broadcast_global_variables(-1)
    with pytest.raises(ValueError, match="MpiAllgather.*rank >= 1"):
        dist.allgather(tf.constant(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        dist.grouped_allreduce([])
    with pytest.raises(TypeError, match="wraps a tf.train.Optimizer"):
        dist.DistributedOptimizer("sgd")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected tf.Variable"):
        dist.broadcast_variables([tf.constant(1.0)], 0)


def test_no_mpi4py_import_without_a_launcher() -> None:
    code = (
        "import sys, numpy as np, flowzero as tf, flowzero.distributed as d\n"
        "x = tf.constant(np.ones(3, np.float32))\n"
        "opt = d.DistributedOptimizer(tf.train.GradientDescentOptimizer(0.1))\n"
        "w = tf.Variable(np.ones(3, np.float32))\n"
        "op = opt.minimize(tf.reduce_sum(x * w))\n"
        "s = tf.Session(); s.run(tf.global_variables_initializer())\n"
        "s.run([op, d.broadcast_global_variables(0)])\n"
        "print(d.size(), d.rank(), d.mpi_enabled(), 'mpi4py' in sys.modules)\n"
    )
    res = run_python(code)
    assert res.returncode == 0, res.output
    assert res.output.split() == ["1", "0", "False", "False"]


_BLOCK = "import sys; sys.modules['mpi4py'] = None\nimport flowzero.distributed as d\n"


def test_multi_rank_launch_without_mpi4py_is_a_clear_error() -> None:
    res = run_python(_BLOCK + "d.rank()", OMPI_COMM_WORLD_SIZE="2", OMPI_COMM_WORLD_RANK="1")
    assert res.returncode != 0
    assert "DistributedError" in res.output
    assert "started by an MPI launcher with 2 ranks (OMPI_COMM_WORLD_SIZE=2" in res.output
    assert "mpi4py/MPI cannot be loaded" in res.output and "flowzero[mpi]" in res.output
    res = run_python(_BLOCK + "d.init()", PMI_SIZE="4", PMI_RANK="0")
    assert "started by an MPI launcher with 4 ranks (PMI_SIZE=4" in res.output


def test_explicit_mpi_request_without_mpi4py_is_a_clear_error() -> None:
    res = run_python(_BLOCK + "d.init(mpi=True)")
    assert (
        res.returncode != 0 and "MPI was requested, but mpi4py/MPI cannot be loaded" in res.output
    )


def test_a_one_rank_launch_needs_no_mpi4py() -> None:
    res = run_python(
        _BLOCK + "print(d.size(), d.mpi_enabled())",
        OMPI_COMM_WORLD_SIZE="1",
        OMPI_COMM_WORLD_RANK="0",
    )
    assert res.returncode == 0, res.output
    assert res.output.split() == ["1", "False"]


@pytest.mark.skipif(mpi_missing() is not None, reason=mpi_missing() or "")
def test_explicit_request_starts_a_singleton_mpi_job() -> None:
    res = run_python(
        "import flowzero.distributed as d, sys\n"
        "print(d.size(), d.rank(), d.mpi_enabled(), 'mpi4py' in sys.modules)",
        FLOWZERO_MPI="1",
    )
    assert res.returncode == 0, res.output
    assert res.output.split()[-4:] == ["1", "0", "True", "True"]
