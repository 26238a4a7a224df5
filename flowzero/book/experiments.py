"""The book's chapter experiments ("Deep Learning from Scratch" ch. 5-7) as reproducible,
seeded runs, each writing its numbers (JSON) and its figure (PNG).

    from flowzero.book.experiments import run_experiment
    record = run_experiment("ch6-optimizers", out="runs/book", quick=False)

The same runs are `flowzero book <name>` on the command line. `quick=True` shrinks each to a
few steps (for tests); the numbers in docs/book.md come from the full runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from flowzero.book import plots
from flowzero.book.ch5_ch7 import ch5_train, ch7_convnet
from flowzero.book.ch6 import (
    ch6_batchnorm,
    ch6_dropout,
    ch6_init,
    ch6_optimizers,
    ch6_overfit,
)
from flowzero.book.common import Log, Record
from flowzero.book.zoo import Data, load_data

EXPERIMENTS: dict[str, tuple[Callable[..., Record], str]] = {
    "ch5-train": (ch5_train, "TwoLayerNet trained with backprop: train/test accuracy per epoch"),
    "ch6-optimizers": (ch6_optimizers, "SGD / Momentum / AdaGrad / Adam on a 5-layer net"),
    "ch6-init": (ch6_init, "weight init std 0.01 / Xavier / He with ReLU"),
    "ch6-batchnorm": (ch6_batchnorm, "with and without batch norm at 16 weight scales"),
    "ch6-overfit": (ch6_overfit, "overfitting on 300 samples, and weight decay"),
    "ch6-dropout": (ch6_dropout, "dropout on the 300-sample overfitting setup"),
    "ch7-convnet": (ch7_convnet, "SimpleConvNet, 20 epochs with Adam"),
}


def run_experiment(
    name: str,
    out: str = os.path.join("runs", "book"),
    quick: bool = False,
    seed: int = 0,
    data: str | Data = "auto",
    log: Log | None = None,
) -> tuple[Record, str]:
    """Runs experiment `name`, writes `<out>/<name>.json` (and `<out>/<name>.png` when
    matplotlib is installed); returns the Record and the JSON path.

    `record.figure` is None when the figure could not be drawn (`record.numbers` are still
    saved); `plots.MissingPlotting` is not raised.
    """
    from flowzero.cli.common import write_json  # atomic JSON writes

    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; choose from: {', '.join(EXPERIMENTS)}")
    fn, _ = EXPERIMENTS[name]
    log = log or (lambda message: None)
    dataset = load_data(data) if isinstance(data, str) else data
    started = time.perf_counter()
    record = fn(dataset, quick, seed, log)
    os.makedirs(out, exist_ok=True)
    if record.draw is not None:
        try:
            record.figure = record.draw(os.path.join(out, f"{name}.png"))
        except plots.MissingPlotting:
            record.figure = None
    seconds = time.perf_counter() - started
    path = write_json(
        os.path.join(out, f"{name}.json"), record.as_dict(dataset, seed, quick, seconds)
    )
    return record, path


__all__ = ["EXPERIMENTS", "Record", "run_experiment"]
