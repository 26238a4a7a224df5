"""tf.contrib.seq2seq monotonic attention (Raffel et al., 2017; TF 1.15 semantics): the
attention moves left to right over the memory, choosing to stop at position j with
probability p_choose_j = sigmoid(score_j) (a hard 0/1 step in "hard" mode).

    attention_i[j] = p_choose_i[j] * sum_{k <= j} attention_{i-1}[k]
                                   * prod_{k <= l < j} (1 - p_choose_i[l])

computed by a scan ("recursive"), in closed form with cumulative sums and products
("parallel"), or for 0/1 choices ("hard"). Also `hardmax` and `safe_cumprod`.
Composites of public ops (no kernels here).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.contrib.seq2seq.attention_mechanisms import (
    _bahdanau_score,
    _BaseAttentionMechanism,
    _dense,
    _luong_score,
)
from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.ops import (
    activation_ops,
    array_ops,
    cast_ops,
    indexing_ops,
    logic_ops,
    manip_ops,
    random_ops,
    reduction_ops,
    reshape_ops,
    scan_ops,
    unary_ops,
)
from flowzero.ops.functional_ops import scan
from flowzero.variables import constant_initializer, get_variable, ones_initializer, variable_scope


def hardmax(logits: Any, name: str | None = None) -> Tensor:
    """one_hot(argmax(logits, -1)): 1 at each row's largest logit (the first on ties).

    Example:
        >>> tf.Session().run(tf.contrib.seq2seq.hardmax([[0.1, 2.0, 0.3]]))
        array([[0., 1., 0.]], dtype=float32)
    """
    with name_scope(name, "Hardmax"):
        logits = convert_to_tensor(logits, name="logits")
        known = logits.shape.as_list()[-1] if logits.shape.ndims else None
        depth = known if known is not None else array_ops.shape(logits)[-1]
        return indexing_ops.one_hot(reduction_ops.argmax(logits, -1), depth, dtype=logits.dtype)


def safe_cumprod(x: Any, *args: Any, **kwargs: Any) -> Tensor:
    """cumprod(x, ...) computed as exp(cumsum(log(clip(x, tiny, 1)))): no underflow to an
    exact 0 that would make its gradient NaN. Takes tf.cumprod's arguments (axis,
    exclusive, reverse)."""
    with name_scope(None, "SafeCumprod"):
        x = convert_to_tensor(x, name="x")
        tiny = np.finfo(x.dtype.np).tiny
        return unary_ops.exp(
            scan_ops.cumsum(unary_ops.log(cast_ops.clip_by_value(x, tiny, 1)), *args, **kwargs)
        )


def monotonic_attention(p_choose_i: Any, previous_attention: Any, mode: str) -> Tensor:
    """The monotonic attention distribution [batch, max_time] from the choosing
    probabilities and the previous step's attention.

    Args:
        p_choose_i: [batch, max_time] probabilities of stopping at each memory position.
        previous_attention: [batch, max_time] the previous attention (one-hot at 0 first).
        mode: "recursive" (a tf.scan, exact), "parallel" (closed form with cumulative
            sums/products, fast but less exact when p_choose_i is near 1) or "hard" (0/1
            p_choose_i).

    Raises:
        ValueError: an unknown mode.
    """
    p_choose_i = convert_to_tensor(p_choose_i, name="p_choose_i")
    previous_attention = convert_to_tensor(previous_attention, name="previous_attention")
    if mode == "recursive":
        known = p_choose_i.shape.as_list()[0] if p_choose_i.shape.ndims else None
        batch_size: Any = known if known is not None else array_ops.shape(p_choose_i)[0]
        ones = array_ops.ones(array_ops.stack([batch_size, 1]), dtype=p_choose_i.dtype)
        shifted_1mp = manip_ops.concat([ones, 1 - p_choose_i[:, :-1]], 1)
        # q[j] = (1 - p_choose_i[j - 1]) * q[j - 1] + previous_attention[j]
        q = scan(
            lambda acc, yz: reshape_ops.reshape(
                yz[0] * acc + yz[1], reshape_ops.reshape(batch_size, [1])
            ),
            [reshape_ops.transpose(shifted_1mp), reshape_ops.transpose(previous_attention)],
            array_ops.zeros(reshape_ops.reshape(batch_size, [1]), dtype=p_choose_i.dtype),
        )
        return p_choose_i * reshape_ops.transpose(q)
    if mode == "parallel":
        cumprod_1mp = safe_cumprod(1 - p_choose_i, axis=1, exclusive=True)
        return (
            p_choose_i
            * cumprod_1mp
            * scan_ops.cumsum(
                # The clip keeps the division finite where the product underflows.
                previous_attention / cast_ops.clip_by_value(cumprod_1mp, 1e-10, 1.0),
                axis=1,
            )
        )
    if mode == "hard":
        # Only positions at or after the last chosen one, and only the first chosen of those.
        p_choose_i = p_choose_i * scan_ops.cumsum(previous_attention, axis=1)
        return p_choose_i * scan_ops.cumprod(1 - p_choose_i, axis=1, exclusive=True)
    raise ValueError("monotonic_attention: mode must be 'recursive', 'parallel', or 'hard'.")


def _monotonic_probability_fn(
    score: Tensor, previous_alignments: Tensor, sigmoid_noise: float, mode: str, seed: Any = None
) -> Tensor:
    if sigmoid_noise > 0:
        noise = random_ops.random_normal(array_ops.shape(score), dtype=score.dtype, seed=seed)
        score = score + sigmoid_noise * noise
    if mode == "hard":
        p_choose_i = cast_ops.cast(logic_ops.greater(score, 0), score.dtype)
    else:
        p_choose_i = activation_ops.sigmoid(score)
    return monotonic_attention(p_choose_i, previous_alignments, mode)


class _BaseMonotonicAttentionMechanism(_BaseAttentionMechanism):
    """Monotonic mechanisms start with all attention on the memory's first position."""

    def initial_alignments(self, batch_size: Any, dtype: Any) -> Tensor:
        zeros = array_ops.zeros(array_ops.stack([batch_size]), dtype=dtypes.int32)
        if isinstance(batch_size, int):
            zeros.set_shape([batch_size])
        return indexing_ops.one_hot(zeros, self._alignments_size, dtype=dtype)

    def _alignments(self, score: Tensor, state: Any) -> tuple[Tensor, Tensor]:
        """score + the learned scalar `attention_score_bias` (in the caller's variable scope),
        turned into the monotonic alignments; (alignments, next state)."""
        bias = get_variable(
            "attention_score_bias",
            shape=(),
            dtype=score.dtype,
            initializer=constant_initializer(self._score_bias_init),
        )
        alignments = self._probability_fn(score + bias, state)
        return alignments, alignments


def _monotonic_fn(sigmoid_noise: float, mode: str, seed: Any) -> Any:
    return lambda score, prev: _monotonic_probability_fn(score, prev, sigmoid_noise, mode, seed)


class BahdanauMonotonicAttention(_BaseMonotonicAttentionMechanism):
    """Additive (Bahdanau) scores + a learned scalar bias `attention_score_bias`, turned into
    a monotonic alignment.

    Args:
        num_units, memory, memory_sequence_length, normalize, score_mask_value, dtype, name:
            as BahdanauAttention.
        sigmoid_noise: std of Gaussian noise added to the scores before the sigmoid
            (training with noise pushes p_choose_i towards 0/1).
        sigmoid_noise_seed: its seed.
        score_bias_init: the bias's initial value (negative: start by moving on).
        mode: "parallel", "recursive" or "hard" (see monotonic_attention).
    """

    def __init__(
        self,
        num_units: int,
        memory: Any,
        memory_sequence_length: Any = None,
        normalize: bool = False,
        score_mask_value: Any = None,
        sigmoid_noise: float = 0.0,
        sigmoid_noise_seed: Any = None,
        score_bias_init: float = 0.0,
        mode: str = "parallel",
        dtype: Any = None,
        name: str = "BahdanauMonotonicAttention",
    ) -> None:
        dtype = dtype or dtypes.float32
        super().__init__(
            query_layer=_dense(num_units, "query_layer", dtype),
            memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory,
            probability_fn=_monotonic_fn(sigmoid_noise, mode, sigmoid_noise_seed),
            memory_sequence_length=memory_sequence_length,
            score_mask_value=score_mask_value,
            name=name,
        )
        self._num_units = num_units
        self._normalize = normalize
        self._name = name
        self._score_bias_init = score_bias_init

    def __call__(self, query: Any, state: Any) -> tuple[Tensor, Tensor]:
        query = convert_to_tensor(query)
        with variable_scope(None, default_name="bahdanau_monotonic_attention"):
            processed = self._query_layer(query) if self._query_layer is not None else query
            return self._alignments(_bahdanau_score(processed, self._keys, self._normalize), state)


class LuongMonotonicAttention(_BaseMonotonicAttentionMechanism):
    """Multiplicative (Luong) scores + a learned scalar bias `attention_score_bias`, turned
    into a monotonic alignment.

    Args:
        num_units, memory, memory_sequence_length, scale, score_mask_value, dtype, name: as
            LuongAttention.
        sigmoid_noise, sigmoid_noise_seed, score_bias_init, mode: as
            BahdanauMonotonicAttention.
    """

    def __init__(
        self,
        num_units: int,
        memory: Any,
        memory_sequence_length: Any = None,
        scale: bool = False,
        score_mask_value: Any = None,
        sigmoid_noise: float = 0.0,
        sigmoid_noise_seed: Any = None,
        score_bias_init: float = 0.0,
        mode: str = "parallel",
        dtype: Any = None,
        name: str = "LuongMonotonicAttention",
    ) -> None:
        dtype = dtype or dtypes.float32
        super().__init__(
            query_layer=None,
            memory_layer=_dense(num_units, "memory_layer", dtype),
            memory=memory,
            probability_fn=_monotonic_fn(sigmoid_noise, mode, sigmoid_noise_seed),
            memory_sequence_length=memory_sequence_length,
            score_mask_value=score_mask_value,
            name=name,
        )
        self._num_units = num_units
        self._scale = scale
        self._score_bias_init = score_bias_init
        self._name = name

    def __call__(self, query: Any, state: Any) -> tuple[Tensor, Tensor]:
        query = convert_to_tensor(query)
        with variable_scope(None, default_name="luong_monotonic_attention"):
            g = None
            if self._scale:
                g = get_variable(
                    "attention_g", dtype=query.dtype, initializer=ones_initializer(), shape=()
                )
            return self._alignments(_luong_score(query, self._keys, g), state)


__all__ = [
    "BahdanauMonotonicAttention",
    "LuongMonotonicAttention",
    "hardmax",
    "monotonic_attention",
    "safe_cumprod",
]
