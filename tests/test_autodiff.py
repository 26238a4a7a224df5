"""tf.gradients: the reverse walk, fan-in sums, un-broadcasting, stops, higher order, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework.graph import apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.testing.gradient_check import assert_gradients_close, numerical_gradient


@register_op("TestOnlyNoGradient")
class _NoGradient(OpDef):
    """y = x (an op whose author forgot the gradient)."""

    def infer(self, x: Any) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x


@register_op("TestOnlyNotDifferentiable")
class _NotDifferentiable(_NoGradient):
    """y = x (no gradient on purpose)."""

    differentiable = False


@register_op("TestOnlyShortGradient")
class _ShortGradient(OpDef):
    """z = x * y, whose gradient function forgets its second input."""

    def infer(self, x: Any, y: Any) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * y

    def gradient(self, op: Any, dz: Any) -> list[Any]:
        return [dz * op.inputs[1]]


@register_op("TestOnlyMisshapenGradient")
class _MisshapenGradient(_NoGradient):
    """y = x, whose exact gradient has the wrong shape."""

    grads_match_inputs = True

    def gradient(self, op: Any, dy: Any) -> list[Any]:
        return [tf.reshape(dy, [-1, 1])]


def test_a_gradient_function_with_the_wrong_number_of_entries_fails_loudly() -> None:
    x, y = tf.constant(2.0), tf.constant(3.0)
    z = apply_op(_ShortGradient, [x, y], name="short")
    with pytest.raises(
        tf.errors.InternalError, match="TestOnlyShortGradient 'short'.*1 entries for its 2 inputs"
    ):
        tf.gradients(z, [x, y])


def test_an_exact_gradient_of_the_wrong_shape_fails_loudly() -> None:
    x = tf.constant([1.0, 2.0, 3.0])
    z = apply_op(_MisshapenGradient, [x], name="bent")
    with pytest.raises(
        tf.errors.InternalError,
        match=r"TestOnlyMisshapenGradient 'bent'.*shape "
        r"\(3, 1\) for input 0",
    ):
        tf.gradients(z, [x])


def test_fan_out_contributions_are_summed() -> None:
    x = tf.constant(2.0)
    y = x * x + x * 3.0 + x  # dy/dx = 2x + 4
    (g,) = tf.gradients(y, [x])
    with tf.Session() as sess:
        assert sess.run(g) == 8.0


def test_higher_order_derivatives() -> None:
    x = tf.constant(3.0)
    y = x * x * x
    (d1,) = tf.gradients(y, [x])
    (d2,) = tf.gradients(d1, [x])
    (d3,) = tf.gradients(d2, [x])
    with tf.Session() as sess:
        assert sess.run([d1, d2, d3]) == [27.0, 18.0, 6.0]


def test_unbroadcasting_happens_once_in_the_walk() -> None:
    x = tf.placeholder(tf.float32, [None, 3])
    b = tf.Variable([1.0, 2.0, 3.0])
    s = tf.Variable(2.0)
    y = (x + b) * s
    gb, gs = tf.gradients(tf.reduce_sum(y), [b, s])
    assert gb.shape.as_list() == [3] and gs.shape.as_list() == []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        xv = np.ones((4, 3), np.float32)
        gbv, gsv = sess.run([gb, gs], {x: xv})
    np.testing.assert_allclose(gbv, [8.0, 8.0, 8.0])
    np.testing.assert_allclose(gsv, (xv + [1, 2, 3]).sum())


def test_unconnected_x_gives_none_or_zero() -> None:
    x = tf.constant(1.0)
    z = tf.constant([1.0, 2.0])
    y = x * 2.0
    assert tf.gradients(y, [z]) == [None]
    (g,) = tf.gradients(y, [z], unconnected_gradients="zero")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [0.0, 0.0])


def test_stop_gradient_op_and_argument() -> None:
    x = tf.constant(3.0)
    a = x * 2.0
    y = tf.stop_gradient(a) * x + a  # d/dx = a + 2 = 8 with the stop
    (g,) = tf.gradients(y, [x])
    (g2,) = tf.gradients(a * x, [x], stop_gradients=[a])  # a held constant: d/dx = a = 6
    with tf.Session() as sess:
        assert sess.run(g) == 8.0
        assert sess.run(g2) == 6.0


def test_grad_ys_weights_the_outputs() -> None:
    x = tf.constant([1.0, 2.0])
    y = x * x
    (g,) = tf.gradients(y, [x], grad_ys=[tf.constant([10.0, 100.0])])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [20.0, 400.0])
    with pytest.raises(ValueError, match="grad_ys"):
        tf.gradients(y, [x], grad_ys=[1.0, 2.0])


def test_several_ys_sum() -> None:
    x = tf.constant(2.0)
    (g,) = tf.gradients([x * x, x * 3.0], [x])
    with tf.Session() as sess:
        assert sess.run(g) == 7.0


def test_missing_gradient_is_a_lookup_error_naming_op_and_fix() -> None:
    x = tf.constant(1.0)
    y = apply_op(_NoGradient, [x], name="forgot") * 2.0
    with pytest.raises(LookupError, match="TestOnlyNoGradient.*stop_gradient"):
        tf.gradients(y, [x])


def test_not_differentiable_op_blocks_gradient() -> None:
    x = tf.constant(1.0)
    y = apply_op(_NotDifferentiable, [x]) * 2.0
    assert tf.gradients(y, [x]) == [None]


def test_gradients_are_graph_ops_in_gradients_scope() -> None:
    x = tf.constant(1.0)
    (g,) = tf.gradients(x * x, [x])
    assert g.op.name.startswith("gradients/")


def test_book_numerical_gradient() -> None:
    def f(x: np.ndarray) -> float:
        return float(np.sum(x**2))

    np.testing.assert_allclose(numerical_gradient(f, np.array([3.0, 4.0])), [6.0, 8.0], rtol=1e-6)


def test_gradient_check_on_a_small_network() -> None:
    def net(x, w1, w2):
        h = tf.matmul(x, w1) * tf.matmul(x, w1)
        return tf.reduce_sum(tf.matmul(h, w2))

    rng = np.random.default_rng(0)
    assert_gradients_close(
        net, [rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(5, 2))]
    )


def test_exact_shape_gradients_skip_unbroadcasting() -> None:
    # MatMul/Relu/Mean gradients already have their inputs' shapes, and x@w's unknown batch
    # axis is reached by no other input of the Add: only the bias needs a SumTo.
    x = tf.placeholder(tf.float32, [None, 4])
    w = tf.Variable(tf.ones([4, 3]))
    b = tf.Variable(tf.zeros([3]))
    loss = tf.reduce_mean(tf.nn.relu(tf.matmul(x, w) + b))
    gw, gb = tf.gradients(loss, [w, b])
    types = [
        op.type
        for op in tf.get_default_graph().get_operations()
        if op.name.startswith("gradients/")
    ]
    assert types.count("SumTo") == 1
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        gwv, gbv = sess.run([gw, gb], {x: np.ones((5, 4), np.float32)})
    np.testing.assert_allclose(gwv, np.full((4, 3), 1 / 3), rtol=1e-6)
    np.testing.assert_allclose(gbv, np.full(3, 1 / 3), rtol=1e-6)


@pytest.mark.parametrize(
    "a_shape, b_shape, a_val, b_val, sums",
    [
        ([None, 3], [3], (5, 3), (3,), 1),  # dense-layer bias: only b is summed
        ([None, 3], [None, 3], (5, 3), (5, 3), 2),  # both unknown: either may broadcast
        ([None, 3], [1, 3], (5, 3), (1, 3), 1),  # b's size-1 axis: a owns the batch axis
        ([None, 1], [None, 3], (5, 1), (5, 3), 2),  # a's size-1 axis grows
        ([None, None], [3], (5, 3), (3,), 2),  # a's last axis may be 1 (b reaches it)
        (None, [3], (5, 3), (3,), 2),  # unknown rank
    ],
)
def test_unbroadcasting_is_skipped_only_where_the_shapes_prove_it(
    a_shape, b_shape, a_val, b_val, sums
) -> None:
    a = tf.placeholder(tf.float64, a_shape)
    b = tf.placeholder(tf.float64, b_shape)
    ga, gb = tf.gradients(tf.reduce_sum((a + b) * (a * b)), [a, b])
    types = [
        op.type
        for op in tf.get_default_graph().get_operations()
        if op.name.startswith("gradients/") and "add_grad" in op.name.lower()
    ]
    assert types.count("SumTo") == sums
    rng = np.random.default_rng(1)
    av, bv = rng.normal(size=a_val), rng.normal(size=b_val)
    with tf.Session() as sess:
        gav, gbv = sess.run([ga, gb], {a: av, b: bv})
    s = av + bv
    want_a = (av * bv + s * bv).sum(
        axis=tuple(i for i in range(2) if av.shape[i] == 1 and s.shape[i] != 1), keepdims=True
    )
    want_b = av * bv + s * av
    want_b = (
        want_b.reshape(-1, *want_b.shape[-1:]).sum(0)
        if bv.ndim == 1
        else want_b.sum(
            axis=tuple(i for i in range(2) if bv.shape[i] == 1 and s.shape[i] != 1), keepdims=True
        )
    )
    np.testing.assert_allclose(gav, want_a.reshape(av.shape), rtol=1e-12)
    np.testing.assert_allclose(gbv, want_b.reshape(bv.shape), rtol=1e-12)
