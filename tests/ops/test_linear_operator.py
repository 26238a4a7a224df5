"""tf.linalg's LinearOperator family (flowzero/ops/linear_operator.py): each operator against
its dense matrix in NumPy, gradients through the composites, errors, and TF parity."""

import numpy as np
import pytest

import flowzero as tf

RNG = np.random.default_rng(9)
A = RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)
D = RNG.uniform(0.5, 2.0, (2, 3))
X = RNG.normal(size=(2, 3, 2))


def _ops(m):
    la = m.linalg
    return {
        "full": la.LinearOperatorFullMatrix(A),
        "diag": la.LinearOperatorDiag(D),
        "ident": la.LinearOperatorIdentity(3, batch_shape=[2], dtype=np.float64),
        "scaled": la.LinearOperatorScaledIdentity(3, np.array([2.0, -0.5])),
        "tril": la.LinearOperatorLowerTriangular(A),
        "comp": la.LinearOperatorComposition(
            [la.LinearOperatorFullMatrix(A), la.LinearOperatorDiag(D)]
        ),
    }


def _dense_np():
    tril = np.tril(A)
    return {
        "full": A,
        "diag": np.eye(3) * D[:, None, :],
        "ident": np.broadcast_to(np.eye(3), (2, 3, 3)),
        "scaled": np.eye(3) * np.array([2.0, -0.5])[:, None, None],
        "tril": tril,
        "comp": A @ (np.eye(3) * D[:, None, :]),
    }


def _methods(op):
    return [
        op.to_dense(),
        op.matmul(X),
        op.matmul(X, adjoint=True),
        op.solve(X),
        op.solve(X, adjoint=True),
        op.determinant(),
        op.log_abs_determinant(),
        op.matvec(X[..., 0]),
        op.diag_part(),
        op.adjoint().to_dense(),
    ]


def test_operators_agree_with_their_dense_matrices():
    dense = _dense_np()
    with tf.Graph().as_default(), tf.Session() as sess:
        ops = _ops(tf)
        for key, op in ops.items():
            m = dense[key]
            mt = np.swapaxes(m, -1, -2)
            got = sess.run(_methods(op))
            want = [
                m,
                m @ X,
                mt @ X,
                np.linalg.solve(m, X),
                np.linalg.solve(mt, X),
                np.linalg.det(m),
                np.linalg.slogdet(m)[1],
                (m @ X[..., :1])[..., 0],
                np.diagonal(m, axis1=-2, axis2=-1),
                mt,
            ]
            for k, (g, w) in enumerate(zip(got, want)):
                np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"{key} {k}")
            assert op.shape.as_list() == [2, 3, 3]
            assert op.is_square


def test_gradients_flow_through_the_structure():
    with tf.Graph().as_default(), tf.Session() as sess:
        d = tf.constant(D)
        op = tf.linalg.LinearOperatorComposition(
            [tf.linalg.LinearOperatorLowerTriangular(A), tf.linalg.LinearOperatorDiag(d)]
        )
        g = sess.run(tf.gradients(op.log_abs_determinant(), d)[0])
    np.testing.assert_allclose(g, 1.0 / D, rtol=1e-12)  # d/dd sum log|d| (+ const)


def test_operator_errors():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="share a dtype"):
            tf.linalg.LinearOperatorComposition(
                [tf.linalg.LinearOperatorDiag(D), tf.linalg.LinearOperatorDiag(D.astype("f4"))]
            )
        with pytest.raises(ValueError, match="do not compose"):
            tf.linalg.LinearOperatorComposition(
                [
                    tf.linalg.LinearOperatorFullMatrix(np.ones((3, 2))),
                    tf.linalg.LinearOperatorFullMatrix(np.ones((3, 2))),
                ]
            )
        with pytest.raises(NotImplementedError, match="square"):
            tf.linalg.LinearOperatorFullMatrix(np.ones((3, 2))).determinant()
        with pytest.raises(ValueError, match="rank >= 1"):
            tf.linalg.LinearOperatorDiag(1.0)
        assert tf.linalg.LinearOperatorDiag(D).is_self_adjoint


def test_linear_operators_match_tensorflow():
    tft = pytest.importorskip("tensorflow")
    v1 = tft.compat.v1
    v1.disable_eager_execution()
    with v1.Graph().as_default(), v1.Session() as sess:
        want = {k: sess.run(_methods(op)) for k, op in _ops(tft).items()}
    with tf.Graph().as_default(), tf.Session() as sess:
        got = {k: sess.run(_methods(op)) for k, op in _ops(tf).items()}
    for key in want:
        for k, (g, w) in enumerate(zip(got[key], want[key])):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"{key} {k}")
