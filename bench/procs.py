"""Run one child process and get its own wall time, exit status and peak RSS (os.wait4)."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass


@dataclass
class ChildResult:
    rc: int  # negative: killed by that signal; None-like values never escape
    wall_s: float
    # ru_maxrss of this child (Linux: KiB) as MB (10^6 bytes). NOTE: on Linux it includes the
    # parent's resident pages at fork time, so it is an upper bound; workers report VmHWM.
    maxrss_mb: float
    timed_out: bool
    stdout_tail: str
    stderr_tail: str
    missing: str | None = None  # the interpreter does not exist / cannot be executed


def run_child(argv: list[str], env: dict[str, str], cwd: str, timeout_s: float) -> ChildResult:
    """Starts `argv`, waits for exactly that child with wait4, kills it after `timeout_s`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd
            )
        except OSError as e:  # FileNotFoundError, PermissionError, exec format error
            return ChildResult(-1, 0.0, 0.0, False, "", "", missing=f"{argv[0]}: {e}")
        killed = threading.Event()

        def kill() -> None:
            killed.set()
            p.kill()

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        tails = []
        for f in (out, err):
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 3000))
            tails.append(f.read().decode("utf-8", "replace"))
        return ChildResult(
            p.returncode, wall, ru.ru_maxrss * 1024 / 1e6, killed.is_set(), tails[0], tails[1]
        )
