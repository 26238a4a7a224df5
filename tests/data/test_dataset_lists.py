"""A Python list given to tf.data is one component (a tensor), as TF 1.15's data nest treats
it; tuples and dicts are structures (values checked against TF 2.21's tf.compat.v1)."""

from __future__ import annotations

import numpy as np

import flowzero as tf


def _first(ds, n):
    nxt = ds.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        return [sess.run(nxt) for _ in range(n)]


def test_a_list_is_sliced_as_one_tensor():
    assert [int(v) for v in _first(tf.data.Dataset.from_tensor_slices([1, 2, 3]), 3)] == [1, 2, 3]
    rows = _first(tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]]), 2)
    np.testing.assert_array_equal(rows, [[1, 2], [3, 4]])


def test_tuples_and_dicts_of_lists_stay_structures():
    pairs = _first(tf.data.Dataset.from_tensor_slices(([1, 2], [3, 4])), 2)
    assert [tuple(int(x) for x in p) for p in pairs] == [(1, 3), (2, 4)]
    dicts = _first(tf.data.Dataset.from_tensor_slices({"a": [1, 2]}), 2)
    assert [int(d["a"]) for d in dicts] == [1, 2]


def test_from_tensors_of_a_list_is_one_tensor():
    (value,) = _first(tf.data.Dataset.from_tensors([1, 2]), 1)
    np.testing.assert_array_equal(value, [1, 2])


def test_flat_map_over_rows():
    ds = tf.data.Dataset.from_tensor_slices([[1, 2], [3, 4]]).flat_map(
        lambda row: tf.data.Dataset.from_tensor_slices(row)
    )
    assert [int(v) for v in _first(ds, 4)] == [1, 2, 3, 4]
