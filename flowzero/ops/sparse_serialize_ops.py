"""SparseTensors as strings (tf.io.serialize_sparse, serialize_many_sparse,
deserialize_many_sparse: each part a serialized TensorProto, TF's bytes) and the edit
distance between sparse sequences (tf.edit_distance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.sparse_tensor import SparseTensor
from flowzero.ops.common import _graph_for
from flowzero.ops.sparse_ops import _sparse


def _proto_bytes(a: np.ndarray, dt: dtypes.DType) -> bytes:
    from flowzero.interop.convert import tensor_proto

    return tensor_proto(a, dt).SerializeToString()


def _check_out_type(fn: str, out_type: Any) -> None:
    if dtypes.as_dtype(out_type) is not dtypes.string:
        raise TypeError(f"{fn}: out_type must be tf.string; got {dtypes.as_dtype(out_type).name}.")


@register_op("SerializeSparse")
class SerializeSparse(OpDef):
    """s = [indices, values, dense_shape], each a serialized TensorProto."""

    differentiable = False

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor) -> TensorSpec:
        return spec([3], dtypes.string)

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray) -> np.ndarray:
        out = np.empty(3, dtype=object)
        out[:] = [
            _proto_bytes(ind, dtypes.int64),
            _proto_bytes(val, self.attrs["T"]),
            _proto_bytes(shp, dtypes.int64),
        ]
        return out


@register_op("SerializeManySparse")
class SerializeManySparse(OpDef):
    """s[b] = SerializeSparse of row b of a SparseTensor (its first dimension dropped)."""

    differentiable = False

    def infer(self, ind: Tensor, val: Tensor, shp: Tensor) -> TensorSpec:
        if ind.shape.ndims == 2 and ind.shape.known[1] is not None and ind.shape.known[1] < 2:  # type: ignore[index]
            raise self.error(f"the SparseTensor must have rank >= 2; got indices {ind.shape}.")
        return spec([None, 3], dtypes.string)

    def compute(self, ind: np.ndarray, val: np.ndarray, shp: np.ndarray) -> np.ndarray:
        if shp.size < 2:
            raise self.error(f"the SparseTensor must have rank >= 2; got dense_shape {shp}.")
        n = int(shp[0])
        rows = ind[:, 0] if len(ind) else np.zeros(0, np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= n):
            raise self.error(
                f"indices' first column must be in [0, {n}), the first dimension; got "
                f"{rows.tolist()}."
            )
        out = np.empty((n, 3), dtype=object)
        for b in range(n):
            keep = rows == b
            out[b] = [
                _proto_bytes(ind[keep, 1:].reshape(-1, shp.size - 1), dtypes.int64),
                _proto_bytes(val[keep], self.attrs["T"]),
                _proto_bytes(shp[1:], dtypes.int64),
            ]
        return out


@register_op("DeserializeManySparse")
class DeserializeManySparse(OpDef):
    """The SparseTensor [N, ...] whose row b is the serialized SparseTensor s[b] (its dense
    shape: N, then the largest of each dimension)."""

    differentiable = False

    def infer(self, s: Tensor) -> list[TensorSpec]:
        if s.dtype is not dtypes.string:
            raise self.error(f"serialized_sparse must be strings; got {s.dtype.name}.")
        if not s.shape.is_compatible_with([None, 3]):
            raise self.error(f"serialized_sparse must be a matrix [N, 3]; got shape {s.shape}.")
        rank = self.attrs.get("rank")
        return [
            spec([None, rank], dtypes.int64),
            spec([None], self.attrs["dtype"]),
            spec([rank], dtypes.int64),
        ]

    def _parse(self, data: Any, b: int, part: str) -> np.ndarray:
        from flowzero.interop.convert import array_from_tensor_proto
        from flowzero.proto import tensor_pb2

        proto = tensor_pb2.TensorProto()
        try:
            proto.ParseFromString(bytes(data))
            return array_from_tensor_proto(proto, f"DeserializeManySparse '{self.node_name}'")
        except Exception:  # protobuf's DecodeError, a bad dtype
            raise self.error(f"Could not parse serialized_sparse[{b}, {part}].") from None

    def compute(self, s: np.ndarray) -> list[np.ndarray]:
        if s.shape[0] == 0:
            raise self.error(
                "Serialized sparse should have at least 1 serialized tensor, but has a zero "
                f"dimension {list(s.shape)}"
            )
        want = dtypes.as_dtype(self.attrs["dtype"])
        inds, vals, shapes = [], [], []
        for b in range(s.shape[0]):
            ind, val, shp = (self._parse(s[b, k], b, p) for k, p in enumerate("ivs"))
            got = dtypes.string if val.dtype.kind == "O" else dtypes.as_dtype(val.dtype)
            if got is not want:
                raise self.error(
                    f"Requested SparseTensor of type {want.name} but SparseTensor[{b}].values."
                    f"dtype() == {got.name}"
                )
            if shapes and shp.size != shapes[0].size:
                raise self.error(
                    f"Inconsistent shape across SparseTensors: rank prior to SparseTensor[{b}] "
                    f"was: {shapes[0].size} but rank of SparseTensor[{b}] is: {shp.size}"
                )
            ind = ind.reshape(-1, shp.size)
            inds.append(np.concatenate([np.full((len(ind), 1), b, np.int64), ind], axis=1))
            vals.append(val)
            shapes.append(shp.astype(np.int64))
        dense = np.concatenate([[len(shapes)], np.max(np.stack(shapes), axis=0)]).astype(np.int64)
        return [np.concatenate(inds).astype(np.int64), np.concatenate(vals).astype(want.np), dense]


def serialize_sparse(
    sp_input: Any, name: str | None = None, out_type: Any = dtypes.string
) -> Tensor:
    """A string vector [3]: the SparseTensor's indices, values and dense shape, each a
    serialized TensorProto (TF's bytes)."""
    _check_out_type("serialize_sparse", out_type)
    sp = _sparse(sp_input, "serialize_sparse")
    with _graph_for(sp.values):
        return apply_op(
            SerializeSparse, list(sp._components()), {"T": sp.dtype}, name=name or "SerializeSparse"
        )


def serialize_many_sparse(
    sp_input: Any, name: str | None = None, out_type: Any = dtypes.string
) -> Tensor:
    """A string matrix [N, 3]: row b is serialize_sparse of the SparseTensor's row b (rank >=
    2; the first dimension is N).

    Example:
        >>> batch = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [2, 3])
        >>> s = tf.serialize_many_sparse(batch)             # one row per example
        >>> batch_again = tf.deserialize_many_sparse(s, batch.dtype)
        >>> sess = tf.Session()
        >>> print(sess.run(s).shape)
        (2, 3)
        >>> print(sess.run(tf.sparse.to_dense(batch_again)))
        [[1. 0. 0.]
         [0. 0. 2.]]
    """
    _check_out_type("serialize_many_sparse", out_type)
    sp = _sparse(sp_input, "serialize_many_sparse")
    with _graph_for(sp.values):
        return apply_op(
            SerializeManySparse,
            list(sp._components()),
            {"T": sp.dtype},
            name=name or "SerializeManySparse",
        )


def deserialize_many_sparse(
    serialized_sparse: Any, dtype: Any, rank: int | None = None, name: str | None = None
) -> SparseTensor:
    """The SparseTensor [N, ...] whose rows are the N serialized SparseTensors of a string
    matrix [N, 3] (as serialize_many_sparse writes); its dense shape is N, then the largest
    of each dimension.

    Raises:
        InvalidArgumentError (at run time): bytes that are not TensorProtos, values of
            another dtype than `dtype`, or rows of different ranks.
    """
    with _graph_for(serialized_sparse):
        s = convert_to_tensor(serialized_sparse, dtype=dtypes.string)
        attrs = {"dtype": dtypes.as_dtype(dtype), "rank": None if rank is None else int(rank)}
        ind, val, shp = apply_op(
            DeserializeManySparse, [s], attrs, name=name or "DeserializeManySparse"
        )
        return SparseTensor(ind, val, shp)


# -- edit distance ------------------------------------------------------------------------------
def _levenshtein(a: list[Any], b: list[Any]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _groups(ind: np.ndarray, val: np.ndarray) -> dict[tuple[int, ...], list[Any]]:
    """The sequences of a sparse tensor: values by their index without its last entry."""
    out: dict[tuple[int, ...], list[Any]] = {}
    for k in range(len(ind)):
        out.setdefault(tuple(int(i) for i in ind[k, :-1]), []).append(val[k])
    return out


@register_op("EditDistance")
class EditDistance(OpDef):
    """d[i] = Levenshtein distance of the sequences hypothesis[i, :] and truth[i, :] (divided
    by the truth's length where normalize)."""

    differentiable = False

    def infer(self, *parts: Tensor) -> TensorSpec:
        h_ind, h_val, h_shp, t_ind, t_val, t_shp = parts
        if h_val.dtype is not t_val.dtype:
            raise self.error(
                f"truth values have dtype {t_val.dtype.name}, the hypothesis' "
                f"{h_val.dtype.name}; they must match."
            )
        ranks = [s.shape.known[0] if s.shape.known else None for s in (h_shp, t_shp)]  # type: ignore[index]
        if None not in ranks and ranks[0] != ranks[1]:
            raise self.error(
                f"hypothesis and truth must have the same rank; got {ranks[0]} vs. {ranks[1]}."
            )
        rank = next((r for r in ranks if r is not None), None)
        if rank is not None and rank < 2:
            raise self.error(f"the SparseTensors must have rank >= 2; got rank {rank}.")
        return spec(None if rank is None else [None] * (rank - 1), dtypes.float32)

    def compute(self, *parts: np.ndarray) -> np.ndarray:
        h_ind, h_val, h_shp, t_ind, t_val, t_shp = parts
        if h_shp.size != t_shp.size:
            raise self.error(
                f"hypothesis and truth must have the same rank; got {h_shp.size} vs. {t_shp.size}."
            )
        out_shape = np.maximum(h_shp[:-1], t_shp[:-1])
        if not np.prod(out_shape):
            raise self.error(f"Got output shape {out_shape.tolist()} which has 0 elements")
        out = np.zeros(out_shape, np.float32)
        hyp, truth = _groups(h_ind, h_val), _groups(t_ind, t_val)
        norm = self.attrs["normalize"]
        for key in set(hyp) | set(truth):
            h, t = hyp.get(key, []), truth.get(key, [])
            d = float(_levenshtein(h, t))
            if norm:
                d = d / len(t) if t else np.inf
            out[key] = d
        return out


def edit_distance(
    hypothesis: Any, truth: Any, normalize: bool = True, name: str = "edit_distance"
) -> Tensor:
    """The Levenshtein distance between the sequences of two SparseTensors of rank R: entry
    [i...] compares hypothesis[i..., :] with truth[i..., :] (the values in index order).

    Args:
        hypothesis: SparseTensor, the hypothesis sequences.
        truth: SparseTensor of the same rank and dtype, the reference sequences.
        normalize: divide each distance by the truth's length (inf where it is empty).
        name: a name for the op.

    Returns:
        float32 [R-1 dims]: the largest of the two dense shapes without their last dimension.

    Raises:
        TypeError: a non-sparse argument, or values of different dtypes.
        ValueError: different ranks, or a rank below 2.

    Example:
        >>> h = tf.SparseTensor([[0, 0], [0, 1]], ["a", "b"], [1, 2])
        >>> t = tf.SparseTensor([[0, 0]], ["a"], [1, 1])
        >>> print(tf.Session().run(tf.edit_distance(h, t)))
        [1.]
    """
    h = _sparse(hypothesis, "edit_distance")
    t = _sparse(truth, "edit_distance")
    if h.dtype is not t.dtype:
        raise TypeError(
            f"edit_distance: truth has values of {t.dtype.name}, the hypothesis of "
            f"{h.dtype.name}; they must match."
        )
    with _graph_for(h.values, t.values):
        return apply_op(
            EditDistance,
            [*h._components(), *t._components()],
            {"normalize": bool(normalize)},
            name=name,
        )


__all__ = [
    "deserialize_many_sparse",
    "edit_distance",
    "serialize_many_sparse",
    "serialize_sparse",
]
