"""The ASGI app in-process: every endpoint and every error path of both REST dialects."""

from __future__ import annotations

import base64
import os
import struct

import numpy as np
import orjson
import pytest

pytest.importorskip("starlette", reason="the serving extra (starlette) is not installed")
pytest.importorskip("prometheus_client", reason="the serving extra is not installed")

import flowzero as tf  # noqa: E402
from flowzero import saved_model  # noqa: E402
from flowzero.serving import ServingConfig, create_app  # noqa: E402
from flowzero.serving.servable import Servable  # noqa: E402
from tests.serving._client import TestClient  # noqa: E402
from tests.serving.conftest import copy_export  # noqa: E402

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def base(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    copy_export(os.path.join(trained.base, "mnist", "1"), str(root / "mnist" / "1"))
    # A second model with a string input and two named inputs, for b64 and the named formats.
    g = tf.Graph()
    with g.as_default():
        s = tf.placeholder(tf.string, [None], name="s")
        n = tf.placeholder(tf.float32, [None, 2], name="n")
        k = tf.placeholder(tf.int32, [None], name="k")
        sess = tf.Session(graph=g)
        saved_model.simple_save(
            sess,
            str(root / "strings" / "3"),
            inputs={"s": s, "n": n, "k": k},
            outputs={
                "echo_bytes": tf.identity(s),
                "text": tf.identity(s),
                "total": tf.reduce_sum(n, 1) + tf.cast(k, tf.float32),
            },
        )
    return str(root)


@pytest.fixture(scope="module")
def client(base):
    app = create_app(
        ServingConfig(base, ("mnist", "strings"), poll_interval_s=0, max_body_bytes=LIMIT)
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _f32(v):
    return np.asarray(v, dtype=np.float32)


def _err(r, status, fragment):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}, body
    assert fragment in body["error"], body["error"]
    assert "Traceback" not in r.text
    return body["error"]


# -- TF Serving: status and metadata ----------------------------------------------------------
def test_model_status(client):
    r = client.get("/v1/models/mnist")
    assert r.status_code == 200
    assert r.json() == {
        "model_version_status": [
            {
                "version": "1",
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }
    assert client.get("/v1/models/mnist/versions/1").json() == r.json()
    _err(client.get("/v1/models/mnist/versions/2"), 404, "version 2")
    _err(client.get("/v1/models/mnist/versions/abc"), 404, "integers")
    _err(client.get("/v1/models/nope"), 404, "Servable not found")


def test_metadata(client):
    r = client.get("/v1/models/mnist/metadata")
    assert r.status_code == 200
    meta = r.json()
    assert meta["model_spec"] == {"name": "mnist", "signature_name": "", "version": "1"}
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert sig["inputs"]["x"] == {
        "dtype": "DT_FLOAT",
        "name": "two_layer_net/x:0",
        "tensor_shape": {
            "dim": [{"size": "-1", "name": ""}, {"size": "784", "name": ""}],
            "unknown_rank": False,
        },
    }
    assert sig["outputs"]["classes"]["dtype"] == "DT_INT32"
    assert client.get("/v1/models/mnist/versions/1/metadata").json() == meta
    _err(client.get("/v1/models/mnist/versions/9/metadata"), 404, "Specific(mnist, 9)")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/..%2F..%2Fetc/metadata",
        "/v1/models/%2e%2e",
        "/v1/models/mnist%00/metadata",
        "/v2/models/..%2Fmnist",
        "/v1/models/mnist/versions/..%2F1",
    ],
)
def test_no_path_traversal(client, path):
    r = client.get(path)
    assert r.status_code == 404, (path, r.text)
    assert "error" in r.json()


# -- TF Serving: predict ----------------------------------------------------------------------
def test_predict_row_format_equals_session_run(client, trained):
    x = trained.x_test[:7]
    want = trained.reference(x)
    r = client.post("/v1/models/mnist:predict", json={"instances": x.tolist()})
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    assert len(preds) == 7 and set(preds[0]) == {"logits", "probabilities", "classes"}
    # float32 -> shortest repr -> float32 is exact: bit for bit.
    np.testing.assert_array_equal(_f32([p["probabilities"] for p in preds]), want["probabilities"])
    np.testing.assert_array_equal(_f32([p["logits"] for p in preds]), want["logits"])
    assert [p["classes"] for p in preds] == want["classes"].tolist()
    r2 = client.post(
        "/v1/models/mnist/versions/1:predict",
        json={"signature_name": "serving_default", "instances": x.tolist()},
    )
    assert r2.json() == r.json()
    # named instances: one object per row
    r3 = client.post(
        "/v1/models/mnist:predict", json={"instances": [{"x": row} for row in x.tolist()]}
    )
    assert r3.json() == r.json()


def test_predict_columnar_format(client, trained):
    x = trained.x_test[:3]
    want = trained.reference(x)
    r = client.post("/v1/models/mnist:predict", json={"inputs": x.tolist()})
    assert r.status_code == 200, r.text
    out = r.json()["outputs"]
    np.testing.assert_array_equal(_f32(out["probabilities"]), want["probabilities"])
    assert out["classes"] == want["classes"].tolist()
    r2 = client.post("/v1/models/mnist:predict", json={"inputs": {"x": x.tolist()}})
    assert r2.json() == r.json()


def test_b64_and_multiple_inputs(client):
    raw = [b"\x00\xffbinary", b"plain"]
    inst = [{"s": {"b64": base64.b64encode(b).decode()}, "n": [1.5, 2], "k": 3} for b in raw]
    r = client.post("/v1/models/strings:predict", json={"instances": inst})
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    assert [base64.b64decode(p["echo_bytes"]["b64"]) for p in preds] == raw
    assert preds[1]["text"] == "plain" and preds[0]["total"] == 6.5
    r = client.post(
        "/v1/models/strings:predict",
        json={
            "inputs": {
                "s": ["a", {"b64": base64.b64encode(b"b").decode()}],
                "n": [[0, 0], [1, 1]],
                "k": [1, 2],
            }
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["outputs"]["text"] == ["a", "b"]
    assert r.json()["outputs"]["total"] == [1.0, 4.0]
    _err(
        client.post("/v1/models/strings:predict", json={"instances": [[1, 2]]}),
        400,
        "several inputs",
    )
    _err(
        client.post(
            "/v1/models/strings:predict",
            json={"inputs": {"s": [{"b64": "***"}], "n": [[0, 0]], "k": [1]}},
        ),
        400,
        "invalid base64",
    )
    _err(
        client.post(
            "/v1/models/strings:predict", json={"inputs": {"s": ["a"], "n": [[0, 0]], "k": [1.5]}}
        ),
        400,
        "non-integral",
    )
    _err(
        client.post(
            "/v1/models/strings:predict", json={"inputs": {"s": [3], "n": [[0, 0]], "k": [1]}}
        ),
        400,
        "Input 's' expects strings",
    )
    _err(
        client.post("/v1/models/strings:predict", json={"instances": [{"s": "a", "n": [0, 0]}]}),
        400,
        "exactly the inputs",
    )


@pytest.mark.parametrize(
    "body,status,fragment",
    [
        (b"{not json", 400, "JSON Parse error"),
        (b"", 400, "JSON Parse error"),
        (b"[1, 2]", 400, "must be a JSON object"),
        (b'{"foo": 1}', 400, "Missing 'inputs' or 'instances' key"),
        (b'{"inputs": [], "instances": []}', 400, "Not both"),
        (b'{"instances": []}', 400, "non-empty list"),
        (
            b'{"instances": [[1, 2, 3]]}',
            400,
            "Input 'x' has shape (1, 3), but the signature expects (-1, 784)",
        ),
        (
            b'{"inputs": [1, 2]}',
            400,
            "Input 'x' has shape (2,), but the signature expects (-1, 784)",
        ),
        (b'{"instances": [["a", "b"]]}', 400, "Input 'x' expects float32"),
        (b'{"instances": [{"b64": "AAAA"}]}', 400, "only for string inputs"),
        (b'{"instances": [[1, 2], [3]]}', 400, "ragged"),
        (b'{"instances": [[null]]}', 400, "null"),
        (b'{"inputs": {"x": [[1]], "y": [1]}}', 400, "unknown: ['y']"),
        (b'{"signature_name": 3, "instances": [[1]]}', 400, "signature_name"),
        (b'{"signature_name": "nope", "instances": [[1]]}', 404, '"nope" not found'),
    ],
)
def test_predict_errors(client, body, status, fragment):
    _err(
        client.post(
            "/v1/models/mnist:predict", content=body, headers={"content-type": "application/json"}
        ),
        status,
        fragment,
    )


def test_predict_routing_errors(client):
    _err(
        client.post("/v1/models/nope:predict", json={"instances": [[1]]}), 404, "Servable not found"
    )
    _err(
        client.post("/v1/models/mnist/versions/5:predict", json={"instances": [[1]]}),
        404,
        "Specific(mnist, 5)",
    )
    _err(client.post("/v1/models/mnist:classify", json={}), 501, "not implemented")
    _err(client.post("/v1/models/mnist:frobnicate", json={}), 404, "Unknown method")
    _err(client.get("/v1/models/mnist:predict"), 404, "no such model")
    r = client.put("/v1/models/mnist/metadata")
    _err(r, 405, "not allowed")
    _err(client.get("/no/such/path"), 404, "Not found")


def test_body_limit_413(client):
    big = b'{"instances": [' + b"0," * LIMIT + b"0]}"
    _err(client.post("/v1/models/mnist:predict", content=big), 413, "exceeds the limit")

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(LIMIT // 1000 + 2):
            yield b" " * 1000

    _err(client.post("/v1/models/mnist:predict", content=chunks()), 413, "exceeds the limit")
    _err(client.post("/v2/models/mnist/infer", content=big), 413, "exceeds the limit")
    _err(
        client.post("/v1/models/mnist:predict", content=b"{}", headers={"content-length": "zz"}),
        400,
        "Content-Length",
    )
    assert client.get("/v1/models/mnist").status_code == 200


def test_internal_error_is_500_json_without_traceback(client, monkeypatch, trained):
    def boom(self, *a, **k):
        raise RuntimeError("kaboom in the kernel")

    monkeypatch.setattr(Servable, "run", boom)
    r = client.post("/v1/models/mnist:predict", json={"instances": trained.x_test[:1].tolist()})
    msg = _err(r, 500, "Internal error")
    assert "kaboom" not in msg
    monkeypatch.undo()
    r = client.post("/v1/models/mnist:predict", json={"instances": trained.x_test[:1].tolist()})
    assert r.status_code == 200  # the app keeps serving


# -- KServe v2 ---------------------------------------------------------------------------------
def test_v2_health_and_metadata(client):
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2").json()["extensions"] == ["binary_tensor_data"]
    meta = client.get("/v2/models/mnist").json()
    assert meta["name"] == "mnist" and meta["versions"] == ["1"]
    assert meta["inputs"] == [{"name": "x", "datatype": "FP32", "shape": [-1, 784]}]
    assert {"name": "classes", "datatype": "INT32", "shape": [-1]} in meta["outputs"]
    assert client.get("/v2/models/mnist/versions/1").json() == meta
    assert client.get("/v2/models/mnist/ready").json() == {"name": "mnist", "ready": True}
    assert client.get("/v2/models/mnist/versions/2/ready").status_code == 503
    _err(client.get("/v2/models/nope"), 404, "Servable not found")


def test_v2_infer_json_equals_session_run(client, trained):
    x = trained.x_test[:5]
    want = trained.reference(x)
    r = client.post(
        "/v2/models/mnist/infer",
        json={
            "id": "req-1",
            "inputs": [
                {"name": "x", "shape": [5, 784], "datatype": "FP32", "data": x.ravel().tolist()}
            ],
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_name"] == "mnist" and body["model_version"] == "1"
    assert body["id"] == "req-1"
    outs = {o["name"]: o for o in body["outputs"]}
    assert outs["probabilities"]["shape"] == [5, 10]
    assert outs["probabilities"]["datatype"] == "FP32"
    np.testing.assert_array_equal(
        _f32(outs["probabilities"]["data"]).reshape(5, 10), want["probabilities"]
    )
    assert outs["classes"]["data"] == want["classes"].tolist()
    # nested data and an output subset
    r = client.post(
        "/v2/models/mnist/versions/1/infer",
        json={
            "inputs": [{"name": "x", "shape": [5, 784], "datatype": "FP32", "data": x.tolist()}],
            "outputs": [{"name": "classes"}],
        },
    )
    assert [o["name"] for o in r.json()["outputs"]] == ["classes"]


def _binary_request(x, outputs=None, all_binary=False):
    raw = np.ascontiguousarray(x, dtype="<f4").tobytes()
    header = {
        "inputs": [
            {
                "name": "x",
                "shape": list(x.shape),
                "datatype": "FP32",
                "parameters": {"binary_data_size": len(raw)},
            }
        ]
    }
    if outputs is not None:
        header["outputs"] = outputs
    if all_binary:
        header["parameters"] = {"binary_data_output": True}
    h = orjson.dumps(header)
    return h + raw, {
        "Inference-Header-Content-Length": str(len(h)),
        "Content-Type": "application/octet-stream",
    }


def _parse_binary_response(r):
    n = int(r.headers["inference-header-content-length"])
    header = orjson.loads(r.content[:n])
    pos, out = n, {}
    for o in header["outputs"]:
        size = o.get("parameters", {}).get("binary_data_size")
        if size is None:
            out[o["name"]] = np.asarray(o["data"]).reshape(o["shape"])
            continue
        dt = {"FP32": "<f4", "INT32": "<i4"}[o["datatype"]]
        out[o["name"]] = np.frombuffer(r.content[pos : pos + size], dt).reshape(o["shape"])
        pos += size
    assert pos == len(r.content)
    return out


def test_v2_binary_tensor_data(client, trained):
    x = trained.x_test[:20]  # 62 KB of float32: under the test app's 64 KB body limit
    want = trained.reference(x)
    body, headers = _binary_request(
        x,
        outputs=[
            {"name": "probabilities", "parameters": {"binary_data": True}},
            {"name": "classes"},
        ],
    )
    r = client.post("/v2/models/mnist/infer", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/octet-stream"
    out = _parse_binary_response(r)
    np.testing.assert_array_equal(out["probabilities"], want["probabilities"])
    np.testing.assert_array_equal(out["classes"], want["classes"])
    body, headers = _binary_request(x, all_binary=True)
    out = _parse_binary_response(
        client.post("/v2/models/mnist/infer", content=body, headers=headers)
    )
    np.testing.assert_array_equal(out["logits"], want["logits"])
    np.testing.assert_array_equal(out["classes"], want["classes"])


def test_v2_bytes_tensors(client):
    items = [b"\x00\x01", b"hello"]
    raw = b"".join(struct.pack("<I", len(b)) + b for b in items)
    header = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "s",
                    "shape": [2],
                    "datatype": "BYTES",
                    "parameters": {"binary_data_size": len(raw)},
                },
                {"name": "n", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]},
                {"name": "k", "shape": [2], "datatype": "INT32", "data": [0, 1]},
            ],
            "outputs": [
                {"name": "echo_bytes", "parameters": {"binary_data": True}},
                {"name": "text"},
                {"name": "total"},
            ],
        }
    )
    r = client.post(
        "/v2/models/strings/infer",
        content=header + raw,
        headers={"Inference-Header-Content-Length": str(len(header))},
    )
    assert r.status_code == 200, r.text
    n = int(r.headers["inference-header-content-length"])
    head = orjson.loads(r.content[:n])
    outs = {o["name"]: o for o in head["outputs"]}
    assert outs["text"]["data"] == ["\x00\x01", "hello"]
    assert outs["total"]["data"] == [3.0, 8.0]
    assert r.content[n:] == raw


@pytest.mark.parametrize(
    "doc,fragment",
    [
        (
            {"inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP64", "data": [0.0] * 784}]},
            "datatype 'FP64'",
        ),
        (
            {"inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP32", "data": [0.0] * 10}]},
            "needs 784 values; 'data' has 10",
        ),
        (
            {"inputs": [{"name": "x", "shape": [1, 10], "datatype": "FP32", "data": [0.0] * 10}]},
            "Input 'x' has shape (1, 10), but the signature expects (-1, 784)",
        ),
        (
            {"inputs": [{"name": "y", "shape": [1], "datatype": "FP32", "data": [0]}]},
            "Unknown input 'y'",
        ),
        ({"inputs": []}, "non-empty 'inputs'"),
        (
            {"inputs": [{"name": "x", "shape": [-1, 784], "datatype": "FP32", "data": []}]},
            "non-negative integers",
        ),
        ({"inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP32"}]}, "neither 'data'"),
        (
            {
                "inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP32", "data": [0] * 784}],
                "outputs": [{"name": "nope"}],
            },
            "Unknown output 'nope'",
        ),
    ],
)
def test_v2_errors(client, doc, fragment):
    _err(client.post("/v2/models/mnist/infer", json=doc), 400, fragment)


def test_v2_binary_errors(client, trained):
    body, headers = _binary_request(trained.x_test[:2])
    _err(
        client.post("/v2/models/mnist/infer", content=body[:-8], headers=headers),
        400,
        "binary_data_size",
    )
    _err(
        client.post("/v2/models/mnist/infer", content=body + b"xx", headers=headers),
        400,
        "not claimed",
    )
    _err(
        client.post(
            "/v2/models/mnist/infer",
            content=body,
            headers={"Inference-Header-Content-Length": "99999999"},
        ),
        400,
        "Inference-Header-Content-Length",
    )
    _err(client.post("/v2/models/mnist/infer", content=b"{oops"), 400, "JSON Parse error")
    _err(
        client.post("/v2/models/nope/infer", content=body, headers=headers),
        404,
        "Servable not found",
    )


# -- health, metrics, demo -------------------------------------------------------------------
def test_healthz_metrics_demo(client, trained):
    assert client.get("/healthz").json() == {"status": "ok", "models": {"mnist": 1, "strings": 3}}
    client.post("/v1/models/mnist:predict", json={"instances": trained.x_test[:4].tolist()})
    text = client.get("/metrics").text
    assert 'flowzero_serving_requests_total{api="predict",code="200",model="mnist"}' in text
    assert 'flowzero_serving_batch_size_bucket{api="predict",le="4.0",model="mnist"}' in text
    assert "flowzero_serving_request_latency_seconds_bucket" in text
    assert "flowzero_serving_inference_seconds_count" in text
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<canvas id="pad" width="280" height="280">' in page.text
    assert 'content="mnist"' in page.text


def test_app_without_lifespan_answers_503(base):
    app = create_app(ServingConfig(base, ("mnist",), poll_interval_s=0))
    c = TestClient(app, raise_server_exceptions=False)  # no `with`: no lifespan, no models
    _err(c.post("/v1/models/mnist:predict", json={"instances": [[0.0] * 784]}), 503, "starting")
    assert c.get("/healthz").status_code == 503


def test_inline_small_requests_give_the_same_answers(base, trained):
    app = create_app(ServingConfig(base, ("mnist",), poll_interval_s=0, inline_max_bytes=1 << 20))
    x = trained.x_test[:2]
    with TestClient(app) as c:
        r = c.post("/v1/models/mnist:predict", json={"inputs": x.tolist()})
        np.testing.assert_array_equal(
            np.float32(r.json()["outputs"]["probabilities"]), trained.reference(x)["probabilities"]
        )
        _err(c.post("/v1/models/mnist:predict", content=b"{"), 400, "JSON Parse error")


def test_inline_runs_only_requests_of_a_cheap_kind(base):
    import asyncio
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from flowzero.serving.app import INLINE_MAX_S, ServingApp

    def where(name, spin=0.0):
        t0 = time.thread_time()
        while time.thread_time() - t0 < spin:  # CPU time, as the cost is measured
            pass
        return threading.current_thread().name

    async def offload(app, size, spin=0.0):
        return await app._offload(where, "mnist", spin, size=size)

    app = ServingApp(ServingConfig(base, ("mnist",), poll_interval_s=0))
    app.pool = ThreadPoolExecutor(1, thread_name_prefix="pool")
    try:
        main = threading.current_thread().name
        assert asyncio.run(offload(app, 100)).startswith("pool")  # cost unknown yet
        assert asyncio.run(offload(app, 100)) == main  # cheap: inline
        assert asyncio.run(offload(app, 120)) == main  # same size class
        assert asyncio.run(offload(app, 70000)).startswith("pool")  # another class: unknown
        assert asyncio.run(offload(app, 70000)) == main
        assert asyncio.run(offload(app, (1 << 20) + 1)).startswith("pool")  # over the cap
        assert asyncio.run(offload(app, (1 << 20) + 1)).startswith("pool")
        app._in_pool = app._in_pool_costly = 1  # costly work in the pool: do not wait for it
        assert asyncio.run(offload(app, 100)).startswith("pool")
        app._in_pool = app._in_pool_costly = 0
        for _ in range(20):  # requests got slow
            asyncio.run(offload(app, 100, spin=2 * INLINE_MAX_S))
        assert asyncio.run(offload(app, 100)).startswith("pool")
        off = ServingApp(ServingConfig(base, ("mnist",), poll_interval_s=0, inline_max_bytes=0))
        off.pool, off._cost[("mnist", 4)] = app.pool, 1e-5
        assert asyncio.run(offload(off, 10)).startswith("pool")
    finally:
        app.pool.shutdown()


def test_cheap_requests_wait_for_a_pool_of_cheap_work_then_run_inline(base):
    """A worker that started under load (every first request in the pool) goes inline as soon
    as the pool drains, instead of feeding the pool forever."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from flowzero.serving.app import ServingApp

    def where(name, gate):
        if gate is not None:
            assert gate.wait(5)
        return threading.current_thread().name

    async def scenario(app):
        main = threading.current_thread().name
        gate_a, gate_b = threading.Event(), threading.Event()
        # A: cost unknown, so it counts as costly; B, known cheap by then, joins the pool
        # because costly work is there.
        a = asyncio.ensure_future(app._offload(where, "mnist", gate_a, size=100))
        await asyncio.sleep(0.05)
        app._cost[("mnist", 7)] = 1e-4
        b = asyncio.ensure_future(app._offload(where, "mnist", gate_b, size=100))
        await asyncio.sleep(0.05)
        assert (app._in_pool, app._in_pool_costly) == (2, 1)
        gate_a.set()
        assert (await a).startswith("pool")
        assert (app._in_pool, app._in_pool_costly) == (1, 0)
        # C: only cheap work (B) in the pool now, so C waits for it, then runs inline.
        c = asyncio.ensure_future(app._offload(where, "mnist", None, size=100))
        await asyncio.sleep(0.05)
        assert not c.done() and app._in_pool == 1
        gate_b.set()
        assert (await b).startswith("pool")
        assert await c == main
        assert app._in_pool == 0 and app._pool_idle.is_set()

    app = ServingApp(ServingConfig(base, ("mnist",), poll_interval_s=0))
    app.pool = ThreadPoolExecutor(1, thread_name_prefix="pool")
    try:
        asyncio.run(scenario(app))
    finally:
        app.pool.shutdown()
