"""Running sums and products along an axis: tf.cumsum, tf.cumprod (`exclusive`, `reverse`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, static_value


def _axis(self: OpDef, x: Tensor, axis: Tensor) -> None:
    if not axis.dtype.is_integer or axis.shape.ndims not in (None, 0):
        raise self.error(
            f"axis must be an int scalar; got {axis.dtype.name} of shape {axis.shape}.",
            cls=DTypeError,
        )
    v = static_value(axis)
    rank = x.shape.ndims
    if v is not None and rank is not None and not -rank <= int(v) < max(rank, 1):
        raise self.error(f"axis {int(v)} is out of range for x of shape {x.shape}.")


class _Scan(OpDef):
    kinds = "fiuc"
    grads_match_inputs = True

    def infer(self, x: Tensor, axis: Tensor) -> TensorSpec:
        if x.dtype.np.kind not in self.kinds:
            raise self.error(f"x must be numeric; got {x.dtype.name}.", cls=DTypeError)
        _axis(self, x, axis)
        return spec(x.shape, x.dtype)

    def _run(self, ufunc: np.ufunc, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        a = int(axis)
        if x.ndim == 0:
            raise self.error("x must have rank >= 1; got a scalar.")
        if not -x.ndim <= a < x.ndim:
            raise self.error(f"axis {a} is out of range for x of shape {x.shape}.")
        rev = self.attrs.get("reverse", False)
        y = np.flip(x, a) if rev else x
        out = ufunc.accumulate(y, axis=a, dtype=x.dtype)
        if self.attrs.get("exclusive", False):
            ident = 0 if ufunc is np.add else 1
            out = np.concatenate(
                [
                    np.full_like(np.take(out, [0], axis=a), ident),
                    np.take(out, np.arange(out.shape[a] - 1), axis=a),
                ],
                axis=a,
            )
        return np.flip(out, a) if rev else out


@register_op("Cumsum")
class Cumsum(_Scan):
    """y_i = x_0 + ... + x_i along `axis` (x_0 + ... + x_{i-1} if exclusive; from the end if
    reverse)."""

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        return self._run(np.add, x, axis)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a = self.attrs
        return [cumsum(dy, op.inputs[1], exclusive=a["exclusive"], reverse=not a["reverse"]), None]


@register_op("Cumprod")
class Cumprod(_Scan):
    """y_i = x_0 * ... * x_i along `axis` (exclusive / reverse as Cumsum)."""

    def compute(self, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        return self._run(np.multiply, x, axis)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # TF's rule (valid where x has no zeros): reverse-cumsum of dy * y, divided by x.
        x, axis = op.inputs
        a = self.attrs
        y = op.outputs[0]
        return [cumsum(dy * y, axis, exclusive=a["exclusive"], reverse=not a["reverse"]) / x, None]


def _scan(
    cls: type[OpDef], x: Any, axis: Any, exclusive: bool, reverse: bool, name: str | None
) -> Tensor:
    x = convert_to_tensor(x)
    return apply_op(
        cls,
        [x, convert_to_tensor(axis) if isinstance(axis, Tensor) else np.int32(axis)],
        {"exclusive": bool(exclusive), "reverse": bool(reverse)},
        name=name,
    )


def cumsum(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """The running sum of `x` along `axis`.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.cumsum([1, 2, 3]))  # [1, 3, 6]
        array([1, 3, 6], dtype=int32)
        >>> sess.run(tf.cumsum([1, 2, 3], exclusive=True))  # [0, 1, 3]
        array([0, 1, 3], dtype=int32)
        >>> sess.run(tf.cumsum([1, 2, 3], reverse=True))  # [6, 5, 3]
        array([6, 5, 3], dtype=int32)
    """
    return _scan(Cumsum, x, axis, exclusive, reverse, name)


def cumprod(
    x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None
) -> Tensor:
    """The running product of `x` along `axis` (its gradient assumes x has no zeros, as TF's)."""
    return _scan(Cumprod, x, axis, exclusive, reverse, name)


__all__ = ["cumsum", "cumprod"]
