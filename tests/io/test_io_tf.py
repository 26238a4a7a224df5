"""Differential tests against TensorFlow (skipped where it is not installed): TFRecord files
and tf.train.Example bytes interoperate both ways, and the parsing/decoding ops agree."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
v1 = tf_real.compat.v1

import flowzero as tf  # noqa: E402


def _run_tf(build):
    g = v1.Graph()
    with g.as_default():
        out = build()
        with v1.Session(graph=g) as s:
            return s.run(out)


def _run_fz(build):
    with tf.Graph().as_default(), tf.Session() as s:
        return s.run(build())


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB"])
def test_tfrecord_files_interoperate(tmp_path, compression):
    recs = [b"", b"x" * 1000, bytes(range(256))]
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    with tf.io.TFRecordWriter(ours, compression) as w:
        for r in recs:
            w.write(r)
    with tf_real.io.TFRecordWriter(theirs, compression) as w:
        for r in recs:
            w.write(r)
    assert list(tf.io.tf_record_iterator(theirs, compression)) == recs
    ds = tf_real.data.TFRecordDataset(ours, compression_type=compression)
    assert [x.numpy() for x in ds] == recs


def test_example_bytes_interoperate():
    ex = tf.train.Example(
        features=tf.train.Features(
            feature={
                "f": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5, 2.0])),
                "i": tf.train.Feature(int64_list=tf.train.Int64List(value=[1, -2])),
            }
        )
    )
    theirs = tf_real.train.Example.FromString(ex.SerializeToString())
    assert list(theirs.features.feature["i"].int64_list.value) == [1, -2]
    assert tf.train.Example.FromString(theirs.SerializeToString()) == ex


def _example(tfmod, **kw):
    feats = {}
    for k, v in kw.items():
        if isinstance(v[0], float):
            feats[k] = tfmod.train.Feature(float_list=tfmod.train.FloatList(value=v))
        elif isinstance(v[0], int):
            feats[k] = tfmod.train.Feature(int64_list=tfmod.train.Int64List(value=v))
        else:
            feats[k] = tfmod.train.Feature(bytes_list=tfmod.train.BytesList(value=v))
    return tfmod.train.Example(features=tfmod.train.Features(feature=feats)).SerializeToString()


def test_parse_example_matches_tf():
    recs = [
        _example(tf, x=[1.0, 2.0, 3.0, 4.0], seq=[1, 2, 3]),
        _example(tf, x=[5.0, 6.0, 7.0, 8.0], label=[b"b"], seq=[4]),
    ]

    def build(m):
        return lambda: m.io.parse_example(
            recs,
            {
                "x": m.io.FixedLenFeature([2, 2], m.float32),
                "label": m.io.FixedLenFeature([], m.string, default_value="none"),
                "seq": m.io.FixedLenSequenceFeature([], m.int64, allow_missing=True),
            },
        )

    ours, theirs = _run_fz(build(tf)), _run_tf(build(v1))
    for k in theirs:
        np.testing.assert_array_equal(ours[k], theirs[k])


def test_decoders_match_tf():
    def build(m):
        return lambda: [
            *m.io.decode_csv(
                ['1,"q,""x",2.5,5', "3,,,7", '-2,"",1e3,0'],
                [[0], ["d"], [1.5], m.constant([], m.int64)],
            ),
            *m.io.decode_csv(["a;1;b;2"], [[""], [0.0]], field_delim=";", select_cols=[2, 3]),
            *m.io.decode_csv(["NA,1"], [[9], [0]], na_value="NA"),
            m.io.encode_base64([b"", b"\xff\xfe?", b"hello"]),
            m.io.encode_base64([b"hello"], pad=True),
            m.io.decode_base64(["aGk_", "aGk-Pw=="]),
            m.io.decode_raw([b"\x01\x02\x03\x04\x05\x06\x07\x08"], m.float64),
            m.io.decode_raw([b"\x01\x02\x03\x04"], m.int16, little_endian=False),
            m.io.serialize_tensor(m.constant([[1.5, 2.0]])),
            m.io.parse_tensor(m.io.serialize_tensor(m.constant(["a", "bc"])), m.string),
        ]

    ours, theirs = _run_fz(build(tf)), _run_tf(build(v1))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape
        if b.dtype.kind == "O":
            assert a.tolist() == b.tolist()
        else:
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
