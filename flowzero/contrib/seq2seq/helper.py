"""tf.contrib.seq2seq's decoding helpers, part one (TF 1.15 semantics): what a BasicDecoder
feeds its cell at each step, how it picks sample ids from the outputs, and when an entry is
finished.

- Helper (the interface) and CustomHelper (the user's own callables).
- TrainingHelper: teacher forcing, reads the given inputs step by step.
- ScheduledEmbeddingTrainingHelper: as TrainingHelper, but with a probability feeds the
  embedding of an id sampled from the outputs instead.
- ScheduledOutputTrainingHelper: as TrainingHelper, but with a probability feeds the outputs
  themselves back.

The inference helpers (greedy, sampling, custom) are in sampling_helpers.py.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

from flowzero.contrib.seq2seq.decoder import _transpose_batch_time
from flowzero.framework import dtypes, nest
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops import (
    array_ops,
    cast_ops,
    indexing_ops,
    logic_ops,
    manip_ops,
    nn_impl,
    random_ops,
    reduction_ops,
    reshape_ops,
)
from flowzero.ops.control_flow_ops import cond
from flowzero.ops.tensor_array_ops import TensorArray


def _unstack_ta(inp: Tensor) -> TensorArray:
    return TensorArray(
        dtype=inp.dtype, size=array_ops.shape(inp)[0], element_shape=inp.shape[1:]
    ).unstack(inp)


def _embedding_fn(embedding: Any) -> Callable[[Tensor], Tensor]:
    if callable(embedding):
        return embedding
    params = convert_to_tensor(embedding, name="embedding")
    return lambda ids: nn_impl.embedding_lookup(params, ids)


def _sample_categorical(logits: Tensor, seed: Any) -> Tensor:
    """One id per row of [batch, classes] logits (TF's Categorical(logits).sample())."""
    draws = random_ops.multinomial(logits, 1, seed=seed, output_dtype=dtypes.int32)
    return reshape_ops.reshape(draws, [-1])


class Helper(abc.ABC):
    """Interface of the helpers a BasicDecoder uses: `initialize()` -> (finished,
    next_inputs); `sample(time, outputs, state)` -> sample_ids; `next_inputs(time, outputs,
    state, sample_ids)` -> (finished, next_inputs, next_state)."""

    @property
    @abc.abstractmethod
    def batch_size(self) -> Any:
        """The batch size (an int or an int32 scalar tensor)."""

    @property
    @abc.abstractmethod
    def sample_ids_shape(self) -> TensorShape:
        """The shape of one entry's sample ids (TensorShape([]) for scalar ids)."""

    @property
    @abc.abstractmethod
    def sample_ids_dtype(self) -> dtypes.DType:
        """The dtype of the sample ids."""

    @abc.abstractmethod
    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        """(initial finished [batch] bool, first inputs)."""

    @abc.abstractmethod
    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Any:
        """The sample ids of this step's outputs."""

    @abc.abstractmethod
    def next_inputs(
        self,
        time: Tensor,
        outputs: Any,
        state: Any,
        sample_ids: Any,
        name: str | None = None,
    ) -> tuple[Tensor, Any, Any]:
        """(finished, next_inputs, next_state) after this step."""


class _Stored(Helper):
    """A helper that keeps its batch size and its sample ids' shape and dtype as attributes
    (scalar int32 ids unless it sets others)."""

    _batch_size: Any = None
    _sample_ids_shape: TensorShape = TensorShape([])
    _sample_ids_dtype: dtypes.DType = dtypes.int32

    @property
    def batch_size(self) -> Any:
        return self._batch_size

    @property
    def sample_ids_shape(self) -> TensorShape:
        return self._sample_ids_shape

    @property
    def sample_ids_dtype(self) -> dtypes.DType:
        return self._sample_ids_dtype


class CustomHelper(_Stored):
    """A Helper built from three callables.

    Args:
        initialize_fn: `() -> (finished, next_inputs)`.
        sample_fn: `(time, outputs, state) -> sample_ids`.
        next_inputs_fn: `(time, outputs, state, sample_ids) -> (finished, next_inputs,
            next_state)`.
        sample_ids_shape: one entry's sample id shape (default scalar).
        sample_ids_dtype: their dtype (default int32).
    """

    def __init__(
        self,
        initialize_fn: Callable[[], Any],
        sample_fn: Callable[..., Any],
        next_inputs_fn: Callable[..., Any],
        sample_ids_shape: Any = None,
        sample_ids_dtype: Any = None,
    ) -> None:
        self._initialize_fn = initialize_fn
        self._sample_fn = sample_fn
        self._next_inputs_fn = next_inputs_fn
        self._batch_size: Any = None
        self._sample_ids_shape = as_shape(sample_ids_shape or [])
        self._sample_ids_dtype = dtypes.as_dtype(sample_ids_dtype or dtypes.int32)

    @property
    def batch_size(self) -> Any:
        if self._batch_size is None:
            raise ValueError("batch_size accessed before initialize was called")
        return self._batch_size

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        with name_scope(name, "CustomHelperInitialize"):
            finished, next_inputs = self._initialize_fn()
            if self._batch_size is None:
                self._batch_size = array_ops.size(finished)
        return finished, next_inputs

    def sample(self, time: Tensor, outputs: Any, state: Any, name: str | None = None) -> Any:
        with name_scope(name, "CustomHelperSample"):
            return self._sample_fn(time=time, outputs=outputs, state=state)

    def next_inputs(
        self, time: Tensor, outputs: Any, state: Any, sample_ids: Any, name: str | None = None
    ) -> tuple[Tensor, Any, Any]:
        with name_scope(name, "CustomHelperNextInputs"):
            return self._next_inputs_fn(
                time=time, outputs=outputs, state=state, sample_ids=sample_ids
            )


class TrainingHelper(_Stored):
    """Teacher forcing: step t reads inputs[:, t] (the ground truth); sample ids are the
    argmax of the outputs; entry b is finished after sequence_length[b] steps.

    Args:
        inputs: a (structure of) [batch, time, ...] tensor(s) ([time, batch, ...] when
            time_major).
        sequence_length: an int32 vector [batch].
        time_major: whether `inputs` are time major.
        name: the name scope (default "TrainingHelper").

    Raises:
        ValueError: sequence_length is not a vector.
    """

    def __init__(
        self, inputs: Any, sequence_length: Any, time_major: bool = False, name: str | None = None
    ) -> None:
        with name_scope(name, "TrainingHelper"):
            inputs = nest.map_structure(lambda x: convert_to_tensor(x, name="inputs"), inputs)
            self._inputs = inputs
            if not time_major:
                inputs = nest.map_structure(_transpose_batch_time, inputs)
            self._input_tas = nest.map_structure(_unstack_ta, inputs)
            self._sequence_length = convert_to_tensor(sequence_length, name="sequence_length")
            if self._sequence_length.shape.ndims != 1:
                raise ValueError(
                    f"TrainingHelper: expected sequence_length to be a vector, but received "
                    f"shape: {self._sequence_length.shape}"
                )
            self._zero_inputs = nest.map_structure(lambda x: array_ops.zeros_like(x[0, :]), inputs)
            self._batch_size = array_ops.size(self._sequence_length)

    @property
    def inputs(self) -> Any:
        return self._inputs

    @property
    def sequence_length(self) -> Tensor:
        return self._sequence_length

    def _read(self, index: Any) -> Any:
        return nest.map_structure(lambda ta: ta.read(index), self._input_tas)

    def initialize(self, name: str | None = None) -> tuple[Tensor, Any]:
        with name_scope(name, "TrainingHelperInitialize"):
            finished = logic_ops.equal(0, self._sequence_length)
            all_finished = reduction_ops.reduce_all(finished)
            next_inputs = cond(all_finished, lambda: self._zero_inputs, lambda: self._read(0))
            return finished, next_inputs

    def sample(
        self, time: Tensor, outputs: Any, name: str | None = None, **unused_kwargs: Any
    ) -> Tensor:
        with name_scope(name, "TrainingHelperSample"):
            return cast_ops.cast(reduction_ops.argmax(outputs, axis=-1), dtypes.int32)

    def next_inputs(
        self, time: Tensor, outputs: Any, state: Any, name: str | None = None, **unused_kwargs: Any
    ) -> tuple[Tensor, Any, Any]:
        with name_scope(name, "TrainingHelperNextInputs"):
            next_time = time + 1
            finished = logic_ops.greater_equal(next_time, self._sequence_length)
            all_finished = reduction_ops.reduce_all(finished)
            next_inputs = cond(
                all_finished, lambda: self._zero_inputs, lambda: self._read(next_time)
            )
            return finished, next_inputs, state


class ScheduledEmbeddingTrainingHelper(TrainingHelper):
    """Scheduled sampling (Bengio et al., 2015): per entry and step, with probability
    `sampling_probability` the next input is the embedding of an id sampled from the outputs
    (softmax), else the ground-truth input as in TrainingHelper. Sample ids are -1 where no
    sampling happened.

    Args:
        inputs, sequence_length, time_major, name: as TrainingHelper.
        embedding: a callable `ids -> vectors`, or the params of embedding_lookup.
        sampling_probability: a float scalar or [batch] vector in [0, 1].
        seed: the seed of the id sampling; scheduling_seed: of the coin flips.

    Raises:
        ValueError: sampling_probability is neither a scalar nor a vector.
    """

    def __init__(
        self,
        inputs: Any,
        sequence_length: Any,
        embedding: Any,
        sampling_probability: Any,
        time_major: bool = False,
        seed: int | None = None,
        scheduling_seed: int | None = None,
        name: str | None = None,
    ) -> None:
        with name_scope(name, "ScheduledEmbeddingSamplingWrapper"):
            self._embedding_fn = _embedding_fn(embedding)
            self._sampling_probability = convert_to_tensor(
                sampling_probability, name="sampling_probability"
            )
            if self._sampling_probability.shape.ndims not in (0, 1):
                raise ValueError(
                    f"ScheduledEmbeddingTrainingHelper: sampling_probability must be either a "
                    f"scalar or a vector. saw shape: {self._sampling_probability.shape}"
                )
            self._seed = seed
            self._scheduling_seed = scheduling_seed
            super().__init__(
                inputs=inputs, sequence_length=sequence_length, time_major=time_major, name=name
            )

    def sample(
        self, time: Tensor, outputs: Any, state: Any = None, name: str | None = None, **_: Any
    ) -> Tensor:
        with name_scope(name, "ScheduledEmbeddingTrainingHelperSample"):
            batch = reshape_ops.reshape(self.batch_size, [1])
            coin = random_ops.random_uniform(
                batch,
                dtype=self._sampling_probability.dtype,
                seed=self._scheduling_seed,
            )
            select = logic_ops.less(coin, self._sampling_probability)
            sampled = _sample_categorical(outputs, self._seed)
            return indexing_ops.where(
                select, sampled, array_ops.fill(batch, array_ops.constant(-1))
            )

    def next_inputs(
        self,
        time: Tensor,
        outputs: Any,
        state: Any,
        sample_ids: Any = None,
        name: str | None = None,
        **_: Any,
    ) -> tuple[Tensor, Any, Any]:
        with name_scope(name, "ScheduledEmbeddingTrainingHelperNextInputs"):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, name=name
            )

            def maybe_sample() -> Tensor:
                where_sampling = cast_ops.cast(
                    indexing_ops.where(logic_ops.greater(sample_ids, -1)), dtypes.int32
                )
                where_not_sampling = cast_ops.cast(
                    indexing_ops.where(logic_ops.less_equal(sample_ids, -1)), dtypes.int32
                )
                ids_sampling = indexing_ops.gather_nd(sample_ids, where_sampling)
                inputs_not_sampling = indexing_ops.gather_nd(base_next_inputs, where_not_sampling)
                sampled_next_inputs = self._embedding_fn(ids_sampling)
                base_shape = array_ops.shape(base_next_inputs)
                out = indexing_ops.scatter_nd(
                    where_sampling, sampled_next_inputs, base_shape
                ) + indexing_ops.scatter_nd(where_not_sampling, inputs_not_sampling, base_shape)
                out.set_shape(base_next_inputs.shape)
                return out

            all_finished = reduction_ops.reduce_all(finished)
            next_inputs = cond(all_finished, lambda: base_next_inputs, maybe_sample)
            return finished, next_inputs, state


class ScheduledOutputTrainingHelper(TrainingHelper):
    """Scheduled sampling on the outputs themselves (for continuous outputs, e.g. audio
    frames): per entry and step, with probability `sampling_probability` the next input is
    this step's output (through `next_inputs_fn`), else the ground truth. Sample ids are 1
    where the output was fed back, 0 elsewhere (int32).

    Args:
        inputs, sequence_length, time_major, name: as TrainingHelper.
        sampling_probability: a float scalar or [batch] vector in [0, 1].
        seed: the seed of the coin flips.
        next_inputs_fn: outputs -> next inputs when sampling (default: the outputs).
        auxiliary_inputs: tensors concatenated (last axis) to the next inputs in both cases.

    Raises:
        ValueError: sampling_probability is neither a scalar nor a vector.
    """

    def __init__(
        self,
        inputs: Any,
        sequence_length: Any,
        sampling_probability: Any,
        time_major: bool = False,
        seed: int | None = None,
        next_inputs_fn: Callable[[Any], Any] | None = None,
        auxiliary_inputs: Any = None,
        name: str | None = None,
    ) -> None:
        with name_scope(name, "ScheduledOutputTrainingHelper"):
            self._sampling_probability = convert_to_tensor(
                sampling_probability, name="sampling_probability"
            )
            if self._sampling_probability.shape.ndims not in (0, 1):
                raise ValueError(
                    f"ScheduledOutputTrainingHelper: sampling_probability must be either a "
                    f"scalar or a vector. saw shape: {self._sampling_probability.shape}"
                )
            if auxiliary_inputs is None:
                maybe_concatenated = inputs
            else:
                inputs = nest.map_structure(convert_to_tensor, inputs)
                auxiliary_inputs = nest.map_structure(convert_to_tensor, auxiliary_inputs)
                maybe_concatenated = nest.map_structure(
                    lambda x, y: manip_ops.concat([x, y], -1), inputs, auxiliary_inputs
                )
                if not time_major:
                    auxiliary_inputs = nest.map_structure(_transpose_batch_time, auxiliary_inputs)
            self._auxiliary_input_tas = (
                nest.map_structure(_unstack_ta, auxiliary_inputs)
                if auxiliary_inputs is not None
                else None
            )
            self._seed = seed
            self._next_inputs_fn = next_inputs_fn
            super().__init__(
                inputs=maybe_concatenated,
                sequence_length=sequence_length,
                time_major=time_major,
                name=name,
            )

    def sample(
        self, time: Tensor, outputs: Any, state: Any = None, name: str | None = None, **_: Any
    ) -> Tensor:
        with name_scope(name, "ScheduledOutputTrainingHelperSample"):
            coin = random_ops.random_uniform(
                reshape_ops.reshape(self.batch_size, [1]),
                dtype=self._sampling_probability.dtype,
                seed=self._seed,
            )
            return cast_ops.cast(logic_ops.less(coin, self._sampling_probability), dtypes.int32)

    def next_inputs(
        self,
        time: Tensor,
        outputs: Any,
        state: Any,
        sample_ids: Any = None,
        name: str | None = None,
        **_: Any,
    ) -> tuple[Tensor, Any, Any]:
        with name_scope(name, "ScheduledOutputTrainingHelperNextInputs"):
            finished, base_next_inputs, state = super().next_inputs(
                time=time, outputs=outputs, state=state, name=name
            )
            chosen = cast_ops.cast(sample_ids, dtypes.bool)

            def with_auxiliary(outputs_: Any, indices: Any = None) -> Any:
                if self._auxiliary_input_tas is None:
                    return outputs_
                aux = nest.map_structure(lambda ta: ta.read(time + 1), self._auxiliary_input_tas)
                if indices is not None:
                    aux = nest.map_structure(lambda a: indexing_ops.gather_nd(a, indices), aux)
                return nest.map_structure(lambda x, y: manip_ops.concat([x, y], -1), outputs_, aux)

            def maybe_sample() -> Any:
                if self._next_inputs_fn is None:
                    return indexing_ops.where(chosen, with_auxiliary(outputs), base_next_inputs)
                where_sampling = cast_ops.cast(indexing_ops.where(chosen), dtypes.int32)
                where_not_sampling = cast_ops.cast(
                    indexing_ops.where(logic_ops.logical_not(chosen)), dtypes.int32
                )
                outputs_sampling = indexing_ops.gather_nd(outputs, where_sampling)
                inputs_not_sampling = indexing_ops.gather_nd(base_next_inputs, where_not_sampling)
                sampled = with_auxiliary(self._next_inputs_fn(outputs_sampling), where_sampling)
                base_shape = array_ops.shape(base_next_inputs)
                out = indexing_ops.scatter_nd(
                    where_sampling, sampled, base_shape
                ) + indexing_ops.scatter_nd(where_not_sampling, inputs_not_sampling, base_shape)
                out.set_shape(base_next_inputs.shape)
                return out

            all_finished = reduction_ops.reduce_all(finished)
            no_samples = logic_ops.logical_not(reduction_ops.reduce_any(chosen))
            next_inputs = cond(
                logic_ops.logical_or(all_finished, no_samples),
                lambda: base_next_inputs,
                maybe_sample,
            )
            return finished, next_inputs, state


__all__ = [
    "Helper",
    "CustomHelper",
    "TrainingHelper",
    "ScheduledEmbeddingTrainingHelper",
    "ScheduledOutputTrainingHelper",
]
