"""Error paths and namespace bindings of the special functions, segment reductions, sorting,
scatter, partition, spectral and decomposition ops (their values: the op table)."""

from __future__ import annotations

import pytest

import flowzero as tf
from flowzero.framework.errors import InvalidArgumentError


def _run(t, feed=None):
    with tf.Session(graph=t.graph) as sess:
        return sess.run(t, feed)


def test_namespaces_bind_the_root_functions():
    assert tf.math.erf is tf.erf
    assert tf.math.erfc is tf.erfc
    assert tf.math.lgamma is tf.lgamma
    assert tf.math.digamma is tf.digamma
    assert tf.math.log_sigmoid is tf.log_sigmoid
    assert tf.math.segment_sum is tf.segment_sum
    assert tf.math.unsorted_segment_sqrt_n is tf.unsorted_segment_sqrt_n
    assert tf.math.bincount is tf.bincount


def test_segment_ids_must_increase():
    g = tf.Graph()
    with g.as_default():
        y = tf.segment_sum(tf.constant([1.0, 2.0, 3.0]), tf.constant([0, 2, 1]))
    with pytest.raises(InvalidArgumentError, match=r"SegmentSum.*not increasing.*\[1\] = 2"):
        _run(y)


def test_segment_ids_must_match_data_length():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="SegmentMax.*long"):
        tf.segment_max(tf.zeros([3, 2]), [0, 1])


def test_unsorted_segment_id_out_of_range_names_it():
    g = tf.Graph()
    with g.as_default():
        y = tf.unsorted_segment_sum(tf.ones([2, 2]), [[0, 1], [5, 0]], 3)
    with pytest.raises(InvalidArgumentError, match=r"segment_ids\[1,0\] = 5 is out of range"):
        _run(y)


def test_unsorted_segment_ids_must_prefix_data():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="prefix"):
        tf.unsorted_segment_min(tf.zeros([3, 2]), tf.zeros([2], tf.int32), 2)


def test_bincount_rejects_negative_values():
    g = tf.Graph()
    with g.as_default():
        y = tf.bincount([1, -2, 0])
    with pytest.raises(InvalidArgumentError, match="Bincount.*non-negative; got -2"):
        _run(y)


def test_sort_direction_is_checked():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="ASCENDING"):
        tf.sort([1.0, 2.0], direction="UP")


def test_sort_with_unknown_rank_on_another_axis():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32)
        y = tf.argsort(x, axis=0)
    got = _run(y, {x: [[3.0, 1.0], [1.0, 2.0], [2.0, 0.0]]})
    assert got.tolist() == [[1, 2], [2, 0], [0, 1]]


def test_unique_needs_a_vector():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="Unique.*vector"):
        tf.unique(tf.zeros([2, 2]))


def test_setdiff1d_needs_one_dtype():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="ListDiff.*dtype"):
        tf.setdiff1d(tf.constant([1, 2]), tf.constant([1.0]))
