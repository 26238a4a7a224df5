"""tf.feature_column: how raw input features become the dense tensors a model reads.

A column names a feature (`features[key]`) and says how to transform it: numeric columns pass
values through (optionally normalized), categorical columns turn values into integer ids
(identity, a vocabulary list, buckets of a numeric column), and embedding / indicator columns
turn ids into dense vectors. `input_layer` concatenates dense columns (sorted by name, as TF
does); `linear_model` gives every column its own weights and sums them.

Categorical ids are dense int64 tensors of shape [batch, k] (k values per example; -1 marks a
missing or unknown value, which contributes nothing), the dense form of TF's SparseTensor ids.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, convert_to_tensor

# -- building blocks -------------------------------------------------------------------------


def _ops() -> Any:
    import flowzero

    return flowzero


def _feature(features: Mapping[str, Any], key: str) -> Tensor:
    if not isinstance(features, Mapping):
        raise ValueError(
            f"features must be a dict of feature name -> Tensor; got {type(features).__name__}."
        )
    if key not in features:
        raise ValueError(f"The feature '{key}' is not in features; available: {sorted(features)}.")
    return convert_to_tensor(features[key])


def _as_2d(x: Tensor) -> Tensor:
    """[batch] -> [batch, 1]; [batch, ...] -> [batch, prod(...)]."""
    tf = _ops()
    nd = x.shape.ndims
    if nd == 1:
        return tf.expand_dims(x, 1)
    if nd == 2:
        return x
    return tf.reshape(x, [-1, int(math.prod(x.shape.as_list()[1:]))])


class _FeatureColumn:
    name: str

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    def _sort_key(self) -> str:
        return self.name


class _DenseColumn(_FeatureColumn):
    def _dense(self, features: Mapping[str, Any], trainable: bool) -> Tensor:
        raise NotImplementedError

    @property
    def _variable_shape(self) -> int:
        raise NotImplementedError


class _CategoricalColumn(_FeatureColumn):
    num_buckets: int

    def _ids(self, features: Mapping[str, Any]) -> Tensor:
        """int64 ids [batch, k]; -1 where a value is missing or unknown."""
        raise NotImplementedError


# -- numeric and bucketized --------------------------------------------------------------------
class NumericColumn(_DenseColumn):
    def __init__(
        self,
        key: str,
        shape: tuple[int, ...],
        default_value: Any,
        dtype: Any,
        normalizer_fn: Callable[[Tensor], Tensor] | None,
    ) -> None:
        self.key, self.shape, self.default_value = key, shape, default_value
        self.dtype, self.normalizer_fn = dtype, normalizer_fn
        self.name = key

    @property
    def _variable_shape(self) -> int:
        return int(math.prod(self.shape))

    def _raw(self, features: Mapping[str, Any]) -> Tensor:
        tf = _ops()
        x = _feature(features, self.key)
        if not (x.dtype.is_floating or x.dtype.is_integer):
            raise ValueError(
                f"The column '{self.key}' is numeric, but its feature has dtype "
                f"{x.dtype.name}. A string feature needs a categorical column."
            )
        x = tf.cast(x, self.dtype)
        if self.normalizer_fn is not None:
            x = self.normalizer_fn(x)
        return x

    def _dense(self, features: Mapping[str, Any], trainable: bool) -> Tensor:
        tf = _ops()
        x = _as_2d(tf.cast(self._raw(features), tf.float32))
        n = x.shape.as_list()[1] if x.shape.ndims == 2 else None
        if n is not None and n != self._variable_shape:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"numeric_column '{self.key}': each example must have "
                f"{self._variable_shape} values (shape {list(self.shape)}); the feature has "
                f"{n}.",
            )
        return x


def numeric_column(
    key: str,
    shape: Any = (1,),
    default_value: Any = None,
    dtype: Any = dtypes.float32,
    normalizer_fn: Callable[[Tensor], Tensor] | None = None,
) -> NumericColumn:
    """A real-valued feature `features[key]` of per-example `shape`.

    Example:
        >>> price = tf.feature_column.numeric_column("price")
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"key must be a non-empty string; got {key!r}.")
    shape = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
    if not shape or any(s <= 0 for s in shape):
        raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    dt = dtypes.as_dtype(dtype)
    if not (dt.is_floating or dt.is_integer):
        raise ValueError(f"dtype must be convertible to float. dtype: {dt.name}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    return NumericColumn(key, shape, default_value, dt, normalizer_fn)


class BucketizedColumn(_DenseColumn, _CategoricalColumn):
    def __init__(self, source_column: NumericColumn, boundaries: tuple[float, ...]) -> None:
        self.source_column, self.boundaries = source_column, boundaries
        self.name = f"{source_column.name}_bucketized"
        self.num_buckets = (len(boundaries) + 1) * source_column._variable_shape

    @property
    def _variable_shape(self) -> int:
        return self.num_buckets

    def _bucket(self, features: Mapping[str, Any]) -> Tensor:
        tf = _ops()
        x = _as_2d(tf.cast(self.source_column._raw(features), tf.float32))
        ids = tf.zeros_like(x, dtype=tf.int64)
        for b in self.boundaries:  # ids = number of boundaries <= x
            ids = ids + tf.cast(tf.greater_equal(x, float(b)), tf.int64)
        return ids  # [batch, n]

    def _dense(self, features: Mapping[str, Any], trainable: bool) -> Tensor:
        tf = _ops()
        one_hot = tf.one_hot(self._bucket(features), len(self.boundaries) + 1)  # [b, n, B]
        return tf.reshape(one_hot, [-1, self.num_buckets])

    def _ids(self, features: Mapping[str, Any]) -> Tensor:
        tf = _ops()
        ids = self._bucket(features)
        n = self.source_column._variable_shape
        offsets = tf.constant([[i * (len(self.boundaries) + 1) for i in range(n)]], tf.int64)
        return ids + offsets


def bucketized_column(source_column: NumericColumn, boundaries: Any) -> BucketizedColumn:
    """Buckets a numeric column by `boundaries` (sorted): bucket i holds
    boundaries[i-1] <= x < boundaries[i]. Dense (one-hot) or categorical.

    Example:
        >>> age = tf.feature_column.numeric_column("age")
        >>> age_buckets = tf.feature_column.bucketized_column(age, [18, 25, 30, 35, 40])
    """
    if not isinstance(source_column, NumericColumn):
        raise ValueError(
            f"source_column must be a column generated with numeric_column(). "
            f"Given: {source_column}"
        )
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    b = tuple(float(x) for x in (boundaries or ()))
    if not b or any(b[i] >= b[i + 1] for i in range(len(b) - 1)):
        raise ValueError(
            f"boundaries must be a sorted list (strictly increasing, non-empty); "
            f"got {boundaries!r}."
        )
    return BucketizedColumn(source_column, b)


# -- categorical -------------------------------------------------------------------------------
class IdentityCategoricalColumn(_CategoricalColumn):
    def __init__(self, key: str, num_buckets: int, default_value: int | None) -> None:
        self.key, self.num_buckets, self.default_value = key, num_buckets, default_value
        self.name = key

    def _ids(self, features: Mapping[str, Any]) -> Tensor:
        tf = _ops()
        x = _feature(features, self.key)
        if not x.dtype.is_integer:
            raise ValueError(
                f"categorical_column_with_identity '{self.key}': the feature must "
                f"be integer ids; got dtype {x.dtype.name}."
            )
        ids = _as_2d(tf.cast(x, tf.int64))
        bad = tf.logical_or(tf.less(ids, 0), tf.greater_equal(ids, self.num_buckets))
        fill = -1 if self.default_value is None else int(self.default_value)
        return tf.where(bad, tf.fill(tf.shape(ids), tf.constant(fill, tf.int64)), ids)


def categorical_column_with_identity(
    key: str, num_buckets: int, default_value: int | None = None
) -> IdentityCategoricalColumn:
    """Integer ids in [0, num_buckets) used as they are; others become `default_value` (or
    are ignored when it is None).

    Example:
        >>> weekday = tf.feature_column.categorical_column_with_identity("weekday", 7)
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and not 0 <= default_value < num_buckets:
        raise ValueError(
            f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}"
        )
    return IdentityCategoricalColumn(key, int(num_buckets), default_value)


class VocabularyListCategoricalColumn(_CategoricalColumn):
    def __init__(
        self,
        key: str,
        vocabulary_list: tuple[Any, ...],
        dtype: Any,
        default_value: int,
        num_oov_buckets: int,
    ) -> None:
        self.key, self.vocabulary_list, self.dtype = key, vocabulary_list, dtype
        self.default_value, self.num_oov_buckets = default_value, num_oov_buckets
        self.name = key
        self.num_buckets = len(vocabulary_list) + num_oov_buckets

    def _ids(self, features: Mapping[str, Any]) -> Tensor:
        tf = _ops()
        x = _as_2d(_feature(features, self.key))
        if (x.dtype is dtypes.string) != (self.dtype is dtypes.string):
            raise ValueError(
                f"categorical_column_with_vocabulary_list '{self.key}': the "
                f"vocabulary is {self.dtype.name}, the feature is "
                f"{x.dtype.name}."
            )
        vocab = [v.encode() if isinstance(v, str) else v for v in self.vocabulary_list]
        if x.dtype is not dtypes.string:
            x = tf.cast(x, tf.int64)
        hits = tf.stack([tf.cast(tf.equal(x, v), tf.int64) for v in vocab], axis=-1)
        found = tf.reduce_sum(hits, axis=-1)
        idx = tf.argmax(hits, axis=-1)
        # NOTE: every unknown value goes to the first OOV bucket (TF hashes it into one of
        # num_oov_buckets); with no OOV buckets it becomes default_value (-1: ignored).
        miss = len(vocab) if self.num_oov_buckets else int(self.default_value)
        return tf.where(
            tf.greater(found, 0), idx, tf.fill(tf.shape(idx), tf.constant(miss, tf.int64))
        )


def categorical_column_with_vocabulary_list(
    key: str,
    vocabulary_list: Any,
    dtype: Any = None,
    default_value: int = -1,
    num_oov_buckets: int = 0,
) -> VocabularyListCategoricalColumn:
    """Strings (or integers) mapped to their index in `vocabulary_list`.

    Example:
        >>> color = tf.feature_column.categorical_column_with_vocabulary_list(
        ...     "color", ["red", "green", "blue"])
    """
    vocab = tuple(vocabulary_list or ())
    if not vocab:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocab)) != len(vocab):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    if num_oov_buckets < 0:
        raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    if num_oov_buckets and default_value != -1:
        raise ValueError(f"Can't specify both default_value and num_oov_buckets in {key}.")
    is_str = isinstance(vocab[0], (str, bytes))
    dt = (
        dtypes.as_dtype(dtype) if dtype is not None else (dtypes.string if is_str else dtypes.int64)
    )
    return VocabularyListCategoricalColumn(key, vocab, dt, int(default_value), int(num_oov_buckets))


def _mask_and_weights(ids: Tensor) -> tuple[Tensor, Tensor]:
    """(ids with -1 replaced by 0, float mask [batch, k] of the valid ones)."""
    tf = _ops()
    valid = tf.greater_equal(ids, 0)
    return tf.where(valid, ids, tf.zeros_like(ids)), tf.cast(valid, tf.float32)


# -- dense views of categorical columns --------------------------------------------------------
class IndicatorColumn(_DenseColumn):
    def __init__(self, categorical_column: _CategoricalColumn) -> None:
        self.categorical_column = categorical_column
        self.name = f"{categorical_column.name}_indicator"

    @property
    def _variable_shape(self) -> int:
        return self.categorical_column.num_buckets

    def _dense(self, features: Mapping[str, Any], trainable: bool) -> Tensor:
        tf = _ops()
        ids, mask = _mask_and_weights(self.categorical_column._ids(features))
        one_hot = tf.one_hot(ids, self.categorical_column.num_buckets)  # [b, k, n]
        return tf.reduce_sum(one_hot * tf.expand_dims(mask, -1), axis=1)


def indicator_column(categorical_column: _CategoricalColumn) -> IndicatorColumn:
    """A multi-hot [batch, num_buckets] view of a categorical column (counts of each id)."""
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(
            f"categorical_column must be a categorical column; got {categorical_column}."
        )
    return IndicatorColumn(categorical_column)


class EmbeddingColumn(_DenseColumn):
    def __init__(
        self,
        categorical_column: _CategoricalColumn,
        dimension: int,
        combiner: str,
        initializer: Any,
        trainable: bool,
    ) -> None:
        self.categorical_column, self.dimension = categorical_column, dimension
        self.combiner, self.initializer, self.trainable = combiner, initializer, trainable
        self.name = f"{categorical_column.name}_embedding"

    @property
    def _variable_shape(self) -> int:
        return self.dimension

    def _dense(self, features: Mapping[str, Any], trainable: bool) -> Tensor:
        tf = _ops()
        weights = tf.get_variable(
            "embedding_weights",
            [self.categorical_column.num_buckets, self.dimension],
            initializer=self.initializer,
            trainable=self.trainable and trainable,
        )
        ids, mask = _mask_and_weights(self.categorical_column._ids(features))
        emb = tf.gather(weights, ids) * tf.expand_dims(mask, -1)  # [b, k, d]
        return _combine(emb, mask, self.combiner)


def _combine(values: Tensor, mask: Tensor, combiner: str) -> Tensor:
    """Combines [b, k, d] values over k by `combiner` ('sum', 'mean', 'sqrtn')."""
    tf = _ops()
    total = tf.reduce_sum(values, axis=1)
    if combiner == "sum":
        return total
    count = tf.reduce_sum(mask, axis=1, keepdims=True)
    if combiner == "sqrtn":
        count = tf.sqrt(count)
    return total / tf.maximum(count, 1e-12)


def embedding_column(
    categorical_column: _CategoricalColumn,
    dimension: int,
    combiner: str = "mean",
    initializer: Any = None,
    ckpt_to_load_from: Any = None,
    tensor_name_in_ckpt: Any = None,
    max_norm: Any = None,
    trainable: bool = True,
) -> EmbeddingColumn:
    """A learned [num_buckets, dimension] embedding of a categorical column; an example's
    vectors are combined by `combiner` ('mean', 'sum' or 'sqrtn').

    Example:
        >>> color = tf.feature_column.categorical_column_with_vocabulary_list(
        ...     "color", ["red", "green", "blue"])
        >>> color_8d = tf.feature_column.embedding_column(color, dimension=8)
        >>> net = tf.feature_column.input_layer({"color": tf.constant([["red"], ["blue"]])},
        ...                                     [color_8d])
        >>> print(net.shape)
        (2, 8)
    """
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if combiner not in ("mean", "sum", "sqrtn"):
        raise ValueError(f"combiner must be 'mean', 'sum' or 'sqrtn'; got {combiner!r}.")
    if not isinstance(categorical_column, _CategoricalColumn):
        raise ValueError(
            f"categorical_column must be a categorical column; got {categorical_column}."
        )
    if ckpt_to_load_from is not None or max_norm is not None:
        raise NotImplementedError(
            "embedding_column: ckpt_to_load_from and max_norm are not supported by flowzero."
        )
    if initializer is None:
        from flowzero.variables import truncated_normal_initializer

        initializer = truncated_normal_initializer(mean=0.0, stddev=1 / math.sqrt(dimension))
    elif not callable(initializer):
        raise ValueError("initializer must be callable if specified.")
    return EmbeddingColumn(categorical_column, int(dimension), combiner, initializer, trainable)


# -- using columns -----------------------------------------------------------------------------
def _columns(feature_columns: Any) -> list[_FeatureColumn]:
    if isinstance(feature_columns, _FeatureColumn):
        feature_columns = [feature_columns]
    cols = list(feature_columns or [])
    if not cols:
        raise ValueError("feature_columns must not be empty.")
    for c in cols:
        if not isinstance(c, _FeatureColumn):
            raise ValueError(
                f"Items of feature_columns must be a FeatureColumn. Given "
                f"(type {type(c).__name__}): {c}."
            )
    names = [c.name for c in cols]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"Duplicate feature column name found for columns: {sorted(dup)}.")
    return sorted(cols, key=lambda c: c._sort_key())


def input_layer(
    features: Mapping[str, Any],
    feature_columns: Any,
    weight_collections: Any = None,
    trainable: bool = True,
    cols_to_vars: Any = None,
) -> Tensor:
    """The dense input [batch, sum of widths]: every dense column's tensor, concatenated in
    the order of the columns' names.

    Raises:
        ValueError: a categorical column (wrap it in embedding_column or indicator_column),
            or a feature missing from `features`.

    Example:
        >>> color = tf.feature_column.categorical_column_with_vocabulary_list(
        ...     "color", ["red", "green", "blue"])
        >>> price = tf.feature_column.numeric_column("price")
        >>> features = {"color": tf.constant([["red"], ["blue"]]),
        ...             "price": tf.constant([[1.5], [3.0]])}
        >>> net = tf.feature_column.input_layer(
        ...     features, [price, tf.feature_column.indicator_column(color)])
        >>> tf.Session().run(net)   # color_indicator's 3 columns, then price
        array([[1. , 0. , 0. , 1.5],
               [0. , 0. , 1. , 3. ]], dtype=float32)
    """
    tf = _ops()
    cols = _columns(feature_columns)
    outs = []
    with tf.variable_scope(None, default_name="input_layer"):
        for c in cols:
            if not isinstance(c, _DenseColumn):
                raise ValueError(
                    f"Items of feature_columns must be a _DenseColumn. You can "
                    f"wrap a categorical column with an embedding_column or "
                    f"indicator_column. Given: {c}"
                )
            with tf.variable_scope(None, default_name=c.name):
                outs.append(c._dense(features, trainable))
    return outs[0] if len(outs) == 1 else tf.concat(outs, axis=1)


def linear_model(
    features: Mapping[str, Any],
    feature_columns: Any,
    units: int = 1,
    sparse_combiner: str = "sum",
    weight_collections: Any = None,
    trainable: bool = True,
    cols_to_vars: Any = None,
) -> Tensor:
    """A linear prediction [batch, units]: each column gets its own weights (zeros at
    first); categorical columns look up one weight row per id, combined by
    `sparse_combiner`; plus a bias."""
    tf = _ops()
    cols = _columns(feature_columns)
    parts = []
    with tf.variable_scope(None, default_name="linear_model"):
        for c in cols:
            with tf.variable_scope(None, default_name=c.name):
                if isinstance(c, _CategoricalColumn) and not isinstance(c, NumericColumn):
                    w = tf.get_variable(
                        "weights",
                        [c.num_buckets, units],
                        initializer=tf.zeros_initializer(),
                        trainable=trainable,
                    )
                    ids, mask = _mask_and_weights(c._ids(features))
                    rows = tf.gather(w, ids) * tf.expand_dims(mask, -1)
                    parts.append(_combine(rows, mask, sparse_combiner))
                else:
                    x = c._dense(features, trainable)  # type: ignore[attr-defined]
                    w = tf.get_variable(
                        "weights",
                        [c._variable_shape, units],  # type: ignore
                        initializer=tf.zeros_initializer(),
                        trainable=trainable,
                    )
                    parts.append(tf.matmul(x, w))
        bias = tf.get_variable(
            "bias_weights", [units], initializer=tf.zeros_initializer(), trainable=trainable
        )
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return tf.nn.bias_add(total, bias, name="weighted_sum")


__all__ = [
    "numeric_column",
    "bucketized_column",
    "categorical_column_with_identity",
    "categorical_column_with_vocabulary_list",
    "indicator_column",
    "embedding_column",
    "input_layer",
    "linear_model",
]
