"""Counting: bincount (how often each value occurs) and confusion_matrix (how often each
(label, prediction) pair does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.array_ops import _int_operand, ones_like
from flowzero.ops.cast_ops import cast
from flowzero.ops.common import DTypeError, _graph_for, _require_int, _scalar_int
from flowzero.ops.manip_ops import concat
from flowzero.ops.math_ops import maximum
from flowzero.ops.reshape_ops import reshape


@register_op("Bincount")
class Bincount(OpDef):
    """y[v] = sum of weights[i] with arr[i] == v, for v in [0, size) (other values ignored)."""

    differentiable = False

    def infer(self, arr: Tensor, size: Tensor, weights: Tensor) -> TensorSpec:
        if arr.dtype is not dtypes.int32:
            raise self.error(f"arr must be int32; got {arr.dtype.name}.", cls=DTypeError)
        _require_int(self, size, "size")
        return spec([_scalar_int(size)], weights.dtype)

    def compute(self, arr: np.ndarray, size: np.ndarray, weights: np.ndarray) -> np.ndarray:
        n = int(size)
        if n < 0:
            raise self.error(f"size must be non-negative; got {n}.")
        if arr.size and arr.min() < 0:
            raise self.error(f"arr must be non-negative; got {int(arr.min())}.")
        flat = arr.reshape(-1)
        w = None if weights.size == 0 else weights.reshape(-1)
        if w is not None and w.size != flat.size:
            raise self.error(
                f"weights must have arr's shape; got arr: {arr.shape}, weights: {weights.shape}."
            )
        keep = flat < n
        if w is None:
            return np.bincount(flat[keep], minlength=n).astype(weights.dtype)
        return np.bincount(flat[keep], weights=w[keep], minlength=n).astype(weights.dtype)


def bincount(
    arr: Any,
    weights: Any = None,
    minlength: Any = None,
    maxlength: Any = None,
    dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """How often each value occurs in the non-negative int32 `arr` (or the sums of `weights`
    there), for values 0 .. max(arr), padded to `minlength` and cut at `maxlength`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.bincount([1, 1, 3]))
        array([0, 2, 0, 1], dtype=int32)
    """
    from flowzero.ops.array_ops import constant
    from flowzero.ops.math_ops import minimum
    from flowzero.ops.reduction_ops import reduce_max

    with _graph_for(arr, weights, minlength, maxlength):
        a = convert_to_tensor(arr, dtype=dtypes.int32)
        # max(arr) + 1, or 0 for an empty arr
        size = reduce_max(concat([reshape(a, [-1]) + 1, constant([0])], 0))
        if minlength is not None:
            size = maximum(_int_operand(minlength, "minlength"), size)
        if maxlength is not None:
            size = minimum(_int_operand(maxlength, "maxlength"), size)
        if weights is None:
            w = constant([], dtype=dtype)
        else:
            w = convert_to_tensor(weights)
        return apply_op(Bincount, [a, size, w], name=name or "bincount")


def confusion_matrix(
    labels: Any,
    predictions: Any,
    num_classes: Any = None,
    dtype: Any = dtypes.int32,
    name: str | None = None,
    weights: Any = None,
) -> Tensor:
    """The [num_classes, num_classes] matrix counting (or summing `weights` over) the pairs
    (labels[i], predictions[i]): rows are true classes, columns predicted ones.

    Args:
        labels, predictions: 1-D int Tensors of one length, values in [0, num_classes).
        num_classes: default max(labels, predictions) + 1.
        dtype: the result's dtype (weights are cast to it).
        weights: optional 1-D Tensor of per-pair weights.

    Raises:
        InvalidArgumentError: at run time, a value outside [0, num_classes).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.confusion_matrix([1, 2, 4], [2, 2, 4]))  # 5 x 5: (1,2), (2,2), (4,4)
        array([[0, 0, 0, 0, 0],
               [0, 0, 1, 0, 0],
               [0, 0, 1, 0, 0],
               [0, 0, 0, 0, 0],
               [0, 0, 0, 0, 1]], dtype=int32)
    """
    from flowzero.ops.array_ops import constant, stack
    from flowzero.ops.indexing_ops import scatter_nd
    from flowzero.ops.reduction_ops import reduce_max

    with _graph_for(labels, predictions, num_classes, weights):
        lab = cast(convert_to_tensor(labels), dtypes.int64)
        pred = cast(convert_to_tensor(predictions), dtypes.int64)
        if num_classes is None:
            both = concat(
                [reshape(lab, [-1]), reshape(pred, [-1]), constant([-1], dtypes.int64)], 0
            )
            n: Any = reduce_max(both) + 1
        else:
            n = cast(_int_operand(num_classes, "num_classes"), dtypes.int64)
        idx = stack([lab, pred], axis=1)
        dt = dtypes.as_dtype(dtype)
        vals = ones_like(lab, dtype=dt) if weights is None else cast(weights, dt)
        return scatter_nd(idx, vals, stack([n, n]), name=name or "confusion_matrix")


def histogram_fixed_width_bins(
    values: Any,
    value_range: Any,
    nbins: Any = 100,
    dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """The bin of each value among `nbins` equal-width bins over [range[0], range[1]]:
    floor(nbins * (v - range[0]) / (range[1] - range[0])), clipped to [0, nbins - 1] (values
    below the range land in the first bin, values above it in the last).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.histogram_fixed_width_bins([-1., 0., 1.5, 2., 5.], [0., 5.], nbins=5))
        array([0, 0, 1, 2, 4], dtype=int32)
    """
    from flowzero.ops.cast_ops import clip_by_value
    from flowzero.ops.division_ops import truediv
    from flowzero.ops.unary_ops import floor

    with _graph_for(values, value_range, nbins):
        v = convert_to_tensor(values)
        with v.graph.name_scope(name or "histogram_fixed_width_bins"):
            r = convert_to_tensor(value_range, dtype=v.dtype)
            scaled = truediv(v - r[0], r[1] - r[0])
            n = cast(_int_operand(nbins, "nbins"), scaled.dtype)
            idx = clip_by_value(floor(n * scaled), 0.0, n - 1.0)
            return cast(idx, dtype)


def histogram_fixed_width(
    values: Any,
    value_range: Any,
    nbins: Any = 100,
    dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """How many values fall in each of `nbins` equal-width bins over `value_range` (values
    outside it count in the first or last bin), as histogram_fixed_width_bins assigns them.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.histogram_fixed_width([-1., 0., 1.5, 2., 5.], [0., 5.], nbins=5))
        array([2, 1, 1, 0, 1], dtype=int32)
    """
    with _graph_for(values, value_range, nbins):
        v = convert_to_tensor(values)
        with v.graph.name_scope(name or "histogram_fixed_width"):
            bins = histogram_fixed_width_bins(v, value_range, nbins)
            n = _int_operand(nbins, "nbins")
            return bincount(reshape(bins, [-1]), minlength=n, maxlength=n, dtype=dtype)


__all__ = [
    "bincount",
    "confusion_matrix",
    "histogram_fixed_width_bins",
    "histogram_fixed_width",
]
