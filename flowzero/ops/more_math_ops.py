"""More of tf.math: atan2, rint, nextafter, angle, accumulate_n, the NaN-safe
divide/multiply/reciprocal and xlogy/xdivy/xlog1py, cumulative_logsumexp, and the composites
reduce_variance/reduce_std/reduce_euclidean_norm, polyval, is_non_decreasing and
is_strictly_increasing."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import (
    BinaryOp,
    DTypeError,
    UnaryOp,
    _axis_in,
    _binary,
    _graph_for,
    _quiet,
    _scalar_int,
)
from flowzero.ops.unary_ops import negative, square


@register_op("Atan2")
class Atan2(BinaryOp):
    """z = the angle of the point (x, y) from the x axis, in [-pi, pi] (inputs y, x)."""

    kinds = "f"

    def compute(self, y: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.arctan2(y, x)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        y, x = op.inputs
        inv = dz / (square(x) + square(y))
        return [x * inv, negative(y) * inv]


@register_op("Rint")
class Rint(UnaryOp):
    """y = x rounded to the nearest integer, halves to even."""

    kinds = "f"
    differentiable = False  # as TF: no gradient

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.rint(x)


@register_op("DivNoNan")
class DivNoNan(BinaryOp):
    """z = 0 where y == 0, else x / y."""

    kinds = "f"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with _quiet():
            zero = y == 0
            return np.where(zero, np.zeros((), x.dtype), x / np.where(zero, 1, y)).astype(
                x.dtype, copy=False
            )

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        x, y = op.inputs
        return [div_no_nan(dz, y), dz * div_no_nan(div_no_nan(negative(x), y), y)]


@register_op("MulNoNan")
class MulNoNan(BinaryOp):
    """z = 0 where y == 0 (even where x is inf or NaN), else x * y."""

    kinds = "f"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.where(y == 0, np.zeros((), x.dtype), x * y).astype(x.dtype, copy=False)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        x, y = op.inputs
        return [multiply_no_nan(dz, y), multiply_no_nan(x, dz)]


@register_op("NextAfter")
class NextAfter(BinaryOp):
    """z = the next representable value after x in the direction of y."""

    kinds = "f"
    differentiable = False  # as TF

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.nextafter(x, y)


def nextafter(x1: Any, x2: Any, name: str | None = None) -> Tensor:
    """The next representable floating-point value after x1 towards x2, elementwise."""
    return _binary(NextAfter, x1, x2, name)


def angle(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The argument of a complex tensor, atan2(imag, real); for a real tensor pi where it is
    negative, else 0 (as TF)."""
    from flowzero.ops.array_ops import ones_like, zeros_like
    from flowzero.ops.complex_ops import imag, real
    from flowzero.ops.logic_ops import less
    from flowzero.ops.select_ops import where_v2

    with _graph_for(input):
        z = convert_to_tensor(input)
        if z.dtype.is_complex:
            return atan2(imag(z), real(z), name=name)
        return where_v2(less(z, 0), np.pi * ones_like(z), zeros_like(z), name=name)


def accumulate_n(
    inputs: Any, shape: Any = None, tensor_dtype: Any = None, name: str | None = None
) -> Tensor:
    """The elementwise sum of a list of tensors (tf.add_n; TF's accumulation order is not
    observable here)."""
    from flowzero.ops.math_ops import add_n

    return add_n(inputs, name=name)


@register_op("Xlogy")
class Xlogy(BinaryOp):
    """z = 0 if x == 0 else x log(y)."""

    kinds = "f"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.where(x == 0, np.zeros((), x.dtype), x * np.log(y)).astype(x.dtype)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        x, y = op.inputs
        nonzero = _nonzero(x)
        return [dz * xlogy(nonzero, y), dz * xdivy(x, y)]


@register_op("Xdivy")
class Xdivy(BinaryOp):
    """z = 0 if x == 0 else x / y."""

    kinds = "f"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.where(x == 0, np.zeros((), x.dtype), x / y).astype(x.dtype)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        x, y = op.inputs
        return [dz * xdivy(_nonzero(x), y), dz * xdivy(negative(x), square(y))]


@register_op("Xlog1py")
class Xlog1py(BinaryOp):
    """z = 0 if x == 0 else x log(1 + y)."""

    kinds = "f"

    def compute(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.where(x == 0, np.zeros((), x.dtype), x * np.log1p(y)).astype(x.dtype)

    def gradient(self, op: Any, dz: Tensor) -> list[Any]:
        x, y = op.inputs
        return [dz * xlog1py(_nonzero(x), y), dz * xdivy(x, y + 1)]


def _nonzero(x: Tensor) -> Tensor:
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.logic_ops import not_equal

    return cast(not_equal(x, 0), x.dtype)


def xlogy(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * log(y), and 0 where x == 0 (even where log(y) is not finite)."""
    return _binary(Xlogy, x, y, name)


def xdivy(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y, and 0 where x == 0 (even where y == 0)."""
    return _binary(Xdivy, x, y, name)


def xlog1py(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * log1p(y), and 0 where x == 0."""
    return _binary(Xlog1py, x, y, name)


def atan2(y: Any, x: Any, name: str | None = None) -> Tensor:
    """The angle of (x, y) from the positive x axis, elementwise, in [-pi, pi]."""
    return _binary(Atan2, y, x, name)


def rint(x: Any, name: str | None = None) -> Tensor:
    """x rounded to the nearest integer (halves to the even one), elementwise."""
    return apply_op(Rint, [x], name=name)


def div_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x / y, and 0 where y == 0."""
    return _binary(DivNoNan, x, y, name)


def multiply_no_nan(x: Any, y: Any, name: str | None = None) -> Tensor:
    """x * y, and 0 where y == 0 even if x is inf or NaN."""
    return _binary(MulNoNan, x, y, name)


def reciprocal_no_nan(x: Any, name: str | None = None) -> Tensor:
    """1 / x, and 0 where x == 0."""
    with _graph_for(x):
        t = convert_to_tensor(x)
        return div_no_nan(np.ones((), t.dtype.np), t, name=name)


# -- cumulative_logsumexp ----------------------------------------------------------------------
@register_op("CumulativeLogsumexp")
class CumulativeLogsumexp(OpDef):
    """y[..., i, ...] = log(sum_{j <= i} exp(x[..., j, ...])) along `axis` (j < i with
    exclusive; from the end with reverse), without overflow or underflow."""

    def infer(self, x: Tensor, axis: Tensor) -> TensorSpec:
        if not x.dtype.is_floating:
            raise self.error(f"x must be floating point; got {x.dtype.name}.", cls=DTypeError)
        a = _scalar_int(axis)
        if a is not None and x.shape.ndims is not None:
            _axis_in(self, a, max(x.shape.ndims, 1))
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        a = _axis_in(self, int(axis), max(x.ndim, 1))
        v = np.flip(x, a) if self.attrs["reverse"] else x
        with _quiet():
            out = np.logaddexp.accumulate(v, axis=a) if v.size else v.copy()
            if self.attrs["exclusive"] and v.size:
                first = np.full_like(np.take(out, [0], axis=a), -np.inf)
                out = np.concatenate([first, np.take(out, np.arange(out.shape[a] - 1), a)], a)
        return np.ascontiguousarray(np.flip(out, a) if self.attrs["reverse"] else out)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # TF's rule: split dy by sign so each part goes through logs, then a reversed
        # cumulative logsumexp distributes it back.
        from flowzero.ops.logic_ops import greater, less
        from flowzero.ops.select_ops import where_v2
        from flowzero.ops.unary_ops import exp, log

        x, axis = op.inputs
        y = op.outputs[0]
        lowest = float(np.finfo(dy.dtype.np).min)
        with _quiet():
            pos = where_v2(greater(dy, 0), log(dy), lowest)
            neg = where_v2(less(dy, 0), log(negative(dy)), lowest)
        kw = {
            "axis": axis,
            "exclusive": self.attrs["exclusive"],
            "reverse": not self.attrs["reverse"],
        }
        out_pos = exp(cumulative_logsumexp(pos - y, **kw) + x)
        out_neg = exp(cumulative_logsumexp(neg - y, **kw) + x)
        return [out_pos - out_neg, None]


def cumulative_logsumexp(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """The running log(sum(exp(x))) along `axis`, stably.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.math.cumulative_logsumexp([0., 0., 0.]))   # [0, log 2, log 3]
        array([0.       , 0.6931472, 1.0986123], dtype=float32)
    """
    from flowzero.ops.array_ops import _int_operand

    with _graph_for(x, axis):
        return apply_op(
            CumulativeLogsumexp,
            [x, _int_operand(axis, "axis")],
            {"exclusive": bool(exclusive), "reverse": bool(reverse)},
            name=name,
        )


# -- composites --------------------------------------------------------------------------------
def reduce_variance(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """The variance (mean squared deviation from the mean) across `axis`."""
    from flowzero.ops.reduction_ops import reduce_mean

    with _graph_for(input_tensor):
        x = convert_to_tensor(input_tensor)
        if not x.dtype.is_floating:
            raise TypeError(f"reduce_variance: input must be floating point; got {x.dtype.name}.")
        dev = square(x - reduce_mean(x, axis, keepdims=True))
        return reduce_mean(dev, axis, keepdims=keepdims, name=name or "reduce_variance")


def reduce_std(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """The standard deviation across `axis`."""
    from flowzero.ops.unary_ops import sqrt

    with _graph_for(input_tensor):
        return sqrt(reduce_variance(input_tensor, axis, keepdims), name=name or "reduce_std")


def reduce_euclidean_norm(
    input_tensor: Any, axis: Any = None, keepdims: bool = False, name: str | None = None
) -> Tensor:
    """sqrt(sum(x^2)) across `axis`."""
    from flowzero.ops.reduction_ops import reduce_sum
    from flowzero.ops.unary_ops import sqrt

    with _graph_for(input_tensor):
        x = convert_to_tensor(input_tensor)
        return sqrt(
            reduce_sum(square(x), axis, keepdims=keepdims), name=name or "reduce_euclidean_norm"
        )


def polyval(coeffs: Any, x: Any, name: str | None = None) -> Tensor:
    """coeffs[0] x^(n-1) + ... + coeffs[n-1], elementwise in x, by Horner's rule (coeffs: a
    list of tensors broadcastable against x).

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.math.polyval([2., 0., 1.], 3.)))   # 2 * 9 + 1 = 19
        19.0
    """
    from flowzero.ops.array_ops import zeros_like

    if not isinstance(coeffs, (list, tuple)):
        raise ValueError(f"polyval: coeffs must be a list; got {type(coeffs).__name__}.")
    with _graph_for(coeffs, x):
        xt = convert_to_tensor(x)
        if not coeffs:
            return zeros_like(xt, name=name)
        p = convert_to_tensor(coeffs[0], dtype=xt.dtype)
        for c in coeffs[1:]:
            p = p * xt + convert_to_tensor(c, dtype=xt.dtype)
        return p


def _monotone(x: Any, strict: bool, name: str | None) -> Tensor:
    from flowzero.ops.logic_ops import greater, greater_equal
    from flowzero.ops.reduction_ops import reduce_all
    from flowzero.ops.reshape_ops import reshape

    with _graph_for(x):
        t = convert_to_tensor(x)
        if t.dtype.np.kind not in "fiu":
            raise TypeError(
                f"{'is_strictly_increasing' if strict else 'is_non_decreasing'}: "
                f"x must be numeric; got {t.dtype.name}."
            )
        flat = reshape(t, [-1])
        later, earlier = flat[1:], flat[:-1]
        ok = greater(later, earlier) if strict else greater_equal(later, earlier)
        return reduce_all(ok, name=name)


def is_non_decreasing(x: Any, name: str | None = None) -> Tensor:
    """Whether each element of x (flattened) is >= the one before (true below 2 elements)."""
    return _monotone(x, False, name)


def is_strictly_increasing(x: Any, name: str | None = None) -> Tensor:
    """Whether each element of x (flattened) is > the one before (true below 2 elements)."""
    return _monotone(x, True, name)


__all__ = [
    "atan2",
    "rint",
    "div_no_nan",
    "is_non_decreasing",
    "is_strictly_increasing",
    "angle",
    "accumulate_n",
]
