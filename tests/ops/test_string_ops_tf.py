"""String ops against TensorFlow (skipped where it is not installed): the same strings out, the
same hash buckets for strings of every length class FarmHash distinguishes."""

import numpy as np
import pytest

import flowzero

tf_real = pytest.importorskip("tensorflow")
tf1 = tf_real.compat.v1
tf1.disable_eager_execution()

CASES = [
    lambda t: t.substr(t.constant(["hello", "ab"]), -2, 3),
    lambda t: t.strings.substr(t.constant(["héllo"]), 1, 2, unit="UTF8_CHAR"),
    lambda t: t.strings.to_number(t.constant(["1.5", " 2", "1e3", "-inf", "0x10"])),
    lambda t: t.strings.to_number(t.constant(["12", "-3"]), t.int64),
    lambda t: t.as_string(t.constant([1.5, 2.25, 1e10, -0.0, 3e-7])),
    lambda t: t.as_string(t.constant([1.5, 2.25], t.float64), precision=1, width=6),
    lambda t: t.as_string(t.constant([1.5, 1e10, 1e-5]), shortest=True),
    lambda t: t.as_string(t.constant([1.5, 1e10]), scientific=True, precision=3),
    lambda t: t.as_string(t.constant([1, -22]), width=4, fill="0"),
    lambda t: t.as_string(t.constant([True, False])),
    lambda t: t.strings.format("x={} y={}", [t.constant([[1, 2], [3, 4]]), t.constant(3.5)]),
    lambda t: t.strings.format("{}", t.constant(np.arange(10.0)), summarize=2),
    lambda t: t.strings.length(t.constant(["héllo", ""]), unit="UTF8_CHAR"),
    lambda t: t.strings.upper(t.constant(["héllo Ab"])),
    lambda t: t.strings.lower(t.constant(["HÉLLO Ab"])),
    lambda t: t.strings.strip(t.constant([" \t a b \n\v", ""])),
    lambda t: t.reduce_join(t.constant([["a", "b"], ["c", "d"]]), [1, 0], separator="-"),
    lambda t: t.reduce_join(t.constant([[["a", "b"]], [["c", "d"]]]), [0, 2]),
    lambda t: t.string_join([t.constant(["a", "b"]), "x"], separator="|"),
    lambda t: t.regex_replace(t.constant(["aaa bab", "a1"]), "a(b)?", r"<\1\0>"),
    lambda t: t.regex_replace(t.constant(["aaa"]), "a", "x", replace_global=False),
    lambda t: t.strings.regex_full_match(t.constant(["abc", "ab", "a\nc"]), "a.c"),
    lambda t: t.strings.ngrams(t.constant([["a", "b", "c", "d"]] * 2), [1, 3], separator="_"),
    lambda t: t.strings.ngrams(
        t.constant([["a", "b", "c", "d"]]), 3, pad_values=("<", ">"), padding_width=1
    ),
    lambda t: t.strings.ngrams(t.constant([["a", "b", "c", "d"]]), 5),
    lambda t: t.strings.ngrams(t.constant([["a", "b", "c"]]), 5, preserve_short_sequences=True),
    lambda t: t.strings.ngrams(t.constant(["a", "b", "c"]), 2, pad_values="#"),
    lambda t: t.strings.ngrams(t.constant([["a", "b", "c", "d"]]), [2, 6], "#", "#", 2),
    lambda t: t.strings.ngrams(t.constant([[["a", "b"]], [["c", "d"]]]), 2),
    lambda t: t.strings.unicode_encode(t.constant([[104, 233, -1], [0x1F600, 65, 66]]), "UTF-8"),
    lambda t: t.strings.unicode_encode(t.constant([104, 0xD800]), "UTF-16-BE", replacement_char=63),
    lambda t: t.strings.unicode_encode(t.constant([[104, -5]]), "UTF-32-BE", errors="ignore"),
    lambda t: t.strings.unicode_transcode(
        t.constant(np.array(["héllo".encode(), b"\xffa\xc3"], object)), "UTF-8", "UTF-16-BE"
    ),
    lambda t: t.strings.unicode_transcode(
        t.constant(np.array([b"\xffa\xc3"], object)), "UTF-8", "UTF-8", replacement_char=63
    ),
    lambda t: t.strings.unicode_transcode(
        t.constant(np.array([b"\xffa"], object)), "UTF-8", "UTF-32-BE", errors="ignore"
    ),
    lambda t: t.strings.unsorted_segment_join(
        t.constant([["a", "b"], ["c", "d"], ["e", "f"]]), [1, 0, 1], 3, separator=","
    ),
]


SPLITS = [
    lambda t: t.string_split(t.constant(["hello world", "a  b,c", "", " x "])),
    lambda t: t.string_split(t.constant(["a  b,c", "", " x "]), delimiter=" ,", skip_empty=False),
    lambda t: t.string_split(t.constant(["hello", "a b"]), ""),
    lambda t: t.strings.split(t.constant(["hello world", "a  b,c", "", " x "])),
    lambda t: t.strings.split(t.constant(["a  b,c", "", " x "]), sep=" "),
    lambda t: t.strings.split(t.constant(["a  b,c", "", " x "]), sep=" ", maxsplit=1),
    lambda t: t.strings.split(t.constant(["a  b,c", " x "]), sep="  "),
]


@pytest.mark.parametrize("i", range(len(SPLITS)))
def test_split_matches_tf(i):
    (want, _), (got, _) = _value(tf1, SPLITS[i]), _value(flowzero, SPLITS[i])
    for w, g in zip(want, got):
        assert np.asarray(g).tolist() == np.asarray(w).tolist()


def _value(lib, build):
    with lib.Graph().as_default():
        out = build(lib)
        shape = out.shape.as_list() if hasattr(out, "shape") else None
        with lib.Session() as s:
            return s.run(out), shape


@pytest.mark.parametrize("i", range(len(CASES)))
def test_matches_tf(i):
    want, want_shape = _value(tf1, CASES[i])
    got, got_shape = _value(flowzero, CASES[i])
    assert np.asarray(got).tolist() == np.asarray(want).tolist()
    assert got_shape == want_shape  # the static shape too


def test_hash_buckets_match_tf():
    rng = np.random.default_rng(1)
    lengths = [*range(0, 130), 255, 256, 257, 1000]
    strs = np.array([bytes(rng.integers(0, 256, n, dtype=np.uint8)) for n in lengths], object)

    def build(t):
        c = t.constant(strs)
        big = 2**63 - 1
        return [
            t.string_to_hash_bucket_fast(c, big),
            t.string_to_hash_bucket(c, big),
            t.string_to_hash_bucket_strong(c, big, [123456789, -987654321987]),
            t.strings.to_hash_bucket_fast(c, 97),
        ]

    want, got = _value(tf1, build)[0], _value(flowzero, build)[0]
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)
