"""The thread policy's decisions: which ops run on how many BLAS threads under which settings,
and that the process's setting is put back after every run (exceptions included).

Not timings: the BLAS is a recording fake here, except in the tests that read the real one's
thread count from inside a run (they need threadpoolctl).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.runtime import threads


class FakeBlas:
    """Records every thread count set; `get` answers what it was set to last."""

    def __init__(self, outside: int) -> None:
        self.now = outside
        self.sets: list[int] = []

    def set(self, n: int) -> None:
        self.sets.append(n)
        self.now = n

    def get(self) -> int:
        return self.now


@pytest.fixture
def blas(monkeypatch):
    """A 4-core machine whose BLAS uses 4 threads outside runs, nothing else running."""
    fake = FakeBlas(4)
    st = threads._state
    monkeypatch.setattr(st, "blas", fake)
    monkeypatch.setattr(st, "cores", 4)
    monkeypatch.setattr(st, "sample", lambda ours: 0.0)
    monkeypatch.setattr(st, "sampled_at", -1.0)
    monkeypatch.setattr(st, "others", 0.0)
    monkeypatch.setattr(st, "current", 0)
    monkeypatch.setattr(st, "outside", 0)
    monkeypatch.delenv(threads.ENV_THREADS, raising=False)
    monkeypatch.delenv(threads.ENV_POLICY, raising=False)
    return fake


def _matmul_graph(m: int, k: int, n: int, static: bool = False):
    """(graph, x placeholder, product, feed) for x [m, k] @ w [k, n]."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [m if static else None, k])
        w = tf.constant(np.ones((k, n), np.float32))
        y = tf.matmul(x, w)
    return g, x, y, {x: np.ones((m, k), np.float32)}


# -- the rule ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "work, outputs, kind",
    [
        (2 * 2 * 1, 2, threads.DONT_CARE),  # the tutorial's matmul: never touched
        (threads.SMALL_WORK - 1, 10**6, threads.DONT_CARE),
        (100 * 784 * 50, 100 * 50, 1),  # TwoLayerNet's first layer
        (threads.PARALLEL_WORK, threads.PARALLEL_OUTPUTS, -1),
        (25 * 57600 * 30, 25 * 30, 1),  # a filter gradient: long inner dimension, tiny output
        (1000 * 784 * 50, 1000 * 50, -1),  # TwoLayerNet at batch 1000
    ],
)
def test_classify(work, outputs, kind):
    assert threads.classify(work, outputs) == kind


@pytest.mark.parametrize(
    "others, cores, free", [(0.0, 4, 4), (1.0, 4, 3), (0.3, 2, 1), (0.2, 2, 2), (9.0, 2, 1)]
)
def test_free_cores_leaves_other_processes_their_cores(blas, monkeypatch, others, cores, free):
    monkeypatch.setattr(threads._state, "cores", cores)
    monkeypatch.setattr(threads._state, "sample", lambda ours: others)
    assert threads.free_cores() == free


# -- decisions in a run ------------------------------------------------------------------------
def test_tiny_plan_never_touches_the_blas(blas):
    g = tf.Graph()
    with g.as_default():
        product = tf.matmul(tf.constant([[3.0, 3.0]]), tf.constant([[2.0], [2.0]]))
    with tf.Session(graph=g) as sess:
        assert sess.run(product)[0, 0] == 12.0
        plan = sess._plans[(product,)][0]
        assert plan.threaded is False
    assert blas.sets == []


@pytest.mark.parametrize("static", [True, False])
def test_mid_size_gemm_runs_on_one_thread(blas, static):
    g, x, y, feed = _matmul_graph(100, 784, 50, static=static)
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)
    assert blas.sets == [1, 4]  # one thread for the op, the outside count back after the run
    assert blas.now == 4


def test_large_gemm_gets_every_free_core(blas):
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)
        assert blas.sets == []  # the BLAS already had 4 threads: nothing to switch
        small = {x: np.ones((10, 784), np.float32)}  # the same plan, a small batch
        sess.run(y, small)
        assert blas.sets == [1, 4]


def test_large_gemm_on_a_busy_machine_gets_one_thread(blas, monkeypatch):
    monkeypatch.setattr(threads._state, "sample", lambda ours: 3.5)
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)
    assert blas.sets == [1, 4]


def test_switches_only_when_the_decision_changes(blas):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 784])
        h = tf.matmul(x, tf.constant(np.ones((784, 50), np.float32)))  # one thread
        h = tf.matmul(h, tf.constant(np.ones((50, 784), np.float32)))  # one thread
        big = tf.matmul(tf.transpose(h), h)  # 784 x 100 @ 100 x 784: parallel
    with tf.Session(graph=g) as sess:
        sess.run(big, {x: np.ones((100, 784), np.float32)})
    assert blas.sets == [1, 4]  # 1 for both small products, 4 for the large one (= outside)


def test_conv_ops_decide_from_their_gemm(blas):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 24, 24, 30])
        w = tf.constant(np.ones((3, 3, 30, 30), np.float32))
        y = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")  # 57,600 x 270 @ 270 x 30: parallel
        dw = tf.gradients(tf.reduce_sum(y), w)[0]  # output 3x3x30x30: one thread
    with tf.Session(graph=g) as sess:
        sess.run(y, {x: np.ones((100, 24, 24, 30), np.float32)})
        assert blas.sets == []
        sess.run(dw, {x: np.ones((100, 24, 24, 30), np.float32)})
        assert blas.sets == [1, 4]


def test_lstm_cell_steps_decide_from_their_gemm(blas):
    """The fused LSTM step (a while-loop dynamic_rnn's body, static_rnn) and its gradient:
    at W7's size, [128, 28 + 128] @ [156, 512] (10.2 M multiply-adds), as many threads as the
    free cores allow (here all: nothing to switch); at batch 32 (2.6 M), one thread, switched
    once per run."""
    from flowzero.ops import rnn_ops

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 28])
        c = tf.placeholder(tf.float32, [None, 128])
        w = tf.constant(np.full((156, 512), 1e-2, np.float32))
        b = tf.constant(np.zeros(512, np.float32))
        h = rnn_ops.lstm_block_cell(x, c, c, w, b)[6]
        dw = tf.gradients(tf.reduce_sum(h), w)[0]
    feed = {x: np.ones((128, 28), np.float32), c: np.zeros((128, 128), np.float32)}
    with tf.Session(graph=g) as sess:
        sess.run(dw, feed)
    assert blas.sets == []
    mid = {x: np.ones((32, 28), np.float32), c: np.zeros((32, 128), np.float32)}
    with tf.Session(graph=g) as sess:
        sess.run(dw, mid)
    assert blas.sets == [1, 4]
    small = {x: np.ones((2, 28), np.float32), c: np.zeros((2, 128), np.float32)}
    del blas.sets[:]
    with tf.Session(graph=g) as sess:
        sess.run(dw, small)  # 2 x 156 x 512: below the BLAS's own threshold, left alone
    assert blas.sets == []


# -- settings ----------------------------------------------------------------------------------
@pytest.mark.parametrize("intra, want", [(1, [1, 4]), (2, [2, 4]), (0, []), (8, [])])
def test_config_intra_op_threads_caps_large_ops(blas, intra, want):
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    config = tf.ConfigProto(intra_op_parallelism_threads=intra, inter_op_parallelism_threads=2)
    with tf.Session(graph=g, config=config) as sess:
        sess.run(y, feed)
    assert blas.sets == want  # 8 asked on 4 free cores: 4, the outside count already


def test_config_set_as_attribute(blas):
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    config = tf.ConfigProto()
    assert config.intra_op_parallelism_threads == 0
    config.intra_op_parallelism_threads = 3
    with tf.Session(graph=g, config=config) as sess:
        sess.run(y, feed)
    assert blas.sets == [3, 4]


def test_config_rejects_a_non_integer():
    # tf.ConfigProto is TF's protobuf message: the field's type is checked where it is set.
    with pytest.raises(TypeError):
        tf.ConfigProto(intra_op_parallelism_threads="2")
    # A config object of another kind (duck-typed) is checked when the Session reads it.
    from types import SimpleNamespace

    config = SimpleNamespace(intra_op_parallelism_threads="2")
    with pytest.raises(TypeError, match="intra_op_parallelism_threads must be an int"):
        tf.Session(graph=tf.Graph(), config=config)


def test_env_var_caps_large_ops(blas, monkeypatch):
    monkeypatch.setenv(threads.ENV_THREADS, "2")
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)
    assert blas.sets == [2, 4]
    # the session's config wins over the environment
    config = tf.ConfigProto(intra_op_parallelism_threads=3)
    with tf.Session(graph=g, config=config) as sess:
        sess.run(y, feed)
    assert blas.sets == [2, 4, 3, 4]


def test_env_var_that_is_not_a_count_is_ignored_with_a_warning(blas, monkeypatch):
    monkeypatch.setenv(threads.ENV_THREADS, "many")
    with pytest.warns(RuntimeWarning, match="FLOWZERO_NUM_THREADS='many'"):
        sess = tf.Session(graph=tf.Graph())
    assert sess._threads.cap == 0


def test_policy_off_leaves_the_blas_alone(blas, monkeypatch):
    monkeypatch.setenv(threads.ENV_POLICY, "0")
    g, x, y, feed = _matmul_graph(100, 784, 50)
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)
        assert sess._plans[(y, x)][0].threaded is False
    assert blas.sets == []


def test_outside_limit_is_the_cap(blas):
    """An OPENBLAS_NUM_THREADS=1 or an enclosing threadpool_limits(1): the BLAS says 1."""
    blas.now = 1
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)
    assert blas.sets == []


# -- restoring ---------------------------------------------------------------------------------
def test_restored_after_an_error(blas):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, None])
        y = tf.matmul(x, tf.constant(np.ones((784, 50), np.float32)))  # one thread
        z = tf.matmul(y, tf.placeholder(tf.float32, [None, None], name="bad"))
    bad = g.get_tensor_by_name("bad:0")
    with tf.Session(graph=g) as sess:
        with pytest.raises(errors.InvalidArgumentError, match="MatMul"):
            sess.run(z, {x: np.ones((100, 784), np.float32), bad: np.ones((3, 3), np.float32)})
    assert blas.sets == [1, 4]
    assert threads._state.depth == 0


def test_loop_bodies_switch_inside_the_outer_run_only(blas):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 150])
        w = tf.constant(np.full((150, 150), 1e-3, np.float32))
        _, y = tf.while_loop(
            lambda i, h: i < 3, lambda i, h: (i + 1, tf.matmul(h, w)), [tf.constant(0), x]
        )
    feed = {x: np.ones((100, 150), np.float32)}  # 100 x 150 x 150: one thread
    with tf.Session(graph=g) as sess:
        sess.run(y, feed)  # the first run finds out that the body switches: once per iteration
        assert blas.sets == [1, 4] * 3
        del blas.sets[:]
        sess.run(y, feed)  # from then on the outer run switches, once
    assert blas.sets == [1, 4]
    assert threads._state.depth == 0


# -- the real BLAS -----------------------------------------------------------------------------
def _blas_threads_inside(sess, product, feed):
    """The real BLAS's thread count right after `product` was computed, read by a py_func that
    waits for it."""
    from threadpoolctl import threadpool_info

    def read(_):
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        # NumPy's own BLAS where it can be told apart: `import numba` (the fast extra) imports
        # SciPy, whose bundled OpenBLAS is loaded then but never runs flowzero's GEMMs.
        own = [i for i in blas if "numpy" in i["filepath"]] or blas
        return np.int32(max(i["num_threads"] for i in own))

    with sess.graph.as_default():
        seen = tf.py_func(read, [product], tf.int32)
    return int(sess.run(seen, feed))


def test_real_blas_one_thread_inside_restored_after(monkeypatch):
    pytest.importorskip("threadpoolctl")
    from threadpoolctl import threadpool_info, threadpool_limits

    monkeypatch.delenv(threads.ENV_THREADS, raising=False)
    monkeypatch.delenv(threads.ENV_POLICY, raising=False)
    # The BLAS libraries loaded now, as in a fresh process: an earlier test may have imported
    # Numba (the compiled kernels), which imports SciPy and with it SciPy's own OpenBLAS, after
    # the policy had looked for libraries; NumPy never calls that one, but it is read below.
    monkeypatch.setattr(threads._state, "blas", None)
    with threadpool_limits(limits=2, user_api="blas"):
        before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        if not before or threads._Blas().get() == 0:
            pytest.skip("no BLAS whose threads can be set")
        g, x, y, feed = _matmul_graph(100, 784, 50)
        with tf.Session(graph=g) as sess:
            assert _blas_threads_inside(sess, y, feed) == 1
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert after == before


def test_real_blas_large_op_on_a_free_machine_gets_the_cap(monkeypatch):
    """The multi-threaded branch with the real BLAS: 1 thread outside, the session's config
    asks for 2, the machine looks free: 2 inside the run, 1 again after it."""
    pytest.importorskip("threadpoolctl")
    from threadpoolctl import threadpool_info, threadpool_limits

    monkeypatch.delenv(threads.ENV_POLICY, raising=False)
    monkeypatch.setattr(threads._state, "sample", lambda ours: 0.0)
    monkeypatch.setattr(threads._state, "cores", 2)
    monkeypatch.setattr(threads._state, "sampled_at", -1.0)
    with threadpool_limits(limits=1, user_api="blas"):
        if threads._Blas().get() != 1:
            pytest.skip("no BLAS whose threads can be set")
        g, x, y, feed = _matmul_graph(1000, 784, 50)
        config = tf.ConfigProto(intra_op_parallelism_threads=2)
        with tf.Session(graph=g, config=config) as sess:
            assert _blas_threads_inside(sess, y, feed) == 2
        after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert after and set(after) == {1}


def test_openblas_num_threads_env_is_respected(tmp_path):
    """A user's OPENBLAS_NUM_THREADS=1 (read by the BLAS when NumPy loads) is the cap."""
    pytest.importorskip("threadpoolctl")
    script = textwrap.dedent("""
        import numpy as np
        import flowzero as tf
        from flowzero.runtime import threads
        from threadpoolctl import threadpool_info
        threads._state.sample = lambda ours: 0.0  # whatever else runs on this machine
        x = tf.placeholder(tf.float32, [None, 784])
        y = tf.matmul(x, tf.constant(np.ones((784, 50), np.float32)))
        seen = tf.py_func(lambda _: np.int32(max(i["num_threads"] for i in threadpool_info()
                                                 if i["user_api"] == "blas")), [y], tf.int32)
        with tf.Session() as sess:
            print(int(sess.run(seen, {x: np.ones((1000, 784), np.float32)})))
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    env.pop(threads.ENV_THREADS, None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "1"


def test_without_threadpoolctl_the_policy_is_inert(monkeypatch):
    """threadpoolctl is a dependency, but a broken or missing install must not break runs."""
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # `import threadpoolctl` fails
    monkeypatch.setattr(threads._state, "blas", None)
    monkeypatch.setattr(threads._state, "current", 0)
    monkeypatch.setattr(threads._state, "outside", 0)
    g, x, y, feed = _matmul_graph(1000, 784, 50)
    with tf.Session(graph=g) as sess:
        np.testing.assert_allclose(sess.run(y, feed)[0, :3], [784.0] * 3)
        np.testing.assert_allclose(sess.run(y, {x: np.ones((10, 784), np.float32)})[0, :1], [784])
    assert threads._state.blas.setters == []
    assert threads._state.depth == 0
