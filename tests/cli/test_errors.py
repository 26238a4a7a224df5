"""Bad command lines: argparse errors (exit status 2) with messages that say what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowzero.cli import main
from tests.cli.conftest import run_cli


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: COMMAND"),
        (["fly"], "invalid choice: 'fly'"),
        (
            ["train", "--model", "three_layer_net"],
            "unknown model 'three_layer_net'; choose from: two_layer_net, multi_layer_net, "
            "multi_layer_net_extend, simple_conv_net, deep_conv_net",
        ),
        (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["train", "--epochs", "0"], "--epochs: expected a positive integer; got 0"),
        (["train", "--iters", "ten"], "--iters: expected a positive integer; got 'ten'"),
        (["train", "--epochs", "1", "--iters", "5"], "not allowed with argument"),
        (["train", "--lr", "-1"], "--lr: expected a positive number"),
        (["train", "--dropout", "1.5"], "expected a number in [0, 1)"),
        (["train", "--data", "/no/such/dir"], "data directory '/no/such/dir' does not exist"),
        (
            ["train", "--batchnorm"],
            "--batchnorm is not supported by two_layer_net (models that take it: "
            "multi_layer_net_extend)",
        ),
        (
            ["train", "--weight-decay", "0.1", "--model", "simple_conv_net"],
            "--weight-decay is not supported by simple_conv_net",
        ),
        (["train", "--hidden", "10", "20"], "two_layer_net has one hidden layer"),
        (["train", "--weight-init", "he"], "two_layer_net takes a number (a std)"),
        (["gradcheck", "--model", "nope"], "unknown model 'nope'"),
        (["graph", "--model", "two_layer_net", "--out", "x.jpg"], "expected a .dot, .png, .svg"),
        (["book", "ch9-gans"], "invalid choice: 'ch9-gans'"),
        (["eval"], "the following arguments are required: --checkpoint"),
    ],
)
def test_argument_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert message in _fails(argv, capsys)


def test_out_must_be_a_directory_we_can_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "file"
    afile.write_text("")
    err = _fails(["train", "--out", str(afile)], capsys)
    assert "exists and is not a directory" in err
    err = _fails(["train", "--out", str(afile / "sub")], capsys)
    assert "cannot create directory" in err


def test_data_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "mnist.gz"
    afile.write_text("")
    assert "is not a directory" in _fails(["train", "--data", str(afile)], capsys)


def test_data_directory_without_mnist_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("flowzero train: error: cannot load MNIST")
    assert "train-images-idx3-ubyte.gz" in err and "Traceback" not in err


def test_eval_without_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--checkpoint", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["eval", "--checkpoint", str(tmp_path)]) == 1
    assert "no checkpoint in" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "eval", "gradcheck", "graph", "book"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: flowzero {command}" in capsys.readouterr().out


def test_a_real_process(tmp_path: Path) -> None:
    """The same through `python -m flowzero`: status 2, the message, the valid names."""
    result = run_cli("train", "--model", "resnet", tmp=tmp_path)
    assert result.returncode == 2
    assert "argument --model: unknown model 'resnet'; choose from: two_layer_net" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("--help", tmp=tmp_path)
    assert result.returncode == 0
    assert all(c in result.stdout for c in ("train", "eval", "gradcheck", "graph", "book"))
