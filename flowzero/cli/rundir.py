"""A `flowzero train` run directory: which files a run writes there, refusing to mix two runs in
one directory, clearing a run (`--overwrite`) and the training state a run resumes from
(`--resume`).

Beside every checkpoint `checkpoints/model.ckpt-<step>` a run writes
`checkpoints/train_state-<step>.json`: the mini-batch sampler's random state after that step,
the epoch records and the per-step losses so far. With the checkpoint's variables (weights,
optimizer slots, global step) that is everything the next step depends on, so a resumed run
continues exactly where the saved one was.
"""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from typing import Any

import flowzero as tf
from flowzero.book.trainer import EpochRecord, TrainResult
from flowzero.book.zoo import MODELS
from flowzero.cli.common import (
    DEFAULT_MODEL,
    EXIT_USAGE,
    CLIError,
    model_kwargs,
    read_json,
    write_json,
)

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_NAME = "model.ckpt"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
PLOT_FILE = "training_curve.png"
LOG_DIR = "logs"
STATE_FORMAT = "flowzero.train_state"

# The files a run (and `flowzero eval` on it) writes; nothing else is ever removed.
_TOP_FILES = (METRICS_FILE, PLOT_FILE)
_CHECKPOINT_FILE = re.compile(
    r"^(checkpoint|run\.json|eval\.json|train_state-\d+\.json|"
    + re.escape(CHECKPOINT_NAME)
    + r"-\d+\.(index|npz|meta|meta\.npz|data-\d+-of-\d+))$"
)
_LOG_FILE = re.compile(r"^events\.out\.tfevents\.")


def run_files(out: str) -> list[str]:
    """The files of an earlier run in directory `out` (absolute paths, sorted)."""
    found = [os.path.join(out, f) for f in _TOP_FILES if os.path.isfile(os.path.join(out, f))]
    for sub, pattern in ((CHECKPOINT_DIR, _CHECKPOINT_FILE), (LOG_DIR, _LOG_FILE)):
        d = os.path.join(out, sub)
        if os.path.isdir(d):
            found += [
                os.path.join(d, f)
                for f in os.listdir(d)
                if pattern.match(f) and os.path.isfile(os.path.join(d, f))
            ]
    return sorted(os.path.abspath(f) for f in found)


def refuse_to_mix(out: str) -> None:
    """Raises CLIError when `out` already holds a run (neither --resume nor --overwrite)."""
    files = run_files(out)
    if files:
        names = ", ".join(sorted({os.path.relpath(f, out).split(os.sep)[0] for f in files}))
        raise CLIError(
            f"--out {os.path.abspath(out)} already holds a training run ({names}); "
            "add --resume to continue it from its latest checkpoint, --overwrite to replace "
            "it, or choose another --out",
            EXIT_USAGE,
        )


def _is_flowzero_run(out: str) -> bool:
    """Whether `out` holds a run's own record (its run.json or metrics.json), so that the
    files named like a run's there are flowzero's and not, say, another program's events."""
    for path, fmt in (
        (os.path.join(out, CHECKPOINT_DIR, RUN_FILE), "flowzero.run"),
        (os.path.join(out, METRICS_FILE), "flowzero.metrics"),
    ):
        try:
            if read_json(path).get("format") == fmt:
                return True
        except (OSError, ValueError, AttributeError):
            continue
    return False


def clear_run(out: str) -> tuple[int, int]:
    """Removes an earlier run's files from `out` (and its checkpoints/ and logs/ directories
    when nothing else is left in them). Returns (files removed, other entries kept).

    Raises:
        CLIError: files named like a run's but no run.json or metrics.json of flowzero's:
            they may be someone else's, so nothing is removed.
    """
    files = run_files(out)
    if files and not _is_flowzero_run(out):
        shown = ", ".join(os.path.relpath(f, out) for f in files[:3])
        raise CLIError(
            f"--overwrite: {os.path.abspath(out)} has files named like a run's ({shown}"
            f"{', ...' if len(files) > 3 else ''}) but no flowzero run.json or metrics.json, "
            "so they may not be flowzero's; nothing was removed. Remove them yourself or "
            "choose another --out",
            EXIT_USAGE,
        )
    for f in files:
        os.remove(f)
    for sub in (CHECKPOINT_DIR, LOG_DIR):
        d = os.path.join(out, sub)
        if os.path.isdir(d) and not os.listdir(d):
            os.rmdir(d)
    return len(files), len(os.listdir(out))


# ---------------------------------------------------------------------------------------------
# Training state


def state_path(ckpt_dir: str, iteration: int) -> str:
    return os.path.join(ckpt_dir, f"train_state-{iteration}.json")


def save_state(
    ckpt_dir: str, iteration: int, rng_state: dict[str, Any], result: TrainResult
) -> None:
    """Writes the state beside checkpoint `iteration` and removes the states of checkpoints
    the Saver has deleted since."""
    from dataclasses import asdict

    write_json(
        state_path(ckpt_dir, iteration),
        {
            "format": STATE_FORMAT,
            "version": 1,
            "iteration": iteration,
            "rng": rng_state,
            "epochs": [asdict(r) for r in result.epochs],
            "losses": result.losses[:iteration],
        },
    )
    st = tf.train.get_checkpoint_state(ckpt_dir)
    kept = {os.path.basename(p) for p in (st.all_model_checkpoint_paths if st else [])}
    for f in os.listdir(ckpt_dir):
        m = re.match(r"^train_state-(\d+)\.json$", f)
        if m and f"{CHECKPOINT_NAME}-{m.group(1)}" not in kept:
            os.remove(os.path.join(ckpt_dir, f))


@dataclass
class Resume:
    """What `--resume` restores: the run's settings, its latest checkpoint and state."""

    config: dict[str, Any]
    checkpoint: str
    all_checkpoints: list[str]
    iteration: int
    rng_state: dict[str, Any]
    result: TrainResult


def load_resume(out: str) -> Resume:
    """The run in `out` to continue; CLIError (naming the file) when there is none to resume."""
    ckpt_dir = os.path.join(out, CHECKPOINT_DIR)
    where = os.path.abspath(out)
    run_file = os.path.join(ckpt_dir, RUN_FILE)
    if not os.path.isfile(run_file):
        raise CLIError(
            f"--resume: {where} holds no run to resume (no {CHECKPOINT_DIR}/"
            f"{RUN_FILE}); train without --resume first",
            EXIT_USAGE,
        )
    try:
        config = read_json(run_file)
        st = tf.train.get_checkpoint_state(ckpt_dir)
    except (OSError, ValueError) as exc:
        raise CLIError(f"--resume: cannot read the run in {where}: {exc}") from None
    if not isinstance(config, dict) or config.get("format") != "flowzero.run":
        raise CLIError(f"--resume: {os.path.abspath(run_file)} is not a flowzero run file")
    if st is None or not st.model_checkpoint_path:
        raise CLIError(f"--resume: {where} has no checkpoint to resume from", EXIT_USAGE)
    prefix = st.model_checkpoint_path
    m = re.search(r"-(\d+)$", prefix)
    if m is None:
        raise CLIError(f"--resume: the latest checkpoint {prefix} has no step number")
    iteration = int(m.group(1))
    path = state_path(ckpt_dir, iteration)
    try:
        state = read_json(path)
        rng = state["rng"]
        epochs = [EpochRecord(**e) for e in state["epochs"]]
        losses = [float(x) for x in state["losses"]]
        ok = (
            state.get("format") == STATE_FORMAT
            and state.get("iteration") == iteration
            and len(losses) == iteration
            and isinstance(rng, dict)
        )
    except FileNotFoundError:
        raise CLIError(
            f"--resume: no training state beside the latest checkpoint {prefix} "
            f"(expected {path}); it cannot be continued exactly"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CLIError(f"--resume: cannot read {path}: {exc}") from None
    if not ok:
        raise CLIError(f"--resume: {path} does not describe checkpoint {prefix}")
    result = TrainResult(epochs=epochs, losses=losses, iterations=iteration)
    return Resume(config, prefix, list(st.all_model_checkpoint_paths), iteration, rng, result)


# ---------------------------------------------------------------------------------------------
# The flags of a resumed run


def fill_defaults(args: argparse.Namespace) -> None:
    """The defaults of the flags that --resume reads from the saved run instead."""
    args.model = args.model or DEFAULT_MODEL
    args.seed = 0 if args.seed is None else args.seed
    args.data = args.data or "auto"


_MODEL_FLAGS = ("hidden", "weight_init", "weight_decay", "batchnorm", "dropout")


def adopt(
    args: argparse.Namespace, parser: argparse.ArgumentParser, saved: dict[str, Any], world: int
) -> dict[str, Any]:
    """--resume: the saved run's settings for every flag not given; a flag given with another
    value than the run's is an error (the run could not go on as it was). Returns the run's
    model constructor arguments."""

    def same(flag: str, given: Any, key: str) -> Any:
        if given is not None and given != saved.get(key):
            raise CLIError(
                f"--resume: {flag} {given} differs from the run's "
                f"{saved.get(key)}; a resumed run keeps its settings (train into "
                f"another --out to change them)",
                EXIT_USAGE,
            )
        return saved.get(key)

    args.model = same("--model", args.model, "model")
    if args.model not in MODELS:
        raise CLIError(f"--resume: the run's model {args.model!r} is unknown")
    args.seed = same("--seed", args.seed, "seed")
    # 'auto' means whatever is there now: resume on the data the run actually used.
    used = (saved.get("data_source") or {}).get("name")
    if saved.get("data") == "auto" and used in ("subset", "full") and args.data in (None, used):
        args.data = used
    else:
        args.data = same("--data", args.data, "data")
    args.optimizer = same("--optimizer", args.optimizer, "optimizer")
    args.lr = same("--lr", args.lr, "lr")
    args.batch_size = same("--batch-size", args.batch_size, "batch_size")
    if saved.get("ranks", 1) != world:
        raise CLIError(
            f"--resume: the run trained on {saved.get('ranks', 1)} rank(s), this "
            f"launch has {world}",
            EXIT_USAGE,
        )
    kwargs = saved.get("model_kwargs")
    if (
        any(getattr(args, f, None) not in (None, False) for f in _MODEL_FLAGS)
        and model_kwargs(args, parser) != kwargs
    ):
        raise CLIError(
            f"--resume: the model flags give {model_kwargs(args, parser)}, the run "
            f"was built with {kwargs}",
            EXIT_USAGE,
        )
    if args.epochs is None and args.iters is None:
        args.epochs, args.iters = saved.get("epochs"), saved.get("iters")
    return dict(kwargs or {})


def restore(sess: Any, saver: Any, rng: Any, resume: Resume) -> None:
    """--resume: the checkpoint's variables and the sampler's random state."""
    try:
        saver.restore(sess, resume.checkpoint)
    except (tf.errors.OpError, ValueError, OSError) as exc:
        raise CLIError(f"--resume: cannot restore {resume.checkpoint}: {exc}") from None
    saver.recover_last_checkpoints(resume.all_checkpoints)  # max_to_keep counts them too
    try:
        rng.bit_generator.state = resume.rng_state
    except (TypeError, ValueError, KeyError) as exc:
        raise CLIError(f"--resume: the saved sampler state is not valid: {exc}") from None
