"""Discrete Fourier transforms over the innermost 1, 2 or 3 dimensions (NumPy's FFT):
fft/ifft/fft2d/ifft2d/fft3d/ifft3d on complex tensors, and rfft/irfft between real signals and
their non-negative frequencies.

Gradients use TF's convention for complex values (dL/dRe + i dL/dIm): the gradient of an FFT
is n times the inverse FFT of the upstream gradient, and the other way round.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _int_operand, constant
from flowzero.ops.common import DTypeError, _graph_for, static_value

_COMPLEX = (dtypes.complex64, dtypes.complex128)
_REAL_OF = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}
_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def _size(x: Tensor, rank: int) -> Tensor:
    """The number of points of the transform: the product of x's innermost `rank` dims, as a
    real scalar of x's real dtype cast to complex."""
    from flowzero.ops.array_ops import shape
    from flowzero.ops.cast_ops import cast
    from flowzero.ops.reduction_ops import reduce_prod

    k = x.shape.known
    inner = [] if k is None else [d for d in k[-rank:] if d is not None]
    if k is not None and len(inner) == len(k[-rank:]):
        n = int(np.prod(inner))
        return constant(np.asarray(n, x.dtype.np))
    return cast(reduce_prod(shape(x)[-rank:]), x.dtype)


class _FFT(OpDef):
    rank: ClassVar[int] = 1
    inverse: ClassVar[bool] = False
    grads_match_inputs = True

    def infer(self, x: Tensor) -> TensorSpec:
        if x.dtype not in _COMPLEX:
            raise self.error(
                f"input must be complex64 or complex128; got {x.dtype.name}. Use "
                "tf.cast(x, tf.complex64) or tf.spectral.rfft for real signals.",
                cls=DTypeError,
            )
        if x.shape.ndims is not None and x.shape.ndims < self.rank:
            raise self.error(f"input must have rank >= {self.rank}; got shape {x.shape}.")
        return spec(x.shape, x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        axes = tuple(range(-self.rank, 0))
        f = np.fft.ifftn if self.inverse else np.fft.fftn
        return np.asarray(f(x, axes=axes), dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        n = _size(dy, self.rank)
        if self.inverse:
            return [_transform(self.rank, False, dy) / n]
        return [_transform(self.rank, True, dy) * n]


_KINDS: dict[tuple[int, bool], type[_FFT]] = {}


def _make(op_type: str, rank: int, inverse: bool) -> type[_FFT]:
    doc = f"y = the {'inverse ' if inverse else ''}DFT of x over its innermost {rank} dim(s)."
    cls = type(op_type, (_FFT,), {"rank": rank, "inverse": inverse, "__doc__": doc})
    _KINDS[rank, inverse] = register_op(op_type)(cls)
    return cls


FFT = _make("FFT", 1, False)
IFFT = _make("IFFT", 1, True)
FFT2D = _make("FFT2D", 2, False)
IFFT2D = _make("IFFT2D", 2, True)
FFT3D = _make("FFT3D", 3, False)
IFFT3D = _make("IFFT3D", 3, True)


def _transform(rank: int, inverse: bool, x: Any, name: str | None = None) -> Tensor:
    return apply_op(_KINDS[rank, inverse], [x], name=name)


def _fft_length(self: OpDef, x: Tensor, n: Tensor) -> int | None:
    if n.dtype is not dtypes.int32 or n.shape.ndims not in (None, 1):
        raise self.error(
            f"fft_length must be an int32 vector of 1 element; got {n.dtype.name} "
            f"of shape {n.shape}.",
            cls=DTypeError,
        )
    v = static_value(n)
    return None if v is None else int(np.asarray(v).reshape(-1)[0])


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """x's last dimension cropped or zero-padded to n."""
    m = x.shape[-1]
    if m == n:
        return x
    if m > n:
        return x[..., :n]
    pad = [(0, 0)] * (x.ndim - 1) + [(0, n - m)]
    return np.pad(x, pad)


@register_op("RFFT")
class RFFT(OpDef):
    """y[..., k] = sum_j x[..., j] exp(-2 pi i j k / n), k in [0, n // 2], x cropped or
    zero-padded to n = fft_length."""

    def infer(self, x: Tensor, n: Tensor) -> TensorSpec:
        if x.dtype not in _COMPLEX_OF:
            raise self.error(
                f"input must be float32 or float64; got {x.dtype.name}.", cls=DTypeError
            )
        if x.shape.ndims == 0:
            raise self.error("input must have rank >= 1; got a scalar.")
        length = _fft_length(self, x, n)
        k = x.shape.known
        if k is None:
            return spec(TensorShape(None), _COMPLEX_OF[x.dtype])
        return spec(
            list(k[:-1]) + [None if length is None else length // 2 + 1], _COMPLEX_OF[x.dtype]
        )

    def compute(self, x: np.ndarray, n: np.ndarray) -> np.ndarray:
        length = int(n.reshape(-1)[0])
        y = np.fft.rfft(_fit(x, length), n=length, axis=-1)
        return y.astype(np.complex64 if x.dtype == np.float32 else np.complex128, copy=False)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, n = op.inputs
        return [apply_op(RFFTAdjoint, [dy, n, _last_dim(x)]), None]


@register_op("RFFTAdjoint")
class RFFTAdjoint(OpDef):
    """dx[..., j] = Re(sum_k g[..., k] exp(2 pi i j k / n)) for j < min(len, n), else 0: the
    gradient of RFFT (x of length `len`, n = fft_length)."""

    def infer(self, g: Tensor, n: Tensor, length: Tensor) -> TensorSpec:
        k = g.shape.known
        ln = static_value(length)
        last = None if ln is None else int(ln)
        return spec(TensorShape(None) if k is None else list(k[:-1]) + [last], _REAL_OF[g.dtype])

    def compute(self, g: np.ndarray, n: np.ndarray, length: np.ndarray) -> np.ndarray:
        nn, ln = int(n.reshape(-1)[0]), int(length)
        full = np.zeros(g.shape[:-1] + (nn,), g.dtype)
        full[..., : g.shape[-1]] = g[..., :nn]
        x = np.real(np.fft.ifft(full, axis=-1)) * nn
        return np.ascontiguousarray(_fit(x, ln)).astype(_REAL_OF[dtypes.as_dtype(g.dtype)].np)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [rfft(ddx, op.inputs[1]), None, None]


@register_op("IRFFT")
class IRFFT(OpDef):
    """x = the real signal of length n = fft_length whose non-negative frequencies are y
    (y cropped or zero-padded to n // 2 + 1; the imaginary parts of its first and, for even
    n, last entries are ignored)."""

    def infer(self, y: Tensor, n: Tensor) -> TensorSpec:
        if y.dtype not in _COMPLEX:
            raise self.error(
                f"input must be complex64 or complex128; got {y.dtype.name}.", cls=DTypeError
            )
        if y.shape.ndims == 0:
            raise self.error("input must have rank >= 1; got a scalar.")
        length = _fft_length(self, y, n)
        k = y.shape.known
        if k is None:
            return spec(TensorShape(None), _REAL_OF[y.dtype])
        return spec(list(k[:-1]) + [length], _REAL_OF[y.dtype])

    def compute(self, y: np.ndarray, n: np.ndarray) -> np.ndarray:
        length = int(n.reshape(-1)[0])
        x = np.fft.irfft(_fit(y, length // 2 + 1), n=length, axis=-1)
        return x.astype(np.float32 if y.dtype == np.complex64 else np.float64, copy=False)

    def gradient(self, op: Any, dx: Tensor) -> list[Any]:
        # dL/dy_k = (c_k / n) rfft(dx)_k with c_k = 2 but for k = 0 and (even n) k = n / 2,
        # then cropped or padded back to y's length.
        y, n = op.inputs
        return [apply_op(IRFFTAdjoint, [dx, n, _last_dim(y)]), None]


@register_op("IRFFTAdjoint")
class IRFFTAdjoint(OpDef):
    """g[..., k] = c_k / n * sum_j dx[..., j] exp(-2 pi i j k / n), fitted to `len` entries
    (c_k = 1 at k = 0 and, for even n, k = n / 2; else 2): the gradient of IRFFT."""

    def infer(self, dx: Tensor, n: Tensor, length: Tensor) -> TensorSpec:
        k = dx.shape.known
        ln = static_value(length)
        last = None if ln is None else int(ln)
        return spec(
            TensorShape(None) if k is None else list(k[:-1]) + [last], _COMPLEX_OF[dx.dtype]
        )

    def compute(self, dx: np.ndarray, n: np.ndarray, length: np.ndarray) -> np.ndarray:
        nn, ln = int(n.reshape(-1)[0]), int(length)
        g = np.fft.rfft(dx, n=nn, axis=-1)
        c = np.full(g.shape[-1], 2.0)
        c[0] = 1.0
        if nn % 2 == 0:
            c[-1] = 1.0
        g = g * (c / nn)
        dt = np.complex64 if dx.dtype == np.float32 else np.complex128
        return np.ascontiguousarray(_fit(g, ln)).astype(dt, copy=False)

    def gradient(self, op: Any, dg: Tensor) -> list[Any]:
        # Its adjoint: Re(sum_k (c_k / n) dg_k exp(2 pi i j k / n)), which is irfft(dg).
        return [irfft(dg, op.inputs[1]), None, None]


def _last_dim(x: Tensor) -> Tensor:
    from flowzero.ops.array_ops import shape

    k = x.shape.known
    if k is not None and k[-1] is not None:
        return constant(np.int32(k[-1]))
    return shape(x)[-1]


def _length_operand(x: Tensor, fft_length: Any) -> Tensor:
    if fft_length is None:
        return (
            _int_operand([int(x.shape.known[-1])], "fft_length")
            if x.shape.known is not None and x.shape.known[-1] is not None
            else _dyn_length(x)
        )
    return _int_operand(fft_length, "fft_length")


def _pad_for_kernel(x: Tensor, n: Tensor, inverse: bool) -> Tensor:
    """x zero-padded in the graph to the innermost length TF's kernel needs (n, or n // 2 + 1
    for the inverse) where both are known at build time, as TF's rfft / irfft do (TF's
    kernels only crop; flowzero's also pad, for lengths known only when they run)."""
    value, k = static_value(n), x.shape.known
    if value is None or k is None or k[-1] is None:
        return x
    need = int(np.reshape(value, -1)[0])
    need = need // 2 + 1 if inverse else need
    if k[-1] >= need:
        return x
    from flowzero.ops.slicing_ops import pad

    return pad(x, [[0, 0]] * (len(k) - 1) + [[0, need - k[-1]]])


def _dyn_length(x: Tensor) -> Tensor:
    from flowzero.ops.array_ops import shape
    from flowzero.ops.reshape_ops import reshape

    return reshape(shape(x)[-1], [1])


def fft(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The discrete Fourier transform over the innermost dimension of a complex tensor.

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.signal.fft(tf.cast([1., 0., 0., 0.], tf.complex64)))   # [1, 1, 1, 1]
        array([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j], dtype=complex64)
    """
    return _transform(1, False, input, name)


def ifft(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The inverse discrete Fourier transform over the innermost dimension."""
    return _transform(1, True, input, name)


def fft2d(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The 2-D discrete Fourier transform over the innermost two dimensions."""
    return _transform(2, False, input, name)


def ifft2d(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The inverse 2-D discrete Fourier transform over the innermost two dimensions."""
    return _transform(2, True, input, name)


def fft3d(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The 3-D discrete Fourier transform over the innermost three dimensions."""
    return _transform(3, False, input, name)


def ifft3d(input: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """The inverse 3-D discrete Fourier transform over the innermost three dimensions."""
    return _transform(3, True, input, name)


def rfft(input_tensor: Any, fft_length: Any = None, name: str | None = None) -> Tensor:
    """The non-negative frequencies (n // 2 + 1 of them) of the DFT of a real signal over its
    innermost dimension, cropped or zero-padded to n = fft_length[0] (default: its length).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.signal.rfft([1., 2., 3., 4.]))   # [10+0j, -2+2j, -2+0j]
        array([10.+0.j, -2.+2.j, -2.+0.j], dtype=complex64)
    """
    with _graph_for(input_tensor, fft_length):
        x = convert_to_tensor(input_tensor)
        n = _length_operand(x, fft_length)
        return apply_op(RFFT, [_pad_for_kernel(x, n, False), n], name=name)


def irfft(input_tensor: Any, fft_length: Any = None, name: str | None = None) -> Tensor:
    """The real signal of length n = fft_length[0] (default 2 * (m - 1) for m frequencies)
    whose non-negative DFT frequencies are `input_tensor` (rfft's inverse)."""
    with _graph_for(input_tensor, fft_length):
        y = convert_to_tensor(input_tensor)
        if fft_length is None:
            k = y.shape.known
            if k is None or k[-1] is None:
                from flowzero.ops.reshape_ops import reshape

                n: Any = reshape(2 * (_last_dim(y) - 1), [1])
            else:
                n = _int_operand([2 * (int(k[-1]) - 1)], "fft_length")
        else:
            n = _int_operand(fft_length, "fft_length")
        return apply_op(IRFFT, [_pad_for_kernel(y, n, True), n], name=name)


__all__ = ["fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d"]
