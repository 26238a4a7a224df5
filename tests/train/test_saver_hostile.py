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
from flowzero.framework import errors

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


def _check_full_disk_save(d, fill=lambda: None):
    g, v, sess, saver = _model(1.0)
    prefix = os.path.join(d, "model.ckpt")
    first = saver.save(sess, prefix, global_step=1)
    before = _files(d)
    fill()
    with pytest.raises(errors.ResourceExhaustedError, match="no space left on device") as info:
        saver.save(sess, prefix, global_step=2)
    assert "model.ckpt-2" in str(info.value)
    # Nothing of checkpoint 2 is left (no .meta, .index or data file without the others, no
    # temp files); 1 restores.
    assert _files(d) == before, (before, _files(d))
    assert tf.train.latest_checkpoint(d) == first
    saver.restore(sess, first)
    np.testing.assert_array_equal(sess.run(v), np.ones(N, np.float32))
    # Once there is room again, the next save works.
    return saver, sess, prefix


def test_full_disk_on_a_real_tmpfs(small_disk):
    _check_full_disk_save(small_disk)


@pytest.mark.parametrize(
    "target",
    ["model.ckpt-2.meta", "model.ckpt-2.data-00000-of-00001", "model.ckpt-2.index", "checkpoint"],
)
def test_full_disk_simulated(tmp_path, monkeypatch, target):
    """The disk fills while one file of the second save is written: atomic_write meets
    ENOSPC (here when it renames its temp file into place)."""
    real = os.replace
    full = {"on": False}

    def replace(src, dst, *args, **kwargs):
        if full["on"] and os.path.basename(dst) == target:
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    saver, sess, prefix = _check_full_disk_save(str(tmp_path), lambda: full.update(on=True))
    full["on"] = False
    assert saver.save(sess, prefix, global_step=2) == prefix + "-2"
    assert tf.train.latest_checkpoint(str(tmp_path)) == prefix + "-2"


def test_full_disk_while_overwriting_a_step_keeps_the_old_files(tmp_path, monkeypatch):
    g, v, sess, saver = _model(1.0)
    prefix = os.path.join(str(tmp_path), "model.ckpt")
    saver.save(sess, prefix, global_step=1)
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if os.path.basename(dst) == "model.ckpt-1.index":
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with g.as_default():
        sess.run(v.assign(tf.fill([N], 2.0)))
    with pytest.raises(errors.ResourceExhaustedError, match="model.ckpt-1"):
        saver.save(sess, prefix, global_step=1)
    # The earlier files of step 1 are untouched and no new data file is left beside them.
    assert [n for n in _files(str(tmp_path)) if ".data-" in n] == [
        "model.ckpt-1.data-00000-of-00001"
    ]
    assert os.path.exists(prefix + "-1.meta")
    saver.restore(sess, prefix + "-1")
    np.testing.assert_array_equal(sess.run(v), np.ones(N, np.float32))


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


_READER = """
import resource, sys, warnings
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # reading /dev/zero ends here
import flowzero as tf
for call, d in zip(sys.argv[1::2], sys.argv[2::2]):
    print("== case", call, d)
    prefix = d + "/model.ckpt-1"
    calls = {
        "state": lambda: tf.train.latest_checkpoint(d),
        "meta": lambda: tf.train.import_meta_graph(prefix + ".meta"),
        "index": lambda: tf.train.list_variables(prefix),
        "data": lambda: tf.train.load_variable(prefix, "v"),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with tf.Graph().as_default():
                print("returned", calls[call]())
        except Exception as e:
            print("raised", type(e).__name__, e)
    for w in caught:
        print("warned", w.message)
"""

_SPECIAL_FILES = [
    ("state", "checkpoint"),
    ("meta", "model.ckpt-1.meta"),
    ("index", "model.ckpt-1.index"),
    ("data", "model.ckpt-1.data-00000-of-00001"),
]


@pytest.fixture(scope="module")
def special_file_reads(tmp_path_factory):
    """(call, kind) -> what a fresh process printed reading a checkpoint directory whose file
    for `call` is a FIFO or a link to /dev/zero. One process reads every case (under a 3 GiB
    address-space limit), each in its own directory; a read that blocks times it out."""
    g, _, sess, _ = _model(1.0)
    argv, case_of = [], {}
    for call, name in _SPECIAL_FILES:
        for kind in ("fifo", "device"):
            d = str(tmp_path_factory.mktemp(f"{call}-{kind}"))
            with g.as_default():  # a Saver per directory: one keeps only its last 5 saves
                tf.train.Saver().save(sess, os.path.join(d, "model.ckpt"), global_step=1)
            os.unlink(os.path.join(d, name))
            if kind == "fifo":
                os.mkfifo(os.path.join(d, name))
            else:
                os.symlink("/dev/zero", os.path.join(d, name))
            argv += [call, d]
            case_of[d] = (call, kind)
    env = dict(os.environ, PYTHONPATH=REPO, OPENBLAS_NUM_THREADS="1")
    try:
        r = subprocess.run(
            [sys.executable, "-c", _READER, *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"reading a FIFO or a device blocked; the cases done:\n{e.stdout}")
    assert r.returncode == 0, r.stderr
    out = {}
    for part in r.stdout.split("== case ")[1:]:
        head, _, body = part.partition("\n")
        out[case_of[head.split(" ", 1)[1]]] = body
    return out


@pytest.mark.skipif(
    not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"),
    reason="no FIFOs or no /dev/zero here",
)
@pytest.mark.parametrize("kind", ["fifo", "device"])
@pytest.mark.parametrize("call,name", _SPECIAL_FILES)
def test_checkpoint_files_that_are_no_regular_files_are_refused(
    special_file_reads, call, name, kind
):
    """A FIFO would block its reader forever, /dev/zero never ends: each file of a checkpoint
    directory is refused as such (the state file: a warning, as for a corrupted one)."""
    out = special_file_reads[(call, kind)]
    what = "FIFO" if kind == "fifo" else "device"
    if call == "state":
        assert out.startswith("returned None") and "warned" in out and what in out, out
    else:
        assert out.startswith("raised DataLossError") and what in out and name in out, out


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
