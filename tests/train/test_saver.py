"""tf.train.Saver: bit-identical save/restore (in this process and a new one), checkpoint naming,
max_to_keep, the state file, var_list forms, error paths, the on-disk format, and crash safety:
a process killed at every commit point of a save, and by a real SIGKILL while saving a large
variable, always leaves a latest checkpoint that restores exactly one complete state."""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.models import TwoLayerNet
from flowzero.train import tensor_bundle
from flowzero.train.checkpoint_utils import read_checkpoint_index, write_flowzero_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
X = np.random.default_rng(0).random((16, 784), dtype=np.float32)
T = (np.arange(16) % 10).astype(np.int32)


def _trained_net(steps: int = 3, seed: int = 0):
    """A TwoLayerNet + Adam + global step in a new graph, trained a few steps in `sess`."""
    g = tf.Graph()
    with g.as_default():
        net = TwoLayerNet(hidden_size=20, seed=seed)
        step = tf.train.get_or_create_global_step()
        train = tf.train.AdamOptimizer(0.01).minimize(net.loss, global_step=step)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        for _ in range(steps):
            sess.run(train, {net.x: X, net.t: T})
    return g, net, step, train, sess


def _values(sess, graph):
    return {v.op.name: sess.run(v) for v in graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}


def _assert_same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        assert np.asarray(a[k]).dtype == np.asarray(b[k]).dtype, k


# -- round trips -------------------------------------------------------------------------------
def test_save_restore_bit_identical_values_and_predictions(tmp_path):
    g, net, step, train, sess = _trained_net()
    with g.as_default():
        saver = tf.train.Saver()
    path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    assert path == str(tmp_path / "model.ckpt-3")
    want, want_logits = _values(sess, g), sess.run(net.logits, {net.x: X})

    g2, net2, _, train2, sess2 = _trained_net(steps=0, seed=1)  # other initial values
    with g2.as_default():
        saver2 = tf.train.Saver()
    assert not np.array_equal(sess2.run(net2.params["W1"]), want["two_layer_net/W1"])
    saver2.restore(sess2, path)
    _assert_same(_values(sess2, g2), want)  # incl. Adam slots, beta powers, global_step
    np.testing.assert_array_equal(sess2.run(net2.logits, {net2.x: X}), want_logits)
    # Training continues identically from the restored state.
    sess.run(train, {net.x: X, net.t: T})
    sess2.run(train2, {net2.x: X, net2.t: T})
    _assert_same(_values(sess2, g2), _values(sess, g))


def test_save_and_restore_add_no_graph_ops(tmp_path):
    g, net, step, _, sess = _trained_net(steps=1)
    with g.as_default():
        before = g.version
        saver = tf.train.Saver()
        for i in range(3):
            p = saver.save(sess, str(tmp_path / "m"), global_step=i)
            saver.restore(sess, p)
    assert g.version == before


_NEW_PROCESS = textwrap.dedent("""
    import sys, numpy as np, flowzero as tf
    from flowzero.models import TwoLayerNet
    ckpt_dir, out, mode, logits_name, x_name = sys.argv[1:6]
    x = np.load(ckpt_dir + "/x.npy")
    if mode == "rebuild":   # the model code builds the graph (other initial values), then restore
        net = TwoLayerNet(hidden_size=20, seed=123)
        step = tf.train.get_or_create_global_step()
        tf.train.AdamOptimizer(0.01).minimize(net.loss, global_step=step)
        saver = tf.train.Saver()
        logits, xin = net.logits, net.x
    else:                   # no model code: the graph comes from the .meta file
        saver = tf.train.import_meta_graph(tf.train.latest_checkpoint(ckpt_dir) + ".meta")
        g = tf.get_default_graph()
        logits = g.get_tensor_by_name(logits_name)
        xin = g.get_tensor_by_name(x_name)
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(ckpt_dir))
        np.save(out, sess.run(logits, {xin: x}))
        w = {v.op.name: sess.run(v) for v in tf.global_variables()}
        np.savez(out + ".vars.npz", **{k.replace("/", "|"): v for k, v in w.items()})
""")


@pytest.mark.parametrize("mode", ["rebuild", "import_meta_graph"])
def test_restore_in_a_new_process_gives_bit_identical_predictions(tmp_path, mode):
    g, net, step, _, sess = _trained_net()
    with g.as_default():
        tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=step)
    np.save(tmp_path / "x.npy", X)
    out = str(tmp_path / "pred.npy")
    p = subprocess.run(
        [sys.executable, "-c", _NEW_PROCESS, str(tmp_path), out, mode, net.logits.name, net.x.name],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=str(tmp_path),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    got = np.load(out)
    np.testing.assert_array_equal(got, sess.run(net.logits, {net.x: X}))
    assert got.dtype == np.float32
    with np.load(out + ".vars.npz") as z:
        _assert_same({k.replace("|", "/"): z[k] for k in z.files}, _values(sess, g))


# -- naming, state file, max_to_keep -----------------------------------------------------------
def _simple(dtype=tf.float32, shape=(2, 3), name="v", value=1.0):
    v = tf.Variable(np.full(shape, value, dtype.as_numpy_dtype), name=name)
    sess = tf.Session()
    sess.run(v.initializer)
    return v, sess


def test_global_step_naming_int_variable_and_padding(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    v, sess = _simple()
    step = tf.train.get_or_create_global_step()
    sess.run(step.initializer)
    sess.run(step.assign(42))
    saver = tf.train.Saver()
    assert saver.save(sess, "ckpt/model.ckpt") == "ckpt/model.ckpt"
    assert saver.save(sess, "ckpt/model.ckpt", global_step=7) == "ckpt/model.ckpt-7"
    assert saver.save(sess, "ckpt/model.ckpt", global_step=step) == "ckpt/model.ckpt-42"
    assert saver.save(sess, "ckpt/model.ckpt", global_step=np.int64(9)) == "ckpt/model.ckpt-9"
    padded = tf.train.Saver(pad_step_number=True)
    assert padded.save(sess, "ckpt/p", global_step=5) == "ckpt/p-00000005"
    # Relative paths are relative to the current directory, the state file to its directory.
    assert os.path.isfile(tmp_path / "ckpt" / "model.ckpt-42.index")
    assert tf.train.latest_checkpoint("ckpt") == os.path.join("ckpt", "p-00000005")
    st = tf.train.get_checkpoint_state("ckpt")
    assert st.model_checkpoint_path == os.path.join("ckpt", "p-00000005")
    with open("ckpt/checkpoint") as f:
        assert 'model_checkpoint_path: "p-00000005"' in f.read()
    idx = read_checkpoint_index(str(tmp_path / "ckpt" / "model.ckpt-42"))
    assert idx["global_step"] == 42


def test_max_to_keep_deletes_old_checkpoints_and_updates_state(tmp_path):
    v, sess = _simple()
    saver = tf.train.Saver(max_to_keep=2)
    paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(5)]
    assert saver.last_checkpoints == paths[-2:]
    for p in paths[:3]:
        assert not glob.glob(p + ".*"), f"{p} not deleted"
        assert not tf.train.checkpoint_exists(p)
    for p in paths[3:]:
        files = {os.path.basename(f) for f in glob.glob(p + ".*")}
        base = os.path.basename(p)
        assert {base + s for s in (".index", ".data-00000-of-00001", ".meta")} <= files
        assert not files & {base + ".npz", base + ".alt.npz"}, files
    st = tf.train.get_checkpoint_state(str(tmp_path))
    assert st.model_checkpoint_path == paths[-1]
    assert st.all_model_checkpoint_paths == paths[-2:]
    assert len(st.all_model_checkpoint_timestamps) == 2
    # Saving the same step again moves it to the end instead of duplicating it.
    saver.save(sess, str(tmp_path / "m"), global_step=3)
    assert saver.last_checkpoints == [paths[4], paths[3]]

    keep_all = tf.train.Saver(max_to_keep=None)
    many = [keep_all.save(sess, str(tmp_path / "all"), global_step=i) for i in range(7)]
    assert all(tf.train.checkpoint_exists(p) for p in many)
    no_state = tf.train.Saver(max_to_keep=1)
    for i in range(3):
        no_state.save(
            sess, str(tmp_path / "ns"), global_step=i, write_state=False, write_meta_graph=False
        )
    assert all(tf.train.checkpoint_exists(str(tmp_path / f"ns-{i}")) for i in range(3))
    assert not os.path.exists(str(tmp_path / "ns-0.meta"))


def test_keep_checkpoint_every_n_hours_preserves_old_ones(tmp_path):
    v, sess = _simple()
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=0.0)
    paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(3)]
    time.sleep(0.01)
    assert all(tf.train.checkpoint_exists(p) for p in paths)  # each passed the n-hours mark
    assert saver.last_checkpoints == paths[-1:]


def test_latest_checkpoint_none_fallback_and_moved_directory(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    v, sess = _simple()
    saver = tf.train.Saver()
    a = saver.save(sess, str(tmp_path / "d" / "m"), global_step=1)
    b = saver.save(sess, str(tmp_path / "d" / "m"), global_step=2)
    assert tf.train.latest_checkpoint(str(tmp_path / "d")) == b
    os.unlink(b + ".index")  # deleted by hand: the newest complete one is used
    assert tf.train.latest_checkpoint(str(tmp_path / "d")) == a
    # Relative paths in the state file: the directory can be moved.
    shutil.move(str(tmp_path / "d"), str(tmp_path / "moved"))
    got = tf.train.latest_checkpoint(str(tmp_path / "moved"))
    assert got == str(tmp_path / "moved" / "m-1")
    saver.restore(sess, got)
    # Absolute paths (save_relative_paths=False) resolve after a move too.
    abs_saver = tf.train.Saver(save_relative_paths=False)
    c = abs_saver.save(sess, str(tmp_path / "e" / "m"), global_step=3)
    assert f'"{c}"' in (tmp_path / "e" / "checkpoint").read_text()
    shutil.move(str(tmp_path / "e"), str(tmp_path / "e2"))
    assert tf.train.latest_checkpoint(str(tmp_path / "e2")) == str(tmp_path / "e2" / "m-3")
    # A custom state file name.
    saver.save(sess, str(tmp_path / "f" / "m"), global_step=4, latest_filename="latest")
    assert tf.train.latest_checkpoint(str(tmp_path / "f")) is None
    assert tf.train.latest_checkpoint(str(tmp_path / "f"), "latest") == str(tmp_path / "f/m-4")


def test_state_file_is_tf_text_format_and_round_trips(tmp_path):
    st = tf.train.CheckpointState(
        'a "quoted" \\ päth\n', ["x", 'a "quoted" \\ päth\n'], [1.5, 2.5], 1.0
    )
    parsed = tf.train.CheckpointState.from_text(st.to_text())
    assert parsed.model_checkpoint_path == st.model_checkpoint_path
    assert parsed.all_model_checkpoint_paths == st.all_model_checkpoint_paths
    assert parsed.all_model_checkpoint_timestamps == [1.5, 2.5]
    assert parsed.last_preserved_timestamp == 1.0
    # A state file as TF writes it.
    (tmp_path / "checkpoint").write_text(
        'model_checkpoint_path: "model.ckpt-2"\nall_model_checkpoint_paths: "model.ckpt-1"\n'
        'all_model_checkpoint_paths: "model.ckpt-2"\n'
    )
    st = tf.train.get_checkpoint_state(str(tmp_path))
    assert st.all_model_checkpoint_paths == [
        str(tmp_path / "model.ckpt-1"),
        str(tmp_path / "model.ckpt-2"),
    ]
    # TF writes non-ASCII bytes as octal escapes.
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "caf\\303\\251\\tx-1"\n')
    assert tf.train.get_checkpoint_state(str(tmp_path)).model_checkpoint_path == str(
        tmp_path / "caf\u00e9\tx-1"
    )
    (tmp_path / "checkpoint").write_text("garbage without a colon\n")
    with pytest.warns(RuntimeWarning, match="cannot parse"):
        assert tf.train.get_checkpoint_state(str(tmp_path)) is None


# -- var_list ----------------------------------------------------------------------------------
def test_var_list_dict_renames_keys_and_list_selects(tmp_path):
    a, sess = _simple(name="a", value=1.0)
    b = tf.Variable(np.arange(4, dtype=np.int32), name="scope/b")
    sess.run(b.initializer)
    p = tf.train.Saver({"renamed/a": a, "b_key": b}).save(sess, str(tmp_path / "d"))
    assert tf.train.list_variables(p) == [("b_key", [4]), ("renamed/a", [2, 3])]
    np.testing.assert_array_equal(tf.train.load_variable(p, "b_key"), np.arange(4))
    p2 = tf.train.Saver([b]).save(sess, str(tmp_path / "l"))
    assert tf.train.list_variables(p2) == [("scope/b", [4])]
    reader = tf.train.NewCheckpointReader(p)
    assert reader.get_variable_to_dtype_map() == {"renamed/a": tf.float32, "b_key": tf.int32}
    assert reader.has_tensor("b_key") and not reader.has_tensor("a")

    # Restore through a dict into differently named variables of another graph.
    g2 = tf.Graph()
    with g2.as_default():
        x = tf.Variable(np.zeros((2, 3), np.float32), name="x")
        y = tf.Variable(np.zeros(4, np.int32), name="y")
        s2 = tf.Session(graph=g2)
        s2.run(tf.global_variables_initializer())
        tf.train.Saver({"renamed/a": x, "b_key": y.value()}).restore(s2, p)
    np.testing.assert_array_equal(s2.run(x), np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(s2.run(y), np.arange(4))
    # Restoring a subset leaves the others alone.
    s2.run(y.assign(np.full(4, 7, np.int32)))
    with g2.as_default():
        tf.train.Saver({"renamed/a": x}).restore(s2, p)
    np.testing.assert_array_equal(s2.run(y), np.full(4, 7))


def test_var_list_validation():
    a, _ = _simple(name="a")
    s = tf.train.Saver([a, a, a.value(), a._ref()])  # the same variable, however given: once
    assert list(s.as_saver_def()["var_list"]) == ["a"]
    with pytest.raises(TypeError, match="must be tf.Variable"):
        tf.train.Saver([a.value() + 1])
    with pytest.raises(TypeError, match="list or a dict"):
        tf.train.Saver(a)
    with pytest.raises(TypeError, match="non-empty strings"):
        tf.train.Saver({"": a})
    with tf.Graph().as_default():
        other = tf.Variable(1.0, name="other")
    with pytest.raises(ValueError, match="same graph"):
        tf.train.Saver([a, other])
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            tf.train.Saver()
        assert tf.train.Saver(allow_empty=True).last_checkpoints == []


# -- errors ------------------------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    g = tf.Graph()
    with g.as_default():
        tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="layer/W")
        tf.Variable(np.ones(3, np.float32), name="layer/b")
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        path = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"), global_step=1)
    return path


def _restore_into(path, **variables):
    g = tf.Graph()
    with g.as_default():
        vs = {k: tf.Variable(v, name=k.replace("__", "/")) for k, v in variables.items()}
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().restore(sess, path)
    return {k: sess.run(v) for k, v in vs.items()}, sess


def test_missing_variable_is_not_found_naming_key_and_checkpoint(saved):
    with pytest.raises(
        errors.NotFoundError, match=r"Key layer/extra not found in checkpoint .*model\.ckpt-1"
    ):
        _restore_into(
            saved, layer__W=np.zeros((2, 3), np.float32), layer__extra=np.zeros(2, np.float32)
        )


def test_shape_mismatch_names_key_and_both_shapes(saved):
    with pytest.raises(
        errors.InvalidArgumentError,
        match=r"'layer/W'.*shape \(2, 4\).*checkpoint has shape \(2, 3\)",
    ):
        _restore_into(
            saved, layer__W=np.zeros((2, 4), np.float32), layer__b=np.zeros(3, np.float32)
        )


def test_dtype_mismatch_names_key_and_both_dtypes(saved):
    with pytest.raises(
        errors.InvalidArgumentError,
        match=r"'layer/b'.*checkpoint holds dtype float32.*has dtype float64",
    ):
        _restore_into(
            saved, layer__W=np.zeros((2, 3), np.float32), layer__b=np.zeros(3, np.float64)
        )


def test_failed_restore_changes_nothing(saved):
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.zeros((2, 3), np.float32), name="layer/W")
        tf.Variable(np.zeros(4, np.float32), name="layer/b")  # wrong shape
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError):
            tf.train.Saver().restore(sess, saved)
    np.testing.assert_array_equal(sess.run(w), np.zeros((2, 3)))  # W was valid, yet untouched


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "delete"])
def test_corrupted_or_truncated_data_is_data_loss(saved, damage):
    data = saved + ".data-00000-of-00001"
    raw = bytearray(open(data, "rb").read())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0xFF
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "empty":
        raw = bytearray()
    if damage == "delete":
        os.unlink(data)
    else:
        open(data, "wb").write(bytes(raw))
    with pytest.raises(errors.DataLossError, match=r"model\.ckpt-1"):
        _restore_into(
            saved, layer__W=np.zeros((2, 3), np.float32), layer__b=np.zeros(3, np.float32)
        )


def test_corrupted_index_is_data_loss_and_missing_checkpoint_not_found(saved, tmp_path):
    with open(saved + ".index", "r+b") as f:
        f.truncate(20)
    with pytest.raises(errors.DataLossError, match=r"model\.ckpt-1\.index.*truncated"):
        _restore_into(saved, layer__W=np.zeros((2, 3), np.float32))
    for bad in (str(tmp_path / "nope"), str(tmp_path)):
        with pytest.raises(errors.NotFoundError, match="not a valid checkpoint"):
            _restore_into(bad, layer__W=np.zeros((2, 3), np.float32))
        with pytest.raises(ValueError):  # TF1 raised ValueError here; both catch it
            _restore_into(bad, layer__W=np.zeros((2, 3), np.float32))


def test_save_errors(tmp_path):
    v = tf.Variable(1.0, name="never_initialized")
    sess = tf.Session()
    saver = tf.train.Saver()
    with pytest.raises(errors.FailedPreconditionError, match="never_initialized"):
        saver.save(sess, str(tmp_path / "m"))
    sess.run(v.initializer)
    with pytest.raises(ValueError, match="is a directory"):
        saver.save(sess, str(tmp_path))
    with pytest.raises(ValueError, match="is a directory"):
        saver.save(sess, str(tmp_path) + "/")
    with pytest.raises(ValueError, match="collides"):
        saver.save(sess, str(tmp_path / "checkpoint"))
    with pytest.raises(ValueError, match="None"):
        saver.save(sess, None)
    with pytest.raises(ValueError, match="None"):
        saver.restore(sess, None)
    with pytest.raises(ValueError, match="graph"):
        saver.save(tf.Session(graph=tf.Graph()), str(tmp_path / "m"))
    with pytest.raises(TypeError, match="integer scalar"):
        saver.save(sess, str(tmp_path / "m"), global_step=v)
    # Directories are created as needed.
    p = saver.save(sess, str(tmp_path / "a" / "b" / "c" / "m"))
    assert tf.train.checkpoint_exists(p)
    sess.close()
    with pytest.raises(RuntimeError, match="closed"):
        saver.save(sess, str(tmp_path / "m"))


# -- format ------------------------------------------------------------------------------------
def test_on_disk_format_is_tensorflow_v2(saved):
    files = sorted(os.listdir(os.path.dirname(saved)))
    assert "model.ckpt-1.index" in files and "model.ckpt-1.data-00000-of-00001" in files
    assert not [f for f in files if f.endswith(".npz") and not f.startswith("model.ckpt-1.meta")]
    idx = read_checkpoint_index(saved)
    assert idx["format"] == "tensorflow.v2" and idx["global_step"] == 1
    assert idx["meta_graph_file"] == "model.ckpt-1.meta"
    assert idx["variables"] == [
        {"key": "layer/W", "dtype": "float32", "shape": [2, 3]},
        {"key": "layer/b", "dtype": "float32", "shape": [3]},
    ]
    reader = tensor_bundle.BundleReader(saved)
    np.testing.assert_array_equal(reader.read("layer/W"), np.arange(6).reshape(2, 3))
    # The data file is the raw little-endian bytes, one tensor after another.
    raw = open(saved + ".data-00000-of-00001", "rb").read()
    assert raw == np.arange(6, dtype="<f4").tobytes() + np.ones(3, "<f4").tobytes()


def test_earlier_flowzero_format_checkpoints_still_restore(tmp_path):
    prefix = str(tmp_path / "old.ckpt-5")
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    write_flowzero_checkpoint(prefix, {"layer/W": w, "layer/b": np.ones(3, np.float32)}, 5)
    assert json.loads(open(prefix + ".index").read())["format"] == "flowzero.checkpoint"
    got, _ = _restore_into(
        prefix, layer__W=np.zeros((2, 3), np.float32), layer__b=np.zeros(3, np.float32)
    )
    np.testing.assert_array_equal(got["layer__W"], w)
    assert tf.train.list_variables(prefix) == [("layer/W", [2, 3]), ("layer/b", [3])]
    reader = tf.train.NewCheckpointReader(prefix)
    assert reader.global_step == 5 and reader.get_variable_to_dtype_map()["layer/b"] == tf.float32
    # Saving over it writes TensorFlow's format and drops the old data file.
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.full((2, 3), 4.0, np.float32), name="layer/W")
        sess = tf.Session(graph=g)
        sess.run(v.initializer)
        tf.train.Saver().save(sess, prefix, write_meta_graph=False)
    assert not os.path.exists(prefix + ".npz") and tensor_bundle.is_bundle(prefix)
    np.testing.assert_array_equal(tf.train.load_variable(prefix, "layer/W"), np.full((2, 3), 4))
    # A damaged old-format index is still told apart and reported as such.
    write_flowzero_checkpoint(prefix, {"layer/W": w})
    with open(prefix + ".index", "r+b") as f:
        f.truncate(20)
    with pytest.raises(errors.DataLossError, match="not valid JSON"):
        tf.train.NewCheckpointReader(prefix)


def test_overwriting_a_prefix_alternates_data_files(tmp_path):
    v, sess = _simple(value=1.0)
    saver = tf.train.Saver()
    p = saver.save(sess, str(tmp_path / "m"))
    one, two = p + ".data-00000-of-00001", p + ".data-00000-of-00002"
    assert os.path.exists(one) and not os.path.exists(two)
    sess.run(v.assign(np.full((2, 3), 2.0, np.float32)))
    saver.save(sess, str(tmp_path / "m"))
    # The index still names the old data file until it is replaced: the new data goes aside.
    assert not os.path.exists(one) and os.path.exists(two)
    assert os.path.getsize(p + ".data-00001-of-00002") == 0
    sess.run(v.assign(np.zeros((2, 3), np.float32)))
    saver.restore(sess, p)
    np.testing.assert_array_equal(sess.run(v), np.full((2, 3), 2.0))
    saver.save(sess, str(tmp_path / "m"))
    assert os.path.exists(one) and not os.path.exists(two)
    assert not os.path.exists(p + ".data-00001-of-00002")
    assert saver.last_checkpoints == [p]


def test_string_variables_save_and_restore(tmp_path):
    v = tf.Variable(tf.constant(["a", "bé", ""]), name="words")
    sess = tf.Session()
    sess.run(v.initializer)
    p = tf.train.Saver().save(sess, str(tmp_path / "m"), write_meta_graph=False)
    got = tf.train.load_variable(p, "words")
    assert got.dtype == object and list(got) == [b"a", "bé".encode(), b""]
    sess.run(v.assign(tf.constant(["x", "y", "z"])))
    tf.train.Saver().restore(sess, p)
    assert [s if isinstance(s, bytes) else s.encode() for s in sess.run(v)] == list(got)


def test_recover_last_checkpoints_after_restart(tmp_path):
    v, sess = _simple()
    first = tf.train.Saver(max_to_keep=2)
    for i in range(2):
        first.save(sess, str(tmp_path / "m"), global_step=i)
    second = tf.train.Saver(max_to_keep=2)
    second.recover_last_checkpoints(
        tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths
    )
    second.save(sess, str(tmp_path / "m"), global_step=2)
    assert not tf.train.checkpoint_exists(str(tmp_path / "m-0"))
    assert tf.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths == [
        str(tmp_path / "m-1"),
        str(tmp_path / "m-2"),
    ]


# -- crash safety ------------------------------------------------------------------------------
# The child process builds two variables, saves a first complete checkpoint (values 1), then
# forks once per "event" of a second save (values 2): each fork SIGKILLs itself at event k —
# before/after each os.replace, os.unlink and os.fsync, and between the arrays of an .npz — so
# every commit point of a save is hit. The test then checks every directory.
_FAULTS = textwrap.dedent("""
    import os, signal, sys
    import numpy as np, flowzero as tf
    root, scenario = sys.argv[1], sys.argv[2]
    v = tf.Variable(np.zeros(1000, np.float32), name="big")
    w = tf.Variable(np.zeros(3, np.int64), name="scope/w")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())

    def fill(value):
        v.load(np.full(1000, value, np.float32), sess)
        w.load(np.full(3, value, np.int64), sess)

    step = {"step": (1, 2), "same_prefix": (None, None)}[scenario]
    k = 0
    while True:
        d = os.path.join(root, f"case{k:03d}")
        saver = tf.train.Saver(max_to_keep=1)
        fill(1)
        saver.save(sess, os.path.join(d, "model.ckpt"), global_step=step[0])
        pid = os.fork()
        if pid == 0:
            events = [0]
            def event():
                if events[0] == k:
                    os.kill(os.getpid(), signal.SIGKILL)
                events[0] += 1
            def wrap(fn):
                def inner(*a, **kw):
                    event()
                    out = fn(*a, **kw)
                    event()
                    return out
                return inner
            os.replace, os.unlink, os.fsync = wrap(os.replace), wrap(os.unlink), wrap(os.fsync)
            write_array = np.lib.format.write_array
            np.lib.format.write_array = lambda *a, **kw: (event(), write_array(*a, **kw))
            fill(2)
            saver.save(sess, os.path.join(d, "model.ckpt"), global_step=step[1])
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status):
            print("completed", k)
            break
        assert os.WTERMSIG(status) == signal.SIGKILL, status
        k += 1
""")


def _check_consistent(directory: str) -> str:
    """Every committed checkpoint restores one complete state; returns which latest holds."""
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.zeros(1000, np.float32), name="big")
        w = tf.Variable(np.zeros(3, np.int64), name="scope/w")
        sess = tf.Session(graph=g)
        saver = tf.train.Saver()
    latest = tf.train.latest_checkpoint(directory)
    assert latest is not None, f"{directory}: no restorable checkpoint: {os.listdir(directory)}"
    seen = {}
    for index in glob.glob(os.path.join(directory, "*.index")):
        prefix = index[: -len(".index")]
        saver.restore(sess, prefix)
        a, b = sess.run(v), sess.run(w)
        assert np.all(a == a[0]) and np.all(b == a[0]), f"{prefix}: mixed values"
        assert a[0] in (1, 2), f"{prefix}: garbage {a[0]}"
        if prefix.endswith(("-1", "-2")):
            assert a[0] == int(prefix[-1]), prefix
        seen[prefix] = int(a[0])
    for meta in glob.glob(os.path.join(directory, "*.meta")):
        tf.train.saver.read_meta_graph(meta)  # every meta file present is complete
    return f"{os.path.basename(latest)}={seen[latest]}"


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("scenario", ["step", "same_prefix"])
def test_kill_at_every_commit_point_of_a_save(tmp_path, scenario):
    p = subprocess.run(
        [sys.executable, "-c", _FAULTS, str(tmp_path), scenario],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    n = int(p.stdout.split()[-1])
    assert n >= 25, f"only {n} kill points: {p.stdout}"
    outcomes = [_check_consistent(str(tmp_path / f"case{k:03d}")) for k in range(n + 1)]
    old = "model.ckpt-1=1" if scenario == "step" else "model.ckpt=1"
    new = "model.ckpt-2=2" if scenario == "step" else "model.ckpt=2"
    assert set(outcomes) == {old, new}, outcomes
    # Killed before the state file was replaced: the old checkpoint; from then on: the new one.
    first_new = outcomes.index(new)
    assert all(o == old for o in outcomes[:first_new])
    assert all(o == new for o in outcomes[first_new:])
    assert outcomes[-1] == new


# A real SIGKILL from outside while the child saves a 16 MB variable over and over.
_SAVE_LOOP = textwrap.dedent("""
    import os, sys
    import numpy as np, flowzero as tf
    d = sys.argv[1]
    n = 4_000_000
    v = tf.Variable(tf.zeros([n]), name="big")
    w = tf.Variable(np.zeros(3, np.int64), name="scope/w")
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    saver = tf.train.Saver(max_to_keep=2)
    saver.save(sess, os.path.join(d, "model.ckpt"), global_step=0)
    print("READY", flush=True)
    step = 1
    while True:
        v.load(np.full(n, step, np.float32), sess)
        w.load(np.full(3, step, np.int64), sess)
        print("SAVING", step, flush=True)
        saver.save(sess, os.path.join(d, "model.ckpt"), global_step=step)
        print("SAVED", step, flush=True)
        step += 1
""")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_during_save_of_a_large_variable_leaves_a_restorable_checkpoint(tmp_path):
    mid_save = 0
    for attempt, delay in enumerate([0.05, 0.2, 0.45]):
        d = tmp_path / f"run{attempt}"
        d.mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-c", _SAVE_LOOP, str(d)],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL, err
        lines = out.split("\n")
        lines = [x for x in lines if x]
        if lines and lines[-1].startswith("SAVING"):
            mid_save += 1
        g = tf.Graph()
        with g.as_default():
            v = tf.Variable(tf.zeros([4_000_000]), name="big")
            w = tf.Variable(np.zeros(3, np.int64), name="scope/w")
            sess = tf.Session(graph=g)
            saver = tf.train.Saver()
            latest = tf.train.latest_checkpoint(str(d))
            assert latest is not None
            for index in glob.glob(str(d / "*.index")):
                prefix = index[: -len(".index")]
                step = int(prefix.rsplit("-", 1)[1])
                saver.restore(sess, prefix)
                a = sess.run(v)
                assert a[0] == step and np.all(a == step), f"{prefix}: not step {step}"
                np.testing.assert_array_equal(sess.run(w), np.full(3, step))
            # The next save in that directory cleans up the dead process's temp files.
            sess.run(tf.global_variables_initializer())
            saver.save(sess, str(d / "model.ckpt"), global_step=10_000, write_meta_graph=False)
            assert not [f for f in os.listdir(d) if ".tmp-" in f], os.listdir(d)
    assert mid_save >= 1, "no attempt was killed in the middle of a save"


def test_a_graph_the_format_cannot_store_still_saves_its_values(tmp_path):
    from flowzero.framework.registry import OpDef, register_op, registered_ops, spec

    if "TestOnlySaverOpaqueAttr" not in registered_ops():

        @register_op("TestOnlySaverOpaqueAttr")
        class _Opaque(OpDef):
            """y = 0."""

            def infer(self):
                return spec([], tf.float32)

    v, sess = _simple()
    tf.get_default_graph().create_op(
        registered_ops()["TestOnlySaverOpaqueAttr"], [], {"fn": print}, "opaque"
    )
    with pytest.warns(RuntimeWarning, match="meta graph was not written.*attr 'fn'"):
        p = tf.train.Saver().save(sess, str(tmp_path / "m"))
    assert read_checkpoint_index(p)["meta_graph_file"] is None
    assert not os.path.exists(p + ".meta")
    tf.train.Saver().restore(sess, p)
