"""Graph, Operation and Tensor: naming, scopes, control deps, collections, conversion."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf


def test_tensor_properties_and_unique_names() -> None:
    a = tf.constant([[1.0, 2.0]], name="x")
    b = tf.constant(3.0, name="x")
    assert a.name == "x:0" and b.name == "x_1:0"
    assert a.op.name == "x" and a.op.type == "Const"
    assert a.dtype == tf.float32 and a.shape.as_list() == [1, 2]
    assert a.get_shape() == a.shape and a.graph is tf.get_default_graph()
    c = a + b
    assert a.consumers() == [c.op] and c.op.inputs == (a, b)
    assert repr(a) == "<tf.Tensor 'x:0' shape=(1, 2) dtype=float32>"
    assert a.shape[1].value == 2 and str(tf.placeholder(tf.float32, [None, 3]).shape) == "(?, 3)"


def test_unknown_dims_and_rank() -> None:
    p = tf.placeholder(tf.float32, [None, 784])
    assert p.shape.as_list() == [None, 784] and p.shape.ndims == 2
    assert not p.shape.is_fully_defined()
    q = tf.placeholder(tf.float32)
    assert q.shape.ndims is None
    p.set_shape([32, 784])
    assert p.shape.as_list() == [32, 784]
    with pytest.raises(ValueError, match="incompatible"):
        p.set_shape([32, 10])


def test_name_scopes_nest_and_uniquify() -> None:
    with tf.name_scope("layer") as scope:
        assert scope == "layer/"
        w = tf.constant(1.0, name="w")
        with tf.name_scope("inner"):
            v = tf.constant(1.0, name="v")
    with tf.name_scope("layer"):
        w2 = tf.constant(1.0, name="w")
    assert w.op.name == "layer/w" and v.op.name == "layer/inner/v"
    assert w2.op.name == "layer_1/w"
    with tf.name_scope("layer/"):  # re-enter the exact scope
        w3 = tf.constant(1.0, name="w")
    assert w3.op.name == "layer/w_1"
    with tf.name_scope("out") as scope:
        o = tf.identity(w, name=scope)
    assert o.op.name == "out"


def test_invalid_scope_name() -> None:
    with pytest.raises(ValueError, match="not a valid scope name"):
        with tf.name_scope("bad name!"):
            pass


def test_get_by_name() -> None:
    a = tf.constant(1.0, name="a")
    g = tf.get_default_graph()
    assert g.get_operation_by_name("a") is a.op
    assert g.get_tensor_by_name("a:0") is a
    with pytest.raises(KeyError, match="refers to a Tensor which does not exist"):
        g.get_tensor_by_name("a:1")
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(ValueError, match="looks like an"):
        g.get_tensor_by_name("a")
    with pytest.raises(KeyError, match="Operation not in the graph"):
        g.get_operation_by_name("nope")


def test_graph_as_default_and_reset() -> None:
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0)
        assert tf.get_default_graph() is g
        with pytest.raises(AssertionError, match="nested"):
            tf.reset_default_graph()
    assert c.graph is g and tf.get_default_graph() is not g
    old = tf.get_default_graph()
    tf.reset_default_graph()
    assert tf.get_default_graph() is not old


def test_finalize_blocks_new_ops() -> None:
    g = tf.Graph()
    with g.as_default():
        tf.constant(1.0)
        g.finalize()
        assert g.finalized
        with pytest.raises(RuntimeError, match="finalized"):
            tf.constant(2.0)


def test_mixing_graphs_names_both_tensors() -> None:
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        a = tf.constant(1.0, name="from_g1")
    with g2.as_default():
        b = tf.constant(2.0, name="from_g2")
    with pytest.raises(ValueError, match="from_g2.*from_g1|from_g1.*from_g2"):
        tf.add(a, b)
    with g1.as_default():
        m1 = tf.constant([[1.0]], name="m_g1")
    with g2.as_default():
        m2 = tf.constant([[2.0]], name="m_g2")
    with pytest.raises(ValueError, match="MatMul.*m_g2.*m_g1"):  # Tensors straight to apply_op
        tf.matmul(m1, m2)


def test_control_dependencies_order_and_clear() -> None:
    v = tf.Variable(0)
    inc = tf.assign_add(v, 1)
    with tf.control_dependencies([inc]):
        out = tf.identity(v.value())
        with tf.control_dependencies(None):
            free = tf.identity(v.value())
    assert inc.op in out.op.control_inputs and free.op.control_inputs == []
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out) == 1
        assert sess.run(free) == 1
        assert sess.run(out) == 2


def test_collections() -> None:
    tf.add_to_collection("mine", 1)
    tf.add_to_collections(["mine", "other"], 2)
    assert tf.get_collection("mine") == [1, 2] and tf.get_collection("other") == [2]
    ref = tf.get_collection_ref("mine")
    ref.append(3)
    assert tf.get_collection("mine") == [1, 2, 3]
    v = tf.Variable(1.0, name="scoped/v")
    assert tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES) == [v]
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="scoped") == [v]
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="other") == []


@pytest.mark.parametrize(
    "value,dtype",
    [
        (1.5, tf.float32),
        (2, tf.int32),
        (True, tf.bool),
        ([1.0, 2.0], tf.float32),
        ([[1, 2]], tf.int32),
        (np.float64(1.0), tf.float64),
        (np.arange(3), tf.int64),
        (np.zeros(2, np.float32), tf.float32),
        ("hi", tf.string),
        (2**40, tf.int64),
    ],
)
def test_convert_to_tensor_dtype_rules(value, dtype) -> None:
    assert tf.convert_to_tensor(value).dtype == dtype


def test_convert_to_tensor_errors() -> None:
    with pytest.raises(TypeError, match="None"):
        tf.convert_to_tensor(None)
    t = tf.constant(1.0)
    with pytest.raises(ValueError, match="requested dtype int32"):
        tf.convert_to_tensor(t, dtype=tf.int32)
    with pytest.raises(TypeError, match="expected int32"):
        tf.constant(1.5, dtype=tf.int32)
    assert tf.convert_to_tensor([1, 2], dtype=tf.float32).dtype == tf.float32


def test_tensor_as_bool_and_array_are_errors() -> None:
    t = tf.constant(1.0)
    with pytest.raises(TypeError, match="Python `bool`"):
        bool(t)
    with pytest.raises(NotImplementedError, match="symbolic Tensor"):
        np.asarray(t)


def test_tensors_compare_by_identity_and_hash() -> None:
    a = tf.constant(1.0)
    b = tf.constant(1.0)
    assert a == a and a != b and len({a, b}) == 2


def test_constant_with_shape() -> None:
    assert tf.constant(0.5, shape=[2, 3]).shape.as_list() == [2, 3]
    with tf.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(tf.constant([1, 2, 3, 4], shape=[2, 2])), [[1, 2], [3, 4]]
        )
    with pytest.raises(TypeError, match="Const"):
        tf.constant([1, 2, 3], shape=[2, 2])
    with pytest.raises(TypeError, match=r"Const 'c': shape must be fully defined; got \(\?, 2\)"):
        tf.constant(1.0, shape=[None, 2], name="c")


def test_device_scope_is_accepted() -> None:
    with tf.device("/cpu:0"):
        c = tf.constant(1.0)
    assert c.device == ""


def test_duplicate_op_registration_names_the_first_place() -> None:
    from flowzero.framework.registry import OpDef, register_op

    with pytest.raises(KeyError, match=r"'MatMul' is already registered at .*\.py:\d+"):

        @register_op("MatMul")
        class Again(OpDef):
            """y = nothing."""


def test_tuple_gates_all_values() -> None:
    v = tf.Variable(0)
    inc = tf.assign_add(v, 1)
    a, b = tf.tuple([tf.constant(1), tf.constant(2)], control_inputs=[inc])
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(a) == 1 and sess.run(v) == 1
        assert sess.run(b) == 2 and sess.run(v) == 2
