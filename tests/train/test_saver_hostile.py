"""Saver under faults: a full disk (a real tiny tmpfs where the test may mount one, else a
simulated ENOSPC), two processes saving the same step into one directory, a Session shared
by threads."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors, serialization

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = 25_000  # float32: 100 KB of checkpoint data


def _model(value=0.0):
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(tf.fill([N], value), name="v")  # no 100 KB constant in the meta graph
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        saver = tf.train.Saver()
    return g, v, sess, saver


def _files(d):
    return sorted(n for n in os.listdir(d))


@pytest.fixture
def small_disk(tmp_path):
    """A 192 KiB tmpfs: room for one checkpoint of N floats, not two."""
    if os.geteuid() != 0 or not os.path.exists("/proc/mounts"):
        pytest.skip("mounting a tmpfs needs root")
    d = tmp_path / "disk"
    d.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(d)],
        capture_output=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield str(d)
    finally:
        subprocess.run(["umount", str(d)], check=False)


def _check_full_disk_save(d):
    g, v, sess, saver = _model(1.0)
    prefix = os.path.join(d, "model.ckpt")
    first = saver.save(sess, prefix, global_step=1)
    before = _files(d)
    with pytest.raises(errors.ResourceExhaustedError, match="no space left on device") as info:
        saver.save(sess, prefix, global_step=2)
    assert "model.ckpt-2" in str(info.value)
    # Nothing of checkpoint 2 is left (no .meta without its data, no temp files); 1 restores.
    assert _files(d) == before, (before, _files(d))
    assert tf.train.latest_checkpoint(d) == first
    saver.restore(sess, first)
    np.testing.assert_array_equal(sess.run(v), np.ones(N, np.float32))


def test_full_disk_on_a_real_tmpfs(small_disk):
    _check_full_disk_save(small_disk)


def test_full_disk_simulated(tmp_path, monkeypatch):
    real = serialization.write_npz
    calls = {"n": 0}

    def write_npz(f, arrays):
        calls["n"] += 1
        if calls["n"] > 2:  # the first save's meta graph and data go through
            raise OSError(errno.ENOSPC, "No space left on device")
        real(f, arrays)

    monkeypatch.setattr(serialization, "write_npz", write_npz)
    _check_full_disk_save(str(tmp_path))


_WRITER = """
import sys
import flowzero as tf
value, directory = float(sys.argv[1]), sys.argv[2]
v = tf.Variable(tf.fill([{n}], value), name="v")
sess = tf.Session()
sess.run(tf.global_variables_initializer())
saver = tf.train.Saver()
for _ in range(25):
    saver.save(sess, directory + "/model.ckpt", global_step=7)
"""


def test_two_processes_saving_the_same_step(tmp_path):
    d = str(tmp_path)
    env = dict(os.environ, PYTHONPATH=REPO, OPENBLAS_NUM_THREADS="1")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER.format(n=N), str(val), d],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for val in (1, 2)
    ]
    g, v, sess, saver = _model()
    seen, failures = set(), []
    prefix = os.path.join(d, "model.ckpt-7")
    while any(p.poll() is None for p in procs):
        if not os.path.exists(prefix + ".index"):
            continue
        try:
            saver.restore(sess, prefix)
        except errors.DataLossError as e:
            failures.append(str(e))
            continue
        got = sess.run(v)
        assert got.min() == got.max(), "values of two writers mixed"
        seen.add(float(got[0]))
    for p in procs:
        err = p.stderr.read()
        assert p.wait() == 0, err
        assert "Traceback" not in err, err
    assert seen <= {1.0, 2.0} and seen
    assert not failures, failures[:3]
    saver.restore(sess, prefix)
    assert float(sess.run(v)[0]) in (1.0, 2.0)
    leftovers = [n for n in os.listdir(d) if ".tmp-" in n]
    assert not leftovers, leftovers


def test_session_shared_by_threads():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 20])
        w = tf.Variable(np.random.RandomState(0).randn(20, 30).astype(np.float32))
        z = tf.reduce_sum(tf.square(tf.nn.relu(tf.matmul(x, w))), 1)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    wv = sess.run(w)
    bad = []

    def work(seed):
        rng = np.random.RandomState(seed)
        for _ in range(200):
            a = rng.randn(rng.randint(1, 9), 20).astype(np.float32)
            got = sess.run(z, {x: a})
            want = (np.maximum(a @ wv, 0) ** 2).sum(1)
            if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4):
                bad.append(seed)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not bad
