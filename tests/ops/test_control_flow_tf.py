"""Differential tests: the same TF1 control-flow programs (cond, case, while_loop, map_fn, scan,
foldl/foldr, TensorArray, Print/print/Assert) run by flowzero and by real TensorFlow
(`tensorflow.compat.v1` in a private graph), values and gradients compared.

Skipped where TensorFlow is not installed. Each program is written once against a module
argument `tf`, so both frameworks run the very same code. TensorFlow is never switched out of
eager mode globally: graphs are private (`tf1.Session(graph=g)`), so other tests that use
TensorFlow eagerly are unaffected.
"""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pytest

import flowzero as fz

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="tensorflow is not installed"
)


@pytest.fixture(scope="module")
def tf1():
    import tensorflow as real_tf

    return real_tf.compat.v1


def _run(tf, program, inputs, grad=True, seed=0):
    """Builds program(tf, *placeholders) in a private graph of `tf`; returns the outputs and
    the gradients of a fixed weighted sum of them w.r.t. every float input."""
    g = tf.Graph()
    with g.as_default():
        phs = [tf.placeholder(tf.as_dtype(v.dtype), v.shape) for v in inputs]
        out = program(tf, *phs)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        fetch = list(outs)
        if grad:

            def weighted(o):
                # Position-dependent weights from the run-time shape (static shapes may
                # legitimately differ: TF 2's TensorArray knows more than TF 1.15's).
                n = tf.size(o)
                w = 1.0 + 0.5 * tf.cos(tf.cast(tf.range(n), o.dtype) * (1.7 + seed))
                return tf.reduce_sum(o * tf.reshape(w, tf.shape(o)))

            loss = tf.add_n([weighted(o) for o in outs if o.dtype.is_floating])
            xs = [p for p, v in zip(phs, inputs) if v.dtype.kind == "f"]
            grads = tf.gradients(loss, xs)
            fetch += [gr if gr is not None else tf.zeros_like(x) for gr, x in zip(grads, xs)]
        with tf.Session(graph=g) as sess:
            return sess.run(fetch, dict(zip(phs, inputs)))


def _compare(tf1, program, inputs, grad=True, rtol=1e-9, atol=1e-12):
    want = _run(tf1, program, inputs, grad)
    got = _run(fz, program, inputs, grad)
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(
            np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=f"fetch {k}"
        )
        assert np.shape(a) == np.shape(b), f"fetch {k}"


R = np.random.default_rng(42)


def _f(*shape):
    return R.uniform(-1.0, 1.0, shape)


# -- programs (tf is flowzero or tensorflow.compat.v1) -----------------------------------------
def cond_program(tf, x, w):
    return tf.cond(tf.reduce_sum(x) > 0, lambda: x * w + tf.sin(w), lambda: tf.exp(x) - w)


def nested_cond_program(tf, x):
    s = tf.reduce_sum(x)
    return tf.cond(
        s > 0, lambda: tf.cond(s > 1, lambda: x * x, lambda: x * 3.0), lambda: tf.tanh(x)
    )


def cond_tuple_program(tf, x, y):
    a, b = tf.cond(x[0] > y[0], lambda: (x * y, x - y), lambda: (y * y, x + y))
    return [a, b * 2.0]


def case_program(tf, x):
    s = tf.reduce_sum(x)
    return tf.case([(s > 1.0, lambda: x * x), (s > 0.0, lambda: tf.sin(x))], default=lambda: -x)


def while_program(tf, x, w):
    def body(i, y):
        return i + 1, y * w + tf.sin(y)

    return tf.while_loop(lambda i, y: i < 4, body, [tf.constant(0), x])[1]


def while_data_dependent_program(tf, x, w):
    return tf.while_loop(lambda y: tf.reduce_sum(y) < 6.0, lambda y: y * 1.5 + w * w, [x])


def while_max_iter_program(tf, x):
    return tf.while_loop(
        lambda y: tf.reduce_sum(y) > -1e9, lambda y: tf.tanh(y) + y, [x], maximum_iterations=3
    )


def nested_while_program(tf, x, w):
    def outer(i, y):
        z = tf.while_loop(
            lambda j, z: j < 3, lambda j, z: (j + 1, tf.sin(z * w) + z), [tf.constant(0), y]
        )[1]
        return i + 1, z * 0.5 + w

    return tf.while_loop(lambda i, y: i < 2, outer, [tf.constant(0), x])[1]


def cond_in_while_program(tf, x):
    def body(i, y):
        y = tf.cond(tf.equal(i % 2, 0), lambda: y * x, lambda: y + tf.cos(x))
        return i + 1, y

    return tf.while_loop(lambda i, y: i < 5, body, [tf.constant(0), tf.ones_like(x)])[1]


def while_in_cond_program(tf, x):
    def loop():
        return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), [tf.constant(0), x])[
            1
        ]

    return tf.cond(tf.reduce_sum(x) > 0, loop, lambda: x * x)


def stop_gradient_program(tf, x):
    return tf.while_loop(
        lambda i, y: i < 3, lambda i, y: (i + 1, tf.stop_gradient(y) * x + y), [tf.constant(0), x]
    )[1]


def invariant_program(tf, x):
    def body(i, acc):
        return i + 1, tf.concat([acc, x * tf.cast(i + 1, x.dtype)], 0)

    acc0 = tf.zeros([0, 2], dtype=x.dtype)
    return tf.while_loop(
        lambda i, acc: i < 3,
        body,
        [tf.constant(0), acc0],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 2])],
    )[1]


def map_fn_program(tf, x, w):
    return tf.map_fn(lambda e: tf.tanh(e * w) * tf.reduce_sum(e), x)


def map_fn_tuple_program(tf, x, y):
    a, b = tf.map_fn(lambda ab: (ab[0] * ab[1], ab[0] - ab[1]), (x, y), dtype=(x.dtype, x.dtype))
    return [a, b]


def scan_program(tf, x, w):
    return tf.scan(lambda a, e: tf.tanh(a * w + e), x)


def scan_init_reverse_program(tf, x, a0):
    return tf.scan(lambda a, e: a * e + e, x, initializer=a0, reverse=True)


def fold_program(tf, x, a0):
    return [
        tf.foldl(lambda a, e: a * e + 1.0, x, initializer=a0),
        tf.foldr(lambda a, e: a * e - 0.5, x, initializer=a0),
        tf.foldl(lambda a, e: a + e, x),
    ]


def tensor_array_program(tf, x):
    n = x.shape[0]
    ta = tf.TensorArray(x.dtype, size=n, clear_after_read=False).unstack(x)
    read = ta.read(1) * ta.read(2)
    # NOTE: no repeated index: TF 2's gather gradient (a TensorList scatter) drops all but
    # one copy's gradient; flowzero sums them as TF 1.15 did (checked numerically in the
    # op table, TensorArrayGatherV3-repeated_index).
    gathered = ta.gather([3, 0, 2])
    scattered = tf.TensorArray(x.dtype, size=n).scatter([2, 0, 3, 1], x * x).stack()
    split = tf.TensorArray(x.dtype, size=3, infer_shape=False, clear_after_read=False)
    split = split.split(x, [1, 2, 1])
    written = tf.TensorArray(x.dtype, size=2).write(0, x[0]).write(1, tf.exp(x[1])).stack()
    return [read, gathered, scattered, split.concat() * 2.0, split.read(1), written]


def tensor_array_loop_program(tf, x, w, h0):
    n = x.shape[0]
    inputs = tf.TensorArray(x.dtype, size=n).unstack(x)

    def body(i, h, out):
        h = tf.tanh(tf.matmul(h, w) + inputs.read(i))
        return i + 1, h, out.write(i, h)

    _, h, out = tf.while_loop(
        lambda i, h, out: i < n, body, [tf.constant(0), h0, tf.TensorArray(x.dtype, size=n)]
    )
    return [out.stack(), h]


def dynamic_tensor_array_program(tf, x):
    ta = tf.TensorArray(x.dtype, size=0, dynamic_size=True)

    def body(i, ta):
        return i + 1, ta.write(i, x * tf.cast(i, x.dtype) + tf.sin(x))

    _, ta = tf.while_loop(lambda i, ta: i < 5, body, [tf.constant(0), ta])
    return ta.stack()


PROGRAMS = [
    (cond_program, [_f(2, 3) + 1.5, _f(2, 3)]),
    (cond_program, [_f(2, 3) - 1.5, _f(2, 3)]),
    (nested_cond_program, [np.array([0.3, 0.4])]),
    (nested_cond_program, [np.array([0.9, 0.4])]),
    (nested_cond_program, [np.array([-0.9, 0.4])]),
    (cond_tuple_program, [_f(3), _f(3)]),
    (case_program, [np.array([0.2, 0.3])]),
    (case_program, [np.array([0.9, 0.8])]),
    (case_program, [np.array([-0.9, 0.2])]),
    (while_program, [_f(3), _f(3)]),
    (while_data_dependent_program, [np.array([0.3, 0.5]), np.array([0.2, 0.1])]),
    (while_max_iter_program, [_f(2, 2)]),
    (nested_while_program, [_f(3), _f(3)]),
    (cond_in_while_program, [_f(3)]),
    (while_in_cond_program, [np.abs(_f(3))]),
    (while_in_cond_program, [-np.abs(_f(3))]),
    (stop_gradient_program, [_f(2)]),
    (invariant_program, [_f(1, 2)]),
    (map_fn_program, [_f(4, 3), _f(3)]),
    (map_fn_tuple_program, [_f(3, 2), _f(3, 2)]),
    (scan_program, [_f(5, 2), _f(2)]),
    (scan_init_reverse_program, [_f(4, 2), _f(2)]),
    (fold_program, [_f(4, 2), _f(2)]),
    (tensor_array_program, [_f(4, 2)]),
    (tensor_array_loop_program, [_f(4, 1, 3), _f(3, 3) * 0.5, _f(1, 3)]),
    (dynamic_tensor_array_program, [_f(3)]),
]


def cond_gradient_program(tf, x, w):
    # The first gradient inside the program; the harness takes its gradient: second order.
    y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.sin(x * w) * x, lambda: tf.exp(x) * w)
    return tf.gradients(tf.reduce_sum(y * y), [x, w])


def nested_cond_gradient_program(tf, x):
    s = tf.reduce_sum(x)
    y = tf.cond(s > 0, lambda: tf.cond(s > 1, lambda: x * x * x, lambda: tf.tanh(x)), lambda: x * s)
    return tf.gradients(tf.reduce_sum(tf.sin(y)), x)


def case_gradient_program(tf, x):
    s = tf.reduce_sum(x)
    y = tf.case(
        [(s > 1.0, lambda: x * x), (s > 0.0, lambda: tf.sin(x) * s)], default=lambda: tf.exp(-x)
    )
    return tf.gradients(tf.reduce_sum(y * x), x)


SECOND_ORDER = [
    (cond_gradient_program, [np.abs(_f(3)), _f(3)]),
    (cond_gradient_program, [-np.abs(_f(3)), _f(3)]),
    (nested_cond_gradient_program, [np.abs(_f(3)) + 0.5]),
    (nested_cond_gradient_program, [np.abs(_f(3)) * 0.2]),
    (nested_cond_gradient_program, [-np.abs(_f(3))]),
    (case_gradient_program, [np.array([0.2, 0.3])]),
    (case_gradient_program, [np.array([0.9, 0.8])]),
    (case_gradient_program, [np.array([-0.9, 0.2])]),
]


@pytest.mark.parametrize(
    "program, inputs",
    SECOND_ORDER,
    ids=[f"{p.__name__}-{k}" for k, (p, _) in enumerate(SECOND_ORDER)],
)
def test_second_derivatives_through_cond_match_tensorflow(tf1, program, inputs):
    _compare(tf1, program, inputs)


@pytest.mark.parametrize(
    "program, inputs", PROGRAMS, ids=[f"{p.__name__}-{k}" for k, (p, _) in enumerate(PROGRAMS)]
)
def test_values_and_gradients_match_tensorflow(tf1, program, inputs):
    _compare(tf1, program, inputs)


def test_float32_values_match_tensorflow(tf1):
    x = _f(4, 3).astype(np.float32)
    w = _f(3).astype(np.float32)
    for program in (map_fn_program, scan_program, while_program):
        _compare(
            tf1,
            program,
            [x, w] if program is not while_program else [x[0], w],
            rtol=1e-5,
            atol=1e-6,
        )


def test_static_shapes_match_tensorflow(tf1):
    def shapes(tf):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [4, 3])
            ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
            _, ta = tf.while_loop(
                lambda i, ta: i < 4, lambda i, ta: (i + 1, ta.write(i, x[i])), [tf.constant(0), ta]
            )
            return [
                t.shape.as_list()
                for t in (
                    ta.stack(),
                    tf.map_fn(lambda e: tf.reduce_sum(e), x),
                    tf.scan(lambda a, e: a + e, x),
                    invariant_program(tf, x[:1, :2]),
                    tf.cond(x[0, 0] > 0, lambda: x, lambda: -x),
                )
            ]

    assert shapes(fz) == shapes(tf1)


# -- printing ---------------------------------------------------------------------------------
PRINT_VALUES = [
    np.float32(1 / 3),
    np.array([1 / 3, 1e-8, 1e10, np.nan, -np.inf, -2.5, 1e5, 1234567.0], np.float32),
    np.array([1 / 3, 1e-8, 1e22, 0.1]),
    np.arange(24, dtype=np.int32).reshape(2, 3, 4),
    np.array([True, False]),
    np.zeros([0, 2], np.float32),
    np.arange(7, dtype=np.int64),
    np.array([[1.5, 2.0], [3.0, 4.0]], np.float32),
]


def _printed(tf, capfd, use_v2, summarize):
    g = tf.Graph()
    with g.as_default():
        ops = []
        for k, v in enumerate(PRINT_VALUES):
            kw = {} if summarize is None else {"summarize": summarize}
            if use_v2:
                ops.append(tf.print(f"<{k}>", tf.constant(v), **kw))
            else:
                ops.append(
                    tf.Print(tf.constant(0.0), [tf.constant(v), "s"], message=f"<{k}>", **kw)
                )
        with tf.Session(graph=g) as sess:
            capfd.readouterr()
            out = []
            for op in ops:  # one at a time: TF's kernels may print concurrently
                sess.run(op)
                out.append(capfd.readouterr().err)
    # TF's own log lines (warnings, device notes) are not what the op printed.
    return [
        "".join(ln for ln in o.splitlines(keepends=True) if not re.match(r"[IWE]\d{4}", ln))
        for o in out
    ]


@pytest.mark.parametrize("use_v2", [False, True], ids=["tf.Print", "tf.print"])
@pytest.mark.parametrize("summarize", [None, 2, -1])
def test_print_output_matches_tensorflow(tf1, capfd, use_v2, summarize):
    want = _printed(tf1, capfd, use_v2, summarize)
    got = _printed(fz, capfd, use_v2, summarize)
    assert got == want


def test_assert_message_matches_tensorflow(tf1):
    def message(tf):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [3])
            check = tf.Assert(tf.reduce_all(x > 0), ["x must be positive:", x], summarize=2)
            with tf.Session(graph=g) as sess:
                with pytest.raises(tf.errors.InvalidArgumentError) as info:
                    sess.run(check, {x: [1.0, -2.0, 3.0]})
        return re.search(r"assertion failed: .*?\]\s*\[[^\]]*\]", str(info.value)).group(0)

    assert message(fz) == message(tf1)
