"""Aggregation of the workers' samples and the plain-text table."""

from __future__ import annotations

import math
from typing import Any

from bench.common import PEERS, WORKLOAD_DEFS, case_metrics, median


def aggregate(runs: list[dict[str, Any]], peers: list[str]) -> list[dict[str, Any]]:
    """One row per (workload, case, metric, peer): samples of all rounds, median, min-max, ratio.

    The ratio is peer / flowzero on the metric as reported (time or memory: > 1 means flowzero
    is faster or smaller); for accuracy it is the difference peer - flowzero instead.
    """
    rows: list[dict[str, Any]] = []
    for w, wd in WORKLOAD_DEFS.items():
        for case in wd["cases"]:
            for m in case_metrics(wd, case):
                by_peer: dict[str, dict[str, Any]] = {}
                for p in peers:
                    rounds: list[list[float]] = []
                    extras: list[dict[str, Any]] = []
                    status, error = None, None
                    for r in runs:
                        if r["workload"] != w or r["peer"] != p:
                            continue
                        status, error = r["status"], r.get("error")
                        c = (r.get("cases") or {}).get(case)
                        if r["status"] == "ok" and c and c["metrics"].get(m.name):
                            vals = [v for v in c["metrics"][m.name] if v is not None]
                            rounds.append(vals)
                            extras.append(c.get("extra", {}))
                    if status is None:
                        continue
                    samples = [v for rr in rounds for v in rr]
                    row = {
                        "workload": w,
                        "case": case,
                        "metric": m.name,
                        "unit": m.unit,
                        "lower_is_better": m.lower_is_better,
                        "peer": p,
                        "status": "ok" if samples else status,
                        "error": error,
                        "samples": samples,
                        "rounds": rounds,
                        "extra": extras,
                    }
                    if samples:
                        row.update(
                            median=median(samples),
                            min=min(samples),
                            max=max(samples),
                            round_medians=[median(rr) for rr in rounds if rr],
                        )
                    by_peer[p] = row
                base = by_peer.get("flowzero", {}).get("median")
                for row in by_peer.values():
                    v = row.get("median")
                    row["ratio"] = row["diff"] = None
                    if v is not None and base is not None:
                        if m.ratio:
                            row["ratio"] = v / base if base else None
                        else:
                            row["diff"] = v - base
                    rows.append(row)
    return rows


def fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    a = abs(x)
    if a >= 100:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _note(row: dict[str, Any]) -> str:
    notes = []
    if row["unit"] == "ms" and row.get("median"):
        notes.append(f"{1e3 / row['median']:,.0f} steps/s")
    ex = row["extra"][0] if row.get("extra") else {}
    if "loss0" in ex and row["metric"] != "test_acc":
        notes.append(f"loss@0 {ex['loss0']:.5f}")
    if "loss3" in ex:
        notes.append(f"loss@3 {ex['loss3']:.5f}")
    if "train_acc" in ex and row["metric"] == "test_acc":
        notes.append(f"train acc {ex['train_acc']:.4f}")
    if row.get("status") != "ok":
        notes.append((row.get("error") or "")[:60])
    return ", ".join(notes)


def table(doc: dict[str, Any]) -> str:
    """The readable report: machine, peers, then one block per workload."""
    lines: list[str] = []
    mach = doc.get("machine", {})
    lines.append(
        f"flowzero bench - {doc.get('started', '')} - rounds: "
        f"{doc.get('settings', {}).get('rounds')}"
        + (" (SMOKE: numbers mean nothing)" if doc.get("settings", {}).get("smoke") else "")
    )
    lines.append(
        f"machine: {mach.get('cpu_model')} {mach.get('cpu', {}).get('simd', '')}, "
        f"{mach.get('cpus_usable')} usable cores, {mach.get('mem_total_gb')} GB, "
        f"{mach.get('kernel')}, Python {mach.get('python')}"
    )
    te = mach.get("thread_env", {})
    lines.append(
        f"threads: {doc.get('settings', {}).get('threads')} for every peer "
        f"(OMP/OPENBLAS/MKL_NUM_THREADS={te.get('OPENBLAS_NUM_THREADS')}, TF "
        "intra/inter-op, torch.set_num_threads, XLA intra_op_parallelism_threads)"
    )
    la = doc.get("loadavg", {})
    lines.append(
        f"load average (1 min): start {la.get('start')}, at each child launch "
        f"min/median/max {la.get('during')}, end {la.get('end')}"
    )
    lines.append("peers:")
    for p, inf in doc.get("peers", {}).items():
        if inf.get("status") != "ok":
            lines.append(f"  {p:9s} {inf.get('status')}: {inf.get('error', '')[:100]}")
            continue
        vers = ", ".join(
            f"{k} {v}" for k, v in inf.get("versions", {}).items() if isinstance(v, str)
        )
        blas = inf.get("blas")
        if isinstance(blas, list):
            blas = "; ".join(
                f"{b.get('internal_api')} {b.get('version')} "
                f"{b.get('architecture') or ''} x{b.get('num_threads')}"
                for b in blas
            )
        lines.append(f"  {p:9s} {vers} | BLAS/OpenMP: {blas}")
    lines.append(
        "ratio = peer / flowzero (> 1: flowzero faster or smaller); for accuracy: peer - flowzero"
    )
    rows = doc.get("results", [])
    for w, wd in WORKLOAD_DEFS.items():
        wrows = [r for r in rows if r["workload"] == w]
        if not wrows:
            continue
        lines.append("")
        cases = "; ".join(f"{c}: {lab}" for c, lab in wd["cases"].items())
        lines.append(f"{w}  {wd['title']} ({cases})")
        lines.append(
            f"  {'case / metric [unit]':30s} {'peer':9s} {'median':>10s} "
            f"{'min-max':>19s} {'ratio':>7s}  note"
        )
        for case in wd["cases"]:
            for m in case_metrics(wd, case):
                first = True
                for r in wrows:
                    if r["case"] != case or r["metric"] != m.name:
                        continue
                    head = f"{case} {m.name} [{m.unit}]" if first else ""
                    first = False
                    if r.get("median") is None:
                        lines.append(f"  {head:30s} {r['peer']:9s} {r['status']:>10s}")
                        continue
                    rng = f"{fmt(r['min'])}-{fmt(r['max'])}"
                    ratio = (
                        f"{r['ratio']:.2f}"
                        if r.get("ratio") is not None
                        else f"{r['diff']:+.4f}"
                        if r.get("diff") is not None
                        else "-"
                    )
                    lines.append(
                        f"  {head:30s} {r['peer']:9s} {fmt(r['median']):>10s} "
                        f"{rng:>19s} {ratio:>7s}  {_note(r)}"
                    )
    lines.append("")
    lines.append(summary(doc))
    return "\n".join(lines)


def summary(doc: dict[str, Any]) -> str:
    """The issue's matrix: one row per case/metric, one column of medians per peer."""
    rows = doc.get("results", [])
    peers = [p for p in PEERS if p in doc.get("peers", {})]
    lines = ["summary (medians)", "  " + f"{'':34s}" + "".join(f"{p:>11s}" for p in peers)]
    for w, wd in WORKLOAD_DEFS.items():
        for case in wd["cases"]:
            for m in case_metrics(wd, case):
                cells = {
                    r["peer"]: r
                    for r in rows
                    if r["workload"] == w and r["case"] == case and r["metric"] == m.name
                }
                if not cells:
                    continue
                label = f"{w} {case} {m.name} [{m.unit}]"
                lines.append(
                    "  "
                    + f"{label:34s}"
                    + "".join(
                        f"{fmt(cells[p].get('median')) if p in cells else '':>11s}" for p in peers
                    )
                )
    return "\n".join(lines)


def markdown(doc: dict[str, Any]) -> str:
    """The results as a Markdown table: median (min-max) and ratio peer/flowzero per cell."""
    rows = doc.get("results", [])
    peers = [p for p in PEERS if any(r["peer"] == p for r in rows)]
    head = "| workload | case | metric | " + " | ".join(peers) + " |"
    lines = [head, "|" + "---|" * (3 + len(peers))]
    for w, wd in WORKLOAD_DEFS.items():
        for case in wd["cases"]:
            for m in case_metrics(wd, case):
                cells = {
                    r["peer"]: r
                    for r in rows
                    if r["workload"] == w and r["case"] == case and r["metric"] == m.name
                }
                if not cells:
                    continue
                out = []
                for p in peers:
                    r = cells.get(p)
                    if r is None or r.get("median") is None:
                        out.append(r["status"] if r else "")
                        continue
                    cell = f"{fmt(r['median'])} ({fmt(r['min'])}–{fmt(r['max'])})"
                    if p != "flowzero" and r.get("ratio") is not None:
                        cell += f" **×{r['ratio']:.2f}**"
                    elif p != "flowzero" and r.get("diff") is not None:
                        cell += f" Δ{r['diff']:+.4f}"
                    out.append(cell)
                lines.append(f"| {w} | {case} | {m.name} [{m.unit}] | " + " | ".join(out) + " |")
    return "\n".join(lines)
