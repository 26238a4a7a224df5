"""The orchestrator: `python -m bench run ...` and `python -m bench table results.json`.

Every workload x peer runs in a fresh subprocess (bench.worker; W5 is a bare
`python -c "import X"`), peers interleaved within a round (A B C, then B C A, ...), rounds
repeated; samples of all rounds are pooled into median and min-max. A peer that is missing or
fails is reported, never a crash. Results are written atomically after every round.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from bench import machine, report
from bench.common import (
    IMPORT_MODULE,
    OWN_INTERPRETER,
    PEERS,
    THREADS,
    USER_ENV_WORKLOADS,
    WORKLOADS,
    Settings,
    median,
    thread_env,
    user_env,
    write_json_atomic,
)
from bench.procs import run_child

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PEER_PYTHON = "/opt/bench-peers/bin/python"
# Outside bench/results/ (git-ignored /runs/): that folder holds only the runs the docs cite.
DEFAULT_OUT = os.path.join(REPO, "runs", "bench", "latest.json")
_PRINT_HWM = (
    "import sys\nfor _l in open('/proc/self/status'):\n"
    "    _l.startswith('VmHWM:') and sys.stdout.write(_l)\n"
)


def _csv(choices: tuple[str, ...]) -> Any:
    def parse(s: str) -> list[str]:
        items = [x.strip() for x in s.split(",") if x.strip()]
        bad = [x for x in items if x not in choices]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(choices)}")
        return items

    return parse


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run workloads x peers and print the table")
    r.add_argument("--workloads", type=_csv(WORKLOADS), default=list(WORKLOADS))
    r.add_argument("--peers", type=_csv(PEERS), default=list(PEERS))
    r.add_argument(
        "--python-peers",
        default=None,
        help="interpreter for tf1/torch/jax (default: "
        f"{DEFAULT_PEER_PYTHON} if it exists, else this one)",
    )
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--out", default=DEFAULT_OUT, help="JSON results (written atomically)")
    r.add_argument("--warmup", type=float, default=None, help="warm-up seconds per case")
    r.add_argument("--window", type=float, default=None, help="seconds per timed window")
    r.add_argument("--windows", type=int, default=None, help="timed windows per case")
    r.add_argument("--import-reps", type=int, default=None, help="W5 imports per round")
    r.add_argument("--timeout", type=float, default=900.0, help="seconds per child")
    r.add_argument(
        "--smoke",
        action="store_true",
        help="a few steps of everything, to check the harness (numbers mean nothing)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    t = sub.add_parser("table", help="print the table of a results JSON")
    t.add_argument("path")
    t.add_argument("--markdown", action="store_true", help="as a Markdown table")
    return ap


def _git_state() -> dict[str, Any]:
    """Which flowzero was measured: HEAD, and the files under flowzero/ that differ from it."""

    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=REPO, capture_output=True, text=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [ln[3:] for ln in git("status", "--porcelain", "--", "flowzero").splitlines()]
    return {"commit": git("rev-parse", "HEAD").strip(), "uncommitted_flowzero_files": dirty}


def _log(quiet: bool, msg: str) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


class Runner:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        st = Settings.for_smoke() if args.smoke else Settings()
        for name, val in (
            ("warmup_s", args.warmup),
            ("window_s", args.window),
            ("windows", args.windows),
            ("import_reps", args.import_reps),
        ):
            if val is not None:
                setattr(st, name, val)
        self.settings = st
        self._compiled: set[tuple[str, str]] = set()  # W5 peers whose bytecode is cached
        self.env = thread_env()
        self.env["PYTHONPATH"] = REPO + (
            os.pathsep + self.env["PYTHONPATH"] if self.env.get("PYTHONPATH") else ""
        )
        self.user_env = user_env(self.env)
        peer_py = args.python_peers or (
            DEFAULT_PEER_PYTHON if os.path.exists(DEFAULT_PEER_PYTHON) else sys.executable
        )
        self.python = {p: sys.executable if p in OWN_INTERPRETER else peer_py for p in PEERS}
        self.tmp = tempfile.mkdtemp(prefix="flowzero-bench-")
        self.loads: list[float] = []
        self.runs: list[dict[str, Any]] = []
        self.doc: dict[str, Any] = {
            "schema": 1,
            "command": "python -m bench " + " ".join(sys.argv[1:]),
            "started": _dt.datetime.now().isoformat(timespec="seconds"),
            "machine": machine.describe(self.env),
            "settings": {
                "rounds": args.rounds,
                "threads": THREADS,
                "warmup_s": st.warmup_s,
                "window_s": st.window_s,
                "windows": st.windows,
                "import_reps": st.import_reps,
                "smoke": st.smoke,
                "workloads": args.workloads,
            },
            "flowzero_source": _git_state(),
            "interpreters": {p: self.python[p] for p in args.peers},
            "peers": {},
        }

    # -- children ------------------------------------------------------------------------------
    def _spec_child(self, peer: str, spec: dict[str, Any]) -> dict[str, Any]:
        name = f"{spec.get('workload', 'info')}-{peer}-{len(self.runs)}"
        spec["out"] = os.path.join(self.tmp, name + ".out.json")
        spec_path = os.path.join(self.tmp, name + ".spec.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        la = machine.loadavg()
        if la:
            self.loads.append(la[0])
        env = self.user_env if spec.get("workload") in USER_ENV_WORKLOADS else self.env
        ch = run_child(
            [self.python[peer], "-m", "bench.worker", spec_path], env, REPO, self.args.timeout
        )
        rec: dict[str, Any] = {
            "peer": peer,
            "workload": spec.get("workload"),
            "rc": ch.rc,
            "child_wall_s": ch.wall_s,
            "loadavg": la,
        }
        if ch.missing:
            rec.update(status="not installed", error=f"no interpreter: {ch.missing}")
            return rec
        try:
            with open(spec["out"]) as f:
                rec.update(json.load(f))
        except (OSError, ValueError):
            why = "timed out" if ch.timed_out else f"exit status {ch.rc}"
            rec.update(status="error", error=f"worker {why}: {ch.stderr_tail[-600:]}")
        return rec

    def check_peers(self) -> list[str]:
        ok = []
        for p in self.args.peers:
            rec = self._spec_child(p, {"peer": p, "info": True})
            keep = {
                k: rec.get(k)
                for k in (
                    "status",
                    "error",
                    "versions",
                    "blas",
                    "python",
                    "python_version",
                    "import_s",
                    "vm_hwm_mb",
                )
            }
            keep["interpreter"] = self.python[p]
            self.doc["peers"][p] = {k: v for k, v in keep.items() if v is not None}
            _log(
                self.args.quiet,
                f"peer {p:9s} {rec.get('status')} {rec.get('versions') or rec.get('error', '')}",
            )
            if rec.get("status") == "ok":
                ok.append(p)
        return ok

    def run_import(self, peer: str, rnd: int) -> dict[str, Any]:
        la = machine.loadavg()
        if la:
            self.loads.append(la[0])
        # NOTE: the peak RSS comes from the child's own VmHWM, printed after the import: a
        # forked child's ru_maxrss (wait4/RUSAGE_CHILDREN) also counts this launcher's pages.
        code = f"import {IMPORT_MODULE[peer]}\n" + _PRINT_HWM
        # As an installed package imports: from cached bytecode (pip compiles it at install).
        # PYTHONDONTWRITEBYTECODE in the caller's environment would make every import compile
        # every source file again (flowzero: 0.65 s instead of 0.29 s, measured here).
        env = {k: v for k, v in self.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if (peer, "compiled") not in self._compiled:
            run_child([self.python[peer], "-c", code], env, REPO, self.args.timeout)
            self._compiled.add((peer, "compiled"))
        ch = run_child([self.python[peer], "-c", code], env, REPO, self.args.timeout)
        rec: dict[str, Any] = {
            "peer": peer,
            "workload": "W5",
            "round": rnd,
            "rc": ch.rc,
            "loadavg": la,
        }
        hwm = [ln for ln in ch.stdout_tail.splitlines() if ln.startswith("VmHWM:")]
        if ch.missing or ch.rc != 0 or not hwm:
            rec.update(status="error", error=ch.missing or ch.stderr_tail[-600:])
        else:
            rss = int(hwm[-1].split()[1]) * 1024 / 1e6
            rec.update(
                status="ok",
                cases={
                    "import": {"metrics": {"wall": [ch.wall_s], "peak_rss": [rss]}, "extra": {}}
                },
            )
        return rec

    # -- the run -------------------------------------------------------------------------------
    def run(self) -> int:
        a = self.args
        peers = self.check_peers()
        if any(w != "W5" for w in a.workloads):
            from bench.data import prepare  # reads the MNIST subset through flowzero

            self.doc["data"] = prepare(os.path.join(self.tmp, "data.npz"))
        for rnd in range(a.rounds):
            order = peers[rnd % len(peers) :] + peers[: rnd % len(peers)] if peers else []
            for w in a.workloads:
                reps = self.settings.import_reps if w == "W5" else 1
                for _ in range(reps):
                    for p in order:
                        if w == "W5":
                            rec = self.run_import(p, rnd)
                        else:
                            rec = self._spec_child(
                                p,
                                {
                                    "peer": p,
                                    "workload": w,
                                    "data": self.doc["data"]["path"],
                                    "settings": vars(self.settings),
                                },
                            )
                            rec["round"] = rnd
                        if rec.get("status") == "ok":
                            rec.pop("traceback", None)
                        self.runs.append(rec)
                        _log(
                            a.quiet,
                            f"round {rnd + 1}/{a.rounds} {w} {p:9s} "
                            f"{rec.get('status')}"
                            + (
                                f" ({rec.get('error', '')[:200]})"
                                if rec.get("status") != "ok"
                                else ""
                            ),
                        )
            self._write(final=False)
        self._write(final=True)
        print(report.table(self.doc))
        print(f"\nresults: {a.out}")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return 0

    def _write(self, final: bool) -> None:
        self.doc["loadavg"] = {
            "start": self.doc["machine"].get("loadavg_start"),
            "during": (
                [min(self.loads), median(self.loads), max(self.loads)] if self.loads else None
            ),
            "end": machine.loadavg(),
            "samples": self.loads,
        }
        self.doc["finished" if final else "updated"] = _dt.datetime.now().isoformat(
            timespec="seconds"
        )
        self.doc["results"] = report.aggregate(self.runs, list(self.doc["peers"]))
        self.doc["runs"] = self.runs
        write_json_atomic(self.args.out, self.doc)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "table":
        with open(args.path) as f:
            doc = json.load(f)
        print(report.markdown(doc) if args.markdown else report.table(doc))
        return 0
    if args.rounds < 1:
        print("--rounds must be >= 1", file=sys.stderr)
        return 2
    return Runner(args).run()
