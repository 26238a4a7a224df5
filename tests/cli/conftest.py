"""Helpers for the CLI tests: run `python -m flowzero ...` as a user would, in a clean
environment (the bundled MNIST subset, no downloads, one BLAS thread), and share one default
training run across the tests that only read its outputs."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Measured: the default `flowzero train --model two_layer_net` (seed 0, 17 epochs of the
# 4,000-digit subset) ends at test accuracy 0.896; seeds 1-3 gave 0.889, 0.900, 0.895.
DEFAULT_RUN_TEST_ACC = 0.896
DEFAULT_RUN_MARGIN = 0.02

# Optional packages: without them the commands skip the figure / the logs (tested too).
HAVE_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAVE_TENSORBOARD = all(
    importlib.util.find_spec(m) is not None for m in ("tensorboard", "tensorboardX")
)


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            # "auto" must mean the bundled subset here, even where full MNIST is cached.
            "FLOWZERO_DATA_DIR": str(tmp / "no-mnist-here"),
            "FLOWZERO_DOWNLOAD": "0",
            # NOTE: tiny GEMMs on a shared 2-core machine: threads only contend (see
            # tests/models/conftest.py).
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
        }
    )
    env.update(extra)
    return env


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def value(self, pattern: str) -> str:
        m = re.search(pattern, self.stdout, re.MULTILINE)
        assert m, f"{pattern!r} not in stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        return m.group(1)


def run_cli(
    *args: str,
    tmp: Path,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> Result:
    """`python -m flowzero *args` in directory `tmp`."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "flowzero", *args],
        cwd=tmp,
        env=env or cli_env(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)


def run_main(*args: str, tmp: Path, env: dict[str, str] | None = None) -> Result:
    """What run_cli does, through flowzero.cli.main in this process: the same environment
    (cli_env, or `env`), working directory `tmp`, captured output and status. For the tests
    that check what a command does rather than the interpreter around it (a fresh process
    costs seconds on the shared machine); test_errors.test_a_real_process keeps the
    `python -m flowzero` path itself tested."""
    import contextlib
    import io

    from flowzero.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in (env or cli_env(tmp)).items():
            if os.environ.get(key) != value:
                mp.setenv(key, value)
        mp.chdir(tmp)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as e:  # argparse's usage errors, as the process would exit
                code = e.code if isinstance(e.code, int) else 1
    return Result(code, out.getvalue(), err.getvalue(), time.perf_counter() - started)


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """The README's main job: `flowzero train --model two_layer_net`, default settings."""
    tmp = tmp_path_factory.mktemp("default_run")
    out = tmp / "run"
    result = run_cli("train", "--model", "two_layer_net", "--out", str(out), tmp=tmp)
    assert result.returncode == 0, result.stderr
    return result, out
