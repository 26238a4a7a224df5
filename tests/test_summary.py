"""tf.summary and FileWriter: event files written here are read back by TensorBoard's own reader.

Skipped as a whole when the optional packages (tensorboardX, tensorboard) are missing.
"""

from __future__ import annotations

import bisect
import glob
import io
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing import event_accumulator as ea_mod  # noqa: E402
from tensorboard.compat.proto import event_pb2, graph_pb2, summary_pb2  # noqa: E402

import flowzero as tf  # noqa: E402
import flowzero.summary  # noqa: E402,F401 - installs tf.summary
from flowzero.models import TwoLayerNet  # noqa: E402
from flowzero.summary.png import decode_png  # noqa: E402
from flowzero.summary.summary_ops import default_bucket_limits  # noqa: E402

KEEP_ALL = {
    ea_mod.SCALARS: 0,
    ea_mod.HISTOGRAMS: 0,
    ea_mod.IMAGES: 0,
    ea_mod.COMPRESSED_HISTOGRAMS: 0,
    ea_mod.GRAPH: 0,
    ea_mod.TENSORS: 0,
}


def _load(logdir) -> ea_mod.EventAccumulator:
    acc = ea_mod.EventAccumulator(str(logdir), size_guidance=KEEP_ALL)
    acc.Reload()
    return acc


def _png_pixels(data: bytes) -> np.ndarray:
    """Decodes with Pillow when installed (an independent decoder), else ours."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        return decode_png(data)
    img = Image.open(io.BytesIO(data))
    img.load()
    arr = np.asarray(img)
    return arr[..., None] if arr.ndim == 2 else arr


def _reference_histogram(values):
    """TF's Histogram::Add + EncodeToProto written out element by element."""
    limits = list(default_bucket_limits())
    counts = [0.0] * len(limits)
    for v in np.asarray(values, np.float64).ravel():
        counts[min(bisect.bisect_right(limits, v), len(limits) - 1)] += 1
    out_limits, out_counts, i = [], [], 0
    while i < len(counts):
        end, c = limits[i], counts[i]
        i += 1
        if c <= 0:
            while i < len(counts) and counts[i] <= 0:
                end, c = limits[i], counts[i]
                i += 1
        out_limits.append(end)
        out_counts.append(c)
    return out_limits, out_counts


# -- summary ops -------------------------------------------------------------------------------
def test_scalar_summary_proto_and_scoped_tags():
    x = tf.placeholder(tf.float32, [])
    with tf.name_scope("train"):
        a = tf.summary.scalar("loss", x)
        b = tf.summary.scalar("loss", x * 2)
    c = tf.summary.scalar("acc", tf.constant(3, tf.int32), family="eval")
    assert a.op.type == "ScalarSummary" and a.dtype == tf.string and a.shape.as_list() == []
    assert (a.op.name, b.op.name, c.op.name) == ("train/loss", "train/loss_1", "eval/acc")
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [a, b, c]
    with tf.Session() as sess:
        ra, rb, rc = sess.run([a, b, c], {x: 1.5})
    assert isinstance(ra, bytes)
    sa, sb, sc = (summary_pb2.Summary.FromString(r) for r in (ra, rb, rc))
    assert [(v.tag, v.simple_value) for v in sa.value] == [("train/loss", 1.5)]
    assert [(v.tag, v.simple_value) for v in sb.value] == [("train/loss_1", 3.0)]
    # TF's family rule: the tag is the family, then the scoped name (which includes it).
    assert [(v.tag, v.simple_value) for v in sc.value] == [("eval/eval/acc", 3.0)]


def test_scalar_of_non_scalar_fails_at_build_time_naming_op_and_shape():
    with pytest.raises(
        tf.errors.InvalidArgumentError, match=r"ScalarSummary 'weights'.*scalar.*got shape \(2, 3\)"
    ):
        tf.summary.scalar("weights", tf.zeros([2, 3]))


def test_scalar_of_non_scalar_fails_at_run_time_when_shape_unknown():
    x = tf.placeholder(tf.float32)
    s = tf.summary.scalar("loss", x)
    with tf.Session() as sess:
        assert summary_pb2.Summary.FromString(sess.run(s, {x: 2.0})).value[0].simple_value == 2
        with pytest.raises(
            tf.errors.InvalidArgumentError, match=r"ScalarSummary 'loss'.*got shape \(2,\)"
        ):
            sess.run(s, {x: [1.0, 2.0]})


def test_scalar_of_bool_or_string_is_a_type_error():
    with pytest.raises(TypeError, match="ScalarSummary 'flag'.*real number.*bool"):
        tf.summary.scalar("flag", tf.constant(True))
    with pytest.raises(tf.errors.InvalidArgumentError, match="string"):
        tf.summary.histogram("names", tf.constant([b"a"]))


def test_histogram_matches_tf_buckets_and_stats():
    rng = np.random.default_rng(0)
    vals = np.concatenate([rng.normal(0, 1, 500), [0.0, 0.0, -3e-13, 1e-12, 7.0]]).astype(
        np.float32
    )
    h = tf.summary.histogram("w", tf.constant(vals))
    with tf.Session() as sess:
        proto = summary_pb2.Summary.FromString(sess.run(h)).value[0]
    assert proto.tag == "w"
    v64 = vals.astype(np.float64)
    histo = proto.histo
    assert (histo.num, histo.min, histo.max) == (v64.size, v64.min(), v64.max())
    np.testing.assert_allclose(
        [histo.sum, histo.sum_squares], [v64.sum(), (v64**2).sum()], rtol=1e-12
    )
    limits, counts = _reference_histogram(vals)
    np.testing.assert_array_equal(histo.bucket_limit, limits)
    np.testing.assert_array_equal(histo.bucket, counts)
    assert sum(histo.bucket) == v64.size


def test_histogram_limits_are_tfs():
    limits = default_bucket_limits()
    assert len(limits) == 1551 and limits[775] == 0.0
    assert limits[776] == 1e-12 and limits[-1] == sys.float_info.max
    np.testing.assert_array_equal(limits[:775], -limits[776:][::-1])
    assert np.all(np.diff(limits) > 0)


def test_histogram_nan_fails_at_run_time():
    x = tf.placeholder(tf.float32, [None])
    h = tf.summary.histogram("acts", x)
    with tf.Session() as sess:
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match="HistogramSummary 'acts'.*Nan in summary histogram",
        ):
            sess.run(h, {x: [1.0, np.nan]})


def test_image_uint8_float_and_tags():
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, (4, 5, 6, 3), dtype=np.uint8)
    im = tf.summary.image("rgb", tf.constant(u8), max_outputs=2)
    gray = np.linspace(0, 1, 2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4, 1)
    one = tf.summary.image("gray", tf.constant(gray), max_outputs=1)
    signed = np.array([[[[-2.0], [0.0], [1.0], [np.nan]]]], np.float32)  # 1x1x4x1
    sg = tf.summary.image("signed", tf.constant(signed), max_outputs=5)
    with tf.Session() as sess:
        s_rgb, s_gray, s_signed = (
            summary_pb2.Summary.FromString(r) for r in sess.run([im, one, sg])
        )
    assert [v.tag for v in s_rgb.value] == ["rgb/image/0", "rgb/image/1"]
    for i, v in enumerate(s_rgb.value):
        assert (v.image.height, v.image.width, v.image.colorspace) == (5, 6, 3)
        np.testing.assert_array_equal(_png_pixels(v.image.encoded_image_string), u8[i])
    assert [v.tag for v in s_gray.value] == ["gray/image"]
    # Non-negative floats: TF scales each image by 255 / its max and truncates.
    expect = (gray[0] * np.float32(255.0 / gray[0].max())).astype(np.uint8)
    assert expect.max() == 255
    np.testing.assert_array_equal(_png_pixels(s_gray.value[0].image.encoded_image_string), expect)
    # With negatives: 128 + 127 * x / max|x|; a non-finite pixel is red (gray channel: 255).
    np.testing.assert_array_equal(
        _png_pixels(s_signed.value[0].image.encoded_image_string)[0, :, 0], [1, 128, 191, 255]
    )
    assert [v.tag for v in s_signed.value] == ["signed/image/0"]


def test_image_bad_shapes():
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"ImageSummary 'im'.*\(2, 3, 3\)"):
        tf.summary.image("im", tf.zeros([2, 3, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"1, 3 or 4 channels"):
        tf.summary.image("im2", tf.zeros([1, 3, 3, 2]))
    with pytest.raises(TypeError, match="uint8 or float"):
        tf.summary.image("im3", tf.zeros([1, 3, 3, 1], tf.int32))
    x = tf.placeholder(tf.float32)
    s = tf.summary.image("im4", x)
    with (
        tf.Session() as sess,
        pytest.raises(tf.errors.InvalidArgumentError, match=r"ImageSummary 'im4'.*\(3, 3\)"),
    ):
        sess.run(s, {x: np.zeros((3, 3))})


def test_merge_all_merge_and_collections():
    assert tf.summary.merge_all() is None
    x = tf.placeholder(tf.float32, [3])
    a = tf.summary.scalar("avg", tf.reduce_mean(x))
    b = tf.summary.histogram("x", x)
    c = tf.summary.scalar("extra", tf.reduce_max(x), collections=["eval_summaries"])
    merged = tf.summary.merge_all()
    assert merged.op.type == "MergeSummary" and merged.op.name == "Merge/MergeSummary"
    assert [t.name for t in merged.op.inputs] == [a.name, b.name]
    assert c not in tf.get_collection(tf.GraphKeys.SUMMARIES)
    both = tf.summary.merge([merged, c])
    with tf.Session() as sess:
        s1, s2 = sess.run([merged, both], {x: [1, 2, 6]})
    assert [v.tag for v in summary_pb2.Summary.FromString(s1).value] == ["avg", "x"]
    s2 = summary_pb2.Summary.FromString(s2)
    assert [v.tag for v in s2.value] == ["avg", "x", "extra"]
    assert s2.value[2].simple_value == 6.0
    assert tf.summary.merge_all("eval_summaries").op.inputs == (c,)


def test_merge_duplicate_tag_and_non_string_inputs():
    a = tf.summary.scalar("dup", 1.0)
    with (
        tf.Session() as sess,
        pytest.raises(tf.errors.InvalidArgumentError, match="Duplicate tag dup found"),
    ):
        sess.run(tf.summary.merge([a, a]))
    with pytest.raises(TypeError, match="MergeSummary.*input 0.*string"):
        tf.summary.merge([tf.constant(1.0)])


def test_import_flowzero_summary_stays_light():
    code = (
        "import sys, flowzero, flowzero.summary as s; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('tensorboard', 'tensorboardX', 'google', 'torch')]; "
        "assert not heavy, heavy; s.scalar('x', 1.0); assert not "
        "[m for m in sys.modules if m.startswith('tensorboard')]; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert out.returncode == 0, out.stderr
    assert tf.summary.Summary is summary_pb2.Summary
    assert tf.summary.Event is event_pb2.Event


# -- FileWriter + EventAccumulator -------------------------------------------------------------
def _train_two_layer_net(logdir, steps=5):
    rng = np.random.default_rng(0)
    xs = rng.random((8, 784), dtype=np.float32)
    ts = rng.integers(0, 10, 8).astype(np.int32)
    net = TwoLayerNet(hidden_size=20, seed=0)
    train = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
    with tf.name_scope("summaries"):
        tf.summary.scalar("loss", net.loss)
        tf.summary.scalar("accuracy", net.accuracy)
        tf.summary.histogram("W1", net.params["W1"])
        tf.summary.image("input", tf.reshape(net.x, [-1, 28, 28, 1]), max_outputs=2)
    merged = tf.summary.merge_all()
    losses, images, w1 = [], None, []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with tf.summary.FileWriter(logdir, sess.graph) as writer:
            for step in range(steps):
                feed = {net.x: xs, net.t: ts}
                s, loss, w = sess.run([merged, net.loss, net.params["W1"]], feed)
                sess.run(train, feed)
                writer.add_summary(s, global_step=10 * step)
                losses.append(float(loss))
                w1.append(w)
            images = xs[:2].reshape(2, 28, 28, 1)
    return net, losses, w1, images


def test_filewriter_round_trip_with_event_accumulator(tmp_path):
    net, losses, w1, images = _train_two_layer_net(tmp_path)
    assert len(glob.glob(str(tmp_path / "events.out.tfevents.*"))) == 1
    acc = _load(tmp_path)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"summaries/loss", "summaries/accuracy"}
    assert tags["histograms"] == ["summaries/W1"]
    assert set(tags["images"]) == {"summaries/input/image/0", "summaries/input/image/1"}
    assert tags["graph"] is True

    loss = acc.Scalars("summaries/loss")
    assert [e.step for e in loss] == [0, 10, 20, 30, 40]
    np.testing.assert_array_equal([e.value for e in loss], np.float32(losses))
    assert losses[-1] < losses[0]  # it trained

    hist = acc.Histograms("summaries/W1")
    assert [e.step for e in hist] == [0, 10, 20, 30, 40]
    for e, w in zip(hist, w1):
        h = e.histogram_value
        w64 = w.astype(np.float64)
        assert (h.num, h.min, h.max) == (w.size, w64.min(), w64.max())
        np.testing.assert_allclose(h.sum, w64.sum(), rtol=1e-9, atol=1e-9)
        assert sum(h.bucket) == w.size

    for i in range(2):
        ims = acc.Images(f"summaries/input/image/{i}")
        assert [e.step for e in ims] == [0, 10, 20, 30, 40]
        e = ims[-1]
        assert (e.width, e.height) == (28, 28)
        assert e.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n"
        expect = (images[i] * np.float32(255.0 / images[i].max())).astype(np.uint8)
        np.testing.assert_array_equal(_png_pixels(e.encoded_image_string), expect)


def test_graph_def_has_scoped_nodes_inputs_and_shapes(tmp_path):
    _train_two_layer_net(tmp_path, steps=1)
    gd = _load(tmp_path).Graph()
    nodes = {n.name: n for n in gd.node}
    g = tf.get_default_graph()
    assert list(nodes) == [op.name for op in g.get_operations()]
    mm = nodes["two_layer_net/affine1/MatMul"]
    assert mm.op == "MatMul"
    assert list(mm.input) == ["two_layer_net/x", "two_layer_net/W1/read"]
    assert mm.attr["transpose_b"].b is False
    shp = mm.attr["_output_shapes"].list.shape[0]
    assert [d.size for d in shp.dim] == [-1, 20]
    assert nodes["two_layer_net/x"].attr["dtype"].type == 1  # DT_FLOAT
    assert nodes["two_layer_net/t"].attr["dtype"].type == 3  # DT_INT32
    assert nodes["two_layer_net/affine2/MatMul"].input[1] == "two_layer_net/W2/read"
    assert any(n.startswith("two_layer_net/affine1/") and nodes[n].op == "Relu" for n in nodes)
    assert nodes["summaries/loss"].op == "ScalarSummary"
    # every input names a node of the graph
    for n in gd.node:
        for i in n.input:
            assert i.lstrip("^").split(":")[0] in nodes, (n.name, i)


def test_graph_def_control_inputs_multi_outputs_consts_and_tensorboard_ui(tmp_path):
    a = tf.constant([1.0, 2.0], name="a")
    big = tf.zeros([64, 64], name="big")
    parts = tf.split(tf.reshape(tf.range(6.0), [2, 3]), [1, 2], axis=1, name="parts")
    with tf.control_dependencies([a.op]):
        tf.identity(parts[1], name="b")
    tf.placeholder(tf.float32, None, name="anyshape")
    with tf.summary.FileWriter(tmp_path) as w:
        w.add_graph(tf.get_default_graph(), global_step=3)
    gd = _load(tmp_path).Graph()
    nodes = {n.name: n for n in gd.node}
    assert list(nodes["b"].input) == [parts[1].name, "^a"]
    assert parts[1].name.endswith(":1")
    assert len(nodes[parts[0].op.name].attr["_output_shapes"].list.shape) == 2
    t = nodes["a"].attr["value"].tensor
    np.testing.assert_array_equal(np.frombuffer(t.tensor_content, "<f4"), [1.0, 2.0])
    assert [d.size for d in t.tensor_shape.dim] == [2]
    assert nodes["anyshape"].attr["_output_shapes"].list.shape[0].unknown_rank
    if big.op.type == "Const":  # 16 KiB: too large to embed
        assert "value" not in nodes[big.op.name].attr
    # TensorBoard's graph plugin prepares this GraphDef for its UI without complaint.
    with warnings.catch_warnings():  # tensorboard's vendored html5lib warns on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from tensorboard.plugins.graph.graphs_plugin import process_graph

    process_graph.prepare_graph_for_ui(gd, limit_attr_size=1024, large_attrs_key="_too_large_attrs")
    assert {n.name for n in gd.node} == set(nodes)


def test_add_graph_accepts_graph_def_and_rejects_others(tmp_path):
    gd = graph_pb2.GraphDef()
    gd.node.add(name="outer/inner/x", op="Placeholder")
    with tf.summary.FileWriter(tmp_path, graph_def=gd) as w:
        with pytest.raises(TypeError, match="tf.Graph or a GraphDef"):
            w.add_graph("not a graph")
        with pytest.raises(ValueError, match="needs a graph"):
            w.add_graph(None)
    assert [n.name for n in _load(tmp_path).Graph().node] == ["outer/inner/x"]


def test_add_summary_accepts_protos_and_rejects_tensors(tmp_path):
    s = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a", simple_value=1.0)])
    t = tf.summary.scalar("b", 2.0)
    with tf.summary.FileWriter(tmp_path) as w:
        w.add_summary(s, 1)
        w.add_summary(s.SerializeToString(), np.int64(2))
        with pytest.raises(TypeError, match="symbolic Tensor; run it first"):
            w.add_summary(t, 3)
        with pytest.raises(TypeError, match="global_step must be a number"):
            w.add_summary(s, tf.constant(3))
        with pytest.raises(TypeError, match="got int"):
            w.add_summary(5, 3)
        with pytest.raises(ValueError, match="not a serialized Summary"):
            w.add_summary(b"\xff\xff\xff", 4)
        w.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START), 5)
    acc = _load(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("a")] == [(1, 1.0), (2, 1.0)]


def _scalar_bytes(tag, value):
    return summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]
    ).SerializeToString()


def test_flush_close_reopen_semantics(tmp_path):
    w = tf.summary.FileWriter(tmp_path, max_queue=100, flush_secs=3600)
    assert w.get_logdir() == str(tmp_path)
    assert os.path.exists(w.event_file)
    w.add_summary(_scalar_bytes("s", 1.0), 0)
    buffered = os.path.getsize(w.event_file)
    w.flush()
    assert os.path.getsize(w.event_file) > buffered  # the event reached the disk on flush
    assert [e.value for e in _load(tmp_path).Scalars("s")] == [1.0]
    w.add_summary(_scalar_bytes("s", 2.0), 1)
    w.close()
    w.close()  # idempotent
    w.flush()  # no-op
    assert [e.value for e in _load(tmp_path).Scalars("s")] == [1.0, 2.0]
    with pytest.warns(UserWarning, match="closed FileWriter"):
        w.add_summary(_scalar_bytes("s", 99.0), 2)
    first = w.event_file
    w.reopen()
    assert w.event_file != first  # a new file, even within the same second
    w.add_summary(_scalar_bytes("s", 3.0), 2)
    w.close()
    assert len(glob.glob(str(tmp_path / "events.out.tfevents.*"))) == 2
    acc = _load(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("s")] == [(0, 1.0), (1, 2.0), (2, 3.0)]


def test_max_queue_forces_a_flush(tmp_path):
    w = tf.summary.FileWriter(tmp_path, max_queue=2, flush_secs=3600, filename_suffix=".mine")
    assert w.event_file.endswith(".mine")
    w.add_summary(_scalar_bytes("q", 1.0), 0)
    buffered = os.path.getsize(w.event_file)
    w.add_summary(_scalar_bytes("q", 2.0), 1)  # second pending event -> flushed to disk
    assert os.path.getsize(w.event_file) > buffered
    assert [e.value for e in _load(tmp_path).Scalars("q")] == [1.0, 2.0]
    w.close()


def _readable(logdir, tag):
    return tag in _load(logdir).Tags()["scalars"]


def test_flush_secs_background_flush(tmp_path):
    w = tf.summary.FileWriter(tmp_path, max_queue=100, flush_secs=0.05)
    w.add_summary(_scalar_bytes("t", 5.0), 7)
    deadline = time.monotonic() + 10
    while not _readable(tmp_path, "t") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(e.step, e.value) for e in _load(tmp_path).Scalars("t")] == [(7, 5.0)]
    w.close()


def test_two_writers_in_one_logdir_do_not_clobber(tmp_path):
    with tf.summary.FileWriter(tmp_path) as a, tf.summary.FileWriter(tmp_path) as b:
        a.add_summary(_scalar_bytes("a", 1.0), 0)
        b.add_summary(_scalar_bytes("b", 2.0), 0)
    acc = _load(tmp_path)
    assert sorted(acc.Tags()["scalars"]) == ["a", "b"]


def test_file_writer_cache(tmp_path):
    tf.summary.scalar("c", 1.0)
    w = tf.summary.FileWriterCache.get(tmp_path)
    assert tf.summary.FileWriterCache.get(str(tmp_path)) is w
    tf.summary.FileWriterCache.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w.add_summary(_scalar_bytes("x", 1.0))
    assert caught
    assert _load(tmp_path).Tags()["graph"] is True
