"""What the chapter experiments share: one training run in its own graph, and the record of an
experiment (its numbers as JSON, its figure as PNG)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import flowzero as tf
from flowzero.book.trainer import Trainer, TrainResult, accuracy
from flowzero.book.zoo import Data, build_model, make_optimizer, model_spec

Log = Callable[[str], None]


@dataclass
class Run:
    """One finished training run, reduced to what an experiment reports."""

    label: str
    result: TrainResult
    test_acc: float
    test_correct: int

    @property
    def train_curve(self) -> list[float]:
        return [r.train_acc for r in self.result.epochs]

    @property
    def test_curve(self) -> list[float]:
        return [r.test_acc for r in self.result.epochs]

    @property
    def final_train_acc(self) -> float | None:
        return self.result.epochs[-1].train_acc if self.result.epochs else None

    def summary(self) -> dict[str, Any]:
        return {
            "final_train_acc": self.final_train_acc,
            "final_test_acc": self.test_acc,
            "test_correct": self.test_correct,
            "iterations": self.result.iterations,
            "seconds": round(self.result.seconds, 2),
        }

    def as_dict(self, losses: bool = False) -> dict[str, Any]:
        d = {
            **self.summary(),
            "train_acc": self.train_curve,
            "test_acc": self.test_curve,
            "epochs": [r.epoch for r in self.result.epochs],
        }
        if losses:
            d["loss"] = self.result.losses
        return d


def fit(
    label: str,
    model: str,
    kwargs: dict[str, Any],
    data: Data,
    *,
    optimizer: str,
    lr: float | None,
    batch_size: int,
    epochs: int | None = None,
    iters: int | None = None,
    seed: int = 0,
    eval_samples: int | None = None,
    record_initial: bool = True,
    log: Log | None = None,
) -> Run:
    """Trains `model` (built with `kwargs`) in a fresh graph and measures it on the test set."""
    spec = model_spec(model)
    shaped = data.for_model(spec.image_input)
    with tf.Graph().as_default():
        net = build_model(model, kwargs)
        train_op = make_optimizer(optimizer, lr).minimize(net.loss)
        trainer = Trainer(
            net,
            train_op,
            shaped,
            batch_size,
            epochs=epochs,
            iters=iters,
            seed=seed,
            eval_samples=eval_samples,
            record_initial=record_initial,
        )
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            result = trainer.run(sess)
            test_acc, correct = accuracy(sess, net, shaped.x_test, shaped.t_test)
    run = Run(label, result, test_acc, correct)
    if log is not None:
        train = run.final_train_acc
        log(
            f"  {label:<28} train acc {train if train is None else f'{train:.4f}'}  "
            f"test acc {test_acc:.4f}  ({result.iterations} steps, {result.seconds:.1f} s)"
        )
    return run


@dataclass
class Record:
    """An experiment's output: `numbers` go to <name>.json; `draw(path)` draws <name>.png
    (it raises plots.MissingPlotting without matplotlib)."""

    name: str
    title: str
    book: str  # what the book reports, in words
    settings: dict[str, Any]
    numbers: dict[str, Any] = field(default_factory=dict)
    draw: Callable[[str], str] | None = None
    figure: str | None = None

    def as_dict(self, data: Data, seed: int, quick: bool, seconds: float) -> dict[str, Any]:
        return {
            "format": "flowzero.book",
            "version": 1,
            "experiment": self.name,
            "title": self.title,
            "book": self.book,
            "settings": self.settings,
            "seed": seed,
            "quick": quick,
            "data": data.source_info(),
            "results": self.numbers,
            "figure": self.figure,
            "wall_time_s": round(seconds, 2),
            "flowzero_version": tf.__version__,
        }
