"""tf.train.Checkpoint and CheckpointManager in graph mode: keys as TF's object graph names
them, save/restore round trips with the status checks, the manager's numbering, state file and
max_to_keep; and TensorFlow reading flowzero's checkpoint (and the reverse) where installed."""

from __future__ import annotations

import os

import numpy as np
import pytest

import flowzero as tf


class Model:
    def __init__(self, mod, scale=1.0):
        kernel = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32) * np.float32(scale)
        self.kernel = mod.Variable(kernel, name="kernel")
        self.bias = mod.Variable(np.array([0.5, -0.5], np.float32) * np.float32(scale), name="bias")


def _build(mod, scale=1.0):
    model = Model(mod, scale)
    loss = mod.reduce_sum(mod.square(model.kernel)) + mod.reduce_sum(model.bias)
    opt = mod.train.AdamOptimizer(0.1)
    train_op = opt.minimize(loss)
    return model, opt, train_op


def test_keys_follow_tf_object_graph_names(tmp_path):
    with tf.Graph().as_default(), tf.Session() as sess:
        model, opt, train_op = _build(tf)
        step = tf.Variable(3, dtype=tf.int64, name="step")
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=step)
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        path = ckpt.save(str(tmp_path / "model"), session=sess)
        assert path == str(tmp_path / "model-1")
        assert tf.train.latest_checkpoint(str(tmp_path)) == path
        keys = {k for k, _ in tf.train.list_variables(path)}
    assert keys == {
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "model/bias/.ATTRIBUTES/VARIABLE_VALUE",
        "model/kernel/.ATTRIBUTES/VARIABLE_VALUE",
        "model/bias/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
        "model/bias/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
        "model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE",
        "model/kernel/.OPTIMIZER_SLOT/optimizer/v/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/beta1_power/.ATTRIBUTES/VARIABLE_VALUE",
        "optimizer/beta2_power/.ATTRIBUTES/VARIABLE_VALUE",
        "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
        "step/.ATTRIBUTES/VARIABLE_VALUE",
    }


def test_save_restore_round_trip_and_status_checks(tmp_path):
    with tf.Graph().as_default(), tf.Session() as sess:
        model, opt, train_op = _build(tf)
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        saved = sess.run([model.kernel, model.bias, opt.get_slot(model.kernel, "m")])
        path = ckpt.save(str(tmp_path / "ckpt"), session=sess)
        ckpt.save(str(tmp_path / "ckpt"), session=sess)
        assert sess.run(ckpt.save_counter) == 2
    with tf.Graph().as_default(), tf.Session() as sess:
        model, opt, _ = _build(tf, scale=0.0)
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
        status = ckpt.restore(path)
        assert status.assert_consumed() is status
        status.run_restore_ops(sess)
        got = sess.run([model.kernel, model.bias, opt.get_slot(model.kernel, "m")])
        for a, b in zip(got, saved):
            np.testing.assert_array_equal(a, b)
        assert sess.run(ckpt.save_counter) == 1
        # Only the model: the optimizer's values are left over.
        partial = tf.train.Checkpoint(model=model).restore(path)
        with pytest.raises(AssertionError, match="Unresolved values.*optimizer"):
            partial.assert_consumed()
        partial.assert_existing_objects_matched().assert_nontrivial_match().expect_partial()
        # A variable the checkpoint lacks.
        extra = tf.Variable(1.0, name="extra")
        status = tf.train.Checkpoint(model=model, extra=extra).restore(path)
        with pytest.raises(AssertionError, match="not in checkpoint.*extra"):
            status.assert_existing_objects_matched()
        status.initialize_or_restore(sess)
        assert sess.run(extra) == 1.0
        # A value of the wrong shape names the key.
        bad = tf.train.Checkpoint(model=Model(tf, 1.0))
        bad.model.bias = tf.Variable([1.0, 2.0, 3.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="model/bias/.ATTRIBUTES"):
            bad.restore(path).run_restore_ops(sess)


def test_restore_none_initializes_and_errors(tmp_path):
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.Variable([1.0, 2.0])
        ckpt = tf.train.Checkpoint(v=v)
        status = ckpt.restore(None)
        with pytest.raises(AssertionError, match="No checkpoint"):
            status.assert_consumed()
        status.initialize_or_restore(sess)
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
        with pytest.raises(tf.errors.NotFoundError):
            ckpt.restore(str(tmp_path / "nothing"))
        with pytest.raises(ValueError, match="was expecting a trackable object"):
            tf.train.Checkpoint(x=3)
    with tf.Graph().as_default():
        ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
        with pytest.raises(ValueError, match="no default session"):
            ckpt.save(str(tmp_path / "x"))


def test_checkpoint_manager_numbering_and_max_to_keep(tmp_path):
    d = str(tmp_path / "run")
    with tf.Graph().as_default(), tf.Session() as sess:
        v = tf.Variable(0.0)
        gs = tf.train.get_or_create_global_step()
        ckpt = tf.train.Checkpoint(v=v)
        manager = tf.train.CheckpointManager(ckpt, d, max_to_keep=2)
        sess.run(tf.global_variables_initializer())
        paths = []
        for i in range(4):
            sess.run(v.assign(float(i)))
            paths.append(manager.save(session=sess))
        assert paths == [os.path.join(d, f"ckpt-{i}") for i in range(1, 5)]
        assert manager.checkpoints == paths[2:]
        assert manager.latest_checkpoint == paths[-1]
        assert tf.train.latest_checkpoint(d) == paths[-1]
        assert not tf.train.checkpoint_exists(paths[0])
        assert tf.train.checkpoint_exists(paths[2])
        sess.run(gs.assign(100))
        assert manager.save(checkpoint_number=gs, session=sess) == os.path.join(d, "ckpt-100")
        assert manager.save(checkpoint_number=7, session=sess) == os.path.join(d, "ckpt-7")
        # A new manager picks up the state file's list.
        again = tf.train.CheckpointManager(ckpt, d, max_to_keep=2)
        assert again.checkpoints == [os.path.join(d, "ckpt-100"), os.path.join(d, "ckpt-7")]
        sess.run(v.assign(-1.0))
        ckpt.restore(os.path.join(d, "ckpt-7")).run_restore_ops(sess)
        assert sess.run(v) == 3.0
    with pytest.raises(ValueError, match="max_to_keep"):
        tf.train.CheckpointManager(ckpt, d, max_to_keep=0)


def test_tensorflow_reads_flowzero_checkpoint_and_back(tmp_path):
    real_tf = pytest.importorskip("tensorflow")
    v1 = real_tf.compat.v1
    v1.disable_eager_execution()
    with tf.Graph().as_default(), tf.Session() as sess:
        model, opt, train_op = _build(tf)
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        want = sess.run([model.kernel, model.bias, opt.get_slot(model.bias, "v")])
        path = tf.train.Checkpoint(model=model, optimizer=opt).save(
            str(tmp_path / "fz"), session=sess
        )
    with v1.Graph().as_default(), v1.Session() as sess:

        class TFModel(real_tf.Module):
            def __init__(self):
                self.kernel = v1.Variable(np.zeros((2, 2), np.float32), name="kernel")
                self.bias = v1.Variable(np.zeros(2, np.float32), name="bias")

        model = TFModel()
        loss = v1.reduce_sum(v1.square(model.kernel)) + v1.reduce_sum(model.bias)
        opt = v1.train.AdamOptimizer(0.1)
        train_op = opt.minimize(loss)
        ckpt = v1.train.Checkpoint(model=model, optimizer=opt)
        ckpt.restore(path).assert_consumed().run_restore_ops(sess)
        got = sess.run([model.kernel, model.bias, opt.get_slot(model.bias, "v")])
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b)
        sess.run(train_op)
        tf_path = ckpt.save(str(tmp_path / "tf"), session=sess)
        tf_after = sess.run([model.kernel, opt.get_slot(model.kernel, "m")])
    with tf.Graph().as_default(), tf.Session() as sess:
        model, opt, _ = _build(tf, 0.0)
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
        ckpt.restore(tf_path).assert_consumed().run_restore_ops(sess)
        got = sess.run([model.kernel, opt.get_slot(model.kernel, "m")])
        for a, b in zip(got, tf_after):
            np.testing.assert_allclose(a, b)
