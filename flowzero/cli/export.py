"""`flowzero export`: a trained checkpoint -> a SavedModel a model server loads
(BASE/NAME/<version>). See docs/deploy.md.

Imports nothing from the serving extra until the command runs (`flowzero --help` works
without it).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from flowzero.cli.common import EXIT_ERROR

EXIT_OK = 0


def _err(message: str) -> None:
    print(f"flowzero export: error: {message}", file=sys.stderr, flush=True)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Registers `export`: checkpoint -> SavedModel (BASE/NAME/<version>)."""
    p = subparsers.add_parser(
        "export",
        help="export a trained checkpoint as a SavedModel for serving",
        description="Writes the model trained into --checkpoint as a SavedModel (graph, "
        "variables and the serving_default signature x -> logits, probabilities, "
        "classes) to --out, atomically. Serve it with `flowzero serve`.",
    )
    p.add_argument(
        "--checkpoint",
        required=True,
        metavar="DIR",
        help="a checkpoint directory (its newest checkpoint), a run directory, or a "
        "checkpoint prefix",
    )
    p.add_argument(
        "--model",
        default=None,
        metavar="NAME",
        help="the model (two_layer_net, ...); default: from the run's run.json",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="the export directory, e.g. models/mnist/1 (must not exist; the last "
        "part is the version a model server sees)",
    )
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    from flowzero.framework import errors
    from flowzero.saved_model.export import export_model
    from flowzero.serving.repository import parse_version

    if parse_version(os.path.basename(os.path.normpath(args.out))) is None:
        print(
            f"flowzero: note: {args.out!r} does not end in an integer version directory; "
            "a model server needs BASE/NAME/<version>/",
            file=sys.stderr,
        )
    try:
        info = export_model(args.checkpoint, args.model, args.out)
    except FileExistsError as e:
        _err(f"{e} (export the next version number instead)")
        return EXIT_ERROR
    except (errors.OpError, ValueError, OSError, RuntimeError) as e:
        _err(str(e))
        return EXIT_ERROR
    sig = info["signature"]
    ins = ", ".join(f"{k} {v['dtype']}{v['shape']}" for k, v in sig["inputs"].items())
    outs = ", ".join(f"{k} {v['dtype']}{v['shape']}" for k, v in sig["outputs"].items())
    print(f"exported {info['model']} from {info['checkpoint']} to {info['export_dir']}")
    print(f"  signature serving_default: {ins} -> {outs}")
    return EXIT_OK


__all__ = ["add_parser", "run"]
