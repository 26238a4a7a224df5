"""dynamic_partition and dynamic_stitch: split a tensor's rows into groups by an index, and
merge groups of rows back into one tensor by position (each the other's gradient)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, shape
from flowzero.ops.common import DTypeError, _as_list, _graph_for
from flowzero.ops.indexing_ops import gather
from flowzero.ops.range_ops import range as range_
from flowzero.ops.reduction_ops import reduce_prod
from flowzero.ops.reshape_ops import reshape


@register_op("DynamicPartition")
class DynamicPartition(OpDef):
    """outputs[i] = the entries data[j...] with partitions[j...] == i, in row-major order
    (partitions' shape is a prefix of data's; attr num_partitions)."""

    def infer(self, data: Tensor, partitions: Tensor) -> list[TensorSpec]:
        if partitions.dtype is not dtypes.int32:
            raise self.error(
                f"partitions must be int32; got {partitions.dtype.name}.", cls=DTypeError
            )
        n = self.attrs["num_partitions"]
        ds, ps = data.shape, partitions.shape
        if ds.ndims is None or ps.ndims is None:
            return [spec(TensorShape(None), data.dtype)] * n
        if ps.ndims > ds.ndims or not ds[: ps.ndims].is_compatible_with(ps):
            raise self.error(
                f"partitions.shape must be a prefix of data.shape; got data: {ds}, "
                f"partitions: {ps}."
            )
        return [spec([None] + list(ds.known[ps.ndims :]), data.dtype)] * n  # type: ignore

    def compute(self, data: np.ndarray, partitions: np.ndarray) -> list[np.ndarray]:
        n = self.attrs["num_partitions"]
        k = partitions.ndim
        if data.shape[:k] != partitions.shape:
            raise self.error(
                f"partitions.shape must be a prefix of data.shape; got data: "
                f"{data.shape}, partitions: {partitions.shape}."
            )
        flat_p = partitions.reshape(-1)
        if flat_p.size and (flat_p.min() < 0 or flat_p.max() >= n):
            j = int(np.argmax((flat_p < 0) | (flat_p >= n)))
            raise self.error(f"partitions[{j}] = {int(flat_p[j])} is not in [0, {n}).")
        rows = data.reshape((flat_p.size,) + data.shape[k:])
        return [rows[flat_p == i] for i in range(n)]

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        # Partition the positions the same way, then stitch the gradients back by position.
        data, parts = op.inputs
        prefix = shape(parts)
        positions = reshape(range_(reduce_prod(prefix)), prefix)
        where = dynamic_partition(positions, parts, self.attrs["num_partitions"])
        merged = dynamic_stitch(where, list(dys))
        return [reshape(merged, shape(data)), None]


@register_op("DynamicStitch")
class DynamicStitch(OpDef):
    """y[indices[m][i...], ...] = data[m][i..., ...] for every m (later m win on repeats);
    y has max(indices) + 1 rows."""

    def infer(self, *args: Tensor) -> TensorSpec:
        n = len(args) // 2
        idx, data = args[:n], args[n:]
        for i, t in enumerate(idx):
            if t.dtype is not dtypes.int32:
                raise self.error(f"indices[{i}] must be int32; got {t.dtype.name}.", cls=DTypeError)
        for i, t in enumerate(data[1:], 1):
            if t.dtype is not data[0].dtype:
                raise self.error(
                    f"all data must have one dtype; got data[0]: "
                    f"{data[0].dtype.name}, data[{i}]: {t.dtype.name}.",
                    cls=DTypeError,
                )
        inner: TensorShape | None = None
        for i, (t, d) in enumerate(zip(idx, data)):
            if t.shape.ndims is None or d.shape.ndims is None:
                continue
            if not d.shape[: t.shape.ndims].is_compatible_with(t.shape):
                raise self.error(
                    f"data[{i}].shape must start with indices[{i}].shape; got "
                    f"data[{i}]: {d.shape}, indices[{i}]: {t.shape}."
                )
            rest = d.shape[t.shape.ndims :]
            if inner is not None and not inner.is_compatible_with(rest):
                raise self.error(f"data[{i}] has inner shape {rest}; earlier inputs have {inner}.")
            inner = rest if inner is None else inner.merge_with(rest)
        if inner is None or inner.ndims is None:
            return spec(TensorShape(None), data[0].dtype)
        return spec([None] + list(inner.known), data[0].dtype)  # type: ignore[arg-type]

    def compute(self, *args: np.ndarray) -> np.ndarray:
        n = len(args) // 2
        idx, data = args[:n], args[n:]
        total = max((int(t.max()) + 1 for t in idx if t.size), default=0)
        inner: tuple[int, ...] | None = None
        for i, (t, d) in enumerate(zip(idx, data)):
            if d.shape[: t.ndim] != t.shape:
                raise self.error(
                    f"data[{i}].shape must start with indices[{i}].shape; got "
                    f"data[{i}]: {d.shape}, indices[{i}]: {t.shape}."
                )
            if t.size and t.min() < 0:
                raise self.error(
                    f"indices[{i}] holds {int(t.min())}; indices must be non-negative."
                )
            rest = d.shape[t.ndim :]
            if inner is not None and rest != inner:
                raise self.error(f"data[{i}] has inner shape {rest}; earlier inputs have {inner}.")
            inner = rest
        out = np.zeros((total,) + (inner or ()), dtype=data[0].dtype)
        for t, d in zip(idx, data):
            out[t.reshape(-1)] = d.reshape((t.size,) + out.shape[1:])
        return out

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        n = len(op.inputs) // 2
        return [None] * n + [gather(dy, op.inputs[m]) for m in range(n)]


def dynamic_partition(
    data: Any, partitions: Any, num_partitions: int, name: str | None = None
) -> list[Tensor]:
    """Splits `data` into `num_partitions` tensors by the int32 `partitions` (shape a prefix
    of data's): output i holds the entries whose partition is i, in order.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.dynamic_partition([10, 20, 30, 40], [0, 1, 0, 1], 2))
        [array([10, 30], dtype=int32), array([20, 40], dtype=int32)]
    """
    n = int(num_partitions)
    if n < 1:
        raise ValueError(f"dynamic_partition: num_partitions must be >= 1; got {n}.")
    with _graph_for(data, partitions):
        p = _int_operand(partitions, "partitions")
        out = apply_op(DynamicPartition, [data, p], {"num_partitions": n}, name=name)
    return _as_list(out)


def dynamic_stitch(indices: Any, data: Any, name: str | None = None) -> Tensor:
    """Merges the tensors in `data` into one, row `indices[m][i]` taking `data[m][i]`
    (a later m wins where indices repeat).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.dynamic_stitch([[0, 2], [1]], [[10., 30.], [20.]]))
        array([10., 20., 30.], dtype=float32)
    """
    if len(indices) != len(data) or not indices:
        raise ValueError(
            f"dynamic_stitch: needs as many indices as data tensors (at least one);"
            f" got {len(indices)} and {len(data)}."
        )
    with _graph_for(indices, data):
        idx = [_int_operand(i, "indices") for i in indices]
        dt = next((convert_to_tensor(d).dtype for d in data if isinstance(d, Tensor)), None)
        vals = [d if isinstance(d, Tensor) else convert_to_tensor(d, dtype=dt) for d in data]
        return apply_op(DynamicStitch, idx + vals, name=name)


__all__ = ["dynamic_partition", "dynamic_stitch"]
