"""`flowzero book <experiment>`: the book's chapter experiments (flowzero.book.experiments)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from flowzero.book.experiments import EXPERIMENTS, run_experiment
from flowzero.cli.common import add_threads_argument, data_line, data_spec, ensure_dir, note, say
from flowzero.cli.train import load


def add_parser(sub: Any) -> None:
    listing = "\n".join(f"  {name:<15} {desc}" for name, (_, desc) in EXPERIMENTS.items())
    p = sub.add_parser(
        "book",
        help="the book's chapter experiments (figure + numbers)",
        description="Run one of the book's chapter experiments with the book's settings and a "
        "seed; writes <out>/<experiment>.png (the figure) and <out>/<experiment>"
        f".json (the numbers).\n\nexperiments:\n{listing}\n  all             "
        "every one of them, in this order",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "experiment",
        choices=[*EXPERIMENTS, "all"],
        metavar="EXPERIMENT",
        help="one of: " + ", ".join([*EXPERIMENTS, "all"]),
    )
    p.add_argument(
        "--out", default="runs/book", metavar="DIR", help="output directory (default: %(default)s)"
    )
    p.add_argument(
        "--quick", action="store_true", help="a tiny version (a few steps) to check that it runs"
    )
    p.add_argument("--seed", type=int, default=0, help="initial weights and mini-batches")
    add_threads_argument(p)
    p.add_argument(
        "--data",
        type=data_spec,
        default="auto",
        metavar="auto|subset|full|PATH",
        help="MNIST to use (default: auto = full MNIST if present, else the subset)",
    )
    p.set_defaults(func=run, parser=p)


def run(args: argparse.Namespace) -> int:
    out = ensure_dir(args.out, args.parser)
    names = list(EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    data = load(args.data)
    say(f"data: {data_line(data.source)}")
    for name in names:
        started = time.perf_counter()
        say(f"{name}: {EXPERIMENTS[name][1]}{' (quick)' if args.quick else ''}")
        record, path = run_experiment(
            name, out, quick=args.quick, seed=args.seed, data=data, log=say
        )
        if record.figure is None:
            note(f"{name}: figure skipped: matplotlib is not available (pip install matplotlib)")
        say(f"{name}: done in {time.perf_counter() - started:.1f} s")
        say(f"  numbers: {path}")
        if record.figure:
            say(f"  figure:  {record.figure}")
    return 0
