"""tf.saved_model: simple_save / SavedModelBuilder / loader.load / export_model."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import flowzero as tf
from flowzero import saved_model
from flowzero.saved_model import builder as builder_mod
from flowzero.saved_model import signature_constants, tag_constants
from flowzero.saved_model.export import export_model


def _load(export_dir, tags=("serve",)):
    g = tf.Graph()
    sess = tf.Session(graph=g)
    meta = saved_model.loader.load(sess, list(tags), export_dir)
    return sess, meta


def test_constants():
    assert tag_constants.SERVING == "serve"
    assert signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY == "serving_default"
    assert signature_constants.PREDICT_METHOD_NAME == "tensorflow/serving/predict"


def test_export_load_predict_equals_session_run(trained):
    export = os.path.join(trained.base, "mnist", "1")
    assert sorted(os.listdir(export)) == ["saved_model.pb", "variables"]  # TensorFlow's
    sess, meta = _load(export)
    assert meta.meta_info_def.tags == ("serve",)
    sig = meta.signature_def["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    x = sig.inputs["x"]
    assert (x.name, x.dtype, x.shape) == ("two_layer_net/x:0", tf.float32, (None, 784))
    assert sig.outputs["probabilities"].shape == (None, 10)
    assert sig.outputs["classes"].dtype == tf.int32
    got = sess.run({k: v.name for k, v in sig.outputs.items()}, {x.name: trained.x_test[:17]})
    want = trained.reference(trained.x_test[:17])
    for k in want:
        np.testing.assert_array_equal(got[k], want[k])
    acc = np.mean(got["classes"] == trained.t_test[:17])
    assert acc > 0.5, acc  # it really is the trained model


def test_export_is_tensorflows_saved_model(trained):
    from flowzero.proto import saved_model_pb2

    export = os.path.join(trained.base, "mnist", "1")
    sm = saved_model_pb2.SavedModel.FromString(
        open(os.path.join(export, "saved_model.pb"), "rb").read()
    )
    assert sm.saved_model_schema_version == 1 and len(sm.meta_graphs) == 1
    mg = sm.meta_graphs[0]
    assert list(mg.meta_info_def.tags) == ["serve"]
    assert list(mg.signature_def) == ["serving_default"]
    assert mg.signature_def["serving_default"].inputs["x"].name == "two_layer_net/x:0"
    assert mg.saver_def.restore_op_name == "save/restore_all"
    # The variables are a checkpoint in TensorFlow's V2 format.
    assert sorted(os.listdir(os.path.join(export, "variables"))) == [
        "variables.data-00000-of-00001",
        "variables.index",
    ]
    assert tf.train.list_variables(os.path.join(export, "variables", "variables"))


def _json_layout_export(path: str) -> None:
    """A SavedModel in flowzero's JSON layout: what the builder writes for a graph with
    ops that have no TensorFlow form (a softmax over axis 0)."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        w = tf.Variable(2.0, name="w")
        y = tf.reduce_sum(tf.nn.softmax(tf.stack([x, x]), axis=0), 0) * w * 4.0
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saved_model.simple_save(sess, path, inputs={"x": x}, outputs={"y": y})


def test_json_layout_for_graphs_without_tf_form_still_written_and_loaded(tmp_path):
    export = str(tmp_path / "loop")
    _json_layout_export(export)
    assert sorted(os.listdir(export)) == [
        "meta_graph_0.json",
        "meta_graph_0.json.npz",
        "saved_model.json",
        "variables",
    ]
    desc = json.load(open(os.path.join(export, "saved_model.json")))
    assert desc["format"] == "flowzero.saved_model" and desc["version"] == 1
    assert desc["meta_graphs"] == [
        {"tags": ["serve"], "file": "meta_graph_0.json", "signatures": ["serving_default"]}
    ]
    with np.load(os.path.join(export, "meta_graph_0.json.npz"), allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
    sess, meta = _load(export)
    sig = meta.signature_def["serving_default"]
    out = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: [1.0, 3.0]})
    np.testing.assert_allclose(out, [8.0, 8.0])


def test_refuses_non_empty_export_dir_but_takes_an_empty_one(trained, tmp_path):
    with pytest.raises(AssertionError, match="already exists, and isn't empty"):
        saved_model.builder.SavedModelBuilder(os.path.join(trained.base, "mnist", "1"))
    with pytest.raises(FileExistsError):
        saved_model.simple_save(
            trained.sess,
            os.path.join(trained.base, "mnist", "1"),
            inputs={"x": trained.net.x},
            outputs=trained.outputs,
        )
    empty = tmp_path / "empty"
    empty.mkdir()
    saved_model.simple_save(
        trained.sess,
        str(empty),
        inputs={"x": trained.net.x},
        outputs={"logits": trained.net.logits},
    )
    assert saved_model.contains_saved_model(str(empty))


def test_written_atomically_no_partial_export_on_failure(trained, tmp_path, monkeypatch):
    target = tmp_path / "m" / "2"
    b = saved_model.builder.SavedModelBuilder(str(target))
    b.add_meta_graph_and_variables(
        trained.sess,
        ["serve"],
        signature_def_map={
            "serving_default": saved_model.signature_def_utils.predict_signature_def(
                {"x": trained.net.x}, {"logits": trained.net.logits}
            )
        },
    )
    # Before save(): only a hidden temp directory exists, which a model server ignores.
    names = os.listdir(tmp_path / "m")
    assert len(names) == 1 and names[0].startswith(".2.tmp-"), names

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(builder_mod.os, "rename", boom)
    with pytest.raises(OSError, match="disk full"):
        b.save()
    assert os.listdir(tmp_path / "m") == []


def test_stale_temp_dirs_of_dead_processes_are_removed(tmp_path):
    stale = tmp_path / ".3.tmp-999999999-deadbeef"
    stale.mkdir()
    (stale / "f").write_text("x")
    live = tmp_path / f".4.tmp-{os.getpid()}-deadbeef"
    live.mkdir()
    assert builder_mod.remove_stale_export_dirs(str(tmp_path)) == [str(stale)]
    assert live.exists()


def test_builder_multiple_tag_sets_and_signatures(trained, tmp_path):
    sdu = saved_model.signature_def_utils
    b = saved_model.builder.SavedModelBuilder(str(tmp_path / "e"))
    b.add_meta_graph_and_variables(
        trained.sess,
        [tag_constants.SERVING],
        signature_def_map={
            "serving_default": sdu.predict_signature_def(
                {"x": trained.net.x}, {"probabilities": trained.outputs["probabilities"]}
            ),
            "logits": sdu.predict_signature_def(
                {"images": trained.net.x}, {"scores": trained.net.logits}
            ),
        },
    )
    b.add_meta_graph(
        ["serve", "gpu"],
        signature_def_map={
            "only": sdu.predict_signature_def({"x": trained.net.x}, {"y": trained.net.logits})
        },
    )
    with pytest.raises(ValueError, match="already added"):
        b.add_meta_graph(["serve"])
    assert b.save() == str(tmp_path / "e")
    _, meta = _load(str(tmp_path / "e"))
    assert sorted(meta.signature_def) == ["logits", "serving_default"]
    assert meta.signature_def["logits"].inputs["images"].name == "two_layer_net/x:0"
    _, meta2 = _load(str(tmp_path / "e"), ["gpu", "serve"])
    assert list(meta2.signature_def) == ["only"]
    with pytest.raises(RuntimeError, match="could not be found"):
        _load(str(tmp_path / "e"), ["train"])


def test_builder_errors(trained, tmp_path):
    b = saved_model.builder.SavedModelBuilder(str(tmp_path / "x"))
    with pytest.raises(AssertionError, match="add_meta_graph_and_variables"):
        b.add_meta_graph(["serve"])
    with pytest.raises(AssertionError, match="Nothing to save"):
        b.save()
    with pytest.raises(ValueError, match="non-empty dict"):
        saved_model.signature_def_utils.predict_signature_def({}, {"y": trained.net.logits})
    with pytest.raises(ValueError, match="invalid"):
        saved_model.signature_def_utils.predict_signature_def(
            {"x y": trained.net.x}, {"y": trained.net.logits}
        )
    other = tf.Graph()
    with other.as_default():
        p = tf.placeholder(tf.float32, [None, 3], name="p")
    with pytest.raises(ValueError, match="not in the session's graph"):
        b.add_meta_graph_and_variables(
            trained.sess,
            ["serve"],
            signature_def_map={
                "s": saved_model.signature_def_utils.predict_signature_def({"p": p}, {"q": p})
            },
        )


def test_loader_rejects_damaged_exports(trained, tmp_path):
    from tests.serving.conftest import copy_export

    src = os.path.join(trained.base, "mnist", "1")
    with pytest.raises(tf.errors.NotFoundError, match="does not exist"):
        _load(str(tmp_path))
    cut = str(tmp_path / "cut")
    copy_export(src, cut)
    pb = os.path.join(cut, "saved_model.pb")
    data = open(pb, "rb").read()
    open(pb, "wb").write(data[: len(data) // 2])
    with pytest.raises(tf.errors.DataLossError, match="saved_model.pb is not a valid SavedModel"):
        _load(cut)
    bad = str(tmp_path / "bad")
    _json_layout_export(bad)  # flowzero's earlier layout: its descriptor is checked too
    desc_path = os.path.join(bad, "saved_model.json")
    desc = json.load(open(desc_path))
    desc["meta_graphs"][0]["file"] = "../../etc/passwd"
    json.dump(desc, open(desc_path, "w"))
    with pytest.raises(tf.errors.DataLossError, match="invalid file"):
        _load(bad)
    desc["meta_graphs"][0]["file"] = "meta_graph_0.json"
    desc["version"] = 99
    json.dump(desc, open(desc_path, "w"))
    with pytest.raises(tf.errors.UnimplementedError, match="version 99"):
        _load(bad)
    open(desc_path, "w").write("{not json")
    with pytest.raises(tf.errors.DataLossError, match="not valid JSON"):
        _load(bad)
    flipped = str(tmp_path / "flipped")
    copy_export(src, flipped)
    with open(os.path.join(flipped, "variables", "variables.data-00000-of-00001"), "r+b") as f:
        f.seek(200)
        f.write(b"\xff\xff\xff\xff")
    with pytest.raises(tf.errors.DataLossError, match="variables.*CRC-32C mismatch"):
        _load(flipped)


def test_export_model_from_meta_graph(trained, tmp_path):
    out = str(tmp_path / "models" / "mnist" / "7")
    info = export_model(os.path.dirname(trained.checkpoint), "two_layer_net", out)
    assert info["source"] == "meta_graph" and info["checkpoint"].endswith("model.ckpt-150")
    sess, meta = _load(out)
    sig = meta.signature_def["serving_default"]
    assert sorted(sig.outputs) == ["classes", "logits", "probabilities"]
    x = trained.x_test[:5]
    got = sess.run(sig.outputs["probabilities"].name, {sig.inputs["x"].name: x})
    np.testing.assert_array_equal(got, trained.reference(x)["probabilities"])
    with pytest.raises(FileExistsError):
        export_model(os.path.dirname(trained.checkpoint), "two_layer_net", out)
    with pytest.raises(tf.errors.NotFoundError, match="was it trained as simple_conv_net"):
        export_model(trained.checkpoint, "simple_conv_net", str(tmp_path / "other"))
    with pytest.raises(ValueError, match="unknown model"):
        export_model(trained.checkpoint, "resnet", str(tmp_path / "other"))
    with pytest.raises(tf.errors.NotFoundError, match="No checkpoint"):
        export_model(str(tmp_path), "two_layer_net", str(tmp_path / "other"))


def test_export_model_from_run_config(trained, tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    saver = tf.train.Saver(trained.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES))
    prefix = saver.save(
        trained.sess, str(run / "checkpoints" / "model.ckpt"), global_step=1, write_meta_graph=False
    )
    # as `flowzero train --out run` writes it: run/checkpoints/run.json
    (run / "checkpoints" / "run.json").write_text(
        json.dumps(
            {
                "format": "flowzero.run",
                "version": 1,
                "model": "two_layer_net",
                "model_kwargs": {"hidden_size": 50, "seed": 3},
                "image_input": False,
            }
        )
    )
    out = str(tmp_path / "export")
    info = export_model(str(run), None, out)
    assert info["source"] == "run_config" and info["checkpoint"] == prefix
    sess, meta = _load(out)
    sig = meta.signature_def["serving_default"]
    x = trained.x_test[:4]
    got = sess.run(sig.outputs["logits"].name, {sig.inputs["x"].name: x})
    np.testing.assert_array_equal(got, trained.reference(x)["logits"])
    # only the inference graph: no optimizer ops
    assert not [op for op in sess.graph.get_operations() if "Gradient" in op.name]
    with pytest.raises(ValueError, match="not a simple_conv_net"):
        export_model(str(run), "simple_conv_net", str(tmp_path / "e2"))
