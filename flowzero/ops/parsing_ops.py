"""Parsing serialized tf.train.Example protos: tf.io.parse_example (a batch),
tf.io.parse_single_example, and the feature configurations FixedLenFeature, VarLenFeature,
SparseFeature and FixedLenSequenceFeature (tf.train.SequenceExample: parsing_seq_ops.py).

One op, ParseExample (TF's), parses a vector of serialized Examples: its outputs are, as TF's,
the sparse features' indices, values and dense shapes, then the dense features' values.
Defaults are build-time constants held in the op's attrs. protobuf loads when the kernel first
runs, never at `import flowzero`.
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import _graph_for, static_value

_KINDS = {"float32": "float_list", "int64": "int64_list", "string": "bytes_list"}
_TF_NAMES = {"float32": "float", "int64": "int64", "string": "string"}
_KIND_TYPES = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}


class FixedLenFeature(
    collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])
):
    """A feature of a fixed shape: parsed to a dense tensor of `shape` (per example); missing
    from an example, it takes `default_value`, or is an error where that is None."""

    def __new__(cls, shape: Any, dtype: Any, default_value: Any = None) -> FixedLenFeature:
        return super().__new__(cls, shape, dtype, default_value)


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A feature of any length: parsed to a tf.SparseTensor."""


class SparseFeature(
    collections.namedtuple(
        "SparseFeature", ["index_key", "value_key", "dtype", "size", "already_sorted"]
    )
):
    """A sparse feature stored as index and value features of the same length: parsed to a
    tf.SparseTensor [batch, *size] whose entry [b, index_0[k], ...] is value[k]. `index_key`
    is one key (then `size` an int) or a list of keys (then `size` a list, one per key)."""

    def __new__(
        cls, index_key: Any, value_key: str, dtype: Any, size: Any, already_sorted: bool = False
    ) -> SparseFeature:
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


class FixedLenSequenceFeature(
    collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"]
    )
):
    """A feature holding any number of values of `shape` each: parsed to a dense tensor
    [batch, longest, *shape], the shorter examples padded with `default_value` (0 or b"")."""

    def __new__(
        cls, shape: Any, dtype: Any, allow_missing: bool = False, default_value: Any = None
    ) -> FixedLenSequenceFeature:
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


def _feature_dtype(key: str, dtype: Any) -> dtypes.DType:
    dt = dtypes.as_dtype(dtype)
    if dt.name not in _KINDS:
        raise ValueError(
            f"Feature '{key}': dtype must be tf.float32, tf.int64 or tf.string; got {dt.name}."
        )
    return dt


def _dims(key: str, shape: Any) -> tuple[int, ...]:
    s = TensorShape(shape if not isinstance(shape, int) else [shape])
    if not s.is_fully_defined():
        raise ValueError(f"Feature '{key}': shape must be fully defined; got {s}.")
    return tuple(int(d) for d in s.as_list())


def _default(key: str, value: Any, dt: dtypes.DType, dims: tuple[int, ...]) -> np.ndarray:
    if isinstance(value, Tensor):
        v = static_value(value)
        if v is None:
            raise ValueError(f"Feature '{key}': default_value must be a build-time constant.")
        value = v
    if dt is dtypes.string:
        flat = [x.encode() if isinstance(x, str) else bytes(x) for x in np.ravel(value)]
        arr = np.array(flat, dtype=object).reshape(np.shape(value))
    else:
        arr = np.asarray(value).astype(dt.np)
    n = int(np.prod(dims, dtype=np.int64))
    if arr.size != n:
        raise ValueError(
            f"Feature '{key}': default_value has {arr.size} values; its shape {list(dims)} "
            f"needs {n}."
        )
    return arr.reshape(dims)


def _configs(features: Any) -> dict[str, Any]:
    """The ParseExample attrs of a {key: feature config} dict (keys in sorted order, as TF)."""
    if not isinstance(features, dict) or not features:
        raise ValueError("parse_example: features must be a non-empty dict of feature configs.")
    dense: list[tuple[Any, ...]] = []
    sparse: list[tuple[str, dtypes.DType]] = []
    features = _expand_sparse_features(features)
    for key in sorted(features):
        f = features[key]
        if isinstance(f, SparseFeature):
            continue
        if isinstance(f, VarLenFeature):
            sparse.append((key, _feature_dtype(key, f.dtype)))
        elif isinstance(f, FixedLenFeature):
            dt = _feature_dtype(key, f.dtype)
            dims = _dims(key, f.shape)
            d = None if f.default_value is None else _default(key, f.default_value, dt, dims)
            dense.append((key, dt, dims, d, False))
        elif isinstance(f, FixedLenSequenceFeature):
            dt = _feature_dtype(key, f.dtype)
            if not f.allow_missing:
                raise ValueError(
                    f"Feature '{key}': FixedLenSequenceFeature in parse_example requires "
                    "allow_missing=True."
                )
            pad = 0 if f.default_value is None else f.default_value
            if dt is dtypes.string and f.default_value is None:
                pad = b""
            dense.append((key, dt, _dims(key, f.shape), _default(key, pad, dt, ()), True))
        else:
            raise ValueError(
                f"Feature '{key}': unsupported feature config {f!r} (FixedLenFeature, "
                "VarLenFeature or FixedLenSequenceFeature)."
            )
    return {"dense": dense, "sparse": sparse}


def _index_keys(key: str, f: SparseFeature) -> tuple[list[str], list[int]]:
    """A SparseFeature's index keys and sizes as lists, checked."""
    keys = [f.index_key] if isinstance(f.index_key, str) else list(f.index_key)
    sizes = [f.size] if isinstance(f.index_key, str) else list(np.ravel(f.size))
    if not keys or len(keys) != len(sizes) or not all(isinstance(k, str) for k in keys):
        raise ValueError(
            f"Feature '{key}': SparseFeature needs index_key as a key or a list of keys, and "
            f"size as an int or a list of as many ints; got index_key={f.index_key!r}, "
            f"size={f.size!r}."
        )
    return keys, [int(x) for x in sizes]


def _expand_sparse_features(features: dict[str, Any]) -> dict[str, Any]:
    """`features` plus the VarLenFeatures a SparseFeature is parsed from (its index keys as
    int64, its value key as its dtype); a key asked for twice with other configs is an error."""
    out = dict(features)
    for key in sorted(features):
        f = features[key]
        if not isinstance(f, SparseFeature):
            continue
        keys, _ = _index_keys(key, f)
        parts = [(k, VarLenFeature(dtypes.int64)) for k in keys]
        for k, part in [*parts, (f.value_key, VarLenFeature(f.dtype))]:
            have = out.get(k)
            if have is None:
                out[k] = part
            elif not isinstance(have, VarLenFeature) or dtypes.as_dtype(
                have.dtype
            ) is not dtypes.as_dtype(part.dtype):
                raise ValueError(
                    f"Feature '{key}': SparseFeature's key '{k}' is also configured as "
                    f"{have!r}; it must be a VarLenFeature of {dtypes.as_dtype(part.dtype).name}."
                )
    return out


# -- the kernel ---------------------------------------------------------------------------------
def _example_cls() -> Any:
    from flowzero.proto import example_pb2

    return example_pb2.Example


def _values(self: OpDef, feature: Any, key: str, dt: dtypes.DType, name: str) -> Any:
    """The feature's values (None for a feature with no list), its kind checked."""
    kind = feature.WhichOneof("kind")
    if kind is None:
        return None
    if kind != _KINDS[dt.name]:
        raise self.error(
            f"Name: {name}, Feature: {key}.  Data types don't match. Data type: "
            f"{_KIND_TYPES[kind]} but expected type: {_TF_NAMES[dt.name]}"
        )
    vals = getattr(feature, kind).value
    if dt is dtypes.string:
        return np.array(list(vals), dtype=object)
    return np.asarray(vals, dtype=dt.np)


class _ParseBase(OpDef):
    differentiable = False

    def _parse(self, data: bytes, index: int) -> Any:
        try:
            return _example_cls().FromString(bytes(data))
        except Exception:  # protobuf's DecodeError and friends
            raise self.error(
                f"Could not parse example input, value {index}: '{data[:40]!r}'"
            ) from None


@register_op("ParseExample")
class ParseExample(_ParseBase):
    """Parses a vector of serialized tf.train.Examples into the configured features."""

    def infer(self, serialized: Tensor) -> list[TensorSpec]:
        if serialized.dtype is not dtypes.string:
            raise self.error(f"serialized must be a string tensor; got {serialized.dtype.name}.")
        if serialized.shape.ndims not in (None, 1):
            raise self.error(f"serialized must be a vector; got shape {serialized.shape}.")
        b = serialized.shape.known[0] if serialized.shape.ndims == 1 else None  # type: ignore[index]
        a = self.attrs
        ind = [spec([None, 2], dtypes.int64) for _ in a["sparse"]]
        vals = [spec([None], dt) for _, dt in a["sparse"]]
        shapes = [spec([2], dtypes.int64) for _ in a["sparse"]]
        dense = [
            spec([b, None, *dims] if var else [b, *dims], dt) for _, dt, dims, _, var in a["dense"]
        ]
        return ind + vals + shapes + dense

    def compute(self, serialized: np.ndarray) -> list[np.ndarray]:
        examples = [self._parse(s, i) for i, s in enumerate(serialized)]
        names = self.attrs.get("names")
        b = len(examples)
        ind, vals, shapes = [], [], []
        for key, dt in self.attrs["sparse"]:
            rows, parts, longest = [], [], 0
            for i, ex in enumerate(examples):
                f = ex.features.feature.get(key)
                v = None if f is None else _values(self, f, key, dt, _name(names, i))
                n = 0 if v is None else len(v)
                if n:
                    rows.append(np.stack([np.full(n, i), np.arange(n)], axis=1))
                    parts.append(v)
                longest = max(longest, n)
            ind.append(
                np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 2), np.int64)
            )
            vals.append(np.concatenate(parts) if parts else np.zeros(0, dt.np))
            shapes.append(np.array([b, longest], np.int64))
        dense = [
            self._dense(examples, key, dt, dims, d, var, names)
            for key, dt, dims, d, var in self.attrs["dense"]
        ]
        return ind + vals + shapes + dense

    def _dense(
        self,
        examples: list[Any],
        key: str,
        dt: dtypes.DType,
        dims: tuple[int, ...],
        default: np.ndarray | None,
        var: bool,
        names: Any,
    ) -> np.ndarray:
        per = int(np.prod(dims, dtype=np.int64))
        got = []
        for i, ex in enumerate(examples):
            f = ex.features.feature.get(key)
            v = None if f is None else _values(self, f, key, dt, _name(names, i))
            if var:
                if v is not None and per and len(v) % per:
                    raise self.error(
                        f"Name: {_name(names, i)}, Key: {key}, Index: {i}.  Number of "
                        f"{_TF_NAMES[dt.name]} values is not a multiple of {per}, the size of "
                        f"each element {list(dims)}; got {len(v)}."
                    )
                got.append(np.zeros(0, dt.np) if v is None else v)
                continue
            if v is None:
                if default is None:
                    raise self.error(
                        f"Feature: {key} (data type: {_TF_NAMES[dt.name]}) is required but "
                        "could not be found."
                    )
                got.append(default.reshape(-1))
            elif len(v) != per:
                raise self.error(
                    f"Name: {_name(names, i)}, Key: {key}, Index: {i}.  Number of "
                    f"{_TF_NAMES[dt.name]} values != expected.  Values size: {len(v)} but "
                    f"output shape: {list(dims)}"
                )
            else:
                got.append(v)
        if not var:
            if not got:
                return np.zeros((0, *dims), dt.np)
            return np.stack(got).astype(dt.np, copy=False).reshape(len(got), *dims)
        rows = [len(v) // per if per else 0 for v in got]
        longest = max(rows, default=0)
        out = np.full((len(got), longest * per), default, dtype=dt.np)
        for i, v in enumerate(got):
            out[i, : len(v)] = v
        return out.reshape(len(got), longest, *dims)


def _name(names: Any, i: int) -> str:
    if names is None or i >= len(names):
        return "<unknown>"
    n = names[i]
    return n.decode() if isinstance(n, bytes) else str(n)


# -- the Python API -----------------------------------------------------------------------------
def _sparse(indices: Tensor, values: Tensor, shape: Tensor) -> Any:
    from flowzero.framework.sparse_tensor import SparseTensor

    return SparseTensor(indices, values, shape)


def _merge_sparse_features(features: dict[str, Any], parsed: dict[str, Any]) -> dict[str, Any]:
    """The parsed features as asked: each SparseFeature combined from its index and value
    parts (as tf.sparse.merge does), the parts nobody asked for dropped."""
    from flowzero.ops import cast_ops, manip_ops, reshape_ops, sparse_array_ops

    for key in sorted(features):
        f = features[key]
        if not isinstance(f, SparseFeature):
            continue
        keys, sizes = _index_keys(key, f)
        ids = [parsed[k] for k in keys]
        vals = parsed[f.value_key]
        with ids[0].graph.name_scope("SparseMerge"):
            cols = [
                reshape_ops.reshape(cast_ops.cast(i.values, dtypes.int64), [-1, 1]) for i in ids
            ]
            ind = manip_ops.concat([ids[0].indices[:, :-1], *cols], axis=1)
            shape = manip_ops.concat([ids[0].dense_shape[:-1], np.array(sizes, np.int64)], axis=0)
            merged = _sparse(ind, vals.values, shape)
            if not f.already_sorted:
                merged = sparse_array_ops.sparse_reorder(merged)
        parsed[key] = merged
    return {k: v for k, v in parsed.items() if k in features}


def _example_names(example_names: Any) -> Any:
    if example_names is None:
        return None
    v = example_names
    if isinstance(v, Tensor):
        v = static_value(v)
        if v is None:
            return None
    return [x if isinstance(x, (bytes, str)) else str(x) for x in np.ravel(np.asarray(v, object))]


def parse_example(
    serialized: Any, features: Any, name: str | None = None, example_names: Any = None
) -> dict[str, Any]:
    """Parses a batch of serialized tf.train.Examples.

    Args:
        serialized: a string vector [batch] of serialized Examples.
        features: {key: FixedLenFeature | VarLenFeature | SparseFeature |
            FixedLenSequenceFeature}.
        name: a name for the op.
        example_names: names of the examples, used in error messages.

    Returns:
        {key: a dense Tensor [batch, *shape] (sequence features: [batch, longest, *shape]), a
        SparseTensor [batch, longest] for a VarLenFeature, or [batch, *size] for a
        SparseFeature}.

    Raises:
        ValueError: a bad feature config.
        InvalidArgumentError (at run time): a required feature is missing, or has the wrong
            number of values or the wrong type; the message names the feature key.

    Example:
        >>> def example(x):
        ...     floats = tf.train.Feature(float_list=tf.train.FloatList(value=x))
        ...     features = tf.train.Features(feature={"x": floats})
        ...     return tf.train.Example(features=features).SerializeToString()
        >>> records = tf.constant([example([1., 2.]), example([3., 4.])])
        >>> parsed = tf.parse_example(records, {"x": tf.FixedLenFeature([2], tf.float32)})
        >>> sess = tf.Session()
        >>> sess.run(parsed["x"])
        array([[1., 2.],
               [3., 4.]], dtype=float32)
    """
    attrs = _configs(features)
    attrs["names"] = _example_names(example_names)
    with _graph_for(serialized):
        s = convert_to_tensor(serialized, dtype=dtypes.string)
        outs = apply_op(ParseExample, [s], attrs, name=name or "ParseExample")
    outs = outs if isinstance(outs, list) else [outs]
    k = len(attrs["sparse"])
    result: dict[str, Any] = {}
    for j, (key, _) in enumerate(attrs["sparse"]):
        result[key] = _sparse(outs[j], outs[k + j], outs[2 * k + j])
    for j, cfg in enumerate(attrs["dense"]):
        result[cfg[0]] = outs[3 * k + j]
    return _merge_sparse_features(features, result)


def parse_single_example(
    serialized: Any, features: Any, name: str | None = None, example_names: Any = None
) -> dict[str, Any]:
    """Parses one serialized tf.train.Example (a scalar string): as parse_example without the
    batch dimension.

    Example:
        >>> label = tf.train.Feature(int64_list=tf.train.Int64List(value=[7]))
        >>> ex = tf.train.Example(features=tf.train.Features(feature={"label": label}))
        >>> record = tf.constant(ex.SerializeToString())
        >>> parsed = tf.parse_single_example(record, {"label": tf.FixedLenFeature([], tf.int64)})
        >>> sess = tf.Session()
        >>> print(sess.run(parsed["label"]))
        7
    """
    from flowzero.ops import reshape_ops

    with _graph_for(serialized):
        s = convert_to_tensor(serialized, dtype=dtypes.string)
        if s.shape.ndims not in (None, 0):
            raise ValueError(
                f"parse_single_example: serialized must be a scalar; got shape {s.shape}."
            )
        names = None if example_names is None else reshape_ops.reshape(example_names, [1])
        with s.graph.name_scope(name or "ParseSingleExample"):
            batch = parse_example(reshape_ops.reshape(s, [1]), features, None, names)
            out: dict[str, Any] = {}
            for key, v in batch.items():
                if isinstance(v, Tensor):
                    out[key] = reshape_ops.squeeze(v, [0])
                else:  # a SparseTensor [1, ...] -> [...]
                    out[key] = drop_batch(v)
            return out


def drop_batch(sp: Any) -> Any:
    """A SparseTensor [1, ...] as [...]: its indices' first column and first dim dropped."""
    return _sparse(sp.indices[:, 1:], sp.values, sp.dense_shape[1:])


__all__ = [
    "FixedLenFeature",
    "FixedLenSequenceFeature",
    "SparseFeature",
    "VarLenFeature",
    "parse_example",
    "parse_single_example",
]
