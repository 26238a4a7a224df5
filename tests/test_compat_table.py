"""docs/compat.md is current (scripts/compat_table.py would write it as committed), and a name
TensorFlow 1.15 has but flowzero lacks is an AttributeError that says so."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

import flowzero as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _generator():
    path = os.path.join(ROOT, "scripts", "compat_table.py")
    spec = importlib.util.spec_from_file_location("compat_table", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_table_is_what_the_generator_writes_now():
    with open(os.path.join(ROOT, "docs", "compat.md")) as f:
        committed = f.read()
    assert committed == _generator().render(), (
        "docs/compat.md is out of date (a public name was added or removed): run "
        "python scripts/compat_table.py"
    )


def test_table_counts_the_names_flowzero_has():
    table = _generator().status()
    root = dict(table[""])
    assert root["einsum"] and root["segment_sum"] and root["Session"]
    assert not root["CriticalSection"]
    assert dict(table["linalg"])["svd"] and dict(table["signal"])["rfft"]


@pytest.mark.parametrize(
    "path",
    [
        "CriticalSection",
        "nn.quantized_max_pool",
        "train.SyncReplicasOptimizer",
        "LMDBReader",
        "quantize",
        "fake_quant_with_min_max_args",
        "train.replica_device_setter",
        "nn.quantized_conv2d",
    ],
)
def test_a_tensorflow_name_flowzero_lacks_says_so(path):
    *ns, name = path.split(".")
    obj = tf
    for part in ns:
        obj = getattr(obj, part)
    with pytest.raises(
        AttributeError,
        match=rf"does not implement tf\.{path} \(TF 1\.15 has "
        r"it\); docs/compat\.md",
    ) as info:
        getattr(obj, name)
    assert info.value.name == name
    assert not hasattr(obj, name)


def test_a_typo_keeps_pythons_suggestion():
    # The interpreter's own error display (sys.__excepthook__, what an uncaught error shows)
    # adds "Did you mean"; one fresh interpreter shows both errors, split by a marker line.
    script = (
        "import sys, flowzero as tf\n"
        "for get in (lambda: tf.nn.reluu, lambda: tf.CriticalSection):\n"
        "    try:\n"
        "        get()\n"
        "    except AttributeError as e:\n"
        "        sys.__excepthook__(type(e), e, e.__traceback__)\n"
        "        print('-- next --', file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
        timeout=120,
    )
    typo, missing, rest = out.stderr.split("-- next --\n")
    assert rest == "", out.stderr
    assert "module 'flowzero.nn' has no attribute 'reluu'" in typo
    assert "Did you mean: 'relu'" in typo
    assert "does not implement tf.CriticalSection" in missing
    assert "Did you mean" not in missing
