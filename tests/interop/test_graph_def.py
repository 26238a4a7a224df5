"""GraphDef both ways: TF-written frozen graphs (.pb and .pbtxt) import and predict as
TensorFlow did; every op-table row exports to a GraphDef and imports back with identical
results; attrs are TF's; bad GraphDefs fail with typed errors naming the node."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import NO_TF_FORM_ATTR, parse_graph_def, read_graph_def
from flowzero.interop.importer import import_graph_def
from flowzero.proto import graph_pb2, types_pb2
from tests.interop.helpers import (
    FIXTURES,
    IMPORTABLE,
    expected,
    has_no_tf_form,
    io_spec,
    op_table_graph,
)
from tests.ops.test_op_table import CASES, _ids


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


@pytest.mark.parametrize("fmt", ["frozen.pb", "frozen.pbtxt"])
@pytest.mark.parametrize("model", IMPORTABLE)
def test_tf_frozen_graphs_predict_as_tensorflow(model, fmt):
    spec, want = io_spec(model), expected(model)
    gd = read_graph_def(str(FIXTURES / model / fmt))
    outs = tf.import_graph_def(gd, return_elements=list(spec["outputs"].values()))
    g = tf.get_default_graph()
    x = g.get_tensor_by_name("import/" + spec["inputs"]["x"])
    with tf.Session() as sess:
        got = sess.run(outs, {x: want["x"]})
    for key, value in zip(spec["outputs"], got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_tf_lstm_while_loop_imports_as_one_while_op():
    gd = read_graph_def(str(FIXTURES / "lstm" / "frozen.pb"))
    assert {"Enter", "Merge", "Switch", "NextIteration", "LoopCond", "Exit"} <= {
        n.op for n in gd.node
    }
    import_graph_def(gd, name="")
    types = [op.type for op in tf.get_default_graph().get_operations()]
    assert types.count("While") == 1 and "Enter" not in types
    assert {"TensorArrayV3", "TensorArrayScatterV3", "TensorArrayGatherV3"} <= set(types)


def _loop_text(extra: str = "") -> str:
    """A TF1 while loop counting i from 0 to 5 (what tf.while_loop writes)."""
    return (
        'node { name: "zero" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 0 } } } }'
        ' node { name: "five" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 5 } } } }'
        ' node { name: "w/Enter" op: "Enter" input: "zero" '
        'attr { key: "frame_name" value { s: "w/ctx" } } }'
        ' node { name: "w/limit" op: "Enter" input: "five" '
        'attr { key: "frame_name" value { s: "w/ctx" } } '
        'attr { key: "is_constant" value { b: true } } }'
        ' node { name: "w/Merge" op: "Merge" input: "w/Enter" input: "w/Next" }'
        ' node { name: "w/Less" op: "Less" input: "w/Merge" input: "w/limit" }'
        ' node { name: "w/LoopCond" op: "LoopCond" input: "w/Less" }'
        ' node { name: "w/Switch" op: "Switch" input: "w/Merge" input: "w/LoopCond" }'
        ' node { name: "w/Identity" op: "Identity" input: "w/Switch:1" }'
        ' node { name: "w/one" op: "Const" input: "^w/Identity" '
        'attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 1 } } } }'
        ' node { name: "w/add" op: "AddV2" input: "w/Identity" input: "w/one" }'
        ' node { name: "w/Next" op: "NextIteration" input: "w/add" }'
        ' node { name: "w/Exit" op: "Exit" input: "w/Switch" }' + extra
    )


def test_hand_written_tf1_loop_and_malformed_loops():
    (out,) = import_graph_def(_gd(_loop_text()), return_elements=["w/Exit:0"], name="")
    with tf.Session() as sess:
        assert sess.run(out) == 5
    no_next = _loop_text().replace('input: "w/Enter" input: "w/Next"', 'input: "w/Enter"')
    with pytest.raises(errors.InvalidArgumentError, match="Merge 'w/Merge' of while loop 'w/ctx'"):
        import_graph_def(_gd(no_next), name="x")
    nested = _loop_text(
        ' node { name: "w/inner" op: "Enter" input: "w/Identity" '
        'attr { key: "frame_name" value { s: "w/inner_ctx" } } }'
    )
    # (a loop inside a loop is imported; this inner "loop" is only an Enter)
    with pytest.raises(errors.InvalidArgumentError, match="'w/inner_ctx' has 0 LoopCond"):
        import_graph_def(_gd(nested), name="y")


def test_graph_def_text_format_round_trips():
    gd = read_graph_def(str(FIXTURES / "convnet" / "frozen.pb"))
    text = text_format.MessageToString(gd)
    assert text_format.Parse(text, graph_pb2.GraphDef()) == gd
    assert tf.GraphDef is graph_pb2.GraphDef


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_every_op_table_row_exports_and_imports_back(case):
    g, phs, outs, arrays = op_table_graph(case)
    gd = g.as_graph_def()
    if has_no_tf_form(case.op) and any(NO_TF_FORM_ATTR in n.attr for n in gd.node):
        # as_graph_def marks the op (test_tf_program_forms.py); importing it names it
        with tf.Graph().as_default(), pytest.raises(errors.UnimplementedError, match="no Tens"):
            import_graph_def(gd, name="")
        return
    gd = graph_pb2.GraphDef.FromString(gd.SerializeToString())
    g2 = tf.Graph()
    with g2.as_default():
        import_graph_def(gd, name="")
    with tf.Session(graph=g) as s:
        want = s.run(outs, dict(zip(phs, arrays)))
    with tf.Session(graph=g2) as s:
        got = s.run([o.name for o in outs], {p.name: a for p, a in zip(phs, arrays)})
    for o, w, v in zip(outs, want, got):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(w), err_msg=o.name)


def test_exported_attrs_are_tensorflows():
    x = tf.placeholder(tf.float32, [None, 8, 8, 1], name="x")
    w = tf.Variable(tf.ones([3, 3, 1, 2]), name="w")
    c = tf.nn.conv2d(x, w, [1, 1, 1, 1], "SAME", name="conv")
    b = tf.nn.bias_add(c, [1.0, 2.0], name="bias")
    p = tf.nn.max_pool(b, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", name="pool")
    m = tf.matmul(tf.reshape(p, [-1, 32]), tf.ones([32, 3]), transpose_b=False, name="mm")
    tf.reduce_mean(m, axis=1, keepdims=True, name="mean")
    nodes = {n.name: n for n in tf.get_default_graph().as_graph_def().node}
    assert nodes["w"].op == "VariableV2" and nodes["w"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in nodes["w"].attr["shape"].shape.dim] == [3, 3, 1, 2]
    assert nodes["w/read"].op == "Identity" and nodes["w/read"].attr["T"].type == 1
    assert nodes["w/Assign"].op == "Assign" and set(nodes["w/Assign"].attr) == {
        "T",
        "validate_shape",
        "use_locking",
    }
    conv = nodes["conv"]
    assert list(conv.input) == ["x", "w/read"]
    assert conv.attr["padding"].s == b"SAME" and conv.attr["data_format"].s == b"NHWC"
    assert list(conv.attr["strides"].list.i) == [1, 1, 1, 1]
    assert set(nodes["bias"].attr) == {"T", "data_format"}
    assert list(nodes["pool"].attr["ksize"].list.i) == [1, 2, 2, 1]
    assert nodes["mm"].attr["transpose_a"].b is False and nodes["mm"].attr["T"].type == 1
    mean = nodes["mean"]
    assert list(mean.input) == ["mm", "mean/reduction_indices"]
    assert mean.attr["keep_dims"].b is True
    assert (
        nodes["mean/reduction_indices"].attr["value"].tensor.tensor_content
        == np.array([1], np.int32).tobytes()
    )
    with tf.Session() as sess:
        assert sess.graph_def == tf.get_default_graph().as_graph_def()


def test_input_map_return_elements_and_name_scope():
    g1 = tf.Graph()
    with g1.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        tf.identity(x * 3.0 + 1.0, name="y")
    gd = g1.as_graph_def()
    z = tf.constant([[1.0, 2.0]], name="z")
    y, op = tf.import_graph_def(gd, input_map={"x:0": z}, return_elements=["y:0", "y"], name="net")
    assert y.name == "net/y:0" and op.name == "net/y"
    (y2,) = tf.import_graph_def(gd, input_map={"x": z}, return_elements=["y:0"])
    assert y2.name == "import/y:0"
    (y3,) = tf.import_graph_def(gd, input_map={"x": z}, return_elements=["y:0"])
    assert y3.name == "import_1/y:0"  # a second import gets a fresh scope
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run([y, y2, y3]), [[[4.0, 7.0]]] * 3)
    with pytest.raises(ValueError, match="not found in graph_def: \\[nope:0\\]"):
        tf.import_graph_def(gd, input_map={"nope:0": z})
    with pytest.raises(ValueError, match="return_element 'absent:0' not found"):
        tf.import_graph_def(gd, return_elements=["absent:0"])


def test_imported_variables_run_their_initializers_and_are_read():
    g1 = tf.Graph()
    with g1.as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        tf.multiply(v, 2.0, name="twice")
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(g1.as_graph_def(), name="")
        with tf.Session() as sess:
            sess.run("v/Assign")
            np.testing.assert_allclose(sess.run("twice:0"), [2.0, 4.0])


# -- bad input -------------------------------------------------------------------------------
def _gd(text: str) -> graph_pb2.GraphDef:
    return text_format.Parse(text, graph_pb2.GraphDef())


_CONST = (
    'node { name: "%s" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } '
    'attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { } '
    "float_val: 1 } } } }"
)


def test_unknown_op_is_not_found_naming_type_and_node():
    gd = _gd(_CONST % "a" + ' node { name: "b" op: "FancyNewOp" input: "a" }')
    with pytest.raises(errors.NotFoundError, match="m.pb: node 'b' has op type 'FancyNewOp'"):
        import_graph_def(gd, where="m.pb")


def test_cycle_is_invalid_argument_naming_the_nodes():
    gd = _gd(
        _CONST % "a" + ' node { name: "b" op: "Add" input: "a" input: "c" }'
        ' node { name: "c" op: "Add" input: "a" input: "b" }'
    )
    with pytest.raises(errors.InvalidArgumentError, match=r"cycle: b <- c <- b"):
        import_graph_def(gd)
    assert tf.get_default_graph().get_operations() == []  # checked before building anything


def test_missing_input_duplicate_name_and_bad_output_index():
    with pytest.raises(errors.InvalidArgumentError, match="node 'b' \\(Neg\\) has input 'zz'"):
        import_graph_def(_gd(' node { name: "b" op: "Neg" input: "zz" }'))
    with pytest.raises(errors.InvalidArgumentError, match="'a' is used twice"):
        import_graph_def(_gd(_CONST % "a" + _CONST % "a"))
    with pytest.raises(errors.InvalidArgumentError, match="input 'a:3' does not exist"):
        import_graph_def(_gd(_CONST % "a" + ' node { name: "b" op: "Neg" input: "a:3" }'))


def test_unknown_dtype_names_the_node():
    gd = _gd(
        'node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_BFLOAT16 } } }'
    )
    with pytest.raises(
        errors.InvalidArgumentError,
        match="node 'p' \\(Placeholder\\) attr 'dtype': dtype DT_BFLOAT16 is not supported",
    ):
        import_graph_def(gd)
    gd = _gd('node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: 77 } } }')
    with pytest.raises(errors.InvalidArgumentError, match="DataType 77"):
        import_graph_def(gd)


def test_absurd_shapes_fail_before_allocating():
    huge = (
        'node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } } '
        'attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: '
        "%d } dim { size: %d } } float_val: 1 } } } }"
    )
    with pytest.raises(
        errors.InvalidArgumentError, match="node 'c' \\(Const\\).*larger than the 1 GiB"
    ):
        import_graph_def(_gd(huge % (1 << 20, 1 << 18)))
    with pytest.raises(errors.InvalidArgumentError, match="more than 2\\^40 elements"):
        import_graph_def(_gd(huge % (1 << 30, 1 << 30)))
    with pytest.raises(errors.InvalidArgumentError, match="dimension -5"):
        import_graph_def(_gd(huge % (-5, 2)))
    bad_content = (
        'node { name: "c" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } '
        '} attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim '
        '{ size: 1000000 } } tensor_content: "abcd" } } } }'
    )
    with pytest.raises(
        errors.InvalidArgumentError,
        match="tensor_content has 4 bytes; float32 \\[1000000\\] needs 4000000",
    ):
        import_graph_def(_gd(bad_content))


def test_truncated_and_corrupted_files_are_data_loss(tmp_path):
    data = (FIXTURES / "convnet" / "frozen.pb").read_bytes()
    with pytest.raises(errors.DataLossError, match="m.pb is not a valid GraphDef"):
        parse_graph_def(data[: len(data) // 2], "m.pb")
    bad = tmp_path / "bad.pbtxt"
    bad.write_text("node { name: 'x' op: ")
    with pytest.raises(errors.DataLossError, match="bad.pbtxt is not a valid text GraphDef"):
        read_graph_def(str(bad))
    noise = tmp_path / "noise.pb"
    noise.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(errors.DataLossError, match="noise.pb"):
        read_graph_def(str(noise))


def test_helper_node_names_never_clash_with_the_graphs():
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    tf.constant(1, name="s/reduction_indices")  # the name the Sum's axis node would take
    tf.reduce_sum(x, 1, name="s")
    gd = tf.get_default_graph().as_graph_def()
    names = [n.name for n in gd.node]
    assert len(names) == len(set(names))
    s = {n.name: n for n in gd.node}["s"]
    assert list(s.input) == ["x", "s/reduction_indices_1"]
    g2 = tf.Graph()
    with g2.as_default():
        import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run("s:0", {"x:0": [[1.0, 2.0, 3.0]]}), [6.0])


def test_protobuf_messages_are_tfs_names_loaded_on_first_use():
    import subprocess
    import sys

    code = (
        "import sys, flowzero as tf; assert 'google.protobuf' not in sys.modules; "
        "gd = tf.GraphDef(); assert 'google.protobuf' in sys.modules; "
        "print(type(gd).DESCRIPTOR.full_name, tf.MetaGraphDef.DESCRIPTOR.full_name, "
        "tf.SaverDef.DESCRIPTOR.full_name, tf.compat.v1.NodeDef.DESCRIPTOR.full_name)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == [
        "tensorflow.GraphDef",
        "tensorflow.MetaGraphDef",
        "tensorflow.SaverDef",
        "tensorflow.NodeDef",
    ]
    pytest.importorskip("tensorboard", reason="tf.Summary is tensorboard's message")
    summary = tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)])
    assert tf.Event(summary=summary).summary.value[0].tag == "a"


def _float_const(name: str, values: list[float]) -> str:
    return (
        f'node {{ name: "{name}" op: "Const" attr {{ key: "dtype" value {{ type: DT_FLOAT }} }} '
        f'attr {{ key: "value" value {{ tensor {{ dtype: DT_FLOAT tensor_shape {{ dim {{ size: '
        f"{len(values)} }} }} {' '.join(f'float_val: {v}' for v in values)} }} }} }} }}"
    )


def test_resource_variables_import_as_flowzero_variables():
    # What TF writes for a resource variable: VarHandleOp, AssignVariableOp, ReadVariableOp.
    gd = _gd(
        'node { name: "v" op: "VarHandleOp" attr { key: "dtype" value { type: DT_FLOAT } } '
        'attr { key: "shape" value { shape { dim { size: 2 } } } } '
        'attr { key: "shared_name" value { s: "v" } } }'
        + _float_const("init", [1.5, -2.0])
        + ' node { name: "v/Assign" op: "AssignVariableOp" input: "v" input: "init" '
        'attr { key: "dtype" value { type: DT_FLOAT } } }'
        ' node { name: "v/Read" op: "ReadVariableOp" input: "v" '
        'attr { key: "dtype" value { type: DT_FLOAT } } }'
        ' node { name: "y" op: "Mul" input: "v/Read" input: "v/Read" '
        'attr { key: "T" value { type: DT_FLOAT } } }'
    )
    import_graph_def(gd, name="")
    with tf.Session() as sess:
        sess.run("v/Assign")
        np.testing.assert_allclose(sess.run("y:0"), [2.25, 4.0])
    assert tf.get_default_graph().get_operation_by_name("v").type == "VariableV2"


def test_fused_batch_norm_for_inference_imports_as_its_arithmetic():
    x = np.random.RandomState(0).randn(2, 3, 3, 2).astype(np.float32)
    scale, offset, mean, var = [0.5, 2.0], [0.1, -0.3], [0.2, -1.0], [1.5, 0.25]
    gd = _gd(
        'node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }'
        + _float_const("scale", scale)
        + _float_const("offset", offset)
        + _float_const("mean", mean)
        + _float_const("var", var)
        + ' node { name: "bn" op: "FusedBatchNormV3" input: "x" input: "scale" input: "offset" '
        'input: "mean" input: "var" attr { key: "T" value { type: DT_FLOAT } } '
        'attr { key: "U" value { type: DT_FLOAT } } '
        'attr { key: "epsilon" value { f: 0.001 } } '
        'attr { key: "is_training" value { b: false } } }'
    )
    (y,) = import_graph_def(gd, return_elements=["bn:0"], name="")
    want = (x - np.float32(mean)) / np.sqrt(np.float32(var) + np.float32(0.001)) * np.float32(
        scale
    ) + np.float32(offset)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {"x:0": x}), want, rtol=1e-5, atol=1e-6)
    tf.reset_default_graph()
    # training mode (tests/interop/test_tf_program_forms.py checks its numbers): the batch's
    # statistics, not the given ones; x of unknown rank is taken as 4-D (TF's NHWC)
    training = str(gd).replace("b: false", "b: true")
    (y,) = import_graph_def(_gd(training), return_elements=["bn:0"], name="train")
    with tf.Session() as sess:
        got = sess.run(y, {"train/x:0": x})
    np.testing.assert_allclose(got.mean((0, 1, 2)), offset, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("model", IMPORTABLE)
def test_graphs_without_default_valued_attrs_import(model):
    """TF may leave out attrs equal to their defaults (stripped_default_attrs)."""
    spec, want = io_spec(model), expected(model)
    gd = read_graph_def(str(FIXTURES / model / "frozen.pb"))
    defaults = {
        "transpose_a": False,
        "transpose_b": False,
        "data_format": b"NHWC",
        "keep_dims": False,
        "axis": 0,
        "use_cudnn_on_gpu": True,
        "dilations": [1, 1, 1, 1],
        "explicit_paddings": [],
        "begin_mask": 0,
        "end_mask": 0,
        "ellipsis_mask": 0,
        "new_axis_mask": 0,
        "shrink_axis_mask": 0,
    }
    stripped = 0
    for n in gd.node:
        for key, value in defaults.items():
            if key in n.attr:
                got = convert_value(n.attr[key])
                if got == value:
                    del n.attr[key]
                    stripped += 1
    assert stripped > 0
    outs = import_graph_def(gd, return_elements=list(spec["outputs"].values()), name="")
    with tf.Session() as sess:
        got = sess.run(outs, {spec["inputs"]["x"]: want["x"]})
    for key, value in zip(spec["outputs"], got):
        np.testing.assert_allclose(value, want[key], rtol=1e-5, atol=1e-5, err_msg=key)


def convert_value(av):
    from flowzero.interop.convert import value_from_attr

    return value_from_attr(av, "test")


def test_python_function_nodes_are_refused():
    gd = _gd(
        _CONST
        % "a"
        + ' node { name: "f" op: "PyFunc" input: "a" attr { key: "token" value { s: "pyfunc_0" } }'
        ' attr { key: "Tin" value { list { type: DT_FLOAT } } }'
        ' attr { key: "Tout" value { list { type: DT_FLOAT } } } }'
    )
    with pytest.raises(errors.UnimplementedError, match="node 'f' is a PyFunc.*never runs code"):
        import_graph_def(gd)


def test_tf1_conds_import_as_flowzero_conds():
    """dense -> batch norm -> dropout switched by a `training` placeholder, written by TF
    (scripts/make_tf_interop_fixtures.py): three TF1 tf.conds (Switch / Merge)."""
    path = FIXTURES.parent / "tf_interop" / "cond_frozen.pb"
    with np.load(FIXTURES.parent / "tf_interop" / "cond_expected.npz") as z:
        xs, want = z["x"], z["y"]
    gd = read_graph_def(str(path))
    assert {"Switch", "Merge"} <= {n.op for n in gd.node}
    (y,) = import_graph_def(gd, return_elements=["y:0"], name="", where=str(path))
    types = [op.type for op in tf.get_default_graph().get_operations()]
    assert types.count("If") == 3 and "Switch" not in types
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {"x:0": xs}), want, rtol=1e-5, atol=1e-6)
        dropped = sess.run(y, {"x:0": xs, "training:0": True})  # the other branches run too
    assert dropped.shape == want.shape


def test_merge_without_switch_is_refused():
    gd = _gd(
        _CONST % "a" + _CONST % "b" + ' node { name: "m" op: "Merge" input: "a" input: "b" '
        'attr { key: "T" value { type: DT_FLOAT } } attr { key: "N" value { i: 2 } } }'
    )
    with pytest.raises(errors.UnimplementedError, match="Merge 'm' merges values that come"):
        import_graph_def(gd)


def test_operation_node_def_is_its_graph_def_node():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.matmul(x, tf.ones([3, 2]), transpose_b=False, name="mm")
        nd = y.op.node_def
        assert nd.op == "MatMul" and nd.name == "mm" and nd.input[0] == "x"
        assert nd.attr["transpose_a"].b is False and nd.attr["T"].type == types_pb2.DT_FLOAT
        assert x.op.node_def.attr["dtype"].type == types_pb2.DT_FLOAT
