"""Serving benchmark (not a test): requests/s and p50/p99 latency through nginx.

Starts the production setup on loopback (gunicorn with deploy/gunicorn.conf.py, ASGI workers on
a unix socket, behind nginx with deploy/nginx/flowzero.conf: bench/deployment.py) serving
the book's TwoLayerNet, then loads it with `wrk` (apt-get install wrk) or, without wrk, a
Python load generator, each case bounded in time:

  predict-1     POST /v1/models/mnist:predict, {"instances": [1 x 784]}     (JSON)
  predict-100   POST /v1/models/mnist:predict, {"instances": [100 x 784]}   (JSON)
  infer-100-bin POST /v2/models/mnist/infer, 100 x 784 float32 as binary tensor data

    python bench/serve.py                    # 10 s per case, 16 connections
    python bench/serve.py --duration 5 --connections 8 --json results.json
    python bench/serve.py --rounds 3 --cases predict-100     # medians over 3 rounds

Besides requests/s and latency, each case reports the CPU time the gunicorn workers and nginx
spent per request (from /proc): on a saturated machine that, not the wall clock, shows whether
a change made the server cheaper. This machine's speed changes over minutes, so compare
changes in rounds that alternate them, and quote medians.

Results go to docs/deploy.md by hand; say what else ran on the machine (load average).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import orjson

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench.deployment import (  # noqa: E402
    Deployment,
    children,
    cpu_seconds,
    find_nginx,
)


def export_two_layer_net(base: str) -> None:
    import flowzero as tf
    from flowzero import saved_model
    from flowzero.models import TwoLayerNet

    g = tf.Graph()
    with g.as_default():
        net = TwoLayerNet(seed=0)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
        saved_model.simple_save(
            sess,
            os.path.join(base, "mnist", "1"),
            inputs={"x": net.x},
            outputs={
                "probabilities": tf.nn.softmax(net.logits),
                "classes": tf.argmax(net.logits, 1, output_type=tf.int32),
            },
        )


def cases() -> dict[str, tuple[str, bytes, dict[str, str]]]:
    rng = np.random.default_rng(0)
    x1 = rng.random((1, 784), dtype=np.float32)
    x100 = rng.random((100, 784), dtype=np.float32)

    def dumps(o: object) -> bytes:
        return orjson.dumps(o, option=orjson.OPT_SERIALIZE_NUMPY)

    raw = x100.astype("<f4").tobytes()
    head = dumps(
        {
            "inputs": [
                {
                    "name": "x",
                    "shape": [100, 784],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": len(raw)},
                }
            ],
            "parameters": {"binary_data_output": True},
        }
    )
    js = {"Content-Type": "application/json"}
    return {
        "predict-1": ("/v1/models/mnist:predict", dumps({"instances": x1}), js),
        "predict-100": ("/v1/models/mnist:predict", dumps({"instances": x100}), js),
        "infer-100-bin": (
            "/v2/models/mnist/infer",
            head + raw,
            {
                "Inference-Header-Content-Length": str(len(head)),
                "Content-Type": "application/octet-stream",
            },
        ),
    }


# -- wrk ------------------------------------------------------------------------------------------
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(
    url: str, body: bytes, headers: dict[str, str], duration: float, connections: int, threads: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        body_file = os.path.join(tmp, "body.bin")
        with open(body_file, "wb") as f:
            f.write(body)
        lua = os.path.join(tmp, "post.lua")
        hdrs = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
        with open(lua, "w") as f:
            f.write(
                f'wrk.method = "POST"\n{hdrs}\nlocal fh = io.open("{body_file}", "rb")\n'
                'wrk.body = fh:read("*all")\nfh:close()\n'
            )
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration:g}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                lua,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
        ).stdout
    res: dict[str, float] = {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    }
    for pct in ("50", "99"):
        res[f"p{pct}_ms"] = _ms(re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M).group(1))
    total = re.search(r"(\d+) requests in", out)
    res["requests"] = float(total.group(1)) if total else 0.0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["failed"] = float(bad.group(1) if bad else 0) + (
        sum(map(float, err.groups())) if err else 0.0
    )
    return res


# -- Python load generator (when wrk is missing) -------------------------------------------------
def run_python(
    port: int, path: str, body: bytes, headers: dict[str, str], duration: float, connections: int
) -> dict[str, float]:
    lat: list[float] = []
    failed = [0]
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def worker() -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                c.request("POST", path, body=body, headers=headers)
                r = c.getresponse()
                r.read()
                ok = r.status == 200
            except OSError:
                ok = False
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            mine.append(time.perf_counter() - t0)
            if not ok:
                with lock:
                    failed[0] += 1
        c.close()
        with lock:
            lat.extend(mine)

    ts = [threading.Thread(target=worker) for _ in range(connections)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=duration + 30)
    wall = time.monotonic() - t0
    a = np.array(lat) * 1e3
    return {
        "requests_per_s": len(a) / wall,
        "p50_ms": float(np.percentile(a, 50)),
        "p99_ms": float(np.percentile(a, 99)),
        "requests": float(len(a)),
        "failed": float(failed[0]),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per case")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    p.add_argument("--cases", nargs="+", choices=list(cases()), default=list(cases()))
    p.add_argument("--rounds", type=int, default=1, help="run the cases this many times")
    p.add_argument("--json", metavar="FILE", help="also write the results here")
    args = p.parse_args()
    if find_nginx() is None:
        print("nginx is not installed (apt-get install nginx)", file=sys.stderr)
        return 1
    gen = args.generator
    if gen == "auto":
        gen = "wrk" if shutil.which("wrk") else "python"
    base = tempfile.mkdtemp(prefix="flowzero-bench-")
    export_two_layer_net(base)
    dep = Deployment(base, "mnist", workers=args.workers).start()
    results = {
        "generator": gen,
        "worker_class": os.environ.get("FLOWZERO_WORKER_CLASS", "asgi"),
        "connections": args.connections,
        "duration_s": args.duration,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "load_average_before": os.getloadavg(),
        "cases": {},
    }
    try:
        for rnd in range(args.rounds):
            for name, (path, body, headers) in cases().items():
                if name not in args.cases:
                    continue
                status, _, _ = dep.request("POST", path, body, headers)  # warm-up + check
                assert status == 200, (name, status)
                workers = children(dep.master_pid)
                nginx = children(dep.nginx.pid)
                before = cpu_seconds(workers + nginx)
                if gen == "wrk":
                    r = run_wrk(
                        f"http://127.0.0.1:{dep.port}{path}",
                        body,
                        headers,
                        args.duration,
                        args.connections,
                        2,
                    )
                else:
                    r = run_python(dep.port, path, body, headers, args.duration, args.connections)
                after = cpu_seconds(workers + nginx)
                n = max(r["requests"], 1.0)
                spent = {p: after[p] - before[p] for p in after if p in before}
                r["worker_cpu_ms_per_request"] = 1e3 * sum(spent.get(p, 0.0) for p in workers) / n
                r["nginx_cpu_ms_per_request"] = 1e3 * sum(spent.get(p, 0.0) for p in nginx) / n
                r["body_bytes"] = len(body)
                results["cases"].setdefault(name, []).append(r)
                print(
                    f"{name:14s} {r['requests_per_s']:9.1f} req/s  p50 {r['p50_ms']:7.2f} ms  "
                    f"p99 {r['p99_ms']:7.2f} ms  failed {int(r['failed'])}  CPU/request: "
                    f"workers {r['worker_cpu_ms_per_request']:.2f} ms, nginx "
                    f"{r['nginx_cpu_ms_per_request']:.2f} ms  ({len(body)} B bodies"
                    f"{f', round {rnd + 1}' if args.rounds > 1 else ''})",
                    flush=True,
                )
    finally:
        dep.stop()
        shutil.rmtree(base, ignore_errors=True)
    if args.rounds > 1:
        for name, runs in results["cases"].items():
            med = {
                k: float(np.median([r[k] for r in runs]))
                for k in ("requests_per_s", "p50_ms", "p99_ms", "worker_cpu_ms_per_request")
            }
            print(
                f"{name:14s} median of {len(runs)}: {med['requests_per_s']:.1f} req/s, p50 "
                f"{med['p50_ms']:.2f} ms, p99 {med['p99_ms']:.2f} ms, workers "
                f"{med['worker_cpu_ms_per_request']:.2f} ms CPU/request"
            )
    results["load_average_after"] = os.getloadavg()
    print(
        f"load average before {results['load_average_before']}, after "
        f"{results['load_average_after']}; generator {gen}, {args.connections} connections, "
        f"{args.workers} gunicorn workers, {os.cpu_count()} CPUs"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
