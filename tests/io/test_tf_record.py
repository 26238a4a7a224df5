"""TFRecord files: the writer, the iterator, compression, CRC checks and TF's byte format."""

from __future__ import annotations

import struct

import pytest

import flowzero as tf
from flowzero.train import crc32c

RECORDS = [b"", b"a", b"hello world" * 50, bytes(range(256))]


def _tf_bytes(records):
    """TF's format written out by hand: len, masked crc(len), data, masked crc(data)."""
    out = b""
    for r in records:
        n = struct.pack("<Q", len(r))
        out += n + struct.pack("<I", crc32c.mask(crc32c.value(n)))
        out += r + struct.pack("<I", crc32c.mask(crc32c.value(r)))
    return out


def test_writer_writes_tf_bytes_and_iterator_reads_them(tmp_path):
    path = str(tmp_path / "a.tfrecord")
    with tf.io.TFRecordWriter(path) as w:
        for r in RECORDS:
            w.write(r)
    assert open(path, "rb").read() == _tf_bytes(RECORDS)
    assert list(tf.io.tf_record_iterator(path)) == RECORDS
    assert list(tf.python_io.tf_record_iterator(path)) == RECORDS


@pytest.mark.parametrize(
    "options",
    [
        "GZIP",
        "ZLIB",
        tf.python_io.TFRecordOptions(tf.python_io.TFRecordCompressionType.GZIP),
        tf.io.TFRecordOptions(compression_type="ZLIB", compression_level=9),
    ],
)
def test_compressed_roundtrip(tmp_path, options):
    path = str(tmp_path / "c.tfrecord")
    w = tf.python_io.TFRecordWriter(path, options)
    w.write(RECORDS[2])
    w.flush()
    w.write("text is utf-8")
    w.close()
    w.close()  # twice is fine
    assert open(path, "rb").read() != _tf_bytes([RECORDS[2], b"text is utf-8"])
    got = list(tf.io.tf_record_iterator(path, options))
    assert got == [RECORDS[2], b"text is utf-8"]


def test_compression_type_strings():
    opts = tf.io.TFRecordOptions
    assert opts.get_compression_type_string(None) == ""
    assert opts.get_compression_type_string(opts("GZIP")) == "GZIP"
    assert opts.get_compression_type_string(tf.io.TFRecordCompressionType.ZLIB) == "ZLIB"
    with pytest.raises(ValueError, match="compression_type"):
        opts("LZMA")


def test_corrupt_data_is_data_loss_naming_file_and_offset(tmp_path):
    path = tmp_path / "bad.tfrecord"
    raw = bytearray(_tf_bytes([b"first", b"second"]))
    raw[8 + 4 + 5 + 4 + 12 + 2] ^= 0xFF  # a byte of the second record's data
    path.write_bytes(bytes(raw))
    it = tf.io.tf_record_iterator(str(path))
    assert next(it) == b"first"
    with pytest.raises(tf.errors.DataLossError, match=r"bad.tfrecord.*corrupted record at 21"):
        next(it)


def test_corrupt_length_and_truncation(tmp_path):
    good = _tf_bytes([b"abc"])
    p1 = tmp_path / "len.tfrecord"
    p1.write_bytes(b"\x09" + good[1:])
    with pytest.raises(tf.errors.DataLossError, match="corrupted record at 0"):
        list(tf.io.tf_record_iterator(str(p1)))
    p2 = tmp_path / "short.tfrecord"
    p2.write_bytes(good + good[:-2])
    with pytest.raises(tf.errors.DataLossError, match="truncated record at 19"):
        list(tf.io.tf_record_iterator(str(p2)))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="nope.tfrecord"):
        list(tf.io.tf_record_iterator(str(tmp_path / "nope.tfrecord")))
    with pytest.raises(tf.errors.NotFoundError, match="no_dir"):
        tf.io.TFRecordWriter(str(tmp_path / "no_dir" / "x.tfrecord"))
    w = tf.io.TFRecordWriter(str(tmp_path / "x.tfrecord"))
    w.close()
    with pytest.raises(tf.errors.FailedPreconditionError, match="closed"):
        w.write(b"late")


def test_example_protos_are_tf_messages():
    ex = tf.train.Example(
        features=tf.train.Features(
            feature={
                "f": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5])),
                "i": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, -2])),
                "b": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"])),
            }
        )
    )
    back = tf.train.Example.FromString(ex.SerializeToString())
    assert list(back.features.feature["i"].int64_list.value) == [1, -2]
    seq = tf.train.SequenceExample(
        feature_lists=tf.train.FeatureLists(
            feature_list={"t": tf.train.FeatureList(feature=[ex.features.feature["f"]] * 3)}
        )
    )
    assert (
        len(
            tf.train.SequenceExample.FromString(seq.SerializeToString())
            .feature_lists.feature_list["t"]
            .feature
        )
        == 3
    )
    # field numbers are TF's: Example.features = 1, Feature.int64_list = 3 (packed)
    one = tf.train.Example(
        features=tf.train.Features(
            feature={"k": tf.train.Feature(int64_list=tf.train.Int64List(value=[7]))}
        )
    )
    assert one.SerializeToString() == b"\n\x0c\n\x0a\n\x01k\x12\x05\x1a\x03\n\x01\x07"
