"""Neural-network ops: softmax, log_softmax, bias_add, top-k, in_top_k, L2 loss.

The activations live in activation_ops and the composites built on these ops (dropout, moments,
batch normalization, l2_normalize, crelu, ...) in nn_impl, as in TF. Kernels are fused only
where numerical stability needs it (Softmax and LogSoftmax never overflow) or where TF has a
fused backward op (BiasAddGrad).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import array_ops, fastpaths, reduction_ops, unary_ops
from flowzero.ops.common import DTypeError, static_value
from flowzero.ops.common import _quiet_underflow as _quiet


# -- softmax -----------------------------------------------------------------------------------
class _SoftmaxBase(OpDef):
    def infer(self, x: Tensor) -> TensorSpec:
        if not x.dtype.is_floating:
            raise self.error(f"logits must be floating point; got {x.dtype.name}.", cls=DTypeError)
        nd = x.shape.ndims
        if nd is not None:
            if nd == 0:
                raise self.error("logits must have rank >= 1; got a scalar.")
            a = self.attrs["axis"]
            if not -nd <= a < nd:
                raise self.error(
                    f"axis {a} is out of range for logits of shape {x.shape}; "
                    f"it must be in [{-nd}, {nd})."
                )
        return spec(x.shape, x.dtype)

    def _shifted(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.attrs["axis"]
        z = x - np.max(x, axis=a, keepdims=True)
        with _quiet():
            e = np.exp(z)
        return z, e


@register_op("Softmax")
class Softmax(_SoftmaxBase):
    """y = exp(x - max) / sum(exp(x - max)) along axis."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            return np.empty_like(x)
        _, e = self._shifted(x)
        return e / np.sum(e, axis=self.attrs["axis"], keepdims=True)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y, a = op.outputs[0], self.attrs["axis"]
        return [(dy - reduction_ops.reduce_sum(dy * y, a, keepdims=True)) * y]


@register_op("LogSoftmax")
class LogSoftmax(_SoftmaxBase):
    """y = (x - max) - log(sum(exp(x - max))) along axis."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            return np.empty_like(x)
        z, e = self._shifted(x)
        return z - np.log(np.sum(e, axis=self.attrs["axis"], keepdims=True))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a = self.attrs["axis"]
        sm = unary_ops.exp(op.outputs[0])  # softmax; y <= 0 so this never overflows
        return [dy - reduction_ops.reduce_sum(dy, a, keepdims=True) * sm]


def _axis_arg(axis: Any, dim: Any, fn: str) -> int:
    if axis is not None and dim is not None:
        raise ValueError(f"{fn}: cannot specify both 'axis' and 'dim'.")
    a = dim if axis is None else axis
    return -1 if a is None else int(a)


def softmax(
    logits: Any, axis: int | None = None, name: str | None = None, dim: int | None = None
) -> Tensor:
    """Softmax along `axis` (default -1; `dim` is the TF1 spelling), computed stably.

    Raises:
        InvalidArgumentError: at build time for non-float logits or an out-of-range axis.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.nn.softmax([1000., 1000.]))   # no overflow
        array([0.5, 0.5], dtype=float32)
    """
    return apply_op(Softmax, [logits], {"axis": _axis_arg(axis, dim, "softmax")}, name=name)


def log_softmax(
    logits: Any, axis: int | None = None, name: str | None = None, dim: int | None = None
) -> Tensor:
    """log(softmax(logits)) along `axis` (default -1), finite for any finite logits."""
    return apply_op(LogSoftmax, [logits], {"axis": _axis_arg(axis, dim, "log_softmax")}, name=name)


# -- bias_add ----------------------------------------------------------------------------------
def _channel_axis(data_format: str | None) -> int:
    fmt = data_format or "NHWC"
    if fmt.startswith("NC"):
        return 1
    if fmt.startswith("N") and fmt.endswith("C"):
        return -1
    raise ValueError(
        f"bias_add: data_format must be 'NHWC' or 'NCHW' (or N...C / NC...); got {data_format!r}."
    )


@register_op("BiasAdd")
class BiasAdd(OpDef):
    """y = value + bias, bias added along the channel axis (last for NHWC, 1 for NCHW)."""

    grads_match_inputs = True  # no broadcasting between the inputs

    def infer(self, value: Tensor, bias: Tensor) -> TensorSpec:
        if value.dtype is not bias.dtype:
            raise self.error(
                f"value and bias must have the same dtype; got value: "
                f"{value.dtype.name}, bias: {bias.dtype.name}.",
                cls=DTypeError,
            )
        if bias.shape.ndims not in (None, 1):
            raise self.error(f"bias must be 1-D; got shape {bias.shape}.")
        nd = value.shape.ndims
        if nd is not None and nd < 2:
            raise self.error(f"value must be at least rank 2; got shape {value.shape}.")
        if nd is not None and bias.shape.ndims == 1:
            c = value.shape.known[self.attrs["axis"]]  # type: ignore[index]
            b = bias.shape.known[0]  # type: ignore[index]
            if c is not None and b is not None and c != b:
                raise self.error(self._size_message(c, b, value.shape))
        return spec(value.shape, value.dtype)

    def _size_message(self, c: Any, b: Any, shape: Any) -> str:
        fmt = self.attrs["data_format"]
        return (
            f"bias must have the size of value's channel dimension ({fmt}: dimension "
            f"{self.attrs['axis']}); got bias of length {b} for value of shape {shape}."
        )

    def compute(self, value: np.ndarray, bias: np.ndarray) -> np.ndarray:
        a = self.attrs["axis"]
        if value.shape[a] != bias.shape[0]:
            raise self.error(self._size_message(value.shape[a], bias.shape[0], value.shape))
        if a % value.ndim == value.ndim - 1:
            return fastpaths.add_channel_bias(value, bias)
        return value + bias.reshape((-1,) + (1,) * (value.ndim - 2))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, apply_op(BiasAddGrad, [dy], dict(self.attrs))]


@register_op("BiasAddGrad")
class BiasAddGrad(OpDef):
    """db = dy summed over every axis except the channel axis."""

    def infer(self, dy: Tensor) -> TensorSpec:
        if dy.shape.ndims is None:
            return spec([None], dy.dtype)
        return spec([dy.shape.known[self.attrs["axis"]]], dy.dtype)  # type: ignore[index]

    def takes_handover(self, op: Any, producer: Any) -> bool:
        # MaxPoolGrad's channel sums of its own output (a conv layer's bias gradient under a
        # relu + max pool), when this op sums that output over all but its last axis.
        return producer._outputs[0] is op._inputs[0] and self.attrs["axis"] in (-1, 3)

    def compute(self, dy: np.ndarray, db: np.ndarray | None = None) -> np.ndarray:
        """`db`: the producer's channel sums of this dy (a hand-over), used as the result when
        they fit; the plan passes None when the producer made none."""
        a = self.attrs["axis"] % dy.ndim
        if db is not None and a == dy.ndim - 1 and db.shape == dy.shape[-1:]:
            return db
        if a == dy.ndim - 1:
            return fastpaths.sum_to_channels(dy)
        return np.sum(dy, axis=tuple(i for i in range(dy.ndim) if i != a), dtype=dy.dtype)

    def gradient(self, op: Any, ddb: Tensor) -> list[Any]:
        # ddb broadcast back along the channel axis: bias_add onto zeros does exactly that.
        dy = op.inputs[0]
        return [apply_op(BiasAdd, [array_ops.zeros_like(dy), ddb], dict(self.attrs))]


def bias_add(
    value: Any, bias: Any, data_format: str | None = None, name: str | None = None
) -> Tensor:
    """Adds a 1-D `bias` along the channel axis of `value`.

    Args:
        value: a tensor of rank >= 2.
        bias: a 1-D tensor of the channel size, same dtype as `value`.
        data_format: "NHWC" (channels last, default) or "NCHW" (channels at dimension 1).

    Raises:
        InvalidArgumentError: the bias length differs from the channel dimension (at build
            time when shapes are known, else at run time).

    Example:
        >>> sess = tf.Session()
        >>> y = tf.nn.bias_add(tf.zeros([2, 3, 4, 4]), [1., 2., 3.], data_format="NCHW")
        >>> sess.run(y)[0, :, 0, 0]   # one bias per channel (axis 1)
        array([1., 2., 3.], dtype=float32)
    """
    axis = _channel_axis(data_format)
    g = graph_of([value, bias], "BiasAdd")
    with g.as_default():
        value = convert_to_tensor(value)
        bias = convert_to_tensor(bias, dtype=value.dtype if not isinstance(bias, Tensor) else None)
    return apply_op(
        BiasAdd, [value, bias], {"data_format": data_format or "NHWC", "axis": axis}, name=name
    )


def bias_add_grad(
    out_backprop: Any, data_format: str | None = None, name: str | None = None
) -> Tensor:
    """The bias gradient of bias_add: out_backprop summed over all but the channel axis."""
    return apply_op(
        BiasAddGrad,
        [out_backprop],
        {"data_format": data_format or "NHWC", "axis": _channel_axis(data_format)},
        name=name,
    )


# -- top-k -------------------------------------------------------------------------------------
@register_op("TopKV2")
class TopKV2(OpDef):
    """values, indices = the k largest entries of x along the last axis, largest first (the
    lower index first among ties)."""

    def infer(self, x: Tensor, k: Tensor) -> list[TensorSpec]:
        if x.dtype.np.kind not in "fiu":
            raise self.error(f"input must be real numeric; got {x.dtype.name}.", cls=DTypeError)
        if k.dtype not in (dtypes.int32, dtypes.int64) or k.shape.ndims not in (None, 0):
            raise self.error(
                f"k must be a scalar int32; got {k.dtype.name} of shape {k.shape}.", cls=DTypeError
            )
        kv = static_value(k)
        nd = x.shape.ndims
        if nd is None:
            return [spec(TensorShape(None), x.dtype), spec(TensorShape(None), dtypes.int32)]
        if nd == 0:
            raise self.error("input must have rank >= 1; got a scalar.")
        last = x.shape.known[-1]  # type: ignore[index]
        if kv is not None:
            self._check_k(int(kv), last)
        out = list(x.shape.known[:-1]) + [None if kv is None else int(kv)]  # type: ignore
        return [spec(out, x.dtype), spec(out, dtypes.int32)]

    def _check_k(self, k: int, last: int | None) -> None:
        if k < 0:
            raise self.error(f"k must be non-negative; got {k}.")
        if last is not None and last < k:
            raise self.error(f"input must have at least k={k} columns; got {last}.")

    def compute(self, x: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
        kv = int(k)
        self._check_k(kv, x.shape[-1])
        # ~x reverses the order of any integer dtype without -x's overflow at the minimum.
        keys = ~x if x.dtype.kind in "iu" else -x
        idx = np.argsort(keys, axis=-1, kind="stable")[..., :kv]
        return [np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)]

    def gradient(self, op: Any, dvalues: Tensor, dindices: Tensor) -> list[Any]:
        # Scatter dvalues back to the chosen positions: each row's indices offset by the row's
        # start in x flattened, summed into a vector of x's size (no [k, n] one-hot per row,
        # and no static shapes needed).
        from flowzero.ops import reshape_ops
        from flowzero.ops.range_ops import range as range_
        from flowzero.ops.segment_ops import unsorted_segment_sum

        x, idx = op.inputs[0], op.outputs[1]
        sx = array_ops.shape(x)
        n = sx[-1]
        rows = reduction_ops.reduce_prod(sx[:-1])
        flat_idx = reshape_ops.reshape(idx, [rows, -1]) + reshape_ops.reshape(
            range_(rows) * n, [-1, 1]
        )
        flat = unsorted_segment_sum(
            reshape_ops.reshape(dvalues, [-1]), reshape_ops.reshape(flat_idx, [-1]), rows * n
        )
        return [reshape_ops.reshape(flat, sx), None]


def top_k(
    input: Any,  # noqa: A002
    k: Any = 1,
    sorted: bool = True,  # noqa: A002
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The `k` largest entries along the last axis and their int32 indices, largest first.

    Among equal values the lower index comes first. The values are differentiable (the
    gradient goes to the chosen positions); the indices are not.

    Example:
        >>> v, i = tf.nn.top_k([[1., 5., 3.]], k=2)   # v = [[5., 3.]], i = [[1, 2]]
    """
    g = graph_of([input, k], "TopKV2")
    with g.as_default():
        k_t = (
            k if isinstance(k, Tensor) else array_ops.constant(int(k), dtype=dtypes.int32, name="k")
        )
        vals, idx = apply_op(TopKV2, [input, k_t], {"sorted": bool(sorted)}, name=name)
    return vals, idx


@register_op("InTopK")
class InTopK(OpDef):
    """out[i] = targets[i] is among the k largest of predictions[i] (ties at the boundary all
    count as in; non-finite predictions and out-of-range targets never do)."""

    differentiable = False

    def infer(self, predictions: Tensor, targets: Tensor) -> TensorSpec:
        if not predictions.dtype.is_floating:
            raise self.error(
                f"predictions must be floating point; got {predictions.dtype.name}.", cls=DTypeError
            )
        if targets.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(
                f"targets must be int32 or int64; got {targets.dtype.name}.", cls=DTypeError
            )
        if predictions.shape.ndims not in (None, 2):
            raise self.error(f"predictions must be 2-D; got shape {predictions.shape}.")
        if targets.shape.ndims not in (None, 1):
            raise self.error(f"targets must be 1-D; got shape {targets.shape}.")
        batch = TensorShape([None])
        if predictions.shape.ndims == 2:
            batch = TensorShape([predictions.shape.known[0]])  # type: ignore[index]
        if not batch.is_compatible_with(targets.shape):
            raise self.error(
                f"predictions and targets must have the same batch size; got "
                f"predictions: {predictions.shape}, targets: {targets.shape}."
            )
        return spec(
            batch.merge_with(targets.shape) if targets.shape.ndims == 1 else batch, dtypes.bool
        )

    def compute(self, predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        n, c = predictions.shape
        if targets.shape[0] != n:
            raise self.error(
                f"predictions and targets must have the same batch size; got "
                f"{predictions.shape} and {targets.shape}."
            )
        ok = (targets >= 0) & (targets < c)
        safe = np.where(ok, targets, 0)
        p = predictions[np.arange(n), safe]
        with np.errstate(invalid="ignore"):
            above = np.sum(predictions > p[:, None], axis=1)
        return ok & np.isfinite(p) & (above < self.attrs["k"])


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Tensor:
    """Whether each target class is among the `k` highest predictions of its row (bool).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.nn.in_top_k([[0.1, 0.9], [0.8, 0.2]], [1, 1], 1))
        array([ True, False])
    """
    return apply_op(InTopK, [predictions, targets], {"k": int(k)}, name=name)


# -- L2 loss -----------------------------------------------------------------------------------
@register_op("L2Loss")
class L2Loss(OpDef):
    """y = sum(x ** 2) / 2."""

    def infer(self, x: Tensor) -> TensorSpec:
        if not x.dtype.is_floating:
            raise self.error(f"t must be floating point; got {x.dtype.name}.", cls=DTypeError)
        return spec([], x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.sum(x * x, dtype=x.dtype) / x.dtype.type(2), dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * op.inputs[0]]


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2, without the square root (weight decay's usual penalty)."""
    return apply_op(L2Loss, [t], name=name)


def _approx_k(
    operand: Any, k: int, dim: int, largest: bool, name: str | None, fn: str
) -> tuple[Tensor, Tensor]:
    from flowzero.ops.reshape_ops import transpose

    g = graph_of([operand], fn)
    with g.as_default(), g.name_scope(name or "ApproxTopK"):
        x = convert_to_tensor(operand, name="operand")
        rank = x.shape.ndims
        if rank is None:
            raise ValueError(f"{fn}: operand needs a known rank; got {x.shape}.")
        if x.dtype.np.kind not in "fi" or (not largest and x.dtype.np.kind == "u"):
            raise TypeError(f"{fn}: operand must be float or signed int; got {x.dtype.name}.")
        d = dim + rank if dim < 0 else dim
        if not 0 <= d < rank:
            raise ValueError(f"{fn}: reduction_dimension {dim} is out of range for rank {rank}.")
        n = x.shape.known[d] if x.shape.known is not None else None
        if n is not None and not 0 <= k <= n:
            raise ValueError(f"{fn}: k must be in [0, {n}] (the reduced size); got k={k}.")
        perm = [i for i in range(rank) if i != d] + [d]
        back = list(np.argsort(perm))
        t = transpose(x, perm) if d != rank - 1 else x
        vals, idx = top_k(t if largest else unary_ops.negative(t), k)
        if not largest:
            vals = unary_ops.negative(vals)
        if d != rank - 1:
            vals, idx = transpose(vals, back), transpose(idx, back)
        return vals, idx


def approx_max_k(
    operand: Any,
    k: int,
    reduction_dimension: int = -1,
    recall_target: float = 0.95,
    reduction_input_size_override: int = -1,
    aggregate_to_topk: bool = True,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The k largest values along reduction_dimension and their int32 indices, largest first.

    TF's ApproxTopK trades recall for speed on TPUs; here (as on TF's CPU) the result is exact,
    which meets any recall_target. Ties go to the lower index.

    Example:
        >>> v, i = tf.math.approx_max_k([[3., 1., 3., 2.]], 2)   # [[3., 3.]], [[0, 2]]
    """
    del recall_target, reduction_input_size_override, aggregate_to_topk  # exact search
    return _approx_k(operand, int(k), int(reduction_dimension), True, name, "approx_max_k")


def approx_min_k(
    operand: Any,
    k: int,
    reduction_dimension: int = -1,
    recall_target: float = 0.95,
    reduction_input_size_override: int = -1,
    aggregate_to_topk: bool = True,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The k smallest values along reduction_dimension and their int32 indices, smallest
    first (exact; see approx_max_k)."""
    del recall_target, reduction_input_size_override, aggregate_to_topk
    return _approx_k(operand, int(k), int(reduction_dimension), False, name, "approx_min_k")


__all__ = ["softmax", "log_softmax", "bias_add", "top_k", "in_top_k", "l2_loss"]
