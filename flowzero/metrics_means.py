"""tf.metrics, continued: means of derived values (cosine distance, relative error, fraction
below a threshold), the elementwise mean of a tensor, and mean per-class accuracy.

Same contract as flowzero.metrics: `(value, update_op)` over local variables in LOCAL_VARIABLES
and METRIC_VARIABLES, named as TF 1.15 names them (a checkpoint or a test can look them up).
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor
from flowzero.metrics import _check_same_shape, _collect, _float, _local, mean
from flowzero.ops import (
    array_ops,
    cast_ops,
    division_ops,
    logic_ops,
    math_ops,
    more_math_ops,
    reduction_ops,
    reshape_ops,
    scatter_ops,
    state_ops,
    unary_ops,
)
from flowzero.ops.indexing_ops import where
from flowzero.variables import variable_scope


def mean_tensor(
    values: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The elementwise (weighted) mean of `values` over every batch seen: one running total
    and count per element, so `values` needs a fully known shape.

    Returns:
        (mean, update_op), both of `values`' shape; 0 where nothing was counted yet.

    Raises:
        ValueError: `values` has a partly unknown shape.

    Example:
        >>> losses = tf.placeholder(tf.float32, [3])   # one loss per step
        >>> m, m_update = tf.metrics.mean_tensor(losses)
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())
        >>> _ = sess.run(m_update, {losses: [1.0, 2.0, 3.0]})
        >>> sess.run(m_update, {losses: [3.0, 4.0, 5.0]})
        array([2., 3., 4.], dtype=float32)
    """
    values = _float(values)
    if not values.shape.is_fully_defined():
        raise ValueError(
            f"tf.metrics.mean_tensor: values must have a fully known shape (one running total "
            f"per element); got {values.shape}."
        )
    with variable_scope(name, "mean"):
        shape = values.shape.as_list()
        total = _local("total_tensor", shape=shape)
        count = _local("count_tensor", shape=shape)
        num = array_ops.ones_like(values)
        if weights is not None:
            w = _float(weights) * num
            values, num = values * w, w
        update_total = state_ops.assign_add(total, values)
        update_count = state_ops.assign_add(count, num)
        value = more_math_ops.div_no_nan(
            total.value(), math_ops.maximum(count.value(), 0.0), name="value"
        )
        update = more_math_ops.div_no_nan(
            update_total, math_ops.maximum(update_count, 0.0), name="update_op"
        )
    return _collect(value, update, metrics_collections, updates_collections)


def mean_relative_error(
    labels: Any,
    predictions: Any,
    normalizer: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The mean of |labels - predictions| / normalizer (0 where the normalizer is 0).

    Raises:
        ValueError: labels, predictions and normalizer do not have the same shape.
    """
    labels, predictions, normalizer = _float(labels), _float(predictions), _float(normalizer)
    _check_same_shape(labels, predictions, "mean_relative_error")
    _check_same_shape(predictions, normalizer, "mean_relative_error", "predictions", "normalizer")
    relative = where(
        logic_ops.equal(normalizer, 0.0),
        array_ops.zeros_like(labels),
        division_ops.truediv(unary_ops.abs(labels - predictions), normalizer),
    )
    return mean(
        relative, weights, metrics_collections, updates_collections, name or "mean_relative_error"
    )


def mean_cosine_distance(
    labels: Any,
    predictions: Any,
    dim: int,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """1 - the mean of sum(labels * predictions) along `dim`: the mean cosine distance of
    unit-normalized vectors (normalize them first, e.g. with tf.nn.l2_normalize).

    Raises:
        ValueError: labels and predictions do not have the same shape.
    """
    labels, predictions = _float(labels), _float(predictions)
    _check_same_shape(labels, predictions, "mean_cosine_distance")
    radial = reduction_ops.reduce_sum(predictions * labels, axis=[dim], keepdims=True)
    value, update = mean(radial, weights, None, None, name or "mean_cosine_distance")
    value, update = math_ops.subtract(1.0, value), math_ops.subtract(1.0, update)
    return _collect(value, update, metrics_collections, updates_collections)


def percentage_below(
    values: Any,
    threshold: float,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The (weighted) fraction of values strictly below `threshold`."""
    below = cast_ops.cast(logic_ops.less(_float(values), threshold), dtypes.float32)
    return mean(
        below,
        weights,
        metrics_collections,
        updates_collections,
        name or "percentage_below_threshold",
    )


def mean_per_class_accuracy(
    labels: Any,
    predictions: Any,
    num_classes: int,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The mean over all `num_classes` classes of each class's accuracy (the weighted fraction
    of its examples predicted right; 0 for a class never seen, and still in the mean, as TF).

    Args:
        labels, predictions: integer class ids in [0, num_classes), flattened when of rank > 1.

    Returns:
        (mean_accuracy, update_op): as TF, update_op returns the per-class accuracies
        [num_classes], not their mean.

    Raises:
        ValueError: labels and predictions do not have the same number of elements.
        InvalidArgumentError (at run time): a label outside [0, num_classes).
    """
    with variable_scope(name, "mean_accuracy"):
        labels = cast_ops.cast(convert_to_tensor(labels), dtypes.int64)
        predictions = convert_to_tensor(predictions)
        if labels.shape.ndims is not None and labels.shape.ndims > 1:
            labels = reshape_ops.reshape(labels, [-1])
        if predictions.shape.ndims is not None and predictions.shape.ndims > 1:
            predictions = reshape_ops.reshape(predictions, [-1])
        _check_same_shape(predictions, labels, "mean_per_class_accuracy", "predictions", "labels")
        total = _local("total", shape=[num_classes])
        count = _local("count", shape=[num_classes])
        ones = array_ops.ones_like(labels, dtype=dtypes.float32)
        if predictions.dtype is not labels.dtype:
            predictions = cast_ops.cast(predictions, labels.dtype)
        correct = cast_ops.cast(logic_ops.equal(predictions, labels), dtypes.float32)
        if weights is not None:
            w = _float(weights)
            if w.shape.ndims is not None and w.shape.ndims > 1:
                w = reshape_ops.reshape(w, [-1])
            correct, ones = correct * w, ones * w
        update_total = scatter_ops.scatter_add(total, labels, ones)
        update_count = scatter_ops.scatter_add(count, labels, correct)
        per_class = more_math_ops.div_no_nan(count.value(), math_ops.maximum(total.value(), 0.0))
        value = reduction_ops.reduce_mean(per_class, name="mean_accuracy")
        update = more_math_ops.div_no_nan(
            update_count, math_ops.maximum(update_total, 0.0), name="update_op"
        )
    return _collect(value, update, metrics_collections, updates_collections)


__all__ = [
    "mean_cosine_distance",
    "mean_per_class_accuracy",
    "mean_relative_error",
    "mean_tensor",
    "percentage_below",
]
