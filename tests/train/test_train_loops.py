"""maybe_batch and friends, basic_train_loop, checkpoints_iterator and GlobalStepWaiterHook."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import flowzero as tf


def _drain(fetch):
    out = []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        try:
            while not coord.should_stop():
                out.append(sess.run(fetch))
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
    return out


def test_maybe_batch_scalar_keep_drops_elements():
    x = np.arange(20, dtype=np.int32)
    (xi,) = tf.train.slice_input_producer([x], num_epochs=1, shuffle=False)
    b = tf.train.maybe_batch(
        [xi], keep_input=tf.equal(xi % 3, 0), batch_size=2, allow_smaller_final_batch=True
    )
    got = np.concatenate([v[0] for v in _drain(b)])
    np.testing.assert_array_equal(got, x[x % 3 == 0])


def test_maybe_batch_vector_keep_with_enqueue_many():
    x = tf.constant(np.arange(12, dtype=np.float32).reshape(6, 2))
    keep = tf.constant([True, False, True, True, False, True])
    (limited,) = [tf.train.limit_epochs(x, num_epochs=1)]
    b = tf.train.maybe_batch(
        limited, keep, batch_size=4, enqueue_many=True, allow_smaller_final_batch=True
    )
    got = np.concatenate(_drain(b))
    np.testing.assert_array_equal(got, np.arange(12).reshape(6, 2)[[0, 2, 3, 5]])


def test_maybe_shuffle_batch_and_joins():
    x = np.arange(40, dtype=np.int64)
    (xi,) = tf.train.slice_input_producer([x], num_epochs=1, shuffle=False)
    out = tf.train.maybe_shuffle_batch(
        [xi],
        4,
        capacity=20,
        min_after_dequeue=5,
        keep_input=xi < 30,
        seed=3,
        allow_smaller_final_batch=True,
    )
    got = np.concatenate([v[0] for v in _drain(out)])
    assert sorted(got) == list(range(30)) and list(got) != list(range(30))
    with tf.Graph().as_default():
        (a,) = tf.train.slice_input_producer([np.arange(10)], num_epochs=1, shuffle=False)
        j = tf.train.maybe_batch_join(
            [[a], [a + 100]], tf.equal(a % 2, 0), batch_size=3, allow_smaller_final_batch=True
        )
        got = np.concatenate([v[0] for v in _drain(j)])
        # each list's enqueue dequeues its own element of a: the even ones are kept
        assert sorted(got % 100) == [0, 2, 4, 6, 8]
    with tf.Graph().as_default():
        (a,) = tf.train.slice_input_producer([np.arange(10)], num_epochs=1, shuffle=False)
        j = tf.train.maybe_shuffle_batch_join(
            [[a], [a + 100]], 2, 10, 2, keep_input=a > 4, allow_smaller_final_batch=True
        )
        got = np.concatenate([v[0] for v in _drain(j)])
        assert len(got) == 5 and set(got) <= {5, 6, 7, 8, 9, 105, 106, 107, 108, 109}


def test_maybe_batch_errors():
    x = tf.constant(1.0)
    with pytest.raises(ValueError, match="keep_input cannot be a vector"):
        tf.train.maybe_batch([x], tf.constant([True]), batch_size=2)
    with pytest.raises(ValueError, match="scalar or a vector"):
        tf.train.maybe_batch([x], tf.constant([[True]]), batch_size=2, enqueue_many=True)


def test_basic_train_loop_runs_until_stop_and_retries_aborted(tmp_path):
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    sv = tf.train.Supervisor(
        logdir=None, global_step=step, save_model_secs=0, save_summaries_secs=0
    )
    calls = []

    def train_step(sess, limit, scale=1):
        calls.append(scale)
        if len(calls) == 2:
            raise tf.errors.AbortedError(None, None, "preempted")
        if sess.run(inc) >= limit:
            sv.request_stop()

    tf.train.basic_train_loop(sv, train_step, args=[3], kwargs={"scale": 5})
    assert calls == [5] * len(calls) and len(calls) >= 4  # the aborted call, then a new session


def test_checkpoints_iterator_yields_new_checkpoints_and_times_out(tmp_path, monkeypatch):
    from flowzero.train import checkpoint_management

    monkeypatch.setattr(checkpoint_management, "_POLL_SECS", 0.02)
    v = tf.Variable(1.0)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = saver.save(sess, str(tmp_path / "m"), global_step=1)
        it = tf.train.checkpoints_iterator(str(tmp_path), timeout=0.3)
        assert next(it) == first

        def later():
            time.sleep(0.2)
            saver.save(sess, str(tmp_path / "m"), global_step=2)

        t = threading.Thread(target=later)
        t.start()
        assert next(it).endswith("m-2")
        t.join()
        t0 = time.time()
        assert list(it) == []  # no new checkpoint within the timeout: the iterator ends
        assert time.time() - t0 < 2
    timeouts = []
    it = tf.train.checkpoints_iterator(
        str(tmp_path), timeout=0.05, timeout_fn=lambda: timeouts.append(1) or len(timeouts) == 3
    )
    assert list(it) == [str(tmp_path / "m-2")] and len(timeouts) == 3


def test_global_step_waiter_hook_waits_for_the_step():
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    with tf.train.MonitoredSession(hooks=[tf.train.GlobalStepWaiterHook(0)]) as sess:
        assert sess.run(inc) == 1  # wait_until_step <= 0: no wait
    # the waiting itself: a session whose step another thread raises
    g = tf.Graph()
    with g.as_default():
        step = tf.train.get_or_create_global_step()
        inc = tf.assign_add(step, 1)
        hook = tf.train.GlobalStepWaiterHook(wait_until_step=3, poll_secs=0.01)
        hook.begin()
        with tf.Session() as s:
            s.run(step.initializer)

            def bump():
                for _ in range(3):
                    time.sleep(0.05)
                    s.run(inc)

            t = threading.Thread(target=bump)
            t0 = time.time()
            t.start()
            hook.before_run(tf.train.SessionRunContext(None, s))
            waited = time.time() - t0
            t.join()
            assert s.run(step) == 3 and waited >= 0.1
            hook.before_run(tf.train.SessionRunContext(None, s))  # started: returns at once
    with pytest.raises(RuntimeError, match="Global step should be created"):
        with tf.Graph().as_default():
            tf.train.GlobalStepWaiterHook(1).begin()
