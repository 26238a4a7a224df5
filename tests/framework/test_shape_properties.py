"""Property tests: the static broadcast rule agrees with NumPy, and run-time shapes with it."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import flowzero as tf
from flowzero.framework.shapes import TensorShape, broadcast_shapes

shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4)


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_static_broadcast_matches_numpy(data) -> None:
    a, b = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4)).input_shapes
    got = broadcast_shapes(TensorShape(a), TensorShape(b))
    assert got is not None and tuple(got.as_list()) == np.broadcast_shapes(a, b)


@given(shapes, shapes)
@settings(max_examples=200, deadline=None)
def test_incompatible_shapes_are_rejected_like_numpy(a, b) -> None:
    try:
        want = np.broadcast_shapes(a, b)
    except ValueError:
        want = None
    got = broadcast_shapes(TensorShape(a), TensorShape(b))
    assert (got is None) == (want is None)


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_unknown_dims_never_contradict_runtime(data) -> None:
    a, b = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3)).input_shapes
    mask_a = data.draw(st.lists(st.booleans(), min_size=len(a), max_size=len(a)))
    pa = [None if m else d for d, m in zip(a, mask_a)]
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, pa)
        y = tf.placeholder(tf.float32, b)
        z = x + y
        with tf.Session() as sess:
            out = sess.run(z, {x: np.ones(a, np.float32), y: np.ones(b, np.float32)})
    assert z.shape.is_compatible_with(out.shape)
