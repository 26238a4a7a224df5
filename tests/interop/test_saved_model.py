"""SavedModel in TensorFlow's layout: TF-written SavedModels load and predict as TensorFlow did
and are served over HTTP; flowzero's SavedModels are TF's layout; bad files fail clearly."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import flowzero as tf
from flowzero import saved_model
from flowzero.framework import errors
from flowzero.proto import saved_model_pb2, types_pb2
from tests.interop.helpers import FIXTURES, IMPORTABLE, expected, io_spec


def _load(export_dir, tags=("serve",)):
    sess = tf.Session(graph=tf.Graph())
    return sess, saved_model.loader.load(sess, list(tags), export_dir)


@pytest.mark.parametrize("model", IMPORTABLE)
def test_tf_saved_models_predict_as_tensorflow(model):
    spec, want = io_spec(model), expected(model)
    export = str(FIXTURES / model / "saved_model")
    assert saved_model.contains_saved_model(export)
    sess, meta = _load(export)
    sig = meta.signature_def["serving_default"]
    assert sig.method_name == "tensorflow/serving/predict"
    assert {k: v.name for k, v in sig.inputs.items()} == spec["inputs"]
    assert {k: v.name for k, v in sig.outputs.items()} == spec["outputs"]
    assert sig.inputs["x"].dtype == tf.float32 and sig.inputs["x"].shape[0] is None
    got = sess.run({k: v.name for k, v in sig.outputs.items()}, {sig.inputs["x"].name: want["x"]})
    for key in spec["outputs"]:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-5, atol=1e-5, err_msg=key)
    assert saved_model.loader.read_saved_model_signatures(export)["serving_default"] == sig


def test_tf_saved_model_is_served_over_http(tmp_path):
    pytest.importorskip("starlette", reason="the serving extra is not installed")
    pytest.importorskip("prometheus_client", reason="the serving extra is not installed")
    from flowzero.serving import ServingConfig, create_app
    from tests.serving._client import TestClient

    shutil.copytree(FIXTURES / "convnet" / "saved_model", tmp_path / "convnet" / "1")
    want = expected("convnet")
    app = create_app(ServingConfig(str(tmp_path), ("convnet",), poll_interval_s=0))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/v1/models/convnet:predict", json={"instances": want["x"].tolist()})
        assert r.status_code == 200, r.text
        preds = r.json()["predictions"]
        np.testing.assert_allclose([p["probs"] for p in preds], want["probs"], rtol=1e-5, atol=1e-6)
        meta = client.get("/v1/models/convnet/metadata").json()
        assert "serving_default" in str(meta)


def test_tags_and_damaged_signatures(tmp_path):
    export = str(FIXTURES / "convnet" / "saved_model")
    with pytest.raises(RuntimeError, match="could not be found.*\\[\\['serve'\\]\\]"):
        _load(export, ["train"])
    sm = saved_model_pb2.SavedModel.FromString(open(f"{export}/saved_model.pb", "rb").read())
    sm.meta_graphs[0].signature_def["serving_default"].inputs["x"].dtype = types_pb2.DT_QINT8
    bad = tmp_path / "bad"
    shutil.copytree(export, bad)
    (bad / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(
        errors.InvalidArgumentError,
        match="saved_model.pb signature 'serving_default' input 'x'.*DT_QINT8",
    ):
        _load(str(bad))
    sm.meta_graphs[0].signature_def["serving_default"].inputs["x"].dtype = types_pb2.DT_FLOAT
    sm.meta_graphs[0].signature_def["serving_default"].inputs["x"].name = "x"
    (bad / "saved_model.pb").write_bytes(sm.SerializeToString())
    with pytest.raises(errors.DataLossError, match="bad tensor name 'x'"):
        _load(str(bad))
    (bad / "saved_model.pb").unlink()
    with pytest.raises(errors.NotFoundError, match="does not exist"):
        _load(str(bad))


def test_missing_variables_are_not_found(tmp_path):
    bad = tmp_path / "novars"
    shutil.copytree(FIXTURES / "convnet" / "saved_model", bad)
    os.unlink(bad / "variables" / "variables.index")
    with pytest.raises(errors.NotFoundError):
        _load(str(bad))
