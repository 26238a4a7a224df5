"""Op-table entries for tf.data's ops (the iterator ops are stateful: tested as pipelines)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

EXEMPT = {
    "MakeIterator": "an iterator's initializer; tests/data/test_dataset.py",
    "IteratorGetNext": "an iterator's next element; tests/data/test_dataset.py",
    "IteratorToStringHandle": "an iterator's handle; tests/data/test_dataset_more.py",
}
CASES: list = [
    OpCase(
        "DatasetCardinality",
        lambda x: tf.data.experimental.cardinality(
            tf.data.Dataset.from_tensor_slices(x).batch(4).repeat(3)
        ),
        lambda x: np.int64(3 * -(-len(x) // 4)),
        [np.arange(10, dtype=np.float32)],
        name="slices_batch_repeat",
        grad=False,
    ),
    OpCase(
        "DatasetToSingleElement",
        lambda x: tf.data.experimental.get_single_element(
            tf.data.Dataset.from_tensors(x).map(lambda v: v * 2.0)
        ),
        lambda x: x * 2.0,
        [np.arange(6, dtype=np.float32).reshape(2, 3)],
        name="from_tensors_map",
        grad=False,
    ),
    OpCase(
        "ReduceDataset",
        lambda x: tf.data.Dataset.from_tensor_slices(x).reduce(np.float32(0), lambda s, v: s + v),
        lambda x: np.float32(x.sum()),
        [np.arange(5, dtype=np.float32)],
        name="sum",
        grad=False,
    ),
]
