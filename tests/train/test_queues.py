"""Queues (FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue), QueueRunner, Coordinator and the
queue input pipelines (slice_input_producer, batch, shuffle_batch, ...); Session.run from
several threads at once; nothing blocks forever."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import flowzero as tf


@pytest.fixture(autouse=True)
def _fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _in_thread(fn):
    """Runs fn() in a thread; returns (thread, box) where box gets the result or error."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - inspected by the test
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def test_fifo_queue_basics_and_close():
    q = tf.FIFOQueue(10, [tf.float32, tf.int32], shapes=[[2], []])
    enq = q.enqueue_many([[[1, 2], [3, 4], [5, 6]], [7, 8, 9]])
    one = q.dequeue()
    many = q.dequeue_many(2)
    up_to = q.dequeue_up_to(5)
    assert [t.shape.as_list() for t in many] == [[2, 2], [2]]
    assert [t.shape.as_list() for t in up_to] == [[None, 2], [None]]
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(q.size()) == 3
        a, b = sess.run(one)
        np.testing.assert_array_equal(a, [1, 2])
        assert b == 7
        sess.run(enq)
        a, b = sess.run(many)
        np.testing.assert_array_equal(b, [8, 9])
        sess.run(q.close())
        assert sess.run(q.is_closed())
        a, b = sess.run(up_to)  # closed: what is left (3 < 5)
        np.testing.assert_array_equal(b, [7, 8, 9])
        with pytest.raises(
            tf.errors.OutOfRangeError, match="fifo_queue.*closed and has insufficient elements"
        ):
            sess.run(one)
        with pytest.raises(tf.errors.CancelledError, match="is closed"):
            sess.run(enq)


def test_named_components_and_padding_queue():
    q = tf.FIFOQueue(4, [tf.float32, tf.int64], names=["x", "y"], shapes=[[], []])
    enq = q.enqueue({"x": 1.5, "y": 2})
    out = q.dequeue()
    assert set(out) == {"x", "y"}
    pq = tf.PaddingFIFOQueue(4, [tf.int32], shapes=[[None]])
    v = tf.placeholder(tf.int32, [None])
    penq = pq.enqueue([v])
    pdeq = pq.dequeue_many(2)
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(out) == {"x": 1.5, "y": 2}
        sess.run(penq, {v: [1, 2, 3]})
        sess.run(penq, {v: [4]})
        np.testing.assert_array_equal(sess.run(pdeq), [[1, 2, 3], [4, 0, 0]])


def test_wrong_shape_or_dtype_names_the_queue():
    q = tf.FIFOQueue(4, [tf.float32], shapes=[[2]], name="images")
    with pytest.raises(tf.errors.InvalidArgumentError, match="FIFOQueue 'images'.*shape"):
        q.enqueue([[1.0, 2.0, 3.0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="FIFOQueue 'images'.*float32"):
        q.enqueue([tf.constant([1, 2])])
    p = tf.placeholder(tf.float32, None)
    enq = q.enqueue([p])
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="FIFOQueue 'images'.*Expected \\[2\\], got \\[3\\]",
        ):
            sess.run(enq, {p: [1.0, 2.0, 3.0]})


def test_random_shuffle_queue_is_seeded_and_keeps_min_after_dequeue():
    q = tf.RandomShuffleQueue(20, 5, [tf.int32], shapes=[[]], seed=4)
    enq = q.enqueue_many([list(range(10))])
    deq = q.dequeue()
    orders = []
    for _ in range(2):
        with tf.Session() as sess:
            sess.run(enq)
            got = [sess.run(deq) for _ in range(5)]  # 10 - 5 = 5 without waiting
            assert sess.run(q.size()) == 5
            t, box = _in_thread(lambda s=sess: s.run(deq))  # would go below 5: waits
            t.join(0.3)
            assert t.is_alive()
            sess.run(q.close())  # closing lifts min_after_dequeue
            t.join(10)
            assert not t.is_alive() and "value" in box
            got += [box["value"]] + [sess.run(deq) for _ in range(4)]
            orders.append(got)
    assert sorted(orders[0]) == list(range(10))
    assert orders[0] == orders[1]
    assert orders[0] != list(range(10))


def test_close_wakes_blocked_dequeue_and_session_close_cancels():
    q = tf.FIFOQueue(2, [tf.float32], shapes=[[]])
    deq = q.dequeue()
    enq = q.enqueue([1.0])
    sess = tf.Session()
    t, box = _in_thread(lambda: sess.run(deq))
    t.join(0.2)
    assert t.is_alive()
    sess.run(q.close())
    t.join(10)
    assert isinstance(box.get("error"), tf.errors.OutOfRangeError)
    sess.close()

    sess = tf.Session()
    sess.run(enq)
    sess.run(enq)  # full
    t1, b1 = _in_thread(lambda: sess.run(enq))  # waits for room
    t2, b2 = _in_thread(lambda: tf.Session.run(sess, q.dequeue_many(5)))
    time.sleep(0.2)
    assert t1.is_alive()
    sess.close()  # cancels both pending operations
    t1.join(10)
    t2.join(10)
    assert not t1.is_alive() and not t2.is_alive()
    assert isinstance(b1.get("error"), tf.errors.CancelledError)
    assert isinstance(b2.get("error"), (tf.errors.CancelledError, RuntimeError))


def test_close_with_cancel_pending_enqueues():
    q = tf.FIFOQueue(1, [tf.float32], shapes=[[]])
    enq = q.enqueue([1.0])
    with tf.Session() as sess:
        sess.run(enq)
        t, box = _in_thread(lambda: sess.run(enq))
        t.join(0.2)
        assert t.is_alive()
        sess.run(q.close(cancel_pending_enqueues=True))
        t.join(10)
        assert isinstance(box.get("error"), tf.errors.CancelledError)


def _run_pipeline(fetch, init_local=True):
    out = []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        if init_local:
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
        assert not any(t.is_alive() for t in threads)
    return out


def test_slice_input_producer_batch_epochs():
    x = np.arange(10, dtype=np.float32)
    y = np.arange(10, dtype=np.int64) * 10
    xi, yi = tf.train.slice_input_producer([x, y], num_epochs=2, shuffle=True, seed=1)
    xb, yb = tf.train.batch([xi, yi], batch_size=3, allow_smaller_final_batch=True)
    batches = _run_pipeline([xb, yb])
    assert [len(b[0]) for b in batches] == [3] * 6 + [2]
    xs = np.concatenate([b[0] for b in batches])
    ys = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(ys, xs * 10)  # rows stay together
    assert sorted(xs) == sorted(np.concatenate([x, x]))
    assert list(xs[:10]) != list(x)  # shuffled


def test_epochs_need_local_variables_initializer():
    q = tf.train.string_input_producer(["a", "b"], num_epochs=1)
    deq = q.dequeue()
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        with pytest.raises(tf.errors.FailedPreconditionError, match="epochs"):
            coord.join(threads, stop_grace_period_secs=10)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(deq)  # the stop closed the queue (cancelling pending enqueues)
    assert sorted(_run_pipeline(deq)) == [b"a", b"b"]  # initialized: one epoch


def test_string_input_producer_and_shuffle_batch_dict():
    names = tf.train.string_input_producer(["a", "b", "c"], num_epochs=3, shuffle=False)
    name = names.dequeue()
    got = _run_pipeline(name)
    assert got == [b"a", b"b", b"c"] * 3
    with pytest.raises(ValueError, match="non-null"):
        tf.train.string_input_producer(tf.constant([], tf.string))


def test_shuffle_batch_structure_threads_and_smaller_final_batch():
    x = np.arange(50, dtype=np.int32)
    (xi,) = tf.train.slice_input_producer([x], num_epochs=1, shuffle=False)
    out = tf.train.shuffle_batch(
        {"x": xi, "y": xi * 2},
        batch_size=8,
        capacity=30,
        min_after_dequeue=10,
        num_threads=3,
        seed=2,
        allow_smaller_final_batch=True,
    )
    assert set(out) == {"x", "y"} and out["x"].shape.as_list() == [None]
    batches = _run_pipeline(out)
    xs = np.concatenate([b["x"] for b in batches])
    assert sorted(xs) == list(x)
    np.testing.assert_array_equal(np.concatenate([b["y"] for b in batches]), xs * 2)
    assert [len(b["x"]) for b in batches] == [8] * 6 + [2]


def test_queue_runner_error_reaches_coordinator():
    def boom(v):
        raise ValueError("bad input")

    q = tf.FIFOQueue(4, [tf.float32], shapes=[[]])
    bad = tf.py_func(boom, [tf.constant(1.0)], tf.float32)
    bad.set_shape([])
    qr = tf.train.QueueRunner(q, [q.enqueue([bad])])
    tf.train.add_queue_runner(qr)
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        assert coord.wait_for_stop(10)
        with pytest.raises(Exception, match="bad input"):
            coord.join(threads, stop_grace_period_secs=10)


def test_monitored_training_session_runs_queue_pipeline(tmp_path):
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    (xi,) = tf.train.slice_input_producer([x], num_epochs=2, shuffle=True, seed=0)
    xb = tf.train.shuffle_batch([xi], batch_size=4, capacity=16, min_after_dequeue=4, seed=0)[0]
    total = tf.Variable(0.0)
    step = tf.train.get_or_create_global_step()
    train = tf.group(tf.assign_add(total, tf.reduce_sum(xb)), tf.assign_add(step, 1))
    before = threading.active_count()
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path)) as sess:
        while not sess.should_stop():
            sess.run(train)
    # 40 elements / 4 per batch, then OutOfRangeError ended the loop cleanly
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-10")
    time.sleep(0.1)
    assert threading.active_count() <= before + 1  # runner threads are gone (a writer may stay)


def test_session_run_from_many_threads():
    """Several threads share one Session: different plans, feeds, variable updates and a
    tf.data iterator, all at once; every result is right and nothing hangs."""
    x = tf.placeholder(tf.float32, [None, 3])
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2))
    y = tf.matmul(x, w)
    z = tf.reduce_sum(tf.nn.relu(x) * 2.0, axis=1)
    counter = tf.Variable(tf.zeros([], tf.int64))
    bump = tf.count_up_to(counter, 10**9)

    def slow_source():  # releases the GIL inside the generator, as file reading would
        for i in range(400):
            time.sleep(0.0001)
            yield i

    it = tf.data.Dataset.from_generator(slow_source, tf.int64, []).make_one_shot_iterator()
    it = it.get_next()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        wv = sess.run(w)
        seen: list[int] = []
        errors_: list[BaseException] = []
        lock = threading.Lock()

        def worker(k):
            rng = np.random.default_rng(k)
            try:
                for i in range(50):
                    a = rng.normal(size=(k + 1, 3)).astype(np.float32)
                    if i % 2:
                        np.testing.assert_allclose(sess.run(y, {x: a}), a @ wv, rtol=1e-5)
                    else:
                        got = sess.run({"z": z, "n": bump}, feed_dict={x: a})
                        np.testing.assert_allclose(
                            got["z"], (np.maximum(a, 0) * 2).sum(1), rtol=1e-5
                        )
                    v = sess.run(it)
                    with lock:
                        seen.append(int(v))
            except BaseException as e:  # noqa: BLE001 - reported below
                errors_.append(e)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a Session.run hung"
        assert not errors_, errors_[0]
        assert sorted(seen) == list(range(400))  # each element exactly once
        assert sess.run(counter) == 8 * 25  # no lost increment


def test_queue_ops_and_count_up_to_round_trip_through_a_graph_file(tmp_path):
    from flowzero.framework.serialization import load_graph, write_graph

    epochs = tf.Variable(tf.zeros([], tf.int64), name="epochs")
    tick = tf.count_up_to(epochs, 2, name="tick")
    q = tf.FIFOQueue(8, [tf.int32, tf.string], shapes=[[], []], name="q")
    enq = q.enqueue_many([[1, 2, 3], [b"a", b"b", b"c"]], name="enq")
    one = q.dequeue(name="one")
    enq1 = q.enqueue([4, b"d"], name="enq1")
    many = q.dequeue_many(2, name="many")
    rest = q.dequeue_up_to(5, name="rest")
    size, closed, close = q.size(name="size"), q.is_closed(name="closed"), q.close(name="close")
    path = write_graph(tf.get_default_graph(), str(tmp_path), "queues.json")
    results = []
    for g in (tf.get_default_graph(), load_graph(path)):
        with g.as_default(), tf.Session(graph=g) as sess:

            def run(name, g=g, sess=sess):
                return sess.run(
                    g.get_tensor_by_name(name) if ":" in name else g.get_operation_by_name(name)
                )

            run("epochs/Assign")
            got = [run("tick:0"), run("tick:0")]
            with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
                run("tick:0")
            run("enq")
            got += [
                list(sess.run([g.get_tensor_by_name(f"one:{i}") for i in (0, 1)])),
                run("size:0"),
                run("closed:0"),
            ]
            run("enq1")
            got += [
                [list(v) for v in sess.run([g.get_tensor_by_name(f"many:{i}") for i in (0, 1)])]
            ]
            run("close")
            got += [
                [list(v) for v in sess.run([g.get_tensor_by_name(f"rest:{i}") for i in (0, 1)])],
                run("closed:0"),
            ]
            results.append(got)
    assert results[0] == results[1]
    assert results[0] == [0, 1, [1, b"a"], 2, False, [[2, 3], [b"b", b"c"]], [[4], [b"d"]], True]
    assert all(x is not None for x in (tick, enq, one, enq1, many, rest, size, closed, close))


def test_reader_ops_round_trip_through_a_graph_file(tmp_path):
    from flowzero.framework.serialization import load_graph, write_graph

    for i in range(2):
        (tmp_path / f"f{i}.txt").write_text(f"line{i}a\nline{i}b\n")
    files = [str(tmp_path / f"f{i}.txt") for i in range(2)]
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(4, tf.string, shapes=[[]], name="files")
        q.enqueue_many([files], name="enq")
        q.close(name="close")
        reader = tf.TextLineReader(name="lines")
        key, value = reader.read(q, name="read")
        keys, values = reader.read_up_to(q, 2, name="read_up_to")
        produced = reader.num_records_produced(name="produced")
        done = reader.num_work_units_completed(name="done")
        reset = reader.reset(name="reset")
    path = write_graph(g, str(tmp_path), "readers.json")
    results = []
    for graph in (g, load_graph(path)):
        with tf.Session(graph=graph) as sess:

            def run(name, graph=graph, sess=sess):
                el = graph.get_tensor_by_name(name) if ":" in name else None
                return sess.run(el if el is not None else graph.get_operation_by_name(name))

            run("enq")
            run("close")
            got = [run(value.name), list(run(values.name)), run(produced.name), run(done.name)]
            run("reset")
            got.append(run(produced.name))
            results.append(got)
    assert results[0] == results[1] == [b"line0a", [b"line0b", b"line1a"], 3, 1, 0]
    assert all(t is not None for t in (key, keys, reset))
