"""Per-op timings of a traced Session.run (RunOptions(trace_level=FULL_TRACE) with a
RunMetadata): TF's StepStats shape (dev_stats[].node_stats[]) as plain objects, and their
Chrome trace (chrome://tracing, Perfetto) as TF's timeline writes it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


@dataclass
class NodeExecStats:
    """One op's run: wall-clock start (µs since the epoch) and its duration (µs)."""

    node_name: str
    op_type: str
    all_start_micros: int
    op_start_rel_micros: int
    op_end_rel_micros: int
    all_end_rel_micros: int
    timeline_label: str = ""


@dataclass
class DeviceStepStats:
    device: str
    node_stats: list[NodeExecStats] = field(default_factory=list)


@dataclass
class StepStats:
    dev_stats: list[DeviceStepStats] = field(default_factory=list)


def from_records(records: list[tuple[Any, float, float]], epoch_offset: float) -> StepStats:
    """StepStats of (op, start, end) perf_counter records; epoch_offset = time.time() -
    time.perf_counter() when the run started."""
    nodes = []
    for op, t0, t1 in records:
        start = int((t0 + epoch_offset) * 1e6)
        dur = max(0, int((t1 - t0) * 1e6))
        nodes.append(
            NodeExecStats(op.name, op.type, start, 0, dur, dur, f"{op.name} = {op.type}()")
        )
    return StepStats([DeviceStepStats(DEVICE, nodes)])


def chrome_trace(step_stats: StepStats) -> str:
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
            events.append(
                {
                    "name": ns.op_type,
                    "cat": "Op",
                    "ph": "X",
                    "pid": pid,
                    "tid": 0,
                    "ts": ns.all_start_micros,
                    "dur": ns.op_end_rel_micros - ns.op_start_rel_micros,
                    "args": {"name": ns.node_name, "op": ns.op_type},
                }
            )
    return json.dumps({"traceEvents": events}, indent=None, separators=(",", ":"))


__all__ = ["StepStats", "DeviceStepStats", "NodeExecStats", "chrome_trace", "from_records"]
