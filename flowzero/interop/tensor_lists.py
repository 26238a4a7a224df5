"""TF 2.x's TensorList ops imported as flowzero TensorArrays.

Under control flow v2 (TF 2.x, and TF1 code under `enable_control_flow_v2()`), a
`tf.TensorArray` is a TensorList (a `variant` value), and the gradient of a `While` loop keeps
each value its backward pass needs in a TensorList accumulator: the forward body pushes
(`TensorListPushBack`), the backward body pops (`TensorListPopBack`). flowzero's TensorArray
handle is a `variant` too, so each TensorList op becomes TensorArray ops on it:

    EmptyTensorList / TensorListReserve  -> TensorArrayV3 (dynamic size, no clear after read)
    TensorListFromTensor                 -> TensorArrayV3 + TensorArrayScatterV3 (0..n-1)
    TensorListSetItem                    -> TensorArraySetItem (may replace an element)
    TensorListGetItem                    -> TensorArrayReadV3
    TensorListPushBack                   -> TensorArrayWriteV3 at index TensorArraySizeV3
    TensorListPopBack                    -> TensorArrayPopBack (read the last, remove it)
    TensorListStack                      -> TensorArrayGatherV3 of 0..size-1
    TensorListLength                     -> TensorArraySizeV3
    TensorListElementShape               -> the element shape known at import, as a constant

The semantics agree for what TF writes (each list made, filled and read along one path). They
differ where a list is shared: TF's lists are values (an update copies), flowzero's arrays are
updated in place.
An element shape only known at run time reads as unknown (-1) from TensorListElementShape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.ops.tensor_array_ops import ARRAY_UPDATES as _PASS_ON


def _element_shape(ctx: Any, t: Tensor | None) -> TensorShape:
    """The element shape an `element_shape` input holds when it is a constant (-1: unknown
    rank; -1 entries: unknown dimensions), else unknown."""
    value = None if t is None else ctx.const_value(t)
    if value is None:
        return TensorShape(None)
    arr = np.asarray(value).reshape(-1) if np.ndim(value) else np.asarray(value)
    if arr.ndim == 0:
        return TensorShape(None if int(arr) == -1 else [])
    return TensorShape([None if int(d) < 0 else int(d) for d in arr])


def _ta_attrs(ctx: Any, shape: TensorShape) -> dict[str, Any]:
    return {"dtype": ctx.attrs["element_dtype"], "element_shape": shape}


def _const(ctx: Any, value: Any, suffix: str) -> Tensor:
    arr = np.asarray(value)
    return ctx.make(
        "Const", [], {"value": arr, "dtype": dtypes.as_dtype(arr.dtype)}, f"{ctx.name}/{suffix}"
    ).outputs[0]


def _new(ctx: Any, size: Tensor, shape: TensorShape, name: str | None = None) -> Tensor:
    attrs = {
        **_ta_attrs(ctx, shape),
        "dynamic_size": True,  # a list grows by PushBack, whatever it was reserved with
        "clear_after_read": False,
        "tensor_array_name": "",
    }
    return ctx.make("TensorArrayV3", [size], attrs, name).outputs[0]


def _known_shape(h: Tensor) -> TensorShape:
    """The element shape recorded on the TensorArrayV3 behind handle `h`, through the ops
    that pass a handle on (write, set, pop, scatter); unknown for a loop argument."""
    op = h.op
    while op.type in _PASS_ON:
        op = op.inputs[0].op
    if op.type == "TensorArrayV3":
        return op.opdef.attrs["element_shape"]
    return TensorShape(None)


def empty_list(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    element_shape, _ = inputs  # max_num_elements: flowzero's arrays grow without a cap
    return [_new(ctx, _const(ctx, np.int32(0), "size"), _element_shape(ctx, element_shape))]


def reserve(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    element_shape, num = inputs
    return [_new(ctx, num, _element_shape(ctx, element_shape))]


def from_tensor(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    tensor, element_shape = inputs
    shape = _element_shape(ctx, element_shape)
    known = tensor.shape.known
    if known is not None and shape.known is None:
        shape = TensorShape(known[1:])
    n = ctx.name
    full = ctx.make("Shape", [tensor], {"out_type": dtypes.int32}, f"{n}/shape").outputs[0]
    count = ctx.make(
        "StridedSlice",
        [
            full,
            _const(ctx, np.array([0], np.int32), "begin"),
            _const(ctx, np.array([1], np.int32), "end"),
            _const(ctx, np.array([1], np.int32), "strides"),
        ],
        {
            "begin_mask": 0,
            "end_mask": 0,
            "ellipsis_mask": 0,
            "new_axis_mask": 0,
            "shrink_axis_mask": 1,
        },
        f"{n}/count",
    ).outputs[0]
    handle = _new(ctx, count, shape, f"{n}/list")
    indices = ctx.make(
        "Range",
        [_const(ctx, np.int32(0), "start"), count, _const(ctx, np.int32(1), "delta")],
        {},
        f"{n}/indices",
    ).outputs[0]
    return ctx.make("TensorArrayScatterV3", [handle, indices, tensor], {}).outputs


def set_item(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    handle, index, item = inputs
    return ctx.make("TensorArraySetItem", [handle, index, item], {}).outputs


def get_item(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    handle, index, element_shape = inputs
    shape = _element_shape(ctx, element_shape)
    if shape.known is None:
        shape = _known_shape(handle)
    return ctx.make("TensorArrayReadV3", [handle, index], _ta_attrs(ctx, shape)).outputs


def push_back(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    handle, tensor = inputs
    size = ctx.make("TensorArraySizeV3", [handle], {}, f"{ctx.name}/size").outputs[0]
    return ctx.make("TensorArrayWriteV3", [handle, size, tensor], {}).outputs


def pop_back(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    handle, element_shape = inputs
    shape = _element_shape(ctx, element_shape)
    if shape.known is None:
        shape = _known_shape(handle)
    return ctx.make("TensorArrayPopBack", [handle], _ta_attrs(ctx, shape)).outputs


def stack(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    handle, element_shape = inputs
    shape = _element_shape(ctx, element_shape)
    if shape.known is None:
        shape = _known_shape(handle)
    n = ctx.name
    size = ctx.make("TensorArraySizeV3", [handle], {}, f"{n}/size").outputs[0]
    indices = ctx.make(
        "Range",
        [_const(ctx, np.int32(0), "start"), size, _const(ctx, np.int32(1), "delta")],
        {},
        f"{n}/indices",
    ).outputs[0]
    return ctx.make("TensorArrayGatherV3", [handle, indices], _ta_attrs(ctx, shape)).outputs


def length(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    return ctx.make("TensorArraySizeV3", [inputs[0]], {}).outputs


def element_shape(ctx: Any, inputs: list[Tensor]) -> list[Tensor]:
    shape = _known_shape(inputs[0])
    out = ctx.attrs.get("shape_type", dtypes.int32)
    np_type = out.np if hasattr(out, "np") else np.int32
    if shape.known is None:
        value = np.asarray(-1, np_type)
    else:
        value = np.asarray([-1 if d is None else d for d in shape.known], np_type)
    return [_const(ctx, value, "value")]


def zeros_like_list(ctx: Any, handle: Tensor) -> list[Tensor]:
    """TF's ZerosLike of a TensorList: a list of as many elements, none set (an unset element
    reads as zeros where its shape is known)."""
    size = ctx.make("TensorArraySizeV3", [handle], {}, f"{ctx.name}/size").outputs[0]
    shape = _known_shape(handle)
    attrs = {
        "dtype": _known_dtype(handle),
        "element_shape": shape,
        "dynamic_size": True,
        "clear_after_read": False,
        "tensor_array_name": "",
    }
    return ctx.make("TensorArrayV3", [size], attrs).outputs


def _known_dtype(h: Tensor) -> Any:
    op = h.op
    while op.type in _PASS_ON:
        op = op.inputs[0].op
    if op.type == "TensorArrayV3":
        return op.opdef.attrs["dtype"]
    return dtypes.float32


IMPORTERS = {
    "EmptyTensorList": empty_list,
    "TensorListReserve": reserve,
    "TensorListFromTensor": from_tensor,
    "TensorListSetItem": set_item,
    "TensorListGetItem": get_item,
    "TensorListPushBack": push_back,
    "TensorListPopBack": pop_back,
    "TensorListStack": stack,
    "TensorListLength": length,
    "TensorListElementShape": element_shape,
}
