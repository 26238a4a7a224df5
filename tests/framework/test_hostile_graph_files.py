"""Crafted graph files and bad placeholder shapes: a typed error naming the file or the node,
never a RecursionError, OverflowError or MemoryError from deep inside the loader."""

from __future__ import annotations

import copy
import json

import pytest

import flowzero as tf
from flowzero.framework import errors, serialization


@pytest.fixture
def graph_file(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.add(x, tf.constant([[1.0, 2.0, 3.0]]), name="y")
        tf.reshape(y, [-1], name="z")
    path = serialization.write_graph(g, str(tmp_path), "g.json")
    with open(path) as f:
        return path, json.load(f)


def _write(path, doc=None, text=None):
    with open(path, "w") as f:
        f.write(text if text is not None else json.dumps(doc))


def _node(doc, name):
    return next(n for n in doc["nodes"] if n["name"] == name)


def _variant(graph_file, mutate):
    path, doc = graph_file
    d = copy.deepcopy(doc)
    mutate(d)
    _write(path, d)
    return path


@pytest.mark.parametrize(
    "mutate,fragment",
    [
        (
            lambda d: _node(d, "x")["attrs"].__setitem__("junk", json.loads("[" * 900 + "]" * 900)),
            "nests too deeply",
        ),
        (
            lambda d: _node(d, "x")["attrs"].__setitem__(
                "shape", {"$type": "shape", "dims": [10**40, 3]}
            ),
            "invalid shape dimension",
        ),
        (
            lambda d: _node(d, "x")["attrs"].__setitem__(
                "shape", {"$type": "shape", "dims": [2**62, 2**62]}
            ),
            "invalid shape dimension",
        ),
        (
            lambda d: _node(d, "x")["attrs"].__setitem__(
                "shape", {"$type": "shape", "dims": [-5, 3]}
            ),
            "invalid shape dimension -5",
        ),
        (
            lambda d: _node(d, "x")["attrs"].__setitem__(
                "junk", {"$type": "np_scalar", "dtype": "<f4", "value": 10**400}
            ),
            "attr 'junk': malformed value",
        ),
        (
            lambda d: _node(d, "x")["attrs"].__setitem__(
                "junk", {"$type": "object_array", "items": [], "shape": [2**40, 2**40]}
            ),
            "attr 'junk': malformed value",
        ),
        (lambda d: d.__setitem__("seed", 10**400), "invalid seed"),
    ],
)
def test_crafted_values_are_data_loss_naming_the_node(graph_file, mutate, fragment):
    path = _variant(graph_file, mutate)
    with pytest.raises(errors.DataLossError, match=fragment):
        serialization.load_graph(path)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("[" * 200_000 + "]" * 200_000, "nests its JSON too deeply"),
        ('{"format": "flowzero.graph", "version": 1, "seed": 1e400, "nodes": []}', "out of range"),
        ('{"format": "flowzero.graph", "version": 1, "seed": Infinity, "nodes": []}', "Infinity"),
        ('{"format": "flowzero.graph", "version": 1, "seed": NaN, "nodes": []}', "NaN"),
    ],
)
def test_crafted_json_text_is_data_loss_naming_the_file(graph_file, text, fragment):
    path, _ = graph_file
    _write(path, text=text)
    with pytest.raises(errors.DataLossError, match=fragment) as info:
        serialization.load_graph(path)
    assert path in str(info.value)


def test_meta_graph_with_deep_nesting_is_data_loss(tmp_path):
    # flowzero's earlier JSON meta graph, which import_meta_graph still reads.
    from flowzero.train import saver as json_saver

    g = tf.Graph()
    with g.as_default():
        tf.Variable([1.0, 2.0], name="v")
        path = str(tmp_path / "m.meta")
        json_saver.export_meta_graph(path)
    with open(path) as f:
        doc = json.load(f)
    # Spliced in as text: json.dump of the nested list would itself recurse 950 deep.
    doc["graph_def"]["nodes"][0]["attrs"]["junk"] = "@JUNK@"
    with open(path, "w") as f:
        f.write(json.dumps(doc).replace('"@JUNK@"', "[" * 950 + "]" * 950))
    with tf.Graph().as_default(), pytest.raises(errors.DataLossError):
        tf.train.import_meta_graph(path)


def _nested_func_attrs(mg, depth):
    av = mg.graph_def.node[0].attr["junk"]
    for _ in range(depth):
        av.func.name = "f"
        av = av.func.attr["x"]
    av.i = 1
    return mg.SerializeToString()


_NESTED_TEXT = (
    b"graph_def { node { name: 'a' attr { key: 'k' value { "
    + b"func { name: 'f' attr { key: 'x' value { " * 3000
    + b"} } } " * 3000
    + b"} } } }"
)


@pytest.mark.parametrize(
    "kind", ["deep", "deep_text", "garbage", "brace_then_garbage", "truncated"]
)
def test_crafted_protobuf_meta_graph_is_data_loss_naming_the_file(tmp_path, kind):
    from flowzero.proto import meta_graph_pb2

    g = tf.Graph()
    with g.as_default():
        tf.Variable([1.0, 2.0], name="v")
        path = str(tmp_path / "m.meta")
        tf.train.export_meta_graph(path)  # TensorFlow's MetaGraphDef
    with open(path, "rb") as f:
        data = f.read()
    crafted = {
        "deep": lambda: _nested_func_attrs(meta_graph_pb2.MetaGraphDef.FromString(data), 1000),
        "deep_text": lambda: _NESTED_TEXT,
        "garbage": lambda: bytes(range(256)) * 64,
        "brace_then_garbage": lambda: b"{" + bytes(range(128, 256)) * 8,
        "truncated": lambda: data[: len(data) // 2],
    }[kind]()
    with open(path, "wb") as f:
        f.write(crafted)
    with tf.Graph().as_default(), pytest.raises(errors.DataLossError) as info:
        tf.train.import_meta_graph(path)
    assert path in str(info.value)


@pytest.mark.parametrize("shape", [[-5, 784], [None, -2], -3])
def test_placeholder_dims_below_minus_one_are_invalid(shape):
    with (
        tf.Graph().as_default(),
        pytest.raises(errors.InvalidArgumentError, match=r"Placeholder 'p'.*dimension -\d"),
    ):
        tf.placeholder(tf.float32, shape, name="p")
    with tf.Graph().as_default(), pytest.raises(errors.InvalidArgumentError):
        tf.placeholder_with_default(tf.zeros([2, 784]), shape, name="p")


def test_placeholder_minus_one_and_none_stay_unknown():
    with tf.Graph().as_default():
        assert tf.placeholder(tf.float32, [-1, 784]).shape.as_list() == [None, 784]
        assert tf.placeholder(tf.float32, [None, 3]).shape.as_list() == [None, 3]
