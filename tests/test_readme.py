"""README.md starts with the two set-up commands, and .ci/run runs the second one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert lines[0].startswith("```"), "README.md must open with the set-up commands"
    end = lines.index("```", 1)
    return lines[1:end]


def test_readme_opens_with_two_commands() -> None:
    cmds = _commands()
    assert len(cmds) == 2
    assert cmds[0].startswith("pip install -e ")
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command() -> None:
    assert _commands()[1] in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_readme_main_job_runs(tmp_path: Path) -> None:
    main_job = _commands()[0].split("&&", 1)[1].strip()
    assert main_job.startswith("flowzero ")
    argv = [sys.executable, "-m", "flowzero", *main_job.split()[1:]]
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert "test accuracy: " in out.stdout and "MNIST subset" in out.stdout
    assert list(tmp_path.glob("runs/two_layer_net/checkpoints/model.ckpt-*.index"))
