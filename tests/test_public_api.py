"""The public TF1 namespace: the names old tutorials use exist; `import flowzero` stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import flowzero as tf

TF0_AND_TF1_NAMES = [
    "sub",
    "mul",
    "neg",
    "div",
    "initialize_all_variables",
    "all_variables",
    "scalar_summary",
    "histogram_summary",
    "merge_all_summaries",
    "Session",
    "InteractiveSession",
    "placeholder",
    "Variable",
    "get_variable",
    "variable_scope",
    "global_variables_initializer",
    "gradients",
    "reduce_sum",
    "reduce_mean",
    "argmax",
    "equal",
    "cast",
    "reshape",
    "matmul",
    "clip_by_global_norm",
    "set_random_seed",
    "newaxis",
]


@pytest.mark.parametrize("name", TF0_AND_TF1_NAMES)
def test_top_level_name_exists(name: str) -> None:
    assert hasattr(tf, name)


@pytest.mark.parametrize(
    "path",
    [
        "nn.relu",
        "nn.softmax_cross_entropy_with_logits",
        "nn.conv2d",
        "nn.max_pool",
        "nn.dropout",
        "layers.dense",
        "layers.batch_normalization",
        "losses.mean_squared_error",
        "train.AdamOptimizer",
        "train.Saver",
        "train.SummaryWriter",
        "train.latest_checkpoint",
        "summary.FileWriter",
        "summary.scalar",
        "contrib.layers.l2_regularizer",
        "errors.OpError",
    ],
)
def test_namespaced_name_exists(path: str) -> None:
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    assert obj is not None


def test_import_stays_light() -> None:
    code = (
        "import sys, flowzero; heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('tensorboard', 'tensorboardX', 'google', 'matplotlib', 'tqdm', 'http', 'scipy')]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
