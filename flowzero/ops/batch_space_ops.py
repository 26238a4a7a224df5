"""Space to batch and back: space_to_batch_nd (pad, then move spatial blocks into the batch)
and batch_to_space_nd (its inverse, then crop), the 4-D TF1 forms space_to_batch and
batch_to_space, and required_space_to_batch_paddings."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, constant
from flowzero.ops.common import _graph_for, _partial_ints, _require_int, static_value


class _BatchSpace(OpDef):
    """Shared checks: input [batch] + spatial (M dims) + rest, block_shape [M] (>= 1), and
    paddings/crops [M, 2] (>= 0)."""

    what = "paddings"

    def _static(self, x: Tensor, block: Tensor, pads: Tensor) -> tuple[Any, Any, int | None]:
        _require_int(self, block, "block_shape")
        _require_int(self, pads, self.what)
        if block.shape.ndims not in (None, 1):
            raise self.error(f"block_shape must be a vector; got shape {block.shape}.")
        if pads.shape.ndims not in (None, 2) or (
            pads.shape.ndims == 2 and pads.shape.known[1] not in (None, 2)  # type: ignore[index]
        ):
            raise self.error(f"{self.what} must have shape [M, 2]; got {pads.shape}.")
        b = _partial_ints(block)
        pv = static_value(pads)
        m = len(b) if b is not None else None
        if m is None and pads.shape.ndims == 2:
            m = pads.shape.known[0]  # type: ignore[index]
        if pv is not None and m is not None and pv.shape[0] != m:
            raise self.error(
                f"block_shape and {self.what} must agree on the number of spatial "
                f"dimensions; got block_shape {b} and {self.what} of shape {pv.shape}."
            )
        r = x.shape.ndims
        if m is not None and r is not None and r < m + 1:
            raise self.error(
                f"input must have rank >= 1 + {m} (batch + spatial dims); got shape {x.shape}."
            )
        if b is not None and any(v is not None and v < 1 for v in b):
            raise self.error(f"block_shape must be >= 1; got {b}.")
        if pv is not None and pv.size and pv.min() < 0:
            raise self.error(f"{self.what} must be non-negative; got {pv.tolist()}.")
        return b, pv, m

    def _check(self, x: np.ndarray, block: np.ndarray, pads: np.ndarray) -> None:
        m = block.shape[0]
        if pads.shape != (m, 2):
            raise self.error(
                f"{self.what} must have shape [{m}, 2] for block_shape {block.tolist()}; got "
                f"{pads.shape}."
            )
        if x.ndim < m + 1:
            raise self.error(
                f"input must have rank >= 1 + {m} (batch + spatial dims); got shape {x.shape}."
            )
        if m and block.min() < 1:
            raise self.error(f"block_shape must be >= 1; got {block.tolist()}.")
        if pads.size and pads.min() < 0:
            raise self.error(f"{self.what} must be non-negative; got {pads.tolist()}.")


@register_op("SpaceToBatchND")
class SpaceToBatchND(_BatchSpace):
    """y = x zero-padded by `paddings` in its spatial dims, each spatial dim split into
    (size / block, block), and the block offsets moved in front of the batch dim."""

    def infer(self, x: Tensor, block: Tensor, pads: Tensor) -> TensorSpec:
        b, pv, m = self._static(x, block, pads)
        if x.shape.ndims is None or m is None:
            return spec(TensorShape(None), x.dtype)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        bs = b if b is not None else [None] * m
        out = [None if dims[0] is None or None in bs else dims[0] * int(np.prod(bs))]
        for i in range(m):
            d = dims[1 + i]
            if d is None or bs[i] is None or pv is None:
                out.append(None)
                continue
            full = d + int(pv[i, 0]) + int(pv[i, 1])
            if full % bs[i]:
                raise self.error(
                    f"padded_shape[{i}]={full} is not divisible by block_shape[{i}]={bs[i]} "
                    f"(input {x.shape}, paddings {pv.tolist()})."
                )
            out.append(full // bs[i])
        return spec(out + dims[1 + m :], x.dtype)

    def compute(self, x: np.ndarray, block: np.ndarray, pads: np.ndarray) -> np.ndarray:
        self._check(x, block, pads)
        m = block.shape[0]
        width = [(0, 0)] + [(int(a), int(b)) for a, b in pads] + [(0, 0)] * (x.ndim - 1 - m)
        xp = np.pad(x, width)
        bs = [int(v) for v in block]
        for i in range(m):
            if xp.shape[1 + i] % bs[i]:
                raise self.error(
                    f"padded_shape[{i}]={xp.shape[1 + i]} is not divisible by "
                    f"block_shape[{i}]={bs[i]} (input {x.shape}, paddings {pads.tolist()})."
                )
        n, rest = xp.shape[0], xp.shape[1 + m :]
        split = [n] + [v for i in range(m) for v in (xp.shape[1 + i] // bs[i], bs[i])]
        y = xp.reshape(split + list(rest))
        # [n, s0, b0, s1, b1, ...] -> [b0, b1, ..., n, s0, s1, ...]
        perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
        perm += list(range(1 + 2 * m, y.ndim))
        out_shape = [n * int(np.prod(bs))] + [xp.shape[1 + i] // bs[i] for i in range(m)]
        return np.ascontiguousarray(y.transpose(perm)).reshape(out_shape + list(rest))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(BatchToSpaceND, [dy, op.inputs[1], op.inputs[2]]), None, None]


@register_op("BatchToSpaceND")
class BatchToSpaceND(_BatchSpace):
    """y = the inverse of SpaceToBatchND (block offsets moved from the batch dim back into
    the spatial dims), then `crops` cut from each spatial dim's start and end."""

    what = "crops"

    def infer(self, x: Tensor, block: Tensor, crops: Tensor) -> TensorSpec:
        b, cv, m = self._static(x, block, crops)
        if x.shape.ndims is None or m is None:
            return spec(TensorShape(None), x.dtype)
        dims = list(x.shape.known)  # type: ignore[arg-type]
        bs = b if b is not None else [None] * m
        prod = None if None in bs else int(np.prod(bs))
        if dims[0] is not None and prod is not None and dims[0] % prod:
            raise self.error(
                f"input batch dimension {dims[0]} must be divisible by the product of "
                f"block_shape {b} = {prod}."
            )
        out = [None if dims[0] is None or prod is None else dims[0] // prod]
        for i in range(m):
            d = dims[1 + i]
            if d is None or bs[i] is None or cv is None:
                out.append(None)
                continue
            full = d * bs[i] - int(cv[i, 0]) - int(cv[i, 1])
            if full < 0:
                raise self.error(
                    f"crops {cv.tolist()} are larger than the spatial dim {i} ({d * bs[i]})."
                )
            out.append(full)
        return spec(out + dims[1 + m :], x.dtype)

    def compute(self, x: np.ndarray, block: np.ndarray, crops: np.ndarray) -> np.ndarray:
        self._check(x, block, crops)
        m = block.shape[0]
        bs = [int(v) for v in block]
        prod = int(np.prod(bs))
        if x.shape[0] % prod:
            raise self.error(
                f"input batch dimension {x.shape[0]} must be divisible by the product of "
                f"block_shape {bs} = {prod}."
            )
        n, sp, rest = x.shape[0] // prod, list(x.shape[1 : 1 + m]), list(x.shape[1 + m :])
        y = x.reshape(bs + [n] + sp + rest)
        # [b0, b1, ..., n, s0, s1, ...] -> [n, s0, b0, s1, b1, ...]
        perm = [m] + [v for i in range(m) for v in (m + 1 + i, i)]
        perm += list(range(2 * m + 1, y.ndim))
        y = y.transpose(perm).reshape([n] + [sp[i] * bs[i] for i in range(m)] + rest)
        idx: list[Any] = [slice(None)]
        for i in range(m):
            lo, hi = int(crops[i, 0]), int(crops[i, 1])
            if lo + hi > y.shape[1 + i]:
                raise self.error(
                    f"crops {crops.tolist()} are larger than the spatial dim {i} "
                    f"({y.shape[1 + i]})."
                )
            idx.append(slice(lo, y.shape[1 + i] - hi))
        return np.ascontiguousarray(y[tuple(idx)])

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(SpaceToBatchND, [dy, op.inputs[1], op.inputs[2]]), None, None]


def space_to_batch_nd(
    input: Any,  # noqa: A002
    block_shape: Any,
    paddings: Any,
    name: str | None = None,
) -> Tensor:
    """Zero-pads the M spatial dims of `input` ([batch] + spatial + rest) by `paddings`
    ([M, 2]) and moves each block_shape block of positions into the batch dim: the output
    has batch * prod(block_shape) entries, each a strided (dilated) view of the input.

    Raises:
        InvalidArgumentError: a padded spatial size not divisible by its block size, or
            paddings/block_shape of the wrong shape or sign.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.space_to_batch_nd([[[[1], [2]], [[3], [4]]]], [2, 2], [[0, 0], [0, 0]]))
        array([[[[1]]], [[[2]]], [[[3]]], [[[4]]]], dtype=int32)
    """
    with _graph_for(input, block_shape, paddings):
        ins = [
            convert_to_tensor(input),
            _int_operand(block_shape, "block_shape"),
            _int_operand(paddings, "paddings"),
        ]
        return apply_op(SpaceToBatchND, ins, name=name)


def batch_to_space_nd(
    input: Any,  # noqa: A002
    block_shape: Any,
    crops: Any,
    name: str | None = None,
) -> Tensor:
    """The inverse of space_to_batch_nd: moves blocks from the batch dim back into the M
    spatial dims, then removes `crops` ([M, 2]) from each spatial dim's start and end.

    Raises:
        InvalidArgumentError: the batch is not divisible by prod(block_shape), or crops
            larger than a spatial dim.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.batch_to_space_nd([[[[1]]], [[[2]]], [[[3]]], [[[4]]]], [2, 2],
        ...                               [[0, 0], [0, 0]]))[0, :, :, 0]
        array([[1, 2],
               [3, 4]], dtype=int32)
    """
    with _graph_for(input, block_shape, crops):
        ins = [
            convert_to_tensor(input),
            _int_operand(block_shape, "block_shape"),
            _int_operand(crops, "crops"),
        ]
        return apply_op(BatchToSpaceND, ins, name=name)


def _block2(block_size: Any, block_shape: Any, fn: str) -> Any:
    if block_size is not None and block_shape is not None:
        raise ValueError(f"{fn}: give block_size or block_shape, not both.")
    if block_shape is not None:
        return block_shape
    if block_size is None:
        raise TypeError(f"{fn}() missing required argument 'block_size'.")
    return [int(block_size), int(block_size)]


def space_to_batch(
    input: Any,  # noqa: A002
    paddings: Any,
    block_size: Any = None,
    name: str | None = None,
    block_shape: Any = None,
) -> Tensor:
    """TF1's 4-D form: space_to_batch_nd of an NHWC `input` with block [block_size,
    block_size] over height and width (block_shape, if given, replaces it)."""
    return space_to_batch_nd(
        input, _block2(block_size, block_shape, "space_to_batch"), paddings, name=name
    )


def batch_to_space(
    input: Any,  # noqa: A002
    crops: Any,
    block_size: Any = None,
    name: str | None = None,
    block_shape: Any = None,
) -> Tensor:
    """TF1's 4-D form: batch_to_space_nd of an NHWC `input` with block [block_size,
    block_size] over height and width (block_shape, if given, replaces it)."""
    return batch_to_space_nd(
        input, _block2(block_size, block_shape, "batch_to_space"), crops, name=name
    )


def _static_ints(v: Any) -> np.ndarray | None:
    if isinstance(v, Tensor):
        s = static_value(v)
        return None if s is None else np.asarray(s)
    if hasattr(v, "as_list"):  # TensorShape
        v = v.as_list()
    try:
        return np.asarray(v, dtype=np.int64)
    except (TypeError, ValueError):
        return None


def required_space_to_batch_paddings(
    input_shape: Any, block_shape: Any, base_paddings: Any = None, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """The (paddings, crops) that make each spatial size, padded by base_paddings, a multiple
    of its block size: paddings = base_paddings with the end grown by the shortfall, crops
    = [0, shortfall] (for batch_to_space_nd to undo it).

    Args:
        input_shape: int vector [M], the spatial sizes.
        block_shape: int vector [M], the block sizes (>= 1).
        base_paddings: int [M, 2], the padding wanted anyway (default zeros).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.required_space_to_batch_paddings([5, 4], [2, 3]))
        (array([[0, 1], [0, 2]], dtype=int32), array([[0, 1], [0, 2]], dtype=int32))
    """
    from flowzero.ops.array_ops import stack, zeros_like
    from flowzero.ops.division_ops import floormod

    with _graph_for(input_shape, block_shape, base_paddings):
        s, b = _static_ints(input_shape), _static_ints(block_shape)
        base = (
            np.zeros((0 if s is None else s.size, 2), np.int64)
            if base_paddings is None
            else _static_ints(base_paddings)
        )
        if s is not None and b is not None and base is not None:
            if s.shape != b.shape or s.ndim != 1 or base.shape != (s.size, 2):
                raise ValueError(
                    f"required_space_to_batch_paddings: input_shape and block_shape must be "
                    f"vectors of one length M, base_paddings [M, 2]; got {s.shape}, "
                    f"{b.shape}, {base.shape}."
                )
            extra = (b - (s + base[:, 0] + base[:, 1]) % b) % b
            pads = np.stack([base[:, 0], base[:, 1] + extra], 1).astype(np.int32)
            crops = np.stack([np.zeros_like(extra), extra], 1).astype(np.int32)
            with convert_to_tensor(0).graph.name_scope(name or "required_space_to_batch"):
                return constant(pads, name="paddings"), constant(crops, name="crops")
        shp = _int_operand(input_shape, "input_shape")
        blk = _int_operand(block_shape, "block_shape")
        with shp.graph.name_scope(name or "required_space_to_batch"):
            if base_paddings is None:
                start = end = zeros_like(blk)
            else:
                bp = _int_operand(base_paddings, "base_paddings")
                start, end = bp[:, 0], bp[:, 1]
            extra = floormod(blk - floormod(shp + start + end, blk), blk)
            pads = stack([start, end + extra], axis=1, name="paddings")
            crops = stack([zeros_like(extra), extra], axis=1, name="crops")
            return pads, crops


def with_space_to_batch(
    input: Any,  # noqa: A002
    dilation_rate: Any,
    padding: str,
    op: Any,
    filter_shape: Any = None,
    spatial_dims: Any = None,
    data_format: str | None = None,
) -> Any:
    """Runs `op` on the space-to-batch form of `input`, which turns a sliding-window op into
    its "atrous" form sampling the input every `dilation_rate` positions:
    batch_to_space_nd(op(space_to_batch_nd(input, rate, paddings), M, "VALID"), rate, crops)
    (just op(input, M, padding) when every rate is 1).

    Args:
        input: tensor of rank > max(spatial_dims).
        dilation_rate: M positive ints (known at build time).
        padding: 'VALID', or 'SAME' (then filter_shape, M ints, is required: the dilated
            filter's padding is added before moving space to batch).
        op: function (converted_input, num_spatial_dims, padding) -> output.
        spatial_dims: M increasing dims >= 1 (default 1..M, or 2..M+1 for an 'NC...'
            data_format).

    Example:
        >>> x = tf.reshape(tf.range(25.0), [1, 5, 5, 1])
        >>> y = tf.nn.with_space_to_batch(x, [2, 2], "SAME", lambda t, n, p: tf.nn.max_pool(
        ...     t, [1, 3, 3, 1], [1, 1, 1, 1], p), filter_shape=[3, 3])
        >>> sess = tf.Session()
        >>> sess.run(y)[0, :, :, 0]   # a 3x3 max pool dilated by 2 (rows/cols i-2, i, i+2)
        array([[12., 13., 14., 13., 14.],
               [17., 18., 19., 18., 19.],
               [22., 23., 24., 23., 24.],
               [17., 18., 19., 18., 19.],
               [22., 23., 24., 23., 24.]], dtype=float32)
    """
    from flowzero.ops.array_ops import shape as shape_of
    from flowzero.ops.indexing_ops import gather

    fn = "with_space_to_batch"
    rate = _static_ints(dilation_rate)
    if rate is None or rate.ndim != 1 or rate.size == 0 or np.any(rate < 1):
        raise ValueError(f"{fn}: dilation_rate must be a non-empty vector of positive ints "
                         f"known at build time; got {dilation_rate!r}.")  # fmt: skip
    m = rate.size
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"{fn}: padding must be 'SAME' or 'VALID'; got {padding!r}.")
    if spatial_dims is None:
        first = 2 if data_format is not None and data_format.startswith("NC") else 1
        spatial_dims = list(range(first, first + m))
    dims = [int(d) for d in spatial_dims]
    if len(dims) != m or dims[0] < 1 or any(b <= a for a, b in zip(dims, dims[1:])):
        raise ValueError(f"{fn}: spatial_dims must be {m} increasing dims >= 1; got {dims}.")
    with _graph_for(input):
        x = convert_to_tensor(input, name="input")
        if x.shape.ndims is not None and x.shape.ndims <= dims[-1]:
            raise ValueError(f"{fn}: input must have rank > {dims[-1]} (spatial_dims={dims}); "
                             f"got input: {x.shape}.")  # fmt: skip
        if np.all(rate == 1):
            return op(x, m, padding)
        if padding == "SAME":
            f = _static_ints(filter_shape) if filter_shape is not None else None
            if f is None or f.shape != (m,):
                raise ValueError(f"{fn}: padding='SAME' needs filter_shape, {m} ints known at "
                                 f"build time; got {filter_shape!r}.")  # fmt: skip
            total = f + (f - 1) * (rate - 1) - 1
            base = np.stack([total // 2, total - total // 2], 1)
        else:
            base = np.zeros((m, 2), np.int64)
        known = [x.shape.known[d] if x.shape.known is not None else None for d in dims]
        sizes = np.array(known) if None not in known else gather(shape_of(x), dims)
        pads, crops = required_space_to_batch_paddings(sizes, rate, base)
        full = dims[-1]
        if dims != list(range(1, full + 1)):  # dims skipped in between: block 1, no padding
            at = [d - 1 for d in dims]
            block = np.ones(full, np.int64)
            block[at] = rate
            pads = _scatter_rows(pads, at, full)
            crops = _scatter_rows(crops, at, full)
        else:
            block = rate
        y = op(space_to_batch_nd(x, block, pads), m, "VALID")
        return batch_to_space_nd(y, block, crops)


def _scatter_rows(t: Tensor, at: list[int], n: int) -> Tensor:
    """[len(at), 2] rows placed at rows `at` of an [n, 2] zero matrix."""
    from flowzero.ops.indexing_ops import scatter_nd

    return scatter_nd(np.array(at, np.int32)[:, None], t, np.array([n, 2], np.int32))


__all__ = [
    "space_to_batch_nd",
    "batch_to_space_nd",
    "space_to_batch",
    "batch_to_space",
    "required_space_to_batch_paddings",
]
