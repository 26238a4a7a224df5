"""`mpirun -np 2 flowzero train` as root: Open MPI's mpirun refuses before any flowzero process
starts, so the message a user sees is mpirun's; it must say how to go on (docs/cli.md shows the
command with --allow-run-as-root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.distributed.launcher import _open_mpi, clean_env


@pytest.mark.skipif(os.geteuid() != 0, reason="only root is refused")
@pytest.mark.skipif(shutil.which("mpirun") is None or not _open_mpi(), reason="needs Open MPI")
def test_mpirun_as_root_names_the_flag(tmp_path: Path) -> None:
    env = {k: v for k, v in clean_env().items() if not k.startswith("OMPI_ALLOW_RUN_AS_ROOT")}
    argv = [
        "mpirun",
        "-np",
        "2",
        sys.executable,
        "-m",
        "flowzero",
        "train",
        "--iters",
        "1",
        "--out",
        str(tmp_path / "run"),
    ]
    out = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode != 0
    assert "--allow-run-as-root" in out.stdout + out.stderr
    assert not (tmp_path / "run").exists()  # flowzero never started


def test_docs_give_the_root_command() -> None:
    cli = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert "mpirun --allow-run-as-root --oversubscribe -np 4 flowzero train" in cli
