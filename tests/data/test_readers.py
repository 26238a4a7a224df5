"""tf.data's file sources: TFRecordDataset, TextLineDataset, FixedLengthRecordDataset."""

from __future__ import annotations

import gzip
import zlib

import numpy as np
import pytest

import flowzero as tf


def _all(ds, feed=None, init_feed=None):
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    out = []
    with tf.Session() as s:
        s.run(it.initializer, init_feed)
        while True:
            try:
                out.append(s.run(nxt, feed))
            except tf.errors.OutOfRangeError:
                return out


def _write(path, records, compression=None):
    with tf.io.TFRecordWriter(str(path), compression) as w:
        for r in records:
            w.write(r)
    return str(path)


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_tfrecord_dataset_reads_files_in_order(tmp_path, compression):
    a = _write(tmp_path / "a", [b"a0", b"a1"], compression)
    b = _write(tmp_path / "b", [b"b0"], compression)
    with tf.Graph().as_default():
        ds = tf.data.TFRecordDataset([a, b], compression_type=compression, buffer_size=1024)
        assert ds.output_types == tf.string and ds.output_shapes.as_list() == []
        assert _all(ds) == [b"a0", b"a1", b"b0"]


def test_tfrecord_dataset_file_names_fed_at_run_time(tmp_path):
    a = _write(tmp_path / "a", [b"x"])
    b = _write(tmp_path / "b", [b"y", b"z"])
    with tf.Graph().as_default():
        files = tf.placeholder(tf.string, [None])
        ds = tf.data.TFRecordDataset(files).repeat(2).batch(2)
        got = _all(ds, init_feed={files: np.array([b, a], object)})
        assert [g.tolist() for g in got] == [[b"y", b"z"], [b"x", b"y"], [b"z", b"x"]]


def test_tfrecord_dataset_with_parse_and_corruption(tmp_path):
    ex = [
        tf.train.Example(
            features=tf.train.Features(
                feature={"v": tf.train.Feature(int64_list=tf.train.Int64List(value=[i, i * i]))}
            )
        ).SerializeToString()
        for i in range(5)
    ]
    path = _write(tmp_path / "ex", ex)
    with tf.Graph().as_default():
        ds = tf.data.TFRecordDataset(path).map(
            lambda r: tf.parse_single_example(r, {"v": tf.FixedLenFeature([2], tf.int64)})["v"]
        )
        got = _all(ds.batch(5))
        np.testing.assert_array_equal(got[0], [[i, i * i] for i in range(5)])
    raw = bytearray(open(path, "rb").read())
    raw[-1] ^= 1
    (tmp_path / "bad").write_bytes(bytes(raw))
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.DataLossError, match="bad: corrupted record"):
            _all(tf.data.TFRecordDataset(str(tmp_path / "bad")))
        with pytest.raises(tf.errors.NotFoundError, match="missing"):
            _all(tf.data.TFRecordDataset(str(tmp_path / "missing")))


def test_text_line_dataset_skip_header_and_compression(tmp_path):
    text = b"h1,h2\r\n1,2\n3,4\n\nlast"
    (tmp_path / "t.csv").write_bytes(text)
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress(text))
    (tmp_path / "t.csv.z").write_bytes(zlib.compress(text))
    want = [b"1,2", b"3,4", b"", b"last"]
    with tf.Graph().as_default():
        assert _all(tf.data.TextLineDataset(str(tmp_path / "t.csv")).skip(1)) == want
        assert _all(tf.data.TextLineDataset(str(tmp_path / "t.csv.gz"), "GZIP").skip(1)) == want
        ds = tf.data.TextLineDataset([str(tmp_path / "t.csv.z")], compression_type="ZLIB")
        ds = ds.skip(1).take(2).map(lambda line: tf.decode_csv(line, [[0], [0]]))
        assert [list(map(int, x)) for x in _all(ds)] == [[1, 2], [3, 4]]


def test_fixed_length_record_dataset(tmp_path):
    body = bytes(range(2, 14))
    (tmp_path / "f.bin").write_bytes(b"HH" + body + b"F")
    with tf.Graph().as_default():
        ds = tf.data.FixedLengthRecordDataset(
            str(tmp_path / "f.bin"), record_bytes=5, header_bytes=2, footer_bytes=1
        )
        assert _all(ds) == [body[0:5], body[5:10]]  # the partial record is left out
        ds = ds.map(lambda r: tf.decode_raw(r, tf.uint8))
        np.testing.assert_array_equal(_all(ds)[1], list(body[5:10]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="record_bytes"):
        tf.data.FixedLengthRecordDataset("f", 0)
    with pytest.raises(ValueError, match="compression_type"):
        tf.data.TFRecordDataset("f", compression_type="LZ4")
    with pytest.raises(ValueError, match="scalar or a vector"):
        tf.data.TextLineDataset([["a"]])
