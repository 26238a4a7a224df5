"""The real deployment: gunicorn (deploy/gunicorn.conf.py: 2 ASGI workers on a unix socket)
behind nginx (deploy/nginx/flowzero.conf) on a loopback port.

Skipped, with the reason, where nginx or gunicorn is not installed (.ci/run installs both).
All traffic goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import orjson
import pytest

from bench.deployment import (
    REPO,
    Deployment,
    children,
    find_nginx,
    have_gunicorn,
)

pytestmark = [
    pytest.mark.slow,  # nginx + gunicorn deployments
    pytest.mark.skipif(
        find_nginx() is None, reason="nginx is not installed (apt-get install nginx)"
    ),
    pytest.mark.skipif(
        not have_gunicorn(), reason="gunicorn is not installed (pip install 'flowzero[serving]')"
    ),
]

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def dep(trained, tmp_path_factory):
    pytest.importorskip("starlette", reason="the serving extra is not installed")
    base = tmp_path_factory.mktemp("deploy") / "models"
    shutil.copytree(os.path.join(trained.base, "mnist", "1"), base / "mnist" / "1")
    d = Deployment(str(base), "mnist", workers=2)
    try:
        d.start()
    except RuntimeError as e:
        d.stop()
        pytest.fail(str(e))
    yield d
    d.stop()


def _predict(dep, x, timeout=10.0):
    status, body, _ = dep.request(
        "POST",
        "/v1/models/mnist:predict",
        orjson.dumps({"instances": x}, option=orjson.OPT_SERIALIZE_NUMPY),
        JSON,
        timeout=timeout,
    )
    return status, body


def test_predict_through_nginx_equals_session_run(dep, trained):
    x = trained.x_test[:10]
    status, body = _predict(dep, x)
    assert status == 200, body
    preds = orjson.loads(body)["predictions"]
    want = trained.reference(x)
    np.testing.assert_array_equal(
        np.float32([p["probabilities"] for p in preds]), want["probabilities"]
    )
    assert [p["classes"] for p in preds] == want["classes"].tolist()
    # binary KServe v2 through nginx too
    raw = x.astype("<f4").tobytes()
    head = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "x",
                    "shape": [10, 784],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": len(raw)},
                }
            ],
            "parameters": {"binary_data_output": True},
        }
    )
    status, body, headers = dep.request(
        "POST",
        "/v2/models/mnist/infer",
        head + raw,
        {"Inference-Header-Content-Length": str(len(head))},
    )
    assert status == 200, body
    n = int(headers["inference-header-content-length"])
    outs = orjson.loads(body[:n])["outputs"]
    # The outputs' binary parts follow the header in the order of "outputs" (a SavedModel's
    # signature has no order of its own).
    start = n
    for out in outs:
        size = out["parameters"]["binary_data_size"]
        if out["name"] == "logits":
            np.testing.assert_array_equal(
                np.frombuffer(body[start : start + size], "<f4").reshape(10, 10), want["logits"]
            )
        start += size
    assert "logits" in [out["name"] for out in outs]


def test_socket_is_group_only_not_0777(dep):
    st = os.stat(dep.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o770, oct(st.st_mode)
    if dep.group:  # we are root: nginx's worker runs as nobody and gets in through the group
        import grp

        assert st.st_gid == grp.getgrnam(dep.group).gr_gid


def _listener_pid(path):
    """The pid of the process listening on the unix socket `path` (SO_PEERCRED)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        pid, _, _ = struct.unpack(
            "3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        )
        return pid


def _healthz_over(path):
    class Conn(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(self.timeout)
            self.sock.connect(path)

    c = Conn("localhost", timeout=10)
    try:
        c.request("GET", "/healthz")
        return c.getresponse().status
    finally:
        c.close()


def _wait_for_worker_sockets(dep, old_pids=(), timeout=20.0):
    """{slot: pid} once each slot's socket is held by a live worker not in old_pids."""
    deadline = time.monotonic() + timeout
    while True:
        live = set(children(dep.master_pid)) - set(old_pids)
        try:
            held = {slot: _listener_pid(dep.worker_socket(slot)) for slot in range(dep.workers)}
        except OSError:
            held = {}
        if len(live) == dep.workers and set(held.values()) == live:
            return held
        if time.monotonic() > deadline:
            raise AssertionError(f"worker sockets {held}, workers {sorted(live)}\n{dep.logs()}")
        time.sleep(0.1)


def test_each_worker_listens_on_a_socket_of_its_own(dep):
    held = _wait_for_worker_sockets(dep)
    assert sorted(held.values()) == children(dep.master_pid)  # one slot each
    shared = os.stat(dep.sock)
    for slot in held:
        st = os.stat(dep.worker_socket(slot))
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o770, oct(st.st_mode)
        assert (st.st_uid, st.st_gid) == (shared.st_uid, shared.st_gid)
        assert _healthz_over(dep.worker_socket(slot)) == 200
    assert _healthz_over(dep.sock) == 200  # the shared socket: nginx's backup
    assert sorted(f for f in os.listdir(dep.run_dir) if f.startswith("worker-")) == [
        "worker-0.sock",
        "worker-1.sock",
    ]


def test_nginx_limits_and_errors(dep):
    status, body, _ = dep.request("POST", "/v1/models/mnist:predict", b"{nope", JSON)
    assert status == 400 and b"JSON Parse error" in body
    status, body, _ = dep.request("GET", "/v1/models/nope")
    assert status == 404 and orjson.loads(body)["error"]
    big = b" " * (17 * 1024 * 1024)  # over nginx's client_max_body_size 16m
    status, body, headers = dep.request("POST", "/v1/models/mnist:predict", big, JSON, timeout=30)
    assert status == 413
    # nginx's own answer, in TF Serving's JSON shape (not its HTML page)
    assert "client_max_body_size" in orjson.loads(body)["error"], body


def test_metrics_add_up_all_workers(dep, trained):
    x = trained.x_test[:3]
    for _ in range(6):
        assert _predict(dep, x)[0] == 200
    status, body, _ = dep.request("GET", "/metrics")
    assert status == 200
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.decode().splitlines()
        if line.startswith("flowzero_serving_requests_total{")
        and 'api="predict"' in line
        and 'code="200"' in line
    )
    assert total >= 6


def _load(dep, x, n_requests, seconds, threads=8):
    """n_requests predicts spread over about `seconds`; returns their statuses."""
    statuses: list[int] = []
    lock = threading.Lock()
    gap = seconds * threads / n_requests
    deadline = time.monotonic() + seconds + 30

    def worker(k):
        for _ in range(n_requests // threads):
            if time.monotonic() > deadline:
                break
            try:
                status, _ = _predict(dep, x, timeout=30)
            except OSError as e:
                status = -1
                print("request failed:", e)
            with lock:
                statuses.append(status)
            time.sleep(gap)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return statuses


def test_hup_reload_under_load_loses_no_request(dep, trained):
    x = trained.x_test[:2]
    old = children(dep.master_pid)
    assert len(old) == 2
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("s", _load(dep, x, 200, 2.0)))
    t.start()
    time.sleep(0.5)
    os.kill(dep.master_pid, signal.SIGHUP)
    t.join(timeout=60)
    statuses = result["s"]
    assert len(statuses) == 200
    failed = [s for s in statuses if s != 200]
    assert failed == [], f"{len(failed)} of 200 failed: {sorted(set(failed))}\n{dep.logs()}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        set(children(dep.master_pid)) & set(old) or len(children(dep.master_pid)) != 2
    ):
        time.sleep(0.1)
    new = children(dep.master_pid)
    assert len(new) == 2 and not set(new) & set(old), (old, new)  # workers were replaced
    # The new workers took the slots over; the old ones left no socket file behind.
    assert sorted(_wait_for_worker_sockets(dep, old).values()) == new
    assert sorted(f for f in os.listdir(dep.run_dir) if f.startswith("worker-")) == [
        "worker-0.sock",
        "worker-1.sock",
    ]


def test_kill_9_a_worker_keeps_answering(dep, trained):
    x = trained.x_test[:2]
    held = _wait_for_worker_sockets(dep)
    workers = children(dep.master_pid)
    assert len(workers) == 2
    victim = workers[0]
    slot = next(s for s, pid in held.items() if pid == victim)
    os.kill(victim, signal.SIGKILL)
    # Its socket file stays, refusing connections: nginx sends those requests to the other.
    statuses = _load(dep, x, 40, 1.0, threads=4)
    assert statuses.count(200) == len(statuses) == 40, (statuses, dep.logs())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        len(children(dep.master_pid)) != 2 or victim in children(dep.master_pid)
    ):
        time.sleep(0.1)
    assert len(children(dep.master_pid)) == 2  # gunicorn replaced it
    now = _wait_for_worker_sockets(dep)
    assert now[slot] not in workers  # the replacement took the dead worker's slot
    assert _predict(dep, x)[0] == 200


def test_ttin_ttou_then_hup_leaves_every_slot_held(dep, trained):
    """One worker more (TTIN), one fewer (TTOU: gunicorn stops the oldest, whose slot empties),
    then a HUP reload: requests succeed throughout, and the new workers hold slots 0 and 1."""
    x = trained.x_test[:2]
    _wait_for_worker_sockets(dep)
    os.kill(dep.master_pid, signal.SIGTTIN)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not os.path.exists(dep.worker_socket(2)):
        time.sleep(0.1)
    assert os.path.exists(dep.worker_socket(2)), dep.logs()
    os.kill(dep.master_pid, signal.SIGTTOU)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(children(dep.master_pid)) != 2:
        time.sleep(0.1)
    assert len(children(dep.master_pid)) == 2
    assert _load(dep, x, 24, 0.5, threads=4) == [200] * 24  # an empty slot is only rested
    old = children(dep.master_pid)
    os.kill(dep.master_pid, signal.SIGHUP)
    held = _wait_for_worker_sockets(dep, old)  # the old ones may still be draining
    assert sorted(held) == [0, 1] and not set(held.values()) & set(old)
    assert _load(dep, x, 24, 0.5, threads=4) == [200] * 24


def test_new_version_through_nginx_without_restart(dep, trained):
    from flowzero import saved_model

    src = os.path.join(dep.base, "mnist", "1")
    # A new version: the same model (a copy), as version 2, written atomically by the builder.
    import flowzero as tf

    g = tf.Graph()
    with g.as_default():
        sess = tf.Session(graph=g)
        meta = saved_model.loader.load(sess, ["serve"], src)
        sig = meta.signature_def["serving_default"]
        saved_model.simple_save(
            sess,
            os.path.join(dep.base, "mnist", "2"),
            inputs={"x": g.get_tensor_by_name(sig.inputs["x"].name)},
            outputs={"probabilities": g.get_tensor_by_name(sig.outputs["probabilities"].name)},
        )
    try:
        deadline = time.monotonic() + 20
        versions = set()
        while time.monotonic() < deadline:
            # both workers must switch: ask several times (requests spread over the workers)
            seen = {
                orjson.loads(dep.request("GET", "/v1/models/mnist")[1])["model_version_status"][0][
                    "version"
                ]
                for _ in range(6)
            }
            if seen == {"2"}:
                versions = seen
                break
            time.sleep(0.2)
        assert versions == {"2"}
        status, body = _predict(dep, trained.x_test[:2])
        assert status == 200, body
        # one output now: each prediction is the bare list of 10 probabilities
        np.testing.assert_array_equal(
            np.float32(orjson.loads(body)["predictions"]),
            trained.reference(trained.x_test[:2])["probabilities"],
        )
    finally:
        shutil.rmtree(os.path.join(dep.base, "mnist", "2"))


def test_without_worker_sockets_nginx_falls_back_to_the_shared_one(trained, tmp_path):
    """FLOWZERO_WORKER_SOCKETS=0 (or a site listing sockets no worker holds): the requests go
    to the shared socket, nginx's backup server, and all succeed."""
    pytest.importorskip("starlette", reason="the serving extra is not installed")
    base = tmp_path / "models"
    shutil.copytree(os.path.join(trained.base, "mnist", "1"), base / "mnist" / "1")
    d = Deployment(str(base), "mnist", workers=2, extra_env={"FLOWZERO_WORKER_SOCKETS": "0"})
    try:
        d.start()
        assert not [f for f in os.listdir(d.run_dir) if f.startswith("worker-")]
        x = trained.x_test[:2]
        statuses = _load(d, x, 24, 0.5, threads=4)
        assert statuses == [200] * 24, statuses
        status, body = _predict(d, x)
        np.testing.assert_array_equal(
            np.float32(orjson.loads(body)["predictions"][0]["probabilities"]),
            trained.reference(x)["probabilities"][0],
        )
    finally:
        d.stop()


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_units_verify():
    for unit in ("flowzero.service", "flowzero.socket"):
        r = subprocess.run(
            ["systemd-analyze", "verify", os.path.join(REPO, "deploy", "systemd", unit)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # The unit names /srv/flowzero/venv/bin/gunicorn, which this machine does not have.
        problems = [
            line
            for line in (r.stdout + r.stderr).splitlines()
            if line.strip()
            and "is not executable" not in line
            and "No such file or directory" not in line
        ]
        assert problems == [], problems
