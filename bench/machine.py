"""What machine the numbers come from: CPU, cores, memory, kernel, load, thread settings."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any


def _cpuinfo() -> dict[str, Any]:
    info: dict[str, Any] = {}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        return info
    for line in text.splitlines():
        if ":" not in line:
            continue
        k, v = (s.strip() for s in line.split(":", 1))
        if k in ("model name", "cpu family", "model", "cpu MHz", "cache size") and k not in info:
            info[k] = v
        if k == "flags" and "simd" not in info:
            flags = set(v.split())
            info["simd"] = [
                f for f in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni") if f in flags
            ]
    return info


def _meminfo_gb() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe(env: dict[str, str]) -> dict[str, Any]:
    cpu = _cpuinfo()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    keys = (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "XLA_FLAGS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "TF_ENABLE_ONEDNN_OPTS",
    )
    return {
        "cpu_model": cpu.get("model name", platform.processor() or "unknown"),
        "cpu": cpu,
        "cpus_online": os.cpu_count(),
        "cpus_usable": usable,
        "mem_total_gb": _meminfo_gb(),
        "kernel": platform.platform(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "thread_env": {k: env[k] for k in keys if k in env},
        "loadavg_start": loadavg(),
    }
