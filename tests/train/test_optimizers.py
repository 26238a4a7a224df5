"""Optimizers vs NumPy references of TensorFlow's (and the book's) documented update rules.

Each optimizer runs 20 steps on two fixed problems (an elementwise quadratic and a small linear
regression) in float64 and float32; the variables are compared with a reference, written
separately below in plain NumPy (float64), after every step. `pytest -s` prints a table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import flowzero as tf
import flowzero.train as train
from flowzero.train import clip

STEPS = 20
TOL = 1e-6


# -- NumPy references (from TF's docs / training_ops.cc, and the book's common/optimizer.py) ---
# A reference is a function (w, g, state, t) -> new w, with `state` a dict it fills on the
# first call (t = 1, 2, ...). All math in float64.


def ref_gd(lr):
    def step(w, g, s, t):
        return w - lr * g

    return step


def ref_momentum(lr, mu, nesterov=False):
    def step(w, g, s, t):
        a = s.setdefault("accum", np.zeros_like(w))
        a[...] = mu * a + g
        if nesterov:
            return w - lr * (g + mu * a)
        return w - lr * a

    return step


def ref_adagrad(lr, init=0.1):
    def step(w, g, s, t):
        a = s.setdefault("accum", np.full_like(w, init))
        a += g * g
        return w - lr * g / np.sqrt(a)

    return step


def ref_rmsprop(lr, decay=0.9, momentum=0.0, eps=1e-10, centered=False):
    def step(w, g, s, t):
        ms = s.setdefault("ms", np.ones_like(w))  # TF1 starts the rms slot at ONES
        mom = s.setdefault("mom", np.zeros_like(w))
        mg = s.setdefault("mg", np.zeros_like(w))
        ms[...] = decay * ms + (1 - decay) * g * g
        if centered:
            mg[...] = decay * mg + (1 - decay) * g
            denom = ms - mg * mg + eps
        else:
            denom = ms + eps
        mom[...] = momentum * mom + lr * g / np.sqrt(denom)
        return w - mom

    return step


def ref_adam(lr=0.001, b1=0.9, b2=0.999, eps=1e-8, q=float):
    # beta1^t, beta2^t are variables multiplied by beta each step, in their own dtype (`q`
    # rounds): in float32, 1 - beta2^t loses digits, and TF's result shows it.
    def step(w, g, s, t):
        m = s.setdefault("m", np.zeros_like(w))
        v = s.setdefault("v", np.zeros_like(w))
        b1p = s["b1p"] = q(s.get("b1p", 1.0) * b1)
        b2p = s["b2p"] = q(s.get("b2p", 1.0) * b2)
        lr_t = lr * np.sqrt(1 - b2p) / (1 - b1p)
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        return w - lr_t * m / (np.sqrt(v) + eps)

    return step


def ref_adadelta(lr=0.001, rho=0.95, eps=1e-8):
    def step(w, g, s, t):
        acc = s.setdefault("accum", np.zeros_like(w))
        au = s.setdefault("accum_update", np.zeros_like(w))
        acc[...] = rho * acc + (1 - rho) * g * g
        upd = np.sqrt(au + eps) / np.sqrt(acc + eps) * g
        au[...] = rho * au + (1 - rho) * upd * upd
        return w - lr * upd

    return step


def ref_book_momentum(lr=0.01, mu=0.9):
    def step(w, g, s, t):
        v = s.setdefault("v", np.zeros_like(w))
        v[...] = mu * v - lr * g
        return w + v

    return step


def ref_book_nesterov(lr=0.01, mu=0.9):
    def step(w, g, s, t):
        v = s.setdefault("v", np.zeros_like(w))
        v *= mu
        v -= lr * g
        return w + mu * mu * v - (1 + mu) * lr * g

    return step


def ref_book_adagrad(lr=0.01):
    def step(w, g, s, t):
        h = s.setdefault("h", np.zeros_like(w))
        h += g * g
        return w - lr * g / (np.sqrt(h) + 1e-7)

    return step


def ref_book_rmsprop(lr=0.01, decay_rate=0.99):
    def step(w, g, s, t):
        h = s.setdefault("h", np.zeros_like(w))
        h[...] = decay_rate * h + (1 - decay_rate) * g * g
        return w - lr * g / (np.sqrt(h) + 1e-7)

    return step


def ref_book_adam(lr=0.001, b1=0.9, b2=0.999):
    def step(w, g, s, t):
        m = s.setdefault("m", np.zeros_like(w))
        v = s.setdefault("v", np.zeros_like(w))
        lr_t = lr * np.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m += (1 - b1) * (g - m)
        v += (1 - b2) * (g**2 - v)
        return w - lr_t * m / (np.sqrt(v) + 1e-7)

    return step


@dataclasses.dataclass
class Spec:
    name: str
    make: Callable[[], Any]
    ref: Callable[[], Any]


# `q` rounds a hyper-parameter to the variable's dtype: TF's update ops take every scalar in
# the variable's dtype (float32(0.999) != 0.999 matters at 1e-6 for Adam in float32). The
# book's formulas use Python floats, so their references take the exact values.
SPECS = [
    Spec(
        "GradientDescent", lambda: train.GradientDescentOptimizer(0.05), lambda q: ref_gd(q(0.05))
    ),
    Spec(
        "Momentum",
        lambda: train.MomentumOptimizer(0.05, 0.9),
        lambda q: ref_momentum(q(0.05), q(0.9)),
    ),
    Spec(
        "Momentum-nesterov",
        lambda: train.MomentumOptimizer(0.05, 0.9, use_nesterov=True),
        lambda q: ref_momentum(q(0.05), q(0.9), nesterov=True),
    ),
    Spec("Adagrad", lambda: train.AdagradOptimizer(0.3), lambda q: ref_adagrad(q(0.3), q(0.1))),
    Spec(
        "RMSProp",
        lambda: train.RMSPropOptimizer(0.05),
        lambda q: ref_rmsprop(q(0.05), q(0.9), q(0.0), q(1e-10)),
    ),
    Spec(
        "RMSProp-momentum",
        lambda: train.RMSPropOptimizer(0.02, momentum=0.9),
        lambda q: ref_rmsprop(q(0.02), q(0.9), q(0.9), q(1e-10)),
    ),
    Spec(
        "RMSProp-centered",
        lambda: train.RMSPropOptimizer(0.05, decay=0.8, momentum=0.5, epsilon=1e-6, centered=True),
        lambda q: ref_rmsprop(q(0.05), q(0.8), q(0.5), q(1e-6), centered=True),
    ),
    Spec(
        "Adam",
        lambda: train.AdamOptimizer(0.1),
        lambda q: ref_adam(q(0.1), q(0.9), q(0.999), q(1e-8), q),
    ),
    Spec(
        "Adam-defaults",
        lambda: train.AdamOptimizer(),
        lambda q: ref_adam(q(0.001), q(0.9), q(0.999), q(1e-8), q),
    ),
    Spec(
        "Adadelta",
        lambda: train.AdadeltaOptimizer(1.0),
        lambda q: ref_adadelta(q(1.0), q(0.95), q(1e-8)),
    ),
    Spec(
        "Adadelta-defaults",
        lambda: train.AdadeltaOptimizer(),
        lambda q: ref_adadelta(q(0.001), q(0.95), q(1e-8)),
    ),
    Spec("book.SGD", lambda: train.book.SGD(), lambda q: ref_gd(0.01)),
    Spec("book.Momentum", lambda: train.book.Momentum(), lambda q: ref_book_momentum()),
    Spec("book.Nesterov", lambda: train.book.Nesterov(), lambda q: ref_book_nesterov()),
    Spec("book.AdaGrad", lambda: train.book.AdaGrad(lr=0.1), lambda q: ref_book_adagrad(0.1)),
    Spec("book.RMSprop", lambda: train.book.RMSprop(), lambda q: ref_book_rmsprop()),
    Spec("book.Adam", lambda: train.book.Adam(lr=0.1), lambda q: ref_book_adam(0.1)),
    Spec("book.Adam-defaults", lambda: train.book.Adam(), lambda q: ref_book_adam()),
]


# -- problems: graph loss + NumPy gradient ----------------------------------------------------
_rng = np.random.default_rng(7)
A = _rng.uniform(0.5, 2.0, (2, 3))
C = _rng.uniform(-1.0, 1.0, (2, 3))
W0 = C + _rng.choice([-1.0, 1.0], (2, 3)) * _rng.uniform(1.5, 3.0, (2, 3))
X = _rng.normal(size=(8, 3))
Y = X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * _rng.normal(size=(8, 1))
LW0, LB0 = np.array([[-1.0], [1.0], [2.0]]), np.array([-1.0])


def quadratic(dt):
    """loss = sum(a * (w - c)^2); grad = 2 a (w - c)."""
    w = tf.Variable(W0.astype(dt), name="w")
    d = w - tf.constant(C.astype(dt))
    loss = tf.reduce_sum(tf.constant(A.astype(dt)) * d * d)

    def grads(ws):
        return [2 * A * (ws[0] - C)]

    return [w], loss, [W0.astype(dt).astype(np.float64)], grads


def regression(dt):
    """loss = mean((X w + b - y)^2)."""
    w = tf.Variable(LW0.astype(dt), name="w")
    b = tf.Variable(LB0.astype(dt), name="b")
    r = tf.matmul(tf.constant(X.astype(dt)), w) + b - tf.constant(Y.astype(dt))
    loss = tf.reduce_mean(r * r)

    def grads(ws):
        res = X @ ws[0] + ws[1] - Y
        d = 2 * res / len(X)
        return [X.T @ d, d.sum(0)]

    start = [LW0.astype(dt).astype(np.float64), LB0.astype(dt).astype(np.float64)]
    return [w, b], loss, start, grads


PROBLEMS = {"quadratic": quadratic, "regression": regression}


def run_case(spec: Spec, problem: str, dt: Any) -> float:
    """Runs 20 steps of graph and reference side by side; returns the max abs difference."""
    tf.reset_default_graph()
    vars_, loss, ws, grads = PROBLEMS[problem](dt)
    train_op = spec.make().minimize(loss)
    ref = spec.ref(lambda x: float(np.asarray(x, dt)))
    states: list[dict[str, Any]] = [{} for _ in ws]
    worst = 0.0
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for t in range(1, STEPS + 1):
            gs = grads(ws)
            ws = [ref(w, g, s, t) for w, g, s in zip(ws, gs, states)]
            sess.run(train_op)
            got = sess.run(vars_)
            for v, w in zip(got, ws):
                assert v.dtype == np.dtype(dt), f"{spec.name}: variable became {v.dtype}"
                diff = float(np.max(np.abs(v.astype(np.float64) - w)))
                worst = max(worst, diff)
                np.testing.assert_allclose(
                    v, w, rtol=0, atol=TOL, err_msg=f"{spec.name} {problem} {dt} step {t}"
                )
    return worst


@pytest.mark.parametrize("dt", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_matches_numpy_reference(spec: Spec, problem: str, dt: Any) -> None:
    run_case(spec, problem, dt)


def test_print_max_diff_table() -> None:
    rows = []
    for spec in SPECS:
        diffs = {
            (p, np.dtype(dt).name): run_case(spec, p, dt)
            for p in PROBLEMS
            for dt in (np.float64, np.float32)
        }
        rows.append((spec.name, diffs))
    cols = [(p, d) for p in PROBLEMS for d in ("float64", "float32")]
    print(f"\nmax |flowzero - NumPy reference| over {STEPS} steps (shown with pytest -s)")
    print(f"{'optimizer':<20}" + "".join(f"{p[:5] + ' ' + d:>18}" for p, d in cols))
    for name, diffs in rows:
        print(f"{name:<20}" + "".join(f"{diffs[c]:>18.3e}" for c in cols))
    assert all(max(d.values()) <= TOL for _, d in rows)


# -- slots, names, collections -------------------------------------------------------------
def _quad_loss(*vs):
    return tf.add_n([tf.reduce_sum(v * v) for v in vs])


def test_adam_slots_names_and_non_slot_variables() -> None:
    w = tf.Variable(np.ones((2, 3), np.float32), name="w")
    b = tf.Variable(np.zeros(3, np.float32), name="b")
    opt = train.AdamOptimizer(0.1)
    opt.minimize(_quad_loss(w, b))
    assert opt.get_slot_names() == ["m", "v"]
    assert opt.get_slot(w, "m").name == "w/Adam:0"
    assert opt.get_slot(w, "v").name == "w/Adam_1:0"
    assert opt.get_slot(b, "m").name == "b/Adam:0"
    assert opt.get_slot(w, "nope") is None
    assert opt.get_slot(tf.Variable(1.0, name="other"), "m") is None
    names = [v.name for v in opt.variables()]
    assert names == [
        "b/Adam:0",
        "b/Adam_1:0",
        "beta1_power:0",
        "beta2_power:0",
        "w/Adam:0",
        "w/Adam_1:0",
    ]
    slot = opt.get_slot(w, "m")
    assert not slot.trainable and slot.dtype == tf.float32 and slot.shape.as_list() == [2, 3]
    assert slot in tf.global_variables() and slot not in tf.trainable_variables()
    ops = {o.name for o in tf.get_default_graph().get_operations()}
    assert {"Adam/update_w/ApplyAdam", "Adam/update_b/ApplyAdam", "Adam"} <= ops
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        b1p = opt._get_non_slot_variable("beta1_power")
        np.testing.assert_allclose(sess.run(b1p), 0.9, rtol=1e-7)
        sess.run(tf.get_default_graph().get_operation_by_name("Adam"))
        np.testing.assert_allclose(sess.run(b1p), 0.81, rtol=1e-6)
        np.testing.assert_allclose(sess.run(opt.get_slot(b, "v")), 0.0)


SLOT_CASES = [
    (lambda: train.MomentumOptimizer(0.1, 0.9), {"momentum": ("w/Momentum:0", 0.0)}),
    (lambda: train.AdagradOptimizer(0.1), {"accumulator": ("w/Adagrad:0", 0.1)}),
    (
        lambda: train.AdagradOptimizer(0.1, initial_accumulator_value=0.5, name="Ag"),
        {"accumulator": ("w/Ag:0", 0.5)},
    ),
    (
        lambda: train.RMSPropOptimizer(0.1),
        {"rms": ("w/RMSProp:0", 1.0), "momentum": ("w/RMSProp_1:0", 0.0)},
    ),
    (
        lambda: train.RMSPropOptimizer(0.1, centered=True, name="C"),
        {"rms": ("w/C:0", 1.0), "mg": ("w/C_1:0", 0.0), "momentum": ("w/C_2:0", 0.0)},
    ),
    (
        lambda: train.AdadeltaOptimizer(),
        {"accum": ("w/Adadelta:0", 0.0), "accum_update": ("w/Adadelta_1:0", 0.0)},
    ),
    (lambda: train.book.Momentum(), {"v": ("w/Momentum:0", 0.0)}),
    (lambda: train.book.Nesterov(), {"v": ("w/Nesterov:0", 0.0)}),
    (lambda: train.book.AdaGrad(), {"h": ("w/AdaGrad:0", 0.0)}),
    (lambda: train.book.RMSprop(), {"h": ("w/RMSprop:0", 0.0)}),
    (lambda: train.book.Adam(), {"m": ("w/Adam:0", 0.0), "v": ("w/Adam_1:0", 0.0)}),
]


@pytest.mark.parametrize(
    "make,slots", SLOT_CASES, ids=[str(sorted(s.values())) for _, s in SLOT_CASES]
)
def test_slot_names_and_initial_values(make: Any, slots: dict[str, Any]) -> None:
    w = tf.Variable(np.ones(3), name="w")
    opt = make()
    opt.minimize(tf.reduce_sum(w * w))
    assert opt.get_slot_names() == sorted(slots)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for s, (name, init) in slots.items():
            slot = opt.get_slot(w, s)
            assert slot.name == name and slot.dtype == tf.float64 and not slot.trainable
            np.testing.assert_array_equal(sess.run(slot), np.full(3, init))
    assert train.GradientDescentOptimizer(0.1).get_slot_names() == []


def test_minimize_twice_reuses_slots() -> None:
    w = tf.Variable([1.0, 2.0], name="w")
    opt = train.MomentumOptimizer(0.1, 0.9)
    opt.minimize(tf.reduce_sum(w * w))
    first = opt.get_slot(w, "momentum")
    opt.minimize(tf.reduce_sum(w))
    assert opt.get_slot(w, "momentum") is first and len(opt.variables()) == 1


def test_optimizer_requires_a_name() -> None:
    with pytest.raises(ValueError, match="Must specify the optimizer name"):
        train.Optimizer(False, "")
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


# -- global step ---------------------------------------------------------------------------
def test_global_step_increments_after_updates() -> None:
    w = tf.Variable([1.0, 2.0], name="w")
    step = train.create_global_step()
    assert step.name == "global_step:0" and step.dtype == tf.int64 and not step.trainable
    assert step in tf.get_collection(tf.GraphKeys.GLOBAL_STEP)
    assert step in tf.global_variables() and train.get_global_step() is step
    assert train.get_or_create_global_step() is step
    with pytest.raises(ValueError, match="already exists"):
        train.create_global_step()
    train_op = train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(w * w), global_step=step)
    assert train_op.name == "GradientDescent" and train_op.type == "AssignAdd"
    assert train_op in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for i in range(1, 4):
            sess.run(train_op)
            assert sess.run(step) == i
            assert train.global_step(sess, step) == i
        np.testing.assert_allclose(sess.run(w), np.array([1.0, 2.0]) * 0.8**3)


def test_get_global_step_none_and_get_or_create() -> None:
    assert train.get_global_step() is None
    step = train.get_or_create_global_step()
    assert step is train.get_global_step() and step.shape.as_list() == []


def test_train_op_without_global_step_is_a_group_named_like_the_optimizer() -> None:
    w = tf.Variable([1.0], name="w")
    op = train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(w * w), name="train")
    assert op.type == "NoOp" and op.name == "train"
    assert isinstance(op, tf.Operation)


# -- var_list, None gradients, errors ------------------------------------------------------
def test_var_list_selects_what_is_trained() -> None:
    w1 = tf.Variable([1.0, 2.0], name="w1")
    w2 = tf.Variable([3.0], name="w2")
    frozen = tf.Variable([5.0], name="frozen", trainable=False)
    loss = tf.reduce_sum(w1 * w1) + tf.reduce_sum(w2 * w2) + tf.reduce_sum(frozen * frozen)
    opt = train.GradientDescentOptimizer(0.25)
    gv = opt.compute_gradients(loss)
    assert [v for _, v in gv] == [w1, w2]  # default: TRAINABLE_VARIABLES only
    op = opt.minimize(loss, var_list=[w1])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        np.testing.assert_allclose(sess.run(w1), [0.5, 1.0])
        assert sess.run(w2) == [3.0] and sess.run(frozen) == [5.0]


def test_none_gradients_are_skipped() -> None:
    w = tf.Variable([1.0, 2.0], name="w")
    unused = tf.Variable([7.0], name="unused")
    opt = train.MomentumOptimizer(0.5, 0.0)
    gv = opt.compute_gradients(tf.reduce_sum(w * w), var_list=[w, unused])
    assert gv[1][0] is None and gv[1][1] is unused
    op = opt.apply_gradients(gv)
    assert opt.get_slot(unused, "momentum") is None
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        np.testing.assert_allclose(sess.run(w), [0.0, 0.0])
        assert sess.run(unused) == [7.0]


def test_no_gradients_error() -> None:
    w = tf.Variable([1.0], name="w")
    v = tf.Variable([2.0], name="v")
    loss = tf.reduce_sum(v * v)
    opt = train.GradientDescentOptimizer(0.1)
    with pytest.raises(
        ValueError,
        match=r"No gradients provided for any variable, check your "
        r"graph for ops that do not support gradients, between variables "
        r"\[.*'w:0'.*\] and loss",
    ):
        opt.minimize(loss, var_list=[w])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, w)])
    with pytest.raises(ValueError, match="No variables provided"):
        opt.apply_gradients([])


def test_no_variables_to_optimize() -> None:
    x = tf.constant([1.0])
    with pytest.raises(ValueError, match="No variables to optimize."):
        train.AdamOptimizer().minimize(tf.reduce_sum(x * x))


def test_integer_loss_is_rejected() -> None:
    tf.Variable([1.0], name="w")
    with pytest.raises(ValueError, match="Invalid type int32"):
        train.GradientDescentOptimizer(0.1).compute_gradients(tf.constant(3))


def test_gradient_dtype_must_match_variable() -> None:
    w = tf.Variable(np.ones(2, np.float32), name="w")
    with pytest.raises(
        TypeError,
        match="ApplyGradientDescent.*grad must have the variable's dtype float32; got float64",
    ):
        train.GradientDescentOptimizer(0.1).apply_gradients([(tf.constant(np.ones(2)), w)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="same shape"):
        train.GradientDescentOptimizer(0.1).apply_gradients(
            [(tf.constant(np.ones(3, np.float32)), w)]
        )


def test_uninitialized_slot_names_itself() -> None:
    w = tf.Variable([1.0], name="w")
    op = train.MomentumOptimizer(0.1, 0.9).minimize(tf.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(tf.errors.FailedPreconditionError, match="w/Momentum"):
            sess.run(op)


# -- in place, dtypes, hyper-parameters as tensors -------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: train.GradientDescentOptimizer(0.1),
        lambda: train.AdamOptimizer(0.1),
        lambda: train.RMSPropOptimizer(0.1, centered=True),
        lambda: train.book.Adam(),
    ],
    ids=["GradientDescent", "Adam", "RMSProp-centered", "book.Adam"],
)
def test_update_is_in_place_and_fetches_are_copies(make: Any) -> None:
    w = tf.Variable(np.array([1.0, -2.0], np.float32), name="w")
    opt = make()
    op = opt.minimize(tf.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        storage = sess._ctx.cell("w").value
        slots = [sess._ctx.cell(v.op.name).value for v in opt.variables()]
        before = sess.run(w)
        sess.run(op)
        sess.run(op)
        assert sess._ctx.cell("w").value is storage
        assert all(sess._ctx.cell(v.op.name).value is s for v, s in zip(opt.variables(), slots))
        np.testing.assert_array_equal(before, [1.0, -2.0])  # the fetched copy is untouched
        assert not np.array_equal(storage, before)
        assert storage.dtype == np.float32


def test_train_op_output_fetch_is_a_copy() -> None:
    w = tf.Variable([1.0], name="w")
    opt = train.GradientDescentOptimizer(0.5)
    upd = opt.apply_gradients([(tf.constant([1.0]), w)])
    apply_t = (
        tf.get_default_graph()
        .get_operation_by_name("GradientDescent/update_w/ApplyGradientDescent")
        .outputs[0]
    )
    with tf.Session() as sess:
        sess.run(w.initializer)
        a = sess.run(apply_t)
        sess.run(upd)
        assert a == [0.5] and sess.run(w) == [0.0]


def test_loss_fetched_with_train_op_is_before_the_update() -> None:
    w = tf.Variable([2.0], name="w")
    loss = tf.reduce_sum(w * w)
    op = train.GradientDescentOptimizer(0.25).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        _, l0 = sess.run([op, loss])
        assert l0 == 4.0 and sess.run(loss) == 1.0


def test_float32_stays_float32_with_float64_and_fed_learning_rate() -> None:
    w = tf.Variable(np.array([1.0, 2.0], np.float32), name="w")
    lr = tf.placeholder(tf.float64, [])
    opt = train.MomentumOptimizer(lr, momentum=np.float64(0.5))
    op = opt.minimize(tf.reduce_sum(w * w))
    assert opt.get_slot(w, "momentum").dtype == tf.float32
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op, {lr: 0.1})
        got = sess.run(w)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, [0.8, 1.6], rtol=1e-6)
        sess.run(op, {lr: 0.0})
        np.testing.assert_array_equal(sess.run(w), got)
        assert sess.run(opt.get_slot(w, "momentum")).dtype == np.float32


def test_callable_and_variable_hyper_parameters() -> None:
    w = tf.Variable([1.0], name="w")
    lr_var = tf.Variable(0.5, name="lr", trainable=False)
    op = train.GradientDescentOptimizer(lambda: lr_var).minimize(tf.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        assert sess.run(w) == [0.0]


def test_gate_graph_and_grad_loss() -> None:
    w = tf.Variable([1.0, 2.0], name="w")
    opt = train.GradientDescentOptimizer(0.5)
    gv = opt.compute_gradients(
        tf.reduce_sum(w * w), gate_gradients=opt.GATE_GRAPH, grad_loss=tf.constant(2.0)
    )
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_allclose(sess.run(gv[0][0]), [4.0, 8.0])


# -- the UPDATE_OPS guard ------------------------------------------------------------------
def test_update_ops_run_with_the_train_op() -> None:
    w = tf.Variable([1.0], name="w")
    counter = tf.Variable(0, name="counter", trainable=False)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1))
    op = train.AdamOptimizer().minimize(tf.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        sess.run(op)
        assert sess.run(counter) == 2


def test_update_ops_guard_with_the_tf1_idiom_runs_them_once() -> None:
    w = tf.Variable([1.0], name="w")
    counter = tf.Variable(0, name="counter", trainable=False)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1).op)
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        op = train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(w * w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        assert sess.run(counter) == 1


def test_update_ops_guard_in_apply_gradients() -> None:
    w = tf.Variable([1.0], name="w")
    moving = tf.Variable(0.0, name="moving_mean", trainable=False)
    tf.add_to_collection(
        tf.GraphKeys.UPDATE_OPS, tf.assign(moving, moving * 0.5 + tf.reduce_sum(w) * 0.5)
    )
    opt = train.GradientDescentOptimizer(0.5)
    op = opt.apply_gradients(opt.compute_gradients(tf.reduce_sum(w * w)))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        # the moving average saw w before its update (1.0), and w was updated once
        assert sess.run(moving) == 0.5 and sess.run(w) == [0.0]


# -- learning-rate schedules ---------------------------------------------------------------
def np_exponential(lr, s, ds, rate, staircase=False):
    p = np.floor(s / ds) if staircase else s / ds
    return lr * rate**p


def np_piecewise(x, boundaries, values):
    for b, v in zip(boundaries, values):
        if x <= b:
            return v
    return values[-1]


def np_polynomial(lr, s, ds, end=0.0001, power=1.0, cycle=False):
    if cycle:
        ds = ds * max(1.0, np.ceil(s / ds))
    else:
        s = min(s, ds)
    return (lr - end) * (1 - s / ds) ** power + end


def np_natural_exp(lr, s, ds, rate, staircase=False):
    p = np.floor(s / ds) if staircase else s / ds
    return lr * np.exp(-rate * p)


def np_inverse_time(lr, s, ds, rate, staircase=False):
    p = np.floor(s / ds) if staircase else s / ds
    return lr / (1 + rate * p)


def np_cosine(lr, s, ds, alpha=0.0):
    s = min(s, ds)
    return lr * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * s / ds)) + alpha)


SCHEDULES = [
    (
        "exponential",
        lambda s: train.exponential_decay(0.1, s, 10, 0.5),
        lambda s: np_exponential(0.1, s, 10, 0.5),
    ),
    (
        "exponential-staircase",
        lambda s: train.exponential_decay(0.1, s, 7, 0.9, staircase=True),
        lambda s: np_exponential(0.1, s, 7, 0.9, True),
    ),
    (
        "piecewise",
        lambda s: train.piecewise_constant(s, [5, 15], [1.0, 0.5, 0.1]),
        lambda s: np_piecewise(s, [5, 15], [1.0, 0.5, 0.1]),
    ),
    ("piecewise-one", lambda s: train.piecewise_constant(s, [], [0.3]), lambda s: 0.3),
    (
        "polynomial",
        lambda s: train.polynomial_decay(0.1, s, 20),
        lambda s: np_polynomial(0.1, s, 20),
    ),
    (
        "polynomial-power-cycle",
        lambda s: train.polynomial_decay(0.1, s, 7, end_learning_rate=0.01, power=2.0, cycle=True),
        lambda s: np_polynomial(0.1, s, 7, 0.01, 2.0, cycle=True),
    ),
    (
        "natural_exp",
        lambda s: train.natural_exp_decay(0.1, s, 10, 0.5),
        lambda s: np_natural_exp(0.1, s, 10, 0.5),
    ),
    (
        "natural_exp-staircase",
        lambda s: train.natural_exp_decay(0.1, s, 4, 0.5, staircase=True),
        lambda s: np_natural_exp(0.1, s, 4, 0.5, True),
    ),
    (
        "inverse_time",
        lambda s: train.inverse_time_decay(0.1, s, 10, 0.5),
        lambda s: np_inverse_time(0.1, s, 10, 0.5),
    ),
    (
        "inverse_time-staircase",
        lambda s: train.inverse_time_decay(0.1, s, 3, 0.5, staircase=True),
        lambda s: np_inverse_time(0.1, s, 3, 0.5, True),
    ),
    ("cosine", lambda s: train.cosine_decay(0.1, s, 20), lambda s: np_cosine(0.1, s, 20)),
    (
        "cosine-alpha",
        lambda s: train.cosine_decay(0.1, s, 20, alpha=0.2),
        lambda s: np_cosine(0.1, s, 20, 0.2),
    ),
]


@pytest.mark.parametrize(
    "build,ref", [(b, r) for _, b, r in SCHEDULES], ids=[n for n, _, _ in SCHEDULES]
)
def test_learning_rate_schedule_matches_numpy(build: Any, ref: Any) -> None:
    step = tf.placeholder(tf.int64, [])
    lr = build(step)
    assert lr.dtype == tf.float32 and lr.shape.as_list() == []
    with tf.Session() as sess:
        for s in range(0, 31):
            got = sess.run(lr, {step: s})
            np.testing.assert_allclose(got, ref(s), rtol=2e-6, atol=0, err_msg=f"step {s}")


def test_schedules_require_global_step() -> None:
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        train.exponential_decay(0.1, None, 10, 0.5)
    with pytest.raises(ValueError, match="1 less than the length of values"):
        train.piecewise_constant(tf.constant(1), [1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="same dtype"):
        train.piecewise_constant(
            tf.constant(1), [1], [tf.constant(0.1), tf.constant(np.float64(0.2))]
        )


def test_decayed_learning_rate_drives_training_with_the_global_step() -> None:
    w = tf.Variable([4.0], name="w")
    step = train.get_or_create_global_step()
    lr = train.exponential_decay(0.1, step, 2, 0.5, staircase=True)
    op = train.GradientDescentOptimizer(lr).minimize(tf.reduce_sum(w * w), global_step=step)
    want = np.array([4.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for s in range(6):
            want = want - np_exponential(0.1, s, 2, 0.5, True) * 2 * want
            sess.run(op)
            np.testing.assert_allclose(sess.run(w), want, rtol=1e-6)
        assert sess.run(step) == 6


# -- clipping ------------------------------------------------------------------------------
def test_clip_by_global_norm_values() -> None:
    a = np.array([3.0, 4.0], np.float32)
    b = np.array([[12.0]], np.float32)
    (ca, none, cb), norm = clip.clip_by_global_norm([tf.constant(a), None, tf.constant(b)], 6.5)
    assert none is None
    (ua, ub), unclipped_norm = clip.clip_by_global_norm([tf.constant(a), tf.constant(b)], 100.0)
    with tf.Session() as sess:
        got_a, got_b, got_norm, ga, gb, gn = sess.run([ca, cb, norm, ua, ub, unclipped_norm])
    want_norm = np.sqrt((a**2).sum() + (b**2).sum())
    np.testing.assert_allclose(got_norm, want_norm, rtol=1e-6)
    np.testing.assert_allclose(got_a, a * 6.5 / want_norm, rtol=1e-6)
    np.testing.assert_allclose(got_b, b * 6.5 / want_norm, rtol=1e-6)
    np.testing.assert_allclose(ga, a, rtol=1e-6)
    np.testing.assert_allclose(gb, b, rtol=1e-6)
    assert got_a.dtype == np.float32 and gn == want_norm


# NOTE: the Sub kernel lets NumPy warn on inf - inf (TF is silent); the NaN is the point here.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_clip_by_global_norm_use_norm_inf_and_errors() -> None:
    t = tf.constant([1.0, 1.0])
    (c,), n = clip.clip_by_global_norm([t], 1.0, use_norm=tf.constant(4.0))
    (cinf,), _ = clip.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(c), [0.25, 0.25])
        assert sess.run(n) == 4.0
        assert np.isnan(sess.run(cinf)).all()
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        clip.clip_by_global_norm(t, 1.0)
    assert np.isclose(
        tf.Session().run(clip.global_norm([t, None, tf.constant([2.0])])), np.sqrt(6.0)
    )


def test_clip_by_norm_values_axes_and_zero() -> None:
    x = np.array([[3.0, 4.0], [0.3, 0.4]], np.float32)
    with tf.Session() as sess:
        np.testing.assert_allclose(
            sess.run(clip.clip_by_norm(tf.constant(x), 1.0)), x / np.sqrt((x**2).sum()), rtol=1e-6
        )
        np.testing.assert_allclose(
            sess.run(clip.clip_by_norm(tf.constant(x), 1.0, axes=[1])),
            [[0.6, 0.8], [0.3, 0.4]],
            rtol=1e-6,
        )
        np.testing.assert_allclose(sess.run(clip.clip_by_norm(tf.constant(x), 10.0)), x)
        zero = tf.constant(np.zeros(3))
        (dz,) = tf.gradients(tf.reduce_sum(clip.clip_by_norm(zero, 1.0)), [zero])
        np.testing.assert_array_equal(sess.run(clip.clip_by_norm(zero, 1.0)), np.zeros(3))
        np.testing.assert_array_equal(sess.run(dz), np.ones(3))  # finite at zero
        np.testing.assert_allclose(
            sess.run(clip.clip_by_average_norm(tf.constant([3.0, 4.0]), 1.0)), [1.2, 1.6]
        )


def test_clip_by_global_norm_in_a_training_step() -> None:
    w = tf.Variable([30.0, 40.0], name="w")
    opt = train.GradientDescentOptimizer(1.0)
    grads, vars_ = zip(*opt.compute_gradients(tf.reduce_sum(w * w)))
    clipped, _ = clip.clip_by_global_norm(list(grads), 5.0)
    op = opt.apply_gradients(zip(clipped, vars_))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        np.testing.assert_allclose(sess.run(w), [27.0, 36.0], rtol=1e-6)


def test_namespaces_export_what_they_list() -> None:
    for mod in (train, clip, train.book):
        for name in mod.__all__:
            assert getattr(mod, name) is not None, f"{mod.__name__}.{name}"


def test_adam_with_mixed_dtypes_keeps_each_dtype() -> None:
    w32 = tf.Variable(np.ones(2, np.float32), name="w32")
    w64 = tf.Variable(np.ones(2), name="w64")
    opt = train.AdamOptimizer(0.1)
    op = opt.minimize(tf.reduce_sum(w32 * w32) + tf.cast(tf.reduce_sum(w64 * w64), tf.float32))
    assert opt._get_non_slot_variable("beta1_power").dtype == tf.float32
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        a, b = sess.run([w32, w64])
    assert a.dtype == np.float32 and b.dtype == np.float64
    np.testing.assert_allclose(a, 0.9, rtol=1e-6)
    np.testing.assert_allclose(b, 0.9, rtol=1e-6)


def test_apply_op_requires_variable_refs() -> None:
    from flowzero.train.gradient_descent import ApplyGradientDescent
    from flowzero.train.optimizer import apply_op

    x = tf.constant([1.0, 2.0])
    with pytest.raises(TypeError, match="ApplyGradientDescent.*var must be a Variable's ref"):
        apply_op(ApplyGradientDescent, [x], [tf.constant(0.1), x])
    w = tf.Variable([1.0, 2.0], name="w")
    with pytest.raises(tf.errors.InvalidArgumentError, match="alpha must be a scalar"):
        apply_op(ApplyGradientDescent, [w._ref()], [tf.constant([0.1]), x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_updates_scalar_and_vector_variables_alike(dtype):
    # one step from the same state: a 0-d variable must move exactly as one element of a 1-d one
    b = tf.Variable(np.asarray(1.0, dtype))
    v = tf.Variable(np.asarray([1.0, 1.0], dtype))
    loss = tf.square(b - 3.0) + tf.reduce_sum(tf.square(v - 3.0))
    step = tf.train.AdamOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(step)
        bv, vv = sess.run([b, v])
    assert np.ndim(bv) == 0
    np.testing.assert_array_equal(np.float64(bv), np.float64(vv[0]))
    assert 1.0 < float(bv) < 3.0
