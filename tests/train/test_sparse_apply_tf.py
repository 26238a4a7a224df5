"""The sparse update ops and the optimizers' sparse updates against TensorFlow (tf.compat.v1,
graph mode; skipped where it is not installed): each SparseApply* kernel with repeated
indices, an embedding + dense model trained three steps with each optimizer, and a TF-written
training graph of such a model imported and trained by flowzero."""

from __future__ import annotations

import numpy as np
import pytest

tf_real = pytest.importorskip("tensorflow")
v1 = tf_real.compat.v1  # (graph mode inside each test's own tf.Graph: TF's global mode untouched)

import flowzero as tf  # noqa: E402
from flowzero.train import (  # noqa: E402
    adadelta,
    adagrad,
    adagrad_da,
    ftrl,
    momentum,
    proximal,
    rmsprop,
)
from flowzero.train.optimizer import apply_op  # noqa: E402

RNG = np.random.RandomState(7)
VAR = RNG.randn(5, 3)
SLOT = RNG.rand(5, 3) + 0.5  # positive: an accumulator
GRAD = RNG.randn(4, 3)
IDX = np.array([3, 0, 3, 1], np.int32)  # 3 twice: applied one after the other

# op type -> (flowzero class, number of slots, scalars in TF's order after the grad/indices
# position: (name, value), attrs, where grad+indices sit among the scalars)
KERNELS = {
    "SparseApplyMomentum": (momentum.SparseApplyMomentum, 1, [("lr", 0.1), ("momentum", 0.9)], 1),
    "SparseApplyAdagrad": (adagrad.SparseApplyAdagrad, 1, [("lr", 0.1)], 1),
    "SparseApplyRMSProp": (
        rmsprop.SparseApplyRMSProp,
        2,
        [("lr", 0.1), ("rho", 0.9), ("momentum", 0.5), ("epsilon", 1e-3)],
        4,
    ),
    "SparseApplyCenteredRMSProp": (
        rmsprop.SparseApplyCenteredRMSProp,
        3,
        [("lr", 0.1), ("rho", 0.9), ("momentum", 0.5), ("epsilon", 1e-3)],
        4,
    ),
    "SparseApplyAdadelta": (
        adadelta.SparseApplyAdadelta,
        2,
        [("lr", 0.5), ("rho", 0.9), ("epsilon", 1e-3)],
        3,
    ),
    "SparseApplyFtrl": (
        ftrl.SparseApplyFtrl,
        2,
        [("lr", 0.2), ("l1", 0.05), ("l2", 0.1), ("lr_power", -0.5)],
        0,
    ),
    "SparseApplyFtrlV2": (
        ftrl.SparseApplyFtrlV2,
        2,
        [("lr", 0.2), ("l1", 0.05), ("l2", 0.1), ("l2_shrinkage", 0.3), ("lr_power", -0.7)],
        0,
    ),
    "SparseApplyProximalAdagrad": (
        proximal.SparseApplyProximalAdagrad,
        1,
        [("lr", 0.2), ("l1", 0.05), ("l2", 0.1)],
        3,
    ),
    "SparseApplyProximalGradientDescent": (
        proximal.SparseApplyProximalGradientDescent,
        0,
        [("alpha", 0.2), ("l1", 0.05), ("l2", 0.1)],
        3,
    ),
    "SparseApplyAdagradDA": (
        adagrad_da.SparseApplyAdagradDA,
        2,
        [("lr", 0.2), ("l1", 0.05), ("l2", 0.1), ("global_step", 3)],
        0,
    ),
}
SLOT_NAMES = {
    "SparseApplyMomentum": ["accum"],
    "SparseApplyAdagrad": ["accum"],
    "SparseApplyRMSProp": ["ms", "mom"],
    "SparseApplyCenteredRMSProp": ["mg", "ms", "mom"],
    "SparseApplyAdadelta": ["accum", "accum_update"],
    "SparseApplyFtrl": ["accum", "linear"],
    "SparseApplyFtrlV2": ["accum", "linear"],
    "SparseApplyProximalAdagrad": ["accum"],
    "SparseApplyProximalGradientDescent": [],
    "SparseApplyAdagradDA": ["gradient_accumulator", "gradient_squared_accumulator"],
}


def _tf_kernel(op_type, var0, slots0, grad, idx, dtype, attrs):
    _, _, scalars, _ = KERNELS[op_type]
    g = tf_real.Graph()
    with g.as_default():
        var = v1.Variable(var0, use_resource=False)
        slots = [v1.Variable(s, use_resource=False) for s in slots0]
        kw = {"var": var, "grad": grad.astype(dtype), "indices": idx}
        kw.update(zip(SLOT_NAMES[op_type], slots))
        for name, value in scalars:
            kw[name] = np.int64(value) if name == "global_step" else dtype(value)
        op = getattr(tf_real.raw_ops, op_type)(**kw, **attrs)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            sess.run(op)
            sess.run(op)
            return sess.run([var, *slots])


def _fz_kernel(op_type, var0, slots0, grad, idx, dtype, attrs):
    cls, _, scalars, at = KERNELS[op_type]
    tf.reset_default_graph()
    var = tf.Variable(var0)
    slots = [tf.Variable(s) for s in slots0]
    vals = [
        tf.constant(np.int64(v) if n == "global_step" else dtype(v), name=n) for n, v in scalars
    ]
    args = vals[:at] + [tf.constant(grad.astype(dtype)), tf.constant(idx)] + vals[at:]
    op = apply_op(cls, [var._ref()] + [s._ref() for s in slots], args, **attrs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(op)
        sess.run(op)
        return sess.run([var, *slots])


@pytest.mark.parametrize("op_type", sorted(KERNELS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rank", [1, 2])
def test_sparse_kernel_matches_tensorflow(op_type, dtype, rank):
    n_slots = KERNELS[op_type][1]
    var0 = VAR.astype(dtype)
    slots0 = [(SLOT * (k + 1)).astype(dtype) for k in range(n_slots)]
    grad = GRAD
    if rank == 1:
        var0, grad = var0[:, 0].copy(), grad[:, 0].copy()
        slots0 = [s[:, 0].copy() for s in slots0]
    want = _tf_kernel(op_type, var0, slots0, grad, IDX, dtype, {})
    got = _fz_kernel(op_type, var0, slots0, grad, IDX, dtype, {})
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for w, g_ in zip(want, got):
        np.testing.assert_allclose(g_, w, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "op_type, attrs",
    [
        ("SparseApplyMomentum", {"use_nesterov": True}),
        ("SparseApplyAdagrad", {"update_slots": False}),
    ],
)
def test_sparse_kernel_attrs_match_tensorflow(op_type, attrs):
    slots0 = [SLOT.astype(np.float32)]
    want = _tf_kernel(op_type, VAR.astype(np.float32), slots0, GRAD, IDX, np.float32, attrs)
    got = _fz_kernel(op_type, VAR.astype(np.float32), slots0, GRAD, IDX, np.float32, attrs)
    for w, g_ in zip(want, got):
        np.testing.assert_allclose(g_, w, rtol=1e-5, atol=1e-6)


# -- optimizers: an embedding + dense model, three steps ---------------------------------------
EMB0 = RNG.randn(6, 3).astype(np.float32)
W0 = RNG.randn(3, 2).astype(np.float32)
IDS = np.array([[1, 4, 1], [0, 4, 5]], np.int32)  # rows 2 and 3 get no gradient
Y = np.array([[0.5, -1.0], [1.0, 0.2]], np.float32)

OPTIMIZERS = {
    "gd": lambda m, gs: m.train.GradientDescentOptimizer(0.1),
    "momentum": lambda m, gs: m.train.MomentumOptimizer(0.1, 0.9),
    "nesterov": lambda m, gs: m.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "adagrad": lambda m, gs: m.train.AdagradOptimizer(0.2),
    "rmsprop": lambda m, gs: m.train.RMSPropOptimizer(0.05, momentum=0.5, epsilon=1e-3),
    "rmsprop_centered": lambda m, gs: m.train.RMSPropOptimizer(
        0.05, momentum=0.5, epsilon=1e-3, centered=True
    ),
    "adadelta": lambda m, gs: m.train.AdadeltaOptimizer(1.0),
    "ftrl": lambda m, gs: m.train.FtrlOptimizer(0.3, l1_regularization_strength=0.01),
    "ftrl_v2": lambda m, gs: m.train.FtrlOptimizer(
        0.3, l2_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.2
    ),
    "proximal_gd": lambda m, gs: m.train.ProximalGradientDescentOptimizer(0.1, 0.01, 0.05),
    "proximal_adagrad": lambda m, gs: m.train.ProximalAdagradOptimizer(
        0.2, l1_regularization_strength=0.01
    ),
    "adagrad_da": lambda m, gs: m.train.AdagradDAOptimizer(
        0.3, gs, l1_regularization_strength=0.01
    ),
    "adam": lambda m, gs: m.train.AdamOptimizer(0.1),
}


def _model(m, make):
    ids = m.placeholder(m.int32, [None, 3], name="ids")
    y = m.placeholder(m.float32, [None, 2], name="y")
    ref = {"use_resource": False} if m is v1 else {}  # TF's reference-variable ops
    emb = m.Variable(EMB0, name="emb", **ref)
    w = m.Variable(W0, name="w", **ref)
    h = m.reduce_sum(m.nn.embedding_lookup(emb, ids), 1)
    loss = m.reduce_mean(m.square(m.matmul(h, w) - y), name="loss")
    gs = m.train.get_or_create_global_step()
    train = make(m, gs).minimize(loss, global_step=gs, name="train")
    return ids, y, loss, train, [emb, w]


def _train(m, make, steps=3):
    ids, y, loss, train, var_list = _model(m, make)
    types = {op.type for op in m.get_default_graph().get_operations()}
    with m.Session() as sess:
        sess.run(m.global_variables_initializer())
        losses = []
        for _ in range(steps):
            losses.append(sess.run([loss, train], {ids: IDS, y: Y})[0])
        return np.array(losses), sess.run(var_list), types


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_embedding_training_matches_tensorflow(name):
    g = tf_real.Graph()
    with g.as_default():
        v1.set_random_seed(0)
        want_losses, want_vars, want_types = _train(v1, OPTIMIZERS[name])
    tf.reset_default_graph()
    got_losses, got_vars, got_types = _train(tf, OPTIMIZERS[name])
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-5, atol=1e-5)
    for w, g_ in zip(want_vars, got_vars):
        np.testing.assert_allclose(g_, w, rtol=1e-5, atol=1e-5)
    # the embedding's update is the op type TF writes (but Adam's: flowzero's one dense
    # ApplyAdam kernel for TF's Assign + ScatterAdd + AssignSub, the same rule)
    sparse = {t for t in want_types if t.startswith("SparseApply") or t.startswith("Scatter")}
    assert sparse
    assert sparse <= got_types or (name == "adam" and "ApplyAdam" in got_types)


# -- TF-written training graphs imported, flowzero-written ones run by TF ----------------------
FEED_IDS = np.array([[1, 4, 1], [0, 4, 5]], np.int32)
FEED_Y = np.array([[0.5, -1.0], [1.0, 0.2]], np.float32)
IMPORTED = {
    "momentum": lambda m: m.train.MomentumOptimizer(0.1, 0.9),
    "adagrad": lambda m: m.train.AdagradOptimizer(0.2),
    "rmsprop_centered": lambda m: m.train.RMSPropOptimizer(0.05, momentum=0.5, centered=True),
    "ftrl_v2": lambda m: m.train.FtrlOptimizer(0.3, l2_shrinkage_regularization_strength=0.1),
    "gd": lambda m: m.train.GradientDescentOptimizer(0.1),
    "adam": lambda m: m.train.AdamOptimizer(0.1),
}


def _losses(m, sess, steps=3):
    feed = {"ids:0": FEED_IDS, "y:0": FEED_Y}
    sess.run("init")
    out = []
    for _ in range(steps):
        out.append(sess.run("loss:0", feed))
        sess.run("train", feed)
    out.append(sess.run("loss:0", feed))
    return np.array(out)


def _tf_written(tmp_path, name, use_resource):
    g = tf_real.Graph()
    with g.as_default():
        ids = v1.placeholder(tf_real.int32, [None, 3], name="ids")
        y = v1.placeholder(tf_real.float32, [None, 2], name="y")
        emb = v1.get_variable("emb", initializer=0.3 * EMB0, use_resource=use_resource)
        w = v1.get_variable("w", initializer=W0, use_resource=use_resource)
        h = tf_real.reduce_sum(tf_real.nn.embedding_lookup(emb, ids), 1)
        loss = tf_real.reduce_mean(tf_real.square(tf_real.matmul(h, w) - y), name="loss")
        IMPORTED[name](v1).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        types = {n.op for n in g.as_graph_def().node}
        with v1.Session() as sess:
            want = _losses(v1, sess)
        path = str(tmp_path / f"{name}.meta")
        v1.train.export_meta_graph(path, graph=g)
    return path, want, types


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref", "resource"])
@pytest.mark.parametrize("name", sorted(IMPORTED))
def test_tf_written_sparse_training_graph_imports_and_trains(tmp_path, name, use_resource):
    path, want, types = _tf_written(tmp_path, name, use_resource)
    if name not in ("gd", "adam"):
        prefix = "ResourceSparseApply" if use_resource else "SparseApply"
        assert any(t.startswith(prefix) for t in types)
    tf.reset_default_graph()
    tf.train.import_meta_graph(path)
    with tf.Session() as sess:
        got = _losses(tf, sess)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "name, op_type",
    [
        ("momentum", "SparseApplyMomentum"),
        ("adagrad", "SparseApplyAdagrad"),
        ("rmsprop_centered", "SparseApplyCenteredRMSProp"),
        ("ftrl_v2", "SparseApplyFtrlV2"),
        ("gd", "ScatterSub"),
        ("adam", "ApplyAdam"),
    ],
)
def test_flowzero_written_sparse_training_graph_runs_in_tensorflow(tmp_path, name, op_type):
    tf.reset_default_graph()
    ids = tf.placeholder(tf.int32, [None, 3], name="ids")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    emb = tf.Variable(0.3 * EMB0, name="emb")
    w = tf.Variable(W0, name="w")
    h = tf.reduce_sum(tf.nn.embedding_lookup(emb, ids), 1)
    loss = tf.reduce_mean(tf.square(tf.matmul(h, w) - y), name="loss")
    # only the embedding trains: TF reads a reference variable without a copy, and this graph
    # has no gates (TF's GATE_OP tuples) between the gradient's read of `w` and its update
    IMPORTED[name](tf).minimize(loss, var_list=[emb], name="train")
    tf.variables_initializer(tf.global_variables(), name="init")
    with tf.Session() as sess:
        want = _losses(tf, sess)
    path = str(tmp_path / "fz.meta")
    tf.train.export_meta_graph(path)
    g = tf_real.Graph()
    with g.as_default():
        v1.train.import_meta_graph(path)
        types = {op.type for op in g.get_operations()}
        with v1.Session() as sess:
            got = _losses(v1, sess)
    assert op_type in types
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
