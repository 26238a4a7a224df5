"""FtrlOptimizer, ProximalGradientDescentOptimizer, ProximalAdagradOptimizer and
AdagradDAOptimizer: several steps against a NumPy reference of TF's update rules, slot and
checkpoint variable names as TF's, argument checks; and against TensorFlow (tf.compat.v1, graph
mode) where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

W0 = np.array([[0.5, -1.0], [2.0, 0.1]])
B0 = np.array([0.3, -0.2])
X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]])
Y = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
STEPS = 5

# (name, constructor(mod, global_step) -> optimizer)
CASES = {
    "ftrl": lambda m, gs: m.train.FtrlOptimizer(0.3),
    "ftrl_l1_l2_power": lambda m, gs: m.train.FtrlOptimizer(
        0.2,
        learning_rate_power=-0.7,
        initial_accumulator_value=0.5,
        l1_regularization_strength=0.05,
        l2_regularization_strength=0.1,
    ),
    "ftrl_shrinkage_names": lambda m, gs: m.train.FtrlOptimizer(
        0.2,
        l1_regularization_strength=0.01,
        l2_shrinkage_regularization_strength=0.2,
        accum_name="acc",
        linear_name="lin",
    ),
    "ftrl_power_0": lambda m, gs: m.train.FtrlOptimizer(
        0.1, learning_rate_power=0.0, l2_regularization_strength=0.3
    ),
    "proximal_gd": lambda m, gs: m.train.ProximalGradientDescentOptimizer(0.1),
    "proximal_gd_l1_l2": lambda m, gs: m.train.ProximalGradientDescentOptimizer(
        0.1, l1_regularization_strength=0.05, l2_regularization_strength=0.2
    ),
    "proximal_adagrad": lambda m, gs: m.train.ProximalAdagradOptimizer(0.2),
    "proximal_adagrad_l1_l2": lambda m, gs: m.train.ProximalAdagradOptimizer(
        0.2, 0.3, l1_regularization_strength=0.05, l2_regularization_strength=0.1
    ),
    "adagrad_da": lambda m, gs: m.train.AdagradDAOptimizer(0.3, gs),
    "adagrad_da_l1_l2": lambda m, gs: m.train.AdagradDAOptimizer(
        0.3, gs, 0.2, l1_regularization_strength=0.01, l2_regularization_strength=0.1
    ),
}


def _train(mod, case, dtype="float64"):
    """Values of (w, b) after each step, every global variable's name and shape, and the
    slot names, from training a small least-squares model."""
    g = mod.Graph()
    with g.as_default():
        dt = getattr(mod, dtype)
        w = mod.Variable(W0.astype(dtype), name="w")
        b = mod.Variable(B0.astype(dtype), name="b")
        gs = mod.train.get_or_create_global_step()
        pred = mod.matmul(mod.constant(X.astype(dtype)), w) + b
        loss = mod.reduce_mean(mod.square(pred - mod.constant(Y.astype(dtype), dtype=dt)))
        opt = CASES[case](mod, gs)
        train_op = opt.minimize(loss, global_step=gs)
        names = sorted((v.op.name, tuple(v.shape.as_list())) for v in mod.global_variables())
        slots = sorted(opt.get_slot_names())
        slot_vars = sorted(opt.get_slot(w, s).op.name for s in slots)
        out = []
        with mod.Session(graph=g) as sess:
            sess.run(mod.global_variables_initializer())
            for _ in range(STEPS):
                sess.run(train_op)
                out.append(sess.run([w, b]))
            step = sess.run(gs)
    return out, names, slots, slot_vars, step


# -- NumPy references of TF's kernels --------------------------------------------------------------
def _grads(w, b):
    pred = X @ w + b
    d = 2 * (pred - Y) / Y.size
    return X.T @ d, d.sum(0)


def _ref_ftrl(lr, power=-0.5, init=0.1, l1=0.0, l2=0.0, shrink=0.0):
    def step(p, state, t, grad):
        accum, linear = (
            state.setdefault("a", np.full_like(p, init)),
            state.setdefault("l", np.zeros_like(p)),
        )
        new_accum = accum + grad**2
        linear += grad + 2 * shrink * p - (new_accum**-power - accum**-power) / lr * p
        quad = new_accum**-power / lr + 2 * l2
        state["a"] = new_accum
        return np.where(np.abs(linear) > l1, (l1 * np.sign(linear) - linear) / quad, 0.0)

    return step


def _prox(p, step, l1, l2):
    return np.sign(p) * np.maximum(np.abs(p) - step * l1, 0) / (1 + step * l2)


def _ref_proximal_gd(lr, l1=0.0, l2=0.0):
    return lambda p, state, t, grad: _prox(p - lr * grad, lr, l1, l2)


def _ref_proximal_adagrad(lr, init=0.1, l1=0.0, l2=0.0):
    def step(p, state, t, grad):
        state["a"] = state.get("a", np.full_like(p, init)) + grad**2
        rate = lr / np.sqrt(state["a"])
        return _prox(p - rate * grad, rate, l1, l2)

    return step


def _ref_adagrad_da(lr, init=0.1, l1=0.0, l2=0.0):
    def step(p, state, t, grad):
        state["g"] = state.get("g", np.zeros_like(p)) + grad
        state["gg"] = state.get("gg", np.full_like(p, init)) + grad**2
        den = l2 * t * lr + np.sqrt(state["gg"])
        return -lr * np.sign(state["g"]) * np.maximum(np.abs(state["g"]) - l1 * t, 0) / den

    return step


REFS = {
    "ftrl": _ref_ftrl(0.3),
    "ftrl_l1_l2_power": _ref_ftrl(0.2, -0.7, 0.5, 0.05, 0.1),
    "ftrl_shrinkage_names": _ref_ftrl(0.2, l1=0.01, shrink=0.2),
    "ftrl_power_0": _ref_ftrl(0.1, power=0.0, l2=0.3),
    "proximal_gd": _ref_proximal_gd(0.1),
    "proximal_gd_l1_l2": _ref_proximal_gd(0.1, 0.05, 0.2),
    "proximal_adagrad": _ref_proximal_adagrad(0.2),
    "proximal_adagrad_l1_l2": _ref_proximal_adagrad(0.2, 0.3, 0.05, 0.1),
    "adagrad_da": _ref_adagrad_da(0.3),
    "adagrad_da_l1_l2": _ref_adagrad_da(0.3, 0.2, 0.01, 0.1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_match_numpy_reference(case):
    out, _, _, _, step = _train(tf, case)
    w, b = W0.copy(), B0.copy()
    sw, sb = {}, {}
    for t in range(1, STEPS + 1):
        gw, gb = _grads(w, b)
        w, b = REFS[case](w, sw, t, gw), REFS[case](b, sb, t, gb)
        np.testing.assert_allclose(out[t - 1][0], w, rtol=1e-10, atol=1e-12, err_msg=f"w {t}")
        np.testing.assert_allclose(out[t - 1][1], b, rtol=1e-10, atol=1e-12, err_msg=f"b {t}")
    assert step == STEPS


SLOTS = {
    "ftrl": (["accum", "linear"], ["w/Ftrl", "w/Ftrl_1"]),
    "ftrl_shrinkage_names": (["accum", "linear"], ["w/acc", "w/lin"]),
    "proximal_gd": ([], []),
    "proximal_adagrad": (["accumulator"], ["w/ProximalAdagrad"]),
    "adagrad_da": (
        ["gradient_accumulator", "gradient_squared_accumulator"],
        ["w/AdagradDA", "w/AdagradDA_1"],
    ),
}


@pytest.mark.parametrize("case", sorted(SLOTS))
def test_slot_names(case):
    _, names, slots, slot_vars, _ = _train(tf, case)
    assert (slots, slot_vars) == SLOTS[case]
    assert all(n.startswith(("w", "b", "global_step")) for n, _ in names)


def test_float32_variables_stay_float32():
    out, *_ = _train(tf, "ftrl_l1_l2_power", dtype="float32")
    assert out[-1][0].dtype == np.float32
    want, *_ = _train(tf, "ftrl_l1_l2_power")
    np.testing.assert_allclose(out[-1][0], want[-1][0], rtol=1e-4, atol=1e-6)


def test_argument_checks():
    with pytest.raises(ValueError, match="learning_rate_power 0.5 needs to be negative"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="initial_accumulator_value -1.0 needs to be positive"):
        tf.train.FtrlOptimizer(0.1, initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-0.1)
    with pytest.raises(ValueError, match="l2_shrinkage_regularization_strength"):
        tf.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=-0.1)
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0)
    with pytest.raises(ValueError, match="initial_gradient_squared_accumulator_value"):
        tf.train.AdagradDAOptimizer(0.1, None, 0.0)
    v = tf.Variable([1.0])
    with pytest.raises(ValueError, match="needs a global_step"):
        tf.train.AdagradDAOptimizer(0.1, None).minimize(tf.reduce_sum(v * v))


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tensorflow(case):
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    v1.disable_resource_variables()
    # TF's proximal optimizers make float32 hyper-parameters: they only train float32.
    dtype = "float32" if case.startswith("proximal") else "float64"
    got, names, slots, slot_vars, step = _train(tf, case, dtype)
    want, tf_names, tf_slots, tf_slot_vars, tf_step = _train(v1, case, dtype)
    assert (names, slots, slot_vars, step) == (tf_names, tf_slots, tf_slot_vars, tf_step)
    for t, (g, w) in enumerate(zip(got, want)):
        for a, b in zip(g, w):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7, err_msg=f"step {t + 1}")
