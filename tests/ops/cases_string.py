"""Op-table rows for the string ops (no gradients: all are NotDifferentiable)."""

import re

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase


def S(*items):  # noqa: N802 - reads like a literal
    """An object array of bytes (tf.string's NumPy form) from str items or rows of them."""
    rows = [[v.encode() for v in r] if isinstance(r, list) else r.encode() for r in items]
    out = np.empty((len(rows), len(rows[0])) if isinstance(rows[0], list) else len(rows), object)
    for idx in np.ndindex(*out.shape):
        out[idx] = rows[idx[0]][idx[1]] if out.ndim == 2 else rows[idx[0]]
    return out


def _vec(fn, dtype=object):
    def ref(x):
        out = np.empty(x.shape, dtype=dtype)
        for idx, v in np.ndenumerate(x):
            out[idx] = fn(v)
        return out

    return ref


WORDS = S("Hello", " a b\t", "", "héllo")
GRID = S(["a", "bb", "c"], ["dd", "e", "ff"])


def _reduce_join_ref(x, axis, sep):
    moved = np.moveaxis(x, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for idx in np.ndindex(*out.shape):
        out[idx] = sep.join(moved[idx])
    return out


def _ngrams_1_2(x, sep, pad):
    """Unigrams then bigrams of each row, the row padded with one `pad` at each end."""
    rows = []
    for r in x.tolist():
        padded = [pad, *r, pad]
        rows.append([*r, *[sep.join(padded[i : i + 2]) for i in range(len(padded) - 1)]])
    return np.array(rows, dtype=object)


def _parts(sp):
    return [sp.indices, sp.values, sp.dense_shape]


def _sparse_ref(rows):
    """(indices, values, dense_shape) of the ragged rows, as tf.string_split returns them."""
    idx = np.array([(i, j) for i, r in enumerate(rows) for j in range(len(r))], np.int64)
    vals = np.empty(len(idx), object)
    vals[:] = [t for r in rows for t in r]
    width = max(len(r) for r in rows)
    return idx.reshape(-1, 2), vals, np.array([len(rows), width], np.int64)


CASES = [
    OpCase(
        "StringJoin",
        lambda a, b: tf.strings.join([a, b, "!"], separator="-"),
        lambda a, b: np.array([x + b"-" + y + b"-!" for x, y in zip(a, b)], dtype=object),
        [S("a", "b"), S("x", "y")],
        grad=False,
    ),
    OpCase(
        "StringJoin",
        lambda a: tf.string_join([a, a]),
        lambda a: np.array(a[()] * 2, dtype=object),
        [np.array(b"ab", dtype=object)],
        name="scalar",
        grad=False,
    ),
    OpCase(
        "ReduceJoin",
        lambda x: tf.reduce_join(x, 0, separator=","),
        lambda x: _reduce_join_ref(x, 0, b","),
        [GRID],
        grad=False,
    ),
    OpCase(
        "ReduceJoin",
        lambda x: tf.reduce_join(x, -1, keep_dims=True),
        lambda x: _reduce_join_ref(x, 1, b"")[:, None],
        [GRID],
        name="keep_dims",
        grad=False,
    ),
    OpCase(
        "ReduceJoin",
        lambda x: tf.reduce_join(x),
        lambda x: np.array(b"".join(x.reshape(-1)), dtype=object),
        [GRID],
        name="all",
        grad=False,
    ),
    OpCase(
        "StringLength",
        lambda x: tf.strings.length(x),
        _vec(len, np.int32),
        [WORDS],
        grad=False,
    ),
    OpCase(
        "StringLength",
        lambda x: tf.strings.length(x, unit="UTF8_CHAR"),
        _vec(lambda s: len(s.decode()), np.int32),
        [WORDS],
        name="utf8",
        grad=False,
    ),
    OpCase("StringLower", tf.strings.lower, _vec(bytes.lower), [WORDS], grad=False),
    OpCase("StringUpper", tf.strings.upper, _vec(bytes.upper), [WORDS], grad=False),
    OpCase("StringStrip", tf.strings.strip, _vec(bytes.strip), [WORDS], grad=False),
    OpCase(
        "Substr",
        lambda x: tf.strings.substr(x, 1, 2),
        _vec(lambda s: s[1:3]),
        [S("hello", "ab", "x")],
        grad=False,
    ),
    OpCase(
        "Substr",
        lambda x, p, n: tf.substr(x, p, n),
        lambda x, p, n: np.array([s[q:][:k] for s, q, k in zip(x, p, n)], dtype=object),
        [S("hello", "ab", "xyz"), np.array([0, 2, 1], np.int32), np.array([9, 1, 1], np.int32)],
        name="vector_pos",
        grad=False,
    ),
    OpCase(
        "Substr",
        lambda x: tf.strings.substr(x, -3, 2, unit="UTF8_CHAR"),
        _vec(lambda s: s.decode()[-3:][:2].encode()),
        [S("héllo", "añb")],
        name="utf8_negative",
        grad=False,
    ),
    OpCase(
        "RegexFullMatch",
        lambda x: tf.strings.regex_full_match(x, "[a-z]+"),
        _vec(lambda s: re.fullmatch(rb"[a-z]+", s) is not None, np.bool_),
        [S("abc", "ab1", "", "x")],
        grad=False,
    ),
    OpCase(
        "RegexReplace",
        lambda x: tf.regex_replace(x, r"(\d)", r"<\1>"),
        _vec(lambda s: re.sub(rb"(\d)", rb"<\1>", s)),
        [S("a1b22", "none")],
        grad=False,
    ),
    OpCase(
        "RegexReplace",
        lambda x: tf.strings.regex_replace(x, "a", "x", replace_global=False),
        _vec(lambda s: s.replace(b"a", b"x", 1)),
        [S("aaa", "bab")],
        name="first",
        grad=False,
    ),
    OpCase(
        "StringToNumber",
        lambda x: tf.strings.to_number(x),
        _vec(float, np.float32),
        [S("1.5", " -2", "1e3", "inf")],
        grad=False,
    ),
    OpCase(
        "StringToNumber",
        lambda x: tf.string_to_number(x, tf.int64),
        _vec(int, np.int64),
        [S("12", "-3", "9000000000")],
        name="int64",
        grad=False,
    ),
    OpCase(
        "AsString",
        lambda x: tf.as_string(x, precision=2),
        _vec(lambda v: b"%.2f" % v),
        [np.array([1.5, -2.125, 1e10], np.float32)],
        grad=False,
    ),
    OpCase(
        "AsString",
        lambda x: tf.strings.as_string(x, width=4, fill="0"),
        _vec(lambda v: b"%04d" % v),
        [np.array([[1, -22], [333, 4444]], np.int32)],
        name="int_fill",
        grad=False,
    ),
    OpCase(
        "StringFormat",
        lambda x, y: tf.strings.format("x={} y={}!", [x, y]),
        lambda x, y: np.array(b"x=[1 2 3] y=2.5!", dtype=object),
        [np.array([1, 2, 3], np.int32), np.array(2.5, np.float32)],
        grad=False,
    ),
    OpCase(
        "UnsortedSegmentJoin",
        lambda x, ids: tf.strings.unsorted_segment_join(x, ids, 3, separator=","),
        lambda x, ids: np.array([b"b", b"a,c", b""], dtype=object),
        [S("a", "b", "c"), np.array([1, 0, 1], np.int32)],
        grad=False,
    ),
    OpCase(
        "UnsortedSegmentJoin",
        lambda x, ids: tf.strings.unsorted_segment_join(x, ids, 2),
        lambda x, ids: _reduce_join_ref(x, 0, b"")[None].repeat(2, 0) * np.array([[0], [1]]),
        [GRID, np.array([1, 1], np.int32)],
        name="rows",
        grad=False,
    ),
    # Bucket numbers from TensorFlow 2.21 (the kernels are TF 1.15's).
    OpCase(
        "StringToHashBucketFast",
        lambda x: tf.strings.to_hash_bucket_fast(x, 1000),
        lambda x: np.array([296, 263, 939], np.int64),
        [S("hello", "", "a")],
        grad=False,
    ),
    OpCase(
        "StringToHashBucket",
        lambda x: tf.string_to_hash_bucket(x, 1000),
        lambda x: np.array([938, 899, 868], np.int64),
        [S("hello", "", "a")],
        grad=False,
    ),
    OpCase(
        "StringToHashBucketStrong",
        lambda x: tf.strings.to_hash_bucket_strong(x, 1000, [1, 2]),
        lambda x: np.array([622, 435, 646], np.int64),
        [S("hello", "", "a")],
        grad=False,
    ),
    OpCase(
        "StringNGrams",
        lambda x: tf.strings.ngrams(x, [1, 2], separator="_", pad_values="#"),
        lambda x: _ngrams_1_2(x, b"_", b"#"),
        [GRID],
        grad=False,
    ),
    OpCase(
        "UnicodeEncode",
        lambda x: tf.strings.unicode_encode(x, "UTF-8"),
        lambda x: np.array(["".join(map(chr, r)).encode() for r in x.tolist()], dtype=object),
        [np.array([[104, 233, 0x1F600], [65, 66, 67]], np.int32)],
        grad=False,
    ),
    OpCase(
        "UnicodeTranscode",
        lambda x: tf.strings.unicode_transcode(x, "UTF-8", "UTF-16-BE"),
        _vec(lambda s: s.decode().encode("utf-16-be")),
        [WORDS],
        grad=False,
    ),
    OpCase(
        "StringSplit",
        lambda x: _parts(tf.string_split(x, delimiter=" ,")),
        lambda x: _sparse_ref([[t for t in v.replace(b",", b" ").split(b" ") if t] for v in x]),
        [S("a b,c", "", "  d ")],
        grad=False,
    ),
    OpCase(
        "StringSplitV2",
        lambda x: _parts(tf.strings.split(x, sep="--")),
        lambda x: _sparse_ref([v.split(b"--") for v in x]),
        [S("a--b----c", "", "d")],
        grad=False,
    ),
]
