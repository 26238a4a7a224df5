"""TF1's session and run configuration (tf.ConfigProto, tf.GPUOptions, tf.RunOptions): plain
keyword holders, importable from anywhere below the runtime (hooks build RunOptions)."""

from __future__ import annotations

from typing import Any


class ConfigProto:
    """TF1's session config. flowzero reads `intra_op_parallelism_threads` (> 0: at most that
    many BLAS threads per op; 0: flowzero picks, see flowzero/runtime/threads.py) and accepts
    `inter_op_parallelism_threads` (a plan runs its ops one after another, so it changes
    nothing); the other keywords (gpu_options, allow_soft_placement, ...) are kept as given."""

    intra_op_parallelism_threads = 0
    inter_op_parallelism_threads = 0
    allow_soft_placement = False
    log_device_placement = False

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


class GPUOptions(ConfigProto):
    pass


class RunOptions(ConfigProto):
    """TF1's per-run options: `trace_level` above NO_TRACE makes Session.run record each op's
    start and end time and outputs into the `run_metadata` it is given (a tf.RunMetadata),
    for TensorBoard (FileWriter.add_run_metadata) or a timeline."""

    NO_TRACE = 0
    SOFTWARE_TRACE = 1
    HARDWARE_TRACE = 2
    FULL_TRACE = 3
    trace_level = 0
    timeout_in_ms = 0
    output_partition_graphs = False


__all__ = ["ConfigProto", "GPUOptions", "RunOptions"]
