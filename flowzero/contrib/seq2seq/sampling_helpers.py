"""tf.contrib.seq2seq's decoding helpers for inference (TF 1.15 semantics):

- GreedyEmbeddingHelper: feeds the embedding of the argmax id; finished at `end_token`.
- SampleEmbeddingHelper: as Greedy, but samples the id from softmax(outputs / temperature).
- InferenceHelper: the user's sample / end / next-input functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.contrib.seq2seq.helper import _embedding_fn, _sample_categorical, _Stored
from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor
from flowzero.framework.shapes import as_shape
from flowzero.ops import (
    array_ops,
    logic_ops,
    manip_ops,
    reduction_ops,
    reshape_ops,
)
from flowzero.ops.control_flow_ops import cond


class GreedyEmbeddingHelper(_Stored):
    """Greedy decoding: the next input is the embedding of argmax(outputs); entry b is
    finished when it emits `end_token`.

    Args:
        embedding: a callable `ids -> vectors`, or the params of embedding_lookup.
        start_tokens: int32 vector [batch]: the first inputs' ids.
        end_token: int32 scalar.

    Raises:
        ValueError: start_tokens is not a vector or end_token is not a scalar.
    """

    def __init__(self, embedding: Any, start_tokens: Any, end_token: Any) -> None:
        self._embedding_fn = _embedding_fn(embedding)
        self._start_tokens = convert_to_tensor(
            start_tokens, dtype=dtypes.int32, name="start_tokens"
        )
        self._end_token = convert_to_tensor(end_token, dtype=dtypes.int32, name="end_token")
        if self._start_tokens.shape.ndims != 1:
            raise ValueError(
                f"{type(self).__name__}: start_tokens must be a vector; got shape "
                f"{self._start_tokens.shape}."
            )
        self._batch_size = array_ops.size(self._start_tokens)
        if self._end_token.shape.ndims != 0:
            raise ValueError(
                f"{type(self).__name__}: end_token must be a scalar; got shape "
                f"{self._end_token.shape}."
            )
        self._start_inputs = self._embedding_fn(self._start_tokens)

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        finished = manip_ops.tile([False], reshape_ops.reshape(self._batch_size, [1]))
        finished.set_shape(self._start_tokens.shape)
        return finished, self._start_inputs

    def _check_outputs(self, outputs: Any) -> None:
        if not isinstance(outputs, Tensor):
            raise TypeError(
                f"{type(self).__name__}: expected outputs to be a single Tensor, got: "
                f"{type(outputs)}"
            )

    def sample(
        self, time: Tensor, outputs: Any, state: Any = None, name: str | None = None, **_: Any
    ) -> Tensor:
        self._check_outputs(outputs)
        return reduction_ops.argmax(outputs, axis=-1, output_type=dtypes.int32)

    def next_inputs(
        self,
        time: Tensor,
        outputs: Any,
        state: Any,
        sample_ids: Any = None,
        name: str | None = None,
        **_: Any,
    ) -> tuple[Tensor, Any, Any]:
        finished = logic_ops.equal(sample_ids, self._end_token)
        all_finished = reduction_ops.reduce_all(finished)
        next_inputs = cond(
            all_finished,
            # If we're finished, the next_inputs value doesn't matter.
            lambda: self._start_inputs,
            lambda: self._embedding_fn(sample_ids),
        )
        return finished, next_inputs, state


class SampleEmbeddingHelper(GreedyEmbeddingHelper):
    """As GreedyEmbeddingHelper, but the id is sampled from softmax(outputs / temperature).

    Args:
        embedding, start_tokens, end_token: as GreedyEmbeddingHelper.
        softmax_temperature: a float scalar > 0 (default 1): above 1 flattens, below
            sharpens the distribution.
        seed: the sampling seed.
    """

    def __init__(
        self,
        embedding: Any,
        start_tokens: Any,
        end_token: Any,
        softmax_temperature: Any = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(embedding, start_tokens, end_token)
        self._softmax_temperature = softmax_temperature
        self._seed = seed

    def sample(
        self, time: Tensor, outputs: Any, state: Any = None, name: str | None = None, **_: Any
    ) -> Tensor:
        self._check_outputs(outputs)
        logits = outputs
        if self._softmax_temperature is not None:
            logits = outputs / self._softmax_temperature
        return _sample_categorical(logits, self._seed)


class InferenceHelper(_Stored):
    """Feeds the outputs, passed through `next_inputs_fn` (default identity), back as the
    next inputs; finished by `end_fn(sample_ids)`. sample ids are `sample_fn(outputs)`.

    Args:
        sample_fn: `outputs -> sample_ids`.
        sample_shape, sample_dtype: one entry's sample id shape and dtype.
        start_inputs: [batch, depth] first inputs.
        end_fn: `sample_ids -> finished` (bool [batch]).
        next_inputs_fn: `sample_ids -> next inputs` (default: the sample ids themselves).
    """

    def __init__(
        self,
        sample_fn: Callable[[Any], Any],
        sample_shape: Any,
        sample_dtype: Any,
        start_inputs: Any,
        end_fn: Callable[[Any], Any],
        next_inputs_fn: Callable[[Any], Any] | None = None,
    ) -> None:
        self._sample_fn = sample_fn
        self._end_fn = end_fn
        self._sample_ids_shape = as_shape(sample_shape)
        self._sample_ids_dtype = dtypes.as_dtype(sample_dtype)
        self._next_inputs_fn = next_inputs_fn
        self._start_inputs = convert_to_tensor(start_inputs, name="start_inputs")
        self._batch_size = array_ops.shape(self._start_inputs)[0]

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        finished = manip_ops.tile([False], reshape_ops.reshape(self._batch_size, [1]))
        finished.set_shape(self._start_inputs.shape[:1])
        return finished, self._start_inputs

    def sample(
        self, time: Tensor, outputs: Any, state: Any = None, name: str | None = None, **_: Any
    ) -> Any:
        return self._sample_fn(outputs)

    def next_inputs(
        self,
        time: Tensor,
        outputs: Any,
        state: Any,
        sample_ids: Any = None,
        name: str | None = None,
        **_: Any,
    ) -> tuple[Tensor, Any, Any]:
        finished = self._end_fn(sample_ids)
        next_inputs = (
            sample_ids if self._next_inputs_fn is None else self._next_inputs_fn(sample_ids)
        )
        return finished, next_inputs, state


__all__ = ["GreedyEmbeddingHelper", "SampleEmbeddingHelper", "InferenceHelper"]
