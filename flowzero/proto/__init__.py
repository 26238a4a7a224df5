"""TensorFlow's protobuf messages (GraphDef, MetaGraphDef, SavedModel, ...) for flowzero.

The schemas (`*.proto` here) are TensorFlow's, cut down to the fields flowzero uses; the
`*_pb2.py` modules are generated from them by scripts/gen_protos.py. Importing this package is
free: `google.protobuf` loads only when a message class is first asked for, e.g.
`flowzero.proto.GraphDef` or `from flowzero.proto import graph_pb2`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public message name -> the generated module that defines it.
MESSAGES: dict[str, str] = {
    "DataType": "types_pb2",
    "TensorShapeProto": "tensor_shape_pb2",
    "ResourceHandleProto": "resource_handle_pb2",
    "TensorProto": "tensor_pb2",
    "VariantTensorDataProto": "tensor_pb2",
    "AttrValue": "attr_value_pb2",
    "NameAttrList": "attr_value_pb2",
    "NodeDef": "node_def_pb2",
    "OpDef": "op_def_pb2",
    "OpList": "op_def_pb2",
    "FunctionDef": "function_pb2",
    "FunctionDefLibrary": "function_pb2",
    "GradientDef": "function_pb2",
    "VersionDef": "versions_pb2",
    "GraphDef": "graph_pb2",
    "SaverDef": "saver_pb2",
    "VariableDef": "variable_pb2",
    "QueueRunnerDef": "queue_runner_pb2",
    "SaveSliceInfoDef": "variable_pb2",
    "MetaGraphDef": "meta_graph_pb2",
    "CollectionDef": "meta_graph_pb2",
    "TensorInfo": "meta_graph_pb2",
    "SignatureDef": "meta_graph_pb2",
    "AssetFileDef": "meta_graph_pb2",
    "SavedModel": "saved_model_pb2",
    "TensorSliceProto": "tensor_slice_pb2",
    "BundleHeaderProto": "tensor_bundle_pb2",
    "BundleEntryProto": "tensor_bundle_pb2",
    "CheckpointState": "checkpoint_state_pb2",
    "BytesList": "feature_pb2",
    "FloatList": "feature_pb2",
    "Int64List": "feature_pb2",
    "Feature": "feature_pb2",
    "Features": "feature_pb2",
    "FeatureList": "feature_pb2",
    "FeatureLists": "feature_pb2",
    "Example": "example_pb2",
    "SequenceExample": "example_pb2",
    "TensorDescription": "tensor_description_pb2",
    "NodeOutput": "step_stats_pb2",
    "NodeExecStats": "step_stats_pb2",
    "DeviceStepStats": "step_stats_pb2",
    "StepStats": "step_stats_pb2",
    "RunMetadata": "config_pb2",
    "ConfigProto": "config_pb2",
    "GPUOptions": "config_pb2",
    "GraphOptions": "config_pb2",
    "OptimizerOptions": "config_pb2",
    "RewriterConfig": "config_pb2",
    "ThreadPoolOptionProto": "config_pb2",
    "RunOptions": "config_pb2",
}


def __getattr__(name: str) -> Any:
    module = MESSAGES.get(name)
    if module is None:
        raise AttributeError(f"module 'flowzero.proto' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"flowzero.proto.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *MESSAGES])
