"""Plan-level fusion: which chains fuse, that fused plans compute what unfused ones do, and that
errors inside a fused chain still name the op that fails."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.runtime import fusion


def _labels(sess):
    return [lab for plan, *_ in sess._plans.values() for lab in plan.labels]


def _both(fetches, feed, monkeypatch):
    """(fused, unfused) results of the same fetches in two fresh sessions."""
    out = []
    for enabled in (True, False):
        monkeypatch.setattr(fusion, "ENABLED", enabled)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out.append((sess.run(fetches, feed), _labels(sess)))
    return out


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("channels", [1, 3, 8])  # bias in the GEMM (few channels) or in place
@pytest.mark.parametrize("relu", [True, False])
def test_conv_bias_relu_fuses_and_matches(fmt, channels, relu, monkeypatch):
    rng = np.random.default_rng(0)
    shape = [None, 9, 9, channels] if fmt == "NHWC" else [None, channels, 9, 9]
    x = tf.placeholder(tf.float64, shape)
    w = tf.constant(rng.normal(size=(3, 3, channels, 4)))
    b = tf.constant(rng.normal(size=4))
    y = tf.nn.bias_add(
        tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", data_format=fmt), b, data_format=fmt
    )
    y = tf.nn.relu(y) if relu else y
    loss = tf.reduce_sum(y * y)
    (gw,) = tf.gradients(loss, [w])
    xv = rng.normal(size=[2] + shape[1:])
    (fused, lab_f), (plain, lab_p) = _both([y, gw], {x: xv}, monkeypatch)
    want = "Conv2D+BiasAdd+Relu" if relu else "Conv2D+BiasAdd"
    assert want in lab_f and want not in lab_p
    for a, c in zip(fused, plain):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_dense_layer_fuses_bit_identically(monkeypatch):
    rng = np.random.default_rng(1)
    x = tf.placeholder(tf.float32, [None, 6])
    w = tf.Variable(rng.normal(size=(6, 5)).astype(np.float32))
    b = tf.Variable(rng.normal(size=5).astype(np.float32))
    h = tf.nn.relu(tf.matmul(x, w) + b)
    out = b + tf.matmul(h, w[:5])  # the bias on the left, no relu
    xv = rng.normal(size=(7, 6)).astype(np.float32)
    (fused, lab_f), (plain, _) = _both([h, out], {x: xv}, monkeypatch)
    assert "MatMul+Add+Relu" in lab_f and "MatMul+Add" in lab_f
    for a, c in zip(fused, plain):
        np.testing.assert_array_equal(a, c)


def test_no_fusion_when_an_intermediate_is_seen(monkeypatch):
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.ones([3, 2])
    z = tf.matmul(x, w)
    a = z + tf.ones([2])
    y = tf.nn.relu(a)
    xv = np.arange(6, dtype=np.float32).reshape(2, 3) - 3
    with tf.Session() as sess:
        zv, yv = sess.run([z, y], {x: xv})  # z is fetched: not fused away
        assert "MatMul+Add+Relu" not in _labels(sess) and "MatMul+Add" not in _labels(sess)
        np.testing.assert_array_equal(yv, np.maximum(zv + 1, 0))
    a2 = tf.identity(a)  # a second consumer of the Add
    with tf.Session() as sess:
        sess.run([y, a2], {x: xv})
        assert "MatMul+Add+Relu" not in _labels(sess)
    with tf.Session() as sess:  # z fed: the chain starts later
        yv = sess.run(y, {x: xv, z: np.ones((2, 2), np.float32)})
        np.testing.assert_array_equal(yv, np.full((2, 2), 2, np.float32))


def test_a_broadcasting_bias_falls_back_to_the_ops(monkeypatch):
    x = tf.placeholder(tf.float32, [None, 3])
    bias = tf.placeholder(tf.float32, [None])  # rank 1 but of unknown length
    y = tf.nn.relu(tf.matmul(x, tf.ones([3, 1])) + bias)
    with tf.Session() as sess:
        got = sess.run(y, {x: np.ones((2, 3), np.float32), bias: np.array([-4, 1, 2], np.float32)})
        assert "MatMul+Add+Relu" in _labels(sess)
    np.testing.assert_array_equal(got, np.maximum(3 + np.array([[-4, 1, 2]] * 2), 0))


def test_errors_in_a_fused_chain_name_the_failing_op():
    x = tf.placeholder(tf.float32, [None, 5, 5, 1])
    b = tf.placeholder(tf.float32, [None])
    conv = tf.nn.conv2d(x, tf.ones([3, 3, 1, 2]), [1, 1, 1, 1], "VALID")
    y = tf.nn.relu(tf.nn.bias_add(conv, b, name="the_bias"))
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError) as e:
            sess.run(y, {x: np.ones((1, 5, 5, 1), np.float32), b: np.ones(3, np.float32)})
        assert "Conv2D+BiasAdd+Relu" in _labels(sess)
    msg = str(e.value)
    assert "BiasAdd 'the_bias'" in msg and "length 3" in msg
    assert msg.count("BiasAdd 'the_bias'") == 1
    assert e.value.op is not None and e.value.op.name == "the_bias"


def _train_steps(enabled, monkeypatch, optimizer):
    from flowzero.models.simple_conv_net import SimpleConvNet

    monkeypatch.setattr(fusion, "ENABLED", enabled)
    rng = np.random.default_rng(2)
    x = rng.random((8, 28, 28, 1), dtype=np.float32)
    x[:, :4] = 0.0  # blank rows: tied windows after the relu, as on MNIST
    t = rng.integers(0, 10, 8)
    g = tf.Graph()
    with g.as_default():
        net = SimpleConvNet(seed=0)
        train = optimizer().minimize(net.loss)
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(3):
            sess.run(train, {net.x: x, net.t: t})
        plan = max((p for p, *_ in sess._plans.values()), key=lambda p: len(p.steps))
        return sess.run(net.params), plan


@pytest.mark.parametrize(
    "optimizer",
    [lambda: tf.train.GradientDescentOptimizer(0.1), lambda: tf.train.AdamOptimizer(1e-3)],
)
def test_a_conv_net_trains_the_same_with_fusion_and_hand_overs(optimizer, monkeypatch):
    fused, plan = _train_steps(True, monkeypatch, optimizer)
    plain, plain_plan = _train_steps(False, monkeypatch, optimizer)
    steps = dict(zip(plan.labels, plan.steps))
    # the pool gradient (fused with the relu mask before it: g, features, x, y) and the filter
    # gradient take the forward's by-product as a last input
    assert len(steps["ReluGrad+MaxPoolGrad"][1]) == 5
    assert len(steps["Conv2DBackpropFilter"][1]) == 4
    assert "Conv2D+BiasAdd+Relu" in plan.labels and "MatMul+Add+Relu" in plan.labels
    assert "Conv2D+BiasAdd+Relu" not in plain_plan.labels
    for k in plain:
        # the bias summed inside the conv GEMM rounds differently in float32; nothing else does
        np.testing.assert_allclose(fused[k], plain[k], rtol=2e-5, atol=1e-6, err_msg=k)


def test_hand_overs_are_exact_and_optional():
    # MaxPoolGrad from the forward's first-max offsets equals routing from the input itself,
    # ties and NaN windows included; a MaxPoolGrad whose pooled output is fed runs without it
    x = tf.placeholder(tf.float64, [None, 4, 4, 2])
    p = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    dp = tf.placeholder(tf.float64, [None, 2, 2, 2])
    (gx,) = tf.gradients(p, [x], grad_ys=[dp])
    xv = np.round(np.random.default_rng(4).normal(size=(3, 4, 4, 2)))
    xv[0, :2, :2, 0] = np.nan
    dpv = np.random.default_rng(5).normal(size=(3, 2, 2, 2))
    with tf.Session() as sess:
        got = sess.run(gx, {x: xv, dp: dpv})
        pv = sess.run(p, {x: xv})
        fed = sess.run(gx, {x: xv, dp: dpv, p: pv})  # MaxPool pruned: no hand-over
    want = np.zeros_like(xv)
    for n, i, j, c in np.ndindex(3, 2, 2, 2):
        win = xv[n, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2, c].reshape(-1)
        hits = np.flatnonzero(win == np.nanmax(win) if not np.isnan(win).any() else [])
        if hits.size:
            a, b = divmod(hits[0], 2)
            want[n, 2 * i + a, 2 * j + b, c] = dpv[n, i, j, c]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fed, want)


@pytest.mark.parametrize("first", ["1x3", "3x1"])
def test_filter_gradients_take_the_patches_of_their_own_conv(first, monkeypatch):
    # two convs read the same input with filters of the same size but other shapes: each
    # filter gradient must use its own conv's patch matrix (or none)
    rng = np.random.default_rng(0)
    x = tf.placeholder(tf.float32, [2, 6, 6, 1])
    ws = {
        "1x3": tf.Variable(rng.normal(size=(1, 3, 1, 2)).astype(np.float32)),
        "3x1": tf.Variable(rng.normal(size=(3, 1, 1, 2)).astype(np.float32)),
    }
    second = "3x1" if first == "1x3" else "1x3"
    ys = {k: tf.nn.conv2d(x, ws[k], [1, 1, 1, 1], "SAME") for k in (first, second)}
    loss = sum(tf.reduce_sum(y * y) for y in ys.values())
    (g_second,) = tf.gradients(loss, [ws[second]])
    (g_first,) = tf.gradients(loss, [ws[first]])
    xv = rng.normal(size=(2, 6, 6, 1)).astype(np.float32)
    (together, _), (plain, _) = _both([g_first, g_second], {x: xv}, monkeypatch)
    monkeypatch.setattr(fusion, "ENABLED", True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        alone = [sess.run(g_first, {x: xv}), sess.run(g_second, {x: xv})]
    for a, b, c in zip(together, plain, alone):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize("control", [True, False])
def test_no_fusion_across_a_side_effect_or_a_control_dependency(control):
    # the assign must see the matmul run first: through a control dependency, or simply by
    # creation order (the plan's execution order)
    w = tf.Variable(np.ones((2, 2), np.float32))
    mm = tf.matmul(tf.constant(np.ones((1, 2), np.float32)), w)
    with tf.control_dependencies([mm] if control else []):
        upd = tf.assign_add(w, 10 * tf.ones([2, 2]))
    y = mm + tf.constant([1.0, 1.0])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        yv, _ = sess.run([y, upd])
        assert "MatMul+Add" not in _labels(sess)
    np.testing.assert_array_equal(yv, [[3.0, 3.0]])


def test_runtime_names_no_op_type():
    """The runtime's fusion matcher reads the op catalogue's table (flowzero/ops/fusions.py)
    and knows no op by name: no registered op type is a string literal in runtime/fusion.py."""
    import ast
    from pathlib import Path

    from flowzero.framework.registry import registered_ops

    types = set(registered_ops())
    found = []
    for path in [Path(fusion.__file__)]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in types:
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert found == []


def test_every_fusion_head_and_handover_declares_its_kernel():
    """Each row of the fusion table names registered ops whose OpDefs implement their part."""
    from flowzero.framework.registry import OpDef, fusion_rules, get_op_class

    fusions, handovers = fusion_rules()
    assert fusions and handovers
    for f in fusions:
        assert get_op_class(f.head).fuse is not OpDef.fuse, f.head
        for step in f.follow:
            for t in step.types:
                get_op_class(t)  # raises NotFoundError for a typo
    for h in handovers:
        assert get_op_class(h.producer).compute_handing_over is not OpDef.compute_handing_over
        assert get_op_class(h.consumer).takes_handover is not OpDef.takes_handover
