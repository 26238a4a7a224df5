"""Op-table entries for TF's checkpoint ops (SaveV2, RestoreV2, MergeV2Checkpoints): they read
and write files, so they have no forward-vs-reference row; they are not differentiable."""

CASES: list = []

_WHERE = (
    "files, not values: tests/ops/test_checkpoint_ops.py and tests/interop/test_saver_subgraph.py"
)
EXEMPT = {
    "SaveV2": _WHERE,
    "RestoreV2": _WHERE,
    "MergeV2Checkpoints": _WHERE,
}
