"""flowzero.cli.export and flowzero.cli.serve: the `export` and `serve` subcommands as the CLI
wires them."""

from __future__ import annotations

import argparse
import os

import pytest

from flowzero.cli import export, serve


def _parser():
    p = argparse.ArgumentParser(prog="flowzero")
    sub = p.add_subparsers(dest="command", required=True)
    export.add_parser(sub)
    serve.add_parser(sub)
    return p


def test_export_command(trained, tmp_path, capsys):
    out = tmp_path / "models" / "mnist" / "1"
    args = _parser().parse_args(
        [
            "export",
            "--checkpoint",
            os.path.dirname(trained.checkpoint),
            "--model",
            "two_layer_net",
            "--out",
            str(out),
        ]
    )
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "exported two_layer_net" in text and "x float32[None, 784]" in text
    assert (out / "saved_model.pb").is_file()  # TensorFlow's SavedModel layout
    assert args.func(args) == 1  # exists: refused, one line, no traceback
    err = capsys.readouterr().err
    assert (
        err.startswith("flowzero export: error: Export directory already exists")
        and "Traceback" not in err
    )
    args = _parser().parse_args(
        [
            "export",
            "--checkpoint",
            str(tmp_path / "none"),
            "--model",
            "two_layer_net",
            "--out",
            str(tmp_path / "x" / "1"),
        ]
    )
    assert args.func(args) == 1
    assert "No checkpoint" in capsys.readouterr().err


def test_serve_arguments(tmp_path, capsys):
    p = _parser()
    args = p.parse_args(
        [
            "serve",
            "--model-base-path",
            str(tmp_path),
            "--model-name",
            "a,b",
            "--model-name",
            "c",
            "--max-body-size",
            "2m",
            "--poll-interval",
            "0",
        ]
    )
    assert args.max_body_size == 2 * 1024 * 1024
    # None: not given (the development server then uses 127.0.0.1:8501; with --production or
    # --uds a given --host/--port is refused, tests/serving/test_serve_flags.py)
    assert args.port is None and args.host is None
    assert (serve.DEFAULT_HOST, serve.DEFAULT_PORT) == ("127.0.0.1", 8501)
    cfg = serve._config(args)
    assert cfg.model_names == ("a", "b", "c") and cfg.poll_interval_s == 0
    args = p.parse_args(["serve", "--model-base-path", str(tmp_path), "--model-name", "../etc"])
    assert args.func(args) == 2
    assert "invalid model name" in capsys.readouterr().err
    args = p.parse_args(
        ["serve", "--model-base-path", str(tmp_path / "missing"), "--model-name", "m"]
    )
    assert args.func(args) == 1
    with pytest.raises(SystemExit):
        p.parse_args(["serve", "--model-base-path", ".", "--model-name", "m", "--port", "0"])
    with pytest.raises(SystemExit):
        p.parse_args(
            ["serve", "--model-base-path", ".", "--model-name", "m", "--max-body-size", "12"]
        )


def test_config_env_roundtrip(tmp_path):
    from flowzero.serving.config import ServingConfig

    cfg = ServingConfig(
        str(tmp_path),
        ("m",),
        poll_interval_s=0.5,
        max_body_bytes=4096,
        inference_threads=3,
        sessions_per_model=2,
        enable_demo=False,
    )
    assert ServingConfig.from_env(cfg.to_env()) == ServingConfig(
        os.path.abspath(str(tmp_path)), ("m",), 0.5, 4096, 3, 2, False
    )
    with pytest.raises(ValueError, match="FLOWZERO_MODEL_BASE_PATH"):
        ServingConfig.from_env({})
    with pytest.raises(ValueError, match="not a number"):
        ServingConfig.from_env(
            {
                "FLOWZERO_MODEL_BASE_PATH": "/x",
                "FLOWZERO_MODEL_NAME": "m",
                "FLOWZERO_POLL_INTERVAL": "soon",
            }
        )
