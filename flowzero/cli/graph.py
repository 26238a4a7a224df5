"""`flowzero graph`: draw a model's graph. DOT text always (our own writer, flowzero.cli.dot);
PNG or SVG too when Graphviz's `dot` program is installed."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from typing import Any

import flowzero as tf
from flowzero.book.zoo import build_model, make_optimizer
from flowzero.cli.common import CLIError, add_model_arguments, model_kwargs, note, say
from flowzero.cli.dot import graph_to_dot

RENDERED = (".png", ".svg", ".pdf")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "graph",
        help="draw a model's graph (Graphviz DOT; PNG/SVG with Graphviz installed)",
        description="Build a model's graph and write it as Graphviz DOT: name scopes are "
        "clusters, nodes are labelled with their op types, edges with shapes. "
        "Without --out the DOT text goes to stdout. With --out FILE.png or "
        "FILE.svg, FILE.dot is written too and rendered with Graphviz's `dot` "
        "when it is installed.",
    )
    add_model_arguments(p)
    p.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument(
        "--train",
        action="store_true",
        help="include the gradients and the optimizer's update ops (SGD)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="FILE.dot|.png|.svg",
        help="where to write the drawing (default: DOT text on stdout)",
    )
    p.add_argument(
        "--rankdir", choices=("TB", "LR"), default="TB", help="layout direction (default: TB)"
    )
    p.set_defaults(func=run, parser=p)


def render(dot_text: str, out: str) -> bool:
    """Renders `dot_text` into `out` (format from its extension) with Graphviz; False (and a
    note) when the `dot` program is not installed."""
    exe = shutil.which("dot")
    if exe is None:
        note(
            f"Graphviz's `dot` program is not installed, so {out} was not drawn; the DOT text "
            "is beside it (install Graphviz: apt install graphviz / brew install graphviz)"
        )
        return False
    fmt = os.path.splitext(out)[1][1:]
    try:
        subprocess.run(
            [exe, f"-T{fmt}", "-o", out],
            input=dot_text.encode(),
            check=True,
            capture_output=True,
            timeout=120,
        )
    except subprocess.CalledProcessError as exc:
        raise CLIError(
            f"dot failed on {out}: {exc.stderr.decode(errors='replace').strip()}"
        ) from None
    except subprocess.TimeoutExpired:
        raise CLIError(f"dot took over 120 s drawing {out}") from None
    return True


def run(args: argparse.Namespace) -> int:
    kwargs = model_kwargs(args, args.parser)
    tf.reset_default_graph()
    net = build_model(args.model, kwargs)
    if args.train:
        make_optimizer("sgd").minimize(net.loss)
    graph = tf.get_default_graph()
    dot_text = graph_to_dot(graph, title=f"{args.model}", rankdir=args.rankdir)
    if args.out is None:
        print(dot_text, end="")
        return 0
    base, ext = os.path.splitext(args.out)
    ext = ext.lower()
    if ext not in (".dot", ".gv", *RENDERED):
        args.parser.error(f"--out: expected a .dot, .png, .svg or .pdf file; got {args.out!r}")
    dot_path = args.out if ext in (".dot", ".gv") else base + ".dot"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(dot_path)), exist_ok=True)
        with open(dot_path, "w", encoding="utf-8") as f:
            f.write(dot_text)
    except OSError as exc:
        raise CLIError(f"cannot write {dot_path!r}: {exc}") from None
    n_ops = len(graph.get_operations())
    say(f"{args.model}: {n_ops} ops -> {dot_path}")
    if ext in RENDERED and render(dot_text, args.out):
        say(f"drawn with Graphviz -> {args.out}")
    return 0
