"""tf.data: input pipelines (`Dataset`) and the iterators that feed a graph from them."""

from flowzero.data.dataset import (
    Dataset,
    Iterator,
    make_initializable_iterator,
    make_one_shot_iterator,
)
from flowzero.data.dataset_ops import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    DatasetSpec,
    NumpyIterator,
    get_output_classes,
    get_output_shapes,
    get_output_types,
)
from flowzero.data.options import Options, ThreadingOptions
from flowzero.data.readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset

__all__ = [
    "AUTOTUNE",
    "Dataset",
    "DatasetSpec",
    "INFINITE_CARDINALITY",
    "NumpyIterator",
    "Options",
    "ThreadingOptions",
    "UNKNOWN_CARDINALITY",
    "experimental",
    "get_output_classes",
    "get_output_shapes",
    "get_output_types",
    "FixedLengthRecordDataset",
    "Iterator",
    "TFRecordDataset",
    "TextLineDataset",
    "make_initializable_iterator",
    "make_one_shot_iterator",
]


def __getattr__(name: str) -> object:
    """tf.data.experimental, imported on first use; a name TF 1.15's tf.data has and flowzero
    lacks says so (flowzero.compat)."""
    import importlib

    if name == "experimental":
        module = importlib.import_module("flowzero.data.experimental")
        globals()[name] = module
        return module

    from flowzero.compat import missing_attribute

    raise missing_attribute("data", name, importlib.import_module(__name__))
