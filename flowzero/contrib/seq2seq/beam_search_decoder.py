"""tf.contrib.seq2seq beam search pieces (TF 1.15 semantics): tile_batch."""

from __future__ import annotations

from typing import Any

from flowzero.framework import nest
from flowzero.framework.graph import Tensor, convert_to_tensor, name_scope
from flowzero.framework.shapes import TensorShape
from flowzero.ops import array_ops, manip_ops, reshape_ops


def _tile_batch(t: Any, multiplier: int) -> Tensor:
    t = convert_to_tensor(t, name="t")
    if t.shape.ndims is None or t.shape.ndims < 1:
        raise ValueError(f"tile_batch: t must have statically known rank; got {t.shape}.")
    shape_t = array_ops.shape(t)
    tiling = [1] * (t.shape.ndims + 1)
    tiling[1] = multiplier
    batch = t.shape.as_list()[0]
    tiled = manip_ops.tile(reshape_ops.expand_dims(t, 1), tiling)
    tiled = reshape_ops.reshape(
        tiled, manip_ops.concat([reshape_ops.reshape(shape_t[0] * multiplier, [1]), shape_t[1:]], 0)
    )
    tiled.set_shape(
        TensorShape([None if batch is None else batch * multiplier]).concatenate(t.shape[1:])
    )
    return tiled


def tile_batch(t: Any, multiplier: int, name: str | None = None) -> Any:
    """Repeats each batch entry `multiplier` times, adjacent: [a, b] -> [a, a, b, b] (for
    beam search, where the beams of an entry sit next to each other).

    Args:
        t: a tensor of shape [batch, ...], or a nested structure of them.
        multiplier: the number of copies (e.g. beam_width).
        name: the name scope (default "tile_batch").

    Returns:
        The same structure, each tensor of shape [batch * multiplier, ...].

    Raises:
        ValueError: a tensor's rank is unknown or 0.

    Example:
        >>> memory = tf.contrib.seq2seq.tile_batch(encoder_outputs, multiplier=beam_width)
    """
    with name_scope(name, "tile_batch"):
        return nest.map_structure(lambda t_: _tile_batch(t_, multiplier), t)


__all__ = ["tile_batch"]
