"""Op-table entries for TF's checkpoint ops (SaveV2, RestoreV2, MergeV2Checkpoints): they read
and write files, so they have no forward-vs-reference row; they are not differentiable. The
shard file names (ShardedFilename, ShardedFilespec) are values, with rows."""

import numpy as np

from flowzero.framework.graph import apply_op
from flowzero.ops.checkpoint_ops import ShardedFilename, ShardedFilespec
from flowzero.testing.op_cases import OpCase

CASES: list = [
    OpCase(
        "ShardedFilename",
        lambda b, k, n: apply_op(ShardedFilename, [b, k, n]),
        lambda b, k, n: np.array(b"dir/model_temp/part-00002-of-00010", dtype=object),
        [
            np.array(b"dir/model_temp/part", dtype=object),
            np.array(2, np.int32),
            np.array(10, np.int32),
        ],
        grad=False,
    ),
    OpCase(
        "ShardedFilespec",
        lambda b, n: apply_op(ShardedFilespec, [b, n]),
        lambda b, n: np.array(b"ckpt-?????-of-00003", dtype=object),
        [np.array(b"ckpt", dtype=object), np.array(3, np.int32)],
        grad=False,
    ),
]

_WHERE = (
    "files, not values: tests/ops/test_checkpoint_ops.py and tests/interop/test_saver_subgraph.py"
)
EXEMPT = {
    "SaveV2": _WHERE,
    "RestoreV2": _WHERE,
    "MergeV2Checkpoints": _WHERE,
}
