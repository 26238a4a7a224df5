"""The model repository: versions on disk, hot swap without a restart, draining, bad versions."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the serving extra (starlette) is not installed")

import flowzero as tf  # noqa: E402
from flowzero import saved_model  # noqa: E402
from flowzero.serving import ServingConfig, create_app  # noqa: E402
from flowzero.serving.repository import (  # noqa: E402
    ModelRepository,
    check_model_name,
    parse_version,
)
from flowzero.serving.servable import ServingError  # noqa: E402
from tests.serving._client import TestClient  # noqa: E402
from tests.serving.conftest import copy_export  # noqa: E402


def _export_scaled(trained, export_dir, scale):
    """The trained model with its logits scaled: a 'new version' with different answers."""
    g = tf.Graph()
    with g.as_default():
        sess = tf.Session(graph=g)
        meta = saved_model.loader.load(sess, ["serve"], os.path.join(trained.base, "mnist", "1"))
        sig = meta.signature_def["serving_default"]
        x = g.get_tensor_by_name(sig.inputs["x"].name)
        logits = g.get_tensor_by_name(sig.outputs["logits"].name) * scale
        saved_model.simple_save(
            sess,
            export_dir,
            inputs={"x": x},
            outputs={"logits": logits, "probabilities": tf.nn.softmax(logits)},
        )


def _wait(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_names_and_versions_are_strict():
    for ok in ("mnist", "my-model_2.1", "A" * 128):
        assert check_model_name(ok) == ok
    for bad in ("", ".", "..", "a/b", "../x", "a b", "x\x00", "é", "A" * 129, None, 3):
        with pytest.raises(ValueError):
            check_model_name(bad)
    assert parse_version("12") == 12 and parse_version(7) == 7
    for bad in ("-1", "1.0", "1e3", " 1", "0x1", "", "1" * 19, True, -1, "١"):
        assert parse_version(bad) is None, bad


def test_scan_ignores_temp_and_junk(trained, tmp_path):
    m = tmp_path / "mnist"
    copy_export(os.path.join(trained.base, "mnist", "1"), str(m / "3"))
    (m / ".4.tmp-123-deadbeef").mkdir()  # a builder's temp dir
    (m / "5").mkdir()  # no saved_model.json (yet)
    (m / "6").write_text("a file")
    (m / "latest").mkdir()
    repo = ModelRepository(str(tmp_path), ["mnist"], poll_interval_s=0)
    assert repo.available_versions("mnist") == [3]
    repo.poll()
    assert repo.current_version("mnist") == 3
    repo.stop()


def test_version_switch_without_restart(trained, tmp_path):
    base = tmp_path / "models"
    copy_export(os.path.join(trained.base, "mnist", "1"), str(base / "mnist" / "1"))
    app = create_app(ServingConfig(str(base), ("mnist",), poll_interval_s=0.1))
    x = trained.x_test[:3]
    want1 = trained.reference(x)["probabilities"]
    with TestClient(app) as c:
        r = c.post("/v1/models/mnist:predict", json={"inputs": x.tolist()})
        np.testing.assert_array_equal(np.float32(r.json()["outputs"]["probabilities"]), want1)
        _export_scaled(trained, str(base / "mnist" / "2"), 3.0)
        # while version 2 loads, the status lists it first as LOADING and 1 still answers
        assert _wait(
            lambda: (
                {"version": "2", "state": "AVAILABLE"}
                in [
                    {k: s[k] for k in ("version", "state")}
                    for s in c.get("/v1/models/mnist").json()["model_version_status"]
                ]
            )
        ), c.get("/v1/models/mnist").json()
        r = c.post("/v1/models/mnist:predict", json={"inputs": x.tolist()})
        got = np.float32(r.json()["outputs"]["logits"])
        np.testing.assert_allclose(got, trained.reference(x)["logits"] * 3.0, rtol=1e-6)
        assert c.get("/v1/models/mnist/versions/2/metadata").status_code == 200
        assert (
            c.post("/v1/models/mnist/versions/1:predict", json={"inputs": x.tolist()}).status_code
            == 404
        )
        assert "flowzero_serving_model_version" in c.get("/metrics").text


def test_old_version_drains_before_it_closes(trained, tmp_path):
    base = tmp_path / "models"
    copy_export(os.path.join(trained.base, "mnist", "1"), str(base / "mnist" / "1"))
    repo = ModelRepository(str(base), ["mnist"], poll_interval_s=0)
    repo.poll()
    x = trained.x_test[:2]
    with repo.acquire("mnist") as old:  # a request in flight on version 1
        _export_scaled(trained, str(base / "mnist" / "2"), 2.0)
        repo.poll()
        assert repo.current_version("mnist") == 2
        assert [(s.version, s.state) for s in repo.states("mnist")] == [
            (2, "AVAILABLE"),
            (1, "UNLOADING"),
        ]
        assert not old.closed
        key, sig = old.signature(None)
        out = old.run(key, old.check_feeds(sig, {"x": x}))  # still answers
        np.testing.assert_array_equal(out["probabilities"], trained.reference(x)["probabilities"])
    assert old.closed
    assert [(s.version, s.state) for s in repo.states("mnist")] == [(2, "AVAILABLE")]
    repo.stop()


def test_broken_version_keeps_the_old_one(trained, tmp_path):
    base = tmp_path / "models"
    copy_export(os.path.join(trained.base, "mnist", "1"), str(base / "mnist" / "1"))
    repo = ModelRepository(str(base), ["mnist"], poll_interval_s=0)
    repo.poll()
    bad = base / "mnist" / "2"
    copy_export(os.path.join(trained.base, "mnist", "1"), str(bad))
    with open(bad / "variables" / "variables.data-00000-of-00001", "r+b") as f:
        f.seek(100)
        f.write(b"garbage!")
    repo.poll()
    assert repo.current_version("mnist") == 1
    states = repo.states("mnist")
    assert states[0].state == "AVAILABLE" and states[0].version == 1
    assert states[1].version == 2 and states[1].state == "END"
    assert "DataLossError" in states[1].error
    repo.poll()  # not retried while unchanged
    # the served version's directory disappears: it keeps serving
    os.rename(base / "mnist" / "1", base / "elsewhere")
    repo.poll()
    assert repo.current_version("mnist") == 1
    with repo.acquire("mnist") as s:
        assert s.version == 1
    with pytest.raises(ServingError) as e:
        with repo.acquire("mnist", 2):
            pass
    assert e.value.status == 404
    repo.stop()


def test_model_without_versions_is_not_ready(tmp_path):
    (tmp_path / "mnist").mkdir()
    app = create_app(ServingConfig(str(tmp_path), ("mnist",), poll_interval_s=0))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/healthz").status_code == 503
        assert c.get("/v2/health/ready").status_code == 503
        r = c.post("/v1/models/mnist:predict", json={"instances": [[0.0] * 784]})
        assert r.status_code == 404 and "no version loaded" in r.json()["error"]
        assert c.get("/v1/models/mnist").status_code == 404
