"""flowzero Graph -> TensorFlow `GraphDef` protobuf (the `tensorboard` package's own protos).

TensorBoard's Graphs tab reads a GraphDef from an event file: one NodeDef per Operation with
its name (the `/` separators become collapsible name-scope boxes), op type, inputs
(`name`, `name:1`, `^control`), and attrs. Each node also gets `_output_shapes` (shapes shown
on the edges, -1 for an unknown dimension) and, where the op has no `dtype` attr of its own,
`dtype` = its first output's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.shapes import TensorShape

# Const values (and other array attrs) up to this many bytes are embedded as a TensorProto;
# larger ones are left out (TensorBoard's graph view drops attrs over 1 KiB anyway).
MAX_TENSOR_ATTR_BYTES = 1024

_DT_NAMES = {
    "float16": "DT_HALF", "float32": "DT_FLOAT", "float64": "DT_DOUBLE", "int8": "DT_INT8",
    "int16": "DT_INT16", "int32": "DT_INT32", "int64": "DT_INT64", "uint8": "DT_UINT8",
    "uint16": "DT_UINT16", "bool": "DT_BOOL", "complex64": "DT_COMPLEX64",
    "complex128": "DT_COMPLEX128", "string": "DT_STRING",
}


def _protos() -> Any:
    from tensorboard.compat.proto import (
        attr_value_pb2,
        graph_pb2,
        tensor_pb2,
        tensor_shape_pb2,
        types_pb2,
    )

    return attr_value_pb2, graph_pb2, tensor_pb2, tensor_shape_pb2, types_pb2


def dtype_enum(dtype: Any) -> int:
    """The `types_pb2.DataType` enum value of a flowzero/NumPy dtype (DT_INVALID if none)."""
    types_pb2 = _protos()[4]
    name = _DT_NAMES.get(dtypes.as_dtype(dtype).name)
    return types_pb2.DataType.Value(name) if name else types_pb2.DT_INVALID


def shape_proto(shape: Any) -> Any:
    """A TensorShapeProto: -1 for unknown dimensions, `unknown_rank` for an unknown rank."""
    tensor_shape_pb2 = _protos()[3]
    dims = shape.known if isinstance(shape, TensorShape) else tuple(shape)
    if dims is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else int(d))
             for d in dims])


def tensor_proto(value: np.ndarray) -> Any:
    """A TensorProto holding `value` (numbers as little-endian tensor_content)."""
    tensor_pb2 = _protos()[2]
    arr = np.asarray(value)
    dt = dtypes.string if arr.dtype.kind in "OSU" else dtypes.as_dtype(arr.dtype)
    t = tensor_pb2.TensorProto(dtype=dtype_enum(dt), tensor_shape=shape_proto(arr.shape))
    if dt is dtypes.string:
        t.string_val.extend(x if isinstance(x, bytes) else str(x).encode() for x in arr.flat)
    else:
        t.tensor_content = np.ascontiguousarray(arr, arr.dtype.newbyteorder("<")).tobytes()
    return t


def attr_value(value: Any) -> Any:
    """An AttrValue for a Python/NumPy/flowzero attr value, or None if it has no proto form."""
    attr_value_pb2 = _protos()[0]
    av = attr_value_pb2.AttrValue()
    if isinstance(value, (bool, np.bool_)):
        av.b = bool(value)
    elif isinstance(value, (int, np.integer)):
        av.i = int(value)
    elif isinstance(value, (float, np.floating)):
        av.f = float(value)
    elif isinstance(value, str):
        av.s = value.encode()
    elif isinstance(value, bytes):
        av.s = value
    elif isinstance(value, dtypes.DType):
        av.type = dtype_enum(value)
    elif isinstance(value, TensorShape):
        av.shape.CopyFrom(shape_proto(value))
    elif isinstance(value, np.ndarray):
        if _content_bytes(value) > MAX_TENSOR_ATTR_BYTES:
            return None
        av.tensor.CopyFrom(tensor_proto(value))
    elif isinstance(value, (list, tuple)):
        return _list_attr(av, value)
    else:
        return None
    return av


def _content_bytes(arr: np.ndarray) -> int:
    if arr.dtype.kind not in "OSU":
        return arr.nbytes
    if arr.size > MAX_TENSOR_ATTR_BYTES:
        return arr.size
    return sum(len(x) if isinstance(x, (bytes, str)) else 8 for x in arr.flat)


def _list_attr(av: Any, values: Any) -> Any:
    items = list(values)
    av.list.SetInParent()  # an empty list is still a (list) attr
    if all(isinstance(x, (bool, np.bool_)) for x in items):
        av.list.b.extend(bool(x) for x in items)
    elif all(isinstance(x, (int, np.integer)) for x in items):
        av.list.i.extend(int(x) for x in items)
    elif all(isinstance(x, (int, float, np.integer, np.floating)) for x in items):
        av.list.f.extend(float(x) for x in items)
    elif all(isinstance(x, (str, bytes)) for x in items):
        av.list.s.extend(x.encode() if isinstance(x, str) else x for x in items)
    elif all(isinstance(x, dtypes.DType) for x in items):
        av.list.type.extend(dtype_enum(x) for x in items)
    elif all(isinstance(x, TensorShape) for x in items):
        av.list.shape.extend(shape_proto(x) for x in items)
    else:
        return None
    return av


def _input_name(t: Any) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def to_graph_def(graph: Any, add_shapes: bool = True) -> Any:
    """The GraphDef (tensorboard.compat.proto.graph_pb2) of a flowzero Graph.

    Args:
        graph: a `tf.Graph` (e.g. `sess.graph`).
        add_shapes: add each node's `_output_shapes` attr (TF's `as_graph_def(add_shapes=True)`).

    Returns:
        A `GraphDef` with one NodeDef per Operation, in creation order.
    """
    attr_value_pb2, graph_pb2 = _protos()[:2]
    gd = graph_pb2.GraphDef()
    for op in graph.get_operations():
        node = gd.node.add(name=op.name, op=op.type)
        node.input.extend(_input_name(t) for t in op.inputs)
        node.input.extend(f"^{c.name}" for c in op.control_inputs)
        for key, value in op.opdef.attrs.items():
            av = attr_value(value)
            if av is not None:
                node.attr[key].CopyFrom(av)
        outputs = op.outputs
        if outputs and "dtype" not in node.attr:
            node.attr["dtype"].type = dtype_enum(outputs[0].dtype)
        if add_shapes and outputs:
            node.attr["_output_shapes"].CopyFrom(attr_value_pb2.AttrValue(
                list=attr_value_pb2.AttrValue.ListValue(
                    shape=[shape_proto(t.shape) for t in outputs])))
    return gd
