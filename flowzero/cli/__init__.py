"""The `flowzero` command: train, evaluate, gradient-check and draw the book's networks, and
run the book's chapter experiments.

    flowzero train --model two_layer_net          # seconds on the bundled MNIST subset
    flowzero eval --checkpoint runs/two_layer_net
    flowzero gradcheck --model two_layer_net
    flowzero graph --model simple_conv_net --out graph.svg
    flowzero book ch6-optimizers

Each subcommand lives in its own module (train, evaluate, gradcheck, graph, book, export,
serve) with an `add_parser(subparsers)` and a `run(args) -> exit status`. Optional packages
(matplotlib, tqdm, tensorboard, and the serving extra for export/serve) are imported only when
used; without them a run prints one note and goes on.
See docs/cli.md.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from flowzero.cli.common import EXIT_INTERRUPTED, CLIError, blas_threads

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    from flowzero.cli import book, evaluate, export, gradcheck, graph, serve, train

    parser = argparse.ArgumentParser(
        prog="flowzero",
        description="flowzero: TensorFlow 1.x graph mode on NumPy. Train the networks of "
        "'Deep Learning from Scratch' on MNIST (offline: a 5,000-digit subset is "
        "bundled), evaluate checkpoints, check gradients, draw graphs, and rerun "
        "the book's experiments.",
        epilog="Run 'flowzero <command> --help' for a command's options. Docs: docs/cli.md.",
    )
    from flowzero import __version__

    parser.add_argument("--version", action="version", version=f"flowzero {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (train, evaluate, gradcheck, graph, book, export, serve):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line `argv` (default: sys.argv[1:]); returns the exit status.

    0: done; 1: the command failed (a one-line message on stderr); 2: bad arguments (argparse);
    130: interrupted by Ctrl-C (a training run saves a checkpoint first).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with blas_threads(getattr(args, "threads", None)):
            return int(args.func(args))
    except CLIError as exc:
        message = f"flowzero {args.command}: error: {exc}"
        dist = sys.modules.get("flowzero.distributed")  # imported only by commands that use it
        if dist is not None and dist.is_initialized() and dist.size() > 1:
            # Under mpirun: end every rank now (MPI_Abort), not after the others' watchdog.
            dist.abort(f"{message} (rank {dist.rank()} of {dist.size()})", exc.code)
        print(message, file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"flowzero {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `flowzero graph | head`
        return 0
