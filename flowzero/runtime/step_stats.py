"""The Chrome trace (chrome://tracing, Perfetto) of a traced Session.run's step statistics, as
TF's timeline writes it: `run_metadata.step_stats` (TF's StepStats message, which a run with
RunOptions(trace_level=FULL_TRACE) fills, flowzero/runtime/session.py) -> JSON."""

from __future__ import annotations

import json
from typing import Any


def _op_type(timeline_label: str, default: str) -> str:
    # "name = Label()" (flowzero writes the op type, or "Conv2D+BiasAdd+Relu" for a fused step)
    if " = " in timeline_label and timeline_label.endswith(")"):
        return timeline_label.split(" = ", 1)[1].split("(", 1)[0]
    return default


def chrome_trace(step_stats: Any) -> str:
    """The Chrome trace JSON of `step_stats`: one process per device, one complete ("X")
    event per op named by its type, with the node name in args (as TF's Timeline)."""
    events: list[dict[str, Any]] = []
    for pid, dev in enumerate(step_stats.dev_stats):
        events.append(
            {
                "name": "process_name",
                "ph": "M",
                "pid": pid,
                "args": {"name": f"{dev.device} Compute"},
            }
        )
        events.append(
            {"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": pid}}
        )
        for ns in dev.node_stats:
            op = _op_type(ns.timeline_label, ns.node_name)
            events.append(
                {
                    "name": op,
                    "cat": "Op",
                    "ph": "X",
                    "pid": pid,
                    "tid": 0,
                    "ts": ns.all_start_micros,
                    "dur": ns.op_end_rel_micros - ns.op_start_rel_micros,
                    "args": {"name": ns.node_name, "op": op},
                }
            )
    return json.dumps({"traceEvents": events}, indent=None, separators=(",", ":"))


__all__ = ["chrome_trace"]
