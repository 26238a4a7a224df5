"""Error paths and namespace bindings of the special functions, segment reductions, sorting,
scatter, partition, spectral and decomposition ops (their values: the op table)."""

from __future__ import annotations

import numpy as np
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


VAR_SCATTERS = [
    ("scatter_update", [1, 3], [[9.0, 9.0], [7.0, 7.0]], lambda v, i, u: _set(v, i, u)),
    ("scatter_add", [1, 1], [[1.0, 2.0], [3.0, 4.0]], lambda v, i, u: _ufunc(np.add, v, i, u)),
    ("scatter_sub", [0, 2], [[1.0, 2.0], [3.0, 4.0]], lambda v, i, u: _ufunc(np.subtract, v, i, u)),
    ("scatter_mul", [2, 2], [[2.0, 2.0], [3.0, 0.5]], lambda v, i, u: _ufunc(np.multiply, v, i, u)),
    ("scatter_div", [3], [[2.0, 4.0]], lambda v, i, u: _ufunc(np.divide, v, i, u)),
    (
        "scatter_max",
        [0, 3],
        [[5.0, -5.0], [0.0, 100.0]],
        lambda v, i, u: _ufunc(np.maximum, v, i, u),
    ),
    (
        "scatter_min",
        [0, 3],
        [[5.0, -5.0], [0.0, 100.0]],
        lambda v, i, u: _ufunc(np.minimum, v, i, u),
    ),
    ("scatter_nd_update", [[0, 1], [3, 0]], [50.0, 60.0], lambda v, i, u: _set_nd(v, i, u)),
    ("scatter_nd_add", [[0, 1], [0, 1]], [50.0, 60.0], lambda v, i, u: _ufunc_nd(np.add, v, i, u)),
    (
        "scatter_nd_sub",
        [[2], [0]],
        [[1.0, 1.0], [2.0, 2.0]],
        lambda v, i, u: _ufunc_nd(np.subtract, v, i, u),
    ),
]


def _set(v, i, u):
    v[i] = u
    return v


def _ufunc(f, v, i, u):
    f.at(v, i, u)
    return v


def _set_nd(v, i, u):
    i = np.asarray(i)
    v[tuple(i[..., j] for j in range(i.shape[-1]))] = u
    return v


def _ufunc_nd(f, v, i, u):
    i = np.asarray(i)
    f.at(v, tuple(i[..., j] for j in range(i.shape[-1])), u)
    return v


@pytest.mark.parametrize("fn, idx, upd, ref", VAR_SCATTERS, ids=[r[0] for r in VAR_SCATTERS])
def test_variable_scatters(fn, idx, upd, ref):
    init = np.arange(8, dtype=np.float32).reshape(4, 2) + 1
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(init)
        op = getattr(tf, fn)(v, idx, upd)
        assert op.shape.as_list() == [4, 2] and op.dtype == tf.float32
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run(op)
            again = sess.run(v)
    want = ref(init.copy(), np.asarray(idx), np.asarray(upd, np.float32))
    np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(again, want)


def test_scatter_needs_a_variable_and_checks_indices():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(tf.zeros([3, 2]))
        with pytest.raises(InvalidArgumentError, match="ScatterAdd.*updates must have shape"):
            tf.scatter_add(v, [0, 1], tf.ones([3, 2]))
        bad = tf.scatter_update(v, [0, 5], tf.ones([2, 2]))
        with tf.Session() as sess:
            sess.run(v.initializer)
            with pytest.raises(InvalidArgumentError, match=r"indices\[1\] = 5 is not in \[0, 3\)"):
                sess.run(bad)


def test_tensor_scatter_checks_updates_shape():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="TensorScatterAdd"):
        tf.tensor_scatter_nd_add(tf.zeros([4, 3]), [[1], [2]], tf.ones([2, 2]))


def test_where_v2_broadcasts_but_compat_v1_where_does_not():
    with tf.Graph().as_default():
        assert tf.where_v2([True, False], tf.zeros([2, 2]), 1.0).shape.as_list() == [2, 2]
        with pytest.raises(InvalidArgumentError, match="no broadcasting"):
            tf.compat.v1.where([True, False], tf.zeros([2, 2]), tf.ones([1, 2]))


def test_einsum_errors():
    with tf.Graph().as_default():
        a, b = tf.zeros([2, 3]), tf.zeros([4, 5])
        with pytest.raises(ValueError, match="2 inputs; got 1"):
            tf.einsum("ij,jk->ik", a)
        with pytest.raises(InvalidArgumentError, match="Einsum.*dimension 'j' is 3"):
            tf.einsum("ij,jk->ik", a, b)
        with pytest.raises(ValueError, match="rank 2 but subscripts 'ijk'"):
            tf.einsum("ijk->k", a)


def test_dynamic_partition_out_of_range_names_the_entry():
    g = tf.Graph()
    with g.as_default():
        parts = tf.dynamic_partition(tf.constant([1.0, 2.0, 3.0]), [0, 4, 1], 2)
    with pytest.raises(InvalidArgumentError, match=r"partitions\[1\] = 4 is not in \[0, 2\)"):
        _run(parts[0])


def test_dynamic_stitch_needs_matching_lists():
    with tf.Graph().as_default(), pytest.raises(ValueError, match="as many indices"):
        tf.dynamic_stitch([[0], [1]], [[1.0]])


def test_space_to_depth_checks_divisibility():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="divisible by"):
        tf.space_to_depth(tf.zeros([1, 5, 4, 3]), 2)
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="block_size"):
        tf.depth_to_space(tf.zeros([1, 2, 2, 8]), 3)


def test_extract_image_patches_checks_arguments():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match=r"ksizes must be \[1, rows, cols, 1\]"):
            tf.extract_image_patches(
                tf.zeros([1, 4, 4, 1]), [2, 2], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"
            )
        with pytest.raises(InvalidArgumentError, match="do not fit"):
            tf.extract_image_patches(
                tf.zeros([1, 4, 4, 1]), [1, 5, 5, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"
            )


def test_spectral_namespaces():
    assert tf.signal.fft is tf.fft and tf.spectral.ifft2d is tf.ifft2d
    assert tf.signal.rfft is tf.spectral.rfft
    assert tf.compat.v1.signal.irfft is tf.spectral.irfft
    with pytest.raises(AttributeError, match=r"does not implement tf\.signal\.stft"):
        tf.signal.stft  # noqa: B018


def test_fft_needs_complex_input():
    with tf.Graph().as_default(), pytest.raises(InvalidArgumentError, match="FFT.*complex64"):
        tf.fft(tf.zeros([4]))


def test_cholesky_of_a_non_positive_definite_matrix():
    g = tf.Graph()
    with g.as_default():
        y = tf.cholesky(tf.constant([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(InvalidArgumentError, match="Cholesky.*positive definite"):
        _run(y)


def test_decompositions_check_their_inputs():
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="Cholesky.*square"):
            tf.cholesky(tf.zeros([2, 3]))
        with pytest.raises(InvalidArgumentError, match="Svd.*float"):
            tf.svd(tf.zeros([2, 3], tf.int32))
        with pytest.raises(InvalidArgumentError, match="MatrixBandPart.*rank >= 2"):
            tf.matrix_band_part(tf.zeros([3]), 0, 0)


def test_qr_gradient_of_a_wide_matrix_says_it_is_not_implemented():
    with tf.Graph().as_default():
        x = tf.zeros([2, 3])
        q, r = tf.qr(x)
        with pytest.raises(LookupError, match="Qr.*M >= N"):
            tf.gradients(tf.reduce_sum(r), [x])


def test_linalg_namespace_binds_the_decompositions():
    assert tf.linalg.band_part is tf.matrix_band_part
    assert tf.linalg.cholesky is tf.cholesky and tf.linalg.qr is tf.qr
    assert tf.linalg.svd is tf.svd and tf.linalg.eigh is tf.self_adjoint_eig
    assert tf.linalg.eigvalsh is tf.self_adjoint_eigvals and tf.linalg.einsum is tf.einsum


def test_count_up_to():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(0, name="counter")
        step = tf.count_up_to(v, 2)
        with tf.Session() as sess:
            sess.run(v.initializer)
            assert [sess.run(step), sess.run(step)] == [0, 1]
            with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
                sess.run(step)
            assert sess.run(v) == 2
        with pytest.raises(InvalidArgumentError, match="CountUpTo.*int32 or int64"):
            tf.count_up_to(tf.Variable(0.0), 3)


def test_solves_check_shapes_and_singularity():
    with tf.Graph().as_default():
        with pytest.raises(InvalidArgumentError, match="MatrixSolve.*as many rows"):
            tf.matrix_solve(tf.ones([3, 3]), tf.ones([2, 1]))
        y = tf.matrix_solve(tf.ones([2, 2]), tf.ones([2, 1]))
        with pytest.raises(InvalidArgumentError, match="not invertible"):
            _run(y)


def test_confusion_matrix_rejects_labels_out_of_range():
    g = tf.Graph()
    with g.as_default():
        cm = tf.confusion_matrix([0, 3], [0, 1], num_classes=2)
    with pytest.raises(InvalidArgumentError, match=r"is not in \[0, 2\)"):
        _run(cm)


def test_sort_and_top_k_gradients_need_no_static_shape():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64)
        y = tf.sort(x, direction="DESCENDING")
        w = tf.cast(tf.range(tf.shape(x)[-1]), tf.float64)
        (dx,) = tf.gradients(tf.reduce_sum(y * w), [x])
        v, _ = tf.nn.top_k(x, 2)
        (dk,) = tf.gradients(tf.reduce_sum(v), [x])
    xv = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    with tf.Session(graph=g) as sess:
        got, got_k = sess.run([dx, dk], {x: xv})
    # d/dx_j of sum_i w_i * sorted_i: the rank (descending) of x_j
    np.testing.assert_array_equal(got, [[0.0, 2.0, 1.0], [2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(got_k, [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])


def test_lgamma_is_exactly_zero_at_one_and_two():
    """As C's lgamma and TF: lgamma(1) = lgamma(2) = 0 exactly, so lbeta([1, 1]) is 0 (the
    series alone leaves ~4e-15 at 2)."""
    for dtype in (tf.float32, tf.float64):
        out = _run(tf.lgamma(tf.constant([1.0, 2.0], dtype)))
        np.testing.assert_array_equal(out, [0.0, 0.0])
        assert _run(tf.lbeta(tf.constant([1.0, 1.0], dtype))) == 0.0
