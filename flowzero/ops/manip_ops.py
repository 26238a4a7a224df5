"""Manipulation ops: concat, split, tile, reverse, identity_n (joining, cutting, repeating and
reordering whole tensors)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, constant, shape, stack
from flowzero.ops.common import (
    _as_list,
    _axis_in,
    _convert_list,
    _graph_for,
    _is_int,
    _is_tensorish,
    _partial_ints,
    _require_int,
    _require_same_dtype,
    _scalar_int,
    static_value,
)
from flowzero.ops.reshape_ops import reshape, transpose


# -- concat / split ----------------------------------------------------------------------------
@register_op("ConcatV2")
class ConcatV2(OpDef):
    """y = values[0] ++ values[1] ++ ... along `axis` (the last input)."""

    def infer(self, *inputs: Tensor) -> TensorSpec:
        values, axis = inputs[:-1], inputs[-1]
        if not values:
            raise self.error("needs at least one value to concatenate.")
        _require_int(self, axis, "axis")
        _require_same_dtype(self, values)
        known = [(i, v) for i, v in enumerate(values) if v.shape.ndims is not None]
        if not known:
            return spec(TensorShape(None), values[0].dtype)
        i0, v0 = known[0]
        r = v0.shape.ndims
        for i, v in known[1:]:
            if v.shape.ndims != r:
                raise self.error(
                    f"all values must have the same rank; got values[{i0}]: "
                    f"{v0.shape} (rank {r}), values[{i}]: {v.shape} (rank "
                    f"{v.shape.ndims}). Use tf.reshape or tf.expand_dims first."
                )
        a = _scalar_int(axis)
        if a is None:
            return spec([None] * r, values[0].dtype)  # type: ignore[operator]
        if r == 0:
            raise self.error(
                f"can not concatenate scalars (rank 0); got values[{i0}]: "
                f"{v0.shape}. Use tf.stack to join scalars into a vector."
            )
        a = _axis_in(self, a, r)  # type: ignore[arg-type]
        out: list[int | None] = list(v0.shape.known)  # type: ignore[arg-type]
        for i, v in known[1:]:
            for k, d in enumerate(v.shape.known):  # type: ignore[arg-type]
                if k == a:
                    continue
                if out[k] is not None and d is not None and out[k] != d:
                    raise self.error(
                        f"dimension {k} of all values must match (all but the concat axis "
                        f"{a}); got values[{i0}]: {v0.shape}, values[{i}]: {v.shape}."
                    )
                out[k] = out[k] if out[k] is not None else d
        sizes = [v.shape.as_list()[a] if v.shape.ndims is not None else None for v in values]
        given = [s for s in sizes if s is not None]
        out[a] = sum(given) if len(given) == len(sizes) else None
        return spec(out, values[0].dtype)

    def compute(self, *arrays: np.ndarray) -> np.ndarray:
        values, axis = arrays[:-1], int(arrays[-1])
        r = values[0].ndim
        a = _axis_in(self, axis, r) if r else axis
        for i, v in enumerate(values[1:], 1):
            if (
                v.ndim != r
                or v.shape[:a] + v.shape[a + 1 :] != values[0].shape[:a] + values[0].shape[a + 1 :]
            ):
                raise self.error(
                    f"all dimensions but the concat axis {a} must match; got "
                    f"values[0]: {values[0].shape}, values[{i}]: {v.shape}."
                )
        return np.concatenate(values, axis=a)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        values, axis = op.inputs[:-1], op.inputs[-1]
        a = _scalar_int(axis)
        r = next((v.shape.ndims for v in values if v.shape.ndims is not None), None)
        if a is None or (a < 0 and r is None):
            raise NotImplementedError(
                "gradient of ConcatV2 needs a static axis (and a known rank for a negative axis)"
            )
        if a < 0:
            a += r  # type: ignore[operator]
        dims = [v.shape.known[a] if v.shape.ndims is not None else None for v in values]
        if None not in dims:
            sizes: Any = constant(np.asarray(dims, np.int32), name="sizes")
        else:
            sizes = stack(
                [d if d is not None else shape(v)[a] for d, v in zip(dims, values)], name="sizes"
            )
        return _as_list(
            apply_op(SplitV, [dy, sizes, _int_operand(a, "axis")], {"num_split": len(values)})
        ) + [None]


def concat(values: Any, axis: Any, name: str = "concat") -> Tensor:
    """Concatenates tensors along one dimension.

    Also accepts the TF 0.x argument order `concat(concat_dim, values)`.

    Args:
        values: a list of Tensors of the same dtype and rank, equal in all but `axis`.
        axis: the dimension to join along (negative counts from the end).
        name: node name.

    Raises:
        InvalidArgumentError: ranks differ, or other dimensions do not match.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.concat([[[1, 2]], [[3, 4]]], 0))
        array([[1, 2],
               [3, 4]], dtype=int32)
    """
    if _is_int(values) and isinstance(axis, (list, tuple)):
        values, axis = axis, values  # TF 0.x: concat(concat_dim, values)
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if len(values) == 1:
        from flowzero.ops import control_ops

        return control_ops.identity(values[0], name=name)
    with _graph_for(values, axis):
        return apply_op(ConcatV2, _convert_list(values) + [_int_operand(axis, "axis")], name=name)


@register_op("Split")
class Split(OpDef):
    """y_i = the i-th of `num_split` equal pieces of value along `axis` (the first input)."""

    forwards_input = True

    def infer(self, axis: Tensor, x: Tensor) -> list[TensorSpec]:
        _require_int(self, axis, "axis")
        n = self.attrs["num_split"]
        r = x.shape.ndims
        if r is None:
            return [spec(TensorShape(None), x.dtype)] * n
        a = _scalar_int(axis)
        if a is None:
            return [spec([None] * r, x.dtype)] * n
        a = _axis_in(self, a, r)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        if dims[a] is not None:
            if dims[a] % n:
                raise self.error(
                    f"num_split {n} must evenly divide dimension {a} of value; "
                    f"got value shape {x.shape}."
                )
            dims[a] //= n
        return [spec(dims, x.dtype)] * n

    def compute(self, axis: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
        a = _axis_in(self, int(axis), x.ndim)
        n = self.attrs["num_split"]
        if x.shape[a] % n:
            raise self.error(
                f"num_split {n} must evenly divide dimension {a} of value; got "
                f"value shape {x.shape}."
            )
        return np.split(x, n, axis=a)

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return [None, concat(list(dys), op.inputs[0])]


@register_op("SplitV")
class SplitV(OpDef):
    """y_i = value[..., offset_i : offset_i + size_splits[i], ...] along `axis`."""

    forwards_input = True

    def _sizes(self, sizes: list[int | None], d: int | None) -> list[int | None]:
        """size_splits with a -1 resolved where possible; checks them against dimension d."""
        if any(s is not None and s < -1 for s in sizes) or sum(s == -1 for s in sizes) > 1:
            raise self.error(f"size_splits must be >= 0 with at most one -1; got {sizes}.")
        if None in sizes or d is None:
            return [None if s == -1 else s for s in sizes]
        total = sum(s for s in sizes if s != -1)  # type: ignore[misc]
        if -1 in sizes:
            if total > d:
                raise self.error(f"size_splits {sizes} add up to more than the dimension size {d}.")
            return [d - total if s == -1 else s for s in sizes]
        if total != d:
            raise self.error(
                f"size_splits must add up to the dimension size; got "
                f"size_splits {sizes} (sum {total}) for dimension size {d}."
            )
        return sizes

    def infer(self, x: Tensor, size_splits: Tensor, axis: Tensor) -> list[TensorSpec]:
        _require_int(self, size_splits, "size_splits")
        _require_int(self, axis, "axis")
        n = self.attrs["num_split"]
        sizes = _partial_ints(size_splits)
        if sizes is not None and len(sizes) != n:
            raise self.error(f"size_splits must have num_split = {n} entries; got {sizes}.")
        r = x.shape.ndims
        if r is None:
            return [spec(TensorShape(None), x.dtype)] * n
        a = _scalar_int(axis)
        if a is None:
            return [spec([None] * r, x.dtype)] * n
        a = _axis_in(self, a, r)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        resolved = self._sizes(sizes if sizes is not None else [None] * n, dims[a])
        return [spec(dims[:a] + [s] + dims[a + 1 :], x.dtype) for s in resolved]

    def compute(self, x: np.ndarray, size_splits: np.ndarray, axis: np.ndarray) -> list[np.ndarray]:
        a = _axis_in(self, int(axis), x.ndim)
        sizes = self._sizes([int(s) for s in size_splits], x.shape[a])
        # every size is known here (x is an array), so the -1 is resolved
        return np.split(x, np.cumsum(np.asarray(sizes, dtype=np.int64))[:-1], axis=a)

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return [concat(list(dys), op.inputs[2]), None, None]


def split(
    value: Any, num_or_size_splits: Any, axis: Any = 0, num: int | None = None, name: str = "split"
) -> list[Tensor]:
    """Splits `value` along `axis` into equal pieces (an int) or pieces of given sizes (a list).

    Also accepts the TF 0.x order `split(split_dim, num_split, value)`.

    Args:
        value: the Tensor to split.
        num_or_size_splits: the number of equal pieces, or a list/1-D Tensor of sizes (one may
            be -1: the rest).
        axis: the dimension to split.
        num: the number of pieces when `num_or_size_splits` is a Tensor of unknown length.

    Raises:
        InvalidArgumentError: the pieces do not add up to the dimension.

    Example:
        >>> a, b = tf.split(tf.zeros([4, 6]), 2, axis=1)          # two (4, 3)
        >>> a, b = tf.split(tf.zeros([4, 6]), [1, -1], axis=1)    # (4, 1) and (4, 5)
    """
    if _is_int(value) and _is_int(num_or_size_splits) and not _is_int(axis):
        value, axis = axis, value  # TF 0.x: split(split_dim, num_split, value)
    with _graph_for(value, num_or_size_splits, axis):
        value = convert_to_tensor(value)
        axis_t = _int_operand(axis, "split_dim")
        n = num_or_size_splits
        if isinstance(n, Tensor) and n.shape.ndims == 0 and static_value(n) is not None:
            n = int(static_value(n))  # type: ignore[arg-type]
        if _is_int(n):
            if n <= 0:
                raise ValueError(f"split: num_or_size_splits must be positive; got {n}.")
            return _as_list(apply_op(Split, [axis_t, value], {"num_split": int(n)}, name=name))
        sizes = _int_operand(n, "size_splits")
        if num is None:
            if sizes.shape.ndims != 1 or sizes.shape.known[0] is None:  # type: ignore[index]
                raise ValueError(
                    f"split: cannot infer num from size_splits of shape {sizes.shape}; pass num=."
                )
            num = sizes.shape.known[0]  # type: ignore[index]
        return _as_list(
            apply_op(SplitV, [value, sizes, axis_t], {"num_split": int(num)}, name=name)
        )


# -- tile / reverse ----------------------------------------------------------------------------
@register_op("Tile")
class Tile(OpDef):
    """y = x repeated multiples[i] times along each dimension i."""

    def infer(self, x: Tensor, multiples: Tensor) -> TensorSpec:
        _require_int(self, multiples, "multiples")
        m = _partial_ints(multiples)
        r = x.shape.ndims
        if m is not None and r is not None and len(m) != r:
            raise self.error(
                f"multiples must have one entry per dimension of x; got "
                f"multiples {m} for x of shape {x.shape}."
            )
        if m is not None and any(v is not None and v < 0 for v in m):
            raise self.error(f"multiples must be non-negative; got {m}.")
        if r is None and m is None:
            return spec(TensorShape(None), x.dtype)
        n = r if r is not None else len(m)  # type: ignore[arg-type]
        dims = x.shape.known if r is not None else (None,) * n
        m = m if m is not None else [None] * n
        return spec([None if d is None or k is None else d * k for d, k in zip(dims, m)], x.dtype)  # type: ignore[arg-type]

    def compute(self, x: np.ndarray, multiples: np.ndarray) -> np.ndarray:
        if len(multiples) != x.ndim or (multiples.size and multiples.min() < 0):
            raise self.error(
                f"multiples must be non-negative with one entry per dimension of "
                f"x; got multiples {multiples.tolist()} for x of shape {x.shape}."
            )
        return np.tile(x, tuple(int(m) for m in multiples)) if x.ndim else np.array(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        from flowzero.ops import reduction_ops

        x, multiples = op.inputs
        r = x.shape.ndims
        if r is None:
            m = _partial_ints(multiples)
            if m is None:
                raise NotImplementedError(
                    "gradient of Tile needs the input's rank (or the length of multiples)"
                )
            r = len(m)
        if r == 0:
            return [dy, None]
        mv = static_value(multiples)
        if mv is not None and x.shape.is_fully_defined():
            split: Any = constant(
                np.stack([np.asarray(mv).reshape(-1), np.asarray(x.shape.as_list())], 1)
                .reshape(-1)
                .astype(np.int32),
                name="split_shape",
            )
        else:  # [m0, d0, m1, d1, ...]
            split = reshape(
                transpose(stack([multiples, shape(x, out_type=multiples.dtype)])),
                [-1],
                name="split_shape",
            )
        return [reduction_ops.reduce_sum(reshape(dy, split), axis=list(range(0, 2 * r, 2))), None]


def tile(input: Any, multiples: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """Repeats `input` multiples[i] times along dimension i.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.tile([[1, 2]], [2, 2]))
        array([[1, 2, 1, 2],
               [1, 2, 1, 2]], dtype=int32)
    """
    with _graph_for(input, multiples):
        return apply_op(Tile, [input, _int_operand(multiples, "multiples")], name=name)


@register_op("ReverseV2")
class ReverseV2(OpDef):
    """y = x with the order of entries reversed along each dimension in `axis`."""

    forwards_input = True

    def infer(self, x: Tensor, axis: Tensor) -> TensorSpec:
        _require_int(self, axis, "axis")
        if axis.shape.ndims not in (None, 1):
            raise self.error(f"axis must be a vector; got shape {axis.shape}.")
        a = _partial_ints(axis)
        r = x.shape.ndims
        if a is not None and r is not None and None not in a:
            norm = [_axis_in(self, i, r) for i in a]  # type: ignore[arg-type]
            if len(set(norm)) != len(norm):
                raise self.error(f"axis must not repeat a dimension; got {a}.")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        norm = tuple(_axis_in(self, int(i), x.ndim) for i in axis)
        if len(set(norm)) != len(norm):
            raise self.error(f"axis must not repeat a dimension; got {axis.tolist()}.")
        return np.flip(x, axis=norm)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [reverse(dy, op.inputs[1]), None]


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Tensor:
    """Reverses `tensor` along each dimension in `axis` (a list of ints; TF 1.x semantics).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.reverse([[1, 2, 3]], [1]))
        array([[3, 2, 1]], dtype=int32)
    """
    with _graph_for(tensor, axis):
        a = axis if _is_tensorish(axis) else list(np.asarray(axis).reshape(-1))
        return apply_op(ReverseV2, [tensor, _int_operand(a, "axis")], name=name)


reverse_v2 = reverse


# -- identity_n --------------------------------------------------------------------------------
@register_op("IdentityN")
class IdentityN(OpDef):
    """y_i = x_i for each input."""

    forwards_input = True

    def infer(self, *xs: Tensor) -> list[TensorSpec]:
        return [spec(x.shape, x.dtype) for x in xs]

    def compute(self, *xs: Any) -> list[Any]:
        # NOTE: the plan's aliasing check follows input 0 only, so the others are copied
        # (a TensorArray: its own copy, as a write may update it in place).
        return [xs[0]] + [_copied(x) for x in xs[1:]] if xs else []

    def gradient(self, op: Any, *dys: Tensor) -> list[Any]:
        return list(dys)


def _copied(x: Any) -> Any:
    if isinstance(x, np.ndarray) or x is None or np.isscalar(x):
        return np.array(x) if x is not None else None
    return x.copy()  # a TensorArray's value (variant)


def identity_n(input: Any, name: str | None = None) -> list[Tensor]:  # noqa: A002
    """A list of tensors with the same values as the list `input` (one op)."""
    with _graph_for(input):
        return _as_list(apply_op(IdentityN, list(input), name=name))


__all__ = ["concat", "split", "tile", "reverse", "reverse_v2", "identity_n"]
