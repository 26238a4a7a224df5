"""orthogonal, identity, uniform_unit_scaling, he_* and lecun_* initializers: TF's
distributions (sample statistics vs the formulas), seeding, partition_info, errors."""

import collections

import numpy as np
import pytest

import flowzero as tf

Part = collections.namedtuple("Part", ["full_shape", "var_offset"])


def _sample(init, shape, partition_info=None):
    with tf.Graph().as_default(), tf.Session() as sess:
        return sess.run(init(shape, partition_info=partition_info))


def test_orthogonal_rows_or_columns_are_orthonormal_times_gain():
    w = _sample(tf.orthogonal_initializer(gain=2.0, seed=3), [3, 2, 4])  # 6 rows, 4 cols
    flat = w.reshape(6, 4)
    np.testing.assert_allclose(flat.T @ flat, 4.0 * np.eye(4), atol=1e-5)
    wide = _sample(tf.initializers.orthogonal(seed=1), [3, 7])
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    a = _sample(tf.orthogonal_initializer(seed=5), [4, 4])
    np.testing.assert_array_equal(a, _sample(tf.orthogonal_initializer(seed=5), [4, 4]))
    with pytest.raises(ValueError, match="two-dimensional"):
        _sample(tf.orthogonal_initializer(), [4])


def test_identity():
    np.testing.assert_array_equal(
        _sample(tf.initializers.identity(gain=2.0), [2, 3]), 2 * np.eye(2, 3)
    )
    with pytest.raises(ValueError, match="2D matrices"):
        _sample(tf.initializers.identity(), [2, 2, 2])


def test_uniform_unit_scaling_bounds_and_partition_info():
    w = _sample(tf.uniform_unit_scaling_initializer(factor=1.5, seed=2), [40, 30, 50])
    m = 1.5 * np.sqrt(3.0 / 1200)
    assert np.abs(w).max() <= m and np.abs(w).max() > 0.98 * m
    np.testing.assert_allclose(w.std(), m / np.sqrt(3), rtol=0.02)
    part = _sample(tf.uniform_unit_scaling_initializer(seed=2), [10, 50], Part([400, 50], [0, 0]))
    assert np.abs(part).max() <= np.sqrt(3.0 / 400) and np.abs(part).max() > 0.9 * np.sqrt(
        3.0 / 400
    )


@pytest.mark.parametrize(
    "make, scale, dist",
    [
        (tf.initializers.he_normal, 2.0, "normal"),
        (tf.initializers.he_uniform, 2.0, "uniform"),
        (tf.initializers.lecun_normal, 1.0, "normal"),
        (tf.initializers.lecun_uniform, 1.0, "uniform"),
    ],
)
def test_variance_scaling_family(make, scale, dist):
    fan_in = 3 * 3 * 16
    w = _sample(make(seed=7), [3, 3, 16, 400])
    # TF's variance: scale / fan_in for both; normals are truncated at 2 std of an inflated std
    np.testing.assert_allclose(w.var(), scale / fan_in, rtol=0.03)
    if dist == "uniform":
        assert np.abs(w).max() <= np.sqrt(3 * scale / fan_in)
    else:
        assert np.abs(w).max() <= 2 * np.sqrt(scale / fan_in) / 0.87962566103423978
    part = _sample(make(seed=7), [144, 10], Part([144 * 4, 10], [0, 0]))
    np.testing.assert_allclose(part.var(), scale / (144 * 4), rtol=0.15)


def test_get_variable_with_orthogonal():
    with tf.Graph().as_default():
        v = tf.get_variable("w", [5, 5], initializer=tf.orthogonal_initializer(seed=1))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w = sess.run(v)
    np.testing.assert_allclose(w @ w.T, np.eye(5), atol=1e-5)
