"""flowzero: TensorFlow 1.x graph mode, rebuilt from zero on NumPy.

    import flowzero as tf

This module is the public TF1 namespace only: re-exports, plus the TF 0.x aliases that old
tutorials use (tf.sub, tf.mul, tf.neg, tf.div, tf.initialize_all_variables).
"""

from flowzero import (
    compat,
    contrib,
    data,
    layers,
    losses,
    nn,
    train,
)
from flowzero import interop as _interop  # noqa: F401 - Graph.as_graph_def (loads lazily)
from flowzero import ops as _ops  # noqa: F401 - registers every op type
from flowzero.autodiff import gradients
from flowzero.behavior import *  # noqa: F403
from flowzero.compat import (
    disable_eager_execution,
    disable_v2_behavior,
    enable_v2_behavior,
    executing_eagerly,
)
from flowzero.framework import errors, nest
from flowzero.framework import registry as _registry
from flowzero.framework.dtypes import (
    DType,
    as_dtype,
    bool,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    variant,
)
from flowzero.framework.graph import (
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    add_to_collection,
    add_to_collections,
    control_dependencies,
    convert_to_tensor,
    device,
    get_collection,
    get_collection_ref,
    get_default_graph,
    get_seed,
    name_scope,
    reset_default_graph,
    set_random_seed,
)
from flowzero.framework.registry import RegisterGradient
from flowzero.framework.registry import not_differentiable as NoGradient  # noqa: N812
from flowzero.framework.registry import not_differentiable as NotDifferentiable  # noqa: N812
from flowzero.framework.registry import not_differentiable as no_gradient
from flowzero.framework.shapes import Dimension, TensorShape
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorSpec, SparseTensorValue
from flowzero.framework.specs import (
    AggregationMethod,
    DeviceSpec,
    TensorSpec,
    UnconnectedGradients,
    VariableAggregation,
    VariableSynchronization,
)
from flowzero.gradient_util import *  # noqa: F403
from flowzero.nn import sigmoid, tanh
from flowzero.ops.array_ops import *  # noqa: F403
from flowzero.ops.batch_space_ops import *  # noqa: F403
from flowzero.ops.cast_ops import *  # noqa: F403
from flowzero.ops.check_ops import *  # noqa: F403
from flowzero.ops.complex_ops import *  # noqa: F403
from flowzero.ops.control_flow_ops import case, cond, while_loop
from flowzero.ops.control_ops import group, identity, no_op, stop_gradient
from flowzero.ops.control_ops import tuple_ as tuple  # noqa: A001
from flowzero.ops.decode_ops import *  # noqa: F403
from flowzero.ops.decomposition_ops import *  # noqa: F403
from flowzero.ops.division_ops import *  # noqa: F403
from flowzero.ops.einsum_ops import *  # noqa: F403
from flowzero.ops.functional_ops import foldl, foldr, map_fn, scan
from flowzero.ops.histogram_ops import *  # noqa: F403
from flowzero.ops.indexed_slices import *  # noqa: F403
from flowzero.ops.indexing_ops import *  # noqa: F403
from flowzero.ops.io_ops import *  # noqa: F403
from flowzero.ops.linalg_more_ops import *  # noqa: F403
from flowzero.ops.linalg_ops import *  # noqa: F403
from flowzero.ops.logging_ops import Assert, Print
from flowzero.ops.logging_ops import print_v2 as print  # noqa: A001
from flowzero.ops.logic_ops import *  # noqa: F403
from flowzero.ops.lu_ops import *  # noqa: F403
from flowzero.ops.manip_ops import *  # noqa: F403
from flowzero.ops.math_ops import *  # noqa: F403
from flowzero.ops.matrix_function_ops import *  # noqa: F403
from flowzero.ops.matrix_ops import *  # noqa: F403
from flowzero.ops.more_math_ops import *  # noqa: F403
from flowzero.ops.numerics_ops import *  # noqa: F403
from flowzero.ops.parsing_ops import *  # noqa: F403
from flowzero.ops.parsing_seq_ops import *  # noqa: F403
from flowzero.ops.partition_ops import *  # noqa: F403
from flowzero.ops.random_ops import *  # noqa: F403
from flowzero.ops.range_ops import *  # noqa: F403
from flowzero.ops.reduction_ops import *  # noqa: F403
from flowzero.ops.reshape_ops import *  # noqa: F403
from flowzero.ops.scan_ops import cumprod, cumsum
from flowzero.ops.scatter_ops import *  # noqa: F403
from flowzero.ops.script_ops import custom_gradient, numpy_function, py_func
from flowzero.ops.segment_ops import *  # noqa: F403
from flowzero.ops.select_ops import *  # noqa: F403
from flowzero.ops.sequence_ops import *  # noqa: F403
from flowzero.ops.shape_ops import *  # noqa: F403
from flowzero.ops.slicing_ops import *  # noqa: F403
from flowzero.ops.solve_ops import *  # noqa: F403
from flowzero.ops.sort_ops import *  # noqa: F403
from flowzero.ops.space_ops import *  # noqa: F403
from flowzero.ops.sparse_array_ops import *  # noqa: F403
from flowzero.ops.sparse_binary_ops import *  # noqa: F403
from flowzero.ops.sparse_math_ops import *  # noqa: F403
from flowzero.ops.sparse_ops import *  # noqa: F403
from flowzero.ops.sparse_serialize_ops import *  # noqa: F403
from flowzero.ops.special_more_ops import *  # noqa: F403
from flowzero.ops.special_ops import *  # noqa: F403
from flowzero.ops.spectral_ops import *  # noqa: F403
from flowzero.ops.state_ops import (
    assign,
    assign_add,
    assign_sub,
    count_up_to,
    is_variable_initialized,
)
from flowzero.ops.stateless_random_ops import *  # noqa: F403
from flowzero.ops.string_convert_ops import *  # noqa: F403
from flowzero.ops.string_hash_ops import *  # noqa: F403
from flowzero.ops.string_ops import *  # noqa: F403
from flowzero.ops.string_seq_ops import *  # noqa: F403
from flowzero.ops.tensor_array_ops import TensorArray
from flowzero.ops.trig_ops import *  # noqa: F403
from flowzero.ops.unary_ops import *  # noqa: F403
from flowzero.runtime.session import InteractiveSession, Session, get_default_session
from flowzero.templates import *  # noqa: F403
from flowzero.tensor_util import *  # noqa: F403
from flowzero.train.clip import *  # noqa: F403
from flowzero.variables import (
    AUTO_REUSE,
    Variable,
    VariableScope,
    all_variables,
    constant_initializer,
    get_variable,
    get_variable_scope,
    global_variables,
    global_variables_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    initialize_all_variables,
    initialize_local_variables,
    initialize_variables,
    local_variables,
    local_variables_initializer,
    model_variables,
    ones_initializer,
    orthogonal_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    report_uninitialized_variables,
    trainable_variables,
    truncated_normal_initializer,
    uniform_unit_scaling_initializer,
    variable_scope,
    variables_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)

# TF 1.15's sub-namespaces (tf.math, tf.linalg, tf.random, ...), bound to the functions above,
# and tf.compat.v1 (flowzero itself); disable_v2_behavior() and friends are accepted no-ops.
globals().update(compat.build(__import__(__name__)))
compat.v1 = __import__("importlib").import_module("flowzero.compat.v1")

# Imported on first use, so that `import flowzero` stays light: tf.summary, tf.saved_model,
# tf.metrics, tf.image, tf.estimator, tf.feature_column, the queues (tf.FIFOQueue, ...), and the
# TF 0.x summary names that old tutorials use.
_LAZY_MODULES = frozenset(
    {"summary", "saved_model", "metrics", "image", "estimator", "feature_column", "audio", "python"}
)
# TF1's process-level modules (flowzero/platform/), also on first use.
_PLATFORM = {"app": "app", "flags": "flags", "logging": "tf_logging", "gfile": "gfile"}
_QUEUES = frozenset({"QueueBase", "FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue"})
# TF1's readers for queue pipelines (flowzero/ops/reader_ops.py), also on first use.
_READERS = frozenset(
    {
        "ReaderBase",
        "WholeFileReader",
        "TextLineReader",
        "TFRecordReader",
        "FixedLengthRecordReader",
        "IdentityReader",
    }
)
# TensorFlow's file formats (flowzero/interop, protobuf), also on first use.
_PROTO_NAMES = frozenset(
    {
        "GraphDef",
        "NodeDef",
        "AttrValue",
        "NameAttrList",
        "TensorProto",
        "TensorShapeProto",
        "MetaGraphDef",
        "SaverDef",
        "SignatureDef",
        "TensorInfo",
        "CollectionDef",
        "VersionDef",
        "OpDef",
        "OpList",
        "FunctionDef",
        "FunctionDefLibrary",
        "VariableDef",
        "SavedModel",
        # TF1's session and run options (flowzero/runtime/options.py)
        "ConfigProto",
        "GPUOptions",
        "GraphOptions",
        "OptimizerOptions",
        "RunOptions",
        "RunMetadata",
    }
)
_INTEROP = {
    "import_graph_def": ("flowzero.interop.importer", "import_graph_def"),
    "graph_util": ("flowzero.interop.graph_util", None),
    # TF1's summary protos: tensorboard's (the `tensorboard` extra), as tf.summary uses them.
    "Summary": ("tensorboard.compat.proto.summary_pb2", "Summary"),
    "SummaryMetadata": ("tensorboard.compat.proto.summary_pb2", "SummaryMetadata"),
    "HistogramProto": ("tensorboard.compat.proto.summary_pb2", "HistogramProto"),
    "Event": ("tensorboard.compat.proto.event_pb2", "Event"),
    "SessionLog": ("tensorboard.compat.proto.event_pb2", "SessionLog"),
}
_SUMMARY_ALIASES = {
    "scalar_summary": "scalar",
    "histogram_summary": "histogram",
    "image_summary": "image",
    "merge_summary": "merge",
    "merge_all_summaries": "merge_all",
}


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY_MODULES:
        value: object = importlib.import_module(f"flowzero.{name}")
    elif name in _PLATFORM:
        value = importlib.import_module(f"flowzero.platform.{_PLATFORM[name]}")
    elif name == "io":  # tf.io: its gfile so far
        value = compat.Namespace("flowzero.io", "tf.io: TF 1.15's names that flowzero implements.")
        value.gfile = importlib.import_module("flowzero.platform.gfile")  # type: ignore[attr-defined]
    elif name == "python_io":  # tf.python_io: TFRecord files
        value = compat.Namespace("flowzero.python_io", "tf.python_io: TFRecord files.")
        tf_record = importlib.import_module("flowzero.platform.tf_record")
        for n in tf_record.__all__:
            setattr(value, n, getattr(tf_record, n))
    elif name == "test":  # tf.test: TestCase, main, compute_gradient(_error), GPU queries
        value = importlib.import_module("flowzero.testing.tf_test")
    elif name in ("enable_eager_execution", "GradientTape"):
        value = getattr(importlib.import_module("flowzero.eager"), name)
    elif name in _QUEUES:
        value = getattr(importlib.import_module("flowzero.ops.data_flow_ops"), name)
    elif name in _READERS:
        value = getattr(importlib.import_module("flowzero.ops.reader_ops"), name)
    elif name in _PROTO_NAMES:  # tf.GraphDef, tf.MetaGraphDef, ...: TF's protobuf messages
        value = getattr(importlib.import_module("flowzero.proto"), name)
    elif name in _INTEROP:
        module, attr = _INTEROP[name]
        value = importlib.import_module(module)
        value = getattr(value, attr) if attr else value
    elif name in _SUMMARY_ALIASES:
        value = getattr(importlib.import_module("flowzero.summary"), _SUMMARY_ALIASES[name])
    else:
        raise compat.missing_attribute("", name, importlib.import_module(__name__))
    globals()[name] = value
    return value


__version__ = "0.1.0"

# Op modules loaded on first use: a saved graph that holds their ops (a summary, a queue, a
# reader) must still import in a program that never touched them.
_LAZY_OP_MODULES = (
    "flowzero.summary.summary_ops",
    "flowzero.summary.tensor_audio",
    "flowzero.ops.data_flow_ops",
    "flowzero.ops.reader_ops",
    "flowzero.distributed.ops",
)


def _load_lazy_op_modules(type_name: str) -> None:
    import importlib

    for module in _LAZY_OP_MODULES:
        importlib.import_module(module)


_registry.on_missing_op_type(_load_lazy_op_modules)
