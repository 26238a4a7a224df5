"""MonitoredSession / MonitoredTrainingSession and the basic hooks: TF 1.15's training loop."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _model(lr=0.1):
    x = tf.constant(np.linspace(-1, 1, 16, dtype=np.float32).reshape(8, 2))
    y = tf.constant(np.ones((8, 1), np.float32))
    w = tf.Variable(tf.zeros([2, 1]), name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)
    return w, loss, step, train


def _loop(sess, train):
    n = 0
    while not sess.should_stop():
        sess.run(train)
        n += 1
    return n


def test_stop_at_step_checkpoints_and_resume(tmp_path):
    w, loss, step, train = _model()
    d = str(tmp_path)
    hooks = [tf.train.StopAtStepHook(last_step=10)]
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=d, hooks=hooks, save_checkpoint_steps=4
    ) as sess:
        assert _loop(sess, train) == 10
        with pytest.raises(RuntimeError, match="after should_stop"):
            sess.run(w)  # as in TF: the loop is over
    w10 = tf.train.load_variable(d, "w")
    # a checkpoint at creation (step 0), every 4 steps, and at the end
    steps = sorted(
        int(f.split("-")[1].split(".")[0])
        for f in os.listdir(d)
        if f.startswith("model.ckpt-") and f.endswith(".index")
    )
    assert steps == [0, 4, 8, 10]
    assert tf.train.latest_checkpoint(d).endswith("model.ckpt-10")
    # resume: restored (not re-initialized), and num_steps counts from the restored step
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=d, hooks=[tf.train.StopAtStepHook(num_steps=3)]
    ) as sess:
        assert sess.run(step) == 10
        np.testing.assert_allclose(sess.run(w), w10)
        assert _loop(sess, train) == 3
    assert tf.train.latest_checkpoint(d).endswith("model.ckpt-13")


def test_graph_finalized_during_and_unfinalized_after(tmp_path):
    _, _, _, train = _model()
    with tf.train.MonitoredTrainingSession(hooks=[tf.train.StopAtStepHook(1)]) as sess:
        assert tf.get_default_graph().finalized
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(1.0)
        _loop(sess, train)
    assert not tf.get_default_graph().finalized


def test_out_of_range_from_dataset_ends_training_cleanly(tmp_path):
    ds = tf.data.Dataset.from_tensor_slices(np.arange(10, dtype=np.float32)).batch(3)
    x = ds.make_one_shot_iterator().get_next()
    v = tf.Variable(0.0)
    step = tf.train.get_or_create_global_step()
    train = tf.group(tf.assign_add(v, tf.reduce_sum(x)), tf.assign_add(step, 1))
    final = tf.train.FinalOpsHook(v)
    n = 0
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), hooks=[final]) as sess:
        while not sess.should_stop():
            sess.run(train)
            n += 1
    assert n == 4  # batches 3+3+3+1, then OutOfRangeError leaves the with block quietly
    assert final.final_ops_values == 45.0
    # hooks' end() ran: the final checkpoint is at step 4
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-4")


def test_other_errors_propagate_and_skip_end():
    _, loss, _, train = _model()
    final = tf.train.FinalOpsHook(loss)
    with pytest.raises(ZeroDivisionError):
        with tf.train.MonitoredSession(hooks=[final]) as sess:
            sess.run(train)
            raise ZeroDivisionError
    assert final.final_ops_values is None


class _Recorder(tf.train.SessionRunHook):
    def __init__(self, fetch, stop_after=None):
        self.fetch, self.stop_after = fetch, stop_after
        self.calls, self.values = [], []

    def begin(self):
        self.calls.append("begin")

    def after_create_session(self, session, coord):
        self.calls.append("after_create_session")
        assert isinstance(coord, tf.train.Coordinator)

    def before_run(self, run_context):
        self.calls.append("before_run")
        assert run_context.original_args.fetches is not None
        return tf.train.SessionRunArgs({"v": self.fetch})

    def after_run(self, run_context, run_values):
        self.calls.append("after_run")
        self.values.append(run_values.results["v"])
        if self.stop_after is not None and len(self.values) >= self.stop_after:
            run_context.request_stop()

    def end(self, session):
        self.calls.append("end")


def test_hook_protocol_order_fetches_and_request_stop():
    w, loss, step, train = _model()
    rec = _Recorder(loss, stop_after=3)
    with tf.train.SingularMonitoredSession(hooks=[rec]) as sess:
        out = [sess.run([train, loss]) for _ in range(3) if not sess.should_stop()]
        assert sess.should_stop()
        # the caller gets only its own fetches
        assert all(r[0] is None and np.ndim(r[1]) == 0 for r in out)
        assert sess.raw_session().run(step) == 3
    assert rec.calls == ["begin", "after_create_session"] + ["before_run", "after_run"] * 3 + [
        "end"
    ]
    assert rec.values[0] == pytest.approx(1.0)  # loss at w = 0
    assert rec.values[2] < rec.values[0]


def test_feed_fn_hook_and_feed_conflict():
    p = tf.placeholder(tf.float32, [])
    out = p * 2
    tf.train.get_or_create_global_step()
    hook = tf.train.FeedFnHook(lambda: {p: 4.0})
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        assert sess.run(out) == 8.0
        with pytest.raises(RuntimeError, match="fed by a SessionRunHook and user"):
            sess.run(out, feed_dict={p: 1.0})


def test_nan_tensor_hook():
    x = tf.Variable(1.0)
    loss = tf.log(x - 2.0)  # NaN
    tf.train.get_or_create_global_step()
    with pytest.raises(tf.train.NanLossDuringTrainingError):
        with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss)]) as sess:
            sess.run(loss)
    with tf.train.MonitoredSession(
        hooks=[tf.train.NanTensorHook(loss, fail_on_nan_loss=False)]
    ) as sess:
        sess.run(loss)
        assert sess.should_stop()


def test_logging_tensor_hook_every_n_iter(caplog):
    _, loss, step, train = _model()
    hook = tf.train.LoggingTensorHook({"loss": loss, "step": step}, every_n_iter=2)
    old = tf.logging.get_verbosity()  # (tests/conftest.py lets caplog see flowzero's records)
    tf.logging.set_verbosity(tf.logging.INFO)
    try:
        with tf.train.MonitoredSession(hooks=[hook, tf.train.StopAtStepHook(5)]) as sess:
            _loop(sess, train)
    finally:
        tf.logging.set_verbosity(old)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    logged = [m for m in lines if m.startswith("loss = ")]
    assert len(logged) == 3  # iterations 0, 2, 4
    assert "step = " in logged[0]


def test_hook_argument_errors():
    with pytest.raises(ValueError, match="num_steps or last_step"):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one"):
        tf.train.StopAtStepHook(num_steps=1, last_step=2)
    with pytest.raises(ValueError):
        tf.train.CheckpointSaverHook("d")  # neither save_secs nor save_steps
    with pytest.raises(ValueError):
        tf.train.LoggingTensorHook({}, every_n_iter=1, every_n_secs=1)
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op"):
        tf.train.SummarySaverHook(save_steps=1)
    tf.Variable(1.0)
    with pytest.raises(RuntimeError, match="Global step should be created"):
        tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(1)])


def test_summaries_and_step_rate_written(tmp_path):
    pytest.importorskip("tensorboardX")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, loss, _, train = _model()
    tf.summary.scalar("loss", loss)
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path),
        hooks=[tf.train.StopAtStepHook(6)],
        save_summaries_steps=2,
        log_step_count_steps=2,
    ) as sess:
        _loop(sess, train)
    tf.summary.FileWriterCache.clear()
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    loss_steps = [e.step for e in acc.Scalars("loss")]
    assert loss_steps == [1, 3, 5]
    assert [e.step for e in acc.Scalars("global_step/sec")] == [3, 5]


def test_scaffold_init_fn_and_local_init():
    v = tf.Variable(1.0)
    local = tf.Variable(5.0, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES])
    tf.train.get_or_create_global_step()
    seen = []
    scaffold = tf.train.Scaffold(init_fn=lambda scaffold, sess: seen.append(sess.run(v)))
    with tf.train.MonitoredSession(
        session_creator=tf.train.ChiefSessionCreator(scaffold=scaffold)
    ) as sess:
        assert sess.run(local) == 5.0
    assert seen == [1.0]
    # an init op that leaves a variable uninitialized: a RuntimeError naming it
    with tf.Graph().as_default():
        tf.Variable(2.0, name="forgotten")
        bad = tf.train.Scaffold(init_op=tf.no_op())
        with pytest.raises(RuntimeError, match="not initialized: forgotten"):
            tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold=bad))


def test_checkpoint_secs_default_and_run_step_fn(tmp_path):
    _, loss, step, train = _model()
    with tf.train.MonitoredTrainingSession(
        checkpoint_dir=str(tmp_path), save_summaries_steps=None
    ) as sess:

        def step_fn(ctx):
            ctx.run_with_hooks(train)
            if ctx.session.run(step) >= 2:
                ctx.request_stop()

        while not sess.should_stop():
            sess.run_step_fn(step_fn)
    # save_checkpoint_secs=600 by default: saved at step 0 and at the end only
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-2")
    assert os.path.exists(os.path.join(str(tmp_path), "model.ckpt-0.index"))


def test_coordinator_join_reraises_and_reports_stragglers():
    import threading

    coord = tf.train.Coordinator()

    def worker():
        with coord.stop_on_exception():
            raise ValueError("boom")

    t = threading.Thread(target=worker)
    t.start()
    with pytest.raises(ValueError, match="boom"):
        coord.join([t], stop_grace_period_secs=5)

    coord = tf.train.Coordinator()
    ev = threading.Event()
    t = threading.Thread(target=ev.wait, args=(10,), name="stuck", daemon=True)
    t.start()
    coord.request_stop(errors.OutOfRangeError(None, None, "end"))  # a clean stop
    with pytest.raises(RuntimeError, match="stuck"):
        coord.join([t], stop_grace_period_secs=0.05)
    ev.set()


def _mts_run(mod, d):
    with mod.Graph().as_default():
        x = mod.constant(np.linspace(-1, 1, 16, dtype=np.float32).reshape(8, 2))
        w = mod.Variable(mod.zeros([2, 1]))
        loss = mod.reduce_mean(mod.square(mod.matmul(x, w) - 1))
        step = mod.train.get_or_create_global_step()
        train = mod.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step)
        hooks = [mod.train.StopAtStepHook(last_step=10)]
        n = 0
        with mod.train.MonitoredTrainingSession(
            checkpoint_dir=d, hooks=hooks, save_checkpoint_steps=4, save_summaries_steps=None
        ) as sess:
            while not sess.should_stop():
                sess.run(train)
                n += 1
        final = mod.train.load_variable(d, "Variable")
    steps = sorted(
        int(f.split("-")[1].split(".")[0])
        for f in os.listdir(d)
        if f.startswith("model.ckpt-") and f.endswith(".index")
    )
    return n, steps, final


def test_matches_tensorflow_monitored_training_session(tmp_path):
    tf1 = pytest.importorskip("tensorflow").compat.v1
    tf1.disable_eager_execution()
    ours = _mts_run(tf, str(tmp_path / "ours"))
    theirs = _mts_run(tf1, str(tmp_path / "tf"))
    assert ours[:2] == theirs[:2] == (10, [0, 4, 8, 10])
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-5)
