"""TF1 eager: tf.contrib.eager.Saver, tf.train.Checkpoint in eager mode (restore assigns at
once) and tf.contrib.eager.defun (traced once per signature, run as one plan). Eager mode is
process-wide, so each test runs in a fresh interpreter."""

from __future__ import annotations

import importlib.util

import pytest

from tests.eager.test_eager import _run

MODEL = """
tfe = tf.contrib.eager
X = np.random.RandomState(0).normal(size=(64, 3)).astype(np.float32)
Y = X @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3
w = tfe.Variable(np.zeros((3, 1), np.float32), name="w")
b = tfe.Variable(0.0, name="b")
step = tf.train.get_or_create_global_step()
opt = tf.train.AdamOptimizer(0.1)
def loss_fn(x, y):
    return tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
"""


def test_eager_training_loop_saved_and_restored(tmp_path):
    out = _run(
        MODEL
        + f"""
import os
d = {str(tmp_path)!r}
for _ in range(30):
    opt.minimize(lambda: loss_fn(X, Y), global_step=step)
saver = tfe.Saver([w, b])
path = saver.save(os.path.join(d, "m"), global_step=step)
assert path.endswith("m-30"), path
assert dict(tf.train.list_variables(path)) == {{"w": [3, 1], "b": []}}
saved_w, saved_b, saved_loss = w.numpy().copy(), b.numpy(), float(loss_fn(X, Y))
w.assign(tf.zeros([3, 1])); b.assign(7.0)
saver.restore(path)                                   # values are back at once
np.testing.assert_array_equal(w.numpy(), saved_w)
assert b.numpy() == saved_b and float(loss_fn(X, Y)) == saved_loss

# tf.train.Checkpoint (and tfe.Checkpoint): the optimizer's slots and the step too
assert tfe.Checkpoint is tf.train.Checkpoint
ckpt = tf.train.Checkpoint(w=w, b=b, optimizer=opt, step=step)
cpath = ckpt.save(os.path.join(d, "ckpt", "c"))
assert cpath.endswith("c-1") and tf.train.latest_checkpoint(os.path.join(d, "ckpt")) == cpath
slots = [opt.get_slot(w, "m").numpy().copy(), opt.get_slot(w, "v").numpy().copy()]
for _ in range(10):                                   # train on, then roll back
    opt.minimize(lambda: loss_fn(X, Y), global_step=step)
assert step.numpy() == 40
status = ckpt.restore(cpath)
status.assert_consumed()
assert step.numpy() == 30
np.testing.assert_array_equal(w.numpy(), saved_w)
np.testing.assert_array_equal(opt.get_slot(w, "m").numpy(), slots[0])
np.testing.assert_array_equal(opt.get_slot(w, "v").numpy(), slots[1])
# training resumes from the restored state exactly as it went on before
opt.minimize(lambda: loss_fn(X, Y), global_step=step)
assert step.numpy() == 31
# tf.train.Saver takes sess=None in eager mode (no meta graph written), as TF's
gsaver = tf.train.Saver([w, b])
gpath = gsaver.save(None, os.path.join(d, "g", "m"), global_step=step)
files = os.listdir(os.path.join(d, "g"))
assert "m-31.index" in files and not [f for f in files if f.endswith(".meta")], files
w.assign(tf.zeros([3, 1]))
gsaver.restore(None, gpath)
assert np.abs(w.numpy()).sum() > 0
# CheckpointManager keeps the newest max_to_keep, no session needed
mgr = tf.train.CheckpointManager(ckpt, os.path.join(d, "mgr"), max_to_keep=2)
paths = [mgr.save() for _ in range(3)]
assert mgr.checkpoints == paths[1:] and mgr.latest_checkpoint == paths[-1]
# errors: a missing checkpoint, a variable the checkpoint lacks
try:
    saver.restore(os.path.join(d, "nope"))
except tf.errors.NotFoundError as e:
    assert "nope" in str(e)
else:
    raise AssertionError("restored a missing checkpoint")
other = tfe.Variable(1.0, name="other")
try:
    tfe.Saver([other]).restore(path)
except tf.errors.NotFoundError as e:
    assert "Key other not found" in str(e)
else:
    raise AssertionError("restored a missing key")
print("ok")
"""
    )
    assert out.strip().endswith("ok")


def test_saver_needs_eager_and_variables():
    import flowzero as tf

    with pytest.raises(RuntimeError, match="only supported when eager execution is enabled"):
        tf.contrib.eager.Saver([tf.Variable(1.0)])


def test_defun_traces_once_per_signature():
    out = _run("""
tfe = tf.contrib.eager
calls = []
@tfe.defun
def f(x, y, scale=2.0):
    calls.append(1)
    assert not tf.executing_eagerly()              # traced as a graph
    return tf.matmul(x, y) * scale, {"s": tf.reduce_sum(x)}
a = tf.constant(np.ones((2, 3), np.float32))
b = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
out, d = f(a, b)
np.testing.assert_allclose(out.numpy(), np.ones((2, 3)) @ b.numpy() * 2)
assert d["s"].numpy() == 6.0 and len(calls) == 1 and tf.executing_eagerly()
out, _ = f(a * 3, b)                                # same dtypes and shapes: no retrace
np.testing.assert_allclose(out.numpy(), 3 * np.ones((2, 3)) @ b.numpy() * 2)
assert len(calls) == 1
f(a, b, scale=5.0)                                  # a new Python value: a new trace
f(np.ones((4, 3), np.float32), b)                   # a new shape: a new trace
assert len(calls) == 3 and f.traces == 3
# captured variables are read at each call and may be assigned; unreturned updates run
v = tf.contrib.eager.Variable(1.0)
@tfe.defun
def bump(x):
    v.assign_add(x)
    v.assign(v * 2.0)                               # after the add: program order
    return None
bump(tf.constant(1.0)); bump(tf.constant(1.0))
assert v.numpy() == 10.0                             # ((1 + 1) * 2 + 1) * 2
assert bump.traces == 1
# defun over a method
class M:
    def __init__(self):
        self.k = tfe.Variable(3.0)
    @tfe.defun
    def __call__(self, x):
        return self.k * x
m = M()
assert m(tf.constant(2.0)).numpy() == 6.0
# an input_signature: one trace for every shape it allows; others are refused
sig = []
@tfe.defun(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
def rows(x):
    sig.append(1)
    return tf.reduce_sum(x, axis=1)
assert list(rows(np.ones((3, 2), np.float32)).numpy()) == [2, 2, 2]
assert list(rows(tf.ones([5, 2])).numpy()) == [2] * 5 and len(sig) == 1
for bad in (tf.ones([3, 3]), tf.ones([3, 2], tf.int32)):
    try:
        rows(bad)
    except ValueError as e:
        assert "incompatible with input_signature" in str(e)
    else:
        raise AssertionError("accepted a tensor outside the signature")
# differentiating a defun call from an outer tape is refused, clearly
x = tf.constant(2.0)
with tf.GradientTape() as t:
    t.watch(x)
    try:
        f(a, b)
    except NotImplementedError as e:
        assert "GradientTape" in str(e)
    else:
        raise AssertionError("no error")
print("ok")
""")
    assert out.strip().endswith("ok")


def test_defun_training_step_matches_eager():
    out = _run(
        MODEL
        + """
import time
@tfe.defun
def train_step(x, y):
    loss = loss_fn(x, y)
    opt.minimize(lambda: loss_fn(x, y), global_step=step)
    return loss
losses = [float(train_step(X, Y)) for _ in range(40)]
assert train_step.traces == 1 and step.numpy() == 40
w_defun = w.numpy().copy()
# the same 40 steps eagerly, from the same start, on fresh variables
w2 = tfe.Variable(np.zeros((3, 1), np.float32)); b2 = tfe.Variable(0.0)
opt2 = tf.train.AdamOptimizer(0.1)
def loss2():
    return tf.reduce_mean(tf.square(tf.matmul(X, w2) + b2 - Y))
eager = []
for _ in range(40):
    eager.append(float(loss2()))
    opt2.minimize(loss2)
np.testing.assert_allclose(losses, eager, rtol=1e-5)
np.testing.assert_allclose(w_defun, w2.numpy(), rtol=1e-5)
# a GradientTape inside the defun'd function
@tfe.defun
def tape_step(x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(x, y)
    grads = tape.gradient(loss, [w, b])
    opt.apply_gradients(zip(grads, [w, b]), global_step=step)
    return loss
first = float(tape_step(X, Y))
for _ in range(30):
    last = float(tape_step(X, Y))
assert last < first and step.numpy() == 71
print("ok")
"""
    )
    assert out.strip().endswith("ok")


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="no tensorflow")
def test_tfe_saver_files_read_by_tensorflow(tmp_path):
    import numpy as np
    import tensorflow as real_tf

    _run(f"""
w = tf.contrib.eager.Variable(np.arange(6.0, dtype=np.float32).reshape(2, 3), name="w")
tf.contrib.eager.Saver([w]).save({str(tmp_path / "m")!r})
""")
    got = real_tf.train.load_checkpoint(str(tmp_path / "m")).get_tensor("w")
    np.testing.assert_array_equal(got, np.arange(6.0).reshape(2, 3))


def test_checkpoint_restored_before_the_optimizer_has_slots(tmp_path):
    out = _run(
        MODEL
        + f"""
import os
for _ in range(20):
    opt.minimize(lambda: loss_fn(X, Y), global_step=step)
path = tf.train.Checkpoint(w=w, b=b, optimizer=opt, step=step).save({str(tmp_path / "c")!r})
opt.minimize(lambda: loss_fn(X, Y), global_step=step)     # step 21, from the saved state
want = w.numpy().copy()
# a fresh program: same objects, the optimizer has no slots yet when restore() runs
w2 = tfe.Variable(np.zeros((3, 1), np.float32)); b2 = tfe.Variable(0.0)
step2 = tfe.Variable(0, dtype=tf.int64); opt2 = tf.train.AdamOptimizer(0.1)
status = tf.train.Checkpoint(w=w2, b=b2, optimizer=opt2, step=step2).restore(path)
assert step2.numpy() == 20 and opt2.get_slot(w2, "m") is None
try:
    status.assert_consumed()
except AssertionError as e:
    assert "Unresolved" in str(e)                     # the slots are still waiting
else:
    raise AssertionError("slots reported as restored before they exist")
opt2.minimize(lambda: tf.reduce_mean(tf.square(tf.matmul(X, w2) + b2 - Y)), global_step=step2)
status.assert_consumed()                              # restored when the slots were made
np.testing.assert_allclose(w2.numpy(), want, rtol=1e-6)
assert step2.numpy() == 21
print("ok")
"""
    )
    assert out.strip().endswith("ok")
