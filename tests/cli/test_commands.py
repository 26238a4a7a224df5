"""The CLI's subcommands live in one package, flowzero/cli/, each a module with
`add_parser(subparsers)` and `run(args)`; export and serve load the serving extra only when
they run."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMMANDS = {
    "train": "train",
    "eval": "evaluate",
    "gradcheck": "gradcheck",
    "graph": "graph",
    "book": "book",
    "export": "export",
    "serve": "serve",
}


def test_every_subcommand_is_a_module_of_flowzero_cli() -> None:
    from flowzero.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert sorted(sub.choices) == sorted(COMMANDS)
    for command, module_name in COMMANDS.items():
        module = importlib.import_module(f"flowzero.cli.{module_name}")
        assert callable(module.add_parser) and callable(module.run), module_name
        assert sub.choices[command].get_default("func").__module__ == module.__name__


def test_the_serving_package_holds_no_cli_code() -> None:
    assert not (REPO / "flowzero" / "serving" / "cli_commands.py").exists()


def test_building_the_parser_imports_nothing_from_serving() -> None:
    code = (
        "import json, sys\n"
        "from flowzero.cli import build_parser\n"
        "build_parser().parse_args(['serve', '--model-base-path', '.', '--model-name', 'm'])\n"
        "build_parser().parse_args(['export', '--checkpoint', 'c', '--out', 'o'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
        "('flowzero.serving', 'starlette', 'uvicorn', 'gunicorn')))))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("command", ["export", "serve"])
def test_help_of_the_serving_commands(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    from flowzero.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: flowzero {command}" in capsys.readouterr().out
