"""Fractional max and average pooling (Graham, 2014): pooling windows of k or k + 1 rows
(columns) for a non-integer ratio k.x between input and output size, placed at random.

FractionalMaxPool / FractionalAvgPool draw the row and column boundary sequences (TF's
fractional_pool_common: a shuffled multiset of k and k + 1 steps, or with pseudo_random the
sequence ceil(alpha * (i + u)) for one uniform u) and return them; the gradient ops take them
back, so forward and backward pool the same regions. With `overlapping`, a window also takes
the boundary row (column) it shares with the next window.

Kernels: a window's rows (columns) are an index table padded by repeating its last index (a
repeat never changes a max, nor which element is the first max), so max pooling is one gather
and one reduction; average pooling is two 0/1 matrices applied on either side.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.array_ops import _shape_like
from flowzero.ops.common import DTypeError, _static_shape_value


def _sequence(rng: np.random.Generator, size: int, out: int, pseudo_random: bool) -> np.ndarray:
    """The out + 1 window boundaries 0 = s_0 < ... < s_out = size; steps are k or k + 1."""
    k = size // out
    if size % out == 0:
        diff = np.full(out, k, np.int64)
    elif pseudo_random:
        alpha = size / out
        u = rng.uniform(0.0, min((k + 2) / alpha - 1, (size + 1 - k) / alpha - (out - 1)))
        cum = np.empty(out + 1, np.int64)
        cum[0], cum[-1] = 1, size + 1
        cum[1:-1] = np.ceil(alpha * (np.arange(1, out) + u)).astype(np.int64)
        diff = np.diff(cum)
    else:
        diff = np.full(out, k, np.int64)
        diff[: size % out] += 1
        rng.shuffle(diff)
    return np.concatenate([[0], np.cumsum(diff)]).astype(np.int64)


def _windows(seq: np.ndarray, size: int, overlapping: bool) -> tuple[np.ndarray, np.ndarray]:
    """(index [out, L], real [out, L]): window i covers seq[i] .. seq[i+1] - 1 (or seq[i+1]
    when overlapping), clipped to size - 1; short windows repeat their last index."""
    seq = np.asarray(seq, np.int64)
    start = seq[:-1]
    end = np.minimum(seq[1:] if overlapping else seq[1:] - 1, size - 1)
    length = int(max((end - start).max(initial=0) + 1, 1))
    idx = start[:, None] + np.arange(length)[None, :]
    real = idx <= end[:, None]
    return np.minimum(idx, end[:, None]), real


class _Fractional(OpDef):
    def _check_seqs(self, seqs: tuple[np.ndarray, ...], h: int, w: int, out: tuple) -> None:
        for what, s, size, o in (("row", seqs[0], h, out[0]), ("col", seqs[1], w, out[1])):
            s = np.asarray(s)
            bad = s.ndim != 1 or s.size != o + 1 or s.size < 2 or s[0] < 0 or s[-1] > size
            if bad or np.any(np.diff(s) <= 0):
                raise self.error(
                    f"{what}_pooling_sequence must be {o + 1} increasing boundaries in "
                    f"[0, {size}]; got {s.tolist()}."
                )

    def _gather(self, x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """x's windows as (n, oh, ow, c, Lr * Lc), offsets row-major."""
        ri, _ = _windows(rows, x.shape[1], self.attrs["overlapping"])
        ci, _ = _windows(cols, x.shape[2], self.attrs["overlapping"])
        g = x[:, ri][:, :, :, ci]  # (n, oh, Lr, ow, Lc, c)
        n, oh, lr, ow, lc, c = g.shape
        return g.transpose(0, 1, 3, 5, 2, 4).reshape(n, oh, ow, c, lr * lc)

    def _averaging(self, h: int, w: int, rows: Any, cols: Any) -> tuple[np.ndarray, ...]:
        """(A_r [oh, h], A_c [ow, w], counts [oh, ow, 1]): 0/1 window membership."""
        out = []
        for seq, size in ((rows, h), (cols, w)):
            idx, real = _windows(seq, size, self.attrs["overlapping"])
            a = np.zeros((idx.shape[0], size))
            np.put_along_axis(a, np.where(real, idx, idx[:, :1]), 1.0, axis=1)
            out.append(a)
        counts = np.multiply.outer(out[0].sum(1), out[1].sum(1))[:, :, None]
        return out[0], out[1], counts


class _FractionalPool(_Fractional):
    """(output, row_pooling_sequence, col_pooling_sequence) for a random pooling layout."""

    needs_context = True
    stateful = True
    kinds = "fiu"

    def _ratio(self) -> tuple[float, float]:
        r = [float(v) for v in self.attrs["pooling_ratio"]]
        if len(r) != 4 or r[0] != 1.0 or r[3] != 1.0 or r[1] < 1.0 or r[2] < 1.0:
            raise self.error(
                f"pooling_ratio must be [1.0, row_ratio, col_ratio, 1.0] with ratios >= 1 "
                f"(pooling over rows and columns only); got {self.attrs['pooling_ratio']}."
            )
        return r[1], r[2]

    def _out(self, h: Any, w: Any, shape: Any) -> tuple[Any, Any]:
        rh, rw = self._ratio()
        oh = None if h is None else int(np.floor(h / rh))
        ow = None if w is None else int(np.floor(w / rw))
        if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
            raise self.error(
                f"the pooled size must be positive; got input: {shape} with pooling_ratio "
                f"{self.attrs['pooling_ratio']} (output {oh}x{ow})."
            )
        return oh, ow

    def infer(self, x: Tensor) -> list[TensorSpec]:
        a = self.attrs
        if not a["deterministic"] and (a["seed"] or a["seed2"]):
            raise self.error(
                f"both seed and seed2 should be 0 if deterministic is false; got seed="
                f"{a['seed']}, seed2={a['seed2']}. Pass deterministic=True to fix the layout."
            )
        if x.dtype.np.kind not in self.kinds:
            raise self.error(f"value must be float, int32 or int64; got {x.dtype.name}.")
        k = x.shape.known
        if k is not None and len(k) != 4:
            raise self.error(f"value must be rank 4 (NHWC); got value: {x.shape}.")
        n, h, w, c = k if k is not None else (None,) * 4
        oh, ow = self._out(h, w, x.shape)
        seq = dtypes.int64
        return [
            spec(TensorShape([n, oh, ow, c]), x.dtype),
            spec(TensorShape([None if oh is None else oh + 1]), seq),
            spec(TensorShape([None if ow is None else ow + 1]), seq),
        ]

    def _layout(self, ctx: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.attrs
        if x.ndim != 4:
            raise self.error(f"value must be rank 4 (NHWC); got value: {x.shape}.")
        oh, ow = self._out(x.shape[1], x.shape[2], x.shape)
        if a["deterministic"]:  # the same layout on every run
            seeds = [int(a["seed"]), int(a["seed2"])]
            if seeds == [0, 0]:  # TF: seeds drawn once, then kept (here: per session)
                key = f"{self.node_name}/fractional_pool_seed"
                seeds = ctx.resource(key, lambda: [int(np.random.SeedSequence().entropy)])
            rng = np.random.default_rng(seeds)
        else:
            rng = ctx.rng(self.node_name, (None, None))
        rows = _sequence(rng, x.shape[1], oh, a["pseudo_random"])
        cols = _sequence(rng, x.shape[2], ow, a["pseudo_random"])
        return rows, cols


@register_op("FractionalMaxPool")
class FractionalMaxPool(_FractionalPool):
    """y[b, i, j, c] = max of x[b, rows of window i, cols of window j, c]."""

    def compute(self, ctx: Any, x: np.ndarray) -> list[np.ndarray]:
        rows, cols = self._layout(ctx, x)
        return [self._gather(x, rows, cols).max(-1), rows, cols]

    def gradient(self, op: Any, dy: Tensor, *_: Any) -> list[Any]:
        x, (y, rows, cols) = op.inputs[0], op.outputs
        attrs = {"overlapping": self.attrs["overlapping"]}
        return [apply_op(FractionalMaxPoolGrad, [x, y, dy, rows, cols], attrs)]


@register_op("FractionalAvgPool")
class FractionalAvgPool(_FractionalPool):
    """y[b, i, j, c] = mean of x[b, rows of window i, cols of window j, c]."""

    def compute(self, ctx: Any, x: np.ndarray) -> list[np.ndarray]:
        rows, cols = self._layout(ctx, x)
        ar, ac, counts = self._averaging(x.shape[1], x.shape[2], rows, cols)
        y = np.einsum("ih,nhwc,jw->nijc", ar, x, ac) / counts
        return [y.astype(x.dtype), rows, cols]

    def gradient(self, op: Any, dy: Tensor, *_: Any) -> list[Any]:
        _, rows, cols = op.outputs
        attrs = {"overlapping": self.attrs["overlapping"]}
        shape = _shape_like(op.inputs[0])
        return [apply_op(FractionalAvgPoolGrad, [shape, dy, rows, cols], attrs)]


def _seq_specs(op: OpDef, rows: Tensor, cols: Tensor) -> None:
    for what, t in (("row_pooling_sequence", rows), ("col_pooling_sequence", cols)):
        if t.dtype is not dtypes.int64:
            raise op.error(f"{what} must be int64; got {t.dtype.name}.", cls=DTypeError)


@register_op("FractionalMaxPoolGrad")
class FractionalMaxPoolGrad(_Fractional):
    """dx = out_backprop routed to the first max of each window of orig_input."""

    differentiable = False  # no gradient, as in TF

    def infer(self, x: Tensor, y: Tensor, dy: Tensor, rows: Tensor, cols: Tensor) -> TensorSpec:
        _seq_specs(self, rows, cols)
        if dy.dtype is not x.dtype:
            raise self.error(
                f"out_backprop must have orig_input's dtype; got {dy.dtype.name}, {x.dtype.name}.",
                cls=DTypeError,
            )
        return spec(x.shape, x.dtype)

    def compute(
        self, x: np.ndarray, y: np.ndarray, dy: np.ndarray, rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        n, h, w, c = x.shape
        self._check_seqs((rows, cols), h, w, dy.shape[1:3])
        ri, _ = _windows(rows, h, self.attrs["overlapping"])
        ci, _ = _windows(cols, w, self.attrs["overlapping"])
        windows = self._gather(x, rows, cols)
        if windows.shape[:4] != dy.shape or not np.array_equal(windows.max(-1), y, equal_nan=True):
            raise self.error(
                f"orig_output must be the max pooling of orig_input over these sequences "
                f"(TF: tensor_out_dup is not the same as tensor_out); got orig_input: "
                f"{x.shape}, orig_output: {y.shape}, out_backprop: {dy.shape}."
            )
        first = windows.argmax(-1)  # (n, oh, ow, c), the first max
        r = ri[np.arange(ri.shape[0])[None, :, None, None], first // ci.shape[1]]
        s = ci[np.arange(ci.shape[0])[None, None, :, None], first % ci.shape[1]]
        flat = ((np.arange(n)[:, None, None, None] * h + r) * w + s) * c + np.arange(c)
        dx = np.bincount(flat.ravel(), dy.ravel().astype(np.float64), x.size)
        return dx.reshape(x.shape).astype(x.dtype)


@register_op("FractionalAvgPoolGrad")
class FractionalAvgPoolGrad(_Fractional):
    """dx = each out_backprop[b, i, j, c] / window size, spread over its window."""

    differentiable = False  # no gradient, as in TF

    def infer(self, shape: Tensor, dy: Tensor, rows: Tensor, cols: Tensor) -> TensorSpec:
        _seq_specs(self, rows, cols)
        return spec(_static_shape_value(shape), dy.dtype)

    def compute(
        self, shape: np.ndarray, dy: np.ndarray, rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        n, h, w, c = (int(v) for v in shape)
        self._check_seqs((rows, cols), h, w, dy.shape[1:3])
        ar, ac, counts = self._averaging(h, w, rows, cols)
        return np.einsum("ih,nijc,jw->nhwc", ar, dy / counts, ac).astype(dy.dtype)


def _fractional(
    cls: type[_FractionalPool],
    value: Any,
    pooling_ratio: Any,
    pseudo_random: bool,
    overlapping: bool,
    deterministic: bool,
    seed: int,
    seed2: int,
    name: str | None,
) -> tuple[Tensor, Tensor, Tensor]:
    if isinstance(pooling_ratio, (int, float)):
        pooling_ratio = [1.0, pooling_ratio, pooling_ratio, 1.0]
    ratio = [float(r) for r in pooling_ratio]
    if len(ratio) == 2:
        ratio = [1.0, *ratio, 1.0]
    attrs = {
        "pooling_ratio": ratio,
        "pseudo_random": bool(pseudo_random),
        "overlapping": bool(overlapping),
        "deterministic": bool(deterministic),
        "seed": int(seed),
        "seed2": int(seed2),
    }
    out = apply_op(cls, [value], attrs, name=name)
    return out[0], out[1], out[2]


def fractional_max_pool(
    value: Any,
    pooling_ratio: Any,
    pseudo_random: bool = False,
    overlapping: bool = False,
    deterministic: bool = False,
    seed: int = 0,
    seed2: int = 0,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Fractional max pooling: windows of k or k + 1 rows/columns, laid out at random, so the
    output is floor(input / ratio) for a non-integer ratio.

    Args:
        value: 4-D NHWC tensor.
        pooling_ratio: [1.0, row_ratio, col_ratio, 1.0], ratios >= 1 (e.g. 1.44).
        pseudo_random: boundaries ceil(alpha * (i + u)) instead of a shuffled sequence.
        overlapping: each window also takes the row/column it shares with the next.
        deterministic: the same layout on every run, from seed and seed2 (both 0: seeds
            drawn once per session).
        seed, seed2: must be 0 unless deterministic (as TF).

    Returns:
        (output, row_pooling_sequence, col_pooling_sequence): the sequences are the int64
        window boundaries the gradient reuses.

    Example:
        >>> x = tf.reshape(tf.range(100.0), [1, 10, 10, 1])
        >>> y, rows, cols = tf.nn.fractional_max_pool(x, [1.0, 1.44, 1.73, 1.0])
        >>> sess = tf.Session()
        >>> out, r, c = sess.run([y, rows, cols])
        >>> out.shape   # floor(10 / 1.44) = 6 rows, floor(10 / 1.73) = 5 columns
        (1, 6, 5, 1)
        >>> print(r[0], r[-1], np.unique(np.diff(r)), np.unique(np.diff(c)))   # window sizes
        0 10 [1 2] [2]
    """
    return _fractional(
        FractionalMaxPool, value, pooling_ratio, pseudo_random, overlapping, deterministic,
        seed, seed2, name,
    )  # fmt: skip


def fractional_avg_pool(
    value: Any,
    pooling_ratio: Any,
    pseudo_random: bool = False,
    overlapping: bool = False,
    deterministic: bool = False,
    seed: int = 0,
    seed2: int = 0,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Fractional average pooling: as fractional_max_pool, each window averaged."""
    return _fractional(
        FractionalAvgPool, value, pooling_ratio, pseudo_random, overlapping, deterministic,
        seed, seed2, name,
    )  # fmt: skip


__all__: list[str] = []  # public through tf.nn
