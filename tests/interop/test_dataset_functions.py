"""tf.data pipelines whose nodes carry functions (map, filter, flat_map, interleave: a
FunctionDef of the graph's library) and one-shot iterators (OneShotIterator with a dataset
factory function), both ways: TF-written fixtures (scripts/make_tf_interop_fixtures.py
dataset_functions) imported without TensorFlow; flowzero's graphs written and read back; and,
where TensorFlow is installed, run by TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import NO_TF_FORM_ATTR
from flowzero.proto import graph_pb2, meta_graph_pb2
from tests.interop.helpers import FIXTURES

DIR = FIXTURES.parent / "tf_interop"
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


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _expected() -> dict[str, np.ndarray]:
    with np.load(DIR / "dataset_functions_expected.npz") as z:
        return dict(z)


def _fixture_graph_def() -> graph_pb2.GraphDef:
    mg = meta_graph_pb2.MetaGraphDef.FromString((DIR / "dataset_functions.meta").read_bytes())
    return mg.graph_def


def _drain(sess: tf.Session, fetch: str) -> list[np.ndarray]:
    out = []
    while True:
        try:
            out.append(sess.run(fetch))
        except errors.OutOfRangeError:
            return out


def _check_fixture_pipelines(want: dict[str, np.ndarray]) -> None:
    with tf.Session() as sess:
        sess.run("MakeIterator")
        xs, ys = zip(*[sess.run(["map_x:0", "map_y:0"]) for _ in range(2)])
        np.testing.assert_allclose(np.concatenate(xs), want["map_x"], rtol=1e-6)
        np.testing.assert_array_equal(np.concatenate(ys), want["map_y"])
        with pytest.raises(errors.OutOfRangeError):
            sess.run("map_x:0")
        for k in ONE_SHOT:
            got = _drain(sess, f"{k}:0")
            np.testing.assert_allclose(got, want[k], rtol=1e-6, err_msg=k)
            assert np.asarray(got).dtype == want[k].dtype, k


def test_fixture_holds_every_function_carrying_node_type():
    gd = _fixture_graph_def()
    types = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert {
        "ParallelMapDatasetV2",
        "MapDataset",
        "FilterDataset",
        "FlatMapDataset",
        "InterleaveDataset",
        "ParallelInterleaveDatasetV4",
        "LegacyParallelInterleaveDatasetV2",
        "OneShotIterator",
        "MapAndBatchDataset",
        "StatelessIf",
        "StatelessWhile",
        "ZipDataset",
        "TakeWhileDataset",
        "ScanDataset",
        "PaddedBatchDatasetV2",
        "UnbatchDataset",
        "IgnoreErrorsDataset",
    } <= types


def test_tf_written_pipelines_import_from_the_meta_graph():
    """map (a captured constant) -> filter -> batch behind an initializable iterator, and
    flat_map / interleave / parallel interleave / map / map with a cond and a while loop /
    map_and_batch / zip then map / take_while / scan / padded_batch / unbatch / ignore_errors
    behind one-shot iterators give TF's elements, in TF's order."""
    tf.train.import_meta_graph(str(DIR / "dataset_functions.meta"))
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert "MapDataset" not in types and "OneShotIterator" not in types  # flowzero's own ops
    _check_fixture_pipelines(_expected())


def test_tf_written_pipelines_import_from_the_graph_def():
    tf.import_graph_def(_fixture_graph_def(), name="")
    _check_fixture_pipelines(_expected())


def test_tf_one_shot_iterator_restarts_in_a_new_session():
    tf.import_graph_def(_fixture_graph_def(), name="")
    want = _expected()["flat"]
    for _ in range(2):
        with tf.Session() as sess:
            np.testing.assert_array_equal(_drain(sess, "flat:0"), want)


# -- refused on import ---------------------------------------------------------------------------
def _function(gd: graph_pb2.GraphDef, prefix: str):
    return next(f for f in gd.library.function if f.signature.name.startswith(prefix))


def test_function_with_an_unknown_op_is_refused_naming_node_and_function():
    gd = _fixture_graph_def()
    f = _function(gd, "__inference_Dataset_filter")
    next(n for n in f.node_def if n.op == "FloorMod").op = "NoSuchOpAnywhere"
    with pytest.raises(errors.NotFoundError, match=r"Dataset_filter.*NoSuchOpAnywhere"):
        tf.import_graph_def(gd, name="")


def test_function_missing_from_the_library_is_refused():
    gd = _fixture_graph_def()
    name = _function(gd, "__inference_Dataset_map_lambda").signature.name
    keep = [f for f in gd.library.function if f.signature.name != name]
    del gd.library.function[:]
    gd.library.function.extend(keep)
    with pytest.raises(errors.NotFoundError, match=rf"'{name}', which is not in the graph"):
        tf.import_graph_def(gd, name="")


def test_python_function_inside_a_map_is_refused():
    gd = _fixture_graph_def()
    f = next(f for f in gd.library.function if any(n.op == "Mul" for n in f.node_def))
    next(n for n in f.node_def if n.op == "Mul").op = "EagerPyFunc"
    with pytest.raises(errors.UnimplementedError, match="EagerPyFunc"):
        tf.import_graph_def(gd, name="")


def test_interleave_with_autotuned_cycle_length_is_refused():
    gd = _fixture_graph_def()
    factory = next(
        f for f in gd.library.function if any(n.op == "InterleaveDataset" for n in f.node_def)
    )
    node = next(n for n in factory.node_def if n.op == "InterleaveDataset")
    cycle = node.input[-2].split(":")[0]
    const = next(n for n in factory.node_def if n.name == cycle)
    const.attr["value"].tensor.int64_val[:] = [-1]
    with pytest.raises(errors.UnimplementedError, match="cycle_length -1"):
        tf.import_graph_def(gd, name="")


# -- flowzero's graphs in TF's form --------------------------------------------------------------
def _pipelines() -> tuple[tf.Graph, dict[str, object]]:
    """map (a captured tensor) -> filter -> batch, initializable; flat_map, interleave and
    map -> shuffle(seed) -> take, one-shot."""
    g = tf.Graph()
    with g.as_default():
        xs = np.arange(18, dtype=np.float32).reshape(6, 3)
        scale = tf.constant(2.0, name="scale")
        ds = tf.data.Dataset.from_tensor_slices((xs, np.arange(6)))
        ds = ds.map(lambda a, b: (tf.reduce_sum(a * scale, axis=0), b * 10))
        ds = ds.filter(lambda a, b: tf.greater(b, 15)).batch(2)
        it = ds.make_initializable_iterator()
        a, b = it.get_next()
        tf.identity(a, name="map_a")
        tf.identity(b, name="map_b")
        flat = tf.data.Dataset.range(1, 4).flat_map(
            lambda i: tf.data.Dataset.from_tensor_slices(tf.fill([i], i * 2))
        )
        tf.identity(flat.make_one_shot_iterator().get_next(), name="flat")
        rows = tf.data.Dataset.from_tensor_slices(np.arange(12, dtype=np.int32).reshape(3, 4))
        inter = rows.interleave(lambda r: tf.data.Dataset.from_tensor_slices(r), 2, 3)
        tf.identity(inter.make_one_shot_iterator().get_next(), name="inter")
        mapped = tf.data.Dataset.range(5).map(lambda i: (tf.cast(i, tf.float32) * 0.5, i))
        tf.identity(mapped.make_one_shot_iterator().get_next()[0], name="plain")
    return g, {"it": it}


def _run_pipelines(sess: object, out_of_range: type) -> dict[str, list[np.ndarray]]:
    sess.run("MakeIterator")
    got: dict[str, list[np.ndarray]] = {"map_a": [], "map_b": []}
    for _ in range(2):
        a, b = sess.run(["map_a:0", "map_b:0"])
        got["map_a"].append(a)
        got["map_b"].append(b)
    for k in ("flat", "inter", "plain"):
        got[k] = []
        while True:
            try:
                got[k].append(sess.run(f"{k}:0"))
            except out_of_range:
                break
    return got


def _flowzero_result(g: tf.Graph) -> dict[str, list[np.ndarray]]:
    with g.as_default(), tf.Session() as sess:
        return _run_pipelines(sess, errors.OutOfRangeError)


def _assert_same(got: dict[str, list[np.ndarray]], want: dict[str, list[np.ndarray]]) -> None:
    assert set(got) == set(want)
    for k in want:
        assert len(got[k]) == len(want[k]), k
        for x, y in zip(got[k], want[k]):
            np.testing.assert_allclose(x, y, rtol=1e-6, err_msg=k)
            assert np.asarray(x).dtype == np.asarray(y).dtype, k


def test_pipelines_are_written_in_tfs_form():
    g, _ = _pipelines()
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    types = [n.op for n in gd.node]
    assert types.count("OneShotIterator") == 3 and types.count("IteratorV2") == 1
    assert {"MapDataset", "FilterDataset", "BatchDatasetV2"} <= set(types)
    inner = {n.op for f in gd.library.function for n in f.node_def}
    assert {"FlatMapDataset", "InterleaveDataset", "RangeDataset", "Sum", "Greater"} <= inner
    mapped = next(n for n in gd.node if n.op == "MapDataset")
    assert mapped.input[1] == "scale"  # the captured tensor, an input (Targuments)
    assert len(mapped.attr["Targuments"].list.type) == 1
    fn = next(f for f in gd.library.function if f.signature.name == mapped.attr["f"].func.name)
    assert [a.name for a in fn.signature.input_arg] == ["arg_0", "arg_1", "capture_0"]
    assert any(":output:0" in i for n in fn.node_def for i in n.input)  # node:arg:index


def test_pipelines_read_back_into_flowzero():
    g, _ = _pipelines()
    want = _flowzero_result(g)
    np.testing.assert_array_equal(want["flat"], [2, 4, 4, 6, 6, 6])
    np.testing.assert_array_equal(want["inter"], [0, 1, 2, 4, 5, 6, 3, 7, 8, 9, 10, 11])
    gd = g.as_graph_def()
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
    _assert_same(_flowzero_result(g2), want)


def test_the_same_dataset_twice_writes_its_functions_once():
    with tf.Graph().as_default() as g:
        ds = tf.data.Dataset.range(4).map(lambda i: i + 1)
        it = tf.data.Iterator.from_structure(ds.output_types, ds.output_shapes)
        first, second = it.make_initializer(ds), it.make_initializer(ds)
        tf.identity(it.get_next(), name="y")
    gd = g.as_graph_def()
    assert len(gd.library.function) == 1
    assert [n.op for n in gd.node].count("MapDataset") == 2
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            sess.run(second.name)
            assert [sess.run("y:0") for _ in range(4)] == [1, 2, 3, 4]
    del first


def test_map_reading_an_op_with_no_tf_form_is_marked_and_leaves_no_function():
    with tf.Graph().as_default() as g:
        ds = tf.data.Dataset.range(3).map(
            lambda i: tf.py_func(lambda v: v * 2, [i], tf.int64, stateful=False)
        )
        ds.make_initializable_iterator().get_next()
    gd = g.as_graph_def()
    marked = {
        n.op: n.attr[NO_TF_FORM_ATTR].s.decode() for n in gd.node if NO_TF_FORM_ATTR in n.attr
    }
    assert "MakeIterator" in marked and "PyFunc" in marked["MakeIterator"]
    assert len(gd.library.function) == 0
    with pytest.raises(errors.UnimplementedError, match="PyFunc"):
        tf.train.write_graph(g, "/tmp", "never_written.pbtxt")


def test_one_shot_iterator_over_a_placeholder_has_no_tf_form():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None], name="x")
        tf.data.Dataset.from_tensor_slices(x).map(tf.sqrt).make_one_shot_iterator().get_next()
    gd = g.as_graph_def()
    (why,) = [n.attr[NO_TF_FORM_ATTR].s.decode() for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    assert "'x:0', which is not a constant" in why and "initializable iterator" in why
    assert len(gd.library.function) == 0


def test_ignore_errors_over_a_batch_has_no_tf_form():
    """TF's IgnoreErrorsDataset over a batch loses the partial batch of a failing element;
    flowzero drops the element only: not written."""
    with tf.Graph().as_default() as g:
        ds = tf.data.Dataset.range(3).map(lambda i: i * 2).batch(2)
        ds.apply(tf.data.experimental.ignore_errors()).make_initializable_iterator().get_next()
        gen = tf.data.Dataset.from_generator(lambda: iter([1, 2]), tf.int64, [])
        gen.make_initializable_iterator().get_next()
    gd = g.as_graph_def()
    why = [n.attr[NO_TF_FORM_ATTR].s.decode() for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    assert len(why) == 2 and "chain of maps and filters" in why[0] and "'generator'" in why[1]
    assert len(gd.library.function) == 0


def test_tf_ignore_errors_over_a_batch_is_refused_on_import():
    gd = _fixture_graph_def()
    factory = next(
        f for f in gd.library.function if any(n.op == "IgnoreErrorsDataset" for n in f.node_def)
    )
    node = next(n for n in factory.node_def if n.op == "IgnoreErrorsDataset")
    size = factory.node_def.add(name="size", op="Const")
    size.attr["dtype"].type = 9  # int64
    size.attr["value"].tensor.dtype = 9
    size.attr["value"].tensor.int64_val.append(2)
    batch = factory.node_def.add(name="batched", op="BatchDataset")
    batch.input.extend([node.input[0], "size:output:0"])
    node.input[0] = "batched:handle:0"
    with pytest.raises(errors.UnimplementedError, match="IgnoreErrorsDataset.*partial batch"):
        tf.import_graph_def(gd, name="")


def _zip_scan_take_while() -> tf.Graph:
    g = tf.Graph()
    with g.as_default():
        a = tf.data.Dataset.range(6)
        b = tf.data.Dataset.from_tensor_slices(np.arange(6.0) * 2)
        z = tf.data.Dataset.zip((a, (b, a))).map(lambda x, yw: x + tf.cast(yw[0], tf.int64) + yw[1])
        tf.identity(z.make_one_shot_iterator().get_next(), name="zipped")
        tw = a.apply(tf.data.experimental.take_while(lambda x: x < 3))
        tf.identity(tw.make_one_shot_iterator().get_next(), name="take_while")
        s = tf.constant(3, tf.int64)
        sc = a.apply(tf.data.experimental.scan(np.int64(0), lambda st, x: (st + x, st * s)))
        tf.identity(sc.make_initializable_iterator().get_next(), name="scan")
    return g


def _drain_all(sess: object, out_of_range: type) -> dict[str, list]:
    sess.run("MakeIterator")
    got = {}
    for k in ("zipped", "take_while", "scan"):
        got[k] = []
        while True:
            try:
                got[k].append(sess.run(f"{k}:0"))
            except out_of_range:
                break
    return got


ZIP_SCAN_TAKE_WHILE = {
    "zipped": [0, 4, 8, 12, 16, 20],
    "take_while": [0, 1, 2],
    "scan": [0, 0, 3, 9, 18, 30],
}


def test_zip_take_while_and_scan_are_written_and_read_back():
    g = _zip_scan_take_while()
    with g.as_default(), tf.Session() as sess:
        assert _drain_all(sess, errors.OutOfRangeError) == ZIP_SCAN_TAKE_WHILE
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    inner = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert {"ZipDataset", "TakeWhileDataset", "ScanDataset"} <= inner
    scan = next(n for n in gd.node if n.op == "ScanDataset")
    assert len(scan.attr["Tstate"].list.type) == 1 and len(scan.attr["Targuments"].list.type) == 1
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        assert _drain_all(sess, errors.OutOfRangeError) == ZIP_SCAN_TAKE_WHILE


def test_tensorflow_runs_zip_take_while_and_scan():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    gd = v1.GraphDef.FromString(_zip_scan_take_while().as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            assert _drain_all(sess, real.errors.OutOfRangeError) == ZIP_SCAN_TAKE_WHILE


# -- TensorFlow runs flowzero's graphs -------------------------------------------------------------
def test_tensorflow_runs_flowzeros_pipelines_with_functions():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, _ = _pipelines()
    want = _flowzero_result(g)
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            got = _run_pipelines(sess, real.errors.OutOfRangeError)
    _assert_same(got, want)


def test_tensorflow_runs_flowzeros_meta_graph_with_a_one_shot_iterator(tmp_path):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, _ = _pipelines()
    want = _flowzero_result(g)
    path = str(tmp_path / "pipelines.meta")
    with g.as_default():
        tf.train.export_meta_graph(path)
    with real.Graph().as_default():
        v1.train.import_meta_graph(path)
        with v1.Session() as sess:
            got = _run_pipelines(sess, real.errors.OutOfRangeError)
    _assert_same(got, want)


def _variable_pipeline() -> tuple[tf.Graph, list[float]]:
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(3.0, name="v")
        it = tf.data.Dataset.range(4).map(lambda i: tf.cast(i, tf.float32) * v)
        it = it.make_initializable_iterator()
        tf.identity(it.get_next(), name="y")
        it.string_handle(name="handle")
        tf.global_variables_initializer()
        with tf.Session() as sess:
            sess.run("init")
            sess.run(it.initializer)
            want = [sess.run("y:0") for _ in range(4)]
    return g, want


def test_map_capturing_a_variable_and_a_string_handle_are_written():
    g, want = _variable_pipeline()
    assert want == [0.0, 3.0, 6.0, 9.0]
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    handle = next(n for n in gd.node if n.name == "handle")
    assert handle.op == "IteratorToStringHandle" and list(handle.input) == ["IteratorV2"]
    mapped = next(n for n in gd.node if n.op == "MapDataset")
    assert mapped.input[1].startswith("v")  # the variable's value, captured


def test_tensorflow_runs_a_map_capturing_a_variable():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, want = _variable_pipeline()
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            sess.run("init")
            sess.run("MakeIterator")
            assert sess.run("handle:0")  # TF's handle of the IteratorV2
            got = [sess.run("y:0") for _ in range(4)]
    np.testing.assert_allclose(got, want)


def test_tf_string_handle_of_a_one_shot_iterator_imports():
    tf.import_graph_def(_fixture_graph_def(), name="")
    g = tf.get_default_graph()
    one_shot = [op for op in g.get_operations() if op.type == "IteratorToStringHandle"]
    assert len(one_shot) == 3 + len(ONE_SHOT)  # TF writes one per iterator (3 initializable)
    with tf.Session() as sess:
        assert all(sess.run(op.outputs[0]) for op in one_shot)


def _control_flow_pipeline(max_iterations: int | None = None) -> tuple[tf.Graph, list]:
    """A map holding a tf.cond and a tf.while_loop, both reading a tensor from outside."""
    g = tf.Graph()
    with g.as_default():
        s = tf.constant(7, tf.int64, name="s")

        def f(x):
            y = tf.cond(x > 2, lambda: x * 10 + s, lambda: x - 1)
            zero = tf.constant(0, tf.int64)
            _, z = tf.while_loop(
                lambda i, a: i < x,
                lambda i, a: (i + 1, a + i * s),
                [zero, zero],
                maximum_iterations=max_iterations,
            )
            return tf.stack([y, z])

        it = tf.data.Dataset.range(6).map(f).make_one_shot_iterator()
        tf.identity(it.get_next(), name="yz")
        with tf.Session() as sess:
            want = _drain(sess, "yz:0")
    return g, want


def test_cond_and_while_loop_in_a_map_are_written_as_tfs_functional_forms():
    g, want = _control_flow_pipeline()
    np.testing.assert_array_equal(want, [[-1, 0], [0, 0], [1, 7], [37, 21], [47, 42], [57, 70]])
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    inner = {n.op for f in gd.library.function for n in f.node_def}
    assert {"If", "While"} <= inner and "Switch" not in inner
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(_drain(sess, "yz:0"), want)


LIMITED = [[-1, 0], [0, 0], [1, 7], [37, 21], [47, 21], [57, 21]]  # at most 3 iterations


def test_while_loop_with_maximum_iterations_in_a_map_counts_its_iterations():
    g, want = _control_flow_pipeline(max_iterations=3)
    np.testing.assert_array_equal(want, LIMITED)
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    loop = next(n for f in gd.library.function for n in f.node_def if n.op == "While")
    # the 2 loop variables, x (the condition's capture), s (the body's), the limit, the count
    assert len(loop.attr["T"].list.type) == 6
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(_drain(sess, "yz:0"), LIMITED)


@pytest.mark.parametrize("limit", [None, 3])
def test_tensorflow_runs_a_map_holding_a_cond_and_a_while_loop(limit):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, want = _control_flow_pipeline(max_iterations=limit)
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            got = []
            while True:
                try:
                    got.append(sess.run("yz:0"))
                except real.errors.OutOfRangeError:
                    break
    np.testing.assert_array_equal(got, want)


def test_two_one_shot_iterators_over_equal_datasets_share_one_factory():
    with tf.Graph().as_default() as g:
        for name in ("a", "b"):
            ds = tf.data.Dataset.range(3)
            tf.identity(ds.make_one_shot_iterator().get_next(), name=name)
    gd = g.as_graph_def()
    (factory,) = gd.library.function  # written once: the same content, the same name
    assert [n.attr["dataset_factory"].func.name for n in gd.node if n.op == "OneShotIterator"] == [
        factory.signature.name
    ] * 2
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            assert [sess.run("a:0") for _ in range(3)] == [0, 1, 2]
            assert [sess.run("b:0") for _ in range(3)] == [0, 1, 2]  # each its own iterator


def test_factory_nodes_do_not_take_the_names_of_the_graphs_nodes():
    """A OneShotIterator before the graph's own nodes of the same names (the factory's
    copies of them): the factory's nodes go under the iterator's name."""
    g, _ = _pipeline_with_const_named_like_the_factorys()
    gd = g.as_graph_def()
    nodes = sorted(gd.node, key=lambda n: n.op != "OneShotIterator")  # the iterator first
    del gd.node[:]
    gd.node.extend(nodes)
    with tf.Graph().as_default() as g2:
        tf.import_graph_def(gd, name="")
        names = [op.name for op in g2.get_operations()]
        assert len(names) == len(set(names)) and "OneShotIterator/rows" in names
        assert g2.get_operation_by_name("rows").type == "Const"
        with tf.Session() as sess:
            np.testing.assert_array_equal(_drain(sess, "y:0"), [2, 4, 6])
            np.testing.assert_array_equal(sess.run("rows:0"), [1, 2, 3])


def _pipeline_with_const_named_like_the_factorys() -> tuple[tf.Graph, None]:
    g = tf.Graph()
    with g.as_default():
        rows = tf.constant([1, 2, 3], name="rows")
        ds = tf.data.Dataset.from_tensor_slices(rows).map(lambda r: r * 2)
        tf.identity(ds.make_one_shot_iterator().get_next(), name="y")
    return g, None


def _batching_pipelines() -> tuple[tf.Graph, dict[str, list]]:
    """padded_batch (two components, a fixed and a free dimension, their padding values),
    unbatch of it, and a map failing on one element under ignore_errors."""
    g = tf.Graph()
    with g.as_default():
        d = tf.data.Dataset.range(1, 5).map(
            lambda i: (tf.fill([i], i), tf.fill([2, i], tf.cast(i, tf.float32)))
        )
        padded = d.padded_batch(3, ([None], [2, 5]), (np.int64(-1), 0.5))
        table = tf.constant([10.0, 20.0, 30.0])
        ignored = tf.data.Dataset.range(4).map(lambda i: tf.gather(table, 2 - i))
        ignored = ignored.apply(tf.data.experimental.ignore_errors())
        for name, ds in (("padded", padded), ("unbatched", padded.unbatch())):
            a, b = ds.make_initializable_iterator().get_next()
            tf.identity(a, name=name)
            tf.identity(b, name=f"{name}_b")
        tf.identity(ignored.make_one_shot_iterator().get_next(), name="ignored")
        with tf.Session() as sess:
            want = _run_batching(sess, errors.OutOfRangeError)
    return g, want


def _run_batching(sess: object, out_of_range: type) -> dict[str, list]:
    for op in sess.graph.get_operations():
        if op.type == "MakeIterator":
            sess.run(op)
    got: dict[str, list] = {}
    for k, fetches in (
        ("padded", ["padded:0", "padded_b:0"]),
        ("unbatched", ["unbatched:0", "unbatched_b:0"]),
        ("ignored", ["ignored:0"]),
    ):
        got[k] = []
        while True:
            try:
                got[k].append([v.tolist() for v in sess.run(fetches)])
            except out_of_range:
                break
    return got


def test_padded_batch_unbatch_and_ignore_errors_are_written_and_read_back():
    g, want = _batching_pipelines()
    assert [len(want[k]) for k in ("padded", "unbatched", "ignored")] == [2, 4, 3]
    assert want["padded"][1] == [[[4, 4, 4, 4]], [[[4.0] * 4 + [0.5]] * 2]]
    assert want["ignored"] == [[30.0], [20.0], [10.0]]  # (i = 3 is out of the table)
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    inner = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert {"PaddedBatchDatasetV2", "UnbatchDataset", "IgnoreErrorsDataset"} <= inner
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        assert _run_batching(sess, errors.OutOfRangeError) == want


def test_tensorflow_runs_padded_batch_unbatch_and_ignore_errors():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g, want = _batching_pipelines()
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            assert _run_batching(sess, real.errors.OutOfRangeError) == want


# -- readers (TF writes them inside a flat_map over the file names) -----------------------------
CSV_TEXT = "x,y\n1.5,2\n-3.25,4\n8.0,-6\n"  # (scripts/make_tf_interop_fixtures.py's files)
RECORDS = (b"first", b"", b"third record")


def _reader_files(tmp_path) -> tuple[str, str]:
    csv, tfr = tmp_path / "a.csv", tmp_path / "a.tfrecord"
    csv.write_text(CSV_TEXT)
    with tf.io.TFRecordWriter(str(tfr)) as w:
        for r in RECORDS:
            w.write(r)
    return str(csv), str(tfr)


def test_tf_written_readers_over_fed_file_names_import(tmp_path):
    want = _expected()
    csv, tfr = _reader_files(tmp_path)
    tf.import_graph_def(_fixture_graph_def(), name="")
    lines_init, records_init = (str(x) for x in want["initializers"])
    with tf.Session() as sess:
        sess.run(lines_init, {"text_files:0": [csv]})
        sess.run(records_init, {"record_files:0": [tfr]})
        got = [sess.run(["csv_x:0", "csv_y:0"]) for _ in range(3)]
        np.testing.assert_allclose([x for x, _ in got], want["csv_x"])
        np.testing.assert_array_equal([y for _, y in got], want["csv_y"])
        assert _drain(sess, "record:0") == list(want["record"])
        with pytest.raises(errors.OutOfRangeError):
            sess.run("csv_x:0")


def _reader_pipelines(csv: str, tfr: str, fixed: str) -> tuple[tf.Graph, dict[str, list]]:
    g = tf.Graph()
    with g.as_default():
        lines = tf.data.TextLineDataset([csv]).skip(1)
        lines = lines.map(lambda line: tf.decode_csv(line, [[0.0], [0]]))
        x, y = lines.make_initializable_iterator().get_next()
        tf.identity(x, name="csv_x")
        tf.identity(y, name="csv_y")
        records = tf.data.TFRecordDataset([tfr]).make_one_shot_iterator()
        tf.identity(records.get_next(), name="record")
        fixed_ds = tf.data.FixedLengthRecordDataset([fixed], 4, header_bytes=2, footer_bytes=3)
        tf.identity(fixed_ds.make_one_shot_iterator().get_next(), name="fixed")
        with tf.Session() as sess:
            want = _run_readers(sess, errors.OutOfRangeError)
    return g, want


def _run_readers(sess: object, out_of_range: type) -> dict[str, list]:
    sess.run("MakeIterator")
    got: dict[str, list] = {}
    for k, fetches in (
        ("csv", ["csv_x:0", "csv_y:0"]),
        ("record", "record:0"),
        ("fixed", "fixed:0"),
    ):
        got[k] = []
        while True:
            try:
                v = sess.run(fetches)
            except out_of_range:
                break
            got[k].append([np.asarray(x).tolist() for x in v] if k == "csv" else v)
    return got


def _fixed_file(tmp_path) -> str:
    path = tmp_path / "f.bin"
    path.write_bytes(b"HH" + bytes(range(12)) + b"FFF")
    return str(path)


def test_readers_are_written_and_read_back(tmp_path):
    csv, tfr = _reader_files(tmp_path)
    g, want = _reader_pipelines(csv, tfr, _fixed_file(tmp_path))
    assert want == {
        "csv": [[1.5, 2], [-3.25, 4], [8.0, -6]],
        "record": list(RECORDS),
        "fixed": [bytes(range(0, 4)), bytes(range(4, 8)), bytes(range(8, 12))],
    }
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    types = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert {"TextLineDataset", "TFRecordDataset", "FixedLengthRecordDatasetV2"} <= types
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        assert _run_readers(sess, errors.OutOfRangeError) == want


def test_tensorflow_runs_flowzeros_readers(tmp_path):
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    csv, tfr = _reader_files(tmp_path)
    g, want = _reader_pipelines(csv, tfr, _fixed_file(tmp_path))
    gd = v1.GraphDef.FromString(g.as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            assert _run_readers(sess, real.errors.OutOfRangeError) == want


# -- feedable iterators (Iterator.from_string_handle) --------------------------------------------
def _feedable() -> tf.Graph:
    g = tf.Graph()
    with g.as_default():
        train = tf.data.Dataset.range(3).map(lambda i: i * 10)
        test = tf.data.Dataset.range(100, 103)
        handle = tf.placeholder(tf.string, [], name="handle")
        it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
        tf.identity(it.get_next(), name="x")
        train_it = train.make_one_shot_iterator()
        test_it = test.make_initializable_iterator()
        tf.identity(train_it.string_handle(), name="train_handle")
        tf.identity(test_it.string_handle(), name="test_handle")
    return g


def _run_feedable(sess: object) -> list[int]:
    sess.run("MakeIterator")
    train, test = sess.run(["train_handle:0", "test_handle:0"])
    return [int(sess.run("x:0", {"handle:0": h})) for h in (train, test, train, test)]


def test_feedable_iterator_is_written_and_read_back():
    g = _feedable()
    with g.as_default(), tf.Session() as sess:
        assert _run_feedable(sess) == [0, 100, 10, 101]
    gd = g.as_graph_def()
    assert not [n.name for n in gd.node if NO_TF_FORM_ATTR in n.attr]
    (reader,) = [n for n in gd.node if n.op == "IteratorFromStringHandleV2"]
    assert list(reader.input) == ["handle"]
    with tf.Graph().as_default(), tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        assert _run_feedable(sess) == [0, 100, 10, 101]


def test_tensorflow_runs_flowzeros_feedable_iterator():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    gd = v1.GraphDef.FromString(_feedable().as_graph_def().SerializeToString())
    with real.Graph().as_default():
        v1.import_graph_def(gd, name="")
        with v1.Session() as sess:
            assert _run_feedable(sess) == [0, 100, 10, 101]
