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
