"""Signatures: which tensors a served model reads and writes (TF's SignatureDef / TensorInfo).

TensorFlow keeps these as protocol buffers; here they are small immutable Python objects that
turn into JSON (`to_json`) and back (`from_json`, which checks every field, since the JSON comes
from a file on disk).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowzero.framework import dtypes as _dtypes
from flowzero.framework import errors
from flowzero.framework.graph import Tensor
from flowzero.framework.shapes import TensorShape
from flowzero.saved_model import signature_constants as sc

_KEY_RE = re.compile(r"^[A-Za-z0-9_.\-/]{1,200}$")


def _bad(where: str, what: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"{where}: {what}")


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of a signature: its graph name (`op:index`), dtype and static shape.

    `shape` is a list with None for unknown dims (the batch dim, usually), or None when even the
    rank is unknown.
    """

    name: str
    dtype: _dtypes.DType
    shape: tuple[int | None, ...] | None

    @property
    def tensor_shape(self) -> TensorShape:
        return TensorShape(None if self.shape is None else list(self.shape))

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype.name,
            "shape": None if self.shape is None else list(self.shape),
        }

    @classmethod
    def from_json(cls, d: Any, where: str = "tensor info") -> TensorInfo:
        if not isinstance(d, dict):
            raise _bad(where, f"expected an object; got {type(d).__name__}")
        name, dtype, shape = d.get("name"), d.get("dtype"), d.get("shape")
        if not isinstance(name, str) or not re.fullmatch(r"[^:\s]+:\d+", name):
            raise _bad(where, f"'name' must be a tensor name like 'scope/x:0'; got {name!r}")
        try:
            dt = _dtypes.as_dtype(dtype) if isinstance(dtype, str) else None
        except TypeError:
            dt = None
        if dt is None:
            raise _bad(where, f"unknown dtype {dtype!r}")
        if shape is not None:
            if not isinstance(shape, list) or not all(
                s is None or (type(s) is int and s >= 0) for s in shape
            ):
                raise _bad(
                    where, f"'shape' must be a list of sizes (null for unknown); got {shape!r}"
                )
            shape = tuple(shape)
        return cls(name, dt, shape)


@dataclass(frozen=True)
class SignatureDef:
    """Named inputs and outputs of one way to call a model, plus the method name."""

    inputs: Mapping[str, TensorInfo] = field(default_factory=dict)
    outputs: Mapping[str, TensorInfo] = field(default_factory=dict)
    method_name: str = sc.PREDICT_METHOD_NAME

    def to_json(self) -> dict[str, Any]:
        return {
            "inputs": {k: v.to_json() for k, v in self.inputs.items()},
            "outputs": {k: v.to_json() for k, v in self.outputs.items()},
            "method_name": self.method_name,
        }

    @classmethod
    def from_json(cls, d: Any, where: str = "signature") -> SignatureDef:
        if not isinstance(d, dict):
            raise _bad(where, f"expected an object; got {type(d).__name__}")
        parts = {}
        for part in ("inputs", "outputs"):
            m = d.get(part)
            if not isinstance(m, dict):
                raise _bad(where, f"'{part}' must be an object")
            for k in m:
                if not _KEY_RE.match(k):
                    raise _bad(where, f"invalid {part[:-1]} key {k!r}")
            parts[part] = {
                k: TensorInfo.from_json(v, f"{where} {part[:-1]} {k!r}") for k, v in m.items()
            }
        method = d.get("method_name", sc.PREDICT_METHOD_NAME)
        if not isinstance(method, str):
            raise _bad(where, "'method_name' must be a string")
        return cls(parts["inputs"], parts["outputs"], method)


def build_tensor_info(tensor: Any) -> TensorInfo:
    """The TensorInfo of a graph tensor (TF's tf.saved_model.utils.build_tensor_info)."""
    t = tensor._as_tensor(None) if hasattr(tensor, "_as_tensor") else tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"build_tensor_info needs a tf.Tensor; got {type(tensor).__name__}.")
    dims = t.shape.known
    return TensorInfo(t.name, t.dtype, None if dims is None else tuple(dims))


def _infos(m: Any, what: str) -> dict[str, TensorInfo]:
    if not isinstance(m, Mapping) or not m:
        raise ValueError(f"Signature {what} must be a non-empty dict {{key: tensor}}; got {m!r}.")
    out = {}
    for k, v in m.items():
        if not isinstance(k, str) or not _KEY_RE.match(k):
            raise ValueError(
                f"Signature {what} key {k!r} is invalid: use letters, digits and "
                "_ . - / (at most 200)."
            )
        out[k] = v if isinstance(v, TensorInfo) else build_tensor_info(v)
    return out


def build_signature_def(
    inputs: Any = None, outputs: Any = None, method_name: str | None = None
) -> SignatureDef:
    """A SignatureDef from {key: Tensor or TensorInfo} dicts."""
    return SignatureDef(
        _infos(inputs, "inputs"), _infos(outputs, "outputs"), method_name or sc.PREDICT_METHOD_NAME
    )


def predict_signature_def(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> SignatureDef:
    """A Predict signature: any named inputs to any named outputs.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 2], name="x")
        >>> probs = tf.nn.softmax(x, name="probs")
        >>> sig = tf.saved_model.signature_def_utils.predict_signature_def(
        ...     {"x": x}, {"probabilities": probs})
        >>> print(sig.method_name, sig.inputs["x"].name, sig.outputs["probabilities"].name)
        tensorflow/serving/predict x:0 probs:0
    """
    return build_signature_def(inputs, outputs, sc.PREDICT_METHOD_NAME)


def classification_signature_def(examples: Any, classes: Any, scores: Any) -> SignatureDef:
    """A Classify signature (TF Serving's Classify API): serialized tf.Examples in, class
    names and/or scores out.

    Args:
        examples: a string tensor (serialized tf.Example protos).
        classes: a string tensor of class names, or None.
        scores: a float32 tensor of scores, or None (not both None).

    Raises:
        ValueError: a missing or wrongly typed tensor (TF's messages).
    """
    if examples is None:
        raise ValueError("Classification examples cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Classification examples must be a string Tensor.")
    if classes is None and scores is None:
        raise ValueError("Classification classes and scores cannot both be None.")
    info = build_tensor_info(examples)
    if info.dtype is not _dtypes.string:
        raise ValueError("Classification examples must be a string Tensor.")
    outputs = {}
    if classes is not None:
        c = build_tensor_info(classes)
        if c.dtype is not _dtypes.string:
            raise ValueError("Classification classes must be a string Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = c
    if scores is not None:
        s = build_tensor_info(scores)
        if s.dtype is not _dtypes.float32:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = s
    return SignatureDef({sc.CLASSIFY_INPUTS: info}, outputs, sc.CLASSIFY_METHOD_NAME)


def regression_signature_def(examples: Any, predictions: Any) -> SignatureDef:
    """A Regress signature (TF Serving's Regress API): serialized tf.Examples in, float
    predictions out.

    Raises:
        ValueError: a missing or wrongly typed tensor (TF's messages).
    """
    if examples is None:
        raise ValueError("Regression examples cannot be None.")
    if not isinstance(examples, Tensor):
        raise ValueError("Regression examples must be a string Tensor.")
    info = build_tensor_info(examples)
    if info.dtype is not _dtypes.string:
        raise ValueError("Regression examples must be a string Tensor.")
    if predictions is None:
        raise ValueError("Regression predictions cannot be None.")
    out = build_tensor_info(predictions)
    if out.dtype is not _dtypes.float32:
        raise ValueError("Regression predictions must be a float Tensor.")
    return SignatureDef(
        {sc.REGRESS_INPUTS: info}, {sc.REGRESS_OUTPUTS: out}, sc.REGRESS_METHOD_NAME
    )


def _dtype_of(info: Any) -> Any:
    dt = info.dtype
    if isinstance(dt, int):  # a TF TensorInfo message: the DataType enum
        return {1: _dtypes.float32, 7: _dtypes.string}.get(dt)
    return dt


def is_valid_signature(signature_def: Any) -> bool:
    """Whether `signature_def` is a valid Predict, Classify or Regress signature, as TF
    Serving checks (method name, the input / output keys of Classify and Regress, and their
    dtypes). Takes flowzero's SignatureDef or TensorFlow's message."""
    if signature_def is None or not hasattr(signature_def, "method_name"):
        return False
    method = signature_def.method_name
    inputs, outputs = signature_def.inputs, signature_def.outputs
    if method == sc.PREDICT_METHOD_NAME:
        return bool(len(inputs)) and bool(len(outputs))
    if method == sc.REGRESS_METHOD_NAME:
        return (
            set(inputs.keys()) == {sc.REGRESS_INPUTS}
            and _dtype_of(inputs[sc.REGRESS_INPUTS]) is _dtypes.string
            and set(outputs.keys()) == {sc.REGRESS_OUTPUTS}
            and _dtype_of(outputs[sc.REGRESS_OUTPUTS]) is _dtypes.float32
        )
    if method == sc.CLASSIFY_METHOD_NAME:
        allowed = {sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES}
        keys = set(outputs.keys())
        return (
            set(inputs.keys()) == {sc.CLASSIFY_INPUTS}
            and _dtype_of(inputs[sc.CLASSIFY_INPUTS]) is _dtypes.string
            and bool(keys)
            and keys <= allowed
            and (
                sc.CLASSIFY_OUTPUT_CLASSES not in keys
                or _dtype_of(outputs[sc.CLASSIFY_OUTPUT_CLASSES]) is _dtypes.string
            )
            and (
                sc.CLASSIFY_OUTPUT_SCORES not in keys
                or _dtype_of(outputs[sc.CLASSIFY_OUTPUT_SCORES]) is _dtypes.float32
            )
        )
    return False


def get_tensor_from_tensor_info(
    tensor_info: Any, graph: Any = None, import_scope: str | None = None
) -> Tensor:
    """The tensor a TensorInfo names, in `graph` (default graph), under `import_scope`.

    Raises:
        KeyError: no such tensor in the graph.
        ValueError: a TensorInfo that is not a dense tensor's (TF's coo_sparse, composite).
    """
    from flowzero.framework.graph import get_default_graph

    g = graph if graph is not None else get_default_graph()
    which = tensor_info.WhichOneof("encoding") if hasattr(tensor_info, "WhichOneof") else "name"
    if which != "name":
        raise ValueError(f"Invalid TensorInfo.encoding: {which}")
    name = tensor_info.name
    if import_scope:
        name = f"{import_scope.rstrip('/')}/{name}"
    return g.get_tensor_by_name(name)


__all__ = [
    "TensorInfo",
    "SignatureDef",
    "build_tensor_info",
    "build_signature_def",
    "predict_signature_def",
    "is_valid_signature",
    "classification_signature_def",
    "regression_signature_def",
    "get_tensor_from_tensor_info",
]
