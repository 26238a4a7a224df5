"""Candidate sampling, as TF1's word2vec tutorials use it: the log-uniform (Zipf) and uniform
candidate samplers, accidental hits, and the sampled losses built on them (tf.nn.nce_loss,
tf.nn.sampled_softmax_loss).

A sampler draws `num_sampled` classes from [0, range_max) and reports how many times each true
and each sampled class was expected to be drawn (Q): with `unique`, draws are repeated until
`num_sampled` distinct classes came up, and the expected count of a class of probability p over
those `n` tries is 1 - (1 - p) ** n; without, it is p * num_sampled. The losses subtract log(Q)
from the logits, which makes them estimates of the full softmax / logistic losses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import (
    array_ops,
    cast_ops,
    control_ops,
    indexing_ops,
    linalg_ops,
    logic_ops,
    loss_ops,
    manip_ops,
    reduction_ops,
    reshape_ops,
    unary_ops,
)
from flowzero.ops.random_ops import _RandomOp, _seeded

_FLOAT_MIN = float(np.finfo(np.float32).min)


class _CandidateSampler(_RandomOp):
    """(sampled_candidates [num_sampled] int64, true_expected_count [batch, num_true],
    sampled_expected_count [num_sampled]) for true_classes [batch, num_true] int64."""

    allowed = ()

    def _prob(self, c: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def infer(self, true_classes: Tensor) -> list[TensorSpec]:
        a = self.attrs
        if true_classes.dtype is not dtypes.int64:
            raise self.error(f"true_classes must be int64; got {true_classes.dtype.name}.")
        k = true_classes.shape.known
        if k is not None and (len(k) != 2 or (k[1] is not None and k[1] != a["num_true"])):
            raise self.error(
                f"true_classes must be [batch_size, num_true={a['num_true']}]; got "
                f"{true_classes.shape}."
            )
        b = k[0] if k is not None else None
        n = a["num_sampled"]
        return [
            spec([n], dtypes.int64),
            spec(TensorShape([b, a["num_true"]]), dtypes.float32),
            spec([n], dtypes.float32),
        ]

    def compute(self, ctx: Any, true_classes: np.ndarray) -> list[np.ndarray]:
        return self._sample(self._rng(ctx), true_classes, self._prob, self._draw)

    def _sample(self, rng: Any, true_classes: np.ndarray, prob: Any, draw: Any) -> list[np.ndarray]:
        a = self.attrs
        n, rmax = int(a["num_sampled"]), int(a["range_max"])
        t = np.asarray(true_classes, np.int64)
        if t.size and (t.min() < 0 or t.max() >= rmax):
            raise self.error(
                f"true_classes must be in [0, range_max={rmax}); got values from "
                f"{t.min()} to {t.max()}."
            )
        if a["unique"]:
            seen: dict[int, None] = {}
            tries = 0
            while len(seen) < n:
                need = n - len(seen)
                draws = draw(rng, max(2 * need, 16))
                for d in draws:
                    tries += 1
                    seen.setdefault(int(d), None)
                    if len(seen) == n:
                        break
            sampled = np.fromiter(seen, dtype=np.int64, count=n)
        else:
            sampled = draw(rng, n).astype(np.int64)
            tries = n

        def expected(c: np.ndarray) -> np.ndarray:
            p = prob(c)
            if tries == n:  # no draw was rejected (always so without unique): p * n, as TF
                return p * n
            return -np.expm1(tries * np.log1p(-p))

        return [sampled, expected(t).astype(np.float32), expected(sampled).astype(np.float32)]


@register_op("LogUniformCandidateSampler")
class LogUniformCandidateSampler(_CandidateSampler):
    """Candidates from P(c) = log((c + 2) / (c + 1)) / log(range_max + 1) (Zipf-like)."""

    def _prob(self, c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, np.float64)
        return np.log((c + 2.0) / (c + 1.0)) / np.log(self.attrs["range_max"] + 1.0)

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        log_range = np.log(self.attrs["range_max"] + 1.0)
        v = np.floor(np.exp(rng.random(n) * log_range)).astype(np.int64) - 1
        return np.minimum(v, self.attrs["range_max"] - 1)


@register_op("UniformCandidateSampler")
class UniformCandidateSampler(_CandidateSampler):
    """Candidates from P(c) = 1 / range_max."""

    def _prob(self, c: np.ndarray) -> np.ndarray:
        return np.full(np.shape(c), 1.0 / self.attrs["range_max"])

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, self.attrs["range_max"], size=n, dtype=np.int64)


def _weighted_draw(w: np.ndarray) -> Any:
    cdf = np.cumsum(w, dtype=np.float64)

    def draw(rng: np.random.Generator, n: int) -> np.ndarray:
        # Inverse CDF; "right" never lands on a zero-weight id (a flat step of the CDF).
        u = rng.random(n) * cdf[-1]
        return np.minimum(np.searchsorted(cdf, u, side="right"), len(w) - 1).astype(np.int64)

    return draw


@register_op("FixedUnigramCandidateSampler")
class FixedUnigramCandidateSampler(_CandidateSampler):
    """Candidates from P(c) proportional to unigrams[c - num_reserved_ids] ** distortion
    (counts from `unigrams` or the last comma-separated field of each vocab_file line); the
    reserved ids get weight 0. With num_shards, only ids with id % num_shards == shard are
    kept, numbered from 0 in order (TF's sharding)."""

    def _weights(self) -> np.ndarray:
        a = self.attrs
        shards, shard = int(a.get("num_shards", 1)), int(a.get("shard", 0))
        if a.get("vocab_file"):
            try:
                with open(a["vocab_file"], encoding="utf-8") as f:
                    counts = [float(line.rstrip("\n").split(",")[-1]) for line in f if line.strip()]
            except (OSError, ValueError) as e:
                raise self.error(f"could not read unigram counts from vocab_file: {e}") from e
        else:
            counts = [float(u) for u in a.get("unigrams", [])]
        w = [0.0 for i in range(int(a.get("num_reserved_ids", 0))) if i % shards == shard]
        start = len(w)  # NOTE: TF numbers the counts from here, not from num_reserved_ids
        dist = float(a.get("distortion", 1.0))
        w += [c**dist for i, c in enumerate(counts, start) if i % shards == shard]
        if len(w) != a["range_max"]:
            raise self.error(
                f"range_max ({a['range_max']}) must equal the number of ids: "
                f"{len(w)} (num_reserved_ids + unigram counts, in this shard)."
            )
        return np.asarray(w, np.float64)

    def compute(self, ctx: Any, true_classes: np.ndarray) -> list[np.ndarray]:
        w = self._weights()
        if self.attrs["unique"] and np.count_nonzero(w) < self.attrs["num_sampled"]:
            raise self.error(
                f"with unique=True, num_sampled ({self.attrs['num_sampled']}) must be at most "
                f"the number of ids of nonzero weight ({np.count_nonzero(w)})."
            )
        p = w / w.sum()
        return self._sample(self._rng(ctx), true_classes, lambda c: p[c], _weighted_draw(w))


@register_op("LearnedUnigramCandidateSampler")
class LearnedUnigramCandidateSampler(_CandidateSampler):
    """Candidates from the unigram distribution of the true classes seen so far in this
    session (every class starts with a count of 1); the counts are updated after sampling."""

    def compute(self, ctx: Any, true_classes: np.ndarray) -> list[np.ndarray]:
        counts = ctx.resource(
            f"{self.node_name}/unigram_counts",
            lambda: np.ones(int(self.attrs["range_max"]), np.float64),
        )
        with ctx.lock:
            w = counts.copy()
            p = w / w.sum()
            out = self._sample(self._rng(ctx), true_classes, lambda c: p[c], _weighted_draw(w))
            np.add.at(counts, np.asarray(true_classes, np.int64).ravel(), 1.0)
        return out


@register_op("AllCandidateSampler")
class AllCandidateSampler(_CandidateSampler):
    """Candidates 0 .. num_sampled - 1, each expected exactly once."""

    def compute(self, ctx: Any, true_classes: np.ndarray) -> list[np.ndarray]:
        n = int(self.attrs["num_sampled"])
        prob = lambda c: np.full(np.shape(c), 1.0 / n)  # noqa: E731 - p * n = 1
        return self._sample(None, true_classes, prob, lambda _, k: np.arange(k))


@register_op("ComputeAccidentalHits")
class ComputeAccidentalHits(OpDef):
    """(indices, ids, weights): for each row i and true class true_classes[i, j] that is also
    sampled_candidates[k] (its last position), (i, k, -FLT_MAX); rows in order."""

    differentiable = False

    def infer(self, true_classes: Tensor, sampled: Tensor) -> list[TensorSpec]:
        for what, t, rank in (
            ("true_classes", true_classes, 2),
            ("sampled_candidates", sampled, 1),
        ):
            if t.dtype is not dtypes.int64:
                raise self.error(f"{what} must be int64; got {t.dtype.name}.")
            if t.shape.ndims not in (None, rank):
                raise self.error(f"{what} must be rank {rank}; got {what}: {t.shape}.")
        k = true_classes.shape.known
        if k is not None and k[1] is not None and k[1] != self.attrs["num_true"]:
            raise self.error(
                f"true_classes must be [batch_size, num_true={self.attrs['num_true']}]; got "
                f"{true_classes.shape}."
            )
        return [
            spec([None], dtypes.int32),
            spec([None], dtypes.int64),
            spec([None], dtypes.float32),
        ]

    def compute(self, true_classes: np.ndarray, sampled: np.ndarray) -> list[np.ndarray]:
        if true_classes.ndim != 2 or true_classes.shape[1] != self.attrs["num_true"]:
            raise self.error(
                f"true_classes must be [batch_size, num_true={self.attrs['num_true']}]; got "
                f"{true_classes.shape}."
            )
        last = {int(v): k for k, v in enumerate(np.asarray(sampled).ravel())}
        hits = [
            (i, last[int(v)]) for i, row in enumerate(true_classes) for v in row if int(v) in last
        ]
        rows = np.array([h[0] for h in hits], np.int32)
        ids = np.array([h[1] for h in hits], np.int64)
        return [rows, ids, np.full(len(hits), _FLOAT_MIN, np.float32)]


def _sampler(
    cls: type[_CandidateSampler],
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any,
    name: str | None,
    what: str,
    extra: dict[str, Any] | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    if num_sampled < 1 or range_max < 1:
        raise ValueError(
            f"{what}: num_sampled and range_max must be positive; got "
            f"{num_sampled} and {range_max}."
        )
    if unique and num_sampled > range_max:
        raise ValueError(
            f"{what}: with unique=True, num_sampled ({num_sampled}) must be at "
            f"most range_max ({range_max})."
        )
    g = graph_of([true_classes], what)
    with g.as_default():
        t = cast_ops.cast(convert_to_tensor(true_classes, name="true_classes"), dtypes.int64)
        out = apply_op(
            cls,
            [t],
            {
                "num_true": int(num_true),
                "num_sampled": int(num_sampled),
                "unique": bool(unique),
                "range_max": int(range_max),
                "dtype": dtypes.int64,
                **_seeded(seed),
                **(extra or {}),
            },
            name=name,
        )
    return out[0], out[1], out[2]


def log_uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Samples classes with a log-uniform (Zipf) distribution, which suits class ids sorted by
    decreasing frequency (word2vec's vocabularies).

    Returns:
        (sampled_candidates [num_sampled] int64, true_expected_count [batch, num_true] float32,
        sampled_expected_count [num_sampled] float32).
    """
    return _sampler(
        LogUniformCandidateSampler,
        true_classes,
        num_true,
        num_sampled,
        unique,
        range_max,
        seed,
        name,
        "log_uniform_candidate_sampler",
    )


def uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Samples classes uniformly from [0, range_max); returns as log_uniform_candidate_sampler."""
    return _sampler(
        UniformCandidateSampler,
        true_classes,
        num_true,
        num_sampled,
        unique,
        range_max,
        seed,
        name,
        "uniform_candidate_sampler",
    )


def fixed_unigram_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    vocab_file: str = "",
    distortion: float = 1.0,
    num_reserved_ids: int = 0,
    num_shards: int = 1,
    shard: int = 0,
    unigrams: Any = (),
    seed: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Samples classes with probability proportional to given unigram counts ** distortion.

    Args:
        true_classes, num_true, num_sampled, unique, range_max: as log_uniform_candidate_sampler;
            range_max must be num_reserved_ids + the number of counts.
        vocab_file: a text file whose lines end in ",count" (or are a count); or
        unigrams: the counts as a list.
        distortion: counts are raised to this power (0: uniform, 1: the unigram distribution).
        num_reserved_ids: ids [0, num_reserved_ids) come first, with weight 0.
        num_shards, shard: keep only the ids with id % num_shards == shard.

    Example:
        >>> labels = tf.constant([[0], [3]], tf.int64)
        >>> sampled, true_expected, _ = tf.nn.fixed_unigram_candidate_sampler(
        ...     labels, 1, 3, False, 4, unigrams=[5, 1, 1, 3])
        >>> sess = tf.Session()
        >>> s, t = sess.run([sampled, true_expected])
        >>> s.shape
        (3,)
        >>> print(t.ravel())   # 3 draws times P(0) = 5/10 and P(3) = 3/10
        [1.5 0.9]
    """
    if not 0 <= shard < num_shards:
        raise ValueError(f"fixed_unigram_candidate_sampler: shard must be in [0, num_shards="
                         f"{num_shards}); got {shard}.")  # fmt: skip
    if bool(vocab_file) == bool(len(unigrams)):
        raise ValueError("fixed_unigram_candidate_sampler: pass exactly one of vocab_file "
                         "and unigrams.")  # fmt: skip
    extra = {
        "vocab_file": vocab_file.decode() if isinstance(vocab_file, bytes) else str(vocab_file),
        "distortion": float(distortion),
        "num_reserved_ids": int(num_reserved_ids),
        "num_shards": int(num_shards),
        "shard": int(shard),
        "unigrams": [float(u) for u in unigrams],
    }
    return _sampler(
        FixedUnigramCandidateSampler, true_classes, num_true, num_sampled, unique, range_max,
        seed, name, "fixed_unigram_candidate_sampler", extra,
    )  # fmt: skip


def learned_unigram_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Samples classes from the distribution of the true classes seen so far (per session;
    every class starts with a count of 1, and each run adds its true_classes after sampling).
    Arguments and results as log_uniform_candidate_sampler."""
    return _sampler(
        LearnedUnigramCandidateSampler, true_classes, num_true, num_sampled, unique, range_max,
        seed, name, "learned_unigram_candidate_sampler",
    )  # fmt: skip


def all_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """ "Samples" every class: sampled_candidates = [0, num_sampled), all expected counts 1
    (for testing sampled losses against the full ones)."""
    return _sampler(
        AllCandidateSampler, true_classes, num_true, num_sampled, unique, num_sampled, seed,
        name, "all_candidate_sampler",
    )  # fmt: skip


def compute_accidental_hits(
    true_classes: Any,
    sampled_candidates: Any,
    num_true: int,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Finds the sampled candidates that are true classes of a row ("accidental hits").

    Returns:
        (indices int32 [k], ids int64 [k], weights float32 [k]): for each hit, the row, the
        position in sampled_candidates and -FLOAT_MAX (add to the sampled logits with
        tf.sparse_to_dense / scatter to remove the hits).

    Example:
        >>> labels = tf.constant([[0], [3]], tf.int64)
        >>> sampled = tf.constant([3, 1, 0], tf.int64)
        >>> rows, ids, w = tf.nn.compute_accidental_hits(labels, sampled, num_true=1)
        >>> sess = tf.Session()
        >>> r, i, w = sess.run([rows, ids, w])
        >>> print(r, i, w)   # row 0's class 0 is sampled at 2, row 1's class 3 at 0
        [0 1] [2 0] [-3.4028235e+38 -3.4028235e+38]
    """
    g = graph_of([true_classes, sampled_candidates], "compute_accidental_hits")
    with g.as_default():
        t = cast_ops.cast(convert_to_tensor(true_classes, name="true_classes"), dtypes.int64)
        s = cast_ops.cast(convert_to_tensor(sampled_candidates, name="sampled"), dtypes.int64)
        out = apply_op(
            ComputeAccidentalHits, [t, s], {"num_true": int(num_true), **_seeded(seed)}, name=name
        )
    return out[0], out[1], out[2]


# -- the sampled losses --------------------------------------------------------------------------


def _sampled_logits(
    weights: Any,
    biases: Any,
    labels: Any,
    inputs: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int,
    sampled_values: Any,
    remove_accidental_hits: bool,
    seed: Any,
) -> tuple[Tensor, Tensor]:
    """(logits [batch, num_true + num_sampled], labels of the same shape) as TF's
    _compute_sampled_logits, with log(Q) subtracted."""
    w = weights[0] if isinstance(weights, (list, tuple)) and len(weights) == 1 else weights
    if isinstance(w, (list, tuple)):
        raise NotImplementedError(
            "sampled losses: partitioned weights (a list of more than one "
            "tensor) are not supported."
        )
    x = convert_to_tensor(inputs, name="inputs")
    labels = cast_ops.cast(convert_to_tensor(labels, name="labels"), dtypes.int64)
    labels_flat = reshape_ops.reshape(labels, [-1])
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes, seed=seed
        )
    sampled, true_q, sampled_q = (control_ops.stop_gradient(s) for s in sampled_values)
    sampled = cast_ops.cast(sampled, dtypes.int64)
    true_w = indexing_ops.gather(w, labels_flat)
    sampled_w = indexing_ops.gather(w, sampled)
    true_b = indexing_ops.gather(biases, labels_flat)
    sampled_b = indexing_ops.gather(biases, sampled)
    dim = array_ops.shape(true_w)[1:2]
    true_w3 = reshape_ops.reshape(true_w, manip_ops.concat([[-1, num_true], dim], 0))
    true_logits = reduction_ops.reduce_sum(reshape_ops.expand_dims(x, 1) * true_w3, axis=2)
    true_logits = true_logits + reshape_ops.reshape(true_b, [-1, num_true])
    sampled_logits = linalg_ops.matmul(x, sampled_w, transpose_b=True) + sampled_b
    if remove_accidental_hits:
        # A sampled class that is one of the row's true classes gets a logit of -FLOAT_MAX.
        hits = logic_ops.equal(
            reshape_ops.expand_dims(labels, 2), reshape_ops.reshape(sampled, [1, 1, -1])
        )
        hit = reduction_ops.reduce_any(hits, axis=1)
        sampled_logits = sampled_logits + cast_ops.cast(hit, sampled_logits.dtype) * _FLOAT_MIN
    true_logits = true_logits - unary_ops.log(cast_ops.cast(true_q, true_logits.dtype))
    sampled_logits = sampled_logits - unary_ops.log(cast_ops.cast(sampled_q, sampled_logits.dtype))
    logits = manip_ops.concat([true_logits, sampled_logits], 1)
    out_labels = manip_ops.concat(
        [array_ops.ones_like(true_logits) / num_true, array_ops.zeros_like(sampled_logits)], 1
    )
    return logits, out_labels


def nce_loss(
    weights: Any,
    biases: Any,
    labels: Any,
    inputs: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int = 1,
    sampled_values: Any = None,
    remove_accidental_hits: bool = False,
    partition_strategy: str = "mod",
    name: str = "nce_loss",
) -> Tensor:
    """Noise-contrastive estimation loss per example (TF1's tf.nn.nce_loss): logistic losses of
    the true classes against `num_sampled` sampled ones, logits corrected by log(Q).

    Args:
        weights: [num_classes, dim] (the output embeddings).
        biases: [num_classes].
        labels: [batch, num_true] int class ids.
        inputs: [batch, dim] (the input embeddings).
        num_sampled, num_classes: how many classes to sample, out of how many.
        sampled_values: (sampled, true_expected_count, sampled_expected_count) from a candidate
            sampler (default: log_uniform_candidate_sampler, unique).

    Returns:
        [batch] losses (take tf.reduce_mean for the training loss).

    Example:
        >>> vocabulary_size, embedding_size = 1000, 16
        >>> embed = tf.placeholder(tf.float32, [None, embedding_size])
        >>> train_labels = tf.placeholder(tf.int64, [None, 1])
        >>> nce_w = tf.Variable(tf.truncated_normal([vocabulary_size, embedding_size], stddev=0.1))
        >>> nce_b = tf.Variable(tf.zeros([vocabulary_size]))
        >>> loss = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, train_labels, embed,
        ...                                      num_sampled=64, num_classes=vocabulary_size))
        >>> loss.shape
        TensorShape([])
    """
    del partition_strategy  # one weight tensor: nothing to partition
    g = graph_of([weights, biases, labels, inputs], "nce_loss")
    with g.as_default(), g.name_scope(name):
        logits, targets = _sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            remove_accidental_hits,
            None,
        )
        losses = loss_ops.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
        return reduction_ops.reduce_sum(losses, axis=1)


def sampled_softmax_loss(
    weights: Any,
    biases: Any,
    labels: Any,
    inputs: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int = 1,
    sampled_values: Any = None,
    remove_accidental_hits: bool = True,
    partition_strategy: str = "mod",
    name: str = "sampled_softmax_loss",
    seed: Any = None,
) -> Tensor:
    """Sampled softmax loss per example (TF1's tf.nn.sampled_softmax_loss): the softmax cross
    entropy over the true classes and `num_sampled` sampled ones, logits corrected by log(Q);
    sampled classes that are true classes are removed by default. Arguments as nce_loss.

    Returns:
        [batch] losses.
    """
    del partition_strategy
    g = graph_of([weights, biases, labels, inputs], "sampled_softmax_loss")
    with g.as_default(), g.name_scope(name):
        logits, targets = _sampled_logits(
            weights,
            biases,
            labels,
            inputs,
            num_sampled,
            num_classes,
            num_true,
            sampled_values,
            remove_accidental_hits,
            seed,
        )
        return loss_ops.softmax_cross_entropy_with_logits_v2(
            labels=control_ops.stop_gradient(targets), logits=logits
        )


__all__: list[str] = []  # public through tf.nn (and tf.random for the samplers)
