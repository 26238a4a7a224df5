"""Local response normalization (tf.nn.lrn / tf.nn.local_response_normalization), the
AlexNet-era normalization of TF1's CIFAR-10 tutorial, and its gradient op.

Along the last axis (depth), with a window of `depth_radius` channels on each side:

    sqr_sum[..., d] = sum(x[..., d - r : d + r + 1] ** 2)
    y = x / (bias + alpha * sqr_sum) ** beta
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError


def _window_sum(v: np.ndarray, r: int) -> np.ndarray:
    """sum(v[..., d - r : d + r + 1]) for every d, the window clipped at the edges."""
    depth = v.shape[-1]
    c = np.cumsum(v, axis=-1, dtype=v.dtype)
    c = np.concatenate([np.zeros((*v.shape[:-1], 1), v.dtype), c], axis=-1)
    d = np.arange(depth)
    hi = np.minimum(d + r + 1, depth)
    lo = np.maximum(d - r, 0)
    return c[..., hi] - c[..., lo]


class _LRNBase(OpDef):
    def _params(self) -> tuple[int, float, float, float]:
        a = self.attrs
        return int(a["depth_radius"]), float(a["bias"]), float(a["alpha"]), float(a["beta"])

    def _check(self, x: Tensor, what: str) -> None:
        if x.dtype.np.kind != "f":
            raise self.error(f"{what} must be a float tensor; got {x.dtype.name}.", cls=DTypeError)
        if x.shape.ndims not in (None, 4):
            raise self.error(
                f"{what} must be 4-D [batch, height, width, depth]; got shape {x.shape}."
            )

    def _scale(self, x: np.ndarray) -> np.ndarray:
        r, bias, alpha, _ = self._params()
        return bias + alpha * _window_sum(np.square(x), r)


@register_op("LRN")
class LRN(_LRNBase):
    """y = x / (bias + alpha * sqr_sum) ** beta, sqr_sum over a window of channels."""

    def infer(self, x: Tensor) -> TensorSpec:
        self._check(x, "input")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        beta = self._params()[3]
        return np.asarray(x * self._scale(x) ** -beta, dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [
            apply_op(LRNGrad, [dy, op.inputs[0], op.outputs[0]], dict(self.attrs), name="LRNGrad")
        ]


@register_op("LRNGrad")
class LRNGrad(_LRNBase):
    """dx of LRN, from (dy, x, y): dy * s**-beta - 2 alpha beta x * window_sum(dy * y / s)."""

    differentiable = False  # TF has no gradient for it either

    def infer(self, dy: Tensor, x: Tensor, y: Tensor) -> TensorSpec:
        self._check(x, "input_image")
        return spec(x.shape, x.dtype)

    def compute(self, dy: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r, _, alpha, beta = self._params()
        s = self._scale(x)
        # y = x * s**-beta, so dy_i * x_i * s_i**(-beta - 1) = dy_i * y_i / s_i.
        back = _window_sum(dy * y / s, r)
        return np.asarray(dy * s**-beta - 2.0 * alpha * beta * x * back, dtype=x.dtype)


def local_response_normalization(
    input: Any,  # noqa: A002
    depth_radius: int = 5,  # noqa: A002
    bias: float = 1.0,
    alpha: float = 1.0,
    beta: float = 0.5,
    name: str | None = None,
) -> Tensor:
    """Local response normalization over the last axis (TF1's tf.nn.lrn).

    Args:
        input: a 4-D float Tensor [batch, height, width, depth].
        depth_radius: channels on each side of the window (the window is 2r + 1 wide).
        bias, alpha, beta: y = x / (bias + alpha * sum(window x**2)) ** beta.

    Returns:
        A Tensor of input's shape and dtype.

    Example:
        >>> pool1 = tf.placeholder(tf.float32, [None, 12, 12, 64])
        >>> norm1 = tf.nn.lrn(pool1, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
        >>> norm1.shape
        TensorShape([None, 12, 12, 64])
    """
    if int(depth_radius) < 0:
        raise ValueError(f"lrn: depth_radius must be >= 0; got {depth_radius}.")
    attrs = {
        "depth_radius": int(depth_radius),
        "bias": float(bias),
        "alpha": float(alpha),
        "beta": float(beta),
    }
    return apply_op(LRN, [input], attrs, name=name or "LRN")


lrn = local_response_normalization

__all__ = ["local_response_normalization", "lrn"]
