"""fixed_unigram / learned_unigram / all_candidate_sampler and compute_accidental_hits: the
distributions (statistically), expected counts by TF's formulas, seeding, errors; values vs
TensorFlow where deterministic (skipped without it)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import flowzero as fz
from flowzero.framework.errors import InvalidArgumentError

needs_tf = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)
TRUE = np.array([[2], [3]], np.int64)


def _run(fetch, times=1):
    with fz.Session() as s:
        return [s.run(fetch) for _ in range(times)]


def test_fixed_unigram_frequencies_and_expected_counts():
    counts = [0.0, 1.0, 4.0, 9.0, 16.0]
    with fz.Graph().as_default():
        out = fz.nn.fixed_unigram_candidate_sampler(
            TRUE, 1, 4000, False, 7, unigrams=counts, num_reserved_ids=2, distortion=0.5, seed=3
        )
        ((sampled, true_q, sampled_q),) = _run(out)
    w = np.array([0, 0, 0, 1, 2, 3, 4], np.float64)  # sqrt of the counts after 2 reserved ids
    p = w / w.sum()
    freq = np.bincount(sampled, minlength=7) / sampled.size
    assert freq[:3].sum() == 0  # reserved ids and zero counts are never drawn
    np.testing.assert_allclose(freq, p, atol=0.03)
    np.testing.assert_allclose(true_q, (p[TRUE] * 4000).astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(sampled_q, (p[sampled] * 4000).astype(np.float32), rtol=1e-6)


def test_fixed_unigram_unique_and_vocab_file(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("the,50\nof,30\nand,20\nzebra,1\n")
    with fz.Graph().as_default():
        out = fz.nn.fixed_unigram_candidate_sampler(
            TRUE, 1, 3, True, 4, vocab_file=str(vocab), seed=1
        )
        runs = _run(out, times=30)
    p = np.array([50, 30, 20, 1]) / 101.0
    for sampled, true_q, sampled_q in runs:
        assert len(set(sampled.tolist())) == 3
        # one number of tries explains every expected count: 1 - (1 - p) ** tries, or p * 3
        if np.allclose(sampled_q, p[sampled] * 3):
            continue
        k = np.argmin(p[sampled])  # the least likely: its count pins the number of tries
        tries = np.round(np.log1p(-float(sampled_q[k])) / np.log1p(-p[sampled[k]]))
        np.testing.assert_allclose(sampled_q, -np.expm1(tries * np.log1p(-p[sampled])), 1e-5)
        np.testing.assert_allclose(true_q, -np.expm1(tries * np.log1p(-p[TRUE])), 1e-5)


def test_fixed_unigram_sharding_as_tensorflow_numbers_ids():
    # 5 reserved ids and 6 counts, shard 1 of 2: reserved 1, 3 (weight 0), then the counts
    # numbered from 2 (TF numbers them after the kept reserved ids): counts 1, 3, 5 are kept.
    with fz.Graph().as_default():
        out = fz.nn.fixed_unigram_candidate_sampler(
            TRUE, 1, 2, False, 5, unigrams=[1, 2, 3, 4, 5, 6], num_reserved_ids=5,
            num_shards=2, shard=1, seed=2,
        )  # fmt: skip
        ((_, true_q, _),) = _run(out)
    p = np.array([0, 0, 2, 4, 6]) / 12.0
    np.testing.assert_allclose(true_q, p[TRUE] * 2, rtol=1e-6)


def test_learned_unigram_learns_from_true_classes():
    labels = fz.placeholder(fz.int64, [None, 1])
    sampled, true_q, sampled_q = fz.nn.learned_unigram_candidate_sampler(
        labels, 1, 5, False, 10, seed=4
    )
    with fz.Session() as s:
        q0 = s.run(true_q, {labels: [[7]]})
        np.testing.assert_allclose(q0, [[0.5]])  # uniform start: 5 / 10
        for _ in range(3):
            s.run(sampled, {labels: [[7]] * 30})
        q1, drawn = s.run([true_q, sampled], {labels: [[7], [1]]})
        many = np.concatenate(
            [s.run(sampled, {labels: np.zeros((0, 1), np.int64)}) for _ in range(40)]
        )
    # seen: 1 + 90 of class 7 among 10 + 91 counts
    np.testing.assert_allclose(q1, [[5 * 92 / 101], [5 * 1 / 101]], rtol=1e-6)
    assert (many == 7).mean() > 0.8 and drawn.shape == (5,)
    with fz.Session() as s:  # a new session starts again from uniform counts
        np.testing.assert_allclose(s.run(true_q, {labels: [[7]]}), [[0.5]])


def test_all_candidate_sampler():
    with fz.Graph().as_default():
        out = fz.nn.all_candidate_sampler(TRUE, 1, 5, True)
        ((sampled, true_q, sampled_q),) = _run(out)
    np.testing.assert_array_equal(sampled, np.arange(5))
    np.testing.assert_array_equal(true_q, np.ones((2, 1), np.float32))
    np.testing.assert_array_equal(sampled_q, np.ones(5, np.float32))


def test_errors():
    with fz.Graph().as_default():
        bad = fz.nn.fixed_unigram_candidate_sampler(TRUE, 1, 2, False, 9, unigrams=[1, 2, 3, 4])
        with (
            fz.Session() as s,
            pytest.raises(
                InvalidArgumentError, match=r"FixedUnigramCandidateSampler.*range_max \(9\).*4"
            ),
        ):
            s.run(bad)
        zeros = fz.nn.fixed_unigram_candidate_sampler(TRUE, 1, 3, True, 4, unigrams=[1, 0, 0, 1])
        with fz.Session() as s, pytest.raises(InvalidArgumentError, match="nonzero weight"):
            s.run(zeros)
        out = fz.nn.all_candidate_sampler(TRUE, 1, 3, True)
        with fz.Session() as s, pytest.raises(InvalidArgumentError, match=r"range_max=3"):
            s.run(out)
        with pytest.raises(ValueError, match="exactly one of vocab_file and unigrams"):
            fz.nn.fixed_unigram_candidate_sampler(TRUE, 1, 2, False, 4)
        with pytest.raises(ValueError, match="shard must be in"):
            fz.nn.fixed_unigram_candidate_sampler(TRUE, 1, 2, False, 4, unigrams=[1], shard=2)
        with pytest.raises(InvalidArgumentError, match=r"ComputeAccidentalHits.*num_true=3"):
            fz.nn.compute_accidental_hits(TRUE, [1, 2], 3)


@needs_tf
def test_deterministic_outputs_match_tensorflow():
    import tensorflow as tf

    tf1 = tf.compat.v1
    tf1.disable_eager_execution()
    t = np.array([[1, 3], [2, 2], [0, 3]], np.int64)
    s = np.array([3, 2, 7, 3, 5], np.int64)

    def program(m):
        nn = m.nn
        return [
            *nn.compute_accidental_hits(t, s, 2),
            *nn.all_candidate_sampler(t, 2, 4, True),
            nn.fixed_unigram_candidate_sampler(
                t, 2, 3, False, 8, unigrams=[1, 2, 3, 4, 5, 6], num_reserved_ids=2,
                distortion=0.5, seed=1,
            )[1],  # the true classes' expected counts (the draws differ)
        ]  # fmt: skip

    with tf.Graph().as_default(), tf1.Session() as sess:
        want = sess.run(program(tf1))
    with fz.Graph().as_default(), fz.Session() as sess:
        got = sess.run(program(fz))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)
        assert g.dtype == w.dtype
