"""tf.train.get_checkpoint_mtimes, remove_checkpoint, generate_checkpoint_state_proto."""

from __future__ import annotations

import os

import pytest

import flowzero as tf


def test_mtimes_and_remove(tmp_path):
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.Variable(1.0)
        sess.run(v.initializer)
        saver = tf.train.Saver()
        a = saver.save(sess, str(tmp_path / "m"), global_step=1)
        b = saver.save(sess, str(tmp_path / "m"), global_step=2)
    times = tf.train.get_checkpoint_mtimes([a, str(tmp_path / "none"), b])
    assert times == [
        os.stat(a + ".index").st_mtime_ns / 1e9,
        os.stat(b + ".index").st_mtime_ns / 1e9,
    ]
    tf.train.remove_checkpoint(a)
    assert not tf.train.checkpoint_exists(a)
    assert not os.path.exists(a + ".meta")
    assert not [p for p in os.listdir(tmp_path) if p.startswith("m-1.")]
    assert tf.train.checkpoint_exists(b)


def test_generate_checkpoint_state_proto():
    st = tf.train.generate_checkpoint_state_proto("run", "run/m-3", ["run/m-1"], [1.0, 2.0])
    assert st.model_checkpoint_path == "m-3"
    assert st.all_model_checkpoint_paths == ["m-1", "m-3"]
    assert st.all_model_checkpoint_timestamps == [1.0, 2.0]
    st = tf.train.generate_checkpoint_state_proto("/abs", "/abs/m-3")
    assert (st.model_checkpoint_path, st.all_model_checkpoint_paths) == ("/abs/m-3", ["/abs/m-3"])
    with pytest.raises(ValueError, match="timestamps, if provided, must match"):
        tf.train.generate_checkpoint_state_proto("d", "d/m-2", ["d/m-1"], [1.0])
