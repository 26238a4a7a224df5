"""Complex numbers: complex(real, imag), real, imag, conj (what the FFTs need around them).

Gradients follow TF's convention for a real loss L of a complex z: dL/dz := dL/dRe(z) +
i dL/dIm(z).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import broadcast_shapes
from flowzero.ops.array_ops import zeros_like
from flowzero.ops.common import DTypeError, UnaryOp, _graph_for, binary_operands

_TO_COMPLEX = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}
_TO_REAL = {v: k for k, v in _TO_COMPLEX.items()}


@register_op("Complex")
class Complex(OpDef):
    """z = real + i imag (broadcasting)."""

    def infer(self, re: Tensor, im: Tensor) -> TensorSpec:
        if re.dtype is not im.dtype or re.dtype not in _TO_COMPLEX:
            raise self.error(
                f"real and imag must both be float32 or both float64; got "
                f"{re.dtype.name} and {im.dtype.name}.",
                cls=DTypeError,
            )
        s = broadcast_shapes(re.shape, im.shape)
        if s is None:
            raise self.error(
                f"shapes must be broadcast-compatible; got real: {re.shape}, imag: {im.shape}."
            )
        return spec(s, _TO_COMPLEX[re.dtype])

    def compute(self, re: np.ndarray, im: np.ndarray) -> np.ndarray:
        out_dt = np.complex64 if re.dtype == np.float32 else np.complex128
        return (re + 1j * im).astype(out_dt, copy=False)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [real(dy), imag(dy)]


class _Part(UnaryOp):
    kinds = "c"

    def infer(self, x: Tensor) -> TensorSpec:
        if x.dtype not in _TO_REAL:
            raise self.error(
                f"input must be complex64 or complex128; got {x.dtype.name}.", cls=DTypeError
            )
        return spec(x.shape, _TO_REAL[x.dtype])


@register_op("Real")
class Real(_Part):
    """y = Re(x)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.real)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [complex(dy, zeros_like(dy))]


@register_op("Imag")
class Imag(_Part):
    """y = Im(x)."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x.imag)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [complex(zeros_like(dy), dy)]


@register_op("Conj")
class Conj(UnaryOp):
    """y = Re(x) - i Im(x)."""

    kinds = "c"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.conj(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [conj(dy)]


def complex(real: Any, imag: Any, name: str | None = None) -> Tensor:  # noqa: A001
    """real + i * imag elementwise (float32 -> complex64, float64 -> complex128).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.complex([1., 2.], [0., -1.]))   # [1.+0.j, 2.-1.j]
        array([1.+0.j, 2.-1.j], dtype=complex64)
    """
    with _graph_for(real, imag):
        re, im = binary_operands(real, imag, "Complex")
        return apply_op(Complex, [re, im], name=name)


def real(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The real part of a complex tensor (a real tensor is returned as it is)."""
    x = convert_to_tensor(input)
    if not x.dtype.is_complex:
        return x
    return apply_op(Real, [x], name=name)


def imag(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The imaginary part of a complex tensor."""
    return apply_op(Imag, [input], name=name)


def conj(x: Any, name: str | None = None) -> Tensor:
    """The complex conjugate (a real tensor is returned as it is)."""
    t = convert_to_tensor(x)
    if not t.dtype.is_complex:
        return t
    return apply_op(Conj, [t], name=name)


__all__ = ["complex", "real", "imag", "conj"]
