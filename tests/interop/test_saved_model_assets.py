"""SavedModel assets (`assets/` + asset_file_def / the ASSETS_KEY collection), the main op,
and the tf.saved_model names of TF 1.15 (constants, Classify / Regress signatures,
is_valid_signature, get_tensor_from_tensor_info, main_op_with_restore, Builder)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors
from flowzero.interop.saved_model import read_saved_model
from tests.interop.helpers import FIXTURES

DIR = FIXTURES.parent / "tf_interop"


def test_loads_tf_saved_model_with_assets():
    """Written by TF's SavedModelBuilder (scripts/make_tf_asset_fixtures.py); its source vocab
    file is gone, so the main op reads the copy in assets/ only if the loader feeds it."""
    want = json.loads((DIR / "assets_expected.json").read_text())
    export = str(DIR / "assets_model")
    mg = read_saved_model(export).meta_graphs[0]
    assert tf.saved_model.ASSETS_KEY in mg.collection_def  # TF 1.x's form of the assets
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.loader.load(sess, [tf.saved_model.SERVING], export)
        sig = meta.signature_def["serving_default"]
        y, contents = sess.run(
            [sig.outputs["y"].name, sig.outputs["contents"].name],
            {sig.inputs["x"].name: want["x"]},
        )
    np.testing.assert_allclose(y, want["y"], rtol=1e-6)
    assert contents == want["vocab"].encode()


def _export_with_asset(tmp_path, vocab_text="one\ntwo\n", scope_name="vocab"):
    src = tmp_path / "src" / "vocab.txt"
    src.parent.mkdir(exist_ok=True)
    src.write_text(vocab_text)
    export = str(tmp_path / "export")
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None], name="x")
        w = tf.Variable(3.0, name="w")
        vocab = tf.constant(str(src), name=scope_name)
        tf.add_to_collection(tf.GraphKeys.ASSET_FILEPATHS, vocab)
        contents = tf.Variable(
            b"", dtype=tf.string, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES]
        )
        main_op = tf.group(tf.assign(contents, tf.read_file(vocab)), name="main_op")
        y = tf.identity(x * w, name="y")
        c = tf.identity(contents, name="contents")
        with tf.Session() as sess:
            sess.run(w.initializer)
            b = tf.saved_model.Builder(export)
            b.add_meta_graph_and_variables(
                sess,
                [tf.saved_model.SERVING],
                signature_def_map={
                    "serving_default": tf.saved_model.predict_signature_def(
                        {"x": x}, {"y": y, "contents": c}
                    )
                },
                assets_collection=g.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
                main_op=main_op,
            )
            b.save()
    os.unlink(src)
    return export


def test_builder_writes_assets_and_loader_feeds_them(tmp_path):
    export = _export_with_asset(tmp_path)
    assert os.listdir(os.path.join(export, tf.saved_model.ASSETS_DIRECTORY)) == ["vocab.txt"]
    mg = read_saved_model(export).meta_graphs[0]
    (a,) = mg.asset_file_def
    assert (a.filename, a.tensor_info.name) == ("vocab.txt", "vocab:0")
    assert list(mg.collection_def[tf.saved_model.MAIN_OP_KEY].node_list.value) == ["main_op"]
    with tf.Session(graph=tf.Graph()) as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], export, import_scope="m")
        sig = meta.signature_def["serving_default"]
        y, c = sess.run(
            ["m/" + sig.outputs["y"].name, "m/" + sig.outputs["contents"].name],
            {"m/" + sig.inputs["x"].name: [1.0, 2.0]},
        )
    np.testing.assert_allclose(y, [3.0, 6.0])
    assert c == b"one\ntwo\n"


def test_tensorflow_loads_flowzero_assets(tmp_path):
    tf_real = pytest.importorskip("tensorflow")
    export = _export_with_asset(tmp_path, "from flowzero\n")
    v1 = tf_real.compat.v1
    with tf_real.Graph().as_default(), v1.Session() as sess:
        meta = v1.saved_model.loader.load(sess, ["serve"], export)
        sig = meta.signature_def["serving_default"]
        c = sess.run(sig.outputs["contents"].name)
    assert c == b"from flowzero\n"


def test_asset_checks(tmp_path):
    with tf.Graph().as_default():
        with tf.Session() as sess:
            b = tf.saved_model.Builder(str(tmp_path / "e1"))
            with pytest.raises(TypeError, match="Asset path tensor must be of type constant"):
                b.add_meta_graph_and_variables(
                    sess, ["serve"], assets_collection=[tf.placeholder(tf.string, [])]
                )
            b = tf.saved_model.Builder(str(tmp_path / "e2"))
            with pytest.raises(TypeError, match="must be of type string"):
                b.add_meta_graph_and_variables(
                    sess, ["serve"], assets_collection=[tf.constant(1.0)]
                )
            b = tf.saved_model.Builder(str(tmp_path / "e3"))
            with pytest.raises(errors.NotFoundError, match="Asset file .*nope.txt"):
                b.add_meta_graph_and_variables(
                    sess, ["serve"], assets_collection=[tf.constant(str(tmp_path / "nope.txt"))]
                )
            b = tf.saved_model.Builder(str(tmp_path / "e4"))
            with pytest.raises(TypeError, match="main_op needs to be an Operation"):
                b.add_meta_graph_and_variables(sess, ["serve"], main_op=tf.constant(1))


def test_two_assets_with_one_base_name(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "v.txt").write_text("A")
    (tmp_path / "b" / "v.txt").write_text("B")
    export = str(tmp_path / "e")
    with tf.Graph().as_default():
        paths = [tf.constant(str(tmp_path / d / "v.txt")) for d in "ab"]
        with tf.Session() as sess:
            b = tf.saved_model.Builder(export)
            b.add_meta_graph_and_variables(sess, ["serve"], assets_collection=paths)
            b.save()
    names = sorted(os.listdir(os.path.join(export, "assets")))
    assert names == ["v.txt", "v.txt_1"]
    assert open(os.path.join(export, "assets", "v.txt_1")).read() == "B"


def test_bad_asset_file_name_is_data_loss(tmp_path):
    from flowzero.interop.saved_model import asset_feeds
    from flowzero.proto import meta_graph_pb2

    mg = meta_graph_pb2.MetaGraphDef()
    a = mg.asset_file_def.add(filename="../../etc/passwd")
    a.tensor_info.name = "vocab:0"
    with pytest.raises(errors.DataLossError, match="not a plain name"):
        asset_feeds(mg, str(tmp_path), None, "saved_model.pb")


# -- names ----------------------------------------------------------------------------------
def test_constants_match_tf_1_15():
    sm = tf.saved_model
    assert (sm.ASSETS_DIRECTORY, sm.ASSETS_KEY) == ("assets", "saved_model_assets")
    assert (sm.DEBUG_DIRECTORY, sm.DEBUG_INFO_FILENAME_PB) == ("debug", "saved_model_debug_info.pb")
    assert (sm.LEGACY_INIT_OP_KEY, sm.MAIN_OP_KEY) == ("legacy_init_op", "saved_model_main_op")
    assert (sm.SAVED_MODEL_FILENAME_PB, sm.SAVED_MODEL_FILENAME_PBTXT) == (
        "saved_model.pb",
        "saved_model.pbtxt",
    )
    assert sm.SAVED_MODEL_SCHEMA_VERSION == 1
    assert (sm.VARIABLES_DIRECTORY, sm.VARIABLES_FILENAME) == ("variables", "variables")
    assert (sm.CLASSIFY_INPUTS, sm.CLASSIFY_OUTPUT_CLASSES, sm.CLASSIFY_OUTPUT_SCORES) == (
        "inputs",
        "classes",
        "scores",
    )
    assert (sm.PREDICT_INPUTS, sm.PREDICT_OUTPUTS) == ("inputs", "outputs")
    assert (sm.REGRESS_INPUTS, sm.REGRESS_OUTPUTS) == ("inputs", "outputs")
    assert (sm.GPU, sm.TPU) == ("gpu", "tpu")
    assert sm.Builder is sm.SavedModelBuilder is sm.builder.SavedModelBuilder
    assert sm.constants.MAIN_OP_KEY == sm.MAIN_OP_KEY


def test_classification_and_regression_signatures():
    sm = tf.saved_model
    with tf.Graph().as_default():
        ex = tf.placeholder(tf.string, [None], name="ex")
        classes = tf.placeholder(tf.string, [None, 3], name="classes")
        scores = tf.placeholder(tf.float32, [None, 3], name="scores")
        sig = sm.classification_signature_def(ex, classes, scores)
        assert sig.method_name == sm.CLASSIFY_METHOD_NAME
        assert sig.inputs["inputs"].name == "ex:0"
        assert sig.outputs["classes"].name == "classes:0"
        assert sig.outputs["scores"].name == "scores:0"
        assert sm.is_valid_signature(sig)
        only = sm.classification_signature_def(ex, None, scores)
        assert list(only.outputs) == ["scores"] and sm.is_valid_signature(only)
        reg = sm.regression_signature_def(ex, scores)
        assert (reg.method_name, reg.outputs["outputs"].name) == (
            sm.REGRESS_METHOD_NAME,
            "scores:0",
        )
        assert sm.is_valid_signature(reg)
        with pytest.raises(ValueError, match="classes and scores cannot both be None"):
            sm.classification_signature_def(ex, None, None)
        with pytest.raises(ValueError, match="examples must be a string Tensor"):
            sm.classification_signature_def(scores, classes, None)
        with pytest.raises(ValueError, match="scores must be a float Tensor"):
            sm.classification_signature_def(ex, None, classes)
        with pytest.raises(ValueError, match="Regression predictions must be a float Tensor"):
            sm.regression_signature_def(ex, classes)
        with pytest.raises(ValueError, match="Regression examples cannot be None"):
            sm.regression_signature_def(None, scores)
        # is_valid_signature: TF Serving's checks on keys and dtypes.
        pred = sm.predict_signature_def({"a": scores}, {"b": scores})
        assert sm.is_valid_signature(pred)
        bad = sm.build_signature_def(
            {"inputs": scores}, {"outputs": scores}, sm.REGRESS_METHOD_NAME
        )
        assert not sm.is_valid_signature(bad)
        odd = sm.build_signature_def({"inputs": ex}, {"other": scores}, sm.CLASSIFY_METHOD_NAME)
        assert not sm.is_valid_signature(odd)
        assert not sm.is_valid_signature(None)


def test_get_tensor_from_tensor_info():
    from flowzero.proto import meta_graph_pb2

    with tf.Graph().as_default() as g:
        with tf.name_scope("m"):
            x = tf.placeholder(tf.float32, [2], name="x")
        info = tf.saved_model.build_tensor_info(x)
        assert tf.saved_model.get_tensor_from_tensor_info(info) is x
        proto = meta_graph_pb2.TensorInfo(name="x:0")
        assert tf.saved_model.get_tensor_from_tensor_info(proto, g, import_scope="m") is x
        sparse = meta_graph_pb2.TensorInfo()
        sparse.coo_sparse.values_tensor_name = "v:0"
        with pytest.raises(ValueError, match="Invalid TensorInfo.encoding: coo_sparse"):
            tf.saved_model.get_tensor_from_tensor_info(sparse)


def test_main_op_with_restore_initializes_then_restores(tmp_path):
    """On a graph with TF's saver subgraph (here: imported from the .meta Saver.save wrote)."""
    from flowzero.interop.meta_graph import read_meta_graph

    with tf.Graph().as_default():
        v = tf.Variable(5.0, name="v")
        with tf.Session() as sess:
            sess.run(v.initializer)
            path = tf.train.Saver([v]).save(sess, str(tmp_path / "ck"))
    sd = read_meta_graph(path + ".meta").saver_def
    with tf.Graph().as_default() as g:
        tf.train.import_meta_graph(path + ".meta")
        loc = tf.Variable(
            7.0, name="loc", trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES]
        )
        op = tf.saved_model.main_op_with_restore(sd.restore_op_name)
        assert op.type == "NoOp"
        with tf.Session() as sess:
            with pytest.raises(tf.errors.FailedPreconditionError):
                sess.run(loc)
            sess.run(op, {sd.filename_tensor_name: path})
            assert sess.run(loc) == 7.0
            assert sess.run(g.get_tensor_by_name("v:0")) == 5.0
        with pytest.raises(TypeError, match="restore_op_name must be"):
            tf.saved_model.main_op_with_restore(3)


def test_maybe_saved_model_directory(tmp_path):
    assert tf.saved_model.maybe_saved_model_directory(str(DIR / "assets_model"))
    assert not tf.saved_model.maybe_saved_model_directory(str(tmp_path))
