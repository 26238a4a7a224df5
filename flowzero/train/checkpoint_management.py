"""tf.train's checkpoint file helpers: get_checkpoint_mtimes, remove_checkpoint and
generate_checkpoint_state_proto (TF 1.15's checkpoint_management)."""

from __future__ import annotations

import os
from typing import Any

from flowzero.train.checkpoint_utils import CheckpointState, delete_checkpoint
from flowzero.train.tensor_bundle import INDEX_SUFFIX


def get_checkpoint_mtimes(checkpoint_prefixes: list[str]) -> list[float]:
    """The modification times (seconds) of the checkpoints' index files; a prefix that names
    no TF V2 checkpoint counts as a file of that name (TF's V1), and one that names nothing
    is skipped, as TF."""
    mtimes = []
    for prefix in checkpoint_prefixes:
        for path in (os.fspath(prefix) + INDEX_SUFFIX, os.fspath(prefix)):
            if os.path.isfile(path):
                mtimes.append(os.stat(path).st_mtime_ns / 1e9)
                break
    return mtimes


def remove_checkpoint(
    checkpoint_prefix: str, checkpoint_format_version: Any = None, meta_graph_suffix: str = "meta"
) -> None:
    """Deletes the checkpoint `checkpoint_prefix`: index, data files and meta graph (missing
    files are ignored)."""
    delete_checkpoint(os.fspath(checkpoint_prefix), meta_graph_suffix)


def generate_checkpoint_state_proto(
    save_dir: str,
    model_checkpoint_path: str,
    all_model_checkpoint_paths: list[str] | None = None,
    all_model_checkpoint_timestamps: list[float] | None = None,
    last_preserved_timestamp: float | None = None,
) -> CheckpointState:
    """A CheckpointState naming `model_checkpoint_path` as the newest (appended to
    all_model_checkpoint_paths when it is not their last); with a relative `save_dir`,
    relative paths are made relative to it, as TF.

    Raises:
        ValueError: timestamps given, but not one per checkpoint path.
    """
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    if all_model_checkpoint_timestamps and len(all_model_checkpoint_timestamps) != len(paths):
        raise ValueError(
            f"Checkpoint timestamps, if provided, must match checkpoint paths (got "
            f"paths {paths} and timestamps {all_model_checkpoint_timestamps})"
        )
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        paths = [p if os.path.isabs(p) else os.path.relpath(p, save_dir) for p in paths]
    return CheckpointState(
        model_checkpoint_path, paths, all_model_checkpoint_timestamps, last_preserved_timestamp
    )


__all__ = ["generate_checkpoint_state_proto", "get_checkpoint_mtimes", "remove_checkpoint"]


# How often checkpoints_iterator looks for a new checkpoint (TF: every second).
_POLL_SECS = 1.0


def wait_for_new_checkpoint(
    checkpoint_dir: str,
    last_checkpoint: str | None = None,
    seconds_to_sleep: float = 1,
    timeout: float | None = None,
) -> str | None:
    """Polls `checkpoint_dir` until its latest checkpoint differs from `last_checkpoint`;
    returns it, or None once `timeout` seconds would pass (TF's wait_for_new_checkpoint)."""
    import time

    from flowzero.train.checkpoint_utils import latest_checkpoint

    stop_time = time.time() + timeout if timeout is not None else None
    while True:
        path = latest_checkpoint(checkpoint_dir)
        if path is not None and path != last_checkpoint:
            return path
        if stop_time is not None and time.time() + seconds_to_sleep > stop_time:
            return None
        time.sleep(seconds_to_sleep)


def checkpoints_iterator(
    checkpoint_dir: str,
    min_interval_secs: float = 0,
    timeout: float | None = None,
    timeout_fn: Any = None,
) -> Any:
    """Yields each new checkpoint of `checkpoint_dir` as it appears (TF's checkpoints_iterator).

    Args:
        checkpoint_dir: the directory written by a Saver (its 'checkpoint' state file).
        min_interval_secs: at least this many seconds between two yields.
        timeout: seconds to wait for a new checkpoint; None waits forever.
        timeout_fn: called after each timeout; the iterator ends when it returns True (and
            goes on waiting when False). Without one, the first timeout ends it.
    """
    import time

    path = None
    while True:
        new_path = wait_for_new_checkpoint(
            checkpoint_dir, path, seconds_to_sleep=_POLL_SECS, timeout=timeout
        )
        if new_path is None:
            if not timeout_fn or timeout_fn():
                return
            continue
        start = time.time()
        path = new_path
        yield path
        left = start + min_interval_secs - time.time()
        if left > 0:
            time.sleep(left)
