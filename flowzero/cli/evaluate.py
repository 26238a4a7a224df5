"""`flowzero eval`: restore a `flowzero train` checkpoint and measure it: accuracy and the 10x10
confusion matrix, printed and saved as JSON.

The model is rebuilt from the run.json that `flowzero train` writes beside its checkpoints
(model name + constructor arguments), then tf.train.Saver restores the weights. Predictions are
made exactly as `flowzero train` makes them, so the test accuracy matches the training run's
final one bit for bit.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

import flowzero as tf
from flowzero.book.trainer import predict
from flowzero.book.zoo import build_model, model_spec
from flowzero.cli.common import (
    EXIT_USAGE,
    CLIError,
    add_threads_argument,
    data_line,
    data_spec,
    read_json,
    say,
    write_json,
)
from flowzero.cli.train import CHECKPOINT_DIR, RUN_FILE, load


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "eval",
        help="accuracy and confusion matrix of a trained checkpoint",
        description="Restore a checkpoint written by `flowzero train` and report its accuracy "
        "and confusion matrix (rows: true digit, columns: predicted).",
    )
    p.add_argument(
        "--checkpoint",
        required=True,
        metavar="DIR",
        help="a `flowzero train` output directory, its checkpoints/ directory, or "
        "one checkpoint prefix (default: the latest checkpoint)",
    )
    p.add_argument(
        "--data",
        type=data_spec,
        default=None,
        metavar="auto|subset|full|PATH",
        help="MNIST to evaluate on (default: what the run was trained on)",
    )
    p.add_argument(
        "--split",
        choices=("test", "train"),
        default="test",
        help="which part of the data set (default: test)",
    )
    add_threads_argument(p)
    p.add_argument(
        "--json",
        default=None,
        metavar="FILE",
        help="where to save the result (default: eval.json beside the checkpoint)",
    )
    p.set_defaults(func=run, parser=p)


def locate(path: str) -> tuple[str, str, dict[str, Any]]:
    """(checkpoint directory, checkpoint prefix, run config) for --checkpoint `path`."""
    if not os.path.exists(path) and not os.path.exists(path + ".index"):
        raise CLIError(f"--checkpoint: {path!r} does not exist", EXIT_USAGE)
    if os.path.isdir(path):
        ckpt_dir = path
        if not os.path.isfile(os.path.join(path, RUN_FILE)) and os.path.isdir(
            os.path.join(path, CHECKPOINT_DIR)
        ):
            ckpt_dir = os.path.join(path, CHECKPOINT_DIR)
        prefix = tf.train.latest_checkpoint(ckpt_dir)
        if prefix is None:
            raise CLIError(
                f"--checkpoint: no checkpoint in {ckpt_dir!r} (expected the output "
                "directory of `flowzero train`)"
            )
    else:
        ckpt_dir, prefix = os.path.dirname(path) or ".", path
    run_file = os.path.join(ckpt_dir, RUN_FILE)
    if not os.path.isfile(run_file):
        raise CLIError(
            f"--checkpoint: {run_file!r} is missing; flowzero eval needs the "
            "run.json that `flowzero train` writes beside its checkpoints"
        )
    try:
        config = read_json(run_file)
        model_spec(config["model"])
    except (OSError, ValueError, KeyError) as exc:
        raise CLIError(f"--checkpoint: {run_file!r} is not a valid run file: {exc}") from None
    return ckpt_dir, prefix, config


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, n: int = 10) -> np.ndarray:
    """m[i, j] = how many samples of true class i were predicted as j."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (labels.astype(np.int64), predictions.astype(np.int64)), 1)
    return m


def format_confusion(m: np.ndarray) -> str:
    width = max(4, len(str(int(m.max()))) + 1)
    head = " true\\pred" + "".join(f"{j:>{width}}" for j in range(m.shape[1]))
    rows = [f"{i:>10}" + "".join(f"{v:>{width}}" for v in row) for i, row in enumerate(m)]
    return "\n".join([head, *rows])


def run(args: argparse.Namespace) -> int:
    ckpt_dir, prefix, config = locate(args.checkpoint)
    spec = model_spec(config["model"])
    data = load(args.data or config.get("data", "auto")).for_model(spec.image_input)
    x, t = (data.x_test, data.t_test) if args.split == "test" else (data.x_train, data.t_train)

    tf.reset_default_graph()
    try:
        net = build_model(config["model"], config.get("model_kwargs", {}))
    except tf.errors.InvalidArgumentError as exc:
        raise CLIError(f"--checkpoint: {os.path.join(ckpt_dir, RUN_FILE)!r}: {exc}") from None
    saver = tf.train.Saver()
    with tf.Session() as sess:
        try:
            saver.restore(sess, prefix)
        except (tf.errors.OpError, ValueError, OSError) as exc:
            raise CLIError(f"cannot restore {prefix!r}: {exc}") from None
        predictions = predict(sess, net, x)
    correct = int(np.sum(predictions == t))
    acc = correct / len(t) if len(t) else 0.0
    matrix = confusion_matrix(t, predictions)

    say(f"checkpoint: {prefix} ({config['model']})")
    say(f"data: {data_line(data.source)}")
    say(f"{args.split} accuracy: {acc:.4f} ({correct}/{len(t)})")
    say("confusion matrix (rows: true digit, columns: predicted):")
    say(format_confusion(matrix))
    result = {
        "format": "flowzero.eval",
        "version": 1,
        "checkpoint": prefix,
        "model": config["model"],
        "model_kwargs": config.get("model_kwargs", {}),
        "split": args.split,
        "data": {"spec": args.data or config.get("data", "auto"), "source": data.source_info()},
        "accuracy": acc,
        "correct": correct,
        "total": len(t),
        "confusion_matrix": matrix.tolist(),
        "per_class_accuracy": [
            float(matrix[i, i] / row) if (row := matrix[i].sum()) else None
            for i in range(len(matrix))
        ],
    }
    out = args.json or os.path.join(ckpt_dir, "eval.json")
    try:
        write_json(out, result)
        say(f"saved: {out}")
    except OSError as exc:
        raise CLIError(f"cannot write {out!r}: {exc}") from None
    return 0
