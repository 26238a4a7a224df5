"""tf.metrics: streaming metrics over many `sess.run`s, as TF1 evaluation loops use them.

Each metric returns `(value, update_op)`. Its running totals are local variables (in
LOCAL_VARIABLES and METRIC_VARIABLES, initialized by `tf.local_variables_initializer()`);
running `update_op` adds a batch and returns the updated value, `value` reads the current one
(0 before any data, as TF).

    acc, acc_update = tf.metrics.accuracy(labels=y, predictions=tf.argmax(logits, 1))
    sess.run(tf.local_variables_initializer())
    for batch in batches:
        sess.run(acc_update, feed(batch))
    print(sess.run(acc))
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    add_to_collections,
    control_dependencies,
    convert_to_tensor,
)
from flowzero.ops import (
    array_ops,
    cast_ops,
    division_ops,
    logic_ops,
    math_ops,
    reduction_ops,
    state_ops,
    unary_ops,
)
from flowzero.ops.indexing_ops import where
from flowzero.variables import Variable, variable_scope


def _local(name: str, dtype: Any = dtypes.float32) -> Variable:
    return Variable(
        array_ops.zeros([], dtype=dtype),
        trainable=False,
        name=name,
        collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
    )


def _where_ratio(num: Any, den: Any, name: str) -> Tensor:
    """num / den, 0 where den is 0 (no data yet)."""
    safe = math_ops.maximum(den, 1e-30)
    return where(
        logic_ops.greater(den, 0.0),
        division_ops.truediv(num, safe),
        array_ops.zeros_like(num),
        name=name,
    )


def _float(x: Any) -> Tensor:
    t = convert_to_tensor(x)
    return t if t.dtype is dtypes.float32 else cast_ops.cast(t, dtypes.float32)


def _weights_like(values: Tensor, weights: Any) -> Tensor:
    if weights is None:
        return array_ops.ones_like(values)
    return _float(weights) * array_ops.ones_like(values)


def _collect(
    value: Tensor, update: Any, metrics_collections: Any, updates_collections: Any
) -> tuple[Tensor, Any]:
    if metrics_collections:
        add_to_collections(metrics_collections, value)
    if updates_collections:
        add_to_collections(updates_collections, update)
    return value, update


def _streaming_mean(values: Any, weights: Any) -> tuple[Tensor, Tensor]:
    """(value, update_op) of a weighted mean whose total and count live in the current scope."""
    v = _float(values)
    w = _weights_like(v, weights)
    total, count = _local("total"), _local("count")
    update_total = state_ops.assign_add(total, reduction_ops.reduce_sum(v * w))
    update_count = state_ops.assign_add(count, reduction_ops.reduce_sum(w))
    value = _where_ratio(total.value(), count.value(), "value")
    with control_dependencies([update_total, update_count]):
        update = _where_ratio(update_total, update_count, "update_op")
    return value, update


def mean(
    values: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The (weighted) mean of every value seen: sum(w * v) / sum(w)."""
    with variable_scope(name, "mean"):
        value, update = _streaming_mean(values, weights)
    return _collect(value, update, metrics_collections, updates_collections)


def _check_same_shape(labels: Tensor, predictions: Tensor, what: str) -> None:
    if not labels.shape.is_compatible_with(predictions.shape):
        raise ValueError(
            f"tf.metrics.{what}: labels and predictions must have the same shape; "
            f"got labels {labels.shape}, predictions {predictions.shape}."
        )


def accuracy(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """How often predictions equal labels (weighted)."""
    labels, predictions = convert_to_tensor(labels), convert_to_tensor(predictions)
    _check_same_shape(labels, predictions, "accuracy")
    if labels.dtype is not predictions.dtype:
        predictions = cast_ops.cast(predictions, labels.dtype)
    with variable_scope(name, "accuracy"):
        correct = cast_ops.cast(logic_ops.equal(labels, predictions), dtypes.float32)
        value, update = _streaming_mean(correct, weights)
    return _collect(value, update, metrics_collections, updates_collections)


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The mean of (labels - predictions)^2 over every element seen."""
    labels, predictions = _float(labels), _float(predictions)
    _check_same_shape(labels, predictions, "mean_squared_error")
    with variable_scope(name, "mean_squared_error"):
        value, update = _streaming_mean(math_ops.squared_difference(labels, predictions), weights)
    return _collect(value, update, metrics_collections, updates_collections)


def mean_absolute_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The mean of |labels - predictions| over every element seen."""
    labels, predictions = _float(labels), _float(predictions)
    _check_same_shape(labels, predictions, "mean_absolute_error")
    with variable_scope(name, "mean_absolute_error"):
        value, update = _streaming_mean(unary_ops.abs(labels - predictions), weights)
    return _collect(value, update, metrics_collections, updates_collections)


def root_mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The square root of mean_squared_error."""
    labels, predictions = _float(labels), _float(predictions)
    _check_same_shape(labels, predictions, "root_mean_squared_error")
    with variable_scope(name, "root_mean_squared_error"):
        mse, update = _streaming_mean(math_ops.squared_difference(labels, predictions), weights)
        value, update = unary_ops.sqrt(mse), unary_ops.sqrt(update)
    return _collect(value, update, metrics_collections, updates_collections)


def _count(cond: Tensor, weights: Any, name: str) -> tuple[Variable, Tensor]:
    c = cast_ops.cast(cond, dtypes.float32)
    w = _weights_like(c, weights)
    var = _local(name)
    return var, state_ops.assign_add(var, reduction_ops.reduce_sum(c * w))


def _bool_pair(labels: Any, predictions: Any, what: str) -> tuple[Tensor, Tensor]:
    labels, predictions = convert_to_tensor(labels), convert_to_tensor(predictions)
    _check_same_shape(labels, predictions, what)
    as_bool = [
        t if t.dtype is dtypes.bool else logic_ops.not_equal(t, array_ops.zeros_like(t))
        for t in (labels, predictions)
    ]
    return as_bool[0], as_bool[1]


# Which (label, prediction) pairs each confusion count counts.
_CONFUSION = {
    "true_positives": lambda lab, pred: logic_ops.logical_and(lab, pred),
    "false_positives": lambda lab, pred: logic_ops.logical_and(logic_ops.logical_not(lab), pred),
    "false_negatives": lambda lab, pred: logic_ops.logical_and(lab, logic_ops.logical_not(pred)),
}


def _confusion(
    kind: str,
    labels: Any,
    predictions: Any,
    weights: Any,
    metrics_collections: Any,
    updates_collections: Any,
    name: str | None,
) -> tuple[Tensor, Tensor]:
    with variable_scope(name, kind):
        lab, pred = _bool_pair(labels, predictions, kind)
        var, update = _count(_CONFUSION[kind](lab, pred), weights, "count")
    return _collect(var.value(), update, metrics_collections, updates_collections)


def true_positives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The (weighted) count of label and prediction both true."""
    return _confusion(
        "true_positives",
        labels,
        predictions,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def false_positives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The (weighted) count of a true prediction with a false label."""
    return _confusion(
        "false_positives",
        labels,
        predictions,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def false_negatives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The (weighted) count of a false prediction with a true label."""
    return _confusion(
        "false_negatives",
        labels,
        predictions,
        weights,
        metrics_collections,
        updates_collections,
        name,
    )


def _pair_ratio(
    first: Any, second: Any, name: str, metrics_collections: Any, updates_collections: Any
) -> tuple[Tensor, Any]:
    tp, tp_up = first
    other, other_up = second
    value = _where_ratio(tp, tp + other, "value")
    with control_dependencies([tp_up, other_up]):
        update = _where_ratio(tp_up, tp_up + other_up, "update_op")
    return _collect(value, update, metrics_collections, updates_collections)


def precision(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """true_positives / (true_positives + false_positives) over everything seen."""
    with variable_scope(name, "precision"):
        return _pair_ratio(
            true_positives(labels, predictions, weights),
            false_positives(labels, predictions, weights),
            "precision",
            metrics_collections,
            updates_collections,
        )


def recall(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """true_positives / (true_positives + false_negatives) over everything seen."""
    with variable_scope(name, "recall"):
        return _pair_ratio(
            true_positives(labels, predictions, weights),
            false_negatives(labels, predictions, weights),
            "recall",
            metrics_collections,
            updates_collections,
        )


__all__ = [
    "accuracy",
    "mean",
    "mean_squared_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "true_positives",
    "false_positives",
    "false_negatives",
    "precision",
    "recall",
]


def __getattr__(name: str) -> object:
    """A name TF 1.15's tf.metrics has and flowzero lacks says so (flowzero.compat)."""
    import importlib

    from flowzero.compat import missing_attribute

    raise missing_attribute("metrics", name, importlib.import_module(__name__))
