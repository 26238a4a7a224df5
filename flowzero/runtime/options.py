"""TF1's session and run configuration: tf.ConfigProto, tf.GPUOptions, tf.GraphOptions,
tf.OptimizerOptions, tf.RunOptions and tf.RunMetadata are TensorFlow's protobuf messages
(flowzero/proto/config.proto), so what TF1 programs do with them works as in TF:
`config.gpu_options.allow_growth = True`, `tf.ConfigProto(device_count={"GPU": 0})`,
`config.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_1`,
`config.SerializeToString()`; an unknown field is an error, as in TF.

flowzero reads `intra_op_parallelism_threads` (> 0: at most that many BLAS threads per op; 0:
flowzero picks, see flowzero/runtime/threads.py) and RunOptions' `trace_level`;
`inter_op_parallelism_threads` changes nothing (a plan runs its ops one after another) and the
device, GPU and graph-rewrite options have nothing to act on here: they are kept as set.

The classes load `google.protobuf` on first use (this module's `__getattr__`), not at
`import flowzero`.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # The messages of flowzero/proto/config.proto (flowzero.proto.MESSAGES says which).
    from flowzero import proto

    if proto.MESSAGES.get(name) == "config_pb2":
        value = getattr(proto, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
