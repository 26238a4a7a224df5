"""Parsing serialized tf.train.SequenceExample protos: tf.io.parse_sequence_example (a batch)
and tf.io.parse_single_sequence_example.

A SequenceExample has context features (one Features map, as an Example's) and feature lists
(a list of Features per key, one per time step). One op, ParseSequenceExample (TF's), parses a
vector of them; its outputs are, in TF's order, the context's sparse parts (indices, values,
dense shapes) and dense values, the feature lists' sparse parts and dense values, then the
dense feature lists' lengths. The feature configurations are parsing_ops.py's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import TensorSpec, register_op, spec
from flowzero.ops.common import _graph_for
from flowzero.ops.parsing_ops import (
    _KIND_TYPES,
    _KINDS,
    _TF_NAMES,
    FixedLenFeature,
    FixedLenSequenceFeature,
    VarLenFeature,
    _default,
    _dims,
    _example_names,
    _feature_dtype,
    _name,
    _ParseBase,
    _sparse,
    _values,
    drop_batch,
)


def _seq_configs(context: Any, sequence: Any) -> dict[str, Any]:
    """The ParseSequenceExample attrs of the context and feature-list configs (sorted keys)."""
    context, sequence = dict(context or {}), dict(sequence or {})
    if not context and not sequence:
        raise ValueError("parse_sequence_example: Missing features (context and sequence).")
    c_sparse, c_dense, f_sparse, f_dense = [], [], [], []
    for key in sorted(context):
        f = context[key]
        if isinstance(f, VarLenFeature):
            c_sparse.append((key, _feature_dtype(key, f.dtype)))
        elif isinstance(f, FixedLenFeature):
            dt = _feature_dtype(key, f.dtype)
            dims = _dims(key, f.shape)
            d = None if f.default_value is None else _default(key, f.default_value, dt, dims)
            c_dense.append((key, dt, dims, d))
        else:
            raise ValueError(
                f"Context feature '{key}': unsupported config {f!r} (FixedLenFeature or "
                "VarLenFeature)."
            )
    for key in sorted(sequence):
        f = sequence[key]
        if isinstance(f, VarLenFeature):
            f_sparse.append((key, _feature_dtype(key, f.dtype)))
        elif isinstance(f, FixedLenSequenceFeature):
            if f.default_value is not None:
                raise ValueError(
                    f"Sequence feature '{key}': FixedLenSequenceFeature's default_value must "
                    f"be None in a feature list; got {f.default_value!r}."
                )
            dt = _feature_dtype(key, f.dtype)
            f_dense.append((key, dt, _dims(key, f.shape), bool(f.allow_missing)))
        else:
            raise ValueError(
                f"Sequence feature '{key}': unsupported config {f!r} (FixedLenSequenceFeature "
                "or VarLenFeature)."
            )
    return {"c_sparse": c_sparse, "c_dense": c_dense, "f_sparse": f_sparse, "f_dense": f_dense}


def _sparse_parts(
    rows: list[list[tuple[tuple[int, ...], np.ndarray]]], dt: dtypes.DType, lead: list[int]
) -> list[np.ndarray]:
    """Indices, values and dense shape of a sparse feature from, per example, its (index
    prefix, values) pieces; `lead` is the dense shape before the values' own dimension."""
    ind, vals, longest = [], [], 0
    for pieces in rows:
        for prefix, v in pieces:
            n = len(v)
            longest = max(longest, n)
            if n:
                pre = np.tile(np.array(prefix, np.int64), (n, 1))
                ind.append(np.concatenate([pre, np.arange(n, dtype=np.int64)[:, None]], axis=1))
                vals.append(v)
    rank = len(lead) + 1
    return [
        np.concatenate(ind) if ind else np.zeros((0, rank), np.int64),
        np.concatenate(vals).astype(dt.np, copy=False) if vals else np.zeros(0, dt.np),
        np.array([*lead, longest], np.int64),
    ]


@register_op("ParseSequenceExample")
class ParseSequenceExample(_ParseBase):
    """Parses a vector of serialized tf.train.SequenceExamples into context features and
    feature lists."""

    def infer(self, serialized: Tensor) -> list[TensorSpec]:
        if serialized.dtype is not dtypes.string:
            raise self.error(f"serialized must be a string tensor; got {serialized.dtype.name}.")
        if serialized.shape.ndims not in (None, 1):
            raise self.error(f"serialized must be a vector; got shape {serialized.shape}.")
        b = serialized.shape.known[0] if serialized.shape.ndims == 1 else None  # type: ignore[index]
        a = self.attrs

        def sparse(cfgs: list[Any], rank: int) -> list[TensorSpec]:
            return (
                [spec([None, rank], dtypes.int64) for _ in cfgs]
                + [spec([None], dt) for _, dt in cfgs]
                + [spec([rank], dtypes.int64) for _ in cfgs]
            )

        return (
            sparse(a["c_sparse"], 2)
            + [spec([b, *dims], dt) for _, dt, dims, _ in a["c_dense"]]
            + sparse(a["f_sparse"], 3)
            + [spec([b, None, *dims], dt) for _, dt, dims, _ in a["f_dense"]]
            + [spec([b], dtypes.int64) for _ in a["f_dense"]]
        )

    def _parse(self, data: bytes, index: int) -> Any:
        from flowzero.proto import example_pb2

        try:
            return example_pb2.SequenceExample.FromString(bytes(data))
        except Exception:  # protobuf's DecodeError and friends
            raise self.error(
                f"Could not parse example input, value {index}: '{data[:40]!r}'"
            ) from None

    def compute(self, serialized: np.ndarray) -> list[np.ndarray]:
        examples = [self._parse(s, i) for i, s in enumerate(serialized)]
        names = [_name(self.attrs.get("names"), i) for i in range(len(examples))]
        b = len(examples)
        a = self.attrs
        c_sp = [[], [], []]  # type: list[list[np.ndarray]]
        for key, dt in a["c_sparse"]:
            rows = []
            for i, ex in enumerate(examples):
                f = ex.context.feature.get(key)
                v = None if f is None else _values(self, f, key, dt, names[i])
                rows.append([] if v is None else [((i,), v)])
            for part, got in zip(c_sp, _sparse_parts(rows, dt, [b])):
                part.append(got)
        c_dense = [self._context(examples, names, *cfg) for cfg in a["c_dense"]]
        f_sp = [[], [], []]  # type: list[list[np.ndarray]]
        for key, dt in a["f_sparse"]:
            rows, steps = [], 0
            for i, ex in enumerate(examples):
                fl = ex.feature_lists.feature_list.get(key)
                feats = [] if fl is None else list(fl.feature)
                steps = max(steps, len(feats))
                rows.append(
                    [((i, t), self._step(f, key, dt, names[i], t)) for t, f in enumerate(feats)]
                )
            for part, got in zip(f_sp, _sparse_parts(rows, dt, [b, steps])):
                part.append(got)
        dense, lengths = [], []
        for cfg in a["f_dense"]:
            d, n = self._feature_list(examples, names, *cfg)
            dense.append(d)
            lengths.append(n)
        return [*c_sp[0], *c_sp[1], *c_sp[2], *c_dense, *f_sp[0], *f_sp[1], *f_sp[2]] + (
            dense + lengths
        )

    def _step(self, feature: Any, key: str, dt: dtypes.DType, name: str, t: int) -> np.ndarray:
        """One time step's values of a feature list, its kind checked (none set: no values)."""
        kind = feature.WhichOneof("kind")
        if kind is None:
            return np.zeros(0, dt.np)
        if kind != _KINDS[dt.name]:
            raise self.error(
                f"Name: {name}, Feature list: {key}, Index: {t}.  Data types don't match. "
                f"Data type: {_KIND_TYPES[kind]} but expected type: {_TF_NAMES[dt.name]}"
            )
        vals = getattr(feature, kind).value
        if dt is dtypes.string:
            return np.array(list(vals), dtype=object)
        return np.asarray(vals, dtype=dt.np)

    def _context(
        self,
        examples: list[Any],
        names: list[str],
        key: str,
        dt: dtypes.DType,
        dims: tuple[int, ...],
        default: np.ndarray | None,
    ) -> np.ndarray:
        per = int(np.prod(dims, dtype=np.int64))
        out = np.empty((len(examples), per), dt.np)
        for i, ex in enumerate(examples):
            f = ex.context.feature.get(key)
            v = None if f is None else _values(self, f, key, dt, names[i])
            if v is None:
                if default is None:
                    raise self.error(
                        f"Name: {names[i]}, Context feature '{key}' is required but could not "
                        "be found."
                    )
                v = default.reshape(-1)
            elif len(v) != per:
                raise self.error(
                    f"Name: {names[i]}, Key: {key}, Index: {i}.  Number of "
                    f"{_TF_NAMES[dt.name]} values != expected.  Values size: {len(v)} but "
                    f"output shape: {list(dims)}"
                )
            out[i] = v
        return out.reshape(len(examples), *dims)

    def _feature_list(
        self,
        examples: list[Any],
        names: list[str],
        key: str,
        dt: dtypes.DType,
        dims: tuple[int, ...],
        allow_missing: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        per = int(np.prod(dims, dtype=np.int64))
        got = []
        for i, ex in enumerate(examples):
            fl = ex.feature_lists.feature_list.get(key)
            if fl is None:
                if not allow_missing:
                    raise self.error(
                        f"Name: {names[i]}, Feature list '{key}' is required but could not be "
                        "found.  Did you mean to include it in "
                        "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?"
                    )
                got.append(np.zeros((0, per), dt.np))
                continue
            steps = [self._step(f, key, dt, names[i], t) for t, f in enumerate(fl.feature)]
            total = sum(len(s) for s in steps)
            if per and total % per:
                raise self.error(
                    f"Name: {names[i]}, Feature list '{key}' has an unexpected number of values. "
                    f" Total values size: {total} is not consistent with output shape: "
                    f"[?,{','.join(str(d) for d in dims)}]"
                )
            for t, s in enumerate(steps):
                if len(s) != per:
                    raise self.error(
                        f"Name: {names[i]}, Key: {key}, Index: {t}.  Number of values != "
                        f"expected.  values size: {len(s)} but output shape: {list(dims)}"
                    )
            got.append(np.stack(steps) if steps else np.zeros((0, per), dt.np))
        lengths = np.array([len(g) for g in got], np.int64)
        longest = int(lengths.max(initial=0))
        pad: Any = b"" if dt is dtypes.string else 0
        out = np.full((len(got), longest, per), pad, dtype=dt.np)
        for i, g in enumerate(got):
            out[i, : len(g)] = g
        return out.reshape(len(got), longest, *dims), lengths


# -- the Python API -----------------------------------------------------------------------------
def _parse(
    serialized: Any, context: Any, sequence: Any, names: Any, name: str | None, op_name: str
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Tensor]]:
    attrs = _seq_configs(context, sequence)
    attrs["names"] = _example_names(names)
    with _graph_for(serialized):
        s = convert_to_tensor(serialized, dtype=dtypes.string)
        outs = apply_op(ParseSequenceExample, [s], attrs, name=name or op_name)
    outs = outs if isinstance(outs, list) else [outs]
    pos = 0

    def take(n: int) -> list[Tensor]:
        nonlocal pos
        pos += n
        return outs[pos - n : pos]

    def sparse(cfgs: list[Any]) -> dict[str, Any]:
        k = len(cfgs)
        ind, val, shp = take(k), take(k), take(k)
        return {c[0]: _sparse(ind[j], val[j], shp[j]) for j, c in enumerate(cfgs)}

    ctx = sparse(attrs["c_sparse"])
    ctx.update(zip([c[0] for c in attrs["c_dense"]], take(len(attrs["c_dense"]))))
    seq = sparse(attrs["f_sparse"])
    keys = [c[0] for c in attrs["f_dense"]]
    seq.update(zip(keys, take(len(keys))))
    return ctx, seq, dict(zip(keys, take(len(keys))))


def parse_sequence_example(
    serialized: Any,
    context_features: Any = None,
    sequence_features: Any = None,
    example_names: Any = None,
    name: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Tensor]]:
    """Parses a batch of serialized tf.train.SequenceExamples.

    Args:
        serialized: a string vector [batch] of serialized SequenceExamples.
        context_features: {key: FixedLenFeature | VarLenFeature} read from the context.
        sequence_features: {key: FixedLenSequenceFeature | VarLenFeature} read from the
            feature lists.
        example_names: names of the examples, used in error messages.
        name: a name for the op.

    Returns:
        (context, feature_lists, lengths): context {key: Tensor [batch, *shape] or SparseTensor
        [batch, longest]}; feature_lists {key: Tensor [batch, longest steps, *shape], padded
        with 0 or b"", or SparseTensor [batch, steps, longest]}; lengths {key: int64 [batch],
        the number of steps of each FixedLenSequenceFeature}.

    Raises:
        ValueError: no features, or an unsupported config (a FixedLenSequenceFeature in the
            context, one with a default_value in the feature lists).
        InvalidArgumentError (at run time): a required feature or feature list is missing,
            or has the wrong number of values or the wrong type; the message names the key.

    Example:
        >>> def int64s(v):
        ...     return tf.train.Feature(int64_list=tf.train.Int64List(value=v))
        >>> def record(label, tokens):
        ...     steps = tf.train.FeatureList(feature=[int64s([t]) for t in tokens])
        ...     return tf.train.SequenceExample(
        ...         context=tf.train.Features(feature={"label": int64s([label])}),
        ...         feature_lists=tf.train.FeatureLists(feature_list={"tokens": steps}),
        ...     ).SerializeToString()
        >>> records = tf.constant([record(1, [4, 5, 6]), record(0, [7])])
        >>> ctx, seq, lengths = tf.io.parse_sequence_example(
        ...     records, {"label": tf.FixedLenFeature([], tf.int64)},
        ...     {"tokens": tf.FixedLenSequenceFeature([], tf.int64)})
        >>> sess = tf.Session()
        >>> print(sess.run(seq["tokens"]))
        [[4 5 6]
         [7 0 0]]
        >>> print(sess.run(ctx["label"]), sess.run(lengths["tokens"]))
        [1 0] [3 1]
    """
    return _parse(
        serialized,
        context_features,
        sequence_features,
        example_names,
        name,
        "ParseSequenceExample",
    )


def parse_single_sequence_example(
    serialized: Any,
    context_features: Any = None,
    sequence_features: Any = None,
    example_name: Any = None,
    name: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parses one serialized tf.train.SequenceExample (a scalar string): as
    parse_sequence_example without the batch dimension and without the lengths.

    Returns:
        (context, feature_lists): context {key: Tensor [*shape] or SparseTensor [n]};
        feature_lists {key: Tensor [steps, *shape] or SparseTensor [steps, longest]}.

    Example:
        >>> def step(v):
        ...     return tf.train.Feature(float_list=tf.train.FloatList(value=v))
        >>> steps = tf.train.FeatureList(feature=[step([1.0, 2.0]), step([3.0, 4.0])])
        >>> ex = tf.train.SequenceExample(
        ...     feature_lists=tf.train.FeatureLists(feature_list={"x": steps}))
        >>> record = tf.constant(ex.SerializeToString())
        >>> ctx, seq = tf.parse_single_sequence_example(
        ...     record, sequence_features={"x": tf.FixedLenSequenceFeature([2], tf.float32)})
        >>> print(tf.Session().run(seq["x"]))
        [[1. 2.]
         [3. 4.]]
    """
    from flowzero.ops import reshape_ops

    with _graph_for(serialized):
        s = convert_to_tensor(serialized, dtype=dtypes.string)
        if s.shape.ndims not in (None, 0):
            raise ValueError(
                f"parse_single_sequence_example: serialized must be a scalar; got shape {s.shape}."
            )
        names = None if example_name is None else reshape_ops.reshape(example_name, [1])
        with s.graph.name_scope(name or "ParseSingleSequenceExample"):
            ctx, seq, _ = _parse(
                reshape_ops.reshape(s, [1]),
                context_features,
                sequence_features,
                names,
                None,
                "ParseSequenceExample",
            )
            out = []
            for parsed in (ctx, seq):
                out.append(
                    {
                        k: reshape_ops.squeeze(v, [0]) if isinstance(v, Tensor) else drop_batch(v)
                        for k, v in parsed.items()
                    }
                )
            return out[0], out[1]


__all__ = ["parse_single_sequence_example"]
