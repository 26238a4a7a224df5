"""The one table of how flowzero op types read and write as TensorFlow NodeDefs.

Most flowzero op types are TF's own, with TF's attrs. What differs is listed here and only here:

- export (`export_node`): TF's type attrs (`T`, `Tidx`, `Tshape`, ...) that flowzero infers
  from its inputs instead; flowzero-only attrs left out (BiasAdd's `axis`); reductions and
  ArgMax, whose axis flowzero keeps as an attr while TF reads it from a second input (a Const
  node is added); a read of a reference variable is TF's `Identity`; queue and reader ops,
  which carry their queue's (reader's) attrs, take a handle node written once per queue.
- import (`IMPORTERS`, `import_attrs`): the reverse, plus TF op types that flowzero builds from
  its own ops (`AddV2` -> `Add`, `VarHandleOp` -> `VariableV2`, `FusedBatchNormV3` for
  inference -> its arithmetic); TF's queue / reader handle nodes become the attrs of the
  flowzero ops that use them (`Handle`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Graph, Operation, Tensor
from flowzero.framework.registry import get_op_class
from flowzero.framework.shapes import TensorShape
from flowzero.interop import convert, dataset_forms, grad_forms, lstm_forms, tensor_lists
from flowzero.ops import tensor_array_ops

# -- export ---------------------------------------------------------------------------------
# Attrs that flowzero keeps for itself (never written to a NodeDef).
_FLOWZERO_ONLY: dict[str, frozenset[str]] = {
    "BiasAdd": frozenset({"axis"}),
    "BiasAddGrad": frozenset({"axis"}),
    "Softmax": frozenset({"axis"}),
    "LogSoftmax": frozenset({"axis"}),
    "SoftmaxCrossEntropyWithLogits": frozenset({"axis"}),
    "Assign": frozenset({"dtype", "var_shape"}),
    "Conv2D": frozenset({"pad_arg"}),  # the padding as given, for error messages
    "MaxPool": frozenset({"pad_arg"}),
    "AvgPool": frozenset({"pad_arg"}),
}
# Attrs TF added after 1.15 whose default value is omitted, so that older TF reads the node.
_OMIT_IF_DEFAULT = {"explicit_paddings": [], "dilations": [1, 1, 1, 1]}
# flowzero op types whose inputs differ from TF's op of the same name.
_NO_TF_FORM = frozenset(
    {
        "TensorArrayPopBack",  # flowzero's forms of TF 2.x's TensorList ops (import only)
        "TensorArraySetItem",
        "ParseExample",  # TF's takes the dense defaults (and keys) as inputs, not attrs
        "ParseSequenceExample",  # the same
        # flowzero's dataset pipeline (a tree of Python nodes), not TF's variant tensors
        "DatasetCardinality",
        "DatasetToSingleElement",
        "ReduceDataset",
        "MatrixExponential",  # TF: removed at GraphDef version 27 (expm is Python code in TF)
    }
)
# Summary ops whose tag flowzero keeps as an attr (TF: a string input).
_TAGGED_SUMMARIES = frozenset({"ScalarSummary", "HistogramSummary", "ImageSummary"})
SUMMARY_TYPES = _TAGGED_SUMMARIES | {"MergeSummary"}
_REDUCTIONS = frozenset({"Sum", "Mean", "Max", "Min", "Prod", "All", "Any"})
_NO_INPUT_T = frozenset(
    {
        "Const",
        "Placeholder",
        "VariableV2",
        "NoOp",
        "PlaceholderWithDefault",
        "RandomStandardNormal",
        "RandomUniform",
        "TruncatedNormal",
        "IsVariableInitialized",
        "Range",
        "LinSpace",
        "Shape",
        "Size",
        "Rank",
        "Cast",
        "GatherV2",
        "RandomUniformInt",
        "ReportUninitializedVariables",
    }
)

# TF's type attrs that are not input 0's dtype, read off the op's inputs: op type -> {attr:
# input index}; None drops the attr (TF's op has no `T`).
_SEGMENT = {"Tindices": 1, "Tnumsegments": 2}
_SPARSE_VALUES = {"T": 1}
_TYPE_OF_INPUT: dict[str, dict[str, int | None]] = {
    "MatrixBandPart": {"Tindex": 1},
    "SelectV2": {"T": 1},
    **{f"TensorScatter{k}": {"Tindices": 1} for k in ("Update", "Add", "Sub", "Max", "Min")},
    **{f"Segment{k}": {"Tindices": 1} for k in ("Sum", "Mean", "Max", "Min", "Prod")},
    **{f"UnsortedSegment{k}": _SEGMENT for k in ("Sum", "Max", "Min", "Prod")},
    "UnsortedSegmentJoin": {**_SEGMENT, "T": None},
    "Bincount": {"T": 2},
    "ReverseSequence": {"Tlen": 1},
    "Roll": {"Tshift": 1, "Taxis": 2},
    "UnravelIndex": {"Tidx": 0, "T": None},
    "SparseToDense": {"Tindices": 0, "T": 2},
    "SparseTensorDenseMatMul": {"Tindices": 0, "T": 1},
    **{
        k: _SPARSE_VALUES
        for k in (
            "SparseReduceSum",
            "SparseReduceMax",
            "SparseReduceSumSparse",
            "SparseReduceMaxSparse",
            "SparseReorder",
            "SparseFillEmptyRows",
            "SparseSoftmax",
            "SparseSparseMaximum",
            "SparseSparseMinimum",
            "EditDistance",
        )
    },
    "SparseAdd": {"T": 1, "Treal": 6},
    "DenseCountSparseOutput": {"output_type": 1},
    "SparseCountSparseOutput": {"T": 1, "output_type": 3},
    "Substr": {"T": 1},
    "StringNGrams": {"Tsplits": 1, "T": None},
    "UnicodeEncode": {"Tsplits": 1, "T": None},
    "Conv3DBackpropInputV2": {"T": 1, "Tshape": 0},
    "NonMaxSuppressionV3": {"T_threshold": 3},
    "StatelessRandomPoisson": {"Tseed": 1, "Rtype": 2},
    "StatelessRandomBinomial": {"S": 0, "Tseed": 1, "T": 2},
    "RandomPoissonV2": {"S": 0, "R": 1, "T": None},
    "StatelessParameterizedTruncatedNormal": {"S": 0, "Tseed": 1, "T": None},
}
# The sparse update ops (flowzero/train/): where `indices` sits among their inputs.
_SPARSE_APPLY_INDICES = {
    "SparseApplyMomentum": 4,
    "SparseApplyAdagrad": 4,
    "SparseApplyRMSProp": 8,
    "SparseApplyCenteredRMSProp": 9,
    "SparseApplyAdadelta": 7,
    "SparseApplyFtrl": 4,
    "SparseApplyFtrlV2": 4,
    "SparseApplyProximalAdagrad": 6,
    "SparseApplyProximalGradientDescent": 5,
    "SparseApplyAdagradDA": 4,
}
_TYPE_OF_INPUT.update({t: {"Tindices": i} for t, i in _SPARSE_APPLY_INDICES.items()})
_TYPE_OF_INPUT.update(
    {f"Scatter{k}": {"Tindices": 1} for k in ("Update", "Add", "Sub", "Mul", "Div", "Max", "Min")}
)


class ExportedNode:
    """What export_node makes of one Operation: its TF type, attrs, inputs, any extra nodes
    (name, type, inputs, attrs) that must precede it (e.g. a reduction's axis Const), nodes
    that follow it (`after`), and outputs of the Operation that are other nodes' tensors in
    TF's form (`renames`: output index -> tensor reference).

    `handles` are nodes that several ops share, written once per graph (a queue's or a
    reader's handle): (input position, key, name, type, attrs); the writer puts the name it
    gave the node at that position of `inputs`."""

    __slots__ = ("op_type", "attrs", "inputs", "extra", "after", "renames", "handles")

    def __init__(self, op_type: str, attrs: dict[str, Any], inputs: list[str]) -> None:
        self.op_type = op_type
        self.attrs = attrs
        self.inputs = inputs
        self.extra: list[tuple[str, str, list[str], dict[str, Any]]] = []
        self.after: list[tuple[str, str, list[str], dict[str, Any]]] = []
        self.renames: dict[int, str] = {}
        self.handles: list[tuple[int, str, str, str, dict[str, Any]]] = []


def tensor_ref(t: Tensor) -> str:
    """A NodeDef input string: `node` for output 0, else `node:i`."""
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def _const_node(name: str, value: np.ndarray) -> tuple[str, str, list[str], dict[str, Any]]:
    arr = np.asarray(value)
    return (name, "Const", [], {"dtype": dtypes.as_dtype(arr.dtype), "value": arr})


def export_node(op: Operation) -> ExportedNode:
    """The TF NodeDef form of a flowzero Operation (before protobuf encoding)."""
    if op.type in QUEUE_OP_TYPES or op.type in READER_OP_TYPES:
        return _export_queue_op(op)
    ins = list(op.inputs)
    node = ExportedNode(op.type, {}, [tensor_ref(t) for t in ins])
    drop = _FLOWZERO_ONLY.get(op.type, frozenset())
    for key, value in op.opdef.attrs.items():
        if key in drop or key.startswith("_") or value is None:
            continue
        if convert.attr_value(value) is None:
            raise errors.UnimplementedError(
                None,
                None,
                f"{op.type} '{op.name}': attr '{key}' (a "
                f"{type(value).__name__}) has no TensorFlow GraphDef form (flowzero's "
                "control-flow bodies are not exported to TensorFlow's format yet).",
            )
        if key in _OMIT_IF_DEFAULT and list(value) == _OMIT_IF_DEFAULT[key]:
            continue
        node.attrs[key] = value
    a = node.attrs
    t = op.type
    if t in _NO_TF_FORM:
        raise errors.UnimplementedError(
            None,
            None,
            f"{t} '{op.name}': flowzero's {t} has no TensorFlow GraphDef form (TF's op of "
            "that name takes other inputs, or TF has none).",
        )
    if t in lstm_forms.TYPES:
        lstm_forms.export(op, node)
        return node
    if ins and t not in _NO_INPUT_T and t not in ("All", "Any"):
        a.setdefault("T", ins[0].dtype)
    if t == "ReadVariableOp":
        node.op_type = "Identity"  # a read of a reference (VariableV2) variable
    elif t == "VariableV2":
        a.update(container="", shared_name="")
    elif t == "Assign":
        a.update(T=ins[1].dtype, use_locking=True)
    elif t in ("AssignAdd", "AssignSub"):
        a.update(T=ins[1].dtype, use_locking=False)
    elif t == "PlaceholderWithDefault":
        a["dtype"] = ins[0].dtype
        a.pop("T", None)
    elif t == "DecodeCSV":  # TF: the separator as a string, the defaults' types as OUT_TYPE
        a.pop("T", None)
        a["OUT_TYPE"] = [x.dtype for x in ins[1:]]
        a["field_delim"] = chr(a["field_delim"])
    elif t == "Const":
        a["value"] = np.asarray(a["value"])
    elif t in ("Softmax", "LogSoftmax", "SoftmaxCrossEntropyWithLogits"):
        axis = op.opdef.attrs.get("axis", -1)
        rank = ins[0].shape.ndims
        if axis != -1 and (rank is None or axis != rank - 1):
            raise errors.UnimplementedError(
                None,
                None,
                f"{t} '{op.name}': TensorFlow's {t} works on the last axis only; "
                f"this one uses axis {axis}.",
            )
    elif t in _REDUCTIONS or t in ("ArgMax", "ArgMin"):
        _export_axis(op, node)
    elif t == "Cast":
        a["Truncate"] = False
    elif t in ("Reshape",):
        a["Tshape"] = ins[1].dtype
    elif t in ("ConcatV2",):
        a.update(N=len(ins) - 1, Tidx=ins[-1].dtype)
    elif t == "ExpandDims":
        a["Tdim"] = ins[1].dtype
    elif t == "Fill":
        a.update(T=ins[1].dtype, index_type=ins[0].dtype)
    elif t == "Range":
        a["Tidx"] = ins[0].dtype
    elif t == "LinSpace":
        a.update(T=ins[0].dtype, Tidx=ins[2].dtype)
    elif t == "Transpose":
        a["Tperm"] = ins[1].dtype
    elif t in ("Pad", "PadV2", "MirrorPad"):
        a["Tpaddings"] = ins[1].dtype
    elif t == "Tile":
        a["Tmultiples"] = ins[1].dtype
    elif t in ("Slice", "StridedSlice"):
        a["Index"] = ins[1].dtype
    elif t in _TAGGED_SUMMARIES:  # TF reads the tag from a string input
        tag = a.pop("tag")
        node.extra.append(
            _const_node(
                f"{op.name}/tag",
                np.array(tag.encode() if isinstance(tag, str) else tag, dtype=object),
            )
        )
        node.inputs.insert(0, f"{op.name}/tag")
        if t == "ImageSummary":
            a["bad_color"] = np.asarray(a.get("bad_color", [255, 0, 0, 255]), np.uint8)
    elif t == "MergeSummary":
        a.pop("T", None)
        a["N"] = len(ins)
    elif t == "MatMul" and any((x.shape.ndims or 2) > 2 for x in ins):
        node.op_type = "BatchMatMulV2"
        a["adj_x"], a["adj_y"] = a.pop("transpose_a", False), a.pop("transpose_b", False)
    elif t in ("Conv2DBackpropInput", "AvgPoolGrad", "FractionalAvgPoolGrad"):
        a["T"] = ins[1].dtype
    elif t == "ScatterNd":
        a.update(T=ins[1].dtype, Tindices=ins[0].dtype)
    elif t == "StridedSliceGrad":
        a.update(T=ins[4].dtype, Index=ins[0].dtype)
    elif t == "Print":
        a["U"] = [x.dtype for x in ins[1:]]
    elif t == "Assert":  # (condition, *data): T lists the data's types
        a["T"] = [x.dtype for x in ins[1:]]
    elif t == "IdentityN":
        a["T"] = [x.dtype for x in ins]
    elif t == "SumTo":
        _export_sum_to(op, node)
    elif t == "GatherGrad":
        _export_gather_grad(op, node)
    elif t == "GatherNd":
        a.pop("T", None)
        a.update(Tparams=ins[0].dtype, Tindices=ins[1].dtype)
    elif t == "GatherV2":
        a.update(Tparams=ins[0].dtype, Tindices=ins[1].dtype, Taxis=ins[2].dtype, batch_dims=0)
    elif t == "Split":
        a["T"] = ins[1].dtype
    elif t == "SplitV":
        a["Tlen"] = ins[1].dtype
    elif t in ("Shape", "Size", "Rank"):
        a["T"] = ins[0].dtype
    elif t in ("Pack", "AddN"):
        a["N"] = len(ins)
    elif t == "OneHot":
        a.update(T=ins[2].dtype, TI=ins[0].dtype)
    elif t in ("Cumsum", "Cumprod", "ReverseV2", "BroadcastTo"):
        a["Tidx"] = ins[1].dtype
    elif t in ("RandomStandardNormal", "RandomUniform", "TruncatedNormal"):
        a.update(T=ins[0].dtype, seed=int(a.get("seed") or 0), seed2=int(a.get("seed2") or 0))
    elif t == "Select":
        a["T"] = ins[1].dtype
    elif t == "SparseSoftmaxCrossEntropyWithLogits":
        a["Tlabels"] = ins[1].dtype
    elif t == "InTopK":
        a["T"] = ins[1].dtype
    elif t == "Conv2D":
        a.setdefault("use_cudnn_on_gpu", True)
    elif t == "IsVariableInitialized":
        a["dtype"] = ins[0].dtype
    elif t == "Einsum":  # TF's kernel: the output spelled out
        a.update(N=len(ins), equation=",".join(a["inputs"]) + "->" + a["output"])
    elif t == "SparseAddGrad":  # TF's has no dense shape input (flowzero's optional one)
        node.inputs = node.inputs[:4]
    elif t == "SparseCross":
        _export_sparse_cross(op, node)
    elif t == "StringJoin":
        a["N"] = len(ins)
    elif t == "DynamicStitch":  # (indices..., data...)
        a.update(N=len(ins) // 2, T=ins[len(ins) // 2].dtype)
    elif t in ("Complex", "Real", "Imag", "ComplexAbs", "Angle"):  # TF's default: 32-bit
        a["Tout"] = op.outputs[0].dtype
    elif t == "StringFormat":
        a["T"] = [x.dtype for x in ins]
    elif t == "ExtractImagePatches":  # flowzero keeps the spatial sizes; TF's are NHWC
        for k in ("ksizes", "strides", "rates"):
            if len(a[k]) == 2:
                a[k] = [1, *a[k], 1]
    for key, at in _TYPE_OF_INPUT.get(t, {}).items():
        if at is None:
            a.pop(key, None)
        else:
            a[key] = ins[at].dtype
    return node


# -- queues and readers: flowzero's ops carry their queue's (reader's) attrs; TF's take the
# handle that a FIFOQueueV2 / ... (TextLineReaderV2 / ...) node makes as input 0
# (ReaderReadV2 / ReaderReadUpToV2: the reader's, then the queue's).
QUEUE_HANDLE_TYPES = {
    "FIFOQueue": "FIFOQueueV2",
    "RandomShuffleQueue": "RandomShuffleQueueV2",
    "PaddingFIFOQueue": "PaddingFIFOQueueV2",
}
READER_HANDLE_TYPES = {
    k: f"{k}V2"
    for k in (
        "TextLineReader",
        "FixedLengthRecordReader",
        "WholeFileReader",
        "TFRecordReader",
        "IdentityReader",
    )
}
QUEUE_OP_TYPES = frozenset(
    {
        "QueueEnqueueV2",
        "QueueEnqueueManyV2",
        "QueueDequeueV2",
        "QueueDequeueManyV2",
        "QueueDequeueUpToV2",
        "QueueCloseV2",
        "QueueSizeV2",
        "QueueIsClosedV2",
    }
)
READER_OP_TYPES = frozenset(
    {
        "ReaderReadV2",
        "ReaderReadUpToV2",
        "ReaderNumRecordsProducedV2",
        "ReaderNumWorkUnitsCompletedV2",
        "ReaderResetV2",
    }
)


def _queue_handle(q: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(key, name, type, attrs) of the TF handle node of a flowzero queue's attrs."""
    kind, shapes = q["kind"], q["shapes"]
    attrs: dict[str, Any] = {
        "component_types": list(q["dtypes"]),
        "capacity": int(q["capacity"]),
        "container": "",
        "shared_name": "",
    }
    if kind == "PaddingFIFOQueue":  # (rank known, -1 for the dimensions padded)
        attrs["shapes"] = [TensorShape(list(s)) for s in shapes]
    elif all(s is not None and None not in s for s in shapes):
        attrs["shapes"] = [TensorShape(list(s)) for s in shapes]
    else:  # TF's FIFO and shuffle queues take fully defined shapes, or none at all
        attrs["shapes"] = []
    if kind == "RandomShuffleQueue":
        attrs.update(
            min_after_dequeue=int(q.get("min_after_dequeue", 0)),
            seed=int(q.get("seed") or 0),
            seed2=int(q.get("seed2") or 0),
        )
    return q["queue_key"], q["queue_name"], QUEUE_HANDLE_TYPES[kind], attrs


def _reader_handle(r: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(key, name, type, attrs) of the TF handle node of a flowzero reader's attrs."""
    kind, opts = r["kind"], r["options"]
    attrs: dict[str, Any] = {"container": "", "shared_name": ""}
    if kind == "TextLineReader":
        attrs["skip_header_lines"] = int(opts.get("skip_header_lines", 0))
    elif kind == "FixedLengthRecordReader":
        attrs.update(
            header_bytes=int(opts.get("header_bytes", 0)),
            record_bytes=int(opts["record_bytes"]),
            footer_bytes=int(opts.get("footer_bytes", 0)),
            hop_bytes=0,
            encoding="",
        )
    elif kind == "TFRecordReader":
        attrs["compression_type"] = opts.get("compression", "")
    name = r.get("reader_name") or r["reader_key"]
    return r["reader_key"], name, READER_HANDLE_TYPES[kind], attrs


def _export_queue_op(op: Operation) -> ExportedNode:
    a, t = op.opdef.attrs, op.type
    ins = list(op.inputs)
    node = ExportedNode(t, {}, [""] + [tensor_ref(x) for x in ins])
    if t in READER_OP_TYPES:
        node.handles.append((0, *_reader_handle(a)))
        if t in ("ReaderReadV2", "ReaderReadUpToV2"):
            node.inputs.insert(1, "")
            node.handles.append((1, *_queue_handle(a["queue"])))
        return node
    node.handles.append((0, *_queue_handle(a)))
    if t in ("QueueEnqueueV2", "QueueEnqueueManyV2"):
        node.attrs.update(Tcomponents=[x.dtype for x in ins], timeout_ms=-1)
    elif t in ("QueueDequeueV2", "QueueDequeueManyV2", "QueueDequeueUpToV2"):
        node.attrs.update(component_types=list(a["dtypes"]), timeout_ms=-1)
    elif t == "QueueCloseV2":
        node.attrs["cancel_pending_enqueues"] = bool(a.get("cancel_pending_enqueues", False))
    return node


def _export_sparse_cross(op: Operation, node: ExportedNode) -> None:
    """flowzero's SparseCross takes (indices, values, shape) per sparse input, then the dense
    ones; TF's every indices, then every values, every shape, the dense ones. TF 1.x's
    SparseCross joins with "_X_"; another separator is TF 2's SparseCrossV2 (a `sep` input)."""
    n, ins = int(op.opdef.attrs["n_sparse"]), list(op.inputs)
    sep = op.opdef.attrs["separator"]
    sparse, dense = ins[: 3 * n], ins[3 * n :]
    node.inputs = [tensor_ref(sparse[3 * k + j]) for j in range(3) for k in range(n)]
    node.inputs += [tensor_ref(x) for x in dense]
    node.attrs = {
        "N": n,
        "sparse_types": [sparse[3 * k + 1].dtype for k in range(n)],
        "dense_types": [x.dtype for x in dense],
    }
    if sep != "_X_":
        node.op_type = "SparseCrossV2"
        node.extra.append(_const_node(f"{op.name}/sep", np.array(sep.encode(), dtype=object)))
        node.inputs.append(f"{op.name}/sep")
        return
    strings = all(t is dtypes.string for t in node.attrs["sparse_types"])
    strings = strings and all(t is dtypes.string for t in node.attrs["dense_types"])
    node.attrs.update(
        hashed_output=False,
        num_buckets=0,
        hash_key=0,
        out_type=dtypes.string,
        # TF's python: int64 once any input is int64 (the kernel then prints them)
        internal_type=dtypes.string if strings else dtypes.int64,
    )


def _export_gather_grad(op: Operation, node: ExportedNode) -> None:
    """flowzero's GatherGrad(dy, indices, shape) along axis 0 (the gradient of tf.gather) as
    TF writes the densified gradient: UnsortedSegmentSum of dy's rows (reshaped to
    [-1] + shape[1:]) by the flattened indices into shape[0] segments."""
    dy, indices, shape_ = op.inputs
    if op.opdef.attrs["axis"] != 0:
        _export_gather_grad_along(op, node)
        return
    n, sd = op.name, shape_.dtype
    d_ref, i_ref, s_ref = node.inputs
    slice_attrs = {"T": sd, "Index": dtypes.int32, "begin_mask": 0, "ellipsis_mask": 0}
    slice_attrs["new_axis_mask"] = 0
    node.extra += [
        _const_node(f"{n}/minus_one", np.array([-1], np.int32)),
        (
            f"{n}/flat_indices",
            "Reshape",
            [i_ref, f"{n}/minus_one"],
            {"T": indices.dtype, "Tshape": dtypes.int32},
        ),
        _const_node(f"{n}/zero", np.array([0], np.int32)),
        _const_node(f"{n}/one", np.array([1], np.int32)),
        (
            f"{n}/rows",
            "StridedSlice",
            [s_ref, f"{n}/zero", f"{n}/one", f"{n}/one"],
            {**slice_attrs, "end_mask": 0, "shrink_axis_mask": 1},
        ),
        (
            f"{n}/rest",
            "StridedSlice",
            [s_ref, f"{n}/one", f"{n}/zero", f"{n}/one"],
            {**slice_attrs, "end_mask": 1, "shrink_axis_mask": 0},
        ),
        _const_node(f"{n}/minus_one_s", np.array([-1], sd.np)),
        _const_node(f"{n}/axis0", np.array(0, np.int32)),
        (
            f"{n}/values_shape",
            "ConcatV2",
            [f"{n}/minus_one_s", f"{n}/rest", f"{n}/axis0"],
            {"T": sd, "N": 2, "Tidx": dtypes.int32},
        ),
        (f"{n}/values", "Reshape", [d_ref, f"{n}/values_shape"], {"T": dy.dtype, "Tshape": sd}),
    ]
    node.op_type = "UnsortedSegmentSum"
    node.inputs = [f"{n}/values", f"{n}/flat_indices", f"{n}/rows"]
    node.attrs = {"T": dy.dtype, "Tindices": indices.dtype, "Tnumsegments": sd}


def _export_gather_grad_along(op: Operation, node: ExportedNode) -> None:
    """GatherGrad along axis a != 0, as TF's gradient of GatherV2 writes it: dy reshaped to
    shape[:a] + [-1] + shape[a+1:], the gathered axis transposed to the front, UnsortedSegmentSum
    into shape[a] segments, and the axis transposed back. Needs the rank statically."""
    dy, indices, shape_ = op.inputs
    rank = op.outputs[0].shape.ndims
    if rank is None:
        raise errors.UnimplementedError(
            None,
            None,
            f"GatherGrad '{op.name}': the gradient of a gather along axis "
            f"{op.opdef.attrs['axis']} of a tensor of unknown rank has no TensorFlow GraphDef "
            "form here.",
        )
    a = int(op.opdef.attrs["axis"]) % rank
    n, sd = op.name, shape_.dtype
    d_ref, i_ref, s_ref = node.inputs
    base = {"T": sd, "Index": dtypes.int32, "begin_mask": 0, "ellipsis_mask": 0}
    base["new_axis_mask"] = 0

    def piece(name: str, lo: int, hi: int | None, single: bool = False) -> list[Any]:
        return [
            _const_node(f"{n}/{name}_begin", np.array([lo], np.int32)),
            _const_node(f"{n}/{name}_end", np.array([0 if hi is None else hi], np.int32)),
            _const_node(f"{n}/{name}_strides", np.array([1], np.int32)),
            (
                f"{n}/{name}",
                "StridedSlice",
                [s_ref, f"{n}/{name}_begin", f"{n}/{name}_end", f"{n}/{name}_strides"],
                {**base, "end_mask": int(hi is None), "shrink_axis_mask": int(single)},
            ),
        ]

    perm = [a, *range(a), *range(a + 1, rank)]
    inverse = [perm.index(i) for i in range(rank)]
    node.extra += [
        _const_node(f"{n}/minus_one", np.array([-1], np.int32)),
        (
            f"{n}/flat_indices",
            "Reshape",
            [i_ref, f"{n}/minus_one"],
            {"T": indices.dtype, "Tshape": dtypes.int32},
        ),
        *piece("outer", 0, a),
        *piece("segments", a, a + 1, single=True),
        *piece("inner", a + 1, None),
        _const_node(f"{n}/minus_one_s", np.array([-1], sd.np)),
        _const_node(f"{n}/axis0", np.array(0, np.int32)),
        (
            f"{n}/values_shape",
            "ConcatV2",
            [f"{n}/outer", f"{n}/minus_one_s", f"{n}/inner", f"{n}/axis0"],
            {"T": sd, "N": 3, "Tidx": dtypes.int32},
        ),
        (f"{n}/values", "Reshape", [d_ref, f"{n}/values_shape"], {"T": dy.dtype, "Tshape": sd}),
        _const_node(f"{n}/perm", np.array(perm, np.int32)),
        (
            f"{n}/values_t",
            "Transpose",
            [f"{n}/values", f"{n}/perm"],
            {"T": dy.dtype, "Tperm": dtypes.int32},
        ),
        (
            f"{n}/summed",
            "UnsortedSegmentSum",
            [f"{n}/values_t", f"{n}/flat_indices", f"{n}/segments"],
            {"T": dy.dtype, "Tindices": indices.dtype, "Tnumsegments": sd},
        ),
        _const_node(f"{n}/inverse_perm", np.array(inverse, np.int32)),
    ]
    node.op_type = "Transpose"
    node.inputs = [f"{n}/summed", f"{n}/inverse_perm"]
    node.attrs = {"T": dy.dtype, "Tperm": dtypes.int32}


def _export_sum_to(op: Operation, node: ExportedNode) -> None:
    """flowzero's SumTo(x, shape) (un-broadcasting in gradients) as TF's Sum + Reshape, for a
    target shape known statically (summing over size-1 axes changes nothing); else as TF's own
    gradients write it: Sum over BroadcastGradientArgs(Shape(x), shape)[1], then Reshape."""
    x, target = op.inputs[0], op.outputs[0]
    dims, rank = target.shape.known, x.shape.ndims
    if dims is None or rank is None or any(d is None for d in dims) or len(dims) > rank:
        shape_dt = op.inputs[1].dtype
        args = f"{op.name}/BroadcastGradientArgs"
        node.extra.append(
            (f"{op.name}/Shape", "Shape", [node.inputs[0]], {"T": x.dtype, "out_type": shape_dt})
        )
        node.extra.append(
            (args, "BroadcastGradientArgs", [f"{op.name}/Shape", node.inputs[1]], {"T": shape_dt})
        )
        node.extra.append(
            (
                f"{op.name}/Sum",
                "Sum",
                [node.inputs[0], f"{args}:1"],
                {"T": x.dtype, "Tidx": shape_dt, "keep_dims": False},
            )
        )
        node.op_type = "Reshape"
        node.inputs = [f"{op.name}/Sum", node.inputs[1]]
        node.attrs = {"T": x.dtype, "Tshape": shape_dt}
        return
    lead = rank - len(dims)
    axes = list(range(lead)) + [lead + i for i, d in enumerate(dims) if d == 1]
    sum_name = f"{op.name}/Sum"
    node.extra.append(_const_node(f"{op.name}/Sum/reduction_indices", np.array(axes, np.int32)))
    node.extra.append(
        (
            sum_name,
            "Sum",
            [node.inputs[0], f"{op.name}/Sum/reduction_indices"],
            {"T": x.dtype, "Tidx": dtypes.int32, "keep_dims": False},
        )
    )
    node.op_type = "Reshape"
    node.inputs = [sum_name, node.inputs[1]]
    node.attrs = {"T": x.dtype, "Tshape": op.inputs[1].dtype}


def _export_axis(op: Operation, node: ExportedNode) -> None:
    x = op.inputs[0]
    axis = op.opdef.attrs.get("axis")
    a = node.attrs
    a.pop("axis", None)
    keep = a.pop("keepdims", None)
    if op.type in ("ArgMax", "ArgMin"):
        a.update(Tidx=dtypes.int32, output_type=a.get("output_type", dtypes.int64))
        value = np.array(int(axis if axis is not None else 0), np.int32)
        name = f"{op.name}/dimension"
    else:
        a.update(Tidx=dtypes.int32, keep_dims=bool(keep))
        if axis is None:
            rank = x.shape.ndims
            if rank is None:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{op.type} '{op.name}': reducing over all axes of a tensor "
                    "of unknown rank has no TensorFlow NodeDef form here; give x a known rank.",
                )
            axis = tuple(range(rank))
        value = np.array(
            list(np.atleast_1d(axis)) if not np.isscalar(axis) else int(axis), np.int32
        )
        name = f"{op.name}/reduction_indices"
    node.extra.append(_const_node(name, value))
    node.inputs.insert(1, name)


# -- import ---------------------------------------------------------------------------------
# TF's type attrs: flowzero infers these from the inputs (they are checked, not stored).
_TYPE_ATTRS = frozenset(
    {
        "T",
        "Tidx",
        "Tshape",
        "Tpaddings",
        "Tmultiples",
        "Tperm",
        "Tparams",
        "Tindices",
        "Taxis",
        "Index",
        "Tdim",
        "index_type",
        "Tlen",
        "TI",
        "Tlabels",
        "Tout",
        "Tk",
        "Truncate",
        "use_cudnn_on_gpu",
        "container",
        "shared_name",
        "use_locking",
        "batch_dims",
        "allowed_devices",
        "debug_name",
    }
)
# TF type -> flowzero op type, where only the name differs.
RENAMED = {
    "AddV2": "Add",
    "BatchMatMulV2": "BatchMatMul",
    "Snapshot": "Identity",
    "VarHandleOp": "VariableV2",
    "VarIsInitializedOp": "IsVariableInitialized",
    "Conv2DBackpropInput": "Conv2DBackpropInput",
    "StopGradient": "StopGradient",
    "PreventGradient": "Identity",
    "CheckNumerics": "Identity",
    "ResourceCountUpTo": "CountUpTo",  # (of a VarHandleOp, imported as a VariableV2)
    # The optimizers' updates of resource variables (a VarHandleOp is imported as a
    # VariableV2): TF's ops of reference variables, whose one output nothing reads.
    **{
        f"Resource{k}": k
        for k in (
            *_SPARSE_APPLY_INDICES,
            "ApplyGradientDescent",
            "ApplyMomentum",
            "ApplyAdagrad",
            "ApplyRMSProp",
            "ApplyCenteredRMSProp",
            "ApplyAdam",
            "ApplyAdadelta",
            "ApplyFtrl",
            "ApplyFtrlV2",
            "ApplyProximalAdagrad",
            "ApplyProximalGradientDescent",
            "ApplyAdagradDA",
            "ScatterAdd",
            "ScatterSub",
            "ScatterUpdate",
        )
    },
}


# TF's default values of the attrs flowzero reads, for NodeDefs written without them.
_TF_DEFAULTS: dict[str, dict[str, Any]] = {
    "MatMul": {"transpose_a": False, "transpose_b": False},
    "Pack": {"axis": 0},
    "Unpack": {"axis": 0},
    "Cumsum": {"exclusive": False, "reverse": False},
    "Cumprod": {"exclusive": False, "reverse": False},
    "TopKV2": {"sorted": True},
    "StridedSlice": {
        m: 0
        for m in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
    },
    "Shape": {"out_type": dtypes.int32},
    "Size": {"out_type": dtypes.int32},
    "LeakyRelu": {"alpha": 0.2},
    "OneHot": {"axis": -1},
    "Squeeze": {"squeeze_dims": []},
    "Assign": {"validate_shape": True},
    "InTopK": {},
    "ArgMax": {"output_type": dtypes.int64},
    "ArgMin": {"output_type": dtypes.int64},
    "Conv2D": {"data_format": "NHWC", "dilations": [1, 1, 1, 1], "explicit_paddings": []},
    "MaxPool": {"data_format": "NHWC", "explicit_paddings": []},
    "AvgPool": {"data_format": "NHWC", "explicit_paddings": []},
    "BiasAdd": {"data_format": "NHWC"},
    "BiasAddGrad": {"data_format": "NHWC"},
    "Conv2DBackpropInput": {
        "data_format": "NHWC",
        "dilations": [1, 1, 1, 1],
        "explicit_paddings": [],
    },
    "Conv2DBackpropFilter": {
        "data_format": "NHWC",
        "dilations": [1, 1, 1, 1],
        "explicit_paddings": [],
    },
}


def _text(v: Any) -> Any:
    """flowzero keeps text attrs (and lists of them) as str."""
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return v
    if isinstance(v, list) and v and all(isinstance(x, bytes) for x in v):
        return [_text(x) for x in v]
    return v


def import_attrs(tf_type: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """flowzero attrs from decoded TF attrs: type attrs dropped, text attrs as str, and the
    flowzero-only attrs that TF's op implies added."""
    out = {}
    for k, v in attrs.items():
        if k in _TYPE_ATTRS or k.startswith("_"):
            continue
        out[k] = _text(v)
    for k in _TYPE_OF_INPUT.get(tf_type, ()):  # (export's type attrs, read off the inputs)
        out.pop(k, None)
    if tf_type in ("Einsum", "StringJoin", "DynamicStitch"):
        out.pop("N", None)
    elif tf_type == "ExtractImagePatches":  # flowzero keeps the spatial sizes
        for k in ("ksizes", "strides", "rates"):
            if len(out.get(k, ())) == 4:
                out[k] = list(out[k][1:3])
    # TF leaves out attrs that equal their default (MetaInfoDef.stripped_default_attrs).
    for k, v in _TF_DEFAULTS.get(tf_type, {}).items():
        out.setdefault(k, list(v) if isinstance(v, list) else v)
    if tf_type in ("BiasAdd", "BiasAddGrad"):
        out["axis"] = 1 if out.get("data_format", "NHWC") == "NCHW" else -1
        out.setdefault("data_format", "NHWC")
    elif tf_type in ("Softmax", "LogSoftmax", "SoftmaxCrossEntropyWithLogits"):
        out["axis"] = -1
    elif tf_type in ("Conv2D", "MaxPool", "AvgPool"):
        out.setdefault("data_format", "NHWC")
        out.setdefault("explicit_paddings", [])
        if tf_type == "Conv2D":
            out.setdefault("dilations", [1, 1, 1, 1])
    elif tf_type in ("RandomStandardNormal", "RandomUniform", "TruncatedNormal"):
        seed, seed2 = int(out.get("seed", 0)), int(out.get("seed2", 0))
        out["seed"], out["seed2"] = (seed, seed2) if seed or seed2 else (None, None)
    elif tf_type == "PlaceholderWithDefault":
        out.pop("dtype", None)
    elif tf_type in ("Placeholder", "VarHandleOp", "VariableV2", "PlaceholderV2"):
        out.setdefault("shape", TensorShape(None))
        out.pop("shared_name", None)
    elif tf_type in ("ReadVariableOp",):
        out.pop("dtype", None)
    elif tf_type in ("Squeeze",):
        out["squeeze_dims"] = list(out.get("squeeze_dims", []))
    elif tf_type == "Cast":
        out.pop("Truncate", None)
    elif tf_type == "DecodeCSV":
        out.pop("OUT_TYPE", None)
        out["field_delim"] = ord(out.get("field_delim", ","))
        out.setdefault("use_quote_delim", True)
        na = out.get("na_value", "")
        out["na_value"] = na.encode() if isinstance(na, str) else bytes(na)
        out["select_cols"] = list(out["select_cols"]) if out.get("select_cols") else None
    elif tf_type in ("SerializeTensor", "SerializeSparse", "SerializeManySparse"):
        out["T"] = dtypes.as_dtype(attrs["T"])  # the values' dtype, which the kernel records
    elif tf_type in ("DenseCountSparseOutput", "SparseCountSparseOutput"):
        out["T"] = dtypes.as_dtype(attrs["T"])
    return out


class ImportContext:
    """What an importer gets: the graph, the node (name, attrs decoded), where (for errors)."""

    __slots__ = ("graph", "name", "tf_type", "attrs", "where", "const_value", "absolute")

    def __init__(
        self,
        graph: Graph,
        name: str,
        tf_type: str,
        attrs: dict[str, Any],
        where: str,
        const_value: Callable[[Tensor], Any],
        absolute: bool = True,
    ) -> None:
        self.absolute = absolute  # False inside a loop body: names nest under its scope
        self.graph = graph
        self.name = name
        self.tf_type = tf_type
        self.attrs = attrs
        self.where = where
        self.const_value = const_value

    def make(
        self, op_type: str, inputs: list[Tensor], attrs: dict[str, Any], name: str | None = None
    ) -> Operation:
        name = name or self.name
        return self.graph.create_op(
            get_op_class(op_type), inputs, attrs, name + "/" if self.absolute else name
        )

    def constant(self, t: Tensor, what: str) -> Any:
        value = self.const_value(t)
        if value is None:
            raise errors.UnimplementedError(
                None,
                None,
                f"{self.where}: flowzero needs {what} ('{t.name}') to be a "
                f"constant; it is computed by {t.op.type} '{t.op.name}'.",
            )
        return value


def _reduction(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    if len(inputs) != 2:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{ctx.where}: expects 2 inputs (input, reduction_indices); got {len(inputs)}.",
        )
    axes_op = inputs[1].op
    if ctx.tf_type == "Sum" and axes_op.type == "BroadcastGradientArgs":
        # TF's gradient of a broadcasting op: Sum(dy, r_k) then Reshape to s_k. flowzero sums
        # to s_k in one step (its elements, in order; the Reshape that follows shapes them).
        target = axes_op.inputs[inputs[1].value_index]
        return ctx.make("SumTo", [inputs[0], target], {}).outputs
    if _all_axes_of(inputs[0], axes_op, ctx):
        attrs = {"axis": None, "keepdims": bool(ctx.attrs.get("keep_dims", False))}
        return ctx.make(ctx.tf_type, [inputs[0]], attrs).outputs
    axis = _range_value(axes_op, ctx)
    if axis is None:
        axis = np.asarray(ctx.constant(inputs[1], "the reduction axes"))
    attrs = {
        # (a tuple also for a scalar axis, as the reduction builders make it)
        "axis": tuple(int(x) for x in axis.reshape(-1)),
        "keepdims": bool(ctx.attrs.get("keep_dims", False)),
    }
    return ctx.make(ctx.tf_type, [inputs[0]], attrs).outputs


def _all_axes_of(x: Tensor, axes_op: Operation, ctx: ImportContext) -> bool:
    """Whether the axes are `range(0, rank(x), 1)`: TF's reduction over every axis of a tensor
    whose rank is not known when the graph is built."""
    if axes_op.type != "Range" or len(axes_op.inputs) != 3:
        return False
    start, limit, delta = axes_op.inputs
    rank_op = limit.op
    if rank_op.type != "Rank" or rank_op.inputs[0] is not x:
        return False
    ends = [ctx.const_value(t) for t in (start, delta)]
    return all(v is not None and np.ndim(v) == 0 for v in ends) and [
        int(np.asarray(v)) for v in ends
    ] == [0, 1]


def _range_value(op: Operation, ctx: ImportContext) -> Any:
    """The value of a Range of constants (TF's `range(rank)` axes, the rank known), or None."""
    if op.type != "Range" or len(op.inputs) != 3:
        return None
    ends = [ctx.const_value(t) for t in op.inputs]
    if any(v is None or np.ndim(v) != 0 for v in ends):
        return None
    return np.arange(*(int(np.asarray(v)) for v in ends))


def _argmax(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    axis = int(np.asarray(ctx.constant(inputs[1], "the dimension")))
    attrs = {"axis": axis, "output_type": ctx.attrs.get("output_type", dtypes.int64)}
    return ctx.make(ctx.tf_type, [inputs[0]], attrs).outputs


def _tagged_summary(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    tag = ctx.constant(inputs[0], "the summary tag")
    tag = np.asarray(tag).item()
    attrs = {"tag": tag.decode("utf-8", "replace") if isinstance(tag, bytes) else str(tag)}
    if ctx.tf_type == "ImageSummary":
        attrs["max_images"] = int(ctx.attrs.get("max_images", 3))
        bad = ctx.attrs.get("bad_color")
        attrs["bad_color"] = np.asarray(bad if bad is not None else [255, 0, 0, 255], np.uint8)
    return ctx.make(ctx.tf_type, inputs[1:], attrs).outputs


# TF's TensorArray ops take (handle, ..., flow) and return a new flow; flowzero's take and
# return one handle (a variant whose value is the array). The flow is what loops carry, so
# flowzero's handle stands for TF's flow (and for TF's handle, output 0 of TensorArrayV3).
# A gradient array (TensorArrayGradV3) is the exception: TF passes it the forward array's flow
# (`gradient_flow`, an Identity of it) with the gradient's handle, so there the handle is the
# array (`_array`).
_GRAD_ARRAY_TYPES = frozenset(
    {
        "TensorArrayGradZeros",
        "TensorArrayGradWrite",
        "TensorArrayGradScatter",
        "TensorArrayGradSplit",
        "TensorArrayGradAdd",
        "WhileGrad",
    }
)
_ARRAY_UPDATES = tensor_array_ops.ARRAY_UPDATES | {"Identity"}


def _is_grad_array(t: Tensor) -> bool:
    """Whether a variant tensor is a gradient array (made by a gradient, or updated from one)."""
    while (t.op.type in _ARRAY_UPDATES and t.op.inputs) or t.op.type == "IdentityN":
        t = t.op.inputs[t.value_index if t.op.type == "IdentityN" else 0]
    return t.op.type in _GRAD_ARRAY_TYPES


def _array(handle: Tensor, flow: Tensor) -> Tensor:
    if handle.dtype is dtypes.variant and _is_grad_array(handle) and not _is_grad_array(flow):
        return handle
    return flow


def _ta_grad(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TensorArrayGradV3(handle, flow): the gradient array of a forward array. Given a
    gradient array's flow (from an imported loop gradient), that array; else a new one (all
    zeros until written)."""
    flow = inputs[1]
    if flow.dtype is dtypes.variant and _is_grad_array(flow):
        return [flow, flow]
    grad = ctx.make("TensorArrayGradZeros", [], {}).outputs[0]
    return [grad, grad]


def _ta_attrs(ctx: ImportContext) -> dict[str, Any]:
    shape = ctx.attrs.get("element_shape")
    return {
        "dtype": ctx.attrs["dtype"],
        "element_shape": shape if isinstance(shape, TensorShape) else TensorShape(None),
    }


def _tensor_array(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    name = ctx.attrs.get("tensor_array_name", b"")
    attrs = {
        **_ta_attrs(ctx),
        "dynamic_size": bool(ctx.attrs.get("dynamic_size", False)),
        "clear_after_read": bool(ctx.attrs.get("clear_after_read", True)),
        "tensor_array_name": name.decode() if isinstance(name, bytes) else str(name),
    }
    handle = ctx.make("TensorArrayV3", [inputs[0]], attrs).outputs[0]
    return [handle, handle]


def _ta_write(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    handle, index, value, flow = inputs
    return ctx.make("TensorArrayWriteV3", [_array(handle, flow), index, value], {}).outputs


def _ta_scatter(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    handle, indices, value, flow = inputs
    return ctx.make("TensorArrayScatterV3", [_array(handle, flow), indices, value], {}).outputs


def _ta_read(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    handle, index, flow = inputs
    return ctx.make("TensorArrayReadV3", [_array(handle, flow), index], _ta_attrs(ctx)).outputs


def _ta_gather(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    handle, indices, flow = inputs
    return ctx.make("TensorArrayGatherV3", [_array(handle, flow), indices], _ta_attrs(ctx)).outputs


def _ta_size(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    return ctx.make("TensorArraySizeV3", [_array(inputs[0], inputs[1])], {}).outputs


def _ta_split(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    handle, value, lengths, flow = inputs
    return ctx.make("TensorArraySplitV3", [_array(handle, flow), value, lengths], {}).outputs


def _ta_concat(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    rest = ctx.attrs.get("element_shape_except0")
    known = rest.known if isinstance(rest, TensorShape) else None
    attrs = {
        "dtype": ctx.attrs["dtype"],
        "element_shape": TensorShape(None if known is None else [None, *known]),
    }
    return ctx.make("TensorArrayConcatV3", [_array(inputs[0], inputs[1])], attrs).outputs


def _batch_matmul(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    attrs = {
        "transpose_a": bool(ctx.attrs.get("adj_x", False)),
        "transpose_b": bool(ctx.attrs.get("adj_y", False)),
    }
    return ctx.make("MatMul", list(inputs), attrs).outputs


def _resource_gather(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's ResourceGather (a gather of a resource variable's rows) as GatherV2 on axis 0."""
    if int(ctx.attrs.get("batch_dims", 0)) != 0:
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: ResourceGather with batch_dims != 0 is not supported."
        )
    params, indices = inputs
    axis = ctx.make(
        "Const", [], {"value": np.asarray(0, np.int32), "dtype": dtypes.int32}, f"{ctx.name}/axis"
    ).outputs[0]
    return ctx.make("GatherV2", [params, indices, axis], {}).outputs


def _assign_variable(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    ref, value = inputs
    ctx.make(
        "Assign", [ref, value], {"validate_shape": True, "dtype": ref.dtype, "var_shape": ref.shape}
    )
    return []  # TF's AssignVariableOp has no outputs


def _assign_update_variable(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's AssignAddVariableOp / AssignSubVariableOp (no outputs) as AssignAdd / AssignSub."""
    ctx.make("AssignAdd" if ctx.tf_type == "AssignAddVariableOp" else "AssignSub", inputs, {})
    return []


def _assign(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    ref, value = inputs
    attrs = {
        "validate_shape": bool(ctx.attrs.get("validate_shape", True)),
        "dtype": ref.dtype,
        "var_shape": ref.shape,
    }
    return ctx.make("Assign", [ref, value], attrs).outputs


def _fused_batch_norm_training(ctx: ImportContext, inputs: list[Tensor], fmt: str) -> list[Tensor]:
    """TF's FusedBatchNorm with is_training=True (a TF1 training graph, or the training
    branch of batch norm switched by a placeholder): flowzero's fused_batch_norm composite on
    the batch's statistics; with `exponential_avg_factor` f != 1 (TF 2.x) the mean and
    variance outputs are the running averages (1 - f) * given + f * batch, as TF's kernel."""
    from flowzero.ops import nn_impl

    x, scale, offset, mean, var = inputs[:5]
    eps = float(ctx.attrs.get("epsilon", 1e-4))
    f = float(ctx.attrs.get("exponential_avg_factor", 1.0))
    scope = ctx.name + "/" if ctx.absolute else ctx.name
    with ctx.graph.as_default(), ctx.graph.name_scope(scope):
        if x.shape.ndims is None:  # TF's op takes 4-D (V3 also 5-D) x, as its data_format
            from flowzero.ops.shape_ops import ensure_shape

            x = ensure_shape(x, [None] * len(fmt))
        y, batch_mean, batch_var = nn_impl.fused_batch_norm(
            x, scale, offset, epsilon=eps, data_format=fmt, is_training=True
        )
        out_mean, out_var = batch_mean, batch_var
        if f != 1.0:
            keep = np.asarray(1.0 - f, mean.dtype.np)
            new = np.asarray(f, mean.dtype.np)
            out_mean = mean * keep + batch_mean * new
            out_var = var * keep + batch_var * new
    # (y, batch_mean, batch_variance, reserve_space_1, reserve_space_2[, reserve_space_3])
    return [y, out_mean, out_var, batch_mean, batch_var, batch_mean]


def _fused_batch_norm(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    fmt = ctx.attrs.get("data_format", b"NHWC")
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    if ctx.attrs.get("is_training", True):
        return _fused_batch_norm_training(ctx, inputs, fmt)
    x, scale, offset, mean, var = inputs[:5]
    eps = float(ctx.attrs.get("epsilon", 1e-4))
    g, n = ctx.graph, ctx.name

    def const(suffix: str, value: Any) -> Tensor:
        arr = np.asarray(value)
        return ctx.make(
            "Const", [], {"value": arr, "dtype": dtypes.as_dtype(arr.dtype)}, f"{n}/{suffix}"
        ).outputs[0]

    def per_channel(t: Tensor, suffix: str) -> Tensor:
        if fmt == "NHWC":
            return t
        shape = const(f"{suffix}_shape", np.array([-1, 1, 1], np.int32))
        return ctx.make("Reshape", [t, shape], {}, f"{n}/{suffix}_reshaped").outputs[0]

    eps_t = const("epsilon", np.asarray(eps, dtype=var.dtype.np))
    inv = ctx.make(
        "Rsqrt", [ctx.make("Add", [var, eps_t], {}, f"{n}/var_eps").outputs[0]], {}, f"{n}/rsqrt"
    ).outputs[0]
    factor = ctx.make("Mul", [inv, scale], {}, f"{n}/factor").outputs[0]
    shift = ctx.make(
        "Sub",
        [offset, ctx.make("Mul", [mean, factor], {}, f"{n}/mean_factor").outputs[0]],
        {},
        f"{n}/shift",
    ).outputs[0]
    scaled = ctx.make("Mul", [x, per_channel(factor, "factor")], {}, f"{n}/scaled").outputs[0]
    y = ctx.make("Add", [scaled, per_channel(shift, "shift")], {}).outputs[0]
    del g
    # (y, batch_mean, batch_variance, reserve_space_1, reserve_space_2[, reserve_space_3])
    return [y, mean, var, mean, var, mean]


def _select_v2(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's SelectV2 broadcasts its three inputs; flowzero's Select needs equal shapes: the
    inputs are broadcast to the shape of cond + x + y (only that sum's shape is used)."""
    c, x, y = inputs
    if not x.dtype.is_numeric:
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: SelectV2 of {x.dtype.name} values is not supported."
        )
    n = ctx.name
    total = ctx.make("Add", [x, y], {}, f"{n}/xy").outputs[0]
    cast = ctx.make("Cast", [c], {"SrcT": c.dtype, "DstT": x.dtype}, f"{n}/cond_as_x")
    total = ctx.make("Add", [total, cast.outputs[0]], {}, f"{n}/all").outputs[0]
    shape = ctx.make("Shape", [total], {"out_type": dtypes.int32}, f"{n}/shape").outputs[0]
    c, x, y = (
        ctx.make("BroadcastTo", [t, shape], {}, f"{n}/{k}").outputs[0]
        for t, k in ((c, "cond_b"), (x, "x_b"), (y, "y_b"))
    )
    return ctx.make("Select", [c, x, y], {}).outputs


def _filled_like(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's ZerosLike / OnesLike: Fill(Shape(x), 0 or 1)."""
    (x,) = inputs
    if x.dtype is dtypes.variant and ctx.tf_type == "ZerosLike":
        return tensor_lists.zeros_like_list(ctx, x)
    n = ctx.name
    shape = ctx.make("Shape", [x], {"out_type": dtypes.int32}, f"{n}/shape").outputs[0]
    one = 1 if ctx.tf_type == "OnesLike" else 0
    arr = np.asarray(one, dtype=x.dtype.np)
    value = ctx.make("Const", [], {"value": arr, "dtype": x.dtype}, f"{n}/value").outputs[0]
    return ctx.make("Fill", [shape, value], {}).outputs


def _shape_n(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's ShapeN (one output per input; in TF1 gradients of Conv2D and ConcatV2) as one
    Shape op per input, like flowzero's tf.shape_n."""
    out_type = ctx.attrs.get("out_type", dtypes.int32)
    return [
        ctx.make("Shape", [x], {"out_type": out_type}, f"{ctx.name}/{k}" if k else None).outputs[0]
        for k, x in enumerate(inputs)
    ]


def _concat_offset(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's ConcatOffset(concat_dim, shape_0, ..., shape_n-1) (in TF1 gradients of ConcatV2):
    where each input starts in the result, i.e. the sum of the shapes before it, masked to the
    concat dimension (which TF1's gradient computes: `mod(axis, rank)`)."""
    axis, shapes = inputs[0], inputs[1:]
    rank = shapes[0].shape.num_elements() if shapes[0].shape.ndims == 1 else None
    if rank is None:
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: the shapes' length (the rank) must be known."
        )
    n, dt = ctx.name, shapes[0].dtype

    def const(suffix: str, value: Any) -> Tensor:
        arr = np.asarray(value, dt.np)
        return ctx.make("Const", [], {"value": arr, "dtype": dt}, f"{n}/{suffix}").outputs[0]

    dim = ctx.make("FloorMod", [axis, const("rank", rank)], {}, f"{n}/dim").outputs[0]
    hit = ctx.make("Equal", [const("dims", np.arange(rank)), dim], {}, f"{n}/is_dim").outputs[0]
    mask = ctx.make("Cast", [hit], {"SrcT": dtypes.bool, "DstT": dt}, f"{n}/mask").outputs[0]
    outs = [ctx.make("Mul", [shapes[0], const("zero", 0)], {}).outputs[0]]
    total = shapes[0]
    for k in range(1, len(shapes)):
        outs.append(ctx.make("Mul", [total, mask], {}, f"{n}/{k}").outputs[0])
        if k + 1 < len(shapes):
            total = ctx.make("Add", [total, shapes[k]], {}, f"{n}/upto_{k}").outputs[0]
    return outs


def _add_n(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """AddN; of TensorLists (TF 2.x loop gradients), the elementwise sum of the arrays."""
    if any(t.dtype is dtypes.variant for t in inputs):
        return ctx.make("TensorArrayGradAdd", list(inputs), {}).outputs
    return ctx.make("AddN", list(inputs), import_attrs("AddN", ctx.attrs)).outputs


def _einsum(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's Einsum (the equation only) with flowzero's parsed subscripts (`inputs`, `output`:
    an ellipsis spelled out in letters, which needs the operands' ranks)."""
    from flowzero.ops.einsum_ops import _parse

    attrs = import_attrs("Einsum", ctx.attrs)
    if "inputs" not in attrs or "output" not in attrs:
        try:
            attrs["inputs"], attrs["output"] = _parse(
                attrs["equation"], [x.shape.ndims for x in inputs]
            )
        except ValueError as e:
            raise errors.InvalidArgumentError(None, None, f"{ctx.where}: {e}") from None
    return ctx.make("Einsum", list(inputs), attrs).outputs


def _sparse_cross(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's SparseCross (indices..., values..., shapes..., dense...) as flowzero's ((indices,
    values, shape) per sparse input, dense...); string output only (hashing needs FarmHash)."""
    n = int(ctx.attrs.get("N", 0))
    if ctx.attrs.get("hashed_output"):
        raise errors.UnimplementedError(
            None, None, f"{ctx.where}: SparseCross with hashed_output (FarmHash) is not supported."
        )
    sep = "_X_"
    if ctx.tf_type == "SparseCrossV2":  # the separator a string input (a constant here)
        sep_value = ctx.constant(inputs[-1], "SparseCrossV2's sep")
        sep, inputs = _text(np.asarray(sep_value).reshape(()).item()), inputs[:-1]
    parts = [inputs[j * n + k] for k in range(n) for j in range(3)] + list(inputs[3 * n :])
    return ctx.make("SparseCross", parts, {"n_sparse": n, "separator": sep}).outputs


def _static_regex_full_match(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """TF's StaticRegexFullMatch (the pattern an attr) as RegexFullMatch of a constant."""
    pattern = ctx.attrs.get("pattern", b"")
    arr = np.array(pattern if isinstance(pattern, bytes) else str(pattern).encode(), object)
    value = ctx.make(
        "Const", [], {"value": arr, "dtype": dtypes.string}, f"{ctx.name}/pattern"
    ).outputs[0]
    return ctx.make("RegexFullMatch", [inputs[0], value], {}).outputs


def _pass_through(ctx: ImportContext, inputs: list[Tensor]) -> list[Tensor]:
    """IdentityN (what a TF1 loop's results are gathered under)."""
    attrs = {k: v for k, v in ctx.attrs.items() if k != "T"}
    return ctx.make("IdentityN", list(inputs), attrs).outputs


class Handle:
    """What an imported queue or reader handle node (FIFOQueueV2, TextLineReaderV2, ...)
    stands for: the attrs that flowzero's queue (reader) ops carry. It is not a Tensor: only
    the queue and reader ops below take it (flowzero builds no op for the node)."""

    __slots__ = ("attrs", "name", "what")
    op = None  # (no Operation: control dependencies on the node are dropped)

    def __init__(self, attrs: dict[str, Any], name: str, what: str) -> None:
        self.attrs, self.name, self.what = attrs, name, what


# What an imported node may stand for that is not a Tensor (only its own ops take it).
HANDLE_TYPES = (Handle, dataset_forms.DatasetHandle, dataset_forms.IteratorHandle)


def handle_node_types() -> frozenset[str]:
    """TF op types imported as a handle (no flowzero op of their own)."""
    return (
        frozenset(QUEUE_HANDLE_TYPES.values())
        | frozenset(READER_HANDLE_TYPES.values())
        | dataset_forms.HANDLE_NODE_TYPES
    )


def _int_attr(ctx: ImportContext, key: str, default: int) -> int:
    v = ctx.attrs.get(key, default)
    return int(default if v is None else v)


def _import_queue_handle(ctx: ImportContext, inputs: list[Tensor]) -> list[Any]:
    from flowzero.ops import data_flow_ops

    kind = ctx.tf_type[: -len("V2")]
    dts = [dtypes.as_dtype(d) for d in ctx.attrs.get("component_types") or []]
    shapes = list(ctx.attrs.get("shapes") or [])
    if not dts or (shapes and len(shapes) != len(dts)):
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{ctx.where}: needs component_types and as many shapes (or none); got "
            f"{len(dts)} types and {len(shapes)} shapes.",
        )
    if kind == "PaddingFIFOQueue" and (not shapes or any(s.ndims is None for s in shapes)):
        raise errors.InvalidArgumentError(
            None, None, f"{ctx.where}: a PaddingFIFOQueue needs shapes of known rank."
        )
    capacity = _int_attr(ctx, "capacity", -1)
    name = ctx.name if ctx.absolute else ctx.graph.unique_name(ctx.name)
    attrs: dict[str, Any] = {
        "queue_key": f"queue_{next(data_flow_ops._queue_ids)}_{name}",
        "queue_name": name,
        "kind": kind,
        "capacity": capacity if capacity > 0 else 2**62,  # TF: -1 for unbounded
        "dtypes": dts,
        "shapes": [tuple(s.known) if s.known is not None else None for s in shapes]
        or [None] * len(dts),
    }
    if kind == "RandomShuffleQueue":
        seed, seed2 = _int_attr(ctx, "seed", 0), _int_attr(ctx, "seed2", 0)
        attrs.update(
            min_after_dequeue=_int_attr(ctx, "min_after_dequeue", 0),
            seed=seed if seed or seed2 else None,
            seed2=seed2 if seed or seed2 else None,
        )
    return [Handle(attrs, name, "queue")]


def _import_reader_handle(ctx: ImportContext, inputs: list[Tensor]) -> list[Any]:
    from flowzero.ops import reader_ops

    kind = ctx.tf_type[: -len("V2")]
    opts: dict[str, Any] = {}
    if kind == "TextLineReader":
        opts["skip_header_lines"] = _int_attr(ctx, "skip_header_lines", 0)
    elif kind == "FixedLengthRecordReader":
        encoding = _text(ctx.attrs.get("encoding", ""))
        if _int_attr(ctx, "hop_bytes", 0) or encoding:
            raise errors.UnimplementedError(
                None,
                None,
                f"{ctx.where}: FixedLengthRecordReader with hop_bytes or encoding is not "
                "supported by flowzero.",
            )
        opts = {k: _int_attr(ctx, k, 0) for k in ("record_bytes", "header_bytes", "footer_bytes")}
        if opts["record_bytes"] <= 0:
            raise errors.InvalidArgumentError(
                None, None, f"{ctx.where}: record_bytes must be > 0; got {opts['record_bytes']}."
            )
    elif kind == "TFRecordReader":
        opts["compression"] = _text(ctx.attrs.get("compression_type", "")) or ""
    name = ctx.name if ctx.absolute else ctx.graph.unique_name(ctx.name)
    attrs = {
        "kind": kind,
        "reader_key": f"reader_{next(reader_ops._reader_ids)}_{name}",
        "reader_name": name,
        "options": opts,
    }
    return [Handle(attrs, name, "reader")]


def _handle_input(ctx: ImportContext, t: Any, what: str, index: int) -> Handle:
    if not isinstance(t, Handle) or t.what != what:
        makers = QUEUE_HANDLE_TYPES if what == "queue" else READER_HANDLE_TYPES
        got = getattr(t, "name", t)
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{ctx.where}: input {index} must be the handle of a {what} "
            f"({', '.join(sorted(makers.values()))}); got '{got}'.",
        )
    return t


def _import_queue_op(ctx: ImportContext, inputs: list[Any]) -> list[Tensor]:
    if not inputs:
        raise errors.InvalidArgumentError(None, None, f"{ctx.where}: has no queue handle input.")
    q = _handle_input(ctx, inputs[0], "queue", 0)
    attrs = dict(q.attrs)
    rest = list(inputs[1:])
    if ctx.tf_type in ("QueueEnqueueV2", "QueueEnqueueManyV2"):
        got = [t.dtype for t in rest]
        if got != attrs["dtypes"]:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{ctx.where}: the queue '{q.name}' holds "
                f"{[d.name for d in attrs['dtypes']]}; got components {[d.name for d in got]}.",
            )
    elif ctx.tf_type == "QueueCloseV2":
        attrs["cancel_pending_enqueues"] = bool(ctx.attrs.get("cancel_pending_enqueues", False))
    return ctx.make(ctx.tf_type, rest, attrs).outputs


def _import_reader_op(ctx: ImportContext, inputs: list[Any]) -> list[Tensor]:
    if not inputs:
        raise errors.InvalidArgumentError(None, None, f"{ctx.where}: has no reader handle input.")
    attrs = dict(_handle_input(ctx, inputs[0], "reader", 0).attrs)
    rest = list(inputs[1:])
    if ctx.tf_type in ("ReaderReadV2", "ReaderReadUpToV2"):
        q = _handle_input(ctx, inputs[1] if len(inputs) > 1 else None, "queue", 1)
        if q.attrs["dtypes"][:1] != [dtypes.string]:
            raise errors.InvalidArgumentError(
                None, None, f"{ctx.where}: the queue '{q.name}' must hold strings (file names)."
            )
        attrs["queue"] = q.attrs
        rest = rest[1:]
    return ctx.make(ctx.tf_type, rest, attrs).outputs


IMPORTERS: dict[str, Callable[[ImportContext, list[Tensor]], list[Tensor]]] = {
    **{t: _import_queue_handle for t in QUEUE_HANDLE_TYPES.values()},
    **{t: _import_reader_handle for t in READER_HANDLE_TYPES.values()},
    **{t: _import_queue_op for t in QUEUE_OP_TYPES},
    **{t: _import_reader_op for t in READER_OP_TYPES},
    "IdentityN": _pass_through,
    "SelectV2": _select_v2,
    "TensorArrayV3": _tensor_array,
    "TensorArrayGradV3": _ta_grad,
    "TensorArrayWriteV3": _ta_write,
    "TensorArrayScatterV3": _ta_scatter,
    "TensorArrayReadV3": _ta_read,
    "TensorArrayGatherV3": _ta_gather,
    "TensorArraySizeV3": _ta_size,
    "TensorArraySplitV3": _ta_split,
    "TensorArrayConcatV3": _ta_concat,
    **{t: _reduction for t in _REDUCTIONS},
    "ArgMax": _argmax,
    "BatchMatMul": _batch_matmul,
    **{t: _tagged_summary for t in _TAGGED_SUMMARIES},
    "BatchMatMulV2": _batch_matmul,
    "BatchMatMulV3": _batch_matmul,
    "ArgMin": _argmax,
    "AssignVariableOp": _assign_variable,
    "ResourceGather": _resource_gather,
    "AssignAddVariableOp": _assign_update_variable,
    "AssignSubVariableOp": _assign_update_variable,
    "Assign": _assign,
    "FusedBatchNorm": _fused_batch_norm,
    "FusedBatchNormV2": _fused_batch_norm,
    "FusedBatchNormV3": _fused_batch_norm,
    **lstm_forms.IMPORTERS,
    **tensor_lists.IMPORTERS,
    **dataset_forms.IMPORTERS,
    **grad_forms.IMPORTERS,
    "ZerosLike": _filled_like,
    "AddN": _add_n,
    "ShapeN": _shape_n,
    "ConcatOffset": _concat_offset,
    "StaticRegexFullMatch": _static_regex_full_match,
    "SparseCross": _sparse_cross,
    "Einsum": _einsum,
    "SparseCrossV2": _sparse_cross,
    "OnesLike": _filled_like,
}
