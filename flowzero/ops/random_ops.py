"""Random ops: random_normal, truncated_normal, random_uniform, random_shuffle, multinomial,
random_gamma — with TF's graph- and op-level seeds.

Each random op draws from its own stream in the Session (`RunContext.rng(node name, seeds)`):
the seeds are fixed when the op is built (`graph.get_seed`, TF's rule), so the same graph seed
and op seeds give the same numbers in every new Session and in every process; successive runs
in one Session continue the stream (different numbers); no seed at all is nondeterministic.

NOTE: the numbers are NumPy's (PCG64), not TF's (Philox): seeded results are reproducible
within flowzero but differ from TensorFlow's.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, get_seed, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError, _kind_words, _static_shape_value

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


class _RandomOp(OpDef):
    """Base: a stateful op drawing from the session's stream for (attrs seed, seed2)."""

    differentiable = False
    needs_context = True
    stateful = True
    # dtypes attrs['dtype'] may be.
    allowed: ClassVar[tuple[dtypes.DType, ...]] = _FLOATS

    def _check_dtype(self) -> dtypes.DType:
        dt = self.attrs["dtype"]
        if dt not in self.allowed:
            raise self.error(
                f"dtype must be one of {[d.name for d in self.allowed]}; got {dt.name}.",
                cls=DTypeError,
            )
        return dt

    def _check_shape(self, shape_: Tensor) -> TensorShape:
        if shape_.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(
                f"shape must be int32 or int64; got {shape_.dtype.name}.", cls=DTypeError
            )
        if shape_.shape.ndims not in (None, 1):
            raise self.error(f"shape must be a 1-D tensor; got a tensor of shape {shape_.shape}.")
        return _static_shape_value(shape_)

    def _size(self, shape_: np.ndarray) -> tuple[int, ...]:
        size = tuple(int(d) for d in np.asarray(shape_).reshape(-1))
        if any(d < 0 for d in size):
            raise self.error(f"shape must not have negative dimensions; got {list(size)}.")
        return size

    def _rng(self, ctx: Any) -> np.random.Generator:
        return ctx.rng(self.node_name, (self.attrs["seed"], self.attrs["seed2"]))


def _standard_normal(rng: np.random.Generator, size: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    if dt == np.float64:
        return rng.standard_normal(size)
    return rng.standard_normal(size, dtype=np.float32).astype(dt, copy=False)


@register_op("RandomStandardNormal")
class RandomStandardNormal(_RandomOp):
    """y ~ N(0, 1), of the given shape."""

    def infer(self, shape_: Tensor) -> TensorSpec:
        return spec(self._check_shape(shape_), self._check_dtype())

    def compute(self, ctx: Any, shape_: np.ndarray) -> np.ndarray:
        return _standard_normal(self._rng(ctx), self._size(shape_), self.attrs["dtype"].np)


@register_op("TruncatedNormal")
class TruncatedNormal(_RandomOp):
    """y ~ N(0, 1) restricted to [-2, 2]: values beyond 2 stddev are drawn again."""

    def infer(self, shape_: Tensor) -> TensorSpec:
        return spec(self._check_shape(shape_), self._check_dtype())

    def compute(self, ctx: Any, shape_: np.ndarray) -> np.ndarray:
        rng = self._rng(ctx)
        dt = self.attrs["dtype"].np
        out = _standard_normal(rng, self._size(shape_), dt)
        flat = out.reshape(-1)
        bad = np.flatnonzero(np.abs(flat) > 2.0)
        while bad.size:  # ~4.6% of draws per round
            flat[bad] = _standard_normal(rng, (bad.size,), dt)
            bad = bad[np.abs(flat[bad]) > 2.0]
        return out


@register_op("RandomUniform")
class RandomUniform(_RandomOp):
    """y ~ U[0, 1), of the given shape."""

    def infer(self, shape_: Tensor) -> TensorSpec:
        return spec(self._check_shape(shape_), self._check_dtype())

    def compute(self, ctx: Any, shape_: np.ndarray) -> np.ndarray:
        rng, dt = self._rng(ctx), self.attrs["dtype"].np
        size = self._size(shape_)
        if dt == np.float64:
            return rng.random(size)
        out = rng.random(size, dtype=np.float32)
        if dt != np.float32:  # rounding to float16 may reach 1.0; keep the interval half-open
            out = np.minimum(out.astype(dt), np.nextafter(dt.type(1), dt.type(0)))
        return out


@register_op("RandomUniformInt")
class RandomUniformInt(_RandomOp):
    """y ~ uniform integers in [minval, maxval), of the given shape."""

    allowed = (dtypes.int32, dtypes.int64)

    def infer(self, shape_: Tensor, minval: Tensor, maxval: Tensor) -> TensorSpec:
        dt = self._check_dtype()
        for nm, t in (("minval", minval), ("maxval", maxval)):
            if t.dtype is not dt:
                raise self.error(
                    f"{nm} must have dtype {dt.name}; got {t.dtype.name}.", cls=DTypeError
                )
            if t.shape.ndims not in (None, 0):
                raise self.error(f"{nm} must be a scalar; got shape {t.shape}.")
        return spec(self._check_shape(shape_), dt)

    def compute(
        self, ctx: Any, shape_: np.ndarray, minval: np.ndarray, maxval: np.ndarray
    ) -> np.ndarray:
        lo, hi = int(minval), int(maxval)
        size = self._size(shape_)
        if lo >= hi:
            raise self.error(f"Need minval < maxval; got {lo} >= {hi}.")
        return self._rng(ctx).integers(lo, hi, size=size, dtype=self.attrs["dtype"].np)


@register_op("RandomShuffle")
class RandomShuffle(_RandomOp):
    """y = x with its first dimension randomly permuted."""

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, ctx: Any, x: np.ndarray) -> np.ndarray:
        if x.ndim == 0 or x.shape[0] <= 1:
            return np.array(x, copy=True)
        return self._rng(ctx).permutation(x)


@register_op("Multinomial")
class Multinomial(_RandomOp):
    """y[b, j] ~ Categorical(softmax(logits[b])), num_samples draws per row."""

    def infer(self, logits: Tensor, num_samples: Tensor) -> TensorSpec:
        from flowzero.ops.common import static_value

        if not logits.dtype.is_floating:
            raise self.error(
                f"logits must be floating point; got {logits.dtype.name}.", cls=DTypeError
            )
        if logits.shape.ndims not in (None, 2):
            raise self.error(
                f"logits must be 2-D [batch_size, num_classes]; got shape {logits.shape}."
            )
        if num_samples.dtype is not dtypes.int32 or num_samples.shape.ndims not in (None, 0):
            raise self.error(f"num_samples must be an int32 scalar; got {num_samples!r}.")
        out = self.attrs["output_dtype"]
        if out not in (dtypes.int32, dtypes.int64):
            raise self.error(
                f"output_dtype must be int32 or int64; got {out.name}.", cls=DTypeError
            )
        n = static_value(num_samples)
        batch = logits.shape[0].value if logits.shape.ndims == 2 else None
        return spec([batch, None if n is None else int(n)], out)

    def compute(self, ctx: Any, logits: np.ndarray, num_samples: np.ndarray) -> np.ndarray:
        n = int(num_samples)
        if n < 0:
            raise self.error(f"num_samples must be >= 0; got {n}.")
        if logits.shape[1] == 0 and n > 0 and logits.shape[0] > 0:
            raise self.error("num_classes must be positive to draw samples; got 0 classes.")
        u = self._rng(ctx).random((logits.shape[0], n))
        return categorical_draws(logits, u, self.attrs["output_dtype"].np)


def categorical_draws(logits: np.ndarray, u: np.ndarray, out: np.dtype) -> np.ndarray:
    """The class of each uniform draw u[b, j] in [0, 1) under softmax(logits[b]) (inverse CDF)."""
    z = logits.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        z = z - np.max(z, axis=1, keepdims=True)
        p = np.exp(z)
        cdf = np.cumsum(p, axis=1)
        cdf /= cdf[:, -1:]
    res = np.empty(u.shape, dtype=out)
    last = max(logits.shape[1] - 1, 0)
    for b in range(logits.shape[0]):
        res[b] = np.minimum(np.searchsorted(cdf[b], u[b], side="right"), last)
    return res


@register_op("RandomGamma")
class RandomGamma(_RandomOp):
    """y ~ Gamma(alpha, 1), of shape `shape + alpha.shape`."""

    def infer(self, shape_: Tensor, alpha: Tensor) -> TensorSpec:
        if alpha.dtype not in _FLOATS:
            raise self.error(
                f"alpha must have a {_kind_words('f')} dtype; got {alpha.dtype.name}.",
                cls=DTypeError,
            )
        return spec(self._check_shape(shape_).concatenate(alpha.shape), alpha.dtype)

    def compute(self, ctx: Any, shape_: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        size = self._size(shape_) + alpha.shape
        a = np.broadcast_to(alpha.astype(np.float64), size)
        g = self._rng(ctx).standard_gamma(a)
        # as TF: never exactly 0 (log-likelihoods of tiny alphas stay finite)
        return np.maximum(g, np.finfo(alpha.dtype).tiny).astype(alpha.dtype, copy=False)


# -- public functions --------------------------------------------------------------------------
def _seeded(seed: Any) -> dict[str, Any]:
    """The (seed, seed2) attrs of a new random op on the default graph (TF's get_seed rule)."""
    s1, s2 = get_seed(seed)
    return {"seed": s1, "seed2": s2}


def _float_dtype(dtype: Any, fn: str) -> dtypes.DType:
    dt = dtypes.as_dtype(dtype)
    if dt not in _FLOATS:
        raise ValueError(
            f"{fn}: dtype must be a floating point type (float16, float32, float64); got {dt.name}."
        )
    return dt


def _scaled(
    op_cls: type[OpDef],
    default_name: str,
    shape: Any,
    loc: Any,
    scale: Any,
    dtype: Any,
    seed: Any,
    name: str | None,
) -> Tensor:
    from flowzero.ops import array_ops, math_ops

    dt = _float_dtype(dtype, default_name)
    g = graph_of([shape, loc, scale], default_name)
    with g.as_default(), g.name_scope(name or default_name) as scope:
        shape_t = array_ops._shape_operand(shape)
        loc_t = convert_to_tensor(loc, dtype=dt, name="mean")
        scale_t = convert_to_tensor(scale, dtype=dt, name="stddev")
        rnd = apply_op(op_cls, [shape_t], {"dtype": dt, **_seeded(seed)})
        return math_ops.add(math_ops.multiply(rnd, scale_t), loc_t, name=scope)


def random_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from a normal distribution N(mean, stddev²).

    Args:
        shape: the output shape (a list, TensorShape or 1-D int tensor).
        mean, stddev: scalars (or tensors broadcastable to `shape`) of `dtype`.
        dtype: a floating point dtype (float32 by default; the result has exactly it).
        seed: the op-level seed; with the graph seed (tf.set_random_seed) it makes the
            numbers reproducible across sessions and processes.
        name: name scope of the op (default "random_normal").

    Returns:
        A Tensor; each Session.run draws new numbers.

    Example:
        >>> tf.set_random_seed(1)
        >>> x = tf.random_normal([2, 3], stddev=0.1)
    """
    return _scaled(RandomStandardNormal, "random_normal", shape, mean, stddev, dtype, seed, name)


def truncated_normal(
    shape: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from N(mean, stddev²) truncated to mean ± 2 stddev (values beyond are redrawn).

    Args and seeds as `random_normal`. The standard deviation of the result is about
    0.88 * stddev.
    """
    return _scaled(TruncatedNormal, "truncated_normal", shape, mean, stddev, dtype, seed, name)


def random_uniform(
    shape: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples uniformly from [minval, maxval).

    Floats default to [0, 1). Integer dtypes (int32, int64) need `maxval` and draw uniform
    integers (TF's RandomUniformInt).

    Raises:
        ValueError: an integer dtype without `maxval`, or an unsupported dtype.
        InvalidArgumentError: at run time, for integers with minval >= maxval.
    """
    from flowzero.ops import array_ops, math_ops

    dt = dtypes.as_dtype(dtype)
    if dt not in _FLOATS + (dtypes.int32, dtypes.int64):
        raise ValueError(
            f"random_uniform: invalid dtype {dt.name}; use float16, float32, "
            "float64, int32 or int64."
        )
    if maxval is None:
        if dt.is_integer:
            raise ValueError(f"random_uniform: must specify maxval for integer dtype {dt.name}.")
        maxval = 1
    g = graph_of([shape, minval, maxval], "random_uniform")
    with g.as_default(), g.name_scope(name or "random_uniform") as scope:
        shape_t = array_ops._shape_operand(shape)
        lo = convert_to_tensor(minval, dtype=dt, name="min")
        hi = convert_to_tensor(maxval, dtype=dt, name="max")
        if dt.is_integer:
            return apply_op(
                RandomUniformInt, [shape_t, lo, hi], {"dtype": dt, **_seeded(seed)}, name=scope
            )
        rnd = apply_op(RandomUniform, [shape_t], {"dtype": dt, **_seeded(seed)})
        return math_ops.add(math_ops.multiply(rnd, math_ops.subtract(hi, lo)), lo, name=scope)


def random_shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """`value` with its first dimension randomly permuted (a new permutation every run)."""
    g = graph_of([value], "random_shuffle")
    with g.as_default():
        x = convert_to_tensor(value)
        return apply_op(RandomShuffle, [x], {"dtype": x.dtype, **_seeded(seed)}, name=name)


def multinomial(
    logits: Any,
    num_samples: Any,
    seed: int | None = None,
    name: str | None = None,
    output_dtype: Any = None,
) -> Tensor:
    """Draws `num_samples` class indices per row of `logits` ([batch, classes], unnormalized
    log-probabilities). Returns [batch, num_samples] of int64 (or `output_dtype`).

    Example:
        >>> sess = tf.Session()
        >>> samples = tf.multinomial(tf.log([[10., 10.]]), 5)   # e.g. [[0, 1, 1, 0, 1]]
        >>> sess.run(samples).shape, samples.dtype
        ((1, 5), tf.int64)
    """
    g = graph_of([logits, num_samples], "multinomial")
    with g.as_default(), g.name_scope(name or "multinomial"):
        lg = convert_to_tensor(logits)
        n = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        out = dtypes.int64 if output_dtype is None else dtypes.as_dtype(output_dtype)
        return apply_op(
            Multinomial, [lg, n], {"dtype": lg.dtype, "output_dtype": out, **_seeded(seed)}
        )


def random_gamma(
    shape: Any,
    alpha: Any,
    beta: Any = None,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from Gamma(alpha, beta) (beta = rate, default 1), of shape `shape + alpha.shape`
    (alpha and beta broadcast together). Not differentiable here (TF differentiates w.r.t.
    alpha)."""
    from flowzero.ops import array_ops, division_ops, math_ops

    dt = _float_dtype(dtype, "random_gamma")
    g = graph_of([shape, alpha, beta] if beta is not None else [shape, alpha], "random_gamma")
    with g.as_default(), g.name_scope(name or "random_gamma"):
        shape_t = array_ops._shape_operand(shape)
        a = convert_to_tensor(alpha, dtype=dt, name="alpha")
        if beta is None:
            return apply_op(RandomGamma, [shape_t, a], {"dtype": dt, **_seeded(seed)})
        b = convert_to_tensor(beta, dtype=dt, name="beta")
        a = math_ops.add(a, array_ops.zeros_like(b))  # broadcast alpha against beta
        return division_ops.realdiv(
            apply_op(RandomGamma, [shape_t, a], {"dtype": dt, **_seeded(seed)}), b
        )


def random_crop(value: Any, size: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """A slice of `value` of shape `size` at a random offset (a new one every run), as TF1's
    tf.random_crop (also tf.image.random_crop): the crop of data augmentation.

    Args:
        value: a Tensor of rank len(size).
        size: the crop's shape, ints or a 1-D int32 Tensor (-1 is not allowed).
        seed: op-level seed.

    Raises:
        ValueError: static sizes larger than value's shape.

    Example:
        >>> img = tf.placeholder(tf.float32, [32, 32, 3])
        >>> img = tf.random_crop(img, [24, 24, 3])   # a 24x24 patch of a 32x32x3 image
        >>> img.shape
        TensorShape([24, 24, 3])
    """
    from flowzero.ops import array_ops, division_ops, slicing_ops

    g = graph_of([value, size], "random_crop")
    with g.as_default(), g.name_scope(name or "random_crop") as scope:
        x = convert_to_tensor(value, name="value")
        if not isinstance(size, Tensor):
            sv = [int(v) for v in size]
            known = x.shape.known
            if known is not None:
                if len(sv) != len(known):
                    raise ValueError(
                        f"random_crop: size {sv} has {len(sv)} entries for "
                        f"value of rank {len(known)} ('{x.name}')."
                    )
                bad = [i for i, (a, b) in enumerate(zip(sv, known)) if b is not None and a > b]
                if bad or any(v < 0 for v in sv):
                    raise ValueError(
                        f"random_crop: need 0 <= size <= value's shape; got size "
                        f"{sv} for shape {x.shape} ('{x.name}')."
                    )
        size_t = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        shape = array_ops.shape(x)
        limit = shape - size_t + 1
        draw = random_uniform(
            array_ops.shape(shape), maxval=np.iinfo(np.int32).max, dtype=dtypes.int32, seed=seed
        )
        offset = division_ops.floormod(draw, limit)
        return slicing_ops.slice(x, offset, size_t, name=scope)


__all__ = [
    "random_normal",
    "truncated_normal",
    "random_uniform",
    "random_shuffle",
    "multinomial",
    "random_gamma",
    "random_crop",
]
