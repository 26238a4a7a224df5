"""TF 2.x's functional control flow (If / While nodes with FunctionDef bodies) imported as
flowzero's cond / while_loop: graphs written by real TensorFlow
(scripts/make_tf_cfv2_fixtures.py) and hand-written GraphDefs for the error paths."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.graph_def import read_graph_def
from flowzero.interop.importer import import_graph_def
from flowzero.proto import graph_pb2
from tests.interop.helpers import FIXTURES

DIR = FIXTURES.parent / "tf_interop"


def _want() -> dict[str, np.ndarray]:
    with np.load(DIR / "cfv2_expected.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_frozen_compat_v1_graph_with_control_flow_v2():
    """tf.compat.v1 graph mode under enable_control_flow_v2: a StatelessIf and a While (whose
    body reads a captured weight), frozen. Predictions and tf.gradients equal TF's."""
    want = _want()
    gd = read_graph_def(str(DIR / "cfv2_frozen.pb"))
    assert {"StatelessIf", "While"} & {n.op for n in gd.node}
    assert len(gd.library.function) >= 4
    g = tf.Graph()
    with g.as_default():
        (x, y) = import_graph_def(gd, return_elements=["x:0", "y:0"], name="")
        types = [op.type for op in g.get_operations()]
        assert "If" in types and "While" in types
        (dx,) = tf.gradients(tf.reduce_sum(y), [x])
        with tf.Session() as sess:
            for flag in (True, False):
                got, gx = sess.run([y, dx], {"x:0": want["x"], "p:0": flag})
                np.testing.assert_allclose(got, want[f"graph_y_{flag}"], rtol=1e-5, atol=1e-5)
                np.testing.assert_allclose(gx, want[f"graph_dx_{flag}"], rtol=1e-5, atol=1e-5)


_LIST_TYPES = {
    "accumulate": {"EmptyTensorList", "TensorListPushBack", "TensorListPopBack"},
    "tensor_array": {
        "TensorListReserve",
        "TensorListFromTensor",
        "TensorListSetItem",
        "TensorListGetItem",
        "TensorListStack",
        "TensorListLength",
        "TensorListElementShape",
    },
}


@pytest.mark.parametrize("model", ["accumulate", "tensor_array"])
def test_tf_gradients_through_v2_while_loops_with_tensor_lists_import(model):
    """TF's tf.gradients of a control-flow-v2 loop (scripts/make_tf_tensorlist_fixtures.py):
    its TensorList accumulators and TensorArrays become flowzero TensorArrays; the values
    and the gradients equal TF's."""
    gd = read_graph_def(str(DIR / f"cfv2_lists_{model}.pb"))
    types = {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert _LIST_TYPES[model] <= types
    with np.load(DIR / "cfv2_lists_expected.npz", allow_pickle=False) as z:
        want = {k[len(model) + 1 :]: z[k] for k in z.files if k.startswith(model + "_")}
    names = [k for k in want if k != "x"]
    g = tf.Graph()
    with g.as_default():
        import_graph_def(gd, name="")
        assert "TensorListPushBack" not in {op.type for op in g.get_operations()}
        with tf.Session() as sess:
            got = sess.run([f"{k}:0" for k in names], {"x:0": want["x"]})
    for k, v in zip(names, got):
        np.testing.assert_allclose(v, want[k], rtol=1e-5, atol=1e-5, err_msg=k)


def test_popping_an_empty_tensor_list_is_invalid_argument():
    text = (
        'node { name: "shape" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: -1 } } } }'
        ' node { name: "n" op: "Const" attr { key: "dtype" value { type: DT_INT32 } } '
        'attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 0 } } } }'
        ' node { name: "list" op: "EmptyTensorList" input: "shape" input: "n" '
        'attr { key: "element_dtype" value { type: DT_FLOAT } } '
        'attr { key: "shape_type" value { type: DT_INT32 } } }'
        ' node { name: "pop" op: "TensorListPopBack" input: "list" input: "shape" '
        'attr { key: "element_dtype" value { type: DT_FLOAT } } }'
    )
    g = tf.Graph()
    with g.as_default():
        import_graph_def(_gd(text), name="")
        with (
            tf.Session() as sess,
            pytest.raises(errors.InvalidArgumentError, match="pop.*empty list"),
        ):
            sess.run("pop:1")


def test_meta_graph_with_control_flow_v2_restores_and_differentiates():
    """The same graph with resource variables, through import_meta_graph + Saver.restore."""
    want = _want()
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(str(DIR / "cfv2_ckpt" / "model.ckpt.meta"))
        x, y = g.get_tensor_by_name("x:0"), g.get_tensor_by_name("y:0")
        (dx,) = tf.gradients(tf.reduce_sum(y), [x])
        with tf.Session() as sess:
            saver.restore(sess, str(DIR / "cfv2_ckpt" / "model.ckpt"))
            for flag in (True, False):
                got, gx = sess.run([y, dx], {x: want["x"], "p:0": flag})
                np.testing.assert_allclose(got, want[f"graph_y_{flag}"], rtol=1e-5, atol=1e-5)
                np.testing.assert_allclose(gx, want[f"graph_dx_{flag}"], rtol=1e-5, atol=1e-5)


def test_frozen_tf_function_with_nested_cond_and_while():
    """A tf.function frozen (convert_variables_to_constants_v2): a cond whose branch holds a
    while loop whose body holds a cond."""
    want = _want()
    gd = read_graph_def(str(DIR / "cfv2_function.pb"))
    names = {f.signature.name for f in gd.library.function}
    assert any("while_body" in n for n in names)
    g = tf.Graph()
    with g.as_default():
        ins = [str(s) for s in want["function_inputs"]]
        (out,) = import_graph_def(gd, return_elements=[str(want["function_outputs"][0])], name="m")
        with tf.Session() as sess:
            for flag in (True, False):
                got = sess.run(out, {"m/" + ins[0]: want["x"], "m/" + ins[1]: flag})
                np.testing.assert_allclose(got, want[f"function_y_{flag}"], rtol=1e-5, atol=1e-5)
            # flowzero's gradients through the imported If / While (nested): d sum(y) / dx.
            xt = g.get_tensor_by_name("m/" + ins[0])
            (dx,) = tf.gradients(tf.reduce_sum(out), [xt])
            gx = sess.run(dx, {xt: want["x"], "m/" + ins[1]: False})
            # False branch: y = x @ w - 2, so dy/dx = w summed over the outputs, per row.
            assert gx.shape == want["x"].shape
            np.testing.assert_allclose(gx, np.broadcast_to(gx[0], gx.shape), rtol=1e-6)


# -- hand-written GraphDefs -----------------------------------------------------------------
_F32 = "attr { key: 'T' value { type: DT_FLOAT } }"
_X = (
    "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } "
    "attr { key: 'shape' value { shape { dim { size: -1 } } } } }"
)
# f(a) = a * a + unique(a).idx  (Unique's second output argument, read as 'u:idx:0')
_SQUARE = (
    "function { signature { name: 'square' input_arg { name: 'a' type: DT_FLOAT } "
    "output_arg { name: 'out' type: DT_FLOAT } } "
    f"node_def {{ name: 'm' op: 'Mul' input: 'a' input: 'a' {_F32} }} "
    "node_def { name: 'u' op: 'Unique' input: 'a' "
    "attr { key: 'T' value { type: DT_FLOAT } } attr { key: 'out_idx' value { type: DT_INT32 } } }"
    " node_def { name: 'c' op: 'Cast' input: 'u:idx:0' "
    "attr { key: 'SrcT' value { type: DT_INT32 } } attr { key: 'DstT' value { type: DT_FLOAT } } }"
    f" node_def {{ name: 's' op: 'AddV2' input: 'm:z:0' input: 'c:y:0' {_F32} }} "
    "ret { key: 'out' value: 's:z:0' } }"
)


def _gd(text: str) -> graph_pb2.GraphDef:
    return text_format.Parse(text, graph_pb2.GraphDef())


def _call(op: str, fn: str = "square") -> str:
    return (
        f"node {{ name: 'y' op: '{op}' input: 'x' "
        "attr { key: 'Tin' value { list { type: DT_FLOAT } } } "
        "attr { key: 'Tout' value { list { type: DT_FLOAT } } } "
        f"attr {{ key: 'f' value {{ func {{ name: '{fn}' }} }} }} }}"
    )


@pytest.mark.parametrize("op", ["PartitionedCall", "StatefulPartitionedCall", "square"])
def test_function_call_and_multi_output_arguments(op):
    gd = _gd(f"{_X} {_call(op)} library {{ {_SQUARE} }}")
    g = tf.Graph()
    with g.as_default():
        (y,) = import_graph_def(gd, return_elements=["y:0"], name="")
        with tf.Session() as sess:
            xs = np.array([2.0, 3.0, 2.0], np.float32)
            np.testing.assert_allclose(sess.run(y, {"x:0": xs}), xs * xs + [0, 1, 0])


def test_missing_function_is_not_found():
    gd = _gd(f"{_X} {_call('PartitionedCall', 'nowhere')} library {{ {_SQUARE} }}")
    with tf.Graph().as_default():
        with pytest.raises(errors.NotFoundError, match="node 'y'.*function 'nowhere'.*not in"):
            import_graph_def(gd)


def test_unknown_op_inside_a_function_names_function_and_node():
    lib = _SQUARE.replace("op: 'Mul'", "op: 'NoSuchOp'")
    gd = _gd(f"{_X} {_call('PartitionedCall')} library {{ {lib} }}")
    with tf.Graph().as_default():
        with pytest.raises(
            errors.NotFoundError, match="function 'square'.*node 'm'.*'NoSuchOp'.*not implement"
        ):
            import_graph_def(gd)


def test_generic_function_is_refused():
    lib = _SQUARE.replace(
        "input_arg { name: 'a' type: DT_FLOAT }",
        "input_arg { name: 'a' type: DT_FLOAT number_attr: 'N' }",
    )
    gd = _gd(f"{_X} {_call('PartitionedCall')} library {{ {lib} }}")
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="function 'square'.*'a' is a list"):
            import_graph_def(gd)


def test_attr_placeholder_is_refused():
    lib = _SQUARE.replace(_F32, "attr { key: 'T' value { placeholder: 'T' } }", 1)
    gd = _gd(f"{_X} {_call('PartitionedCall')} library {{ {lib} }}")
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="node 'm' attr 'T' is a placeholder"):
            import_graph_def(gd)


def test_bad_output_argument_is_refused():
    lib = _SQUARE.replace("'u:idx:0'", "'u:nope:0'")
    gd = _gd(f"{_X} {_call('PartitionedCall')} library {{ {lib} }}")
    with tf.Graph().as_default():
        with pytest.raises(errors.InvalidArgumentError, match="Unique has no output argument"):
            import_graph_def(gd)


def test_while_with_int_loop_matches_numpy():
    """A hand-written StatelessWhile: i counts to 5 while a doubles; `k` passes through."""
    i32 = "attr { key: 'T' value { type: DT_INT32 } }"
    lib = (
        "function { signature { name: 'c' input_arg { name: 'i' type: DT_INT32 } "
        "input_arg { name: 'a' type: DT_FLOAT } input_arg { name: 'k' type: DT_FLOAT } "
        "output_arg { name: 'o' type: DT_BOOL } } "
        "node_def { name: 'five' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } } "
        "attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 5 } } } }"
        f" node_def {{ name: 'lt' op: 'Less' input: 'i' input: 'five:output:0' {i32} }} "
        "ret { key: 'o' value: 'lt:z:0' } } "
        "function { signature { name: 'b' input_arg { name: 'i' type: DT_INT32 } "
        "input_arg { name: 'a' type: DT_FLOAT } input_arg { name: 'k' type: DT_FLOAT } "
        "output_arg { name: 'i2' type: DT_INT32 } output_arg { name: 'a2' type: DT_FLOAT } "
        "output_arg { name: 'k2' type: DT_FLOAT } } "
        "node_def { name: 'one' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } } "
        "attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 1 } } } }"
        f" node_def {{ name: 'inc' op: 'AddV2' input: 'i' input: 'one:output:0' {i32} }} "
        f"node_def {{ name: 'dbl' op: 'Mul' input: 'a' input: 'k' {_F32} }} "
        "ret { key: 'i2' value: 'inc:z:0' } ret { key: 'a2' value: 'dbl:z:0' } "
        "ret { key: 'k2' value: 'k' } }"
    )
    gd = _gd(
        f"{_X} node {{ name: 'zero' op: 'Const' attr {{ key: 'dtype' value {{ type: DT_INT32 }} }}"
        " attr { key: 'value' value { tensor { dtype: DT_INT32 tensor_shape { } int_val: 0 } } } }"
        " node { name: 'two' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } }"
        " attr { key: 'value' value { tensor { dtype: DT_FLOAT tensor_shape { } "
        "float_val: 2 } } } }"
        " node { name: 'w' op: 'StatelessWhile' input: 'zero' input: 'x' input: 'two' "
        "attr { key: 'T' value { list { type: DT_INT32 type: DT_FLOAT type: DT_FLOAT } } } "
        "attr { key: 'cond' value { func { name: 'c' } } } "
        "attr { key: 'body' value { func { name: 'b' } } } }"
        f" library {{ {lib} }}"
    )
    g = tf.Graph()
    with g.as_default():
        i, a, k = import_graph_def(gd, return_elements=["w:0", "w:1", "w:2"], name="")
        (da,) = tf.gradients(tf.reduce_sum(a), [g.get_tensor_by_name("x:0")])
        with tf.Session() as sess:
            xs = np.array([1.0, -0.5], np.float32)
            got = sess.run([i, a, k, da], {"x:0": xs})
    assert got[0] == 5 and got[2] == 2.0
    np.testing.assert_allclose(got[1], xs * 32)
    np.testing.assert_allclose(got[3], [32.0, 32.0])
