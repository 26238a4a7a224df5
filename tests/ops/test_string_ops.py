"""String ops beyond the op table: error paths, unit/dtype checks, names in tf.strings."""

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default():
        yield


def _run(t, feed=None):
    with tf.Session() as s:
        return s.run(t, feed)


def test_python_str_becomes_bytes_and_scalars_fetch_as_bytes():
    assert _run(tf.strings.join(["a", "é"])) == "aé".encode()
    p = tf.placeholder(tf.string, [None])
    got = _run(tf.strings.upper(p), {p: ["ab", "c"]})  # fed as str: still bytes out
    assert got.tolist() == [b"AB", b"C"]


def test_join_shape_mismatch_is_build_time_error():
    with pytest.raises(ValueError, match=r"StringJoin.*same shape; got \(2,\), \(3,\)"):
        tf.strings.join([["a", "b"], ["x", "y", "z"]])
    with pytest.raises(TypeError, match="StringJoin.*string"):
        tf.strings.join([tf.constant([1])])


def test_reduce_join_axes():
    x = tf.constant([["a", "b"], ["c", "d"]])
    assert _run(tf.reduce_join(x, [1, 0], separator="-")) == b"a-b-c-d"
    assert _run(tf.reduce_join(x, [0, 1])) == b"acbd"  # the first axis listed varies fastest
    with pytest.raises(InvalidArgumentError, match="Duplicate reduction dimension 1"):
        tf.reduce_join(x, [1, -1])
    assert _run(tf.reduce_join(x, axis=-1, keepdims=True)).tolist() == [[b"ab"], [b"cd"]]
    assert tf.reduce_join(x, 0).shape.as_list() == [2]
    with pytest.raises(InvalidArgumentError, match="Invalid reduction dimension 2"):
        tf.reduce_join(x, 2)
    e = tf.constant(np.zeros((2, 0), dtype=object))
    assert _run(tf.reduce_join(e, 1)).tolist() == [b"", b""]


def test_substr_errors_and_units():
    x = tf.constant(["hello", "ab"])
    with pytest.raises(
        InvalidArgumentError, match=r"pos 3 out of range for string b'ab' at index 1"
    ):
        _run(tf.strings.substr(x, 3, 1))
    with pytest.raises(InvalidArgumentError, match="pos -3 out of range"):
        _run(tf.strings.substr(x, -3, 1))
    assert _run(tf.strings.substr(x, 1, -1)).tolist() == [b"ello", b"b"]  # len < 0: to the end
    assert _run(tf.strings.substr(x, -2, 9)).tolist() == [b"lo", b"ab"]
    assert _run(tf.strings.substr("héllo", 1, 2, unit="UTF8_CHAR")) == "él".encode()
    with pytest.raises(ValueError, match="pos and len must broadcast"):
        tf.strings.substr(x, [1, 0, 1], [2, 5, 1])
    with pytest.raises(ValueError, match="unit must be"):
        tf.strings.substr(x, 0, 1, unit="CHAR")
    with pytest.raises(InvalidArgumentError, match="invalid UTF-8"):
        _run(tf.strings.substr(tf.constant([b"\xff"]), 0, 1, unit="UTF8_CHAR"))


def test_to_number():
    x = tf.placeholder(tf.string, [None])
    f = tf.strings.to_number(x)
    i = tf.strings.to_number(x, tf.int32)
    np.testing.assert_array_equal(_run(f, {x: ["0x10", "-1.5e2", "nan"]}), [16.0, -150.0, np.nan])
    with pytest.raises(InvalidArgumentError, match="could not correctly convert string: abc"):
        _run(f, {x: ["1", "abc"]})
    with pytest.raises(InvalidArgumentError, match="convert string: 1.5"):
        _run(i, {x: ["1.5"]})
    with pytest.raises(InvalidArgumentError, match="convert string: 99999999999"):
        _run(i, {x: ["99999999999"]})
    with pytest.raises(InvalidArgumentError, match="convert string: 1_0"):
        _run(i, {x: ["1_0"]})
    with pytest.raises(TypeError, match="out_type"):
        tf.strings.to_number(x, tf.bool)


def test_as_string_formats_and_errors():
    v = tf.constant([1.5, 1e10])
    assert _run(tf.as_string(v)).tolist() == [b"1.500000", b"10000000000.000000"]
    assert _run(tf.as_string(v, scientific=True)).tolist() == [b"1.500000e+00", b"1.000000e+10"]
    assert _run(tf.as_string(v, shortest=True)).tolist() == [b"1.5", b"1e+10"]
    assert _run(tf.as_string([True, False])).tolist() == [b"true", b"false"]
    assert _run(tf.as_string(tf.constant([1, 22]), width=4)).tolist() == [b"   1", b"  22"]
    assert _run(tf.as_string(tf.constant([np.nan, -np.inf]))).tolist() == [b"nan", b"-inf"]
    with pytest.raises(InvalidArgumentError, match="precision not supported for datatype int64"):
        tf.as_string(tf.constant([1], tf.int64), precision=2)
    with pytest.raises(InvalidArgumentError, match="Fill string must be one or fewer"):
        tf.as_string(v, fill="ab")
    with pytest.raises(InvalidArgumentError, match="both scientific and shortest"):
        tf.as_string(v, scientific=True, shortest=True)
    with pytest.raises(TypeError, match="AsString"):
        tf.as_string(tf.constant(["a"]))


def test_format_and_regex_errors():
    assert _run(tf.strings.format("x={}", tf.range(10), summarize=2)) == b"x=[0 1 ... 8 9]"
    assert _run(tf.strings.format("{}", [tf.constant([["a", "b"]])])) == b'[["a" "b"]]'
    with pytest.raises(ValueError, match="template expects 2 tensors"):
        tf.strings.format("{} {}", [1])
    with pytest.raises(InvalidArgumentError, match=r"Invalid pattern: \(ab"):
        _run(tf.strings.regex_full_match(["x"], "(ab"))
    got = _run(tf.regex_replace(["aaa bab"], "a(b)?", r"<\1\0>"))
    assert got.tolist() == [b"<a><a><a> b<bab>"]  # \0 is the whole match, as in RE2
    with pytest.raises(InvalidArgumentError, match="rewrite names group"):
        _run(tf.regex_replace(["a"], "a", r"\2"))
    with pytest.raises(ValueError, match="pattern must be a scalar"):
        tf.strings.regex_full_match(["a"], ["a", "b"])


def test_unsorted_segment_join_errors():
    with pytest.raises(InvalidArgumentError, match="segment_ids are not allowed to exceed"):
        _run(tf.strings.unsorted_segment_join(["a", "b"], [0, 5], 3))
    with pytest.raises(ValueError, match="prefix of inputs.shape"):
        tf.strings.unsorted_segment_join(["a", "b"], [0, 1, 1], 3)
    t = tf.strings.unsorted_segment_join(["a"], [0], tf.placeholder(tf.int32, []))
    assert t.shape.as_list() == [None]


def test_hash_buckets():
    x = tf.constant(["hello", "", "a", "x" * 100])
    fast = _run(tf.string_to_hash_bucket_fast(x, 2**62))
    assert fast[:3].tolist() == [3786372426573024488, 1936946117179621455, 3694432073954588131]
    assert _run(tf.strings.to_hash_bucket(x, 7)).max() < 7
    with pytest.raises(ValueError, match="num_buckets must be >= 1"):
        tf.strings.to_hash_bucket_fast(x, 0)
    with pytest.raises(ValueError, match="Key must have 2 elements"):
        tf.strings.to_hash_bucket_strong(x, 10, [1])


def test_namespaces_and_no_gradient():
    assert tf.strings.join is tf.string_join
    assert tf.strings.strip is tf.string_strip
    assert tf.strings.to_number is tf.string_to_number
    assert tf.strings.substr is tf.substr
    assert not hasattr(tf, "regex_full_match")  # only in tf.strings in TF 1.15
    x = tf.constant(["1"])
    y = tf.strings.to_number(x)
    assert tf.gradients(y, x) == [None]


def test_ngrams_and_unicode_errors():
    x = tf.constant([["a", "b"]])
    with pytest.raises(ValueError, match="ngram_width must be >= 1"):
        tf.strings.ngrams(x, 0)
    with pytest.raises(ValueError, match="pad_values is not"):
        tf.strings.ngrams(x, 2, padding_width=1)
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.strings.ngrams(tf.constant("a"), 2)
    p = tf.placeholder(tf.string, [None, None])
    g = tf.strings.ngrams(p, 2)
    got = _run(g, {p: np.array([["a", "b", "c"], ["d", "e", "f"]], dtype=object)})
    assert got.tolist() == [[b"a b", b"b c"], [b"d e", b"e f"]]
    with pytest.raises(ValueError, match="output_encoding must be one of"):
        tf.strings.unicode_encode([[65]], "latin-1")
    with pytest.raises(InvalidArgumentError, match="Invalid code point -1"):
        _run(tf.strings.unicode_encode([[65, -1]], "UTF-8", errors="strict"))
    with pytest.raises(InvalidArgumentError, match="Invalid formatting on input string"):
        _run(
            tf.strings.unicode_transcode(
                tf.constant(np.array([b"\xff"], object)), "UTF-8", "UTF-8", errors="strict"
            )
        )
    with pytest.raises(ValueError, match="errors must be"):
        tf.strings.unicode_transcode(["a"], "UTF-8", "UTF-8", errors="bad")


def test_string_split_gives_sparse_tensor():
    sp = tf.string_split(["a b", "c"])
    assert isinstance(sp, tf.SparseTensor) and sp.dtype == tf.string
    v = _run(sp)
    assert v.values.tolist() == [b"a", b"b", b"c"]
    assert v.indices.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert v.dense_shape.tolist() == [2, 2]
    dense = _run(tf.sparse.to_dense(tf.strings.split(["x y z"]), default_value=""))
    assert dense.tolist() == [[b"x", b"y", b"z"]]
    with pytest.raises(ValueError, match="vector of strings"):
        tf.string_split([["a"]])
    with pytest.raises(ValueError, match="RaggedTensor"):
        tf.strings.split(["a"], result_type="RaggedTensor")
