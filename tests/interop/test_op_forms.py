"""NodeDef forms of op types whose TF attrs are read off other inputs than the first (the
attrs TF's op needs), and of graphs that flowzero's builders shape as TF's do (checked without
TensorFlow; tests/interop/test_tf_differential.py runs them in TensorFlow)."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.framework.graph import apply_op
from flowzero.interop.op_mapping import export_node
from flowzero.proto import graph_pb2


def _node(t):
    return export_node(t.op)


def _round_trip(g, fetches, feeds):
    gd = graph_pb2.GraphDef.FromString(g.as_graph_def().SerializeToString())
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session(graph=g2) as s:
            return s.run(fetches, feeds)


def test_type_attrs_come_from_the_inputs_tf_binds_them_to():
    with tf.Graph().as_default():
        x = tf.ones([4, 3])
        roll = _node(tf.roll(x, tf.constant(1, tf.int64), tf.constant(0)))
        assert roll.attrs["Tshift"] is tf.int64 and roll.attrs["Taxis"] is tf.int32
        seg = _node(tf.unsorted_segment_sum(x, tf.constant([0, 1, 0, 1], tf.int64), 2))
        assert (seg.attrs["T"], seg.attrs["Tindices"], seg.attrs["Tnumsegments"]) == (
            tf.float32,
            tf.int64,
            tf.int32,
        )
        sel = _node(tf.where_v2(tf.constant([True, False, True]), 1.0, 2.0))
        assert sel.attrs["T"] is tf.float32
        band = tf.matrix_band_part(x, tf.constant(1), tf.constant(0))
        assert _node(band).attrs["Tindex"] is tf.int32 and _node(band).attrs["T"] is tf.float32
        sp = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
        red = _node(tf.sparse.reduce_sum(sp, axis=1))
        assert red.attrs["T"] is tf.float32
        join = _node(tf.strings.unsorted_segment_join(["a", "b"], [0, 0], 1))
        assert "T" not in join.attrs and join.attrs["Tindices"] is tf.int32


def test_list_attrs_and_nhwc_patch_sizes():
    with tf.Graph().as_default():
        st = _node(tf.dynamic_stitch([[0], [1]], [[1.0], [2.0]]))
        assert st.attrs["N"] == 2 and st.attrs["T"] is tf.float32
        j = _node(tf.strings.join(["a", "b", "c"]))
        assert j.attrs["N"] == 3
        p = _node(tf.extract_image_patches(tf.ones([1, 4, 4, 1]), [1, 2, 2, 1], [1, 1, 1, 1],
                                           [1, 1, 1, 1], "VALID"))  # fmt: skip
        assert p.attrs["ksizes"] == [1, 2, 2, 1] and p.attrs["rates"] == [1, 1, 1, 1]
        z = _node(tf.complex(tf.ones([2], tf.float64), tf.ones([2], tf.float64)))
        assert z.attrs["Tout"] is tf.complex128


def test_einsum_is_written_explicit_and_contracted_pairwise():
    a, b, c = (np.random.RandomState(i).rand(2, 2).astype(np.float32) for i in range(3))
    g = tf.Graph()
    with g.as_default():
        y = tf.einsum("ab,bc,cd->ad", a, b, c)
        tr = tf.einsum("ii", a)
    ops = [op for op in g.get_operations() if op.type == "Einsum"]
    assert [len(op.inputs) for op in ops] == [2, 2, 1]
    assert _node(tr).attrs["equation"] == "ii->"
    with tf.Session(graph=g) as s:
        np.testing.assert_allclose(s.run(y), a @ b @ c, rtol=1e-5)
    np.testing.assert_allclose(_round_trip(g, y.name, {}), a @ b @ c, rtol=1e-5)


def test_sparse_add_grad_is_written_with_tfs_four_inputs_and_imports_back():
    from flowzero.ops.sparse_binary_ops import SparseAddGrad

    g = tf.Graph()
    with g.as_default():
        d = tf.constant([1.0, 2.0])
        ind = [tf.constant(i, tf.int64) for i in ([[0, 1], [1, 0]], [[0, 1]], [[0, 1], [1, 0]])]
        da, db = apply_op(SparseAddGrad, [d, *ind, tf.constant([2, 2], tf.int64)])
    assert len(_node(da).inputs) == 4
    got = _round_trip(g, [da.name, db.name], {})
    np.testing.assert_array_equal(got[0], [1.0, 2.0])
    np.testing.assert_array_equal(got[1], [1.0])


def test_sparse_cross_is_written_in_tfs_input_order_and_imports_back():
    from flowzero.interop.op_mapping import tensor_ref

    g = tf.Graph()
    with g.as_default():
        sp1 = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([7, 8], tf.int64), [2, 1])
        sp2 = tf.SparseTensor([[0, 0], [1, 0]], tf.constant(["a", "b"]), [2, 1])
        out = tf.sparse.cross([sp1, sp2, tf.constant([["x"], ["y"]])])
        other = tf.sparse.cross([sp1, sp2], separator="-")
    node = export_node(out.values.op)
    assert node.attrs["N"] == 2 and node.attrs["internal_type"] is tf.int64
    assert node.attrs["sparse_types"] == [tf.int64, tf.string]
    assert node.attrs["dense_types"] == [tf.string]
    # TF's order: every indices, every values, every shape, then the dense inputs
    want = [sp1.indices, sp2.indices, sp1.values, sp2.values, sp1.dense_shape, sp2.dense_shape]
    assert node.inputs[:6] == [tensor_ref(t) for t in want]
    got = _round_trip(g, out.values.name, {})
    assert got.tolist() == [b"7_X_a_X_x", b"8_X_b_X_y"]
    v2 = export_node(other.values.op)  # another separator: TF 2's SparseCrossV2
    assert v2.op_type == "SparseCrossV2" and v2.inputs[-1] == v2.extra[0][0]
    assert _round_trip(g, other.values.name, {}).tolist() == [b"7-a", b"8-b"]


def test_matrix_exponential_has_no_tf_form():
    with tf.Graph().as_default():
        e = tf.linalg.expm(tf.eye(2))
        with pytest.raises(errors.UnimplementedError, match="MatrixExponential"):
            export_node(e.op)


def test_rfft_pads_in_the_graph_as_tf_and_the_kernels_still_fit_fed_lengths():
    x = np.arange(6, dtype=np.float32)
    g = tf.Graph()
    with g.as_default():
        y = tf.signal.rfft(x, [9])
        n = tf.placeholder(tf.int32, [1])
        z = tf.signal.rfft(tf.constant(x), n)  # a length known only when it runs
    assert y.op.inputs[0].op.type in ("Pad", "PadV2")
    with tf.Session(graph=g) as s:
        np.testing.assert_allclose(s.run(y), np.fft.rfft(x, 9), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(s.run(z, {n: [9]}), np.fft.rfft(x, 9), rtol=1e-5, atol=1e-5)


def test_matrix_solve_ls_takes_tfs_double_l2_regularizer():
    a = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], np.float32)
    b = np.array([[1.0], [2.0], [3.0]], np.float32)
    with tf.Graph().as_default():
        x = tf.linalg.lstsq(a, b, l2_regularizer=0.5)
        assert x.op.inputs[2].dtype is tf.float64 and x.dtype is tf.float32
        (da,) = tf.gradients(tf.reduce_sum(x), [x.op.inputs[0]])
        with tf.Session() as s:
            want = np.linalg.solve(a.T @ a + 0.5 * np.eye(2), a.T @ b)
            np.testing.assert_allclose(s.run(x), want, rtol=1e-5)
            assert s.run(da).shape == (3, 2)
        from flowzero.ops.lu_ops import MatrixSolveLs

        with pytest.raises(TypeError, match="l2_regularizer must be a float64"):
            apply_op(
                MatrixSolveLs, [tf.constant(a), tf.constant(b), tf.constant(0.5)], {"fast": True}
            )


def test_resize_area_is_float32_for_float64_images():
    with tf.Graph().as_default():
        y = tf.image.resize_area(np.ones([1, 2, 2, 1]), [3, 3])
        assert y.dtype is tf.float32
        with tf.Session() as s:
            assert s.run(y).dtype == np.float32


def test_unweighted_sparse_bincount_writes_an_empty_weights_tensor():
    with tf.Graph().as_default():
        c = tf.sparse.bincount(tf.constant([[1, 2], [2, 2]]), axis=-1)
        w = c.indices.op.inputs[1]
        assert w.shape.as_list() == [0] and w.dtype is tf.int32
        with tf.Session() as s:
            np.testing.assert_array_equal(s.run(c.values), [1, 1, 2])


def test_tensorflow_runs_sparse_cross_v2_with_another_separator():
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    g = tf.Graph()
    with g.as_default():
        sp = tf.SparseTensor([[0, 0], [1, 0]], tf.constant([7, 8], tf.int64), [2, 1])
        out = tf.sparse.cross([sp, tf.constant([["x"], ["y"]])], separator="-")
    gd = g.as_graph_def()
    tg = real.Graph()
    with tg.as_default():
        v1.import_graph_def(v1.GraphDef.FromString(gd.SerializeToString()), name="")
        with v1.Session(graph=tg) as s:
            assert s.run(out.values.name).tolist() == [b"7-x", b"8-y"]


def test_tensorflows_einsum_bincount_and_roll_import():
    """TF's NodeDefs of these ops (an Einsum without flowzero's parsed subscripts, a
    DenseCountSparseOutput without flowzero's `weighted` attr) import with TF's results."""
    real = pytest.importorskip("tensorflow")
    v1 = real.compat.v1
    xs = np.array([[1, 2, 2], [0, 1, 1]], np.int32)
    tg = real.Graph()
    with tg.as_default():
        x = v1.placeholder(real.int32, [2, 3], name="x")
        xf = real.cast(x, real.float32)
        outs = [
            real.sparse.bincount(x, axis=-1).values,
            real.sparse.bincount(x, weights=real.ones([2, 3]), axis=-1).values,
            real.sparse.bincount(real.sparse.from_dense(x), axis=-1).values,
            real.roll(x, 1, 0),
            real.einsum("ij,jk,kl->il", xf, real.ones([3, 3]), real.ones([3, 2])),
            real.einsum("...j,j", xf, real.ones([3])),
        ]
        with v1.Session() as s:
            want = s.run(outs, {x: xs})
    gd = graph_pb2.GraphDef.FromString(tg.as_graph_def().SerializeToString())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as s:
            got = s.run([o.name for o in outs], {"x:0": xs})
    for w, v in zip(want, got):
        assert v.dtype == w.dtype
        np.testing.assert_allclose(v, w, rtol=1e-6)
