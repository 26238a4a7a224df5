"""Beam search's backtracking op (TF's contrib/seq2seq GatherTree): from each step's chosen
ids and their parent beams, the full id sequence of every final beam. A NumPy kernel with no
gradient (integer ids in and out)."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError


@register_op("GatherTree")
class GatherTree(OpDef):
    """beams[:, b, k] = the ids along the parent chain ending at beam k of batch entry b:
    beams[t] = step_ids[t, b, p_t] with p_{L-1} = k, p_{t-1} = parent_ids[t, b, p_t], for t
    below L = min(max_time, max_sequence_lengths[b]); end_token at and after the first
    end_token, and past L."""

    differentiable = False

    def infer(
        self, step_ids: Tensor, parent_ids: Tensor, max_sequence_lengths: Tensor, end_token: Tensor
    ) -> TensorSpec:
        for t, nm in ((step_ids, "step_ids"), (parent_ids, "parent_ids"), (end_token, "end_token")):
            if t.dtype is not dtypes.int32:
                raise self.error(f"{nm} must be int32; got {t.dtype.name}.", cls=DTypeError)
        if max_sequence_lengths.dtype is not dtypes.int32:
            raise self.error(
                f"max_sequence_lengths must be int32; got {max_sequence_lengths.dtype.name}.",
                cls=DTypeError,
            )
        for t, nm, rank in (
            (step_ids, "step_ids", 3),
            (parent_ids, "parent_ids", 3),
            (max_sequence_lengths, "max_sequence_lengths", 1),
            (end_token, "end_token", 0),
        ):
            if t.shape.ndims not in (None, rank):
                raise self.error(f"{nm} must have rank {rank}; got shape {t.shape}.")
        try:
            out = step_ids.shape.merge_with(parent_ids.shape)
            if out.ndims == 3 and max_sequence_lengths.shape.ndims == 1:
                batch = TensorShape([out.as_list()[1]]).merge_with(max_sequence_lengths.shape)
                dims = out.as_list()
                out = TensorShape([dims[0], batch.as_list()[0], dims[2]])
        except ValueError:
            raise self.error(
                f"step_ids, parent_ids ([max_time, batch_size, beam_width]) and "
                f"max_sequence_lengths ([batch_size]) must agree; got {step_ids.shape}, "
                f"{parent_ids.shape} and {max_sequence_lengths.shape}."
            ) from None
        return spec(out, dtypes.int32)

    def compute(
        self,
        step_ids: np.ndarray,
        parent_ids: np.ndarray,
        max_sequence_lengths: np.ndarray,
        end_token: np.ndarray,
    ) -> np.ndarray:
        if step_ids.ndim != 3:
            raise self.error(f"step_ids must be a 3-tensor, saw shape: {step_ids.shape}")
        if max_sequence_lengths.ndim != 1:
            raise self.error(
                f"max_sequence_lengths must be a vector, saw shape: {max_sequence_lengths.shape}"
            )
        if end_token.ndim != 0:
            raise self.error(f"end_token must be a scalar, saw shape: {end_token.shape}")
        if step_ids.shape != parent_ids.shape:
            raise self.error(
                f"step_ids.shape must match parent_ids.shape.  but shapes are: "
                f"{step_ids.shape} and {parent_ids.shape}"
            )
        max_time, batch, beam_width = step_ids.shape
        if max_sequence_lengths.shape[0] != batch:
            raise self.error(
                f"batch size dimensions step_ids.shape[1] and max_sequence_lengths.shape[0] "
                f"must match.  but shapes are: {step_ids.shape} and "
                f"{max_sequence_lengths.shape}"
            )
        end = step_ids.dtype.type(end_token)
        beams = np.full(step_ids.shape, end, dtype=step_ids.dtype)
        for b in range(batch):
            length = min(max_time, int(max_sequence_lengths[b]))
            if length <= 0:
                continue
            # All beams of the entry walk back together: `parent` holds one index per beam.
            beams[length - 1, b] = step_ids[length - 1, b]
            parent = parent_ids[length - 1, b].astype(np.int64)
            for level in range(length - 2, -1, -1):
                # NOTE: TF accepts parent == beam_width (and reads past the beam); an index
                # outside [0, beam_width) is an error here.
                bad = (parent < 0) | (parent >= beam_width)
                if bad.any():
                    k = int(np.flatnonzero(bad)[0])
                    raise self.error(
                        f"Saw invalid parent id {int(parent[k])} at (batch, time, beam) == "
                        f"({b}, {level}, {k})"
                    )
                beams[level, b] = step_ids[level, b, parent]
                parent = parent_ids[level, b, parent].astype(np.int64)
            # Everything after a beam's first end_token becomes end_token.
            seen = np.cumsum(beams[:length, b] == end, axis=0)
            after = (seen - (beams[:length, b] == end)) > 0
            beams[:length, b][after] = end
        return beams


def gather_tree(
    step_ids: Any,
    parent_ids: Any,
    max_sequence_lengths: Any,
    end_token: Any,
    name: str | None = None,
) -> Tensor:
    """The full id sequences of a beam search from its per-step ids and parent beams.

    Args:
        step_ids: int32 [max_time, batch_size, beam_width]: the id chosen at each step.
        parent_ids: int32 [max_time, batch_size, beam_width]: the beam each came from.
        max_sequence_lengths: int32 [batch_size]: the steps to backtrack per entry.
        end_token: int32 scalar; ids after a beam's first end_token (and steps past its
            length) are end_token.
        name: the op name.

    Returns:
        int32 [max_time, batch_size, beam_width]: beam k's ids, step by step.

    Raises:
        InvalidArgumentError: wrong ranks or mismatched shapes; at run time a parent id
            outside [0, beam_width).

    Example:
        >>> ids = tf.contrib.seq2seq.gather_tree(
        ...     [[[1, 2]], [[3, 4]]], [[[0, 0]], [[1, 0]]], [2], end_token=9)
        >>> tf.Session().run(ids)[:, 0]   # beam 0 came from beam 1: [[2, 1], [3, 4]]
        array([[2, 1],
               [3, 4]], dtype=int32)
    """
    from flowzero.framework.graph import convert_to_tensor

    step_ids = convert_to_tensor(step_ids, dtype=dtypes.int32)
    parent_ids = convert_to_tensor(parent_ids, dtype=dtypes.int32)
    max_sequence_lengths = convert_to_tensor(max_sequence_lengths, dtype=dtypes.int32)
    end_token = convert_to_tensor(end_token, dtype=dtypes.int32)
    return apply_op(GatherTree, [step_ids, parent_ids, max_sequence_lengths, end_token], name=name)


# tf.contrib.seq2seq.gather_tree only: nothing for the root namespace.
__all__: list[str] = []
