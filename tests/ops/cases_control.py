"""Op-table rows for control flow: If (tf.cond/tf.case), While (tf.while_loop, map_fn, scan,
foldl, foldr), the TensorArray ops, and tf.Print.

Every row goes through the public API; the references are plain Python/NumPy loops. Every If
row also checks the second order (the gradient of an If is an If); While rows are first order
only (as in TF 1.15, see tests/ops/test_control_flow.py); TensorArray rows outside loops also
check the second order.
"""

import dataclasses

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand

i32 = np.int32


def _pos(*shape, seed=0):
    return np.abs(rand(*shape, seed=seed)) + 0.1


def _neg(*shape, seed=0):
    return -_pos(*shape, seed=seed)


# -- If -----------------------------------------------------------------------------------------
def _cond_double_or_sin(x):
    return tf.cond(tf.reduce_sum(x) > 0, lambda: x * 2.0, lambda: tf.sin(x))


def _ref_double_or_sin(x):
    return x * 2.0 if x.sum() > 0 else np.sin(x)


def _ref_nested(x):
    s = x.sum()
    if s > 0:
        return x * x if s > 1 else x * 3.0
    return np.exp(x)


def _ref_case(x):
    s = x.sum()
    if s > 1.0:
        return x * x
    if s > 0.0:
        return np.sin(x)
    return -x


def _case(x):
    s = tf.reduce_sum(x)
    return tf.case([(s > 1.0, lambda: x * x), (s > 0.0, lambda: tf.sin(x))], default=lambda: -x)


IF_CASES = [
    OpCase("If", _cond_double_or_sin, _ref_double_or_sin, [_pos(2, 3)], "true_branch"),
    OpCase("If", _cond_double_or_sin, _ref_double_or_sin, [_neg(2, 3)], "false_branch"),
    OpCase(
        "If",
        lambda x: tf.cond(x > 0.0, lambda: tf.square(x), lambda: -x),
        lambda x: x * x if x > 0 else -x,
        [np.float32(0.7)],
        "scalar",
    ),
    OpCase(
        "If",
        lambda p, x: tf.cond(p, lambda: tf.exp(x), lambda: x * x),
        lambda p, x: np.exp(x) if p else x * x,
        [np.array(False), rand(3)],
        "fed_pred",
    ),
    # captures of two shapes, broadcast inside the branch
    OpCase(
        "If",
        lambda x, y: tf.cond(x[0, 0] < y[0, 0], lambda: x * y, lambda: x - y),
        lambda x, y: x * y if x[0, 0] < y[0, 0] else x - y,
        [rand(3, 1), rand(1, 4, seed=1)],
        "broadcast_pair",
    ),
    OpCase(
        "If",
        lambda x, y: tf.cond(x[0, 0] > y[0, 0], lambda: x * y, lambda: x - y),
        lambda x, y: x * y if x[0, 0] > y[0, 0] else x - y,
        [rand(3, 1), rand(1, 4, seed=1)],
        "broadcast_pair_other",
    ),
    # several outputs (the gradient row differentiates the first)
    OpCase(
        "If",
        lambda x, y: list(
            tf.cond(tf.reduce_mean(x) > 0, lambda: (x * y, tf.tanh(y)), lambda: (x + y, y * y))
        ),
        lambda x, y: [x * y, np.tanh(y)] if x.mean() > 0 else [x + y, y * y],
        [_pos(2, 2), rand(2, 2, seed=3)],
        "two_outputs",
    ),
    # a branch that returns a captured tensor untouched, the other a constant
    OpCase(
        "If",
        lambda x, y: tf.cond(tf.reduce_sum(x) < 0, lambda: x, lambda: y),
        lambda x, y: x if x.sum() < 0 else y,
        [_neg(3), rand(3, seed=2)],
        "passthrough",
    ),
    OpCase(
        "If",
        lambda x: tf.cond(tf.reduce_sum(x) < 0, lambda: x, lambda: tf.zeros_like(x)),
        lambda x: x if x.sum() < 0 else np.zeros_like(x),
        [_pos(3)],
        "constant_branch",
    ),
    OpCase(
        "If",
        lambda x: tf.cond(
            tf.reduce_sum(x) > 0,
            lambda: tf.cond(tf.reduce_sum(x) > 1, lambda: x * x, lambda: x * 3.0),
            lambda: tf.exp(x),
        ),
        _ref_nested,
        [_pos(4)],
        "nested",
    ),
    OpCase("If", _case, _ref_case, [np.array([0.2, 0.3], np.float32)], "case_middle"),
    OpCase("If", _case, _ref_case, [np.array([0.9, 0.8], np.float32)], "case_first"),
    OpCase("If", _case, _ref_case, [np.array([-0.9, 0.2], np.float32)], "case_default"),
]
IF_CASES = [dataclasses.replace(c, second_order=True) for c in IF_CASES]


def _cond_grad(x):
    # The first gradient of a cond reads the taken branch's values through IfSaved; checking
    # its gradient (and the gradient of that) is cond's second and third derivative.
    y = tf.cond(tf.reduce_sum(x) > 0, lambda: x * x * x, lambda: tf.sin(x) * x)
    return tf.gradients(tf.reduce_sum(y), x)[0]


def _ref_cond_grad(x):
    return 3 * x * x if x.sum() > 0 else np.cos(x) * x + np.sin(x)


IF_CASES += [
    OpCase(
        "IfSaved",
        _cond_grad,
        _ref_cond_grad,
        [_pos(2, 3)],
        "cond_grad_true",
        True,
        second_order=True,
    ),
    OpCase(
        "IfSaved",
        _cond_grad,
        _ref_cond_grad,
        [_neg(2, 3)],
        "cond_grad_false",
        True,
        second_order=True,
    ),
]


# -- While --------------------------------------------------------------------------------------
def _while_captured(x, w):
    def body(i, y):
        return i + 1, y * w + tf.sin(y)

    return tf.while_loop(lambda i, y: i < 3, body, (tf.constant(0), x))[1]


def _ref_while_captured(x, w):
    y = x
    for _ in range(3):
        y = y * w + np.sin(y)
    return y


def _while_data_dependent(x, w):
    # The number of iterations depends on the values (locally constant: gradients are fine).
    return tf.while_loop(lambda y: tf.reduce_sum(y) < 5.0, lambda y: y * 1.7 + w, [x])


def _ref_while_data_dependent(x, w):
    y = x
    while y.sum() < 5.0:
        y = y * 1.7 + w
    return y


def _while_max_iter(x):
    return tf.while_loop(
        lambda y: tf.reduce_sum(y) > -1e9, lambda y: tf.tanh(y) + y, [x], maximum_iterations=4
    )


def _ref_while_max_iter(x):
    y = x
    for _ in range(4):
        y = np.tanh(y) + y
    return y


def _while_zero_iterations(x):
    return tf.while_loop(lambda i, y: i < 0, lambda i, y: (i + 1, y * y), (tf.constant(0), x))[1]


def _while_nested(x, w):
    def outer(i, y):
        inner = tf.while_loop(
            lambda j, z: j < 2, lambda j, z: (j + 1, tf.sin(z * w) + z), (tf.constant(0), y)
        )[1]
        return i + 1, inner * 0.5 + w

    return tf.while_loop(lambda i, y: i < 2, outer, (tf.constant(0), x))[1]


def _ref_while_nested(x, w):
    y = x
    for _ in range(2):
        z = y
        for _ in range(2):
            z = np.sin(z * w) + z
        y = z * 0.5 + w
    return y


def _while_cond_inside(x):
    def body(i, y):
        y = tf.cond(tf.equal(i % 2, 0), lambda: y * x, lambda: y + tf.sin(x))
        return i + 1, y

    return tf.while_loop(lambda i, y: i < 5, body, (tf.constant(0), tf.ones_like(x)))[1]


def _ref_while_cond_inside(x):
    y = np.ones_like(x)
    for i in range(5):
        y = y * x if i % 2 == 0 else y + np.sin(x)
    return y


def _while_structured(x, w):
    def body(i, s):
        return i + 1, {"a": s["a"] * w, "b": (s["b"][0] + s["a"],)}

    out = tf.while_loop(lambda i, s: i < 3, body, (tf.constant(0), {"a": x, "b": (x * 2.0,)}))
    return out[1]["b"][0]


def _ref_while_structured(x, w):
    a, b = x, x * 2.0
    for _ in range(3):
        a, b = a * w, b + a
    return b


def _while_broadcast_capture(x, w):
    return tf.while_loop(
        lambda i, y: i < 2, lambda i, y: (i + 1, tf.tanh(y * w)), (tf.constant(0), x)
    )[1]


def _ref_while_broadcast_capture(x, w):
    y = x
    for _ in range(2):
        y = np.tanh(y * w)
    return y


def _ref_map(x):
    return np.stack([np.sum(e * e) * e for e in x])


def _ref_map_two(x, y):
    return [np.stack([a * b for a, b in zip(x, y)]), np.stack([a - b for a, b in zip(x, y)])]


def _ref_scan(x, init=None, reverse=False):
    order = range(len(x) - 1, -1, -1) if reverse else range(len(x))
    out = np.zeros_like(x)
    acc = init
    for k in order:
        acc = x[k] if acc is None else acc * x[k] + x[k]
        out[k] = acc
    return out


def _ref_fold(x, init, reverse=False):
    acc = init
    for e in x[::-1] if reverse else x:
        acc = acc * e + 1.0
    return acc


WHILE_CASES = [
    OpCase(
        "While", _while_captured, _ref_while_captured, [rand(3), rand(3, seed=1)], "captured_input"
    ),
    OpCase(
        "While", _while_captured, _ref_while_captured, [np.float32(0.4), np.float32(0.9)], "scalar"
    ),
    OpCase(
        "While",
        _while_data_dependent,
        _ref_while_data_dependent,
        [np.array([0.3, 0.5], np.float32), np.array([0.2, 0.1], np.float32)],
        "data_dependent_count",
    ),
    OpCase("While", _while_max_iter, _ref_while_max_iter, [rand(2, 2)], "maximum_iterations"),
    OpCase("While", _while_zero_iterations, lambda x: x, [rand(3)], "zero_iterations"),
    OpCase(
        "While",
        _while_nested,
        _ref_while_nested,
        [rand(3), rand(3, seed=1)],
        "nested",
        rtol=1e-5,
        atol=1e-6,
    ),
    OpCase("While", _while_cond_inside, _ref_while_cond_inside, [rand(3)], "cond_inside"),
    OpCase(
        "While",
        _while_structured,
        _ref_while_structured,
        [rand(2), rand(2, seed=1)],
        "structured_loop_vars",
    ),
    OpCase(
        "While",
        _while_broadcast_capture,
        _ref_while_broadcast_capture,
        [rand(2, 3), rand(3, seed=1)],
        "broadcast_capture",
    ),
    OpCase(
        "While",
        lambda x: tf.map_fn(lambda e: tf.reduce_sum(e * e) * e, x),
        _ref_map,
        [rand(4, 2)],
        "map_fn",
    ),
    OpCase(
        "While",
        lambda x, y: list(
            tf.map_fn(lambda ab: (ab[0] * ab[1], ab[0] - ab[1]), (x, y), dtype=(x.dtype, x.dtype))
        ),
        _ref_map_two,
        [rand(3, 2), rand(3, 2, seed=1)],
        "map_fn_structure",
    ),
    OpCase("While", lambda x: tf.map_fn(tf.sin, x), np.sin, [rand(5)], "map_fn_scalar_elems"),
    OpCase("While", lambda x: tf.scan(lambda a, e: a * e + e, x), _ref_scan, [rand(4, 2)], "scan"),
    OpCase(
        "While",
        lambda x, a0: tf.scan(lambda a, e: a * e + e, x, initializer=a0),
        lambda x, a0: _ref_scan(x, a0),
        [rand(3, 2), rand(2, seed=1)],
        "scan_initializer",
    ),
    OpCase(
        "While",
        lambda x: tf.scan(lambda a, e: a * e + e, x, reverse=True),
        lambda x: _ref_scan(x, reverse=True),
        [rand(4, 2)],
        "scan_reverse",
    ),
    OpCase(
        "While",
        lambda x, a0: tf.foldl(lambda a, e: a * e + 1.0, x, initializer=a0),
        _ref_fold,
        [rand(4, 2), rand(2, seed=1)],
        "foldl",
    ),
    OpCase(
        "While",
        lambda x, a0: tf.foldr(lambda a, e: a * e + 1.0, x, initializer=a0),
        lambda x, a0: _ref_fold(x, a0, reverse=True),
        [rand(4, 2), rand(2, seed=1)],
        "foldr",
    ),
]


# -- TensorArray ------------------------------------------------------------------------------
def _ta(x, size, **kw):
    return tf.TensorArray(x.dtype, size=size, **kw)


def _ta_pop_twice(x):
    """TensorArrayPopBack (TF's TensorListPopBack on an imported TensorList): the last element,
    then the one before it."""
    from flowzero.framework.graph import apply_op
    from flowzero.ops.tensor_array_ops import TensorArrayPopBack

    ta = _ta(x, 0, dynamic_size=True).unstack(x)
    h, last = apply_op(TensorArrayPopBack, [ta._handle], ta._attrs())
    _, before = apply_op(TensorArrayPopBack, [h], ta._attrs())
    return last + 2.0 * before


def _ta_set_item_twice(x):
    """TensorArraySetItem (TF's TensorListSetItem on an imported TensorList): index 1 set
    twice, the second value kept."""
    from flowzero.framework.graph import apply_op
    from flowzero.ops.tensor_array_ops import TensorArraySetItem

    ta = _ta(x, 0, dynamic_size=True).unstack(x)
    h = apply_op(TensorArraySetItem, [ta._handle, 1, x[0] * 3.0])
    h = apply_op(TensorArraySetItem, [h, 1, x[2] * 5.0])
    return ta._with(h).stack()


def _sq(t):
    """t * t: makes the upstream gradient depend on the input, so the second order reaches the
    TensorArray ops' own gradient ops."""
    return t * t


def _ta_write_stack(x):
    return _sq(_ta(x, 2).write(0, x).write(1, x * 3.0).stack())


def _ta_dynamic(x):
    ta = _ta(x, 0, dynamic_size=True).write(0, x).write(2, tf.sin(x)).write(1, x * x)
    return ta.stack()


def _ta_loop_stack(x):
    # A TensorArray written one row per iteration, read back after the loop.
    n = tf.shape(x)[0]

    def body(i, ta):
        return i + 1, ta.write(i, tf.tanh(x[i]) * tf.cast(i + 1, x.dtype))

    _, ta = tf.while_loop(lambda i, ta: i < n, body, (tf.constant(0), _ta(x, n)))
    return ta.stack()


def _ref_loop_stack(x):
    return np.stack([np.tanh(x[i]) * (i + 1) for i in range(len(x))])


def _ta_read_pair(x):
    ta = _ta(x, 4).unstack(x)
    return ta.read(1) * ta.read(2)


def _ta_gather(x):
    return _sq(_ta(x, 3, clear_after_read=False).unstack(x).gather([2, 0, 2]))


def _ta_scatter(x):
    return _sq(_ta(x, 3).scatter([2, 0, 1], x).stack())


def _ref_scatter(x):
    out = np.zeros_like(x)
    for k, i in enumerate([2, 0, 1]):
        out[i] = x[k]
    return out * out


def _ta_split_concat(x):
    return _sq(_ta(x, 3, infer_shape=False).split(x, [1, 2, 1]).concat())


def _ta_concat_writes(x):
    ta = _ta(x, 2, infer_shape=False).write(0, x[:1] * 2.0).write(1, tf.exp(x[1:]))
    return _sq(ta.concat())


def _ref_concat_writes(x):
    y = np.concatenate([x[:1] * 2.0, np.exp(x[1:])])
    return y * y


def _ta_split_read(x):
    return _sq(_ta(x, 3).split(x, [1, 2, 1]).read(1))


TA_CASES = [
    OpCase(
        "TensorArrayV3",
        _ta_write_stack,
        lambda x: np.stack([x, x * 3.0]) ** 2,
        [rand(3)],
        "write_stack",
        second_order=True,
    ),
    OpCase(
        "TensorArrayV3",
        lambda x: _ta(x, 1).write(0, x).stack(),
        lambda x: x[None],
        [np.float32(1.5)],
        "scalar_elements",
        second_order=True,
    ),
    OpCase(
        "TensorArrayWriteV3",
        _ta_dynamic,
        lambda x: np.stack([x, x * x, np.sin(x)]),
        [rand(2, 2)],
        "dynamic_size",
        second_order=True,
    ),
    OpCase("TensorArrayWriteV3", _ta_loop_stack, _ref_loop_stack, [rand(4, 3)], "in_while"),
    OpCase(
        "TensorArrayReadV3",
        _ta_read_pair,
        lambda x: x[1] * x[2],
        [rand(4, 2)],
        "unstack_read",
        second_order=True,
    ),
    OpCase(
        "TensorArrayReadV3",
        lambda x: _sq(_ta(x, 3).unstack(x).read(0)),
        lambda x: x[0] * x[0],
        [rand(3)],
        "scalar",
        second_order=True,
    ),
    OpCase(
        "TensorArrayGatherV3",
        _ta_gather,
        lambda x: x[[2, 0, 2]] ** 2,
        [rand(3, 2)],
        "repeated_index",
        second_order=True,
    ),
    OpCase(
        "TensorArrayScatterV3",
        _ta_scatter,
        _ref_scatter,
        [rand(3, 2)],
        "permuted",
        second_order=True,
    ),
    OpCase(
        "TensorArrayConcatV3",
        _ta_concat_writes,
        _ref_concat_writes,
        [rand(3, 2)],
        "uneven_writes",
        second_order=True,
    ),
    OpCase(
        "TensorArrayConcatV3",
        _ta_split_concat,
        lambda x: x * x,
        [rand(4, 2)],
        "split_concat",
        second_order=True,
    ),
    OpCase(
        "TensorArraySplitV3",
        _ta_split_read,
        lambda x: x[1:3] ** 2,
        [rand(4, 2)],
        "read_piece",
        second_order=True,
    ),
    OpCase(
        "TensorArrayPopBack",
        _ta_pop_twice,
        lambda x: x[-1] + 2.0 * x[-2],
        [rand(4, 3)],
        "last_two",
        grad=False,
    ),
    OpCase(
        "TensorArraySetItem",
        _ta_set_item_twice,
        lambda x: np.stack([x[0], x[2] * 5.0, x[2]]),
        [rand(3, 2)],
        "overwrite",
        grad=False,
    ),
    OpCase(
        "TensorArraySizeV3",
        lambda x: _ta(x, 0, dynamic_size=True).unstack(x).size(),
        lambda x: np.int32(len(x)),
        [rand(5, 2)],
        "dynamic",
        grad=False,
    ),
]


# -- Print -------------------------------------------------------------------------------------
PRINT_CASES = [
    OpCase(
        "Print",
        lambda x: tf.Print(x * 2.0, [x], message="op-table row: ", first_n=1),
        lambda x: x * 2.0,
        [rand(2, 3)],
        "identity",
        second_order=True,
    ),
]

CASES = IF_CASES + WHILE_CASES + TA_CASES + PRINT_CASES

_CF = "tests/ops/test_control_flow.py"
EXEMPT = {
    "BranchZeros": "gradient-only (zeros for the captures of the branch not taken): every If "
    "row's gradient checks, both branches",
    "WhileGrad": "gradient-only: every While row's gradient check runs it; second order "
    "refused in " + _CF,
    "_Arg": "a function body's argument (fed by If/While): every If/While row",
    "_RunMarker": "an Operation returned from a cond branch: " + _CF,
    "PrintV2": "no outputs (tf.print): " + _CF,
    "Assert": "no outputs (tf.Assert): " + _CF,
    **{
        op: "gradient-only: the TensorArray rows' first and second order gradient checks"
        for op in (
            "TensorArrayGradWrite",
            "TensorArrayGradScatter",
            "TensorArrayGradSplit",
            "TensorArrayGradRead",
            "TensorArrayGradGather",
            "TensorArrayGradConcat",
            "TensorArrayGradAdd",
            "TensorArrayGradZeros",
        )
    },
}
