"""The sparse update ops (SparseApplyMomentum, ...) against a NumPy reference that updates one
row per index in order, their errors, and the optimizers' sparse updates of a gather's
gradient as TF 1.15 makes them (rows of repeated indices summed, then the sparse op; rows
without a gradient untouched, their accumulators not decayed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.train import adadelta, adagrad, adagrad_da, ftrl, momentum, proximal, rmsprop
from flowzero.train.optimizer import apply_op


# -- NumPy references: one row (var, *slots) and its gradient row -> the updated row -----------
def _momentum(v, a, g, lr, mu, use_nesterov=False):
    a = a * mu + g
    return (v - (g * lr + a * mu * lr) if use_nesterov else v - a * lr), a


def _adagrad(v, a, g, lr, update_slots=True):
    if update_slots:
        a = a + g * g
    return v - lr * g / np.sqrt(a), a


def _rmsprop(v, ms, mom, g, lr, rho, mu, eps):
    ms = rho * ms + (1 - rho) * g * g
    mom = mu * mom + lr * g / np.sqrt(ms + eps)
    return v - mom, ms, mom


def _centered(v, mg, ms, mom, g, lr, rho, mu, eps):
    ms = rho * ms + (1 - rho) * g * g
    mg = rho * mg + (1 - rho) * g
    mom = mu * mom + lr * g / np.sqrt(ms - mg * mg + eps)
    return v - mom, mg, ms, mom


def _adadelta(v, a, u, g, lr, rho, eps):
    a = rho * a + (1 - rho) * g * g
    step = np.sqrt(u + eps) / np.sqrt(a + eps) * g
    u = rho * u + (1 - rho) * step * step
    return v - lr * step, a, u


def _ftrl_v2(v, a, n, g, lr, l1, l2, shrink, p):
    new_a = a + g * g
    n = n + g + 2 * shrink * v - (new_a**-p - a**-p) / lr * v
    q = new_a**-p / lr + 2 * l2
    v = np.where(np.abs(n) > l1, (l1 * np.sign(n) - n) / q, 0.0)
    return v, new_a, n


def _ftrl(v, a, n, g, lr, l1, l2, p):
    return _ftrl_v2(v, a, n, g, lr, l1, l2, 0.0, p)


def _prox(p, rate, l1, l2):
    return np.sign(p) * np.maximum(np.abs(p) - rate * l1, 0) / (1 + rate * l2)


def _proximal_adagrad(v, a, g, lr, l1, l2):
    a = a + g * g
    rate = lr / np.sqrt(a)
    return _prox(v - rate * g, rate, l1, l2), a


def _proximal_gd(v, g, alpha, l1, l2):
    return (_prox(v - alpha * g, alpha, l1, l2),)


def _adagrad_da(v, ga, gg, g, lr, l1, l2, t):
    ga, gg = ga + g, gg + g * g
    v = -np.sign(ga) * lr * np.maximum(np.abs(ga) - l1 * t, 0) / (l2 * t * lr + np.sqrt(gg))
    return v, ga, gg


# op type -> (class, slots, scalars in TF's order, where grad + indices sit among them, rule)
KERNELS = {
    "SparseApplyMomentum": (momentum.SparseApplyMomentum, 1, [0.1, 0.9], 1, _momentum),
    "SparseApplyAdagrad": (adagrad.SparseApplyAdagrad, 1, [0.1], 1, _adagrad),
    "SparseApplyRMSProp": (rmsprop.SparseApplyRMSProp, 2, [0.1, 0.9, 0.5, 1e-3], 4, _rmsprop),
    "SparseApplyCenteredRMSProp": (
        rmsprop.SparseApplyCenteredRMSProp,
        3,
        [0.1, 0.9, 0.5, 1e-3],
        4,
        _centered,
    ),
    "SparseApplyAdadelta": (adadelta.SparseApplyAdadelta, 2, [0.5, 0.9, 1e-3], 3, _adadelta),
    "SparseApplyFtrl": (ftrl.SparseApplyFtrl, 2, [0.2, 0.05, 0.1, -0.5], 0, _ftrl),
    "SparseApplyFtrlV2": (ftrl.SparseApplyFtrlV2, 2, [0.2, 0.05, 0.1, 0.3, -0.7], 0, _ftrl_v2),
    "SparseApplyProximalAdagrad": (
        proximal.SparseApplyProximalAdagrad,
        1,
        [0.2, 0.05, 0.1],
        3,
        _proximal_adagrad,
    ),
    "SparseApplyProximalGradientDescent": (
        proximal.SparseApplyProximalGradientDescent,
        0,
        [0.2, 0.05, 0.1],
        3,
        _proximal_gd,
    ),
    "SparseApplyAdagradDA": (
        adagrad_da.SparseApplyAdagradDA,
        2,
        [0.2, 0.05, 0.1, 3],
        0,
        _adagrad_da,
    ),
}
RNG = np.random.RandomState(3)
VAR = RNG.randn(5, 3)
SLOT = RNG.rand(5, 3) + 0.5
GRAD = RNG.randn(5, 3)
IDX = np.array([3, 0, 3, 1, 3], np.int32)  # 3 three times, 2 and 4 never


def _reference(op_type, var, slots, grad, idx, attrs):
    rule, scalars = KERNELS[op_type][4], KERNELS[op_type][2]
    state = [var.copy(), *[s.copy() for s in slots]]
    for i, r in enumerate(idx):
        new = rule(*[s[r] for s in state], grad[i], *scalars, **attrs)
        for s, n in zip(state, new):
            s[r] = n
    return state


def _build(op_type, var, slots, grad, idx, attrs, dtype):
    cls, _, scalars, at, _ = KERNELS[op_type]
    v = tf.Variable(var.astype(dtype))
    ss = [tf.Variable(s.astype(dtype)) for s in slots]
    da_step = cls is adagrad_da.SparseApplyAdagradDA
    vals = [
        tf.constant(np.int64(x) if da_step and k == 3 else np.float64(x))
        for k, x in enumerate(scalars)
    ]
    args = vals[:at] + [grad, idx] + vals[at:]
    op = apply_op(cls, [v._ref()] + [s._ref() for s in ss], args, **attrs)
    return op, [v, *ss]


def _run(op_type, var, slots, grad, idx, attrs=None, dtype=np.float64):
    attrs = attrs or {}
    op, state = _build(op_type, var, slots, tf.constant(grad.astype(dtype)), idx, attrs, dtype)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run(op)
        return out, sess.run(state)


@pytest.mark.parametrize("op_type", sorted(KERNELS))
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_sparse_update_matches_row_by_row_reference(op_type, rank):
    n = KERNELS[op_type][1]
    var, grad = VAR, GRAD
    slots = [SLOT * (k + 1) for k in range(n)]
    if rank == 1:
        var, grad, slots = var[:, 0], grad[:, 0], [s[:, 0] for s in slots]
    elif rank == 3:
        var, grad, slots = var[..., None], grad[..., None], [s[..., None] for s in slots]
    want = _reference(op_type, var, slots, grad, IDX, {})
    out, got = _run(op_type, var, slots, grad, IDX)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, want[0], rtol=1e-12, atol=1e-12)  # the updated var
    for g in got:  # rows 2 and 4 had no gradient: var and slots as they were
        np.testing.assert_array_equal(g[[2, 4]], (var if g is got[0] else g)[[2, 4]])
    np.testing.assert_array_equal(got[0][[2, 4]], var[[2, 4]])


@pytest.mark.parametrize("op_type", sorted(KERNELS))
def test_float32_sparse_update_keeps_float32(op_type):
    n = KERNELS[op_type][1]
    slots = [SLOT * (k + 1) for k in range(n)]
    want = _reference(op_type, VAR, slots, GRAD, IDX, {})
    out, got = _run(op_type, VAR, slots, GRAD, IDX.astype(np.int64), dtype=np.float32)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in got)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "op_type, attrs",
    [
        ("SparseApplyMomentum", {"use_nesterov": True}),
        ("SparseApplyAdagrad", {"update_slots": False}),
    ],
)
def test_sparse_update_attrs(op_type, attrs):
    want = _reference(op_type, VAR, [SLOT], GRAD, IDX, attrs)
    _, got = _run(op_type, VAR, [SLOT], GRAD, IDX, attrs)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_empty_indices_change_nothing():
    _, got = _run("SparseApplyMomentum", VAR, [SLOT], np.zeros((0, 3)), np.zeros(0, np.int32))
    np.testing.assert_array_equal(got[0], VAR)
    np.testing.assert_array_equal(got[1], SLOT)


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grad, idx, match",
    [
        (np.ones((2, 2)), [1, 2], r"grad must have shape \[N\] \+ var.shape\[1:\]"),
        (np.ones(2), [1, 2], r"grad must have shape \[N\]"),
        (np.ones((3, 3)), [1, 2], "as many rows as indices"),
        (np.ones((2, 3)), [[1, 2]], "indices must be a vector"),
    ],
)
def test_bad_shapes_fail_at_build_time(grad, idx, match):
    with pytest.raises(errors.InvalidArgumentError, match="SparseApplyMomentum.*" + match):
        _build("SparseApplyMomentum", VAR, [SLOT], tf.constant(grad), tf.constant(idx), {}, float)


def test_bad_dtypes_and_scalar_var_fail_at_build_time():
    with pytest.raises(TypeError, match="SparseApplyAdagrad.*indices must be int32 or int64"):
        _build("SparseApplyAdagrad", VAR, [SLOT], tf.constant(GRAD), tf.constant([1.0]), {}, float)
    with pytest.raises(TypeError, match="SparseApplyAdagrad.*grad must have the variable's"):
        _build("SparseApplyAdagrad", VAR, [SLOT], tf.constant(GRAD, tf.float32), IDX, {}, float)
    with pytest.raises(errors.InvalidArgumentError, match="var must be at least 1-D"):
        one = np.float64(1.0)
        _build("SparseApplyAdagrad", one, [one], np.ones(1), [0], {}, float)


@pytest.mark.parametrize(
    "grad, idx, match",
    [
        (
            np.ones((2, 3)),
            [1, 7],
            r"Index 7 at offset 1 in indices is out of range: var has 5 rows",
        ),
        (np.ones((2, 3)), [-1, 2], "Index -1 at offset 0 in indices is out of range"),
        (np.ones((3, 3)), [1, 2], r"as many rows as indices.*grad: \(3, 3\), indices: \(2,\)"),
        (
            np.ones((2, 2)),
            [1, 2],
            r"grad must have shape \[N\] \+ var.shape\[1:\]; got var: \(5, 3\)",
        ),
        (np.ones((2, 3, 1)), [1, 2], r"grad must have shape \[N\] \+ var.shape\[1:\]"),
        (np.ones((2, 3)), [[1, 2]], "indices must be a vector"),
    ],
)
def test_bad_values_fail_at_run_time_naming_the_op(grad, idx, match):
    g, i = tf.placeholder(tf.float64), tf.placeholder(tf.int32)
    op, _ = _build("SparseApplyMomentum", VAR, [SLOT], g, i, {}, np.float64)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError, match="SparseApplyMomentum '.*'.*" + match):
            sess.run(op, {g: grad, i: idx})


def test_ftrl_multiply_linear_by_lr_is_refused():
    op, _ = _build(
        "SparseApplyFtrl", VAR, [SLOT, SLOT], GRAD, IDX, {"multiply_linear_by_lr": True}, float
    )
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(errors.InvalidArgumentError, match="multiply_linear_by_lr"):
            sess.run(op)


# -- the optimizers ----------------------------------------------------------------------------
EMB0 = RNG.randn(6, 3)
IDS = np.array([[1, 4, 1], [0, 4, 5]], np.int32)  # rows 2 and 3 get no gradient


def _embedding_model(dtype=tf.float64):
    ids = tf.placeholder(tf.int32, [None, 3])
    emb = tf.Variable(EMB0.astype(dtype.np), name="emb")
    loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(emb, ids)))
    return ids, emb, loss


def _types():
    return [op.type for op in tf.get_default_graph().get_operations()]


def test_momentum_updates_only_the_looked_up_rows_step_for_step():
    ids, emb, loss = _embedding_model()
    opt = tf.train.MomentumOptimizer(0.05, 0.9)
    train = opt.minimize(loss)
    assert "SparseApplyMomentum" in _types() and "ApplyMomentum" not in _types()
    assert "Unique" in _types()  # repeated ids summed first
    var, acc = EMB0.copy(), np.zeros_like(EMB0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, {ids: IDS})
            flat = IDS.ravel()
            grad = np.zeros_like(var)
            np.add.at(grad, flat, 2 * var[flat])
            for r in np.unique(flat):  # TF's sparse update: only rows with a gradient
                var[r], acc[r] = _momentum(var[r], acc[r], grad[r], 0.05, 0.9)
            got_var, got_acc = sess.run([emb, opt.get_slot(emb, "momentum")])
            np.testing.assert_allclose(got_var, var, rtol=1e-12)
            np.testing.assert_allclose(got_acc, acc, rtol=1e-12)
    assert np.all(acc[[2, 3]] == 0)


def test_rows_without_gradient_keep_their_accumulator_undecayed():
    ids, emb, loss = _embedding_model()
    opt = tf.train.RMSPropOptimizer(0.01, momentum=0.5)
    train = opt.minimize(loss)
    rms = opt.get_slot(emb, "rms")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: IDS})
        first = sess.run(rms)
        sess.run(train, {ids: [[2, 2, 2]]})  # now only row 2
        second = sess.run(rms)
    np.testing.assert_array_equal(first[[2, 3]], np.ones((2, 3)))  # the initial ones
    assert np.all(first[[0, 1, 4, 5]] != 1)
    np.testing.assert_array_equal(second[[0, 1, 3, 4, 5]], first[[0, 1, 3, 4, 5]])
    assert np.all(second[2] != 1)


def test_apply_gradients_takes_indexed_slices_and_sums_repeated_indices():
    var = tf.Variable(EMB0)
    values = tf.constant(np.ones((3, 3)))
    grad = tf.IndexedSlices(values, tf.constant([4, 0, 4]), tf.constant([6, 3]))
    train = tf.train.AdagradOptimizer(0.1).apply_gradients([(grad, var)])
    assert "SparseApplyAdagrad" in _types()
    want = EMB0.copy()
    want[4] -= 0.1 * 2 / np.sqrt(0.1 + 4)  # one update with the summed row, not two
    want[0] -= 0.1 * 1 / np.sqrt(0.1 + 1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(var), want, rtol=1e-12)


def test_two_gathers_give_one_sparse_update_and_a_dense_use_makes_it_dense():
    ids, emb, loss = _embedding_model()
    loss2 = loss + tf.reduce_sum(tf.gather(emb, [3]))
    tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss2)
    assert _types().count("SparseApplyMomentum") == 1
    tf.reset_default_graph()
    ids, emb, loss = _embedding_model()
    tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss + tf.reduce_sum(emb))
    assert "ApplyMomentum" in _types() and "SparseApplyMomentum" not in _types()  # as TF


def test_two_gathers_update_as_their_concatenated_rows():
    ids, emb, loss = _embedding_model()
    loss2 = loss + 3.0 * tf.reduce_sum(tf.gather(emb, tf.constant([3, 1], tf.int64)))
    train = tf.train.AdagradOptimizer(0.1).minimize(loss2)
    grad = np.zeros_like(EMB0)
    np.add.at(grad, IDS.ravel(), 2 * EMB0[IDS.ravel()])
    grad[[3, 1]] += 3.0
    want, acc = EMB0.copy(), np.full_like(EMB0, 0.1)
    for r in (0, 1, 3, 4, 5):
        want[r], acc[r] = _adagrad(want[r], acc[r], grad[r], 0.1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: IDS})
        np.testing.assert_allclose(sess.run(emb), want, rtol=1e-12)


@pytest.mark.parametrize("gate", [0, 1, 2])
def test_gated_gradients_and_an_identity_read_stay_sparse(gate):
    ids = tf.placeholder(tf.int32, [None, 3])
    emb = tf.Variable(EMB0, name="emb")
    loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(tf.identity(emb), ids)))
    opt = tf.train.MomentumOptimizer(0.05, 0.9)
    train = opt.minimize(loss, gate_gradients=gate)
    assert "SparseApplyMomentum" in _types()
    grad = np.zeros_like(EMB0)
    np.add.at(grad, IDS.ravel(), 2 * EMB0[IDS.ravel()])
    want, acc = EMB0.copy(), np.zeros_like(EMB0)
    for r in np.unique(IDS):
        want[r], acc[r] = _momentum(want[r], acc[r], grad[r], 0.05, 0.9)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: IDS})
        np.testing.assert_allclose(sess.run(emb), want, rtol=1e-12)


def test_gradient_descent_scatters_and_equals_the_dense_step():
    ids, emb, loss = _embedding_model()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    assert "ScatterSub" in _types() and "Unique" not in _types()
    grad = np.zeros_like(EMB0)
    np.add.at(grad, IDS.ravel(), 2 * EMB0[IDS.ravel()])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: IDS})
        np.testing.assert_allclose(sess.run(emb), EMB0 - 0.1 * grad, rtol=1e-12)


def test_optimizer_without_a_sparse_update_applies_the_dense_gradient():
    class Plain(tf.train.Optimizer):
        def __init__(self):
            super().__init__(False, "Plain")

        def _apply_dense(self, grad, var):
            return tf.assign_sub(var, 0.5 * grad)

    ids, emb, loss = _embedding_model()
    train = Plain().minimize(loss)
    grad = np.zeros_like(EMB0)
    np.add.at(grad, IDS.ravel(), 2 * EMB0[IDS.ravel()])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: IDS})
        np.testing.assert_allclose(sess.run(emb), EMB0 - 0.5 * grad, rtol=1e-12)


def test_exported_graph_writes_the_sparse_update_with_tf_attrs():
    ids, emb, loss = _embedding_model(tf.float32)
    tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True).minimize(loss)
    gd = tf.get_default_graph().as_graph_def()
    (node,) = [n for n in gd.node if n.op == "SparseApplyMomentum"]
    data = [i for i in node.input if not i.startswith("^")]
    assert len(data) == 6 and data[0] == "emb"
    assert node.attr["Tindices"].type == 3  # DT_INT32
    assert node.attr["T"].type == 1  # DT_FLOAT
    assert node.attr["use_nesterov"].b is True


# -- a TF-written training graph (scripts/make_tf_interop_fixtures.py) -------------------------
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tf_interop"


def test_tf_written_momentum_embedding_graph_trains_as_tf():
    with np.load(FIXTURES / "sparse_momentum_expected.npz") as z:
        feed, want = {"ids:0": z["ids"], "y:0": z["y"]}, z["loss"]
    tf.train.import_meta_graph(str(FIXTURES / "sparse_momentum_train.meta"))
    assert "SparseApplyMomentum" in _types()
    with tf.Session() as sess:
        sess.run("init")
        got = []
        for _ in range(3):
            got.append(sess.run("loss:0", feed))
            sess.run("train", feed)
        got.append(sess.run("loss:0", feed))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
