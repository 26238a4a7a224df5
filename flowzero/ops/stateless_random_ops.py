"""More of tf.random: categorical and poisson (seeded per graph/op as the other random ops), and
the stateless ops (stateless_uniform, _normal, _truncated_normal, _categorical/_multinomial,
_poisson, _gamma, _binomial), whose numbers are a pure function of a shape-[2] `seed` tensor.

A stateless op draws from NumPy's Philox generator keyed by its seed: the same seed gives the
same numbers in every run, session and process, and a new seed new numbers.

NOTE: TensorFlow also uses Philox but maps its output to numbers differently, so seeded numbers
differ from TensorFlow's (their distributions agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, broadcast_shapes
from flowzero.ops.common import DTypeError, _static_shape_value, static_value
from flowzero.ops.random_ops import _FLOATS, _float_dtype, _RandomOp, _seeded, categorical_draws

_INTS = (dtypes.int32, dtypes.int64)
_NUMS = (*_FLOATS, *_INTS)


def _truncated(rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Standard normals redrawn until within two standard deviations (TF's truncation)."""
    out = rng.standard_normal(size)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


# -- seeded (stateful) -------------------------------------------------------------------------
@register_op("RandomPoissonV2")
class RandomPoissonV2(_RandomOp):
    """y ~ Poisson(rate), of shape `shape + rate.shape`."""

    allowed = (*_FLOATS, *_INTS)

    def infer(self, shape_: Tensor, rate: Tensor) -> TensorSpec:
        if rate.dtype not in _NUMS:
            raise self.error(
                f"rate must be float or int32/int64; got {rate.dtype.name}.", cls=DTypeError
            )
        dt = self._check_dtype()
        return spec(self._check_shape(shape_).concatenate(rate.shape), dt)

    def compute(self, ctx: Any, shape_: np.ndarray, rate: np.ndarray) -> np.ndarray:
        size = self._size(shape_) + rate.shape
        lam = np.broadcast_to(rate.astype(np.float64), size)
        if np.any(lam < 0) or np.any(np.isnan(lam)):
            raise self.error("rate must be non-negative and not NaN.")
        return self._rng(ctx).poisson(lam).astype(self.attrs["dtype"].np)


def random_poisson(
    lam: Any,
    shape: Any,
    dtype: Any = dtypes.float32,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Samples from Poisson(lam), of shape `shape + lam.shape` (float or int `dtype`).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.random.poisson([1.0, 10.0], [5])).shape   # a column per rate
        (5, 2)
    """
    from flowzero.ops import array_ops

    dt = dtypes.as_dtype(dtype)
    g = graph_of([lam, shape], "random_poisson")
    with g.as_default(), g.name_scope(name or "random_poisson"):
        shape_t = array_ops._shape_operand(shape)
        rate = convert_to_tensor(lam, dtype=None if isinstance(lam, Tensor) else dtypes.float32)
        return apply_op(RandomPoissonV2, [shape_t, rate], {"dtype": dt, **_seeded(seed)})


def categorical(
    logits: Any,
    num_samples: Any,
    dtype: Any = None,
    seed: int | None = None,
    name: str | None = None,
) -> Tensor:
    """Draws `num_samples` classes per row of `logits` ([batch, classes], unnormalized log
    probabilities): [batch, num_samples] of int64 (or `dtype`). TF's Multinomial op."""
    from flowzero.ops.random_ops import multinomial

    return multinomial(
        logits, num_samples, seed=seed, name=name or "categorical", output_dtype=dtype
    )


# -- stateless ---------------------------------------------------------------------------------
class _Stateless(OpDef):
    """Base: a pure function of (shape, seed, ...): the same seed, the same numbers."""

    differentiable = False

    def _check_seed(self, seed: Tensor) -> None:
        if seed.dtype not in _INTS:
            raise self.error(f"seed must be int32 or int64; got {seed.dtype.name}.", cls=DTypeError)
        if not seed.shape.is_compatible_with([2]):
            raise self.error(f"seed must have shape [2]; got {seed.shape}.")

    def _shape(self, shape_: Tensor) -> TensorShape:
        if shape_.dtype not in _INTS:
            raise self.error(
                f"shape must be int32 or int64; got {shape_.dtype.name}.", cls=DTypeError
            )
        if shape_.shape.ndims not in (None, 1):
            raise self.error(f"shape must be a 1-D tensor; got shape {shape_.shape}.")
        return _static_shape_value(shape_)

    def _dtype(self, allowed: tuple[dtypes.DType, ...]) -> dtypes.DType:
        dt = self.attrs["dtype"]
        if dt not in allowed:
            raise self.error(
                f"dtype must be one of {[d.name for d in allowed]}; got {dt.name}.", cls=DTypeError
            )
        return dt

    def _size(self, shape_: np.ndarray) -> tuple[int, ...]:
        size = tuple(int(d) for d in np.asarray(shape_).reshape(-1))
        if any(d < 0 for d in size):
            raise self.error(f"shape must not have negative dimensions; got {list(size)}.")
        return size

    def _rng(self, seed: np.ndarray) -> np.random.Generator:
        s = np.asarray(seed).reshape(-1)
        if s.size != 2:
            raise self.error(f"seed must have shape [2]; got {list(np.shape(seed))}.")
        key = [int(v) & 0xFFFFFFFFFFFFFFFF for v in s]
        return np.random.Generator(np.random.Philox(key=key[0] | (key[1] << 64)))

    def _params(self, size: tuple[int, ...], *params: np.ndarray) -> list[np.ndarray]:
        try:
            return [np.broadcast_to(p.astype(np.float64), size) for p in params]
        except ValueError:
            raise self.error(
                f"parameters of shapes {[p.shape for p in params]} do not broadcast to the "
                f"output shape {list(size)}."
            ) from None


class _StatelessFloat(_Stateless):
    def infer(self, shape_: Tensor, seed: Tensor) -> TensorSpec:
        self._check_seed(seed)
        return spec(self._shape(shape_), self._dtype(_FLOATS))

    def draw(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def compute(self, shape_: np.ndarray, seed: np.ndarray) -> np.ndarray:
        out = self.draw(self._rng(seed), self._size(shape_))
        return np.asarray(out).astype(self.attrs["dtype"].np, copy=False)


@register_op("StatelessRandomUniform")
class StatelessRandomUniform(_StatelessFloat):
    """y ~ U[0, 1), a function of `seed`."""

    def draw(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        u = rng.random(size)
        if self.attrs["dtype"] is not dtypes.float64:  # rounding up to 1.0 would leave [0, 1)
            u = np.minimum(u, np.nextafter(1.0, 0.0, dtype=self.attrs["dtype"].np))
        return u


@register_op("StatelessRandomNormal")
class StatelessRandomNormal(_StatelessFloat):
    """y ~ N(0, 1), a function of `seed`."""

    def draw(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        return rng.standard_normal(size)


@register_op("StatelessTruncatedNormal")
class StatelessTruncatedNormal(_StatelessFloat):
    """y ~ N(0, 1) truncated to [-2, 2], a function of `seed`."""

    def draw(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        return _truncated(rng, size)


@register_op("StatelessRandomUniformInt")
class StatelessRandomUniformInt(_Stateless):
    """y ~ U{minval, ..., maxval - 1} (integers), a function of `seed`."""

    def infer(self, shape_: Tensor, seed: Tensor, lo: Tensor, hi: Tensor) -> TensorSpec:
        self._check_seed(seed)
        dt = self._dtype(_INTS)
        if lo.dtype is not dt or hi.dtype is not dt:
            raise self.error(
                f"minval and maxval must be {dt.name}; got {lo.dtype.name}, {hi.dtype.name}.",
                cls=DTypeError,
            )
        if lo.shape.ndims not in (None, 0) or hi.shape.ndims not in (None, 0):
            raise self.error(f"minval and maxval must be scalars; got {lo.shape}, {hi.shape}.")
        return spec(self._shape(shape_), dt)

    def compute(self, shape_: np.ndarray, seed: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        if not int(lo) < int(hi):
            raise self.error(f"Need minval < maxval; got {int(lo)} >= {int(hi)}.")
        rng = self._rng(seed)
        return rng.integers(int(lo), int(hi), self._size(shape_), dtype=self.attrs["dtype"].np)


@register_op("StatelessRandomUniformFullInt")
class StatelessRandomUniformFullInt(_Stateless):
    """y ~ uniform over every value of the integer `dtype`, a function of `seed`."""

    def infer(self, shape_: Tensor, seed: Tensor) -> TensorSpec:
        self._check_seed(seed)
        return spec(self._shape(shape_), self._dtype(_INTS))

    def compute(self, shape_: np.ndarray, seed: np.ndarray) -> np.ndarray:
        dt = self.attrs["dtype"].np
        info = np.iinfo(dt)
        rng = self._rng(seed)
        return rng.integers(info.min, info.max, self._size(shape_), dtype=dt, endpoint=True)


@register_op("StatelessMultinomial")
class StatelessMultinomial(_Stateless):
    """y[b, j] ~ Categorical(softmax(logits[b])), a function of `seed`."""

    def infer(self, logits: Tensor, num_samples: Tensor, seed: Tensor) -> TensorSpec:
        self._check_seed(seed)
        if logits.dtype not in _FLOATS:
            raise self.error(f"logits must be floating; got {logits.dtype.name}.", cls=DTypeError)
        if logits.shape.ndims not in (None, 2):
            raise self.error(f"logits must be 2-D [batch, classes]; got shape {logits.shape}.")
        out = self.attrs["output_dtype"]
        if out not in _INTS:
            raise self.error(
                f"output_dtype must be int32 or int64; got {out.name}.", cls=DTypeError
            )
        n = static_value(num_samples)
        batch = logits.shape.as_list()[0] if logits.shape.ndims == 2 else None
        return spec([batch, None if n is None else int(n)], out)

    def compute(self, logits: np.ndarray, num_samples: Any, seed: np.ndarray) -> np.ndarray:
        n = int(num_samples)
        if n < 0:
            raise self.error(f"num_samples must be >= 0; got {n}.")
        if logits.shape[1] == 0 and n > 0 and logits.shape[0] > 0:
            raise self.error("num_classes must be positive to draw samples; got 0 classes.")
        u = self._rng(seed).random((logits.shape[0], n))
        return categorical_draws(logits, u, self.attrs["output_dtype"].np)


class _StatelessParams(_Stateless):
    """Base: draws of `shape` whose parameters broadcast to it."""

    allowed: tuple[dtypes.DType, ...] = _FLOATS

    def infer(self, shape_: Tensor, seed: Tensor, *params: Tensor) -> TensorSpec:
        self._check_seed(seed)
        for p in params:
            if p.dtype not in _NUMS:
                raise self.error(f"parameters must be numeric; got {p.dtype.name}.", cls=DTypeError)
        out = self._shape(shape_)
        if out.ndims is not None and all(p.shape.ndims is not None for p in params):
            b = broadcast_shapes(out, *[p.shape for p in params])
            if b is None or (out.is_fully_defined() and b.as_list() != out.as_list()):
                raise self.error(
                    f"parameters of shapes {[str(p.shape) for p in params]} must broadcast to "
                    f"shape {out}."
                )
        return spec(out, self._dtype(self.allowed))

    def draw(self, rng: np.random.Generator, *params: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def compute(self, shape_: np.ndarray, seed: np.ndarray, *params: np.ndarray) -> np.ndarray:
        size = self._size(shape_)
        out = self.draw(self._rng(seed), *self._params(size, *params))
        return np.asarray(out).reshape(size).astype(self.attrs["dtype"].np, copy=False)


def _truncated_in(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Standard normals conditioned on [a, b] (element-wise bounds): normal proposals while
    they are likely to land, then exponential tail proposals (Robert, 1995) beyond a > 0 (or
    b < 0, mirrored), uniform proposals on short intervals around 0, normal ones on wide."""
    z = np.empty(a.shape)
    todo = np.ones(a.shape, bool)
    for _ in range(4):
        n = int(todo.sum())
        if not n:
            return z
        x = rng.standard_normal(n)
        ok = (x >= a[todo]) & (x <= b[todo])
        idx = np.flatnonzero(todo)[ok]
        z.flat[idx] = x[ok]
        todo.flat[idx] = False
    while todo.any():
        idx = np.flatnonzero(todo)
        lo, hi = a.flat[idx], b.flat[idx]
        flip = hi <= 0  # sample -z on [-b, -a]
        lo, hi = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
        tail = lo > 0
        lam = (lo + np.sqrt(lo * lo + 4)) / 2
        x_tail = lo + rng.exponential(1.0, idx.size) / lam
        ok_tail = rng.random(idx.size) <= np.exp(-((x_tail - lam) ** 2) / 2)
        # Around 0: uniform proposals on a short interval, normal ones on a wide one.
        short = hi - lo <= 2.5
        x_uni = rng.uniform(lo, np.where(short, hi, lo))
        ok_uni = rng.random(idx.size) <= np.exp(-(x_uni**2) / 2)
        x_norm = rng.standard_normal(idx.size)
        x = np.where(tail, x_tail, np.where(short, x_uni, x_norm))
        ok = np.where(tail, ok_tail, ~short | ok_uni) & (x <= hi) & (x >= lo)
        z.flat[idx[ok]] = np.where(flip, -x, x)[ok]
        todo.flat[idx[ok]] = False
    return z


@register_op("StatelessParameterizedTruncatedNormal")
class StatelessParameterizedTruncatedNormal(_StatelessParams):
    """y ~ N(means, stddevs^2) conditioned on [minvals, maxvals], a function of `seed`."""

    def draw(
        self,
        rng: np.random.Generator,
        means: np.ndarray,
        stddevs: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
    ) -> np.ndarray:
        if np.any(stddevs <= 0) or np.any(lo >= hi):
            raise self.error("stddevs must be > 0 and minvals < maxvals.")
        z = _truncated_in(rng, (lo - means) / stddevs, (hi - means) / stddevs)
        return np.clip(means + stddevs * z, lo, hi)


@register_op("StatelessRandomPoisson")
class StatelessRandomPoisson(_StatelessParams):
    """y ~ Poisson(lam), a function of `seed`."""

    allowed = _NUMS

    def draw(self, rng: np.random.Generator, lam: np.ndarray) -> np.ndarray:
        if np.any(lam < 0) or np.any(np.isnan(lam)):
            raise self.error("lam must be non-negative and not NaN.")
        return rng.poisson(lam)


@register_op("StatelessRandomGammaV2")
class StatelessRandomGammaV2(_StatelessParams):
    """y ~ Gamma(alpha, 1), a function of `seed`."""

    def draw(self, rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
        g = rng.standard_gamma(alpha)
        return np.maximum(g, np.finfo(self.attrs["dtype"].np).tiny)


@register_op("StatelessRandomBinomial")
class StatelessRandomBinomial(_StatelessParams):
    """y ~ Binomial(counts, probs), a function of `seed`."""

    allowed = _NUMS

    def draw(self, rng: np.random.Generator, counts: np.ndarray, probs: np.ndarray) -> np.ndarray:
        if np.any(counts < 0) or np.any((probs < 0) | (probs > 1)):
            raise self.error("counts must be >= 0 and probs in [0, 1].")
        return rng.binomial(counts.astype(np.int64), probs)


# -- public stateless functions ----------------------------------------------------------------
def _stateless(
    cls: type[OpDef], default: str, shape: Any, seed: Any, params: list[Any], dt: Any, name: Any
) -> Tensor:
    from flowzero.ops import array_ops

    g = graph_of([shape, seed, *params], default)
    with g.as_default(), g.name_scope(name or default):
        shape_t = array_ops._shape_operand(shape)
        seed_t = convert_to_tensor(seed, name="seed")
        ins = [shape_t, seed_t, *params]
        return apply_op(cls, ins, {"dtype": dtypes.as_dtype(dt)})


def _affine(x: Tensor, scale: Any, loc: Any, dt: dtypes.DType) -> Tensor:
    from flowzero.ops import math_ops

    s = convert_to_tensor(scale, dtype=None if isinstance(scale, Tensor) else dt, name="stddev")
    m = convert_to_tensor(loc, dtype=None if isinstance(loc, Tensor) else dt, name="mean")
    return math_ops.add(math_ops.multiply(x, s), m)


def stateless_random_uniform(
    shape: Any,
    seed: Any,
    minval: Any = 0,
    maxval: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """U[minval, maxval) of `shape` (maxval defaults to 1 for floats; ints need both, or both
    None for the full range of the dtype), a deterministic function of `seed` (a shape-[2]
    int tensor).

    Example:
        >>> sess = tf.Session()
        >>> x = tf.random.stateless_uniform([2, 3], seed=[1, 2])   # the same in every session
        >>> sess.run(x)
        array([[0.3093149 , 0.35695624, 0.03690453],
               [0.9619024 , 0.01899374, 0.42798403]], dtype=float32)
    """
    from flowzero.ops import math_ops

    dt = dtypes.as_dtype(dtype)
    if dt in _INTS and minval is None and maxval is None:  # every value of the dtype
        return _stateless(
            StatelessRandomUniformFullInt,
            name or "stateless_random_uniform",
            shape,
            seed,
            [],
            dt,
            None,
        )
    if dt in _INTS:
        if maxval is None:
            raise ValueError(
                f"stateless_uniform: maxval must be given for integer dtype {dt.name}."
            )
        g = graph_of([shape, seed, minval, maxval], "stateless_random_uniform")
        with g.as_default(), g.name_scope(name or "stateless_random_uniform"):
            lo = convert_to_tensor(minval, dtype=dt, name="min")
            hi = convert_to_tensor(maxval, dtype=dt, name="max")
            return _stateless(
                StatelessRandomUniformInt,
                "StatelessRandomUniformInt",
                shape,
                seed,
                [lo, hi],
                dt,
                None,
            )
    dt = _float_dtype(dt, "stateless_uniform")
    g = graph_of([shape, seed, minval, 1 if maxval is None else maxval], "stateless_random_uniform")
    with g.as_default(), g.name_scope(name or "stateless_random_uniform"):
        u = _stateless(StatelessRandomUniform, "StatelessRandomUniform", shape, seed, [], dt, None)
        if maxval is None and not isinstance(minval, Tensor) and minval == 0:
            return u
        hi = 1 if maxval is None else maxval
        lo_t = convert_to_tensor(
            minval, dtype=None if isinstance(minval, Tensor) else dt, name="min"
        )
        hi_t = convert_to_tensor(hi, dtype=None if isinstance(hi, Tensor) else dt, name="max")
        return math_ops.add(math_ops.multiply(u, hi_t - lo_t), lo_t)


def stateless_random_normal(
    shape: Any,
    seed: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """N(mean, stddev^2) of `shape`, a deterministic function of `seed` (shape [2])."""
    dt = _float_dtype(dtype, "stateless_normal")
    g = graph_of([shape, seed, mean, stddev], "stateless_random_normal")
    with g.as_default(), g.name_scope(name or "stateless_random_normal"):
        z = _stateless(StatelessRandomNormal, "StatelessRandomNormal", shape, seed, [], dt, None)
        return _affine(z, stddev, mean, dt)


def stateless_truncated_normal(
    shape: Any,
    seed: Any,
    mean: Any = 0.0,
    stddev: Any = 1.0,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """N(mean, stddev^2) truncated at two stddevs, a deterministic function of `seed`."""
    dt = _float_dtype(dtype, "stateless_truncated_normal")
    g = graph_of([shape, seed, mean, stddev], "stateless_truncated_normal")
    with g.as_default(), g.name_scope(name or "stateless_truncated_normal"):
        z = _stateless(
            StatelessTruncatedNormal, "StatelessTruncatedNormal", shape, seed, [], dt, None
        )
        return _affine(z, stddev, mean, dt)


def stateless_multinomial(
    logits: Any,
    num_samples: Any,
    seed: Any,
    output_dtype: Any = dtypes.int64,
    name: str | None = None,
) -> Tensor:
    """[batch, num_samples] classes drawn from softmax(logits), a deterministic function of
    `seed` (shape [2])."""
    g = graph_of([logits, num_samples, seed], "stateless_multinomial")
    with g.as_default(), g.name_scope(name or "stateless_multinomial"):
        lg = convert_to_tensor(logits)
        n = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        seed_t = convert_to_tensor(seed, name="seed")
        return apply_op(
            StatelessMultinomial,
            [lg, n, seed_t],
            {"dtype": lg.dtype, "output_dtype": dtypes.as_dtype(output_dtype)},
        )


def stateless_categorical(
    logits: Any,
    num_samples: Any,
    seed: Any,
    dtype: Any = dtypes.int64,
    name: str | None = None,
) -> Tensor:
    """stateless_multinomial with TF 2's argument name `dtype`."""
    return stateless_multinomial(
        logits, num_samples, seed, output_dtype=dtype, name=name or "stateless_categorical"
    )


def _param(v: Any, dt: dtypes.DType, name: str) -> Tensor:
    return convert_to_tensor(v, dtype=None if isinstance(v, Tensor) else dt, name=name)


def stateless_random_poisson(
    shape: Any, seed: Any, lam: Any, dtype: Any = dtypes.int32, name: str | None = None
) -> Tensor:
    """Poisson(lam) draws of `shape` (lam broadcasts to it), a deterministic function of `seed`."""
    dt = dtypes.as_dtype(dtype)
    g = graph_of([shape, seed, lam], "stateless_random_poisson")
    with g.as_default(), g.name_scope(name or "stateless_random_poisson"):
        rate = _param(lam, dtypes.float32, "lam")
        return _stateless(
            StatelessRandomPoisson, "StatelessRandomPoisson", shape, seed, [rate], dt, None
        )


def stateless_random_gamma(
    shape: Any,
    seed: Any,
    alpha: Any,
    beta: Any = None,
    dtype: Any = dtypes.float32,
    name: str | None = None,
) -> Tensor:
    """Gamma(alpha, beta) draws of `shape` (beta = rate, default 1; both broadcast to shape), a
    deterministic function of `seed`."""
    from flowzero.ops import division_ops

    dt = _float_dtype(dtype, "stateless_gamma")
    vals = [shape, seed, alpha] + ([] if beta is None else [beta])
    g = graph_of(vals, "stateless_random_gamma")
    with g.as_default(), g.name_scope(name or "stateless_random_gamma"):
        a = _param(alpha, dt, "alpha")
        x = _stateless(StatelessRandomGammaV2, "StatelessRandomGammaV2", shape, seed, [a], dt, None)
        return x if beta is None else division_ops.realdiv(x, _param(beta, dt, "beta"))


def stateless_random_binomial(
    shape: Any,
    seed: Any,
    counts: Any,
    probs: Any,
    output_dtype: Any = dtypes.int32,
    name: str | None = None,
) -> Tensor:
    """Binomial(counts, probs) draws of `shape` (both broadcast to it), a deterministic function
    of `seed`."""
    dt = dtypes.as_dtype(output_dtype)
    g = graph_of([shape, seed, counts, probs], "stateless_random_binomial")
    with g.as_default(), g.name_scope(name or "stateless_random_binomial"):
        n = _param(counts, dtypes.float32, "counts")
        p = _param(probs, dtypes.float32, "probs")
        return _stateless(
            StatelessRandomBinomial, "StatelessRandomBinomial", shape, seed, [n, p], dt, None
        )


def stateless_parameterized_truncated_normal(
    shape: Any,
    seed: Any,
    means: Any = 0.0,
    stddevs: Any = 1.0,
    minvals: Any = -2.0,
    maxvals: Any = 2.0,
    name: str | None = None,
) -> Tensor:
    """N(means, stddevs^2) draws of `shape` conditioned on [minvals, maxvals] (all four
    broadcast to shape; dtype from `means`), a deterministic function of `seed`."""
    g = graph_of([shape, seed, means, stddevs, minvals, maxvals], "stateless_parameterized_tn")
    with g.as_default(), g.name_scope(name or "stateless_parameterized_truncated_normal"):
        m = _param(means, dtypes.float32, "means")
        dt = _float_dtype(m.dtype, "stateless_parameterized_truncated_normal")
        ps = [m] + [
            _param(v, dt, n)
            for v, n in ((stddevs, "stddevs"), (minvals, "minvals"), (maxvals, "maxvals"))
        ]
        return _stateless(
            StatelessParameterizedTruncatedNormal,
            "StatelessParameterizedTruncatedNormal",
            shape,
            seed,
            ps,
            dt,
            None,
        )


def split(seed: Any, num: int = 2, name: str | None = None) -> Tensor:
    """`num` new seeds ([num, 2], seed's dtype) derived from `seed`, for independent stateless
    streams (not TF's numbers: the draws come from flowzero's Philox stream)."""
    g = graph_of([seed], "random_split")
    with g.as_default(), g.name_scope(name or "split"):
        s = convert_to_tensor(seed, name="seed")
        dt = s.dtype if s.dtype in _INTS else dtypes.int64
        return stateless_random_uniform([int(num), 2], s, minval=None, maxval=None, dtype=dt)


def fold_in(seed: Any, data: Any, name: str | None = None) -> Tensor:
    """A new seed [2] from `seed` and an integer `data` (a step, a worker id): [a draw keyed
    by seed, data], as TF builds it (the draw is flowzero's, not TF's number)."""
    from flowzero.ops.array_ops import stack

    g = graph_of([seed, data], "fold_in")
    with g.as_default(), g.name_scope(name or "fold_in"):
        d = convert_to_tensor(data, name="data")
        if d.dtype not in _INTS:
            raise TypeError(f"fold_in: data must be int32 or int64; got {d.dtype.name}.")
        s = convert_to_tensor(seed, name="seed")
        first = stateless_random_uniform([], s, minval=None, maxval=None, dtype=d.dtype)
        return stack([first, d])


__all__ = ["random_poisson"]
