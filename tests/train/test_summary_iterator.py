"""tf.train.summary_iterator reads back what tf.summary.FileWriter wrote (and TF's files)."""

from __future__ import annotations

import glob
import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import flowzero as tf

pytest.importorskip("tensorboardX")


def test_reads_back_scalars_written_by_file_writer(tmp_path):
    x = tf.placeholder(tf.float32, [])
    summ = tf.summary.scalar("loss", x)
    with tf.Session() as sess, tf.summary.FileWriter(str(tmp_path)) as w:
        for step in range(3):
            w.add_summary(sess.run(summ, {x: step * 1.5}), step)
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    events = list(tf.train.summary_iterator(path))
    assert events[0].HasField("file_version") or events[0].file_version
    got = [(e.step, v.tag, v.simple_value) for e in events for v in e.summary.value]
    assert got == [(0, "loss", 0.0), (1, "loss", 1.5), (2, "loss", 3.0)]


def test_is_the_function_after_its_module_is_imported():
    """Importing flowzero.train.summary_iterator (as the docstring-example test's walk does)
    must not turn tf.train.summary_iterator into that module (it did while the name was lazy)."""
    program = (
        "import flowzero.train.summary_iterator\n"
        "import flowzero as tf\n"
        "print(type(tf.train.summary_iterator).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "function"
    module = sys.modules["flowzero.train.summary_iterator"]
    assert tf.train.summary_iterator is module.summary_iterator


def test_missing_file_raises(tmp_path):
    with pytest.raises(tf.errors.NotFoundError):
        list(tf.train.summary_iterator(str(tmp_path / "nope")))


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
def test_reads_tensorflow_event_files(tmp_path):
    import tensorflow as real_tf

    v1 = real_tf.compat.v1
    with v1.Graph().as_default():
        x = v1.placeholder(v1.float32, [])
        summ = v1.summary.scalar("acc", x)
        with v1.Session() as sess:
            w = v1.summary.FileWriter(str(tmp_path))
            w.add_summary(sess.run(summ, {x: 0.25}), 7)
            w.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    mine = [
        (e.step, v.tag, v.simple_value)
        for e in tf.train.summary_iterator(path)
        for v in e.summary.value
    ]
    theirs = [
        (e.step, v.tag, v.simple_value)
        for e in v1.train.summary_iterator(path)
        for v in e.summary.value
    ]
    assert mine == theirs == [(7, "acc", np.float32(0.25))]
