"""SaveV2 / RestoreV2 / MergeV2Checkpoints: TF's checkpoint ops as flowzero graph ops."""

from __future__ import annotations

import os

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.ops.checkpoint_ops import merge_v2_checkpoints, restore_v2, save_v2
from flowzero.train import tensor_bundle

_VALUES = {
    "a": np.arange(12, dtype=np.float32).reshape(4, 3),
    "b/c": np.array([1, -2, 3], np.int64),
    "s": np.array([b"x", b"yz"], dtype=object),
}


def _save(prefix: str, values: dict = _VALUES) -> None:
    with tf.Graph().as_default():
        keys = sorted(values)
        op = save_v2(prefix, keys, [""] * len(keys), [tf.constant(values[k]) for k in keys])
        assert isinstance(op, tf.Operation) and op.type == "SaveV2"
        with tf.Session() as sess:
            assert sess.run(op) is None


def test_save_then_restore_round_trip(tmp_path):
    prefix = str(tmp_path / "ck")
    _save(prefix)
    got = tensor_bundle.read_bundle(prefix)
    for k, v in _VALUES.items():
        np.testing.assert_array_equal(got[k], v)
    with tf.Graph().as_default():
        p = tf.placeholder(tf.string, [])
        outs = restore_v2(p, ["s", "a", "b/c"], ["", "", ""], [tf.string, tf.float32, tf.int64])
        assert [o.dtype for o in outs] == [tf.string, tf.float32, tf.int64]
        with tf.Session() as sess:
            s, a, bc = sess.run(outs, {p: prefix})
    np.testing.assert_array_equal(a, _VALUES["a"])
    np.testing.assert_array_equal(bc, _VALUES["b/c"])
    assert list(s) == [b"x", b"yz"]


def test_restore_a_slice(tmp_path):
    """A partitioned variable's part: shape_and_slice "4 3 1,2:-" is rows 1..2, all columns."""
    prefix = str(tmp_path / "ck")
    _save(prefix)
    with tf.Graph().as_default():
        (part,) = restore_v2(prefix, ["a"], ["4 3 1,2:-"], [tf.float32])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(part), _VALUES["a"][1:3])


def test_restore_errors_name_the_op_and_tensor(tmp_path):
    prefix = str(tmp_path / "ck")
    _save(prefix)
    with tf.Graph().as_default():
        (missing,) = restore_v2(prefix, ["nope"], [""], [tf.float32], name="r1")
        (wrong,) = restore_v2(prefix, ["b/c"], [""], [tf.float32], name="r2")
        (bad_slice,) = restore_v2(prefix, ["a"], ["4 3 9,2:-"], [tf.float32], name="r3")
        (other,) = restore_v2(str(tmp_path / "none"), ["a"], [""], [tf.float32], name="r4")
        with tf.Session() as sess:
            with pytest.raises(errors.NotFoundError, match="RestoreV2 'r1'.*Key nope not found"):
                sess.run(missing)
            with pytest.raises(
                errors.InvalidArgumentError, match="RestoreV2 'r2'.*type float32.*b/c"
            ):
                sess.run(wrong)
            with pytest.raises(errors.InvalidArgumentError, match="r3.*bad shape_and_slice"):
                sess.run(bad_slice)
            with pytest.raises(errors.NotFoundError):
                sess.run(other)


def test_build_time_checks():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="RestoreV2.*2 tensor_names but 1 dtypes"):
            restore_v2("p", ["a", "b"], ["", ""], [tf.float32])
        with pytest.raises(ValueError, match="SaveV2.*1 tensors but 2 tensor_names"):
            save_v2("p", ["a", "b"], ["", ""], [tf.constant(1.0)])
        with pytest.raises(TypeError, match="SaveV2.*prefix must be a string tensor"):
            save_v2(tf.constant(1.0), ["a"], [""], [tf.constant(1.0)])


def test_save_errors(tmp_path):
    with tf.Graph().as_default():
        p = tf.placeholder(tf.string, None)
        sliced = save_v2(str(tmp_path / "x"), ["a"], ["2 0,1"], [tf.constant([1.0])], name="s1")
        dup = save_v2(str(tmp_path / "y"), ["a", "a"], ["", ""], [1.0, 2.0], name="s2")
        vec = save_v2(p, ["a"], [""], [tf.constant(1.0)], name="s3")
        with tf.Session() as sess:
            with pytest.raises(errors.UnimplementedError, match="SaveV2 's1'.*partitioned"):
                sess.run(sliced)
            with pytest.raises(errors.InvalidArgumentError, match="SaveV2 's2'.*repeat"):
                sess.run(dup)
            with pytest.raises(errors.InvalidArgumentError, match="s3.*prefix must be a scalar"):
                sess.run(vec, {p: ["a", "b"]})
    assert not os.path.exists(tmp_path / "x.index")


def test_merge_v2_checkpoints(tmp_path):
    """A sharded save's parts (each in its own temp dir) merged into one bundle."""
    parts = [str(tmp_path / "tmp0" / "part-0"), str(tmp_path / "tmp1" / "part-1")]
    _save(parts[0], {"a": _VALUES["a"]})
    _save(parts[1], {"b/c": _VALUES["b/c"], "s": _VALUES["s"]})
    dest = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default():
        op = merge_v2_checkpoints(parts, dest, delete_old_dirs=True)
        with tf.Session() as sess:
            sess.run(op)
    got = tensor_bundle.read_bundle(dest)
    assert sorted(got) == ["a", "b/c", "s"]
    np.testing.assert_array_equal(got["a"], _VALUES["a"])
    assert list(got["s"]) == [b"x", b"yz"]
    assert sorted(os.listdir(tmp_path)) == [
        "model.ckpt.data-00000-of-00002",
        "model.ckpt.data-00001-of-00002",
        "model.ckpt.index",
    ]
    with tf.Graph().as_default():
        twice = merge_v2_checkpoints([dest, dest], str(tmp_path / "m2"))
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError, match="MergeV2Checkpoints.*two"):
                sess.run(twice)


def test_not_differentiable(tmp_path):
    prefix = str(tmp_path / "ck")
    _save(prefix)
    with tf.Graph().as_default():
        (a,) = restore_v2(prefix, ["a"], [""], [tf.float32])
        x = tf.placeholder(tf.float32, [4, 3])
        assert tf.gradients(tf.reduce_sum(a * x), [x])[0] is not None
        assert tf.gradients(tf.reduce_sum(a * x), [a])[0] is not None
        assert tf.get_default_graph().get_operation_by_name("RestoreV2").type == "RestoreV2"
        from flowzero.framework.registry import get_op_class

        for t in ("SaveV2", "RestoreV2", "MergeV2Checkpoints"):
            assert get_op_class(t).differentiable is False
            assert get_op_class(t).stateful is True


def test_read_file_and_write_file(tmp_path):
    target = str(tmp_path / "new" / "dir" / "f.bin")
    data = b"\x00bytes\xff\n"
    with tf.Graph().as_default():
        w = tf.write_file(target, tf.constant(data))
        assert isinstance(w, tf.Operation) and w.type == "WriteFile"
        p = tf.placeholder(tf.string, [])
        r = tf.io.read_file(p)
        assert r.dtype == tf.string and r.shape.as_list() == []
        with tf.Session() as sess:
            sess.run(w)  # creates the missing directories, as TF
            assert sess.run(r, {p: target}) == data
            with pytest.raises(errors.NotFoundError, match="ReadFile.*nope.*No such file"):
                sess.run(r, {p: str(tmp_path / "nope")})
            with pytest.raises(errors.FailedPreconditionError, match="is a directory"):
                sess.run(r, {p: str(tmp_path)})
        with pytest.raises(TypeError, match="ReadFile.*filename must be a string tensor"):
            tf.read_file(tf.constant(1))
    with open(target, "rb") as f:
        assert f.read() == data
