"""tf.contrib.learn.preprocessing (VocabularyProcessor, CategoricalVocabulary, ByteProcessor):
TF 1.15's ids, trimming, padding, reverse and save/restore, as
dennybritz/cnn-text-classification-tf uses them (`from tensorflow.contrib import learn`)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.contrib import learn


def test_tokenizer_splits_words_caps_and_camel_case():
    got = list(learn.preprocessing.tokenizer(["it's a well-made film !", "NASA HelloWorld x1"]))
    assert got == [["it's", "a", "well-made", "film"], ["NASA", "Hello", "World", "x1"]]
    with pytest.raises(TypeError, match="documents must be str"):
        list(learn.preprocessing.tokenizer([b"bytes"]))


def test_vocabulary_processor_ids_in_first_seen_order_padded_and_cut():
    docs = ["a b c", "b c d e f", "a"]
    vp = tf.contrib.learn.preprocessing.VocabularyProcessor(max_document_length=4)
    x = np.array(list(vp.fit_transform(docs)))
    np.testing.assert_array_equal(x, [[1, 2, 3, 0], [2, 3, 4, 5], [1, 0, 0, 0]])
    assert x.dtype == np.int64 and len(vp.vocabulary_) == 7  # <UNK> + a..f
    # Frozen after fit: unseen words map to 0.
    np.testing.assert_array_equal(list(vp.transform(["f zzz a"])), [[6, 0, 1, 0]])
    assert list(vp.reverse([[1, 2, 0, 0]])) == ["a b <UNK> <UNK>"]


def test_min_frequency_keeps_words_seen_more_often_renumbered_by_count():
    docs = ["b a c", "a b", "a d"]  # a: 3, b: 2, c: 1, d: 1
    vp = learn.preprocessing.VocabularyProcessor(3, min_frequency=1)
    x = np.array(list(vp.fit_transform(docs)))
    # count <= min_frequency is dropped (TF's rule); kept words renumber 1.. by count.
    np.testing.assert_array_equal(x, [[2, 1, 0], [1, 2, 0], [1, 0, 0]])
    assert len(vp.vocabulary_) == 3
    vocab = learn.preprocessing.CategoricalVocabulary()
    for w in ["y", "x", "y", "x", "z"]:
        vocab.add(w)
    vocab.trim(0)
    assert [vocab.reverse(i) for i in range(len(vocab))] == ["<UNK>", "x", "y", "z"]  # ties: a-z


def test_save_and_restore_round_trip(tmp_path):
    vp = learn.preprocessing.VocabularyProcessor(5)
    vp.fit(["the movie was good", "the plot was thin"])
    path = str(tmp_path / "vocab")
    vp.save(path)
    back = learn.preprocessing.VocabularyProcessor.restore(path)
    doc = ["the plot was good"]
    np.testing.assert_array_equal(list(back.transform(doc)), list(vp.transform(doc)))
    assert back.max_document_length == 5


def test_custom_tokenizer_and_vocabulary_without_reverse():
    vp = learn.preprocessing.VocabularyProcessor(
        3,
        vocabulary=learn.preprocessing.CategoricalVocabulary(support_reverse=False),
        tokenizer_fn=lambda docs: (d.lower().split() for d in docs),
    )
    np.testing.assert_array_equal(list(vp.fit_transform(["A a B"])), [[1, 1, 2]])
    with pytest.raises(ValueError, match="support_reverse"):
        list(vp.reverse([[1]]))


def test_byte_processor_pads_cuts_and_reverses_utf8():
    bp = learn.preprocessing.ByteProcessor(4)
    rows = list(bp.fit_transform(["ab", "héllo", b"xy"]))
    np.testing.assert_array_equal(rows[0], [97, 98, 0, 0])
    np.testing.assert_array_equal(rows[1], list("héllo".encode()[:4]))
    assert rows[0].dtype == np.uint8
    assert list(bp.reverse([rows[0], rows[2]])) == ["ab", "xy"]
