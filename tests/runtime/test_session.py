"""Session.run: fetch structures, feeds, pruning, plan caching, errors, default sessions."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import flowzero as tf


def test_fetch_structures() -> None:
    a = tf.constant(1.0, name="a")
    b = tf.constant([2, 3], name="b")
    noop = tf.no_op()
    Pair = collections.namedtuple("Pair", "x y")
    with tf.Session() as sess:
        assert sess.run(a) == 1.0 and isinstance(sess.run(a), np.float32)
        assert sess.run(noop) is None
        assert sess.run("a:0") == 1.0 and sess.run("a") is None
        assert sess.run((a, noop)) == (1.0, None)
        got = sess.run({"a": a, "nested": [b, (a,)], "p": Pair(a, b)})
        assert got["a"] == 1.0 and got["nested"][1] == (1.0,)
        np.testing.assert_array_equal(got["nested"][0], [2, 3])
        assert isinstance(got["p"], Pair) and got["p"].x == 1.0
        assert sess.run([]) == []
        with pytest.raises(TypeError, match="invalid type"):
            sess.run(None)
        with pytest.raises(TypeError, match="invalid type"):
            sess.run([a, 3.0])
        with pytest.raises(ValueError, match="cannot be interpreted"):
            sess.run("missing:0")


def test_only_needed_subgraph_runs_and_each_op_once() -> None:
    v = tf.Variable(0, name="v")
    side = tf.assign_add(v, 100)  # never fetched: must never fire
    inc = tf.assign_add(v, 1)
    double = inc + inc  # inc consumed twice: runs once
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(double) == 2
        assert sess.run(v) == 1
        assert sess.run([double, inc])[0] == 4
        assert sess.run(v) == 2
    assert side is not None


def test_feeds_scalars_lists_arrays_and_dtype_conversion() -> None:
    x = tf.placeholder(tf.float32, name="x")
    i = tf.placeholder(tf.int32, [2], name="i")
    with tf.Session() as sess:
        assert sess.run(x * 2, {x: 3}) == 6.0
        out = sess.run(x + 1, {x: np.array([1.0, 2.0], dtype=np.float64)})
        assert out.dtype == np.float32
        np.testing.assert_array_equal(sess.run(i + 1, {i: [1, 2]}), [2, 3])
        np.testing.assert_array_equal(sess.run(i, {"i:0": np.array([4.0, 5.0])}), [4, 5])
        with pytest.raises(TypeError, match="non-integral"):
            sess.run(i, {i: [1.5, 2.0]})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(x, {x: tf.constant(1.0)})
        with pytest.raises(TypeError, match="feed_dict key"):
            sess.run(x, {3: 1.0})


def test_feed_shape_mismatch_names_tensor_and_shapes() -> None:
    x = tf.placeholder(tf.float32, [None, 784], name="images")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"shape \(3, 3\).*images:0.*\(\?, 784\)"):
            sess.run(x, {x: np.zeros((3, 3))})
        assert sess.run(x, {x: np.zeros((5, 784))}).shape == (5, 784)


def test_unfed_placeholder_names_it_and_its_consumer() -> None:
    x = tf.placeholder(tf.float32, [None, 2], name="inputs")
    y = tf.multiply(x, 2.0, name="doubled")
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"placeholder tensor 'inputs'.*float32.*\[\?,2\].*doubled",
        ):
            sess.run(y)


def test_any_tensor_may_be_fed() -> None:
    a = tf.constant(2.0)
    b = a * 3.0
    c = b + 1.0
    with tf.Session() as sess:
        assert sess.run(c) == 7.0
        assert sess.run(c, {b: 10.0}) == 11.0
        assert sess.run(b, {b: 5.0}) == 5.0


def test_placeholder_with_default() -> None:
    d = tf.placeholder_with_default(tf.constant([1.0, 2.0]), shape=[None])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(d), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(d, {d: [5.0]}), [5.0])


def test_plan_is_cached_per_signature() -> None:
    x = tf.placeholder(tf.float32)
    y = x * 2.0
    z = y + 1.0
    with tf.Session() as sess:
        sess.run(y, {x: 1.0})
        built = sess.plans_built
        for k in range(5):
            assert sess.run(y, {x: float(k)}) == 2.0 * k
        assert sess.plans_built == built
        sess.run([y, z], {x: 1.0})
        sess.run([y, z], {x: 2.0})
        assert sess.plans_built == built + 1


def test_close_and_context_manager() -> None:
    a = tf.constant(1.0)
    sess = tf.Session()
    with sess:
        assert tf.get_default_session() is sess
    assert tf.get_default_session() is None
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(a)


def test_with_session_makes_its_graph_default() -> None:
    g = tf.Graph()
    with tf.Session(graph=g) as sess:
        c = tf.constant(4.0)
        assert c.graph is g and sess.run(c) == 4.0


def test_interactive_session_eval_and_run() -> None:
    sess = tf.InteractiveSession()
    try:
        v = tf.Variable([1.0, 2.0])
        v.initializer.run()
        np.testing.assert_array_equal((v * 2).eval(), [2.0, 4.0])
        np.testing.assert_array_equal(v.eval(), [1.0, 2.0])
        assert tf.get_default_session() is sess
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_eval_without_default_session_is_clear() -> None:
    with pytest.raises(ValueError, match="no default session"):
        tf.constant(1.0).eval()
    g = tf.Graph()
    with g.as_default():
        other = tf.constant(1.0)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="graph"):
            other.eval(session=sess)
        with pytest.raises(ValueError, match="not an element of this Session's graph"):
            sess.run(other)


def test_runtime_kernel_error_names_op_and_user_line() -> None:
    x = tf.placeholder(tf.float32, name="x")
    r = tf.reshape(x, [2, 3], name="to_matrix")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(r, {x: np.zeros(5)})
    msg = str(info.value)
    assert "Reshape 'to_matrix'" in msg and "test_session.py" in msg
    assert info.value.op is r.op


def test_fetched_variable_value_is_not_mutated_later() -> None:
    v = tf.Variable([1.0, 2.0])
    inc = tf.assign_add(v, [1.0, 1.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        before = sess.run(v)
        ref_fetch = sess.run(v.op.outputs[0])
        after_inc = sess.run(inc)
        sess.run(inc)
        np.testing.assert_array_equal(before, [1.0, 2.0])
        np.testing.assert_array_equal(ref_fetch, [1.0, 2.0])
        np.testing.assert_array_equal(after_inc, [2.0, 3.0])


def test_fed_array_never_becomes_variable_storage() -> None:
    v = tf.Variable([0.0, 0.0])
    p = tf.placeholder(tf.float32, [2])
    set_v = tf.assign(v, p)
    inc = tf.assign_add(v, [1.0, 1.0])
    fed = np.array([5.0, 5.0], dtype=np.float32)
    with tf.Session() as sess:
        sess.run(set_v, {p: fed})
        sess.run(inc)
    np.testing.assert_array_equal(fed, [5.0, 5.0])


def test_constants_cannot_be_mutated_through_fetches() -> None:
    c = tf.constant([1.0, 2.0])
    with tf.Session() as sess:
        out = sess.run(c)
        out[0] = 100.0
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


def test_two_sessions_hold_separate_variable_values() -> None:
    v = tf.Variable(1.0)
    inc = tf.assign_add(v, 1.0)
    s1, s2 = tf.Session(), tf.Session()
    s1.run(v.initializer)
    s2.run(v.initializer)
    s1.run(inc)
    assert s1.run(v) == 2.0 and s2.run(v) == 1.0
    s1.close()
    s2.close()


def test_options_and_run_metadata_accepted() -> None:
    a = tf.constant(1.0)
    with tf.Session(config=tf.ConfigProto(log_device_placement=False)) as sess:
        assert (
            sess.run(
                a,
                options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                run_metadata=tf.RunMetadata(),
            )
            == 1.0
        )


def test_growing_graph_between_runs_warns_once() -> None:
    v = tf.Variable(0.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(120):
                sess.run(tf.assign_add(v, 1.0))  # the classic leak: a new op every step
        leaks = [w for w in caught if "graph grew" in str(w.message)]
        assert len(leaks) == 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            inc = tf.assign_add(v, 1.0)
            for _ in range(200):
                sess.run(inc)


def test_multi_output_ops_with_one_output_fetch_arrays() -> None:
    x = tf.constant([[1.0, 2.0]])
    (row,) = tf.unstack(x)
    (part,) = tf.split(x, 1, axis=1)
    with tf.Session() as sess:
        got_row, got_part = sess.run([row, part])
    np.testing.assert_array_equal(got_row, [1.0, 2.0])
    np.testing.assert_array_equal(got_part, [[1.0, 2.0]])


def test_tuple_keys_feed_leaf_by_leaf() -> None:
    # MorvanZhou's 403_RNN_regression feeds the LSTM's fetched final state back in as the
    # initial state: {init_s: final_s_}, an LSTMStateTuple of placeholders keyed by the
    # LSTMStateTuple of arrays the previous run returned.
    cell = tf.nn.rnn_cell.BasicLSTMCell(3)
    init_s = cell.zero_state(2, tf.float32)
    x = tf.placeholder(tf.float32, [2, 4, 1])
    _, final_s = tf.nn.dynamic_rnn(cell, x, initial_state=init_s)
    xs = np.ones((2, 4, 1), np.float32)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        s1 = sess.run(final_s, {x: xs})
        assert isinstance(s1, tf.nn.rnn_cell.LSTMStateTuple)
        s2 = sess.run(final_s, {x: xs, init_s: s1})
        # Feeding the state back equals running twice as long from zeros.
        x8 = tf.placeholder(tf.float32, [2, 8, 1])
        with tf.variable_scope("rnn", reuse=True):
            _, final8 = tf.nn.dynamic_rnn(cell, x8, dtype=tf.float32)
        want = sess.run(final8, {x8: np.ones((2, 8, 1), np.float32)})
        np.testing.assert_allclose(s2.c, want.c, rtol=1e-5)
        np.testing.assert_allclose(s2.h, want.h, rtol=1e-5)
    a, b = tf.placeholder(tf.float32, []), tf.placeholder(tf.float32, [])
    with tf.Session() as sess:
        assert sess.run(a + b, {(a, (b,)): (1.0, [2.0])}) == 3.0
        with pytest.raises(ValueError, match="Key had 2 elements, but value had 1"):
            sess.run(a + b, {(a, b): np.zeros(2)})
