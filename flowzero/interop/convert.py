"""TF protobuf values <-> flowzero values: DataType enums, TensorShapeProtos, TensorProtos and
AttrValues. Every reader checks sizes before it allocates and raises a typed error that names
`where` (the file and node) on bad input."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.shapes import TensorShape
from flowzero.proto import attr_value_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

# flowzero dtype name <-> TF DataType enum value.
_ENUM_BY_NAME = {
    "float16": types_pb2.DT_HALF,
    "float32": types_pb2.DT_FLOAT,
    "float64": types_pb2.DT_DOUBLE,
    "int8": types_pb2.DT_INT8,
    "int16": types_pb2.DT_INT16,
    "int32": types_pb2.DT_INT32,
    "int64": types_pb2.DT_INT64,
    "uint8": types_pb2.DT_UINT8,
    "uint16": types_pb2.DT_UINT16,
    "bool": types_pb2.DT_BOOL,
    "complex64": types_pb2.DT_COMPLEX64,
    "complex128": types_pb2.DT_COMPLEX128,
    "string": types_pb2.DT_STRING,
    "variant": types_pb2.DT_VARIANT,
}
_NAME_BY_ENUM = {v: k for k, v in _ENUM_BY_NAME.items()}
REF_OFFSET = 100  # DT_FLOAT_REF = DT_FLOAT + 100

# A TensorProto may hold one value for a whole shape (TF broadcasts it); expanding it allocates
# the whole tensor, so a file asking for more than this is refused.
MAX_EXPANDED_BYTES = 1 << 30
# Largest element count of any shape read from a file (a sanity bound: 2^40 elements).
MAX_ELEMENTS = 1 << 40


def dtype_enum(dtype: Any) -> int:
    """The TF DataType enum of a flowzero / NumPy dtype.

    Raises:
        InvalidArgumentError: TF has no DataType for it.
    """
    d = dtypes.as_dtype(dtype)
    try:
        return _ENUM_BY_NAME[d.name]
    except KeyError:
        raise errors.InvalidArgumentError(
            None, None, f"dtype {d.name} has no TensorFlow DataType."
        ) from None


def dtype_from_enum(value: int, where: str) -> dtypes.DType:
    """The flowzero dtype of a TF DataType enum (reference types read as their value type).

    Raises:
        InvalidArgumentError: unknown or unsupported DataType, naming `where`.
    """
    base = value - REF_OFFSET if value > REF_OFFSET else value
    name = _NAME_BY_ENUM.get(base)
    if name is None:
        try:
            label = types_pb2.DataType.Name(value)
        except ValueError:
            label = f"DataType {value}"
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: dtype {label} is not supported by flowzero (it has "
            f"{', '.join(sorted(_ENUM_BY_NAME))}).",
        )
    return dtypes.as_dtype(name)


def shape_proto(shape: Any) -> Any:
    """A TensorShapeProto: -1 for unknown dimensions, `unknown_rank` for an unknown rank."""
    dims = shape.known if isinstance(shape, TensorShape) else tuple(shape)
    if dims is None:
        return tensor_shape_pb2.TensorShapeProto(unknown_rank=True)
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=-1 if d is None else int(d)) for d in dims]
    )


def shape_from_proto(proto: Any, where: str) -> TensorShape:
    """The TensorShape of a TensorShapeProto (-1 = unknown dimension).

    Raises:
        InvalidArgumentError: a dimension below -1 or an absurd element count.
    """
    if proto.unknown_rank:
        return TensorShape(None)
    dims: list[int | None] = []
    n = 1
    for d in proto.dim:
        if d.size < -1:
            raise errors.InvalidArgumentError(
                None, None, f"{where}: shape has dimension {d.size} (must be >= -1)."
            )
        dims.append(None if d.size == -1 else int(d.size))
        n *= max(int(d.size), 1)
        if n > MAX_ELEMENTS:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: shape {[x.size for x in proto.dim]} has more than 2^40 elements.",
            )
    return TensorShape(dims)


def tensor_proto(value: Any, dtype: Any = None) -> Any:
    """A TensorProto holding `value` (numbers as little-endian `tensor_content`, strings in
    `string_val`)."""
    arr = np.asarray(value)
    if dtype is not None:
        dt = dtypes.as_dtype(dtype)
    else:
        dt = dtypes.string if arr.dtype.kind in "OSU" else dtypes.as_dtype(arr.dtype)
    t = tensor_pb2.TensorProto(dtype=dtype_enum(dt), tensor_shape=shape_proto(arr.shape))
    if dt is dtypes.string:
        t.string_val.extend(x if isinstance(x, bytes) else str(x).encode() for x in arr.flat)
    else:
        arr = arr.astype(dt.np, copy=False)
        t.tensor_content = np.ascontiguousarray(arr, arr.dtype.newbyteorder("<")).tobytes()
    return t


# TensorProto field holding each dtype's values when `tensor_content` is empty.
_VAL_FIELD = {
    "float32": "float_val",
    "float64": "double_val",
    "int32": "int_val",
    "int16": "int_val",
    "int8": "int_val",
    "uint8": "int_val",
    "uint16": "int_val",
    "int64": "int64_val",
    "bool": "bool_val",
    "float16": "half_val",
    "complex64": "scomplex_val",
    "complex128": "dcomplex_val",
    "string": "string_val",
}


def array_from_tensor_proto(t: Any, where: str) -> np.ndarray:
    """The NumPy array of a TensorProto (a new, writable array).

    Raises:
        InvalidArgumentError: unknown dtype, bad shape, a content size that does not match the
            shape, or a broadcast value that would expand past 1 GiB; each names `where`.
    """
    dt = dtype_from_enum(t.dtype, where)
    shape = shape_from_proto(t.tensor_shape, where)
    if shape.known is None or any(d is None for d in shape.known):
        raise errors.InvalidArgumentError(
            None, None, f"{where}: a tensor value needs a fully known shape; got {shape}."
        )
    dims = tuple(int(d) for d in shape.known)
    n = int(np.prod(dims, dtype=np.int64)) if dims else 1
    if dt is dtypes.string:
        vals = list(t.string_val)
        return _filled(
            np.array(vals, dtype=object) if vals else np.empty(0, object), n, dims, dt, where
        )
    np_dt = dt.np
    if t.tensor_content:
        want = n * np_dt.itemsize
        if len(t.tensor_content) != want:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: tensor_content has {len(t.tensor_content)} bytes; "
                f"{dt.name} {list(dims)} needs {want}.",
            )
        return np.frombuffer(t.tensor_content, np_dt.newbyteorder("<")).astype(np_dt).reshape(dims)
    field = _VAL_FIELD[dt.name]
    raw = getattr(t, field)
    if dt.name == "float16":
        vals = np.array(raw, dtype=np.uint16).view(np.float16)
    elif dt.is_complex:
        flat = np.array(raw, dtype=np.float32 if dt.name == "complex64" else np.float64)
        if flat.size % 2:
            raise errors.InvalidArgumentError(
                None, None, f"{where}: {field} has an odd number of values."
            )
        vals = flat[0::2] + 1j * flat[1::2]
    else:
        vals = np.array(raw, dtype=np_dt)
    return _filled(vals.astype(np_dt, copy=False), n, dims, dt, where)


def _filled(
    vals: np.ndarray, n: int, dims: tuple[int, ...], dt: dtypes.DType, where: str
) -> np.ndarray:
    if vals.size == n:
        return vals.reshape(dims).copy()
    if vals.size > n:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: tensor has {vals.size} values for shape {list(dims)} ({n} elements).",
        )
    itemsize = 8 if dt is dtypes.string else dt.np.itemsize
    if n * itemsize > MAX_EXPANDED_BYTES:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: a {dt.name} tensor of shape {list(dims)} "
            f"({n * itemsize} bytes) is larger than the 1 GiB a file may expand a value to.",
        )
    # TF repeats the last value given (zero / empty when none) to fill the shape.
    fill = vals[-1] if vals.size else (b"" if dt is dtypes.string else 0)
    out = np.empty(n, dtype=dt.np)
    out[: vals.size] = vals
    out[vals.size :] = fill
    return out.reshape(dims)


# -- attrs ----------------------------------------------------------------------------------
def attr_value(value: Any) -> Any:
    """An AttrValue for a Python / NumPy / flowzero value, or None if it has no proto form."""
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
        av.tensor.CopyFrom(tensor_proto(value))
    elif isinstance(value, (list, tuple)):
        return _list_attr(av, value)
    else:
        return None
    return av


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


def value_from_attr(av: Any, where: str) -> Any:
    """The Python value of an AttrValue: bytes for `s` (callers decode names they expect as
    text), int, float, bool, DType, TensorShape, ndarray, or a list of those.

    Raises:
        InvalidArgumentError: a bad dtype / shape / tensor inside, naming `where`.
    """
    kind = av.WhichOneof("value")
    if kind == "s":
        return av.s
    if kind in ("i", "f", "b"):
        return getattr(av, kind)
    if kind == "type":
        return dtype_from_enum(av.type, where)
    if kind == "shape":
        return shape_from_proto(av.shape, where)
    if kind == "tensor":
        return array_from_tensor_proto(av.tensor, where)
    if kind == "list":
        lst = av.list
        for field in ("s", "i", "f", "b"):
            if len(getattr(lst, field)):
                return list(getattr(lst, field))
        if len(lst.type):
            return [dtype_from_enum(x, where) for x in lst.type]
        if len(lst.shape):
            return [shape_from_proto(x, where) for x in lst.shape]
        if len(lst.tensor):
            return [array_from_tensor_proto(x, where) for x in lst.tensor]
        if len(lst.func):
            return list(lst.func)
        return []
    if kind == "func":
        return av.func
    if kind == "placeholder":
        return av.placeholder
    return None


def fresh_name(used: set[str], name: str) -> str:
    """`name`, or `name_1`, `name_2`, ... : the first not in `used` (then added to it)."""
    k, base = 1, name
    while name in used:
        name = f"{base}_{k}"
        k += 1
    used.add(name)
    return name


def set_attrs(node: Any, attrs: dict[str, Any]) -> None:
    """Sets a NodeDef's attrs: AttrValue messages as they are, flowzero values converted
    (`attr_value`; a None value sets nothing)."""
    for key, value in attrs.items():
        if hasattr(value, "WhichOneof"):
            node.attr[key].CopyFrom(value)
        else:
            av = attr_value(value)
            if av is not None:
                node.attr[key].CopyFrom(av)
