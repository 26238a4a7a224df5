"""Writes tests/fixtures/tf_interop/: graphs made by real TensorFlow for the GraphDef importer
tests that the model fixtures (scripts/make_tf_fixtures.py) do not cover.

    TF_USE_LEGACY_KERAS=1 /path/to/tfvenv/bin/python scripts/make_tf_interop_fixtures.py

- cond_frozen.pb: dense -> batch norm -> dropout, switched by a `training` placeholder
  (TF1 tf.cond: Switch / Merge), frozen; cond_expected.npz: `x` and TF's `y` (not training).
- static_rnn_frozen.pb: tf.nn.static_rnn of an LSTM with a `sequence_length` (a tf.cond per
  step with a tf.cond nested in its false branch), frozen; static_rnn_expected.npz: inputs, `y`.
- train_grads.meta: a training graph (conv2d, concat, reduce_sum over a scalar axis, SGD)
  whose gradients hold ShapeN and ConcatOffset; train_grads_expected.npz: the feed and the
  loss before and after each of two steps from the constant initial values.
- rnn_train_saved/1: a SavedModel that `simple_save` wrote from the training session of a
  dynamic_rnn (its graph holds the while loop's gradients, which flowzero does not import:
  loading takes the signature's part); rnn_train_expected.npz: `x` and TF's `y`.
- dataset.meta: a tf.data input pipeline (from_tensor_slices -> shuffle(seed) -> repeat ->
  batch -> prefetch, an initializable iterator) feeding a linear model with its training op;
  dataset_expected.npz: the slices and TF's first batch through the model (`y`, unshuffled
  order is not compared: TF's shuffle seeds are not flowzero's).
- bn_train.meta: conv2d -> batch norm (fused) and dense -> batch norm (not fused) switched by
  a `training` placeholder, UPDATE_OPS before SGD: the gradients of TF1 conds, with
  FusedBatchNormGradV3 and RsqrtGrad; bn_train_expected.npz: the feed and the loss before and
  after each of two training steps, and the moving mean after them.
- rnn_grads_train.meta: dynamic_rnn of an LSTM with a `sequence_length` -> dense -> mean
  squared error -> Adam, from constant initial values: the TF1 while loop's gradients (a
  forward counter, stacks, a backward loop, TensorArrayGradV3); rnn_grads_expected.npz: the
  feeds, the names of the gradients (of every variable and of `x`) and their values, and the
  loss before and after each of three training steps.
- loop_cond_train.meta: a tf.while_loop whose body holds a tf.cond (on the iteration's
  parity) and a TensorArray read in one branch, with a GRU cell, -> dense -> Adam;
  loop_cond_expected.npz: as rnn_grads_expected.npz.
- loop_gather_train.meta: a tf.while_loop that gathers rows of a variable (its gradient TF's
  IndexedSlices accumulators) -> Adam; loop_gather_expected.npz: the feed, the losses of
  three steps and the variable after them.
- growing_loop.pb: a tf.while_loop whose variable grows (a relaxed shape invariant), written
  without shapes; growing_loop_expected.npz: `y`.
- loop_in_cond_train.meta: a tf.cond whose true branch runs a tf.while_loop (reading a
  variable) -> SGD; loop_in_cond_expected.npz: `x`, the gradients' names, and per value of
  the predicate `p` their values (`grad_<i>_<p>`) and the losses of three steps (`loss_<p>`).
- nested_loop_train.meta: a tf.while_loop inside another (the inner one's trip count set by
  the outer counter) -> SGD; nested_loop_expected.npz: as rnn_grads_expected.npz.
- dataset_functions.meta: tf.data pipelines whose nodes carry functions (FunctionDefs of the
  graph's library): from_tensor_slices -> map (a captured constant, num_parallel_calls) ->
  filter -> batch with an initializable iterator; range -> flat_map (an inner range) with a
  one-shot iterator (OneShotIterator and its dataset factory); from_tensor_slices ->
  interleave (cycle 2) and the same with num_parallel_calls, and
  tf.data.experimental.parallel_interleave (LegacyParallelInterleaveDatasetV2), one-shot; a
  plain map, a map holding a tf.cond and a tf.while_loop (StatelessIf / StatelessWhile in the
  function), and map_and_batch (MapAndBatchDataset), a zip of nested datasets then a map,
  take_while and scan (a captured constant), padded_batch, unbatch, a map failing on one
  element under ignore_errors, one-shot; TextLineDataset -> skip -> map(decode_csv) and
  TFRecordDataset over file names fed to placeholders, initializable (`csv_x`, `csv_y`,
  `record`; the files' contents are CSV_TEXT and RECORDS; `initializers`: their MakeIterator
  names). dataset_functions_expected.npz: TF's elements of each (`map_x`, `map_y`, and the
  one-shot ones by name). Written alone by `make_tf_interop_fixtures.py dataset_functions`.
- dropout_train.meta: dense -> dropout switched by a `training` placeholder -> SGD (the
  cond's gradient reads the forward's random mask); dropout_expected.npz: `x` and TF's `y`
  (not training).
- sparse_momentum_train.meta: an embedding lookup (repeated ids) -> sum -> dense -> mean
  squared error -> Momentum: the embedding's gradient is IndexedSlices, so TF writes Unique,
  UnsortedSegmentSum and SparseApplyMomentum; sparse_momentum_expected.npz: the feeds (`ids`,
  `y`) and the loss before and after each of three training steps.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_interop"


def main() -> None:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    if sys.argv[1:] == ["dataset_functions"]:
        OUT.mkdir(parents=True, exist_ok=True)
        _dataset_functions(tf, v1)
        return
    rng = np.random.RandomState(0)
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        training = v1.placeholder_with_default(False, [], name="training")
        h = v1.layers.dense(
            x, 5, name="d", kernel_initializer=v1.constant_initializer(rng.randn(4, 5))
        )
        h = v1.layers.batch_normalization(
            h,
            training=training,
            name="bn",
            moving_mean_initializer=v1.constant_initializer(rng.randn(5)),
            moving_variance_initializer=v1.constant_initializer(rng.rand(5) + 0.5),
        )
        h = v1.layers.dropout(h, 0.5, training=training)
        y = tf.identity(tf.nn.relu(h), name="y")
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            xs = rng.randn(3, 4).astype(np.float32)
            want = sess.run(y, {x: xs})
            frozen = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cond_frozen.pb").write_bytes(frozen.SerializeToString())
    np.savez(OUT / "cond_expected.npz", x=xs, y=want)
    _static_rnn(tf, v1, rng)
    _train_grads(tf, v1, rng)
    _rnn_train_saved(tf, v1, rng)
    _dataset(tf, v1, rng)
    _bn_train(tf, v1, rng)
    _dropout_train(tf, v1, rng)
    _rnn_grads_train(tf, v1, rng)
    _loop_cond_train(tf, v1, rng)
    _loop_gather_train(tf, v1)
    _nested_loop_train(tf, v1)
    _growing_loop(tf, v1)
    _loop_in_cond_train(tf, v1)
    _sparse_momentum_train(tf, v1, np.random.RandomState(0))
    print(f"wrote {OUT}")


def _static_rnn(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4, 2], name="x")
        seqlen = v1.placeholder(tf.int32, [None], name="seqlen")
        cell = v1.nn.rnn_cell.BasicLSTMCell(3)
        outs, _ = v1.nn.static_rnn(
            cell, tf.unstack(x, 4, 1), dtype=tf.float32, sequence_length=seqlen
        )
        y = tf.identity(tf.stack(outs, 1), name="y")
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            xs = rng.randn(3, 4, 2).astype(np.float32)
            lens = np.array([4, 2, 1], np.int32)
            want = sess.run(y, {x: xs, seqlen: lens})
            frozen = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y"])
    (OUT / "static_rnn_frozen.pb").write_bytes(frozen.SerializeToString())
    np.savez(OUT / "static_rnn_expected.npz", x=xs, seqlen=lens, y=want)


def _train_grads(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 5, 5, 1], name="x")
        init = v1.constant_initializer
        k = v1.get_variable("k", initializer=init(rng.randn(3, 3, 1, 2)), shape=[3, 3, 1, 2])
        h = tf.nn.relu(tf.nn.conv2d(x, k, [1, 1, 1, 1], "SAME"))
        h = tf.concat([h, tf.square(h)], axis=3)
        w = v1.get_variable("w", initializer=init(rng.randn(4) * 0.1), shape=[4])
        loss = tf.reduce_mean(tf.reduce_sum(h * w, 3), name="loss")
        v1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        xs = rng.randn(2, 5, 5, 1).astype(np.float32)
        with v1.Session() as sess:
            sess.run("init")
            losses = []
            for _ in range(2):
                losses.append(sess.run(loss, {x: xs}))
                sess.run("train", {x: xs})
            losses.append(sess.run(loss, {x: xs}))
        v1.train.export_meta_graph(str(OUT / "train_grads.meta"), graph=g)
    np.savez(OUT / "train_grads_expected.npz", x=xs, loss=np.array(losses))


def _rnn_train_saved(tf, v1, rng) -> None:
    import shutil

    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3, 2], name="x")
        cell = v1.nn.rnn_cell.BasicLSTMCell(2)
        outs, _ = v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        y = tf.identity(outs[:, -1], name="y")
        v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(tf.square(y)))
        xs = rng.randn(2, 3, 2).astype(np.float32)
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            want = sess.run(y, {x: xs})
            path = OUT / "rnn_train_saved" / "1"
            shutil.rmtree(path.parent, ignore_errors=True)
            v1.saved_model.simple_save(sess, str(path), inputs={"x": x}, outputs={"y": y})
    np.savez(OUT / "rnn_train_expected.npz", x=xs, y=want)


def _dataset(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        xs = rng.randn(10, 3).astype(np.float32)
        labels = np.arange(10, dtype=np.int64)
        ds = tf.data.Dataset.from_tensor_slices((xs, labels)).shuffle(4, seed=1)
        ds = ds.repeat().batch(4).prefetch(2)
        it = v1.data.make_initializable_iterator(ds)
        x, label = it.get_next()
        w = v1.get_variable("w", initializer=v1.constant_initializer(rng.randn(3, 2)), shape=[3, 2])
        y = tf.identity(tf.matmul(x, w), name="y")
        tf.identity(label, name="label")
        v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y), name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        v1.train.export_meta_graph(str(OUT / "dataset.meta"), graph=g)
        with v1.Session() as sess:
            sess.run(["init", it.initializer])
            got_x, got_y = sess.run([x, y])
    np.savez(OUT / "dataset_expected.npz", x=xs, first_x=got_x, first_y=got_y)


# the files the reader pipelines read (the tests write the same)
CSV_TEXT = "x,y\n1.5,2\n-3.25,4\n8.0,-6\n"
RECORDS = (b"first", b"", b"third record")
ONE_SHOT = (
    "flat",
    "inter",
    "inter_par",
    "legacy_inter",
    "plain",
    "cond_while",
    "map_and_batch",
    "zipped",
    "take_while",
    "scan",
    "padded",
    "unbatched",
    "ignored",
)


def _dataset_functions(tf, v1) -> None:
    g = tf.Graph()
    with g.as_default():
        xs = np.arange(24, dtype=np.float32).reshape(8, 3)
        scale = tf.constant(0.5, name="scale")
        ds = tf.data.Dataset.from_tensor_slices((xs, np.arange(8, dtype=np.int64)))
        ds = ds.map(lambda a, b: (a * scale + 1.0, b * 3), num_parallel_calls=2)
        ds = ds.filter(lambda a, b: tf.equal(tf.math.floormod(b, 2), 0)).batch(3)
        it = v1.data.make_initializable_iterator(ds)
        mx, my = it.get_next(name="map_next")
        tf.identity(mx, name="map_x")
        tf.identity(my, name="map_y")
        flat = tf.data.Dataset.range(1, 5).flat_map(lambda i: tf.data.Dataset.range(i))
        tf.identity(v1.data.make_one_shot_iterator(flat).get_next(), name="flat")
        rows = tf.constant([[1, 2, 3], [4, 5, 6], [7, 8, 9]], name="rows")
        inter = tf.data.Dataset.from_tensor_slices(rows).interleave(
            lambda r: tf.data.Dataset.from_tensor_slices(r), cycle_length=2, block_length=2
        )
        tf.identity(v1.data.make_one_shot_iterator(inter).get_next(), name="inter")
        par = tf.data.Dataset.from_tensor_slices(rows).interleave(
            lambda r: tf.data.Dataset.from_tensor_slices(r * 10),
            cycle_length=2,
            block_length=1,
            num_parallel_calls=2,
        )
        tf.identity(v1.data.make_one_shot_iterator(par).get_next(), name="inter_par")
        legacy = tf.data.Dataset.from_tensor_slices(rows).apply(
            tf.data.experimental.parallel_interleave(
                lambda r: tf.data.Dataset.from_tensor_slices(r + 1), cycle_length=2, block_length=2
            )
        )
        tf.identity(v1.data.make_one_shot_iterator(legacy).get_next(), name="legacy_inter")
        plain = tf.data.Dataset.range(6).map(lambda i: tf.cast(i * i, tf.float32) - 0.5)
        tf.identity(v1.data.make_one_shot_iterator(plain).get_next(), name="plain")

        def branchy(i):  # TF 2.x control flow inside the function: StatelessIf, StatelessWhile
            y = tf.cond(i > 2, lambda: i * 10, lambda: i - 1)
            zero = tf.constant(0, tf.int64)
            _, z = tf.while_loop(lambda k, a: k < i, lambda k, a: (k + 1, a + k), [zero, zero])
            return tf.stack([y, z])

        cw = tf.data.Dataset.range(6).map(branchy)
        tf.identity(v1.data.make_one_shot_iterator(cw).get_next(), name="cond_while")
        mb = tf.data.Dataset.range(5).apply(
            tf.data.experimental.map_and_batch(
                lambda i: tf.cast(i, tf.float32) * scale, 2, drop_remainder=True
            )
        )
        tf.identity(v1.data.make_one_shot_iterator(mb).get_next(), name="map_and_batch")
        evens = tf.data.Dataset.range(0, 12, 2)
        zipped = tf.data.Dataset.zip((evens, (tf.data.Dataset.range(6), evens)))
        zipped = zipped.map(lambda a, bc: a * 100 + bc[0] * 10 + bc[1])
        tf.identity(v1.data.make_one_shot_iterator(zipped).get_next(), name="zipped")
        tw = tf.data.Dataset.range(10).apply(tf.data.experimental.take_while(lambda i: i < 4))
        tf.identity(v1.data.make_one_shot_iterator(tw).get_next(), name="take_while")
        sc = tf.data.Dataset.range(6).apply(
            tf.data.experimental.scan(np.float32(1.0), lambda s, i: (s * scale + 1.0, s))
        )
        tf.identity(v1.data.make_one_shot_iterator(sc).get_next(), name="scan")
        filled = tf.data.Dataset.range(1, 5).map(lambda i: tf.fill([i], i))
        padded = filled.padded_batch(2, [5], np.int64(-1))
        tf.identity(v1.data.make_one_shot_iterator(padded).get_next(), name="padded")
        unbatched = padded.unbatch()
        tf.identity(v1.data.make_one_shot_iterator(unbatched).get_next(), name="unbatched")
        table = tf.constant([10.0, 20.0, 30.0])
        ignored = tf.data.Dataset.range(4).map(lambda i: tf.gather(table, 2 - i))
        ignored = ignored.apply(tf.data.experimental.ignore_errors())  # i = 3 fails
        tf.identity(v1.data.make_one_shot_iterator(ignored).get_next(), name="ignored")
        text_files = v1.placeholder(tf.string, [None], name="text_files")
        lines = tf.data.TextLineDataset(text_files).skip(1)
        lines = lines.map(lambda line: tf.io.decode_csv(line, [[0.0], [0]]))
        lines_it = v1.data.make_initializable_iterator(lines)
        cx, cy = lines_it.get_next()
        tf.identity(cx, name="csv_x")
        tf.identity(cy, name="csv_y")
        record_files = v1.placeholder(tf.string, [None], name="record_files")
        records_it = v1.data.make_initializable_iterator(tf.data.TFRecordDataset(record_files))
        tf.identity(records_it.get_next(), name="record")
        v1.train.export_meta_graph(str(OUT / "dataset_functions.meta"), graph=g)
        got: dict[str, list] = {k: [] for k in ("map_x", "map_y", *ONE_SHOT)}
        with v1.Session() as sess:
            sess.run(it.initializer)
            for _ in range(2):  # 4 kept elements: a batch of 3, then one of 1
                x, y = sess.run(["map_x:0", "map_y:0"])
                got["map_x"].append(x)
                got["map_y"].append(y)
            for k in ONE_SHOT:
                while True:
                    try:
                        got[k].append(sess.run(f"{k}:0"))
                    except tf.errors.OutOfRangeError:
                        break
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            csv, tfr = os.path.join(tmp, "a.csv"), os.path.join(tmp, "a.tfrecord")
            with open(csv, "w") as f:
                f.write(CSV_TEXT)
            with tf.io.TFRecordWriter(tfr) as w:
                for r in RECORDS:
                    w.write(r)
            with v1.Session() as sess:
                sess.run(lines_it.initializer, {text_files: [csv]})
                sess.run(records_it.initializer, {record_files: [tfr]})
                for k, fetch in (("csv", ["csv_x:0", "csv_y:0"]), ("record", "record:0")):
                    got[k] = []
                    while True:
                        try:
                            got[k].append(sess.run(fetch))
                        except tf.errors.OutOfRangeError:
                            break
    np.savez(
        OUT / "dataset_functions_expected.npz",
        csv_x=np.array([x for x, _ in got["csv"]]),
        csv_y=np.array([y for _, y in got["csv"]]),
        record=np.array(got["record"], dtype=object).astype(bytes),
        initializers=np.array([lines_it.initializer.name, records_it.initializer.name]),
        map_x=np.concatenate(got["map_x"]),
        map_y=np.concatenate(got["map_y"]),
        **{k: np.array(got[k]) for k in ONE_SHOT},
    )


def _bn_train(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4, 4, 1], name="x")
        training = v1.placeholder_with_default(False, [], name="training")
        init = v1.constant_initializer
        h = v1.layers.conv2d(
            x, 2, 3, padding="same", kernel_initializer=init(rng.randn(3, 3, 1, 2))
        )
        h = tf.nn.relu(v1.layers.batch_normalization(h, training=training, name="bn1"))
        h = v1.layers.dense(tf.reshape(h, [-1, 32]), 3, kernel_initializer=init(rng.randn(32, 3)))
        h = v1.layers.batch_normalization(h, training=training, name="bn2")
        loss = tf.reduce_mean(tf.square(h - 1.0), name="loss")
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            v1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        xs = rng.randn(5, 4, 4, 1).astype(np.float32)
        feed = {x: xs, training: True}
        with v1.Session() as sess:
            sess.run("init")
            losses = []
            for _ in range(2):
                losses.append(sess.run(loss, feed))
                sess.run("train", feed)
            losses.append(sess.run(loss, feed))
            moving = sess.run("bn2/moving_mean:0")
        v1.train.export_meta_graph(str(OUT / "bn_train.meta"), graph=g)
    np.savez(OUT / "bn_train_expected.npz", x=xs, loss=np.array(losses), moving_mean=moving)


def _dropout_train(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        training = v1.placeholder_with_default(False, [], name="training")
        h = v1.layers.dense(x, 4, kernel_initializer=v1.constant_initializer(rng.randn(3, 4)))
        y = tf.identity(v1.layers.dropout(h, 0.5, training=training), name="y")
        v1.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y * y), name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        xs = rng.randn(2, 3).astype(np.float32)
        with v1.Session() as sess:
            sess.run("init")
            want = sess.run(y, {x: xs})
        v1.train.export_meta_graph(str(OUT / "dropout_train.meta"), graph=g)
    np.savez(OUT / "dropout_expected.npz", x=xs, y=want)


def _rnn_grads_train(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4, 3], name="x")
        lengths = v1.placeholder(tf.int32, [None], name="lengths")
        init = v1.constant_initializer
        cell = v1.nn.rnn_cell.LSTMCell(5, initializer=init(rng.randn(8, 20) * 0.4))
        outs, state = v1.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
        y = v1.layers.dense(state.h, 2, kernel_initializer=init(rng.randn(5, 2)))
        loss = tf.reduce_mean(tf.square(y - 1.0), name="loss")
        grads = v1.gradients(loss, v1.trainable_variables() + [x])
        v1.train.AdamOptimizer(0.05).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        feed = {x: rng.randn(3, 4, 3).astype(np.float32), lengths: np.array([4, 2, 3], np.int32)}
        _write_training(v1, g, "rnn_grads", loss, grads, feed)


def _write_training(v1, g, name: str, loss, grads, feed) -> None:
    """`<name>_train.meta` of the graph g (with an `init` and a `train` op), and
    `<name>_expected.npz`: the feeds (by placeholder name), the names of `grads` and their
    values from the initial variables, and the loss before and after each of three steps."""
    with v1.Session(graph=g) as sess:
        sess.run("init")
        got = sess.run(grads, feed)
        losses = [sess.run([loss, "train"], feed)[0] for _ in range(3)]
        losses.append(sess.run(loss, feed))
    v1.train.export_meta_graph(str(OUT / f"{name}_train.meta"), graph=g)
    np.savez(
        OUT / f"{name}_expected.npz",
        grad_names=np.array([t.name for t in grads]),
        loss=np.array(losses),
        **{t.op.name: v for t, v in feed.items()},
        **{f"grad_{i}": v for i, v in enumerate(got)},
    )


def _loop_cond_train(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 5, 3], name="x")
        init = v1.constant_initializer

        def kernel(shape, dtype=None, partition_info=None):  # constants of each shape
            return tf.constant(rng.randn(*shape) * 0.5, tf.float32)

        cell = v1.nn.rnn_cell.GRUCell(4, kernel_initializer=kernel)
        ta = tf.TensorArray(tf.float32, size=5).unstack(tf.transpose(x, [1, 0, 2]))

        def body(t, inp, state, outs):
            y, state = cell(inp, state)
            inp = tf.cond(
                tf.equal(t % 2, 0),
                lambda: ta.read(tf.minimum(t + 1, 4)),
                lambda: tf.tanh(inp) * 0.5,
            )
            return t + 1, inp, state, outs.write(t, y)

        batch = tf.shape(x)[0]
        start = [tf.constant(0), ta.read(0), cell.zero_state(batch, tf.float32)]
        _, _, _, outs = v1.while_loop(
            lambda t, *_: t < 5, body, [*start, tf.TensorArray(tf.float32, size=5)]
        )
        y = v1.layers.dense(
            tf.transpose(outs.stack(), [1, 0, 2]), 2, kernel_initializer=init(rng.randn(4, 2))
        )
        loss = tf.reduce_mean(tf.square(y - 0.5), name="loss")
        grads = v1.gradients(loss, v1.trainable_variables() + [x])
        v1.train.AdamOptimizer(0.05).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        feed = {x: rng.randn(2, 5, 3).astype(np.float32)}
        _write_training(v1, g, "loop_cond", loss, grads, feed)


def _loop_gather_train(tf, v1) -> None:
    g = tf.Graph()
    with g.as_default():
        ids = v1.placeholder(tf.int32, [2, 3], name="ids")
        emb = v1.get_variable(
            "emb", initializer=(np.arange(18, dtype=np.float32).reshape(6, 3) - 8) / 10
        )
        w = v1.get_variable("w", initializer=np.eye(3, dtype=np.float32) * 0.7)
        _, h = v1.while_loop(
            lambda i, h: i < 3,
            lambda i, h: (i + 1, tf.tanh(tf.matmul(h, w) + tf.gather(emb, ids[:, i]))),
            [tf.constant(0), tf.zeros([2, 3])],
        )
        loss = tf.reduce_sum(tf.square(h - 0.3), name="loss")
        v1.train.AdamOptimizer(0.1).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        feed = {ids: np.array([[1, 2, 2], [4, 1, 5]], np.int32)}
        with v1.Session() as sess:
            sess.run("init")
            losses = [sess.run([loss, "train"], feed)[0] for _ in range(3)]
            losses.append(sess.run(loss, feed))
            final = sess.run(emb)
        v1.train.export_meta_graph(str(OUT / "loop_gather_train.meta"), graph=g)
    np.savez(OUT / "loop_gather_expected.npz", ids=feed[ids], loss=np.array(losses), emb=final)


def _nested_loop_train(tf, v1) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [2], name="x")
        w = v1.get_variable("w", initializer=np.array([0.5, 0.9], np.float32))

        def outer(i, h):  # the inner loop runs i + 1 times
            _, h = v1.while_loop(
                lambda j, h: j < i + 1, lambda j, h: (j + 1, tf.sin(h * w) + 0.1), [0, h]
            )
            return i + 1, h * w

        _, h = v1.while_loop(lambda i, h: i < 3, outer, [tf.constant(0), x])
        loss = tf.reduce_sum(h * h, name="loss")
        grads = v1.gradients(loss, [w, x])
        v1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        feed = {x: np.array([0.3, -0.7], np.float32)}
        _write_training(v1, g, "nested_loop", loss, grads, feed)


def _growing_loop(tf, v1) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [1, 2], name="x")
        _, s = v1.while_loop(
            lambda i, s: i < 3,
            lambda i, s: (i + 1, tf.concat([s, s[-1:] * 2.0], 0)),
            [tf.constant(0), x],
            shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, 2])],
        )
        y = tf.identity(s, name="y")
        with v1.Session() as sess:
            want = sess.run(y, {x: np.array([[1.0, -1.0]], np.float32)})
    (OUT / "growing_loop.pb").write_bytes(g.as_graph_def().SerializeToString())
    np.savez(OUT / "growing_loop_expected.npz", y=want)


def _sparse_momentum_train(tf, v1, rng) -> None:
    g = tf.Graph()
    with g.as_default():
        ids = v1.placeholder(tf.int32, [None, 3], name="ids")
        y = v1.placeholder(tf.float32, [None, 2], name="y")
        init = v1.constant_initializer
        emb = v1.get_variable("emb", initializer=init(0.3 * rng.randn(6, 3)), shape=[6, 3])
        w = v1.get_variable("w", initializer=init(rng.randn(3, 2)), shape=[3, 2])
        h = tf.reduce_sum(tf.nn.embedding_lookup(emb, ids), 1)
        loss = tf.reduce_mean(tf.square(tf.matmul(h, w) - y), name="loss")
        v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        feed = {ids: np.array([[1, 4, 1], [0, 4, 5]], np.int32)}
        feed[y] = np.array([[0.5, -1.0], [1.0, 0.2]], np.float32)
        with v1.Session() as sess:
            sess.run("init")
            losses = []
            for _ in range(3):
                losses.append(sess.run(loss, feed))
                sess.run("train", feed)
            losses.append(sess.run(loss, feed))
        v1.train.export_meta_graph(str(OUT / "sparse_momentum_train.meta"), graph=g)
    np.savez(OUT / "sparse_momentum_expected.npz", ids=feed[ids], y=feed[y], loss=np.array(losses))


def _loop_in_cond_train(tf, v1) -> None:
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [2], name="x")
        p = v1.placeholder(tf.bool, [], name="p")
        w = v1.get_variable("w", initializer=np.array([0.5, 0.9], np.float32))

        def looped():
            _, h = v1.while_loop(
                lambda i, h: i < 3, lambda i, h: (i + 1, tf.sin(h * w) + 0.1), [0, x]
            )
            return h

        y = tf.cond(p, looped, lambda: x * w)
        loss = tf.reduce_sum(y * y, name="loss")
        grads = v1.gradients(loss, [w, x])
        v1.train.GradientDescentOptimizer(0.1).minimize(loss, name="train")
        v1.variables_initializer(v1.global_variables(), name="init")
        xs = np.array([0.3, -0.7], np.float32)
        want = {}
        with v1.Session() as sess:
            for taken in (1, 0):
                sess.run("init")
                feed = {x: xs, p: bool(taken)}
                for i, v in enumerate(sess.run(grads, feed)):
                    want[f"grad_{i}_{taken}"] = v
                losses = [sess.run([loss, "train"], feed)[0] for _ in range(3)]
                want[f"loss_{taken}"] = np.array(losses)
        v1.train.export_meta_graph(str(OUT / "loop_in_cond_train.meta"), graph=g)
    np.savez(
        OUT / "loop_in_cond_expected.npz",
        x=xs,
        grad_names=np.array([t.name for t in grads]),
        **want,
    )


if __name__ == "__main__":
    main()
