"""DType objects (tf.float32, tf.int32, ...) and their NumPy counterparts.

TF's inference rules live here too: a Python float becomes float32, a Python int int32, a bool
bool, a str/bytes string — never an implicit float64 (NumPy's default).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_pybool = bool


class DType:
    """A tensor element type, as TF's `tf.DType`."""

    __slots__ = ("name", "_np")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self._np = np.dtype(np_dtype)

    @property
    def as_numpy_dtype(self) -> type:
        return self._np.type

    @property
    def np(self) -> np.dtype:
        """The numpy.dtype instance (what kernels use)."""
        return self._np

    @property
    def base_dtype(self) -> DType:
        return self

    @property
    def real_dtype(self) -> DType:
        return self

    @property
    def is_floating(self) -> _pybool:
        return self._np.kind == "f"

    @property
    def is_integer(self) -> _pybool:
        return self._np.kind in "iu"

    @property
    def is_unsigned(self) -> _pybool:
        return self._np.kind == "u"

    @property
    def is_bool(self) -> _pybool:
        return self._np.kind == "b"

    @property
    def is_complex(self) -> _pybool:
        return self._np.kind == "c"

    @property
    def is_numeric(self) -> _pybool:
        return self._np.kind in "fiuc"

    @property
    def min(self) -> Any:
        if self.is_floating:
            return np.finfo(self._np).min
        if self.is_integer:
            return np.iinfo(self._np).min
        raise TypeError(f"Cannot find minimum value of {self.name}.")

    @property
    def max(self) -> Any:
        if self.is_floating:
            return np.finfo(self._np).max
        if self.is_integer:
            return np.iinfo(self._np).max
        raise TypeError(f"Cannot find maximum value of {self.name}.")

    @property
    def size(self) -> int:
        return self._np.itemsize

    def is_compatible_with(self, other: Any) -> _pybool:
        return self is as_dtype(other)

    def __eq__(self, other: object) -> _pybool:
        if other is None:
            return False
        try:
            return self is as_dtype(other)
        except TypeError:
            return False

    def __ne__(self, other: object) -> _pybool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"tf.{self.name}"

    def __reduce__(self) -> tuple:
        return (as_dtype, (self.name,))


float16 = DType("float16", np.float16)
half = float16
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
double = float64
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
uint16 = DType("uint16", np.uint16)
bool = DType("bool", np.bool_)  # noqa: A001 - TF's public name
complex64 = DType("complex64", np.complex64)
complex128 = DType("complex128", np.complex128)
string = DType("string", np.object_)

_ALL = (
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    bool,
    complex64,
    complex128,
    string,
)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, double=float64, float=float32, int=int32)
_BY_NP = {d.np: d for d in _ALL}
# A TensorArray handle (or another opaque runtime object) flowing through the graph, as TF's
# DT_VARIANT. Never inferred from a NumPy dtype: object arrays stay strings.
variant = DType("variant", np.object_)
_BY_NAME["variant"] = variant
_BY_NP[np.dtype("S")] = string
_BY_NP[np.dtype("U")] = string


def as_dtype(value: Any) -> DType:
    """Converts a DType, NumPy dtype, type name or Python type to a flowzero DType.

    Raises:
        TypeError: if `value` names no supported type.
    """
    if isinstance(value, DType):
        return value
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value is float:
        return float32
    if value is int:
        return int32
    if value is _pybool:
        return bool
    if value in (str, bytes):
        return string
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to a flowzero DType.") from None
    if npd.kind in "SU":
        return string
    try:
        return _BY_NP[npd]
    except KeyError:
        raise TypeError(f"Cannot convert {value!r} to a flowzero DType.") from None


def infer_numpy(value: Any) -> np.ndarray:
    """Python/NumPy value -> ndarray with TF's default dtypes (float32, int32, bool, string).

    NumPy inputs keep their dtype (a float64 array stays float64, as in TF); Python scalars and
    nested lists get TF's defaults instead of NumPy's 64-bit ones.
    """
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return np.asarray(value)
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "f":
        return arr.astype(np.float32)
    if kind in "iu":
        if arr.size and (arr.max() > np.iinfo(np.int32).max or arr.min() < np.iinfo(np.int32).min):
            return arr.astype(np.int64)
        return arr.astype(np.int32)
    if kind in "SU":
        # NOTE: from the Python values, not `arr`: NumPy's "S" dtype drops trailing NUL bytes.
        src = np.array(value, dtype=object)
        out = np.empty(arr.shape, dtype=object)
        for idx, item in np.ndenumerate(src if src.shape == arr.shape else arr):
            out[idx] = item.encode() if isinstance(item, str) else bytes(item)
        return out
    if kind == "c":
        return arr.astype(np.complex128)
    return arr


__all__ = [d.name for d in _ALL] + ["DType", "as_dtype", "half", "double", "infer_numpy"]
