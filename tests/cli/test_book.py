"""`flowzero book <experiment> --quick`: every chapter experiment runs and writes its figure
and its numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowzero.book.experiments import EXPERIMENTS
from tests.cli.conftest import HAVE_MATPLOTLIB, run_cli


@pytest.mark.slow
def test_every_book_experiment_quick(tmp_path: Path) -> None:
    result = run_cli(
        "book", "all", "--quick", "--data", "subset", "--out", "book", tmp=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert set(EXPERIMENTS) == {
        "ch5-train",
        "ch6-optimizers",
        "ch6-init",
        "ch6-batchnorm",
        "ch6-overfit",
        "ch6-dropout",
        "ch7-convnet",
    }
    for name in EXPERIMENTS:
        numbers = json.loads((tmp_path / "book" / f"{name}.json").read_text())
        assert numbers["experiment"] == name and numbers["quick"] is True
        assert numbers["data"]["name"] == "subset" and numbers["seed"] == 0
        assert numbers["results"] and numbers["book"]
        png = tmp_path / "book" / f"{name}.png"
        if HAVE_MATPLOTLIB:
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert png.stat().st_size > 10_000
            assert numbers["figure"] == str(Path("book") / f"{name}.png")
        else:
            assert numbers["figure"] is None and not png.exists()
    opt = json.loads((tmp_path / "book" / "ch6-optimizers.json").read_text())["results"]
    assert set(opt) == {"SGD", "Momentum", "AdaGrad", "Adam"}
    assert all(len(r["loss"]) == 10 for r in opt.values())
