"""Small descriptive types of TF's public API: TensorSpec (a shape, dtype and name a tensor
should have), DeviceSpec (a parsed device string), and the enums AggregationMethod,
UnconnectedGradients, VariableSynchronization and VariableAggregation."""

from __future__ import annotations

import enum
from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.shapes import TensorShape, as_shape


class TensorSpec:
    """Describes a tensor: its static shape, dtype and an optional name.

    Example:
        >>> spec = tf.TensorSpec([None, 3], tf.float32)
        >>> spec.is_compatible_with(tf.zeros([2, 3]))
        True
    """

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape: Any, dtype: Any = dtypes.float32, name: str | None = None) -> None:
        self._shape = as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    @classmethod
    def from_spec(cls, spec: Any, name: str | None = None) -> TensorSpec:
        return cls(spec.shape, spec.dtype, name if name is not None else spec.name)

    @classmethod
    def from_tensor(cls, tensor: Any, name: str | None = None) -> TensorSpec:
        return cls(tensor.shape, tensor.dtype, name if name is not None else tensor.op.name)

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def dtype(self) -> dtypes.DType:
        return self._dtype

    @property
    def name(self) -> str | None:
        return self._name

    def is_compatible_with(self, spec_or_tensor: Any) -> bool:
        """Whether a TensorSpec or Tensor (or a value with .shape and .dtype) has this dtype and
        a shape compatible with this shape."""
        dt = getattr(spec_or_tensor, "dtype", None)
        if dt is None:
            return False
        try:
            same = dtypes.as_dtype(dt) is self._dtype
        except TypeError:
            return False
        return same and self._shape.is_compatible_with(as_shape(spec_or_tensor.shape))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TensorSpec)
            and self._dtype is other._dtype
            and self._name == other._name
            and self._shape.as_list() == other._shape.as_list()
            if self._shape.ndims is not None and other._shape.ndims is not None
            else isinstance(other, TensorSpec)
            and self._shape.ndims == other._shape.ndims
            and self._dtype is other._dtype
            and self._name == other._name
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((str(self._shape), self._dtype.name, self._name))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self._shape}, dtype={self._dtype!r}, name={self._name!r})"


_DEVICE_FIELDS = ("job", "replica", "task", "device_type", "device_index")


class DeviceSpec:
    """A device as its parts: job, replica, task, device_type and device_index (each None
    when not given), parsed from and printed as "/job:x/replica:0/task:0/device:CPU:0".

    Example:
        >>> tf.DeviceSpec.from_string("/job:ps/task:1/gpu:0").to_string()
        '/job:ps/task:1/device:GPU:0'
    """

    def __init__(
        self,
        job: str | None = None,
        replica: int | None = None,
        task: int | None = None,
        device_type: str | None = None,
        device_index: int | None = None,
    ) -> None:
        self.job = job
        self.replica = None if replica is None else int(replica)
        self.task = None if task is None else int(task)
        self.device_type = None if device_type is None else _device_type(device_type)
        self.device_index = None if device_index is None else int(device_index)

    @classmethod
    def from_string(cls, spec: str) -> DeviceSpec:
        """Parses "/job:<name>/replica:<n>/task:<n>/device:<TYPE>:<n|*>" (any part may be
        left out; "/cpu:0" and "/gpu:1" are short for device:CPU:0 and device:GPU:1).

        Raises:
            ValueError: a part that is none of these.
        """
        return cls().parse_from_string(spec)

    def parse_from_string(self, spec: str) -> DeviceSpec:
        """Sets the parts named in `spec` (see from_string); returns self."""
        for part in (spec or "").split("/"):
            if not part:
                continue
            bits = part.split(":")
            key = bits[0]
            if key == "job" and len(bits) == 2:
                self.job = bits[1]
            elif key in ("replica", "task") and len(bits) == 2 and bits[1].isdigit():
                setattr(self, key, int(bits[1]))
            elif key == "device" and len(bits) in (2, 3):
                self.device_type = _device_type(bits[1])
                self.device_index = _device_index(bits[2], spec) if len(bits) == 3 else None
            elif key.upper() in ("CPU", "GPU", "TPU") and len(bits) == 2:
                self.device_type = key.upper()
                self.device_index = _device_index(bits[1], spec)
            elif len(bits) == 1 and key.upper() in ("CPU", "GPU", "TPU"):
                self.device_type = key.upper()
            else:
                raise ValueError(f"Unknown attribute: '{part}' in '{spec}'")
        return self

    def to_string(self) -> str:
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            idx = "*" if self.device_index is None else str(self.device_index)
            out += f"/device:{self.device_type}:{idx}"
        return out

    def make_merged_spec(self, dev: DeviceSpec) -> DeviceSpec:
        """A copy of self with the parts `dev` sets taking their place."""
        out = DeviceSpec(*(getattr(self, f) for f in _DEVICE_FIELDS))
        out.merge_from(dev)
        return out

    def merge_from(self, dev: DeviceSpec) -> None:
        for f in _DEVICE_FIELDS:
            v = getattr(dev, f)
            if v is not None:
                setattr(self, f, v)

    def replace(self, **kwargs: Any) -> DeviceSpec:
        parts = {f: getattr(self, f) for f in _DEVICE_FIELDS}
        parts.update(kwargs)
        return DeviceSpec(**parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self) -> int:
        return hash(self.to_string())

    def __repr__(self) -> str:
        return f"<DeviceSpec {self.to_string()!r}>"


def _device_type(t: str) -> str:
    return t.upper() if t.upper() in ("CPU", "GPU", "TPU") else t


def _device_index(s: str, spec: str) -> int | None:
    if s == "*":
        return None
    if not s.isdigit():
        raise ValueError(f"Unknown attribute: device index '{s}' in '{spec}'")
    return int(s)


class AggregationMethod:
    """How tf.gradients adds the gradients that reach one tensor along several paths.
    flowzero always adds them with one AddN (TF's ADD_N); the others are accepted as names
    of the same sum."""

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


class UnconnectedGradients(enum.Enum):
    """What tf.gradients returns for an x that ys do not depend on: None ("none") or zeros
    of x's shape ("zero")."""

    NONE = "none"
    ZERO = "zero"


class VariableSynchronization(enum.Enum):
    """When a distributed variable is synchronized (accepted by tf.get_variable; flowzero
    runs in one process, where every choice means the same)."""

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How replicas' updates of a variable combine (accepted by tf.get_variable; flowzero
    has one replica)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # TF 1.x's name for ONLY_FIRST_REPLICA
