"""Control flow as a TF1 user meets it: tf.cond / tf.case / tf.while_loop, TensorArray,
tf.Print / tf.print / tf.Assert — semantics, gradients, sessions and error paths.

Values of single ops and their first/second order gradients are in the op table
(tests/ops/cases_control.py); this file covers what a table row cannot: side effects, run-time
errors, structures, variables, sessions, and build-time messages.
"""

from __future__ import annotations

import collections
import sys

import numpy as np
import pytest

import flowzero as tf
from flowzero.testing.gradient_check import numerical_gradient

Pair = collections.namedtuple("Pair", "a b")


# -- cond: only the taken branch runs ----------------------------------------------------------
def test_cond_runs_only_the_taken_branch_side_effects():
    hits_t = tf.Variable(0.0, name="hits_t")
    hits_f = tf.Variable(0.0, name="hits_f")
    p = tf.placeholder(tf.bool, [])
    r = tf.cond(p, lambda: tf.assign_add(hits_t, 1.0), lambda: tf.assign_add(hits_f, 10.0))
    last = tf.Variable(0.0, name="last")
    s = tf.cond(p, lambda: tf.assign(last, 1.0), lambda: tf.assign(last, -1.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(r, {p: True}) == 1.0
        assert sess.run(r, {p: True}) == 2.0
        assert sess.run(r, {p: False}) == 10.0
        assert sess.run([hits_t, hits_f]) == [2.0, 10.0]
        assert sess.run(s, {p: False}) == -1.0 and sess.run(last) == -1.0
        assert sess.run(s, {p: True}) == 1.0 and sess.run(last) == 1.0


def test_cond_print_only_in_the_taken_branch(capsys):
    x = tf.placeholder(tf.float32, [])
    r = tf.cond(
        x > 0, lambda: tf.Print(x, [x], "positive: "), lambda: tf.Print(-x, [x], "negative: ")
    )
    with tf.Session() as sess:
        assert sess.run(r, {x: 2.0}) == 2.0
        assert capsys.readouterr().err == "positive: [2]\n"
        assert sess.run(r, {x: -3.0}) == 3.0
        assert capsys.readouterr().err == "negative: [-3]\n"


@pytest.mark.parametrize(
    "xv, want, dwant", [(20.0, 2000.0, 100.0), (2.0, 20.0, 10.0), (-3.0, 9.0, -6.0)]
)
def test_nested_cond_values_and_gradients(xv, want, dwant):
    x = tf.placeholder(tf.float32, [])
    r = tf.cond(x > 0, lambda: tf.cond(x > 10, lambda: x * 100, lambda: x * 10), lambda: x * x)
    (dx,) = tf.gradients(r, x)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run([r, dx], {x: xv}), [want, dwant])


def test_cond_returns_the_branch_structure():
    x = tf.constant(2.0)
    p = x > 1
    tup = tf.cond(p, lambda: (x, x * 2), lambda: (x * 3, x * 4))
    lst = tf.cond(p, lambda: [x, x + 1], lambda: [x, x - 1])
    dct = tf.cond(p, lambda: {"a": x, "b": [x, -x]}, lambda: {"a": -x, "b": [x, x]})
    nt = tf.cond(p, lambda: Pair(x, -x), lambda: Pair(-x, x))
    one = tf.cond(p, lambda: [x], lambda: [-x])
    strict = tf.cond(p, lambda: [x], lambda: [-x], strict=True)
    assert isinstance(tup, tuple) and isinstance(lst, list) and isinstance(dct, dict)
    assert isinstance(nt, Pair) and isinstance(one, tf.Tensor)
    assert isinstance(strict, list) and len(strict) == 1
    with tf.Session() as sess:
        assert sess.run(tup) == (2.0, 4.0)
        assert sess.run(lst) == [2.0, 3.0]
        assert sess.run(dct) == {"a": 2.0, "b": [2.0, -2.0]}
        assert sess.run(nt) == Pair(2.0, -2.0)
        assert sess.run(one) == 2.0 and sess.run(strict) == [2.0]


def test_cond_unpacks_singletons_before_comparing_the_branches():
    # TF 1.15: unless strict, a one-element list/tuple (namedtuple too) is its element.
    x = tf.constant(2.0)
    One = collections.namedtuple("One", "v")
    mixed = tf.cond(x > 1, lambda: [x], lambda: x * 3)
    named = tf.cond(x > 1, lambda: One(x), lambda: One(-x))
    assert isinstance(mixed, tf.Tensor) and isinstance(named, tf.Tensor)
    with tf.Session() as sess:
        assert sess.run([mixed, named]) == [2.0, 2.0]
    with pytest.raises(ValueError, match="same structure"):
        tf.cond(x > 1, lambda: [x], lambda: x * 3, strict=True)


def test_cond_output_static_shape_is_what_both_branches_share():
    x = tf.placeholder(tf.float32, [2, 3])
    r = tf.cond(tf.reduce_sum(x) > 0, lambda: x, lambda: tf.transpose(x))
    assert r.shape.as_list() == [None, None]
    same = tf.cond(tf.reduce_sum(x) > 0, lambda: x, lambda: -x)
    assert same.shape.as_list() == [2, 3]
    with tf.Session() as sess:
        assert sess.run(r, {x: -np.ones((2, 3))}).shape == (3, 2)


def test_cond_with_an_operation_result_runs_its_ops():
    v = tf.Variable(0.0)
    w = tf.Variable(0.0)
    p = tf.placeholder(tf.bool, [])
    op = tf.cond(
        p,
        lambda: tf.group(tf.assign(v, 5.0), tf.assign(w, 6.0)),
        lambda: tf.group(tf.assign(w, 7.0)),
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, {p: False})
        assert sess.run([v, w]) == [0.0, 7.0]
        sess.run(op, {p: True})
        assert sess.run([v, w]) == [5.0, 6.0]


def test_cond_legacy_fn1_fn2_arguments():
    x = tf.constant(3.0)
    r = tf.cond(x > 0, fn1=lambda: x * 2, fn2=lambda: x)
    with tf.Session() as sess:
        assert sess.run(r) == 6.0


def test_cond_pred_errors():
    x = tf.constant(1.0)
    with pytest.raises(TypeError, match="cond: pred must not be a Python bool"):
        tf.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="cond: pred must be a bool tensor; got float32"):
        tf.cond(x, lambda: x, lambda: x)
    with pytest.raises(ValueError, match=r"cond: pred must be a scalar; got shape \(2,\)"):
        tf.cond(tf.constant([True, False]), lambda: x, lambda: x)
    with pytest.raises(TypeError, match="true_fn must be callable"):
        tf.cond(x > 0, x, lambda: x)


def test_cond_branches_must_agree():
    p = tf.constant(True)
    with pytest.raises(TypeError, match="cond 'cond.*output 0 .* int32 .* float32"):
        tf.cond(p, lambda: tf.constant(1), lambda: tf.constant(2.0))
    with pytest.raises(ValueError, match=r"cond 'cond.*same structure; got \(\., \.\) and \."):
        tf.cond(p, lambda: (tf.constant(1), tf.constant(2)), lambda: tf.constant(3))
    with pytest.raises(ValueError, match="true_fn must return a value.*returned None"):
        tf.cond(p, lambda: None, lambda: tf.constant(1))


def test_second_and_third_derivatives_through_cond():
    x = tf.placeholder(tf.float64, [])
    y = tf.cond(x > 0, lambda: x * x * x, lambda: tf.sin(x))
    (dx,) = tf.gradients(y, x)
    (ddx,) = tf.gradients(dx, x)
    (d3x,) = tf.gradients(ddx, x)
    with tf.Session() as sess:
        assert sess.run([dx, ddx, d3x], {x: 2.0}) == [12.0, 12.0, 6.0]
        np.testing.assert_allclose(
            sess.run([dx, ddx, d3x], {x: -1.0}), [np.cos(-1.0), -np.sin(-1.0), -np.cos(-1.0)]
        )


def test_gradient_penalty_through_cond_trains():
    # WGAN-GP's penalty: the norm of a gradient, minimised, through a tensor-controlled cond
    # (as tf.layers.batch_normalization(training=tensor) builds).
    x = tf.placeholder(tf.float32, [None, 3])
    training = tf.placeholder(tf.bool, [])
    w = tf.Variable(np.full((3, 1), 2.0, np.float32))
    h = tf.matmul(x, w)
    out = tf.cond(training, lambda: tf.tanh(h) * 1.5, lambda: tf.tanh(h))
    (gx,) = tf.gradients(tf.reduce_sum(out), x)
    norm = tf.sqrt(tf.reduce_sum(tf.square(gx), axis=1))
    penalty = tf.reduce_mean(tf.square(norm - 1.0))
    step = tf.train.GradientDescentOptimizer(0.05).minimize(penalty)
    data = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(penalty, {x: data, training: True})
        for _ in range(100):
            sess.run(step, {x: data, training: True})
        assert sess.run(penalty, {x: data, training: True}) < 0.1 * first


# -- case ---------------------------------------------------------------------------------------
def test_case_exclusive_checks_at_run_time():
    x = tf.placeholder(tf.int32, [])
    r = tf.case(
        [(x > 0, lambda: tf.constant(1)), (x > 5, lambda: tf.constant(2))],
        default=lambda: tf.constant(0),
        exclusive=True,
    )
    with tf.Session() as sess:
        assert sess.run(r, {x: -1}) == 0
        assert sess.run(r, {x: 3}) == 1
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="exclusive=True for tf.case, more than one condition",
        ):
            sess.run(r, {x: 7})


def test_case_default_and_first_true_wins():
    x = tf.placeholder(tf.int32, [])
    with_default = tf.case(
        [(x > 5, lambda: tf.constant(2)), (x > 0, lambda: tf.constant(1))],
        default=lambda: tf.constant(0),
    )
    # Without a default, TF uses the last pair's callable as the default.
    no_default = tf.case([(x > 5, lambda: tf.constant(2)), (x > 0, lambda: tf.constant(1))])
    as_dict = tf.case({x > 5: lambda: tf.constant(2)}, default=lambda: tf.constant(-1))
    with tf.Session() as sess:
        assert [sess.run([with_default, no_default, as_dict], {x: v}) for v in (-1, 3, 7)] == [
            [0, 1, -1],
            [1, 1, -1],
            [2, 2, 2],
        ]


def test_case_pair_errors():
    with pytest.raises(TypeError, match="case: each pair must be \\(predicate, callable\\)"):
        tf.case([(tf.constant(True), 3)])
    with pytest.raises(TypeError, match="case: predicate .* must be a bool tensor; got int32"):
        tf.case([(tf.constant(1), lambda: tf.constant(1))], default=lambda: tf.constant(0))


# -- while_loop: structures, shapes, errors ----------------------------------------------------
def test_while_loop_nested_loop_vars_keep_their_structure():
    lv = (tf.constant(0), Pair(tf.constant(1.0), {"c": tf.constant([1.0, 2.0])}))
    r = tf.while_loop(
        lambda i, p: i < 3, lambda i, p: (i + 1, Pair(p.a * 2, {"c": p.b["c"] + p.a})), lv
    )
    assert isinstance(r, tuple) and isinstance(r[1], Pair) and isinstance(r[1].b, dict)
    with tf.Session() as sess:
        i, p = sess.run(r)
    assert i == 3 and p.a == 8.0
    np.testing.assert_allclose(p.b["c"], [8.0, 9.0])  # 1+1+2+4, 2+1+2+4


def test_while_loop_dict_loop_vars():
    # As in TF, the loop vars are a tuple/list (cond and body get its items); dicts nest in it.
    r = tf.while_loop(
        lambda d: d["i"] < 4,
        lambda d: ({"i": d["i"] + 1, "s": d["s"] * 2.0},),
        ({"i": tf.constant(0), "s": tf.constant(1.0)},),
    )
    assert isinstance(r, tuple) and isinstance(r[0], dict)
    with tf.Session() as sess:
        assert sess.run(r) == ({"i": 4, "s": 16.0},)


def test_while_loop_single_var_comes_back_alone():
    i = tf.constant(0)
    assert isinstance(tf.while_loop(lambda i: i < 10, lambda i: i + 1, [i]), tf.Tensor)
    assert isinstance(tf.while_loop(lambda i: i < 10, lambda i: i + 1, i), tf.Tensor)
    same = tf.while_loop(lambda i: i < 10, lambda i: [i + 1], [i], return_same_structure=True)
    assert isinstance(same, list) and len(same) == 1
    with tf.Session() as sess:
        assert sess.run(tf.while_loop(lambda i: i < 10, lambda i: i + 1, [i])) == 10


def test_while_loop_shape_invariants_let_a_var_grow():
    i0 = tf.constant(0)
    x0 = tf.zeros([0, 2])

    def body(i, x):
        return i + 1, tf.concat([x, tf.fill([1, 2], tf.cast(i, tf.float32))], 0)

    _, x = tf.while_loop(
        lambda i, x: i < 3, body, [i0, x0], shape_invariants=[i0.shape, tf.TensorShape([None, 2])]
    )
    assert x.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(x), [[0, 0], [1, 1], [2, 2]])


def test_while_loop_shape_change_without_invariant_names_var_and_shapes():
    with pytest.raises(
        ValueError,
        match=r"while_loop 'while'.*loop var 1 \('zeros:0'\).*"
        r"enters with shape \(0, 2\).*returns \(1, 2\).*"
        r"shape_invariants.*TensorShape\(\[None, 2\]\)",
    ):
        tf.while_loop(
            lambda i, x: i < 3,
            lambda i, x: (i + 1, tf.concat([x, tf.ones([1, 2])], 0)),
            [tf.constant(0), tf.zeros([0, 2])],
        )


def test_while_loop_invariant_must_fit_the_initial_shape():
    with pytest.raises(
        ValueError,
        match=r"shape invariant .* loop var 0 .* invariant "
        r"\(3,\), initial \(2,\)",
    ):
        tf.while_loop(
            lambda x: tf.reduce_sum(x) < 1,
            lambda x: x + 1,
            [tf.zeros([2])],
            shape_invariants=[tf.TensorShape([3])],
        )


def test_while_loop_body_errors():
    i = tf.constant(0)
    x = tf.constant(1.0)
    with pytest.raises(
        ValueError,
        match=r"body must return the structure of loop_vars.*"
        r"\(2 vars\); got .*\(1 vars\)",
    ):
        tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1,), [i, x])
    with pytest.raises(TypeError, match="cond must return a scalar bool tensor; got int32"):
        tf.while_loop(lambda i: i, lambda i: i + 1, [i])
    with pytest.raises(
        TypeError, match="body changes the dtype of loop var 1 from float32 to int32"
    ):
        tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, i), [i, x])
    with pytest.raises(TypeError, match="maximum_iterations must be an int scalar; got float32"):
        tf.while_loop(lambda i: i < 3, lambda i: i + 1, [i], maximum_iterations=2.5)
    with pytest.raises(ValueError, match="no loop variables"):
        tf.while_loop(lambda: True, lambda: (), [])
    with pytest.raises(TypeError, match="body must be callable"):
        tf.while_loop(lambda i: i < 3, None, [i])


def test_maximum_iterations_bounds_an_infinite_loop():
    n = tf.placeholder(tf.int32, [])
    forever = lambda i: tf.constant(True)  # noqa: E731
    a = tf.while_loop(forever, lambda i: i + 1, [tf.constant(0)], maximum_iterations=5)
    b = tf.while_loop(forever, lambda i: i + 1, [tf.constant(0)], maximum_iterations=n)
    # The bound and the condition: whichever stops first.
    c = tf.while_loop(lambda i: i < 3, lambda i: i + 1, [tf.constant(0)], maximum_iterations=n)
    with tf.Session() as sess:
        assert sess.run([a, b, c], {n: 7}) == [5, 7, 3]
        assert sess.run([b, c], {n: 0}) == [0, 0]


def test_non_scalar_predicates_fail_at_run_time_with_the_shape():
    p = tf.placeholder(tf.bool)
    r = tf.cond(p, lambda: tf.constant(1), lambda: tf.constant(2))
    x = tf.placeholder(tf.float32)
    w = tf.while_loop(lambda y: y < 3.0, lambda y: y + 1.0, [x])
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"If 'cond': pred must be a scalar; got shape \(2,\)",
        ):
            sess.run(r, {p: [True, False]})
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"While 'while': cond must return a scalar; got shape \(2,\)",
        ):
            sess.run(w, {x: [1.0, 5.0]})


def test_a_tensor_from_inside_a_body_cannot_be_used_outside():
    x = tf.placeholder(tf.float32, [])
    inside = []

    def branch():
        inside.append(x * 2.0)
        return inside[-1]

    tf.cond(x > 0, branch, lambda: x)

    def body(i):
        inside.append(i * 2)
        return i + 1

    tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"op 'cond/true/Mul' .* belongs to the control-flow body "
            r"'cond/true' .* Return it from the branch or loop body",
        ):
            sess.run(inside[0] + 1.0, {x: 1.0})
        with pytest.raises(
            tf.errors.InvalidArgumentError, match="op 'while/body/Mul' .* body 'while/body'"
        ):
            sess.run(inside[1])


# -- while_loop: gradients ---------------------------------------------------------------------
def _loop_pow4(x, **kw):
    return tf.while_loop(
        lambda i, y: i < 3, lambda i, y: (i + 1, y * x), [tf.constant(0), x], **kw
    )[1]


def test_back_prop_false_gives_none_gradients():
    x = tf.constant(2.0)
    assert tf.gradients(_loop_pow4(x, back_prop=False), x) == [None]
    assert tf.gradients(_loop_pow4(x), x)[0] is not None


def test_zero_iterations_pass_the_upstream_gradient_through():
    x = tf.placeholder(tf.float32, [2])
    w = tf.placeholder(tf.float32, [2])
    _, y = tf.while_loop(lambda i, y: i < 0, lambda i, y: (i + 1, y * w), [tf.constant(0), x])
    dx, dw = tf.gradients(y, [x, w], grad_ys=tf.constant([3.0, 4.0]))
    with tf.Session() as sess:
        yv, dxv, dwv = sess.run([y, dx, dw], {x: [1.0, 2.0], w: [5.0, 6.0]})
    np.testing.assert_array_equal(yv, [1.0, 2.0])
    np.testing.assert_array_equal(dxv, [3.0, 4.0])
    np.testing.assert_array_equal(dwv, [0.0, 0.0])


def test_second_derivative_through_while_is_refused():
    x = tf.placeholder(tf.float64, [])
    (dx,) = tf.gradients(_loop_pow4(x), x)
    with pytest.raises(tf.errors.LookupGradientError, match="WhileGrad"):
        tf.gradients(dx, x)


def _check_against_central_differences(sess, loss, var, value, feed=None, rtol=1e-6):
    (sym,) = sess.run(tf.gradients(loss, [var]), {var: value, **(feed or {})})

    def f(v):
        return sess.run(loss, {var: v, **(feed or {})})

    np.testing.assert_allclose(
        sym, numerical_gradient(f, np.array(value, np.float64)), rtol=rtol, atol=1e-9
    )


def test_nested_while_gradient_wrt_a_variable_the_inner_loop_captures():
    w = tf.Variable([0.3, -0.7], dtype=tf.float64)
    x = tf.placeholder(tf.float64, [2])

    def outer(i, y):
        _, z = tf.while_loop(
            lambda j, z: j < 2, lambda j, z: (j + 1, tf.sin(z * w) + z), [tf.constant(0), y]
        )
        return i + 1, z * 0.5

    _, y = tf.while_loop(lambda i, y: i < 3, outer, [tf.constant(0), x])
    loss = tf.reduce_sum(y * y)
    (dw,) = tf.gradients(loss, [w])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        xv = np.array([0.5, 1.2])
        got = sess.run(dw, {x: xv})

        def f(wv):
            sess.run(w.assign(wv))
            return sess.run(loss, {x: xv})

        want = numerical_gradient(f, np.array([0.3, -0.7]))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def test_cond_inside_while_gradient():
    x = tf.placeholder(tf.float64, [])

    def body(i, y):
        return i + 1, tf.cond(tf.equal(i % 2, 0), lambda: y * x, lambda: y + tf.sin(x))

    _, y = tf.while_loop(lambda i, y: i < 5, body, [tf.constant(0), tf.constant(1.0, tf.float64)])
    with tf.Session() as sess:
        _check_against_central_differences(sess, y, x, 0.7)


def test_while_inside_cond_gradient():
    x = tf.placeholder(tf.float64, [])
    y = tf.cond(x > 0, lambda: _loop_pow4(x), lambda: x * x)
    (dx,) = tf.gradients(y, x)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run([y, dx], {x: 0.5}), [0.0625, 0.5])  # x^4
        np.testing.assert_allclose(sess.run([y, dx], {x: -0.5}), [0.25, -1.0])


def test_stop_gradient_inside_a_loop():
    x = tf.placeholder(tf.float64, [])
    # y <- stop(y) * x + y: the stopped factor is a constant per iteration.
    _, y = tf.while_loop(
        lambda i, y: i < 3, lambda i, y: (i + 1, tf.stop_gradient(y) * x + y), [tf.constant(0), x]
    )
    (dx,) = tf.gradients(y, x)
    with tf.Session() as sess:
        # x=2: y = 2, 6, 18, 54; dy/dx (stopped) = 1 -> 1+2 -> 3+6 -> 9+18 = 27
        assert sess.run([y, dx], {x: 2.0}) == [54.0, 27.0]


def test_a_variable_used_in_a_loop_body_trains():
    w = tf.Variable([1.0, -2.0])
    x = tf.constant([0.5, 0.3])
    _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * w + x), [tf.constant(0), x])
    loss = tf.reduce_sum(tf.square(y - 1.0))
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        losses = [sess.run([loss, train])[0] for _ in range(20)]
    assert losses[-1] < 0.2 * losses[0], losses
    assert all(b <= a for a, b in zip(losses, losses[1:])), losses


def test_get_variable_inside_a_while_body_lives_outside():
    def body(i, y):
        with tf.variable_scope("lv", reuse=tf.AUTO_REUSE):
            acc = tf.get_variable("acc", [], initializer=tf.zeros_initializer())
            scale = tf.get_variable("scale", [], initializer=tf.constant_initializer(2.0))
        with tf.control_dependencies([tf.assign_add(acc, 1.0)]):
            return i + 1, y * scale

    _, y = tf.while_loop(lambda i, y: i < 3, body, [tf.constant(0), tf.constant(1.0)])
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["lv/acc", "lv/scale"]
    assert all(v.op._body is None for v in tf.global_variables())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(y) == 8.0
        assert sess.run("lv/acc:0") == 3.0  # one initialization, then three increments
        assert sess.run(y) == 8.0
        assert sess.run("lv/acc:0") == 6.0


def test_variable_initialized_from_a_loop_tensor_is_a_build_time_error():
    def body(i, y):
        v = tf.Variable(y * 2.0, name="bad")
        return i + 1, y + v

    with pytest.raises(ValueError, match="Initializer for variable .* control-flow construct"):
        tf.while_loop(lambda i, y: i < 2, body, [tf.constant(0), tf.constant(1.0)])


def test_random_ops_inside_a_loop_draw_per_iteration():
    def draws(seed):
        with tf.Graph().as_default():
            ta = tf.TensorArray(tf.float32, size=4)
            _, ta = tf.while_loop(
                lambda i, ta: i < 4,
                lambda i, ta: (i + 1, ta.write(i, tf.random_uniform([3], seed=seed))),
                [tf.constant(0), ta],
            )
            out = ta.stack()
            assert out.shape.as_list() == [None, 3]
            with tf.Session() as sess:
                return sess.run(out), sess.run(out)

    first, second = draws(seed=7)
    assert first.shape == (4, 3) and ((first >= 0) & (first < 1)).all()
    assert len({tuple(r) for r in first}) == 4  # a new draw every iteration
    assert not np.array_equal(first, second)  # and every run
    again, _ = draws(seed=7)
    np.testing.assert_array_equal(first, again)  # seeded: the same in a new session


# -- TensorArray --------------------------------------------------------------------------------
def test_tensor_array_read_past_size_names_the_array():
    ta = tf.TensorArray(tf.float32, size=2, tensor_array_name="my_ta").write(0, 1.0)
    with (
        tf.Session() as sess,
        pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"TensorArrayReadV3 .*TensorArray my_ta: Tried to read from index 5 but "
            r"array size is: 2",
        ),
    ):
        sess.run(ta.read(5))


def test_tensor_array_write_twice_and_past_size():
    ta = tf.TensorArray(tf.float32, size=2, tensor_array_name="once").write(0, 1.0)
    twice = ta.write(0, 2.0)
    past = tf.TensorArray(tf.float32, size=2, tensor_array_name="fixed").write(3, 1.0)
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="TensorArray once: Could not write to TensorArray index 0 "
            "because it has already been written to",
        ):
            sess.run(twice.read(0))
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="TensorArray fixed: Tried to write to index 3 but array is "
            "not resizeable and size is: 2",
        ):
            sess.run(past.read(3))


def test_tensor_array_clear_after_read():
    ta = tf.TensorArray(tf.float32, size=1, tensor_array_name="c").write(0, 3.0)
    a, b = ta.read(0), ta.read(0)
    keep = tf.TensorArray(tf.float32, size=1, clear_after_read=False).write(0, 3.0)
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="TensorArray c: Could not read index 0 twice because it was "
            "cleared after a previous read",
        ):
            sess.run([a, b])
        assert sess.run([keep.read(0), keep.read(0)]) == [3.0, 3.0]


def test_tensor_array_dynamic_size_grows_in_a_loop_and_stack_knows_the_element_shape():
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)

    def body(i, ta):
        return i + 1, ta.write(i, tf.fill([3], tf.cast(i, tf.float32)))

    _, ta = tf.while_loop(lambda i, ta: i < 5, body, [tf.constant(0), ta])
    out = ta.stack()
    # element shape learnt from the write inside the loop body
    assert ta.element_shape.as_list() == [3] and out.shape.as_list() == [None, 3]
    with tf.Session() as sess:
        got, n = sess.run([out, ta.size()])
    assert n == 5
    np.testing.assert_array_equal(got, np.repeat(np.arange(5.0)[:, None], 3, axis=1))


def test_tensor_array_build_time_errors():
    ta = tf.TensorArray(tf.float32, size=2)
    with pytest.raises(
        TypeError,
        match="TensorArray write: value has dtype int32 but the TensorArray holds float32",
    ):
        ta.write(0, tf.constant(1))
    ta1 = ta.write(0, tf.zeros([2]))
    with pytest.raises(
        ValueError,
        match=r"TensorArray write: inconsistent shapes: saw \(3,\) "
        r"but expected \(2,\)",
    ):
        ta1.write(1, tf.zeros([3]))
    with pytest.raises(ValueError, match="size must be given"):
        tf.TensorArray(tf.float32)


def test_tensor_array_run_time_shape_errors():
    x = tf.placeholder(tf.float32, None)
    bad_scatter = tf.TensorArray(tf.float32, size=3, tensor_array_name="s").scatter([0, 1], x)
    bad_split = tf.TensorArray(tf.float32, size=2, tensor_array_name="p").split(x, [1, 1])
    uneven = tf.TensorArray(tf.float32, size=2, infer_shape=False, tensor_array_name="u")
    uneven = uneven.write(0, tf.zeros([2])).write(1, tf.zeros([3]))
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"TensorArray s: value's first dimension must match the number "
            r"of indices \(2\); got value shape \(3,\)",
        ):
            sess.run(bad_scatter.read(0), {x: np.zeros(3)})
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"TensorArray p: Expected sum of lengths .* sum of lengths is "
            r"2 and value's shape is \(3,\)",
        ):
            sess.run(bad_split.read(0), {x: np.zeros(3)})
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"TensorArray u: Could not stack elements of different shapes",
        ):
            sess.run(uneven.stack())


def test_tensor_array_write_checks_the_element_shape_at_run_time():
    v = tf.placeholder(tf.float32, [None])
    ta = tf.TensorArray(tf.float32, size=1, element_shape=[2], tensor_array_name="e")
    with (
        tf.Session() as sess,
        pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"TensorArray e: Could not write to TensorArray index 0: value shape \(3,\) "
            r"is incompatible with the element shape \(2,\)",
        ),
    ):
        sess.run(ta.write(0, v).read(0), {v: [1.0, 2.0, 3.0]})


def test_map_fn_over_no_elements_keeps_the_element_shape():
    # The element shape is learnt inside the loop body; stacking zero elements needs it.
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.map_fn(lambda e: e * 2.0, x)
    s = tf.scan(lambda a, e: a + e, x, initializer=tf.zeros([3]))
    cat = tf.TensorArray(tf.float32, size=0, element_shape=[None, 2]).concat()
    with tf.Session() as sess:
        assert sess.run(y, {x: np.zeros((0, 3))}).shape == (0, 3)
        assert sess.run(s, {x: np.zeros((0, 3))}).shape == (0, 3)
        assert sess.run(cat).shape == (0, 2)


def test_tensor_array_unwritten_element_reads_as_zeros_when_its_shape_is_known():
    ta = tf.TensorArray(tf.float32, size=2, element_shape=[2]).write(1, [1.0, 2.0])
    unknown = tf.TensorArray(tf.float32, size=2, infer_shape=False, tensor_array_name="z")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(ta.stack()), [[0, 0], [1, 2]])
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="TensorArray z: Could not read from TensorArray index 0",
        ):
            sess.run(unknown.write(1, [1.0]).read(0))


def test_tensor_array_passes_through_cond_with_gradients():
    x = tf.placeholder(tf.float32, [3])
    ta = tf.TensorArray(tf.float32, size=2)
    out = tf.cond(
        x[0] > 0, lambda: ta.write(0, x).write(1, x * 2.0), lambda: ta.write(0, -x).write(1, x)
    )
    assert isinstance(out, tf.TensorArray)
    st = out.stack()
    (dx,) = tf.gradients(tf.reduce_sum(st), x)
    with tf.Session() as sess:
        s1, d1 = sess.run([st, dx], {x: [1.0, 2.0, 3.0]})
        s2, d2 = sess.run([st, dx], {x: [-1.0, 2.0, 3.0]})
    np.testing.assert_array_equal(s1, [[1, 2, 3], [2, 4, 6]])
    np.testing.assert_array_equal(d1, [3, 3, 3])
    np.testing.assert_array_equal(s2, [[1, -2, -3], [-1, 2, 3]])
    np.testing.assert_array_equal(d2, [0, 0, 0])


def test_map_fn_structure_errors_and_static_shape():
    x = tf.placeholder(tf.float32, [4, 3])
    y = tf.map_fn(lambda e: tf.reduce_sum(e), x)
    assert y.shape.as_list() == [4]
    with pytest.raises(ValueError, match="map_fn: fn returned 2 tensors"):
        tf.map_fn(lambda e: (e, e), x)
    with pytest.raises(ValueError, match=r"map_fn: elements in elems must be 1\+ dimensional"):
        tf.map_fn(lambda e: e, tf.constant(1.0))


# -- Print, print, Assert ----------------------------------------------------------------------
def test_print_returns_its_input_and_prints_to_stderr(capsys):
    x = tf.constant([[1.5, 2.0], [3.0, 4.0]])
    y = tf.Print(x, [x, tf.shape(x), "tag"], message="x is ")
    once = tf.Print(x, [tf.range(10)], message="once: ", first_n=1, summarize=-1)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [[1.5, 2.0], [3.0, 4.0]])
        sess.run([once, once])
        sess.run(once)
    out = capsys.readouterr()
    # TF's format: the first `summarize` (3) elements, rows not separated.
    assert out.err == "x is [[1.5 2][3...]...][2 2][tag]\nonce: [0 1 2 3 4 5 6 7 8 9]\n"
    assert out.out == ""
    (dx,) = tf.gradients(tf.reduce_sum(y * 3.0), x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(dx), np.full((2, 2), 3.0))


def test_tf_print_formats_like_tensorflow(capsys):
    p = tf.print("values:", tf.range(10), tf.constant([[1.5, 2.0], [3.0, 4.0]]))
    q = tf.print(tf.constant(0.1), ["a"], output_stream=sys.stdout, sep="|", end="!\n")
    assert isinstance(p, tf.Operation)
    with tf.Session() as sess:
        assert sess.run(p) is None
        sess.run(q)
    out = capsys.readouterr()
    assert out.err == "values: [0 1 2 ... 7 8 9] [[1.5 2]\n [3 4]]\n"
    assert out.out == '0.1|["a"]!\n'


def test_assert_fails_at_run_time_with_its_data():
    x = tf.placeholder(tf.float32, [2])
    check = tf.Assert(tf.reduce_all(x > 0), ["x must be positive:", x], name="positive")
    with tf.control_dependencies([check]):
        y = tf.identity(x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [1.0, 2.0])
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"Assert 'positive': assertion failed: \[x must be positive:\] "
            r"\[1 -2\]",
        ):
            sess.run(y, {x: [1.0, -2.0]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="condition must be a bool tensor"):
        tf.Assert(tf.constant(1.0), [x])


def test_assert_inside_a_loop_body_names_the_loop_and_the_assert():
    def body(i):
        with tf.control_dependencies([tf.Assert(i < 3, [i])]):
            return i + 1

    r = tf.while_loop(lambda i: i < 5, body, [tf.constant(0)], name="counter")
    with (
        tf.Session() as sess,
        pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"While 'counter': Assert 'counter/body/Assert': assertion failed: \[3\]",
        ),
    ):
        sess.run(r)


# -- sessions -----------------------------------------------------------------------------------
def test_session_reruns_reuse_their_plans():
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: _loop_pow4(x), lambda: -x)
    (dx,) = tf.gradients(y, x)
    with tf.Session() as sess:
        assert sess.run([y, dx], {x: 2.0}) == [16.0, 32.0]  # x^4
        built, subplans = sess.plans_built, len(sess._ctx.subplans)
        assert sess.run([y, dx], {x: 3.0}) == [81.0, 108.0]
        assert sess.run([y, dx], {x: -1.0}) == [1.0, -1.0]  # the other branch: its own plan
        assert sess.plans_built == built
        n_other = len(sess._ctx.subplans)
        assert n_other > subplans
        sess.run([y, dx], {x: 2.0})
        sess.run([y, dx], {x: -2.0})
        assert sess.plans_built == built and len(sess._ctx.subplans) == n_other


def test_forward_only_run_after_gradients_were_built():
    x = tf.placeholder(tf.float32, [])
    y = _loop_pow4(x)
    with tf.Session() as sess:
        assert sess.run(y, {x: 2.0}) == 16.0  # x^4
        (dx,) = tf.gradients(y, x)
        assert sess.run([y, dx], {x: 2.0}) == [16.0, 32.0]
        assert sess.run(y, {x: 3.0}) == 81.0  # forward plan: no record kept
        assert sess.run(dx, {x: 3.0}) == 108.0


def test_two_sessions_on_one_graph_keep_their_own_state():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
        _, y = tf.while_loop(
            lambda i, y: i < 2, lambda i, y: (i + 1, y * v), [tf.constant(0), tf.constant(3.0)]
        )
        (dv,) = tf.gradients(y, v)
        s1, s2 = tf.Session(graph=g), tf.Session(graph=g)
    with s1, s2:
        s1.run(v.initializer)
        s2.run(v.initializer)
        s2.run(v.assign(2.0))
        assert s1.run([y, dv]) == [3.0, 6.0]
        assert s2.run([y, dv]) == [12.0, 12.0]
        assert s1.run(y) == 3.0


def test_a_gradient_arrays_unset_entries_read_as_zeros_shaped_like_its_entries():
    """A gradient TensorArray of unknown element shape (e.g. from a loop's gradient) reads an
    entry nothing was written to as zeros shaped like the entries that were (TF's gradient
    arrays do the same once their element shape is known)."""
    from flowzero.ops.tensor_array_ops import grad_array

    g = grad_array()
    g.write(1, np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(g.read(0), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(g.read(3), np.zeros((2, 3), np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not yet been written"):
        grad_array().read(0)
