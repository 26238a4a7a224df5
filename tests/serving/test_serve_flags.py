"""`flowzero serve` refuses flag combinations it could not honour instead of ignoring a flag
(`--production --port 8572` used to listen on a unix socket without a word)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Result, run_main


def _serve(tmp: Path, *args: str) -> Result:
    """`flowzero serve` with a model base path that does not exist, through cli.main in this
    process (run_main: the environment and directory of a subprocess, without its start-up
    cost); every case here stops at the flag or base-path checks, before serving anything."""
    return run_main(
        "serve", "--model-base-path", str(tmp / "none"), "--model-name", "mnist", *args, tmp=tmp
    )


def test_production_with_a_port_is_refused_with_what_to_use(tmp_path: Path) -> None:
    out = _serve(tmp_path, "--production", "--port", "8572")
    assert out.returncode == 2, out.stderr
    msg = out.stderr.strip()
    assert msg.startswith("flowzero serve: error: --port cannot be used with --production")
    assert "--uds PATH" in msg and "deploy/nginx/flowzero.conf" in msg
    assert "To serve on TCP port 8572 without nginx, drop --production" in msg
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (("--production", "--host", "0.0.0.0"), "--host cannot be used with --production"),
        (("--uds", "x.sock", "--port", "9000"), "--port cannot be used with --uds"),
        (
            ("--uds", "x.sock", "--host", "::1", "--port", "9000"),
            "--host and --port cannot be used with --uds",
        ),
        (
            (
                "--workers",
                "2",
            ),
            "--workers only takes effect with --production",
        ),
        (
            ("--run-dir", "r", "--log-dir", "-"),
            "--run-dir, --log-dir only take effect with --production",
        ),
    ],
)
def test_flags_that_would_be_ignored_are_refused(
    tmp_path: Path, flags: tuple[str, ...], fragment: str
) -> None:
    out = _serve(tmp_path, *flags)
    assert out.returncode == 2, out.stderr
    assert fragment in out.stderr


@pytest.mark.parametrize(
    "flags",
    [
        (),
        ("--port", "9000", "--host", "0.0.0.0"),
        ("--uds", "x.sock"),
        ("--production", "--workers", "2"),
    ],
)
def test_combinations_that_work_get_past_the_check(tmp_path: Path, flags: tuple[str, ...]) -> None:
    out = _serve(tmp_path, *flags)  # the base path does not exist: the next check says so
    assert out.returncode == 1, out.stderr
    assert "--model-base-path" in out.stderr and "is not a directory" in out.stderr
