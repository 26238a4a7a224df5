"""The CLI on broken inputs and a full disk: one line on stderr, status 1, no traceback, no
orphan files."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from flowzero.cli import main
from tests.cli.conftest import run_cli, run_main


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("short_run")
    args = ["train", "--model", "two_layer_net", "--iters", "20", "--out", str(tmp / "run")]
    result = run_main(*args, "--no-plot", "--quiet", tmp=tmp)
    assert result.returncode == 0, result.stderr
    return tmp / "run"


def _with_kwargs(run: Path, dst: Path, kwargs: object) -> Path:
    shutil.copytree(run, dst)
    p = dst / "checkpoints" / "run.json"
    doc = json.loads(p.read_text())
    doc["model_kwargs"] = kwargs
    p.write_text(json.dumps(doc))
    return dst


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"hidden_size": 50, "bogus": 1}, "unexpected keyword argument 'bogus'"),
        ({"hidden_size": "lots"}, "cannot build the model with model_kwargs"),
        ({"hidden_size": -5}, "negative dimensions"),
        ([1, 2], "model_kwargs must be an object"),
    ],
)
def test_eval_with_bad_model_kwargs(
    short_run: Path, tmp_path: Path, kwargs: object, fragment: str
) -> None:
    run = _with_kwargs(short_run, tmp_path / "bad", kwargs)
    result = run_main("eval", "--checkpoint", str(run), tmp=tmp_path)
    err = result.stderr
    assert result.returncode == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flowzero eval: error:"), err
    assert "run.json" in lines[0] and fragment in lines[0]


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"hidden_size": 50, "bogus": 1}, "unexpected keyword argument 'bogus'"),
        ({"hidden_size": None}, "cannot build the model with model_kwargs"),
    ],
)
def test_export_with_bad_model_kwargs(
    short_run: Path, tmp_path: Path, kwargs: object, fragment: str
) -> None:
    run = _with_kwargs(short_run, tmp_path / "bad", kwargs)
    out = tmp_path / "models" / "mnist" / "1"
    result = run_main("export", "--checkpoint", str(run), "--out", str(out), tmp=tmp_path)
    err = result.stderr
    assert result.returncode == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("flowzero export: error:"), err
    assert "run.json" in lines[-1] and fragment in lines[-1]
    assert not out.exists()


def _checkpoint_files(run: Path) -> list[str]:
    d = run / "checkpoints"
    return sorted(n for n in os.listdir(d) if n.startswith("model.ckpt"))


@pytest.mark.parametrize("full_at", [".data-", ".index"])
def test_train_on_a_full_disk_simulated(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    full_at: str,
) -> None:
    monkeypatch.setenv("FLOWZERO_DATA_DIR", str(tmp_path / "no-mnist-here"))
    monkeypatch.setenv("FLOWZERO_DOWNLOAD", "0")
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        # The disk fills while the checkpoint's data, or its index, is written (after its
        # meta graph).
        name = os.path.basename(dst)
        if name.startswith("model.ckpt") and full_at in name:
            raise OSError(errno.ENOSPC, "No space left on device", dst)
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--model",
            "two_layer_net",
            "--iters",
            "5",
            "--out",
            str(out),
            "--no-plot",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("flowzero train: error: cannot write the run's files:"), err
    assert "no space left on device" in err.lower() and "Traceback" not in err
    assert _checkpoint_files(out) == []  # no .meta without its checkpoint
    assert not [n for n in os.listdir(out / "checkpoints") if ".tmp-" in n]


def test_train_on_a_full_tmpfs(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        result = run_cli(
            "train",
            "--model",
            "two_layer_net",
            "--iters",
            "20",
            "--out",
            str(disk / "run"),
            "--no-plot",
            tmp=tmp_path,
        )
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert (
            result.stderr.strip()
            .splitlines()[-1]
            .startswith("flowzero train: error: cannot write the run's files:")
        ), result.stderr
        assert "no space left on device" in result.stderr.lower()
        assert _checkpoint_files(disk / "run") == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)
