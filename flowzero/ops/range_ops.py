"""Sequence ops: range and lin_space (evenly spaced values)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.array_ops import _int_operand, constant, ones_like, sum_to, zeros_like
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import (
    DTypeError,
    _convert_list,
    _dtype_of,
    _graph_for,
    _is_tensorish,
    _require_int,
    _require_same_dtype,
    _scalar_int,
    static_value,
)

# -- range / linspace --------------------------------------------------------------------------
_RANGE_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def _static_scalar(t: Tensor) -> Any:
    """A scalar's build-time value (ints also through Shape/Rank/Size/slices), or None."""
    v = static_value(t)
    if v is not None:
        return np.asarray(v).reshape(-1)[0].item()
    return _scalar_int(t) if t.dtype.is_integer else None


def _range_size(self: OpDef, s: Any, limit: Any, d: Any) -> int:
    if d == 0:
        raise self.error("requires delta != 0; got delta 0.")
    if (d > 0 and s > limit) or (d < 0 and s < limit):
        raise self.error(
            f"requires start <= limit when delta > 0 (start >= limit when delta "
            f"< 0); got start {s}, limit {limit}, delta {d}."
        )
    if (
        isinstance(s, (int, np.integer))
        and isinstance(limit, (int, np.integer))
        and isinstance(d, (int, np.integer))
    ):
        return int((abs(int(limit) - int(s)) + abs(int(d)) - 1) // abs(int(d)))
    return int(np.ceil(abs((float(limit) - float(s)) / float(d))))


@register_op("Range")
class Range(OpDef):
    """y = [start, start + delta, ...] up to but excluding limit."""

    differentiable = False  # as TF: NotDifferentiable("Range")

    def infer(self, start: Tensor, limit: Tensor, delta: Tensor) -> TensorSpec:
        _require_same_dtype(self, [start, limit, delta], "inputs")
        if start.dtype not in _RANGE_DTYPES:
            raise self.error(
                f"start/limit/delta must be int32, int64, float32 or float64; got "
                f"{start.dtype.name}.",
                cls=DTypeError,
            )
        for t, nm in ((start, "start"), (limit, "limit"), (delta, "delta")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        vals = [_static_scalar(t) for t in (start, limit, delta)]
        if any(v is None for v in vals):
            return spec([None], start.dtype)
        return spec([_range_size(self, *vals)], start.dtype)

    def compute(self, start: np.ndarray, limit: np.ndarray, delta: np.ndarray) -> np.ndarray:
        s, lim, d = start.item(), limit.item(), delta.item()
        n = _range_size(self, s, lim, d)
        dt = start.dtype
        if dt.kind in "iu":
            return (np.arange(n, dtype=dt) * dt.type(d) + dt.type(s)).astype(dt, copy=False)
        return (np.arange(n, dtype=np.float64) * d + s).astype(dt)


def range(  # noqa: A001
    start: Any,
    limit: Any = None,
    delta: Any = 1,
    dtype: Any = None,  # noqa: A001
    name: str = "range",
) -> Tensor:
    """[start, start + delta, ...) up to but excluding `limit` (`range(n)` = [0, n)).

    Dtype: `dtype` if given; else the widest of the arguments' (Python ints int32, floats
    float32), as TF: `tf.range(5)` is int32, `tf.range(0., 1., .25)` float32.

    Raises:
        InvalidArgumentError: delta is 0, or delta's sign points away from limit.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.range(3, 18, 3))
        array([ 3,  6,  9, 12, 15], dtype=int32)
    """
    if limit is None:
        start, limit = 0, start
    args = [start, limit, delta]
    with _graph_for(args):
        if dtype is not None:
            dt = dtypes.as_dtype(dtype)
        else:
            order = list(_RANGE_DTYPES)
            found = [_dtype_of(a) for a in args]
            dt = max(found, key=lambda d: order.index(d) if d in order else -1)
        ts = []
        for a in args:
            if _is_tensorish(a):
                t = convert_to_tensor(a)
                if t.dtype is not dt:
                    t = cast(t, dt)
                ts.append(t)
            else:
                ts.append(constant(a, dtype=dt))
        return apply_op(Range, ts, name=name)


@register_op("LinSpace")
class LinSpace(OpDef):
    """y[i] = start + i * (stop - start) / (num - 1), i in [0, num) (y = [start] if num = 1)."""

    def infer(self, start: Tensor, stop: Tensor, num: Tensor) -> TensorSpec:
        if start.dtype not in (dtypes.float32, dtypes.float64) or stop.dtype is not start.dtype:
            raise self.error(
                f"start and stop must both be float32 or both float64; got "
                f"{start.dtype.name} and {stop.dtype.name}.",
                cls=DTypeError,
            )
        _require_int(self, num, "num")
        for t, nm in ((start, "start"), (stop, "stop"), (num, "num")):
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        n = _scalar_int(num)
        if n is not None and n <= 0:
            raise self.error(f"requires num > 0; got {n}.")
        return spec([n], start.dtype)

    def compute(self, start: np.ndarray, stop: np.ndarray, num: np.ndarray) -> np.ndarray:
        n = int(num)
        if n <= 0:
            raise self.error(f"requires num > 0; got {n}.")
        return np.linspace(start, stop, n, dtype=start.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        start, _, num = op.inputs
        t = lin_space(zeros_like(start), ones_like(start), num)  # i / (num - 1)
        return [sum_to(dy * (1 - t), []), sum_to(dy * t, []), None]


def lin_space(start: Any, stop: Any, num: Any, name: str | None = None) -> Tensor:
    """`num` evenly spaced values from `start` to `stop`, both included.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.lin_space(10.0, 12.0, 3))
        array([10., 11., 12.], dtype=float32)
    """
    with _graph_for(start, stop, num):
        s, e = _convert_list([start, stop])
        return apply_op(LinSpace, [s, e, _int_operand(num, "num")], name=name)


linspace = lin_space


__all__ = ["range", "lin_space", "linspace"]
