"""File ops (read_file, write_file, matching_files, match_filenames_once) and the error paths
of the parsing and decoding ops."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def _run(fetch, feed=None):
    with tf.Session() as s:
        return s.run(fetch, feed)


def test_write_then_read_and_match(tmp_path):
    path = str(tmp_path / "sub" / "f.bin")
    with tf.Graph().as_default():
        w = tf.io.write_file(path, tf.constant(b"\x00bytes\x00"))
        _run(w)
        assert _run(tf.read_file(path)) == b"\x00bytes\x00"
        (tmp_path / "sub" / "a.bin").write_bytes(b"")
        got = _run(tf.io.matching_files(str(tmp_path / "sub" / "*.bin")))
        assert got.tolist() == [str(tmp_path / "sub" / n).encode() for n in ("a.bin", "f.bin")]
        many = tf.matching_files([str(tmp_path / "sub" / "f*"), str(tmp_path / "none*")])
        assert _run(many).tolist() == [path.encode()]


def test_read_missing_file_is_not_found(tmp_path):
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.NotFoundError, match="ReadFile.*missing.txt"):
            _run(tf.io.read_file(str(tmp_path / "missing.txt")))
        with pytest.raises(ValueError, match="ReadFile.*scalar"):
            tf.read_file(["a", "b"])


def test_match_filenames_once_is_a_local_variable(tmp_path):
    for n in ("x1.txt", "x2.txt"):
        (tmp_path / n).write_text(n)
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(str(tmp_path / "x*.txt"))
        assert files in tf.local_variables() and files not in tf.global_variables()
        with tf.Session() as s:
            s.run(tf.local_variables_initializer())
            (tmp_path / "x3.txt").write_text("late")  # listed once: not seen
            assert len(s.run(files)) == 2


def test_parse_errors_name_the_feature():
    ex = tf.train.Example(
        features=tf.train.Features(
            feature={"a": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, 2, 3]))}
        )
    ).SerializeToString()
    with tf.Graph().as_default():
        s = tf.placeholder(tf.string, [None])
        cases = [
            ({"b": tf.FixedLenFeature([], tf.float32)}, "Feature: b .*required"),
            ({"a": tf.FixedLenFeature([2], tf.int64)}, "Key: a.*Values size: 3"),
            ({"a": tf.FixedLenFeature([3], tf.string)}, "Feature: a.*int64 but expected.*string"),
        ]
        for feats, msg in cases:
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                _run(tf.parse_example(s, feats), {s: np.array([ex], object)})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Could not parse"):
            _run(tf.parse_example(s, cases[0][0]), {s: np.array([b"\xff\xff"], object)})
    with pytest.raises(ValueError, match="dtype must be"):
        tf.parse_example(["x"], {"a": tf.FixedLenFeature([], tf.int32)})
    with pytest.raises(ValueError, match="default_value has 1 values.*needs 2"):
        tf.parse_example(["x"], {"a": tf.FixedLenFeature([2], tf.float32, default_value=[0.0])})
    with pytest.raises(ValueError, match="allow_missing"):
        tf.parse_example(["x"], {"a": tf.FixedLenSequenceFeature([], tf.float32)})
    with pytest.raises(ValueError, match="scalar"):
        tf.parse_single_example(["x"], {"a": tf.FixedLenFeature([], tf.float32)})


def test_parse_single_example_drops_the_batch_dimension():
    ex = tf.train.Example(
        features=tf.train.Features(
            feature={"img": tf.train.Feature(float_list=tf.train.FloatList(value=[1, 2, 3, 4]))}
        )
    ).SerializeToString()
    with tf.Graph().as_default():
        out = tf.io.parse_single_example(
            ex,
            {
                "img": tf.io.FixedLenFeature([2, 2], tf.float32),
                "label": tf.io.FixedLenFeature([], tf.int64, default_value=3),
            },
        )
        assert out["img"].shape.as_list() == [2, 2] and out["label"].shape.as_list() == []
        got = _run(out)
    np.testing.assert_array_equal(got["img"], [[1, 2], [3, 4]])
    assert got["label"] == 3


def test_decode_errors_are_typed():
    with tf.Graph().as_default():
        bad = [
            (tf.decode_raw([b"ab", b"abcd"], tf.int16), "same size.*element 1 has size 4"),
            (tf.decode_raw([b"abc"], tf.int16), "length 3 that is not a multiple of 2"),
            (tf.decode_csv(["1,2"], [[0]]), "Expect 1 fields but have 2 in record 0"),
            (tf.decode_csv(["x"], [[0.0]]), "Field 0 in record 0 is not a valid float"),
            (tf.decode_csv(['"ab'], [[""]]), "Quoted field"),
            (tf.decode_base64(["a$"]), "Invalid character"),
            (tf.decode_compressed([b"not zlib"], "ZLIB"), "cannot decompress"),
            (tf.parse_tensor(tf.serialize_tensor([1.0]), tf.int32), "Type mismatch"),
            (tf.parse_tensor(b"\xff", tf.int32), "Could not parse"),
        ]
        for t, msg in bad:
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                _run(t)
    with pytest.raises(ValueError, match="field_delim"):
        tf.decode_csv(["a"], [[""]], field_delim=";;")
    with pytest.raises(ValueError, match="select_cols"):
        tf.decode_csv(["a"], [[""], [""]], select_cols=[2, 1])
    with pytest.raises(TypeError, match="record_defaults"):
        tf.decode_csv(["a"], [[True]])
    with pytest.raises(ValueError, match="compression_type"):
        tf.decode_compressed(["a"], "BZ2")


def test_parse_example_kernel_makes_varlen_sparse_parts():
    from flowzero.framework.graph import apply_op
    from flowzero.ops.parsing_ops import ParseExample, VarLenFeature, _configs

    def ex(vals):
        e = tf.train.Example()
        e.features.feature["v"].int64_list.value.extend(vals)
        return e.SerializeToString()

    with tf.Graph().as_default():
        attrs = _configs({"v": VarLenFeature(tf.int64)})
        attrs["names"] = None
        s = tf.constant(np.array([ex([4, 5]), ex([]), ex([6])], object))
        ind, val, shape = apply_op(ParseExample, [s], attrs)
        got = _run([ind, val, shape])
    np.testing.assert_array_equal(got[0], [[0, 0], [0, 1], [2, 0]])
    np.testing.assert_array_equal(got[1], [4, 5, 6])
    np.testing.assert_array_equal(got[2], [3, 2])
