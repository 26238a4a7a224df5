"""Serving under a hostile mix (not a test): peak memory and normal traffic's latency while
clients misbehave, next to the same traffic alone.

Starts `flowzero serve` (uvicorn, a unix socket, the default limits unless --serve-args says
otherwise) on an export of the book's TwoLayerNet, then runs two phases of `--duration`
seconds each:

  normal    `--connections` keep-alive clients sending {"instances": [1 x 784]} back to back
  hostile   the same, plus `--bombs` clients each sending a `--bomb-mb` MB body that parses
            (ten bytes of '{},' become ~0.2 KB of Python dicts) but fails validation, over and
            over, plus `--slow` clients that open a connection and send a request head one
            byte at a time

and reports per phase: normal requests/s, p50/p99 latency, failures; the hostile requests'
status codes; the server's peak RSS (VmHWM) and the bytes it logged.

    python -m bench.hostile                         # 10 s per phase, 32 x 16 MB bombs
    python -m bench.hostile --json bench/results/hostile.json
    python -m bench.hostile --repo /path/to/other/checkout --bombs 8   # another version
    python -m bench.hostile --serve-args "--production --workers 2"   # gunicorn's workers

Peak RSS is the largest VmHWM among the serving processes (each gunicorn worker apart).

The export is trained here (a few seconds) unless --model-base-path names one (BASE/mnist/1).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_export(base: str) -> None:
    """A briefly trained TwoLayerNet at BASE/mnist/1."""
    import flowzero as tf
    from flowzero import saved_model
    from flowzero.datasets import mnist
    from flowzero.models import TwoLayerNet

    (x, t), _ = mnist.load_mnist(normalize=True, flatten=True, source="subset")
    g = tf.Graph()
    with g.as_default():
        net = TwoLayerNet(seed=0)
        train = tf.train.GradientDescentOptimizer(0.1).minimize(net.loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        rng = np.random.default_rng(0)
        for _ in range(50):
            i = rng.integers(0, len(x), 100)
            sess.run(train, {net.x: x[i].astype(np.float32), net.t: t[i].astype(np.int32)})
        saved_model.simple_save(
            sess,
            os.path.join(base, "mnist", "1"),
            inputs={"x": net.x},
            outputs={"logits": net.logits},
        )


def request_bytes(body: bytes, path: str = "/v1/models/mnist:predict") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def read_response(s: socket.socket) -> int:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    return int(head.split()[1])


def connect(path: str, timeout: float = 30.0) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def serving_pids(pid: int) -> list[int]:
    """The processes that serve: gunicorn's workers (the children of its master), or `pid`."""
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids or [pid]


def peak_rss_mb(pid: int) -> float:
    """The largest VmHWM among the serving processes (each gunicorn worker apart), MB."""
    peaks = []
    for p in serving_pids(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                peaks += [int(x.split()[1]) / 1024 for x in f if x.startswith("VmHWM:")]
        except OSError:
            pass
    return max(peaks, default=float("nan"))


def reset_peak(pid: int) -> None:
    # Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS.
    for p in serving_pids(pid):
        try:
            with open(f"/proc/{p}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass


class Phase:
    def __init__(self) -> None:
        self.lat: list[float] = []
        self.fail = 0
        self.hostile: dict[str, int] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()


def normal_client(sock: str, ph: Phase, body: bytes) -> None:
    req = request_bytes(body)
    s = None
    while not ph.stop.is_set():
        try:
            if s is None:
                s = connect(sock)
            t0 = time.perf_counter()
            s.sendall(req)
            status = read_response(s)
            dt = time.perf_counter() - t0
            with ph.lock:
                if status == 200:
                    ph.lat.append(dt)
                else:
                    ph.fail += 1
        except OSError:
            with ph.lock:
                ph.fail += 1
            if s is not None:
                s.close()
            s = None
    if s is not None:
        s.close()


def bomb_client(sock: str, ph: Phase, body: bytes) -> None:
    req = request_bytes(body)
    while not ph.stop.is_set():
        try:
            s = connect(sock, 60)
            s.sendall(req)
            key = str(read_response(s))
            s.close()
        except OSError as e:
            key = type(e).__name__
            time.sleep(0.05)
        with ph.lock:
            ph.hostile[key] = ph.hostile.get(key, 0) + 1


def slow_client(sock: str, ph: Phase) -> None:
    head = request_bytes(b"{}")
    while not ph.stop.is_set():
        try:
            s = connect(sock)
            for b in head:
                if ph.stop.wait(0.5):
                    break
                s.sendall(bytes([b]))
            s.close()
            key = "slow:finished"
        except OSError:
            key = "slow:closed by server"
        with ph.lock:
            ph.hostile[key] = ph.hostile.get(key, 0) + 1


def run_phase(sock: str, pid: int, args: argparse.Namespace, hostile: bool) -> dict[str, Any]:
    ph = Phase()
    row = json.dumps({"instances": [[0.5] * 784]}).encode()
    bomb = b'{"instances": [' + b"{}," * (args.bomb_mb * 1024 * 1024 // 3 - 10) + b"{}]}"
    threads = [
        threading.Thread(target=normal_client, args=(sock, ph, row))
        for _ in range(args.connections)
    ]
    if hostile:
        threads += [
            threading.Thread(target=bomb_client, args=(sock, ph, bomb)) for _ in range(args.bombs)
        ]
        threads += [threading.Thread(target=slow_client, args=(sock, ph)) for _ in range(args.slow)]
    reset_peak(pid)
    for t in threads:
        t.daemon = True
        t.start()
    time.sleep(args.duration)
    ph.stop.set()
    for t in threads:
        t.join(90)
    lat = np.array(ph.lat) * 1000
    return {
        "normal_requests_per_s": round(len(lat) / args.duration, 1),
        "normal_p50_ms": round(float(np.percentile(lat, 50)), 2) if lat.size else None,
        "normal_p99_ms": round(float(np.percentile(lat, 99)), 2) if lat.size else None,
        "normal_failed": ph.fail,
        "hostile": ph.hostile,
        "peak_rss_mb": round(peak_rss_mb(pid), 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.hostile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--bombs", type=int, default=32)
    p.add_argument("--bomb-mb", type=int, default=16)
    p.add_argument("--slow", type=int, default=200)
    p.add_argument("--repo", default=REPO, help="the checkout whose flowzero serves")
    p.add_argument("--serve-args", default="", help="extra `flowzero serve` flags")
    p.add_argument("--model-base-path", default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="flowzero-hostile-")
    base = args.model_base_path or os.path.join(tmp, "models")
    if args.model_base_path is None:
        make_export(base)
    sock = os.path.join(tmp, "s.sock")
    log_path = os.path.join(tmp, "server.log")
    env = dict(os.environ, PYTHONPATH=args.repo, OPENBLAS_NUM_THREADS="1")
    extra = args.serve_args.split()
    if "--production" in extra:
        extra += ["--run-dir", os.path.join(tmp, "run"), "--log-dir", "-"]
    argv_serve = [
        sys.executable,
        "-m",
        "flowzero.serving",
        "--model-base-path",
        base,
        "--model-name",
        "mnist",
        "--uds",
        sock,
        "--poll-interval",
        "0",
        "--log-level",
        "warning",
        "--no-demo",
        *extra,
    ]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            argv_serve,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                s = connect(sock, 5)
                s.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
                if read_response(s) == 200:
                    s.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"the server did not start; see {log_path}")
            time.sleep(0.3)
        result: dict[str, Any] = {
            "repo": args.repo,
            "serve_args": args.serve_args,
            "duration_s": args.duration,
            "connections": args.connections,
            "bombs": args.bombs,
            "bomb_mb": args.bomb_mb,
            "slow": args.slow,
            "load_average_before": os.getloadavg(),
        }
        for name, hostile in (("normal", False), ("hostile", True)):
            size = os.path.getsize(log_path)
            result[name] = run_phase(sock, server.pid, args, hostile)
            result[name]["log_bytes"] = os.path.getsize(log_path) - size
            print(name, json.dumps(result[name]), flush=True)
        result["server_alive"] = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
