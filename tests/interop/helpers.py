"""Shared by the TensorFlow-file tests: the fixtures written by real TensorFlow
(tests/fixtures/tf, see scripts/make_tf_fixtures.py) and the op-table graphs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import flowzero as tf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tf"
MODELS = ["convnet", "batchnorm", "lstm"]
# Every model imports (the LSTM's dynamic_rnn is a TF1 dataflow while loop with TensorArrays).
IMPORTABLE = MODELS


def io_spec(model: str) -> dict[str, Any]:
    return json.loads((FIXTURES / model / "io.json").read_text())


def expected(model: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / model / "expected.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def op_table_graph(case: Any) -> tuple[tf.Graph, list[Any], list[tf.Tensor], list[np.ndarray]]:
    """The forward graph of one op-table row: (graph, placeholders, outputs, input arrays)."""
    arrays = case.arrays()
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(7)
        phs = [
            tf.placeholder(tf.as_dtype(a.dtype), a.shape, name=f"x{i}")
            for i, a in enumerate(arrays)
        ]
        out = case.build(*phs)
        outs = [
            o
            for o in (out if isinstance(out, (list, tuple)) else [out])
            if isinstance(o, tf.Tensor)
        ]
    return g, phs, outs, arrays


# Rows whose graphs have no TensorFlow GraphDef form: flowzero's control flow (bodies), its
# TensorArray ops outside a loop's form, softmaxes over an axis other than the last.
NO_TF_FORM = {
    "If",
    "IfSaved",  # (op-table rows: second derivatives through tf.cond have no TF form)
    "While",
    "Softmax",
    "LogSoftmax",
    "SoftmaxCrossEntropyWithLogits",
    "ParseExample",  # its dense defaults are attrs; TF's op takes them as inputs
    "ParseSequenceExample",
    "DatasetCardinality",  # flowzero's dataset pipelines are Python trees, not variant tensors
    "DatasetToSingleElement",
    "ReduceDataset",
    "MatrixExponential",  # TF removed its op (GraphDef version 27): tf.linalg.expm is Python
}


def has_no_tf_form(op_type: str) -> bool:
    return op_type in NO_TF_FORM or op_type.startswith("TensorArray")
