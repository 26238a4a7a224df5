"""Array ops beyond the op table: error paths, Tensor/Variable indexing vs NumPy, static shapes,
gradients built with unknown shapes, and property tests for strided slices and reshapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import flowzero as tf

X = np.arange(60, dtype=np.float32).reshape(3, 4, 5)


def run(fetches, feed=None, graph=None):
    with tf.Session(graph=graph or tf.get_default_graph()) as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


# -- error paths: build time -------------------------------------------------------------------
def test_reshape_incompatible_size_at_build_time():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Reshape.*cannot reshape.*6"):
        tf.reshape(tf.zeros([2, 3]), [4, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape.*not divisible by 4"):
        tf.reshape(tf.zeros([2, 3]), [-1, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape.*only one dimension"):
        tf.reshape(tf.zeros([2, 3]), [-1, -1])


def test_reshape_incompatible_size_at_run_time():
    x = tf.placeholder(tf.float32)
    y = tf.reshape(x, [4, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Reshape.*cannot reshape"):
        run(y, {x: np.zeros((2, 3))})


def test_concat_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"ConcatV2 'concat'.*same rank"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([3])], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ConcatV2.*dimension 1.*match"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2, 4])], 0)
    with pytest.raises(TypeError, match="ConcatV2.*same dtype"):
        tf.concat([tf.zeros([2]), tf.zeros([2], tf.int32)], 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ConcatV2.*axis 2 is out of range"):
        tf.concat([tf.zeros([2, 3]), tf.zeros([2, 3])], 2)
    a, b = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ConcatV2.*must match"):
        run(tf.concat([a, b], 0), {a: np.zeros((2, 3)), b: np.zeros((2, 4))})


def test_transpose_bad_perm():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Transpose.*permutation"):
        tf.transpose(tf.zeros([2, 3]), [0, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Transpose.*one entry per dim"):
        tf.transpose(tf.zeros([2, 3]), [0, 1, 2])
    p = tf.placeholder(tf.int32, [2])
    y = tf.transpose(tf.zeros([2, 3]), p)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Transpose.*permutation"):
        run(y, {p: [1, 1]})


def test_gather_out_of_range_at_run_time_names_the_op():
    params = tf.constant([1.0, 2.0, 3.0])
    i = tf.placeholder(tf.int32, [None])
    y = tf.gather(params, i, name="lookup")
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"GatherV2 'lookup'.*indices\[1\] = 5 is not in \[0, 3\)",
    ):
        run(y, {i: [0, 5]})
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = -1"):
        run(y, {i: [-1]})
    with pytest.raises(TypeError, match="GatherV2.*indices must be int32 or int64"):
        tf.gather(params, tf.constant([0.0]))


def test_gather_nd_and_scatter_nd_out_of_range():
    y = tf.gather_nd(tf.zeros([2, 3]), tf.constant([[1, 3]]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"GatherNd.*= 3 is not in \[0, 3\)"):
        run(y)
    z = tf.scatter_nd([[4]], [1.0], [3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="ScatterNd.*is not in"):
        run(z)


def test_slice_errors():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"Slice.*begin\[0\] \+ size\[0\] <= 3"
    ):
        tf.slice(tf.zeros([3, 4]), [2, 0], [2, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Slice.*begin must be >= 0"):
        tf.slice(tf.zeros([3, 4]), [-1, 0], [1, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Slice.*one entry per dimension"):
        tf.slice(tf.zeros([3, 4]), [0], [1])
    b = tf.placeholder(tf.int32, [2])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Slice 'Slice'.*<= 4"):
        run(tf.slice(tf.zeros([3, 4]), b, [1, 2]), {b: [0, 3]})


def test_strided_slice_errors():
    x = tf.zeros([3, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match="StridedSlice.*index 5 is out of"):
        x[5]
    with pytest.raises(tf.errors.InvalidArgumentError, match="StridedSlice.*indexes 3 dim"):
        x[0, 0, 0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="StridedSlice.*one ellipsis"):
        tf.strided_slice(x, [0, 0], [0, 0], [1, 1], ellipsis_mask=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="StridedSlice.*non-zero"):
        tf.strided_slice(x, [0], [2], [0])
    with pytest.raises(ValueError, match="step cannot be zero"):
        x[::0]
    i = tf.placeholder(tf.int32, [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="StridedSlice 'strided_slice'"):
        run(x[i], {i: 7})
    for bad in ([0, 1], 1.5, "a", True):
        with pytest.raises(TypeError, match="valid indices"):
            x[bad]
    with pytest.raises(TypeError, match="valid indices"):
        x[tf.constant(1.0)]


def test_shape_op_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Squeeze.*squeeze dim\[1\]"):
        tf.squeeze(tf.zeros([1, 3]), [1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="ExpandDims.*axis 3 is out of"):
        tf.expand_dims(tf.zeros([2]), 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Split.*evenly divide"):
        tf.split(tf.zeros([5, 2]), 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="SplitV.*add up"):
        tf.split(tf.zeros([5, 2]), [2, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Pack 'stack'.*same shape"):
        tf.stack([tf.zeros([2]), tf.zeros([3])])
    with pytest.raises(ValueError, match="cannot infer num"):
        tf.unstack(tf.placeholder(tf.float32, [None, 2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unpack.*num must equal"):
        tf.unstack(tf.zeros([3, 2]), num=2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Tile.*one entry per dimension"):
        tf.tile(tf.zeros([2, 3]), [2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="ReverseV2.*repeat"):
        tf.reverse(tf.zeros([2, 3]), [1, -1])


def test_pad_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Pad.*non-negative"):
        tf.pad(tf.zeros([2]), [[-1, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Pad.*shape \[rank\(x\), 2\]"):
        tf.pad(tf.zeros([2, 2]), [[1, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="MirrorPad.*at most 1.*REFLECT"):
        tf.pad(tf.zeros([2]), [[2, 0]], "REFLECT")
    tf.pad(tf.zeros([2]), [[2, 0]], "SYMMETRIC")  # SYMMETRIC allows up to the dimension
    with pytest.raises(ValueError, match="unknown padding mode"):
        tf.pad(tf.zeros([2]), [[1, 0]], "WRAP")
    p = tf.placeholder(tf.int32, [1, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="MirrorPad.*at most"):
        run(tf.pad(tf.zeros([2]), p, "REFLECT"), {p: [[0, 5]]})


def test_where_errors():
    with pytest.raises(ValueError, match="both"):
        tf.where([True], x=[1.0])
    with pytest.raises(TypeError, match="Select.*condition must be bool"):
        tf.where(tf.constant([1, 0]), [1.0, 2.0], [3.0, 4.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Select.*same shape"):
        tf.where([True, False], [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Select.*condition must have"):
        tf.where([True, False, True], tf.zeros([2, 2]), tf.ones([2, 2]))


def test_range_linspace_one_hot_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Range.*delta != 0"):
        tf.range(0, 5, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Range.*start <= limit"):
        tf.range(5, 0, 1)
    n = tf.placeholder(tf.int32, [])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Range 'range'.*start <= limit"):
        run(tf.range(3, n), {n: 0})
    with pytest.raises(tf.errors.InvalidArgumentError, match="LinSpace.*num > 0"):
        tf.lin_space(0.0, 1.0, 0)
    with pytest.raises(TypeError, match="OneHot.*same dtype"):
        tf.one_hot([0], 2, on_value=tf.constant(1.0), off_value=tf.constant(0))


# -- __getitem__ vs NumPy ----------------------------------------------------------------------
KEYS = [
    lambda a: a[1],
    lambda a: a[:, 1:3],
    lambda a: a[::-1],
    lambda a: a[..., 0],
    lambda a: a[None, :, 1],
    lambda a: a[-1, ::-2],
    lambda a: a[1, 2, 3],
    lambda a: a[1:, ..., 1:4:2],
    lambda a: a[:, None, :, None, 0],
    lambda a: a[..., None],
    lambda a: a[2:0:-1, -3:],
    lambda a: a[:, -1:-5:-1, ::3],
    lambda a: a[-100:100],
    lambda a: a[1:1],
    lambda a: a[...],
    lambda a: a[np.int64(2), np.int32(-1)],
]


@pytest.mark.parametrize("key", KEYS, ids=[f"k{i}" for i in range(len(KEYS))])
def test_getitem_matches_numpy(key):
    want = key(X)
    x = tf.constant(X)
    y = key(x)
    assert y.shape == want.shape
    assert y.dtype == tf.float32
    ph = tf.placeholder(tf.float32)  # unknown rank: static shape is unknown, values still right
    yu = key(ph)
    got, got_u = run([y, yu], {ph: X})
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_u, want)
    assert yu.shape.is_compatible_with(want.shape)


@pytest.mark.parametrize("key", KEYS[:8], ids=[f"k{i}" for i in range(8)])
def test_getitem_on_variable(key):
    v = tf.Variable(X)
    y = key(v)
    assert y.shape == key(X).shape
    np.testing.assert_array_equal(run(y), key(X))


def test_getitem_with_tensor_indices():
    x = tf.constant(X)
    i = tf.placeholder(tf.int32, [])
    j = tf.constant(1)
    y1 = x[i]
    y2 = x[i:, j]
    y3 = x[:, i : i + 2]
    assert y1.shape == (4, 5)
    assert y2.shape.as_list() == [None, 5]
    out = run([y1, y2, y3], {i: 1})
    np.testing.assert_array_equal(out[0], X[1])
    np.testing.assert_array_equal(out[1], X[1:, 1])
    np.testing.assert_array_equal(out[2], X[:, 1:3])


def test_iterating_a_tensor_uses_getitem():
    rows = list(tf.constant([[1, 2], [3, 4]]))
    assert len(rows) == 2
    np.testing.assert_array_equal(run(rows[1]), [3, 4])


def test_gradient_through_variable_slice():
    v = tf.Variable(np.ones((2, 3), np.float32))
    (g,) = tf.gradients(tf.reduce_sum(v[1, ::-2] * tf.constant([2.0, 3.0])), [v])
    np.testing.assert_array_equal(run(g), [[0, 0, 0], [3, 0, 2]])


def test_fetched_slice_of_variable_is_not_aliased():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    row = v[0]
    inc = v.assign_add(tf.ones([2, 2]))
    with tf.Session() as sess:
        sess.run(v.initializer)
        a = sess.run(row)
        sess.run(inc)
        b, c = sess.run(tf.identity_n([v, v]))
    np.testing.assert_array_equal(a, [1.0, 2.0])  # not mutated by the later update
    np.testing.assert_array_equal(c, [[2.0, 3.0], [4.0, 5.0]])


# -- static shapes -----------------------------------------------------------------------------
def test_static_shapes_of_slices_with_unknown_dims():
    x = tf.placeholder(tf.float32, [None, 5])
    assert x[:, 1:3].shape.as_list() == [None, 2]
    assert x[0].shape.as_list() == [5]
    assert x[..., None].shape.as_list() == [None, 5, 1]
    assert x[1:, ::2].shape.as_list() == [None, 3]
    assert x[:, ::-1].shape.as_list() == [None, 5]
    assert x[:, 1].shape.as_list() == [None]
    assert tf.placeholder(tf.float32)[0].shape.ndims is None


def test_static_values_flow_through_shape_slices():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    assert tf.reshape(x, [tf.shape(x)[0], -1]).shape.as_list() == [None, 12]
    assert tf.reshape(x, [-1, tf.shape(x)[2]]).shape.as_list() == [None, 4]
    assert tf.zeros(tf.shape(x)[1:]).shape.as_list() == [3, 4]
    y = tf.placeholder(tf.float32, [2, 3])
    assert tf.reshape(y, tf.shape(y)[::-1]).shape.as_list() == [3, 2]


def test_static_shapes_of_layout_ops():
    x = tf.placeholder(tf.float32, [None, 3])
    assert tf.transpose(x).shape.as_list() == [3, None]
    assert tf.concat([x, x], 1).shape.as_list() == [None, 6]
    assert tf.concat([x, tf.zeros([2, 3])], 0).shape.as_list() == [None, 3]
    assert tf.stack([x, x], axis=1).shape.as_list() == [None, 2, 3]
    assert tf.tile(x, [2, 2]).shape.as_list() == [None, 6]
    assert tf.pad(x, [[1, 1], [0, 2]]).shape.as_list() == [None, 5]
    assert tf.gather(x, [0, 1, 1], axis=1).shape.as_list() == [None, 3]
    assert tf.one_hot(tf.placeholder(tf.int32, [None]), 10).shape.as_list() == [None, 10]
    assert tf.range(tf.placeholder(tf.int32, [])).shape.as_list() == [None]
    assert tf.where(tf.placeholder(tf.bool, [None, 2, 2])).shape.as_list() == [None, 3]
    parts = tf.split(x, [1, -1], axis=1)
    assert [p.shape.as_list() for p in parts] == [[None, 1], [None, 2]]


# -- gradients when shapes are only known at run time -------------------------------------------
GRAD_BUILDS = [
    lambda x: x[1:, ::-1],
    lambda x: tf.slice(x, [1, 0], [-1, 2]),
    lambda x: tf.tile(x, [2, 3]),
    lambda x: tf.pad(x, [[1, 0], [0, 2]]),
    lambda x: tf.pad(x, [[1, 1], [1, 0]], "REFLECT"),
    lambda x: tf.concat([x, 2.0 * x], 1),
    lambda x: tf.gather(x, [2, 0, 2]),
    lambda x: tf.gather_nd(x, [[0, 1], [2, 2], [0, 1]]),
    lambda x: tf.transpose(x),
    lambda x: tf.expand_dims(x, 1),
    lambda x: tf.reverse(x, [0]),
    lambda x: tf.stack(tf.unstack(x, num=3)[::-1]),
    lambda x: tf.concat(tf.split(x, 3, axis=1)[::-1], 1),
    lambda x: tf.where(tf.constant([True, False, True]), x, -x),
]


@pytest.mark.parametrize("build", GRAD_BUILDS, ids=[f"b{i}" for i in range(len(GRAD_BUILDS))])
def test_gradient_with_unknown_shape_matches_static(build):
    xv = np.random.default_rng(0).uniform(-1, 1, (3, 3)).astype(np.float32)
    grads = []
    for shape in ([3, 3], None):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, shape)
            y = build(x)
            w = tf.placeholder(tf.float32)
            (dx,) = tf.gradients(tf.reduce_sum(y * w), [x])
            with tf.Session(graph=g) as sess:
                yv = sess.run(y, {x: xv})
                wv = np.random.default_rng(1).uniform(0.5, 1.5, yv.shape).astype(np.float32)
                grads.append(sess.run(dx, {x: xv, w: wv}))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


# -- behaviour details -------------------------------------------------------------------------
def test_dtype_defaults():
    assert tf.range(5).dtype == tf.int32
    assert tf.range(0.0, 1.0, 0.5).dtype == tf.float32
    assert tf.range(1, 2.5).dtype == tf.float32
    assert tf.range(tf.constant(3, tf.int64)).dtype == tf.int64
    assert tf.size(tf.zeros([2])).dtype == tf.int32
    assert tf.rank(tf.zeros([2])).dtype == tf.int32
    assert tf.one_hot([1], 3).dtype == tf.float32
    assert tf.one_hot([1], 3, on_value=1, off_value=0).dtype == tf.int32
    assert tf.where([True]).dtype == tf.int64
    assert tf.lin_space(0.0, 1.0, 3).dtype == tf.float32


def test_concat_stack_conveniences():
    a = tf.constant([1.0, 2.0])
    assert tf.concat([a, a], 0).op.name == "concat"
    assert tf.concat([a], 0).op.type == "Identity"
    assert tf.stack([[1, 2], [3, 4]]).op.type == "Const"
    packed = tf.convert_to_tensor([a, [3.0, 4.0]])  # autopacking mixes Tensors and lists
    assert packed.op.type == "Pack" and packed.shape == (2, 2)
    a64 = tf.constant([1.0], tf.float64)
    assert tf.stack([a64, [2.0]]).dtype == tf.float64  # Python values take the Tensor's dtype
    np.testing.assert_array_equal(run(tf.concat([a64, [5.0]], 0)), [1.0, 5.0])


def test_multi_output_ops_return_lists():
    x = tf.zeros([1, 4])
    assert isinstance(tf.unstack(x), list) and len(tf.unstack(x)) == 1
    assert len(tf.split(x, 1)) == 1
    assert tf.unstack(tf.zeros([0, 2])) == []
    out = run(tf.split(x, [1, 3], axis=1))
    assert [o.shape for o in out] == [(1, 1), (1, 3)]


def test_one_hot_and_where_values():
    np.testing.assert_array_equal(
        run(tf.one_hot([[1], [5]], 3, axis=1)), [[[0], [1], [0]], [[0], [0], [0]]]
    )
    np.testing.assert_array_equal(run(tf.where([[0, 3], [4, 0]])), [[0, 1], [1, 0]])


def test_boolean_mask_and_transpose_of_unknown_rank():
    x = tf.placeholder(tf.float32)
    y = tf.transpose(x)
    assert y.shape.ndims is None
    np.testing.assert_array_equal(run(y, {x: X}), X.T)
    m = tf.boolean_mask(tf.constant(X), np.array([[True, False, True, False]] * 3))
    assert m.shape.as_list() == [None, 5]
    np.testing.assert_array_equal(run(m), X[:, [0, 2]].reshape(-1, 5))


# -- property tests ----------------------------------------------------------------------------
_PART = st.one_of(
    st.builds(
        slice,
        st.none() | st.integers(-7, 7),
        st.none() | st.integers(-7, 7),
        st.none() | st.integers(-3, 3).filter(lambda v: v != 0),
    ),
    st.integers(-6, 6),
    st.just(None),
    st.just(Ellipsis),
)


@st.composite
def _shape_and_key(draw):
    shape = draw(st.lists(st.integers(0, 5), min_size=0, max_size=3))
    parts = draw(st.lists(_PART, min_size=0, max_size=len(shape) + 2))
    if parts.count(Ellipsis) > 1:
        first = parts.index(Ellipsis)
        parts = [p for i, p in enumerate(parts) if p is not Ellipsis or i == first]
    return shape, tuple(parts)


def _numpy_or_none(xv, key):
    try:
        return xv[key]
    except IndexError:
        return None


@settings(max_examples=80, deadline=None)
@given(_shape_and_key())
def test_strided_slice_property_matches_numpy(shape_key):
    shape, key = shape_key
    xv = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    want = _numpy_or_none(xv, key)
    assume(want is not None)
    want = np.asarray(want)
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(xv)
        y = x[key]
        assert y.shape == want.shape, (shape, key, y.shape, want.shape)
        w = np.random.default_rng(0).uniform(1, 2, want.shape).astype(np.float32)
        (dx,) = tf.gradients(tf.reduce_sum(y * w), [x])
        got, got_dx = run([y, dx], graph=g)
    np.testing.assert_array_equal(got, want)
    want_dx = np.zeros_like(xv)
    want_dx[key] = w  # basic indexing picks each element at most once
    np.testing.assert_array_equal(got_dx, want_dx)


@st.composite
def _shape_and_target(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    n = int(np.prod(shape))
    target = []
    rest = n
    while rest > 1 and len(target) < 4:
        divs = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divs))
        target.append(d)
        rest //= d
    if rest > 1:
        target.append(rest)
    target = draw(st.permutations(target)) if target else target
    if target and draw(st.booleans()):
        i = draw(st.integers(0, len(target) - 1))
        target = list(target)
        target[i] = -1
    return shape, list(target)


@settings(max_examples=60, deadline=None)
@given(_shape_and_target())
def test_reshape_property_matches_numpy(shape_target):
    shape, target = shape_target
    xv = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    want = xv.reshape(target)
    g = tf.Graph()
    with g.as_default():
        y = tf.reshape(tf.constant(xv), target)
        assert y.shape == want.shape
        yu = tf.reshape(tf.placeholder_with_default(xv, None), target)
        assert yu.shape.is_compatible_with(want.shape)
        got, got_u = run([y, yu], graph=g)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_u, want)


def test_fill_zeros_ones_pack_a_shape_list_holding_tensors():
    # TF1 packs [tf.shape(x)[0], 2] (e.g. tf.fill([batch, 1], go_id) in seq2seq programs).
    x = tf.placeholder(tf.int32, [None, 4])
    a = tf.zeros([tf.shape(x)[0], 1])
    b = tf.fill([tf.shape(x)[0], 2], 3)
    c = tf.ones([3, tf.shape(x)[1]], tf.int32)
    assert a.shape.as_list() == [None, 1] and b.shape.as_list() == [None, 2]
    av, bv, cv = tf.Session().run([a, b, c], {x: np.zeros((2, 4), np.int32)})
    np.testing.assert_array_equal(av, np.zeros((2, 1), np.float32))
    np.testing.assert_array_equal(bv, np.full((2, 2), 3, np.int32))
    np.testing.assert_array_equal(cv, np.ones((3, 4), np.int32))


def test_zeros_and_ones_take_a_shape_list_holding_tensors():
    # TF packs a list such as [n] or [n, 3] with n a Tensor (k-means builds ones([k])).
    n = tf.placeholder(tf.int32, [])
    z = tf.zeros([n, 3], dtype=tf.int64)
    o = tf.ones([n])
    assert z.dtype == tf.int64 and z.shape.as_list() == [None, 3]
    got_z, got_o = run([z, o], {n: 2})
    np.testing.assert_array_equal(got_z, np.zeros((2, 3), np.int64))
    np.testing.assert_array_equal(got_o, np.ones(2, np.float32))
