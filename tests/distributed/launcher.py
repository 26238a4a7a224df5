"""Launching tests/distributed/mpi_worker.py under mpirun from the tests, with a hard timeout."""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WORKER = HERE / "mpi_worker.py"

# Variables an MPI launcher sets; removed from the environment of single-process subprocesses.
LAUNCH_VARS = ("OMPI_", "PMI_", "PMIX_", "SLURM_", "MPI_LOCAL", "FLOWZERO_MPI")


@functools.lru_cache(maxsize=1)
def mpi_missing() -> str | None:
    """Why the mpirun tests cannot run here, or None if they can."""
    if shutil.which("mpirun") is None and shutil.which("mpiexec") is None:
        return (
            "mpirun not found: install an MPI (apt-get install -y openmpi-bin "
            "libopenmpi-dev) to run the multi-rank tests"
        )
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py not installed: pip install 'flowzero[mpi]' to run the multi-rank tests"
    return None


requires_mpi = pytest.mark.skipif(mpi_missing() is not None, reason=mpi_missing() or "")


@functools.lru_cache(maxsize=1)
def _open_mpi() -> bool:
    exe = shutil.which("mpirun") or shutil.which("mpiexec") or "mpirun"
    try:
        text = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in text or "OpenRTE" in text


def mpirun_command(np_: int, args: list[str]) -> list[str]:
    exe = shutil.which("mpirun") or shutil.which("mpiexec") or "mpirun"
    if _open_mpi():
        # Root in containers and CI; more ranks than cores on small machines.
        return [exe, "--allow-run-as-root", "--oversubscribe", "-np", str(np_), *args]
    return [exe, "-n", str(np_), *args]  # MPICH's hydra and others


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(LAUNCH_VARS)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # One BLAS thread per rank: two ranks on a small shared machine must not fight.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env.update(extra)
    return env


@dataclass
class Result:
    returncode: int
    output: str
    seconds: float


def run(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> Result:
    """Runs `cmd` in its own process group; on timeout kills that group and fails the test."""
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or clean_env(),
        cwd=str(REPO),
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} still running after {timeout} s (a hang):\n{out[-3000:]}")
    return Result(proc.returncode, out, time.monotonic() - start)


def run_worker(np_: int, mode: str, out_dir: Path, timeout: float = 90, **env: str) -> Result:
    return run(
        mpirun_command(np_, [sys.executable, str(WORKER), mode, str(out_dir)]),
        timeout,
        clean_env(**env),
    )


def run_python(code: str, timeout: float = 60, **env: str) -> Result:
    """`python -c code` without any MPI launcher variables (plus `env`)."""
    return run([sys.executable, "-c", code], timeout, clean_env(**env))
