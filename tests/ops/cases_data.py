"""Op-table entries for tf.data's iterator ops (stateful: tested as pipelines)."""

EXEMPT = {
    "MakeIterator": "an iterator's initializer; tests/data/test_dataset.py",
    "IteratorGetNext": "an iterator's next element; tests/data/test_dataset.py",
}
CASES: list = []
