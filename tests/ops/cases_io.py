"""Op-table rows for file-format parsing (flowzero/ops/parsing_ops.py, decode_ops.py); none
has a gradient. The file-system ops are tested with files in tests/io/test_io_ops.py."""

import base64
import gzip
import struct
import zlib

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

EXEMPT = {
    "ReadFile": "reads a file; tests/io/test_io_ops.py",
    "WriteFile": "writes a file; tests/io/test_io_ops.py",
    "MatchingFiles": "lists files; tests/io/test_io_ops.py",
    "ReaderReadV2": "a reader op; tests/io/test_readers.py",
    "ReaderReadUpToV2": "a reader op; tests/io/test_readers.py",
    "ReaderNumRecordsProducedV2": "a reader op; tests/io/test_readers.py",
    "ReaderNumWorkUnitsCompletedV2": "a reader op; tests/io/test_readers.py",
    "ReaderResetV2": "a reader op; tests/io/test_readers.py",
}


def _obj(*xs):
    out = np.empty(len(xs), object)
    out[:] = list(xs)
    return out


def _example(**features):
    from flowzero.proto import example_pb2

    ex = example_pb2.Example()
    for key, (kind, vals) in features.items():
        f = ex.features.feature[key]
        lst = {"f": f.float_list, "i": f.int64_list, "b": f.bytes_list}[kind]
        lst.value.extend(vals)
    return ex.SerializeToString()


def _sequence_example(context, lists):
    from flowzero.proto import example_pb2

    se = example_pb2.SequenceExample()
    for key, (kind, vals) in context.items():
        f = se.context.feature[key]
        {"f": f.float_list, "i": f.int64_list, "b": f.bytes_list}[kind].value.extend(vals)
    for key, (kind, steps) in lists.items():
        fl = se.feature_lists.feature_list[key]
        for vals in steps:
            f = fl.feature.add()
            {"f": f.float_list, "i": f.int64_list, "b": f.bytes_list}[kind].value.extend(vals)
    return se.SerializeToString()


INT32S = _obj(struct.pack("<3i", 1, -2, 3), struct.pack("<3i", 2**31 - 1, 0, -(2**31)))
RECORDS = _obj(b'1,"a,""b",2.5', b"3,,", b'-7,c,"1e3"')
BLOBS = _obj(b"", b"hi?", b"\xff\xfe\x00", b"web safe base64!")
SEQUENCE_EXAMPLES = _obj(
    _sequence_example({"n": ("i", [4])}, {"x": ("f", [[1.0, 2.0], [3.0, 4.0]])}),
    _sequence_example({}, {"x": ("f", [[5.0, 6.0]])}),
)
EXAMPLES = _obj(
    _example(x=("f", [1.0, 2.0]), n=("i", [5]), s=("b", [b"p", b"q"])),
    _example(x=("f", [3.0, 4.5]), s=("b", [b"r"])),
)


def _csv_ref(records):
    out = ([], [], [])
    for r in records:
        a, b, c = {b'1,"a,""b",2.5': (1, b'a,"b', 2.5), b"3,,": (3, b"z", 0.5)}.get(
            r, (-7, b"c", 1000.0)
        )
        out[0].append(a)
        out[1].append(b)
        out[2].append(c)
    return np.array(out[0], np.int32), _obj(*out[1]), np.array(out[2], np.float32)


CASES = [
    OpCase(
        "DecodeRaw",
        lambda x: tf.decode_raw(x, tf.int32),
        lambda x: np.stack([np.frombuffer(s, "<i4") for s in x]),
        [INT32S],
        name="int32",
        grad=False,
    ),
    OpCase(
        "DecodeRaw",
        lambda x: tf.io.decode_raw(x, tf.uint16, little_endian=False),
        lambda x: np.stack([np.frombuffer(s, ">u2").astype(np.uint16) for s in x]),
        [INT32S],
        name="uint16_big_endian",
        grad=False,
    ),
    OpCase(
        "DecodeCSV",
        lambda r: tf.decode_csv(r, [[0], ["z"], [0.5]]),
        _csv_ref,
        [RECORDS],
        name="quoted_defaults",
        grad=False,
    ),
    OpCase(
        "EncodeBase64",
        lambda x: tf.encode_base64(x),
        lambda x: _obj(*[base64.urlsafe_b64encode(s).rstrip(b"=") for s in x]),
        [BLOBS],
        grad=False,
    ),
    OpCase(
        "DecodeBase64",
        lambda x: tf.decode_base64(x),
        lambda x: _obj(*[base64.urlsafe_b64decode(s) for s in x]),
        [_obj(*[base64.urlsafe_b64encode(s) for s in BLOBS])],
        name="padded",
        grad=False,
    ),
    OpCase(
        "DecodeCompressed",
        lambda x: tf.decode_compressed(x, "ZLIB"),
        lambda x: BLOBS,
        [_obj(*[zlib.compress(s) for s in BLOBS])],
        name="zlib",
        grad=False,
    ),
    OpCase(
        "DecodeCompressed",
        lambda x: tf.io.decode_compressed(x, compression_type="GZIP"),
        lambda x: BLOBS,
        [_obj(*[gzip.compress(s) for s in BLOBS])],
        name="gzip",
        grad=False,
    ),
    OpCase(
        "SerializeTensor",
        lambda x: tf.parse_tensor(tf.serialize_tensor(x), tf.float32)[1:],
        lambda x: x[1:],
        [np.arange(6, dtype=np.float32).reshape(3, 2)],
        name="roundtrip",
        grad=False,
    ),
    OpCase(
        "ParseTensor",
        lambda s: tf.parse_tensor(s, tf.int64),
        lambda s: np.array([[7, -1]], np.int64),
        [
            np.array(
                b"\x08\x09\x12\x08\x12\x02\x08\x01\x12\x02\x08\x02\x22\x10"
                + struct.pack("<2q", 7, -1),
                object,
            )
        ],
        name="tf_bytes",
        grad=False,
    ),
    OpCase(
        "ParseExample",
        lambda s: [
            tf.parse_example(
                s,
                {
                    "x": tf.FixedLenFeature([2], tf.float32),
                    "n": tf.FixedLenFeature([], tf.int64, default_value=-1),
                    "s": tf.FixedLenSequenceFeature([], tf.string, allow_missing=True),
                },
            )[k]
            for k in ("x", "n", "s")
        ],
        lambda s: [
            np.array([[1.0, 2.0], [3.0, 4.5]], np.float32),
            np.array([5, -1], np.int64),
            np.array([[b"p", b"q"], [b"r", b""]], object),
        ],
        [EXAMPLES],
        name="dense_and_sequence",
        grad=False,
    ),
    OpCase(
        "ParseSequenceExample",
        lambda s: (lambda ctx, seq, lengths: [ctx["n"], seq["x"], lengths["x"]])(
            *tf.io.parse_sequence_example(
                s,
                {"n": tf.FixedLenFeature([], tf.int64, default_value=0)},
                {"x": tf.FixedLenSequenceFeature([2], tf.float32)},
            )
        ),
        lambda s: [
            np.array([4, 0], np.int64),
            np.array([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [0.0, 0.0]]], np.float32),
            np.array([2, 1], np.int64),
        ],
        [SEQUENCE_EXAMPLES],
        name="context_and_lists",
        grad=False,
    ),
]

CASES += [
    OpCase(
        "EncodeWav",
        lambda x: tf.audio.decode_wav(tf.audio.encode_wav(x, 100)).audio,
        lambda x: (np.clip(np.round(x * 32768), -32768, 32767) / 32768).astype(np.float32),
        [np.array([[0.0, 0.5], [1.5, -0.25], [-1.0, 0.1]], np.float32)],
        name="round_trip",
        grad=False,
    ),
    OpCase(
        "DecodeWav",
        lambda x: tf.audio.decode_wav(tf.audio.encode_wav(x, 100), 3, 4).audio,
        lambda x: np.concatenate([x[:, [0, 1, 1]], np.zeros((1, 3))]).astype(np.float32),
        [np.array([[0.0, 0.5], [0.25, -0.25], [-1.0, 0.125]], np.float32)],
        name="channels_and_samples",
        grad=False,
    ),
]
