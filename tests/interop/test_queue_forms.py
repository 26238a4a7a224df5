"""Queue input pipelines (queues, readers, QueueRunners) in TensorFlow's GraphDef and
MetaGraphDef form: flowzero -> TF's protobufs -> flowzero runs the same; with TensorFlow
installed, TF runs flowzero's files and flowzero runs TF's (the TF tests skip otherwise)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop import meta_graph
from flowzero.proto import graph_pb2, meta_graph_pb2, queue_runner_pb2


@pytest.fixture
def csv_files(tmp_path):
    """Two CSV files with a header line and three rows each: (x float, y int)."""
    paths = []
    for i in range(2):
        p = tmp_path / f"part{i}.csv"
        p.write_text("x,y\n" + "".join(f"{10 * i + j}.5,{10 * i + j}\n" for j in range(3)))
        paths.append(str(p))
    return paths


def _pipeline(tfm, files, shuffled):
    """The TF1 CSV pipeline in `tfm` (flowzero or tf.compat.v1): string_input_producer ->
    TextLineReader -> decode_csv -> shuffle_batch (or batch); 12 records, batches of 3."""
    names = tfm.train.string_input_producer(files, num_epochs=2, shuffle=False)
    _, line = tfm.TextLineReader(skip_header_lines=1).read(names)
    x, y = tfm.decode_csv(line, [[0.0], [0]])
    if shuffled:
        return tfm.train.shuffle_batch([x, y], 3, capacity=20, min_after_dequeue=5, seed=1)
    return tfm.train.batch([x, y], 3, capacity=20)


def _drain(tfm, sess, fetches, errors_mod):
    """Runs the graph's queue runners and fetches batches until the input ends."""
    sess.run(tfm.local_variables_initializer())
    coord = tfm.train.Coordinator()
    threads = tfm.train.start_queue_runners(sess, coord)
    out = []
    try:
        while True:
            out.append(sess.run(fetches))
    except errors_mod.OutOfRangeError:
        pass
    coord.request_stop()
    coord.join(threads)
    return out


def _rows(batches):
    """All (x, y) rows of the batches, sorted (shuffled pipelines: the same multiset)."""
    return sorted((float(x), int(y)) for xb, yb in batches for x, y in zip(xb, yb))


def _check_rows(batches):
    """Every record of both epochs comes out once per epoch, x and y from one line."""
    rows = _rows(batches)
    assert all(x == y + 0.5 for x, y in rows), rows
    assert [y for _, y in rows] == sorted([0, 1, 2, 10, 11, 12] * 2)


# -- export ---------------------------------------------------------------------------------
def test_pipeline_graph_def_has_one_handle_per_queue_and_reader_named_as_tf(csv_files):
    with tf.Graph().as_default() as g:
        _pipeline(tf, csv_files, shuffled=True)
        gd = g.as_graph_def()
    nodes = {n.name: n for n in gd.node}
    types = [n.op for n in gd.node]
    assert types.count("FIFOQueueV2") == 1 and types.count("RandomShuffleQueueV2") == 1
    assert types.count("TextLineReaderV2") == 1
    # TF's names: the producer's queue is its scope, the batch is the dequeue op
    assert nodes["input_producer"].op == "FIFOQueueV2"
    assert nodes["input_producer"].attr["capacity"].i == 32
    assert list(nodes["input_producer/input_producer_EnqueueMany"].input)[0] == "input_producer"
    assert list(nodes["input_producer/input_producer_Close_1"].input) == ["input_producer"]
    assert nodes["input_producer/input_producer_Close_1"].attr["cancel_pending_enqueues"].b
    assert list(nodes["ReaderReadV2"].input) == ["TextLineReaderV2", "input_producer"]
    assert nodes["TextLineReaderV2"].attr["skip_header_lines"].i == 1
    rsq = nodes["shuffle_batch/random_shuffle_queue"]
    assert rsq.attr["min_after_dequeue"].i == 5 and rsq.attr["capacity"].i == 20
    assert len(rsq.attr["shapes"].list.shape) == 2
    assert nodes["shuffle_batch"].op == "QueueDequeueManyV2"
    assert list(nodes["shuffle_batch"].input)[0] == "shuffle_batch/random_shuffle_queue"
    enq = nodes["shuffle_batch/random_shuffle_queue_enqueue"]
    assert enq.attr["timeout_ms"].i == -1
    assert len(enq.attr["Tcomponents"].list.type) == 2
    assert not any(k in n.attr for n in gd.node for k in ("queue_key", "kind", "options"))


def test_reader_handles_keep_their_options():
    with tf.Graph().as_default() as g:
        names = tf.FIFOQueue(3, tf.string, shapes=[[]], name="files")
        tf.FixedLengthRecordReader(8, header_bytes=2, footer_bytes=1, name="fixed").read(names)
        tf.TFRecordReader(name="rec", options="GZIP").read_up_to(names, 4)
        tf.WholeFileReader().read(names)
        tf.IdentityReader().num_records_produced()
        gd = g.as_graph_def()
    nodes = {n.name: n for n in gd.node}
    fixed = nodes["fixed"]
    assert fixed.op == "FixedLengthRecordReaderV2"
    assert (fixed.attr["record_bytes"].i, fixed.attr["header_bytes"].i) == (8, 2)
    assert fixed.attr["footer_bytes"].i == 1
    assert nodes["rec"].attr["compression_type"].s == b"GZIP"
    assert list(nodes["ReaderReadUpToV2"].input)[:2] == ["rec", "files"]
    assert nodes["WholeFileReaderV2"].op == "WholeFileReaderV2"
    assert list(nodes["ReaderNumRecordsProducedV2"].input) == ["IdentityReaderV2"]


def test_queue_without_shapes_exports_no_shapes_and_runs_after_import():
    with tf.Graph().as_default() as g:
        q = tf.FIFOQueue(4, [tf.float32, tf.int32], name="q")
        q.enqueue_many(([1.0, 2.0, 3.0], [4, 5, 6]), name="enq")
        q.dequeue_many(2, name="deq")
        gd = g.as_graph_def()
    assert list(next(n for n in gd.node if n.name == "q").attr["shapes"].list.shape) == []
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            sess.run("enq")
            x, y = sess.run(["deq:0", "deq:1"])
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_array_equal(y, [4, 5])


# -- flowzero -> GraphDef -> flowzero -----------------------------------------------------------
def _queue_graph(tfm):
    """A FIFOQueue and a PaddingFIFOQueue with every queue op; returns the fetch names."""
    q = tfm.FIFOQueue(5, [tfm.float32, tfm.int32], shapes=[[2], []], name="fifo")
    q.enqueue_many(([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [7, 8, 9]), name="fill")
    q.enqueue(([9.0, 9.5], 10), name="one")
    q.dequeue_many(2, name="two")
    q.dequeue(name="next")
    q.size(name="size")
    p = tfm.PaddingFIFOQueue(5, [tfm.float32], shapes=[[None]], name="pad")
    ph = tfm.placeholder(tfm.float32, [None], name="row")
    p.enqueue([ph], name="push")
    p.close(name="shut")
    p.dequeue_up_to(4, name="upto")
    p.is_closed(name="closed")
    return ["two:0", "two:1", "next:0", "next:1", "size:0", "upto:0", "closed:0"]


def _run_queue_graph(sess):
    sess.run("fill")
    sess.run("one")
    two, two_y = sess.run(["two:0", "two:1"])
    nxt, nxt_y = sess.run(["next:0", "next:1"])
    size = sess.run("size:0")
    for row in ([1.0], [2.0, 3.0, 4.0], [5.0, 6.0]):
        sess.run("push", {"row:0": row})
    sess.run("shut")
    return [two, two_y, nxt, nxt_y, size, sess.run("upto:0"), sess.run("closed:0")]


def test_fifo_and_padding_queue_graph_round_trip():
    with tf.Graph().as_default() as g:
        _queue_graph(tf)
        with tf.Session() as sess:
            want = _run_queue_graph(sess)
        gd = g.as_graph_def()
    assert sorted(n.op for n in gd.node if n.op.endswith("QueueV2")) == [
        "FIFOQueueV2",
        "PaddingFIFOQueueV2",
    ]
    with tf.Graph().as_default():
        tf.import_graph_def(graph_pb2.GraphDef.FromString(gd.SerializeToString()), name="")
        with tf.Session() as sess:
            got = _run_queue_graph(sess)
    np.testing.assert_array_equal(want[0], [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(want[5], [[1.0, 0, 0], [2.0, 3.0, 4.0], [5.0, 6.0, 0]])
    assert want[4] == 1 and want[6]
    for w, x in zip(want, got):
        np.testing.assert_array_equal(x, w)


def test_import_scope_prefixes_queue_names():
    with tf.Graph().as_default() as g:
        _queue_graph(tf)
        gd = g.as_graph_def()
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="imp")
        with tf.Session() as sess:
            sess.run("imp/fill")
            np.testing.assert_array_equal(sess.run("imp/size:0"), 3)
        enq = g2.get_operation_by_name("imp/fill")
        assert enq.opdef.attrs["queue_name"] == "imp/fifo"
        # a second import is a second queue
        tf.import_graph_def(gd, name="imp2")
        with tf.Session() as sess:
            sess.run("imp/fill")
            assert sess.run("imp2/size:0") == 0


def test_pipeline_graph_def_round_trip_runs_the_same(csv_files):
    with tf.Graph().as_default() as g:
        xb, yb = _pipeline(tf, csv_files, shuffled=False)
        with tf.Session() as sess:
            want = _drain(tf, sess, [xb, yb], tf.errors)
        gd = g.as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        # a bare GraphDef has no collections (no runners, no local variables): run by hand
        with tf.Session() as sess:
            sess.run("input_producer/limit_epochs/epochs/Assign")
            for _ in range(2):
                sess.run("input_producer/input_producer_EnqueueMany")
            with pytest.raises(tf.errors.OutOfRangeError):  # num_epochs=2
                sess.run("input_producer/input_producer_EnqueueMany")
            sess.run("input_producer/input_producer_Close")
            for _ in range(12):
                sess.run("batch/fifo_queue_enqueue")
            with pytest.raises(tf.errors.OutOfRangeError):  # the files are read
                sess.run("batch/fifo_queue_enqueue")
            sess.run("batch/fifo_queue_Close")
            got = [sess.run(["batch:0", "batch:1"]) for _ in range(4)]
            with pytest.raises(tf.errors.OutOfRangeError):
                sess.run("batch:0")
    _check_rows(want)
    assert len(want) == 4
    for (wx, wy), (gx, gy) in zip(want, got):
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


# -- MetaGraphDef: Saver.save writes TF's .meta with the queue runners ----------------------------
def _save_pipeline(tmp_path, files, shuffled):
    """Builds the pipeline with one variable, saves a checkpoint; returns (path, batches)."""
    with tf.Graph().as_default():
        xb, yb = _pipeline(tf, files, shuffled)
        tf.Variable(2.0, name="w")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
            batches = _drain(tf, sess, [xb, yb], tf.errors)
    return prefix, batches


def test_saver_writes_tf_meta_graph_with_queue_runners(tmp_path, csv_files, caplog):
    prefix, want = _save_pipeline(tmp_path, csv_files, shuffled=False)
    assert not [r for r in caplog.records if "JSON format" in r.getMessage()]
    meta = prefix + ".meta"
    assert not meta_graph.is_json_meta_graph(meta)
    mg = meta_graph_pb2.MetaGraphDef.FromString(open(meta, "rb").read())
    defs = [
        queue_runner_pb2.QueueRunnerDef.FromString(b)
        for b in mg.collection_def["queue_runners"].bytes_list.value
    ]
    assert [d.queue_name for d in defs] == ["input_producer", "batch/fifo_queue"]
    assert list(defs[0].enqueue_op_name) == ["input_producer/input_producer_EnqueueMany"]
    assert defs[0].close_op_name == "input_producer/input_producer_Close"
    assert defs[0].cancel_op_name == "input_producer/input_producer_Close_1"
    assert set(defs[0].queue_closed_exception_types) == {11, 1}  # OUT_OF_RANGE, CANCELLED
    assert "local_variables" in mg.collection_def

    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(meta)
        runners = g.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        assert [r.name for r in runners] == ["input_producer", "batch/fifo_queue"]
        assert runners[0].queue_closed_exception_types == (
            tf.errors.OutOfRangeError,
            tf.errors.CancelledError,
        )
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            assert sess.run("w:0") == 2.0
            got = _drain(tf, sess, ["batch:0", "batch:1"], tf.errors)
    _check_rows(want)
    assert len(got) == len(want) == 4
    for (wx, wy), (gx, gy) in zip(want, got):
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


def test_shuffled_pipeline_meta_graph_round_trip(tmp_path, csv_files):
    prefix, want = _save_pipeline(tmp_path, csv_files, shuffled=True)
    with tf.Graph().as_default():
        tf.train.import_meta_graph(prefix + ".meta", import_scope="again")
        with tf.Session() as sess:
            got = _drain(tf, sess, ["again/shuffle_batch:0", "again/shuffle_batch:1"], tf.errors)
    _check_rows(want)
    _check_rows(got)
    assert len(got) == 4


def test_queue_runner_proto_round_trip():
    with tf.Graph().as_default() as g:
        with tf.name_scope("outer"):
            q = tf.FIFOQueue(3, tf.float32, shapes=[[]], name="q")
            enq = q.enqueue([1.0])
            qr = tf.train.QueueRunner(q, [enq, enq])
        qr_def = qr.to_proto()
        assert qr_def.queue_name == "outer/q"
        assert list(qr_def.enqueue_op_name) == ["outer/q_enqueue"] * 2
        assert qr.to_proto(export_scope="outer").queue_name == "q"
        assert qr.to_proto(export_scope="elsewhere") is None
        again = tf.train.QueueRunner.from_proto(qr_def)
        assert again.name == "outer/q"
        assert again.enqueue_ops == [enq, enq]
        assert again.close_op is g.get_operation_by_name(qr_def.close_op_name)
        assert again.queue.dtypes == [tf.float32]
        with pytest.raises(ValueError, match="exclusive"):
            tf.train.QueueRunner(q, [enq], queue_runner_def=qr_def)


# -- bad input ------------------------------------------------------------------------------
def _node(gd, name, op, inputs=(), **attrs):
    n = gd.node.add(name=name, op=op)
    n.input.extend(inputs)
    for k, v in attrs.items():
        n.attr[k].CopyFrom(v)
    return n


def _queue_gd():
    with tf.Graph().as_default() as g:
        q = tf.FIFOQueue(3, tf.float32, shapes=[[]], name="q")
        q.enqueue([1.0], name="enq")
        tf.constant(1.0, name="c")
        return g.as_graph_def()


def test_queue_op_without_a_queue_handle_is_refused():
    gd = _queue_gd()
    next(n for n in gd.node if n.name == "enq").input[0] = "c"
    with tf.Graph().as_default():
        with pytest.raises(
            errors.InvalidArgumentError, match="node 'enq'.*input 0 must be the handle of a queue"
        ):
            tf.import_graph_def(gd)


def test_enqueue_of_wrong_dtype_is_refused():
    from flowzero.interop import convert

    gd = _queue_gd()
    value = np.array(1, np.int32)
    _node(gd, "i", "Const", value=convert.attr_value(value), dtype=convert.attr_value(tf.int32))
    n = next(n for n in gd.node if n.name == "enq")
    n.input[1] = "i"
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="node 'enq'.*holds \\['float32'\\]"):
            tf.import_graph_def(gd)


def test_queue_handle_used_by_another_op_is_refused():
    gd = _queue_gd()
    _node(gd, "size", "Shape", ["q"])
    with tf.Graph().as_default():
        with pytest.raises(errors.UnimplementedError, match="node 'size'.*queue handle 'import/q'"):
            tf.import_graph_def(gd)


def test_fixed_length_reader_with_hop_bytes_is_refused():
    with tf.Graph().as_default() as g:
        names = tf.FIFOQueue(3, tf.string, shapes=[[]], name="files")
        tf.FixedLengthRecordReader(4, name="fixed").read(names)
        gd = g.as_graph_def()
    next(n for n in gd.node if n.name == "fixed").attr["hop_bytes"].i = 2
    with tf.Graph().as_default():
        with pytest.raises(errors.UnimplementedError, match="node 'fixed'.*hop_bytes"):
            tf.import_graph_def(gd)


def test_bad_queue_runner_collection_is_a_data_loss_error(tmp_path, csv_files):
    prefix, _ = _save_pipeline(tmp_path, csv_files, shuffled=False)
    mg = meta_graph.read_meta_graph(prefix + ".meta")
    qrs = mg.collection_def["queue_runners"].bytes_list.value
    bad = queue_runner_pb2.QueueRunnerDef.FromString(qrs[0])
    bad.close_op_name = "no_such_op"
    qrs[0] = bad.SerializeToString()
    with tf.Graph().as_default():
        with pytest.raises(errors.DataLossError, match="'queue_runners'.*no_such_op"):
            tf.train.import_meta_graph(mg)
    qrs[0] = b"\xff\xff\xff"
    with tf.Graph().as_default():
        with pytest.raises(errors.DataLossError, match="'queue_runners'.*does not parse"):
            tf.train.import_meta_graph(mg)


# -- TensorFlow reads flowzero's files, flowzero reads TensorFlow's ------------------------------
def _tf():
    return pytest.importorskip("tensorflow")


@pytest.mark.parametrize("shuffled", [False, True], ids=["batch", "shuffle_batch"])
def test_tensorflow_runs_flowzero_meta_graph_pipeline(tmp_path, csv_files, shuffled):
    real = _tf()
    v1 = real.compat.v1
    prefix, want = _save_pipeline(tmp_path, csv_files, shuffled)
    name = "shuffle_batch" if shuffled else "batch"
    tg = real.Graph()
    with tg.as_default():
        saver = v1.train.import_meta_graph(prefix + ".meta")
        assert len(v1.get_collection(v1.GraphKeys.QUEUE_RUNNERS)) == 2
        with v1.Session(graph=tg) as sess:
            saver.restore(sess, prefix)
            assert sess.run("w:0") == 2.0
            got = _drain(v1, sess, [f"{name}:0", f"{name}:1"], real.errors)
    _check_rows(got)
    if not shuffled:  # FIFO queues: the same batches in the same order
        assert len(got) == len(want)
        for (wx, wy), (gx, gy) in zip(want, got):
            np.testing.assert_array_equal(gx, wx)
            np.testing.assert_array_equal(gy, wy)


@pytest.mark.parametrize("use_resource", [False, True], ids=["ref_variables", "resource"])
@pytest.mark.parametrize("shuffled", [False, True], ids=["batch", "shuffle_batch"])
def test_flowzero_runs_tensorflow_meta_graph_pipeline(tmp_path, csv_files, shuffled, use_resource):
    real = _tf()
    v1 = real.compat.v1
    tg = real.Graph()
    with tg.as_default(), v1.variable_scope("", use_resource=use_resource):
        xb, yb = _pipeline(v1, csv_files, shuffled)
        v1.train.export_meta_graph(str(tmp_path / "tf.meta"))
        with v1.Session(graph=tg) as sess:
            want = _drain(v1, sess, [xb, yb], real.errors)
    name = "shuffle_batch" if shuffled else "batch"
    with tf.Graph().as_default() as g:
        tf.train.import_meta_graph(str(tmp_path / "tf.meta"))
        assert [r.name for r in g.get_collection(tf.GraphKeys.QUEUE_RUNNERS)] == [
            "input_producer",
            f"{name}/{'random_shuffle_queue' if shuffled else 'fifo_queue'}",
        ]
        with tf.Session() as sess:
            got = _drain(tf, sess, [f"{name}:0", f"{name}:1"], tf.errors)
    _check_rows(want)
    _check_rows(got)
    if not shuffled:
        for (wx, wy), (gx, gy) in zip(want, got):
            np.testing.assert_array_equal(gx, wx)
            np.testing.assert_array_equal(gy, wy)


def test_tensorflow_runs_flowzero_queue_graph():
    real = _tf()
    v1 = real.compat.v1
    with tf.Graph().as_default() as g:
        _queue_graph(tf)
        with tf.Session() as sess:
            want = _run_queue_graph(sess)
        gd = g.as_graph_def()
    tg = real.Graph()
    with tg.as_default():
        v1.import_graph_def(v1.GraphDef.FromString(gd.SerializeToString()), name="")
        with v1.Session(graph=tg) as sess:
            got = _run_queue_graph(sess)
    for w, x in zip(want, got):
        np.testing.assert_array_equal(x, w)


def test_flowzero_runs_tensorflow_queue_graph():
    real = _tf()
    v1 = real.compat.v1
    tg = real.Graph()
    with tg.as_default():
        _queue_graph(v1)
        with v1.Session(graph=tg) as sess:
            want = _run_queue_graph(sess)
        data = tg.as_graph_def().SerializeToString()
    with tf.Graph().as_default():
        tf.import_graph_def(graph_pb2.GraphDef.FromString(data), name="")
        with tf.Session() as sess:
            got = _run_queue_graph(sess)
    for w, x in zip(want, got):
        np.testing.assert_array_equal(x, w)


# -- a CIFAR-10 style binary pipeline: FixedLengthRecordReader + decode_raw + shuffle_batch --------
@pytest.fixture
def record_files(tmp_path):
    """Two files of a 1-byte header and three 5-byte records: a label byte, a 2x2 image."""
    paths = []
    for i in range(2):
        p = tmp_path / f"data_batch_{i}.bin"
        recs = [bytes([10 * i + j]) + bytes(range(4 * j, 4 * j + 4)) for j in range(3)]
        p.write_bytes(b"\xee" + b"".join(recs))
        paths.append(str(p))
    return paths


def _binary_pipeline(tfm, files):
    names = tfm.train.string_input_producer(files, num_epochs=2, shuffle=False)
    reader = tfm.FixedLengthRecordReader(record_bytes=5, header_bytes=1)
    _, value = reader.read(names)
    record = tfm.decode_raw(value, tfm.uint8)
    label = tfm.cast(tfm.slice(record, [0], [1]), tfm.int32)
    image = tfm.cast(tfm.reshape(tfm.slice(record, [1], [4]), [2, 2, 1]), tfm.float32)
    return tfm.train.shuffle_batch([image, label], 3, capacity=10, min_after_dequeue=2, seed=5)


def _check_binary(batches):
    rows = sorted(
        (int(lab[0]), img.ravel().tolist()) for ib, lb in batches for img, lab in zip(ib, lb)
    )
    want = sorted((10 * i + j, [4.0 * j + k for k in range(4)]) for i in range(2) for j in range(3))
    assert rows == sorted(want * 2)


def test_binary_record_pipeline_meta_graph_round_trip(tmp_path, record_files):
    with tf.Graph().as_default():
        _binary_pipeline(tf, record_files)
        tf.train.export_meta_graph(str(tmp_path / "bin.meta"))
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "bin.meta"))
        with tf.Session() as sess:
            got = _drain(tf, sess, ["shuffle_batch:0", "shuffle_batch:1"], tf.errors)
    _check_binary(got)


def test_binary_record_pipeline_with_tensorflow_both_ways(tmp_path, record_files):
    real = _tf()
    v1 = real.compat.v1
    with tf.Graph().as_default():
        _binary_pipeline(tf, record_files)
        tf.train.export_meta_graph(str(tmp_path / "fz.meta"))
    tg = real.Graph()
    with tg.as_default():
        v1.train.import_meta_graph(str(tmp_path / "fz.meta"))
        with v1.Session(graph=tg) as sess:
            in_tf = _drain(v1, sess, ["shuffle_batch:0", "shuffle_batch:1"], real.errors)
    tg = real.Graph()
    with tg.as_default():
        _binary_pipeline(v1, record_files)
        v1.train.export_meta_graph(str(tmp_path / "tf.meta"))
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "tf.meta"))
        with tf.Session() as sess:
            in_fz = _drain(tf, sess, ["shuffle_batch:0", "shuffle_batch:1"], tf.errors)
    _check_binary(in_tf)
    _check_binary(in_fz)
