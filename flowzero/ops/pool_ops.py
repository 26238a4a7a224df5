"""Pooling: MaxPool, AvgPool and their gradient ops (MaxPoolGrad, MaxPoolGradGrad,
AvgPoolGrad), on conv_ops' windowed-op machinery (same layouts and padding rules).

Pooling loops over the kh*kw window offsets, each a strided view of the whole batch (for
non-overlapping windows these are exactly the views of the reshape (n, oh, kh, ow, kw, c));
NOTE: measured faster than reducing a reshaped array over its two window axes. No loop ever runs
over pixels, and everything stays in the input's dtype.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import TensorSpec, register_op, spec
from flowzero.ops import compiled
from flowzero.ops.array_ops import _shape_like, zeros_like
from flowzero.ops.conv_ops import (
    Got,
    _attrs,
    _crop,
    _fmt_dims,
    _from_nhwc,
    _Geom,
    _nhwc_dims,
    _one_of,
    _pad,
    _shape_str,
    _sizes_operand,
    _tap,
    _to_nhwc,
    _Windowed,
)


# -- pooling -----------------------------------------------------------------------------------
class _Pool(_Windowed):
    pooling = True
    kinds: ClassVar[str] = "f"

    def _pool_geometry(
        self, xd: Any, g: _Geom, got: Got
    ) -> tuple[Any, int | None, int | None, tuple[int, int, int, int]]:
        n, h, w, c = _nhwc_dims(xd, g.fmt)
        oh, ow, pads = self._out_hw(h, w, g.ksize[0], g.ksize[1], g, got)
        return (n, h, w, c), oh, ow, pads

    def _out_spec(self, x: Tensor) -> tuple[_Geom, tuple[Any, ...]]:
        g = self._geom()
        self._float(("input", x), kinds=self.kinds)
        (n, _, _, c), oh, ow, _ = self._pool_geometry(
            self._dims4(x, "input"), g, lambda: f"input: {x.shape}"
        )
        return g, _fmt_dims(n, oh, ow, c, g.fmt)

    def _plan(self, x: np.ndarray, g: _Geom) -> tuple[Any, Any, tuple[int, int, int, int]]:
        _, oh, ow, pads = self._pool_geometry(
            _fmt_dims(*x.shape, g.fmt), g, lambda: f"input: {_shape_str(x.shape)} (NHWC)"
        )
        return oh, ow, pads

    def _check_like(self, what: str, t: Tensor, dims: tuple[Any, ...]) -> None:
        if t.shape.known is not None and not t.shape.is_compatible_with(dims):
            raise self.error(
                f"{what} must have the pooled shape {_shape_str(dims)}; got {what}: {t.shape}."
            )


def _tiles(g: _Geom, pads: tuple[int, ...]) -> bool:
    """True when the windows tile the (cropped) input: stride == window, no padding."""
    return g.strides == g.ksize and not any(pads)


def _tiled(x: np.ndarray, g: _Geom, oh: int, ow: int) -> np.ndarray:
    """x (NHWC) as (n, oh, kh, ow, kw, c): window (i, j) is [:, i, :, j, :, :]."""
    (kh, kw), (n, _, _, c) = g.ksize, x.shape
    return x[:, : oh * kh, : ow * kw].reshape(n, oh, kh, ow, kw, c)


def _untile(dx6: np.ndarray, h: int, w: int) -> np.ndarray:
    """The inverse of _tiled for a gradient: zeros where VALID cropped rows/columns off."""
    n, oh, kh, ow, kw, c = dx6.shape
    dx = dx6.reshape(n, oh * kh, ow * kw, c)
    if (oh * kh, ow * kw) == (h, w):
        return dx
    out = np.zeros((n, h, w, c), dtype=dx.dtype)
    out[:, : oh * kh, : ow * kw] = dx
    return out


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _compiled_pool(x: np.ndarray, g: _Geom) -> Any:
    """The compiled pooling kernels (flowzero/ops/compiled/pool.py) when they cover x: NHWC,
    C-contiguous, float32/float64, at most 255 window offsets; else None (NumPy's path)."""
    if (
        g.fmt != "NHWC"
        or x.dtype.type not in (np.float32, np.float64)
        or not x.flags.c_contiguous
        or g.ksize[0] * g.ksize[1] > 255
        or not x.size
    ):
        return None
    return compiled.load("pool")


def _argmax_masks(
    x: np.ndarray, y: np.ndarray, g: _Geom, oh: int, ow: int, pads: tuple[int, int, int, int]
) -> Iterator[tuple[int, int, np.ndarray]]:
    """For each window offset (row-major), the mask of windows whose max sits there first."""
    xp = _pad(x, pads, _lowest(x.dtype))
    taken = np.zeros(y.shape, dtype=bool)
    m = np.empty(y.shape, dtype=bool)
    for p in range(g.ksize[0]):
        for q in range(g.ksize[1]):
            np.equal(_tap(xp, p, q, oh, ow, *g.strides), y, out=m)
            np.greater(m, taken, out=m)  # m & ~taken: ties go to the first position (TF)
            np.logical_or(taken, m, out=taken)
            yield p, q, m


def _max_of(taps: list[np.ndarray]) -> np.ndarray:
    """The elementwise max of the window-offset views, in a fresh array (no copy of the first
    view when there are several)."""
    if len(taps) == 1:
        return np.array(taps[0])
    y = np.maximum(taps[0], taps[1])
    for t in taps[2:]:
        np.maximum(y, t, out=y)
    return y


def _tiled_max_grad(
    x: np.ndarray, y: np.ndarray, dy: np.ndarray, g: _Geom, oh: int, ow: int
) -> np.ndarray:
    """MaxPoolGrad when the windows tile the input, as (n, oh, kh, ow, kw, c).

    The window offsets are walked in row-major order on views of the (n, oh, kh, ow, kw, c)
    reshape: each offset's elements equal to their window's max, minus the windows already
    taken, get dy. So each window's gradient goes to its first max (TF's rule, ties included)
    exactly as _argmax_masks routes it, and a window with no element equal to y (a NaN max) gets
    none. Comparing one offset at a time (y-sized) is 20% faster than one comparison over the
    whole input followed by the walk (2.1 vs 2.6 ms at 100x24x24x30).
    """
    x6 = _tiled(x, g, oh, ow)
    dx6 = np.empty(x6.shape, dtype=dy.dtype)
    taken = np.zeros(y.shape, dtype=bool)
    m = np.empty(y.shape, dtype=bool)
    offsets = [(p, q) for p in range(g.ksize[0]) for q in range(g.ksize[1])]
    for i, (p, q) in enumerate(offsets):
        np.equal(x6[:, :, p, :, q, :], y, out=m)
        if i:
            np.greater(m, taken, out=m)  # m & ~taken: ties go to the first position (TF)
        np.multiply(dy, m, out=dx6[:, :, p, :, q, :])
        if i + 1 < len(offsets):
            np.logical_or(taken, m, out=taken)
    return dx6


@register_op("MaxPool")
class MaxPool(_Pool):
    """y[n, i, j, c] = max over the window at (i*sh, j*sw) of x[n, ., ., c] (padding ignored)."""

    kinds = "fiu"

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(self._out_spec(x)[1], x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        g = self._geom()
        x = _to_nhwc(x, g.fmt)
        oh, ow, pads = self._plan(x, g)
        fast = _compiled_pool(x, g)
        if fast is not None:
            return self._compiled(fast, x, g, oh, ow, pads, False)[0]
        xp = _pad(x, pads, _lowest(x.dtype))
        return _from_nhwc(
            _max_of(
                [
                    _tap(xp, p, q, oh, ow, *g.strides)
                    for p in range(g.ksize[0])
                    for q in range(g.ksize[1])
                ]
            ),
            g.fmt,
        )

    def compute_handing_over(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(y, first) where first[n, i, j, c] (uint8, NHWC) is the row-major offset of the first
        element of window (i, j) equal to its max, 255 where none is (a NaN max): what
        MaxPoolGrad.compute's `first` takes, so a plan that runs both in one step never reads
        the (4x larger) input again for the gradient. None when the windows do not tile."""
        g = self._geom()
        xn = _to_nhwc(x, g.fmt)
        oh, ow, pads = self._plan(xn, g)
        kh, kw = g.ksize
        if not _tiles(g, pads) or kh * kw > 255:
            return self.compute(x), None
        fast = _compiled_pool(xn, g)
        if fast is not None:
            return self._compiled(fast, xn, g, oh, ow, pads, True)
        x6 = _tiled(xn, g, oh, ow)
        taps = [x6[:, :, p, :, q, :] for p in range(kh) for q in range(kw)]
        y = _max_of(taps)
        first = np.full(y.shape, 255, dtype=np.uint8)
        ne = np.empty(y.shape, dtype=bool)
        for k in range(len(taps) - 1, -1, -1):  # last to first: the first match wins
            np.not_equal(taps[k], y, out=ne)
            first -= k  # first = k + (first - k) * ne, mod 256
            np.multiply(first, ne, out=first)
            first += k
        return _from_nhwc(y, g.fmt), first

    @staticmethod
    def _compiled(
        fast: Any, x: np.ndarray, g: _Geom, oh: int, ow: int, pads: Any, with_first: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """compiled.pool.max_pool: y and (with_first) the offsets, in one pass over x (NHWC)."""
        n, _, _, c = x.shape
        y = np.empty((n, oh, ow, c), dtype=x.dtype)
        first = np.empty(y.shape if with_first else (1, 1, 1, 1), dtype=np.uint8)
        (kh, kw), (sh, sw) = g.ksize, g.strides
        if _tiles(g, pads):
            scratch = np.empty(ow * c, dtype=fast.SCRATCH[x.dtype.type])
            fast.max_pool_tiled(x, kh, kw, y, first, scratch, with_first)
        else:
            low = x.dtype.type(_lowest(x.dtype))
            fast.max_pool(x, kh, kw, sh, sw, pads[0], pads[2], low, y, first, with_first)
        return y, first if with_first else None

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(MaxPoolGrad, [op.inputs[0], op.outputs[0], dy], self._same_attrs())]


@register_op("MaxPoolGrad")
class MaxPoolGrad(_Pool):
    """dx = grad routed to the (first) argmax of each window of orig_input, summed."""

    def infer(self, x: Tensor, y: Tensor, dy: Tensor) -> TensorSpec:
        _, dims = self._out_spec(x)
        self._float(("orig_input", x), ("orig_output", y), ("grad", dy))
        self._check_like("orig_output", y, dims)
        self._check_like("grad", dy, dims)
        return spec(x.shape if x.shape.known is not None else [None] * 4, x.dtype)

    def takes_handover(self, op: Any, producer: Any) -> bool:
        # The offsets belong to one (input, output) pair: the MaxPool this op differentiates.
        return (
            producer._inputs[0] is op._inputs[0]
            and producer._outputs[0] is op._inputs[1]
            and producer._opdef._same_attrs() == self._same_attrs()
        )

    def fuse_relu_grad(self, ops: list[Any]) -> tuple[list[Any], Any] | None:
        """ReluGrad(g, features) -> this op as its grad (Relu.gradient's rewrite under a max
        pool): with the compiled kernel the relu mask is applied while dx is written, so the
        masked (pooled-size) gradient is never stored; otherwise ReluGrad's and this op's
        NumPy kernels in turn. Same bits either way."""
        relu_grad, pool_grad = ops
        inputs = [*relu_grad._inputs, pool_grad._inputs[0], pool_grad._inputs[1]]
        masked_compute = relu_grad._opdef.compute

        def kernel(
            g: np.ndarray,
            features: np.ndarray,
            x: np.ndarray,
            y: np.ndarray,
            first: np.ndarray | None = None,
            keep: bool = False,
        ) -> Any:
            if (
                features.shape == g.shape
                and features.dtype == g.dtype
                and features.flags.c_contiguous
            ):
                made = self._fused(x, y, g, first, keep, features)
                if made is not None:
                    return made
            r = masked_compute(g, features)
            return (
                self.compute_handing_over(x, y, r, first) if keep else self.compute(x, y, r, first)
            )

        return inputs, kernel

    def _fused(
        self,
        x: np.ndarray,
        y: np.ndarray,
        dy: np.ndarray,
        first: np.ndarray | None,
        want_db: bool,
        relu_of: np.ndarray | None,
    ) -> Any:
        """The compiled tiled kernel with its extras (relu mask, channel sums), or None when
        it does not cover these arrays."""
        g = self._geom()
        fast = _compiled_pool(x, g)
        if fast is None or dy.dtype != x.dtype or not dy.flags.c_contiguous:
            return None
        oh, ow, pads = self._plan(x, g)
        n, _, _, c = x.shape
        if not (_tiles(g, pads) and y.shape == dy.shape == (n, oh, ow, c)):
            return None
        db = np.zeros(c, dtype=np.float64) if want_db else None
        dx = self._compiled(fast, x, y, dy, g, oh, ow, pads, first, db, relu_of)
        return (dx, db.astype(dy.dtype)) if db is not None else dx

    def compute_handing_over(
        self, x: np.ndarray, y: np.ndarray, dy: np.ndarray, first: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(dx, db) where db is dx summed over all but the channels (what BiasAddGrad of dx
        computes; the conv layer's bias gradient below a relu + pool): made while dx is
        written, by the compiled kernel for tiling NHWC windows; else None."""
        return self.compute(x, y, dy, first, want_db=True)  # type: ignore[return-value]

    def compute(
        self,
        x: np.ndarray,
        y: np.ndarray,
        dy: np.ndarray,
        first: np.ndarray | None = None,
        want_db: bool = False,
    ) -> Any:
        """`first`: MaxPool.compute_handing_over's window offsets for this x and y (the plan
        passes them when the forward ran in the same step); dx then comes from them and dy
        alone, without reading x. want_db: return (dx, db or None), see
        compute_handing_over."""
        if want_db:
            made = self._fused(x, y, dy, first, True, None)
            return made if made is not None else (self.compute(x, y, dy, first), None)
        g = self._geom()
        x, y, dy = _to_nhwc(x, g.fmt), _to_nhwc(y, g.fmt), _to_nhwc(dy, g.fmt)
        n, h, w, c = x.shape
        oh, ow, pads = self._plan(x, g)
        fast = _compiled_pool(x, g)
        if (
            fast is not None
            and dy.dtype == x.dtype
            and dy.flags.c_contiguous
            and y.shape == dy.shape == (n, oh, ow, c)
        ):
            return self._compiled(fast, x, y, dy, g, oh, ow, pads, first)
        if first is not None and _tiles(g, pads) and first.shape == dy.shape:
            kh, kw = g.ksize
            dx6 = np.empty((n, oh, kh, ow, kw, c), dtype=dy.dtype)
            m = np.empty(dy.shape, dtype=bool)
            for k in range(kh * kw):
                np.equal(first, k, out=m)
                np.multiply(dy, m, out=dx6[:, :, k // kw, :, k % kw, :])
            return _from_nhwc(_untile(dx6, h, w), g.fmt)
        if _tiles(g, pads):
            return _from_nhwc(_untile(_tiled_max_grad(x, y, dy, g, oh, ow), h, w), g.fmt)
        dxp = np.zeros((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), dtype=dy.dtype)
        routed = np.empty(dy.shape, dtype=dy.dtype)
        for p, q, m in _argmax_masks(x, y, g, oh, ow, pads):
            # NOTE: dense multiply + add is ~5x faster than np.add(..., where=m) here.
            np.multiply(dy, m, out=routed)
            d = _tap(dxp, p, q, oh, ow, *g.strides)
            d += routed
        return _from_nhwc(_crop(dxp, pads, h, w), g.fmt)

    @staticmethod
    def _compiled(
        fast: Any,
        x: np.ndarray,
        y: np.ndarray,
        dy: np.ndarray,
        g: _Geom,
        oh: int,
        ow: int,
        pads: Any,
        first: np.ndarray | None,
        db: np.ndarray | None = None,
        relu_of: np.ndarray | None = None,
    ) -> np.ndarray:
        """compiled.pool: the offsets (handed over, or from x == y), then dx in one pass
        (tiling windows) or tap after tap into a padded buffer (the reference's order)."""
        n, h, w, c = x.shape
        (kh, kw), (sh, sw) = g.ksize, g.strides
        if first is None or first.shape != dy.shape or first.dtype != np.uint8:
            if not y.flags.c_contiguous or y.dtype != x.dtype:
                y = np.ascontiguousarray(y, dtype=x.dtype)
            first = np.empty(dy.shape, dtype=np.uint8)
            if _tiles(g, pads):
                scratch = np.empty(ow * c, dtype=fast.SCRATCH[x.dtype.type])
                fast.first_equal_tiled(x, y, kh, kw, first, scratch)
            else:
                low = x.dtype.type(_lowest(x.dtype))
                fast.first_equal(x, y, kh, kw, sh, sw, pads[0], pads[2], low, first)
        if _tiles(g, pads):
            dx = np.empty(x.shape, dtype=dy.dtype)
            want_db, use_relu = db is not None, relu_of is not None
            return fast.max_pool_grad_tiled(
                first,
                dy,
                relu_of if use_relu else dy,
                use_relu,
                kh,
                kw,
                dx,
                db if want_db else np.zeros(1),
                want_db,
            )
        dxp = np.zeros((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), dtype=dy.dtype)
        fast.max_pool_grad_taps(first, dy, kh, kw, sh, sw, dxp)
        return _crop(dxp, pads, h, w)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        x, y, _ = op.inputs
        return [
            zeros_like(x),
            zeros_like(y),
            apply_op(MaxPoolGradGrad, [x, y, ddx], self._same_attrs()),
        ]


@register_op("MaxPoolGradGrad")
class MaxPoolGradGrad(_Pool):
    """y[n, i, j, c] = grad at the (first) argmax of the window (i, j) of orig_input."""

    def infer(self, x: Tensor, y: Tensor, gx: Tensor) -> TensorSpec:
        _, dims = self._out_spec(x)
        self._float(("orig_input", x), ("orig_output", y), ("grad", gx))
        self._check_like("orig_output", y, dims)
        if not gx.shape.is_compatible_with(x.shape):
            raise self.error(
                f"grad must have the shape of orig_input; got orig_input: "
                f"{x.shape}, grad: {gx.shape}."
            )
        return spec(dims, x.dtype)

    def compute(self, x: np.ndarray, y: np.ndarray, gx: np.ndarray) -> np.ndarray:
        g = self._geom()
        x, y, gx = _to_nhwc(x, g.fmt), _to_nhwc(y, g.fmt), _to_nhwc(gx, g.fmt)
        oh, ow, pads = self._plan(x, g)
        gp = _pad(gx, pads)
        out = np.zeros(y.shape, dtype=gx.dtype)
        for p, q, m in _argmax_masks(x, y, g, oh, ow, pads):
            np.copyto(out, _tap(gp, p, q, oh, ow, *g.strides), where=m)
        return _from_nhwc(out, g.fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x, y, _ = op.inputs
        return [zeros_like(x), zeros_like(y), apply_op(MaxPoolGrad, [x, y, dy], self._same_attrs())]


def _avg_counts(
    h: int, w: int, oh: int, ow: int, g: _Geom, pads: tuple[int, ...], dtype: np.dtype
) -> np.ndarray | float:
    """How many real (unpadded) inputs each window averages: (oh, ow, 1), or a scalar."""
    kh, kw = g.ksize
    if not any(pads):
        return float(kh * kw)

    def valid(size: int, out: int, k: int, s: int, before: int) -> np.ndarray:
        start = np.arange(out) * s - before
        return np.minimum(start + k, size) - np.maximum(start, 0)

    rows = valid(h, oh, kh, g.strides[0], pads[0])
    cols = valid(w, ow, kw, g.strides[1], pads[2])
    return np.multiply.outer(rows, cols).astype(dtype)[:, :, None]


@register_op("AvgPool")
class AvgPool(_Pool):
    """y[n, i, j, c] = mean of x over the window at (i*sh, j*sw), padding excluded (TF)."""

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(self._out_spec(x)[1], x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        g = self._geom()
        x = _to_nhwc(x, g.fmt)
        oh, ow, pads = self._plan(x, g)
        xp = _pad(x, pads)
        y: Any = None
        for p in range(g.ksize[0]):
            for q in range(g.ksize[1]):
                t = _tap(xp, p, q, oh, ow, *g.strides)
                y = np.array(t) if y is None else np.add(y, t, out=y)
        y = np.divide(y, _avg_counts(x.shape[1], x.shape[2], oh, ow, g, pads, x.dtype), out=y)
        return _from_nhwc(y, g.fmt)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [apply_op(AvgPoolGrad, [_shape_like(op.inputs[0]), dy], self._same_attrs())]


@register_op("AvgPoolGrad")
class AvgPoolGrad(_Pool):
    """dx = each grad[n, i, j, c] / count spread evenly over its window's real inputs."""

    def infer(self, sizes: Tensor, dy: Tensor) -> TensorSpec:
        g = self._geom()
        xd = self._sizes(sizes, "orig_input_shape")
        self._float(("grad", dy))
        (n, _, _, c), oh, ow, _ = self._pool_geometry(
            xd, g, lambda: f"orig_input_shape: {_shape_str(xd)}"
        )
        self._check_like("grad", dy, _fmt_dims(n, oh, ow, c, g.fmt))
        return spec(xd, dy.dtype)

    def compute(self, sizes: np.ndarray, dy: np.ndarray) -> np.ndarray:
        g = self._geom()
        n, h, w, c = _nhwc_dims([int(s) for s in sizes], g.fmt)
        dy = _to_nhwc(dy, g.fmt)
        _, oh, ow, pads = self._pool_geometry(
            _fmt_dims(n, h, w, c, g.fmt), g, lambda: f"orig_input_shape: {list(sizes)}"
        )
        if dy.shape != (n, oh, ow, c):
            raise self.error(
                f"grad must have the pooled shape {(n, oh, ow, c)} (NHWC); got {dy.shape}."
            )
        gq = np.divide(dy, _avg_counts(h, w, oh, ow, g, pads, dy.dtype), dtype=dy.dtype)
        if _tiles(g, pads):
            dx6 = np.broadcast_to(
                gq[:, :, None, :, None, :], (n, oh, g.ksize[0], ow, g.ksize[1], c)
            )
            return _from_nhwc(_untile(dx6, h, w), g.fmt)
        dxp = np.zeros((n, h + pads[0] + pads[1], w + pads[2] + pads[3], c), dtype=dy.dtype)
        for p in range(g.ksize[0]):
            for q in range(g.ksize[1]):
                _tap(dxp, p, q, oh, ow, *g.strides)[...] += gq
        return _from_nhwc(_crop(dxp, pads, h, w), g.fmt)

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        return [None, apply_op(AvgPool, [ddx], self._same_attrs())]


# -- public functions --------------------------------------------------------------------------
def max_pool(
    value: Any = None,
    ksize: Any = None,
    strides: Any = None,
    padding: Any = None,
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
) -> Tensor:
    """Max pooling over height and width.

    Args:
        value: 4-D tensor in data_format (TF2 name: `input`).
        ksize: window size, 4 ints in data_format order with batch and depth 1 (or 1 or 2).
        strides: as ksize.
        padding: 'SAME' (padding never wins the max), 'VALID' or explicit pairs.

    Example:
        >>> h = tf.placeholder(tf.float32, [None, 28, 28, 32])
        >>> tf.nn.max_pool(h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID").shape
        TensorShape([None, 14, 14, 32])
    """
    value = _one_of(value, input, "max_pool", "value or input")
    return apply_op(MaxPool, [value], _attrs(strides, padding, data_format, ksize=ksize), name=name)


def avg_pool(
    value: Any = None,
    ksize: Any = None,
    strides: Any = None,
    padding: Any = None,
    data_format: str = "NHWC",
    name: str | None = None,
    input: Any = None,  # noqa: A002
) -> Tensor:
    """Average pooling over height and width; with 'SAME' each window averages only its real
    (unpadded) inputs, as TF. Arguments as max_pool (explicit padding is not supported).
    """
    value = _one_of(value, input, "avg_pool", "value or input")
    attrs = _attrs(strides, padding, data_format, ksize=ksize)
    if attrs["padding"] == "EXPLICIT":
        raise ValueError(
            "avg_pool: explicit padding is not supported (TF's AvgPool has none);"
            " pad with tf.pad and use padding='VALID'."
        )
    return apply_op(AvgPool, [value], attrs, name=name)


def max_pool_grad(
    orig_input: Any,
    orig_output: Any,
    grad: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """The gradient of max_pool (TF's gen_nn_ops.max_pool_grad)."""
    return apply_op(
        MaxPoolGrad,
        [orig_input, orig_output, grad],
        _attrs(strides, padding, data_format, ksize=ksize),
        name=name,
    )


def max_pool_grad_grad(
    orig_input: Any,
    orig_output: Any,
    grad: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """The gradient of max_pool_grad w.r.t. its grad (TF's gen_nn_ops.max_pool_grad_grad)."""
    return apply_op(
        MaxPoolGradGrad,
        [orig_input, orig_output, grad],
        _attrs(strides, padding, data_format, ksize=ksize),
        name=name,
    )


def avg_pool_grad(
    orig_input_shape: Any,
    grad: Any,
    ksize: Any,
    strides: Any,
    padding: Any,
    data_format: str = "NHWC",
    name: str | None = None,
) -> Tensor:
    """The gradient of avg_pool (TF's gen_nn_ops.avg_pool_grad)."""
    return apply_op(
        AvgPoolGrad,
        [_sizes_operand(orig_input_shape), grad],
        _attrs(strides, padding, data_format, ksize=ksize),
        name=name,
    )


__all__ = ["max_pool", "avg_pool"]
