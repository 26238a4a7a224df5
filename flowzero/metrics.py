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
    histogram_ops,
    logic_ops,
    math_ops,
    matrix_ops,
    reduction_ops,
    reshape_ops,
    state_ops,
    unary_ops,
)
from flowzero.ops.indexing_ops import where
from flowzero.variables import Variable, variable_scope


def _local(name: str, dtype: Any = dtypes.float32, shape: Any = ()) -> Variable:
    """A metric's running total: a zero local variable in LOCAL_VARIABLES and
    METRIC_VARIABLES (what tf.local_variables_initializer() resets)."""
    return Variable(
        array_ops.zeros(list(shape), dtype=dtype),
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


def _check_same_shape(
    a: Tensor, b: Tensor, what: str, a_name: str = "labels", b_name: str = "predictions"
) -> None:
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(
            f"tf.metrics.{what}: {a_name} and {b_name} must have the same shape; "
            f"got {a_name} {a.shape}, {b_name} {b.shape}."
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
    "true_negatives": lambda lab, pred: logic_ops.logical_not(logic_ops.logical_or(lab, pred)),
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


def true_negatives(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The (weighted) count of label and prediction both false."""
    return _confusion(
        "true_negatives",
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


# -- metrics at thresholds: the confusion counts for many cut-offs of a score ---------------------
_KEPSILON = 1e-7  # TF's: the first threshold is just below 0, the last just above 1


def _default_thresholds(num_thresholds: int) -> list[float]:
    if num_thresholds < 2:
        raise ValueError(f"tf.metrics: num_thresholds must be > 1; got {num_thresholds}.")
    inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _KEPSILON, *inner, 1.0 + _KEPSILON]


def _at_thresholds(
    labels: Any,
    predictions: Any,
    thresholds: list[float],
    weights: Any,
    kinds: tuple[str, ...],
    what: str,
) -> dict[str, tuple[Variable, Tensor]]:
    """{kind: (variable [n], update)} for kinds among tp, fn, tn, fp: the weighted counts of
    each (label, prediction > threshold) pair, for every threshold."""
    labels = convert_to_tensor(labels)
    predictions = _float(predictions)
    _check_same_shape(labels, predictions, what)
    lab = (
        labels
        if labels.dtype is dtypes.bool
        else logic_ops.not_equal(labels, array_ops.zeros_like(labels))
    )
    n = len(thresholds)
    pred = reshape_ops.reshape(predictions, [1, -1])
    lab_row = reshape_ops.reshape(lab, [1, -1])
    w = _weights_like(predictions, weights)
    w_row = reshape_ops.reshape(w, [1, -1])
    th = array_ops.constant([[t] for t in thresholds], dtype=dtypes.float32)
    above = logic_ops.greater(pred, th)  # [n, batch]
    not_lab = logic_ops.logical_not(lab_row)
    cond = {
        "tp": lambda: logic_ops.logical_and(lab_row, above),
        "fn": lambda: logic_ops.logical_and(lab_row, logic_ops.logical_not(above)),
        "tn": lambda: logic_ops.logical_and(not_lab, logic_ops.logical_not(above)),
        "fp": lambda: logic_ops.logical_and(not_lab, above),
    }
    out: dict[str, tuple[Variable, Tensor]] = {}
    names = {
        "tp": "true_positives",
        "fn": "false_negatives",
        "tn": "true_negatives",
        "fp": "false_positives",
    }
    for k in kinds:
        var = _local(names[k], shape=[n])
        counted = cast_ops.cast(cond[k](), dtypes.float32) * w_row
        out[k] = (var, state_ops.assign_add(var, reduction_ops.reduce_sum(counted, axis=1)))
    return out


def _auc_from(tp: Any, fn: Any, tn: Any, fp: Any, n: int, curve: str, summation: str) -> Tensor:
    eps = 1e-7
    if curve == "PR" and summation == "careful_interpolation":
        dtp = tp[: n - 1] - tp[1:]
        p = tp + fp
        dp = math_ops.maximum(p[: n - 1] - p[1:], 0.0)
        slope = _where_ratio(dtp, dp, "prec_slope")
        intercept = tp[1:] - slope * p[1:]
        both = logic_ops.logical_and(
            logic_ops.greater(p[: n - 1], 0.0), logic_ops.greater(p[1:], 0.0)
        )
        ratio = where(
            both,
            _where_ratio(p[: n - 1], math_ops.maximum(p[1:], 0.0), "r"),
            array_ops.ones_like(p[1:]),
        )
        safe_log = unary_ops.log(math_ops.maximum(ratio, 1e-30))
        terms = _where_ratio(
            slope * (dtp + intercept * safe_log), math_ops.maximum(tp[1:] + fn[1:], 0.0), "terms"
        )
        return reduction_ops.reduce_sum(terms, name="interpolate_pr_auc")
    rec = (tp + eps) / (tp + fn + eps)
    if curve == "ROC":
        x, y = fp / (fp + tn + eps), rec
    else:
        x, y = rec, (tp + eps) / (tp + fp + eps)
    dx = x[: n - 1] - x[1:]
    if summation == "minoring":
        height = math_ops.minimum(y[: n - 1], y[1:])
    elif summation == "majoring":
        height = math_ops.maximum(y[: n - 1], y[1:])
    else:  # trapezoidal (and careful_interpolation on ROC, as TF)
        height = (y[: n - 1] + y[1:]) / 2.0
    return reduction_ops.reduce_sum(dx * height)


def auc(
    labels: Any,
    predictions: Any,
    weights: Any = None,
    num_thresholds: int = 200,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    curve: str = "ROC",
    name: str | None = None,
    summation_method: str = "trapezoidal",
    thresholds: Any = None,
) -> tuple[Tensor, Tensor]:
    """The area under the ROC or precision-recall curve, from confusion counts at
    `num_thresholds` cut-offs of the scores (TF1's Riemann-sum estimate).

    Args:
        labels: bool (or 0/1) labels, predictions' shape.
        predictions: scores in [0, 1].
        curve: 'ROC' or 'PR'.
        summation_method: 'trapezoidal' (default), 'careful_interpolation' (PR: TF's
            interpolated precision; ROC: trapezoidal), 'minoring' or 'majoring'.
        thresholds: explicit cut-offs (then num_thresholds is ignored).

    Example:
        >>> labels = tf.constant([False, True, True, False])
        >>> scores = tf.constant([0.1, 0.8, 0.3, 0.35])
        >>> auc, auc_update = tf.metrics.auc(labels, scores)
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())
        >>> print(round(float(sess.run(auc_update)), 4))  # 3 of 4 (pos, neg) pairs ranked right
        0.75
    """
    if curve not in ("ROC", "PR"):
        raise ValueError(f"tf.metrics.auc: curve must be 'ROC' or 'PR'; got {curve!r}.")
    if summation_method not in ("trapezoidal", "careful_interpolation", "minoring", "majoring"):
        raise ValueError(f"tf.metrics.auc: invalid summation_method {summation_method!r}.")
    if thresholds is not None:
        th = [0.0 - _KEPSILON, *[float(t) for t in thresholds], 1.0 + _KEPSILON]
    else:
        th = _default_thresholds(num_thresholds)
    n = len(th)
    with variable_scope(name, "auc"):
        c = _at_thresholds(labels, predictions, th, weights, ("tp", "fn", "tn", "fp"), "auc")
        value = _auc_from(
            *(c[k][0].value() for k in ("tp", "fn", "tn", "fp")), n, curve, summation_method
        )
        update = _auc_from(*(c[k][1] for k in ("tp", "fn", "tn", "fp")), n, curve, summation_method)
    return _collect(value, update, metrics_collections, updates_collections)


def _at_thresholds_metric(num: str, other: str | None, scope: str, doc: str) -> Any:
    """A tf.metrics function `scope(labels, predictions, thresholds, weights=None,
    metrics_collections=None, updates_collections=None, name=None)`: the weighted count `num`
    (tp, fn, tn, fp) at each threshold, or num / (num + other) when `other` is given."""

    def metric(
        labels: Any,
        predictions: Any,
        thresholds: Any,
        weights: Any = None,
        metrics_collections: Any = None,
        updates_collections: Any = None,
        name: str | None = None,
    ) -> tuple[Tensor, Tensor]:
        kinds = (num,) if other is None else (num, other)
        with variable_scope(name, scope):
            c = _at_thresholds(
                labels, predictions, [float(t) for t in thresholds], weights, kinds, scope
            )
            (a, a_up) = c[num]
            if other is None:
                value, update = a.value(), a_up
            else:
                (b, b_up) = c[other]
                value = a.value() / (a.value() + b.value() + 1e-7)
                update = a_up / (a_up + b_up + 1e-7)
        return _collect(value, update, metrics_collections, updates_collections)

    metric.__name__ = metric.__qualname__ = scope
    metric.__doc__ = doc
    return metric


true_positives_at_thresholds = _at_thresholds_metric(
    "tp",
    None,
    "true_positives_at_thresholds",
    "Weighted counts of (label true, prediction > t) for each threshold t.",
)
false_positives_at_thresholds = _at_thresholds_metric(
    "fp",
    None,
    "false_positives_at_thresholds",
    "Weighted counts of (label false, prediction > t) for each threshold t.",
)
true_negatives_at_thresholds = _at_thresholds_metric(
    "tn",
    None,
    "true_negatives_at_thresholds",
    "Weighted counts of (label false, prediction <= t) for each threshold t.",
)
false_negatives_at_thresholds = _at_thresholds_metric(
    "fn",
    None,
    "false_negatives_at_thresholds",
    "Weighted counts of (label true, prediction <= t) for each threshold t.",
)
precision_at_thresholds = _at_thresholds_metric(
    "tp",
    "fp",
    "precision_at_thresholds",
    "tp / (tp + fp) of `prediction > t`, for each threshold t.",
)
recall_at_thresholds = _at_thresholds_metric(
    "tp", "fn", "recall_at_thresholds", "tp / (tp + fn) of `prediction > t`, for each threshold t."
)


# -- mean IoU ------------------------------------------------------------------------------------
def mean_iou(
    labels: Any,
    predictions: Any,
    num_classes: int,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The mean over classes of intersection / union (segmentation's IoU), from a running
    confusion matrix; classes that never appear are left out of the mean, as TF.

    Returns:
        (mean_iou, update_op): update_op returns the updated confusion matrix, as TF.
    """
    with variable_scope(name, "mean_iou"):
        total = _local("total_confusion_matrix", dtypes.float64, [num_classes, num_classes])
        flat = [
            None if t is None else reshape_ops.reshape(convert_to_tensor(t), [-1])
            for t in (labels, predictions, weights)
        ]
        cm = histogram_ops.confusion_matrix(
            flat[0], flat[1], num_classes, dtypes.float64, weights=flat[2]
        )
        update = state_ops.assign_add(total, cm)

        def compute(m: Any) -> Tensor:
            rows = reduction_ops.reduce_sum(m, axis=0)
            cols = reduction_ops.reduce_sum(m, axis=1)
            diag = matrix_ops.diag_part(m)
            den = rows + cols - diag
            valid = reduction_ops.reduce_sum(
                cast_ops.cast(logic_ops.not_equal(den, 0.0), dtypes.float64)
            )
            iou = diag / where(logic_ops.greater(den, 0.0), den, array_ops.ones_like(den))
            return cast_ops.cast(
                _where_ratio(reduction_ops.reduce_sum(iou), valid, "mean_iou"), dtypes.float32
            )

        value = compute(total.value())
    return _collect(value, update, metrics_collections, updates_collections)


__all__ = [
    "accuracy",
    "auc",
    "mean_iou",
    "true_positives_at_thresholds",
    "false_positives_at_thresholds",
    "true_negatives_at_thresholds",
    "false_negatives_at_thresholds",
    "precision_at_thresholds",
    "recall_at_thresholds",
    "mean",
    "mean_squared_error",
    "mean_absolute_error",
    "root_mean_squared_error",
    "true_positives",
    "false_positives",
    "false_negatives",
    "true_negatives",
    "precision",
    "recall",
]

# The rest of tf.metrics lives in two sibling modules (imported on first use, see __getattr__):
# means and per-class accuracy in metrics_means, ranking metrics in metrics_ranking.
_SIBLINGS = {
    **dict.fromkeys(
        [
            "mean_cosine_distance",
            "mean_per_class_accuracy",
            "mean_relative_error",
            "mean_tensor",
            "percentage_below",
        ],
        "metrics_means",
    ),
    **dict.fromkeys(
        [
            "average_precision_at_k",
            "precision_at_k",
            "precision_at_top_k",
            "recall_at_k",
            "recall_at_top_k",
            "sensitivity_at_specificity",
            "sparse_average_precision_at_k",
            "sparse_precision_at_k",
            "specificity_at_sensitivity",
        ],
        "metrics_ranking",
    ),
}
__all__ += sorted(_SIBLINGS)


def __getattr__(name: str) -> object:
    """A name TF 1.15's tf.metrics has and flowzero lacks says so (flowzero.compat)."""
    import importlib

    if name in _SIBLINGS:
        value = getattr(importlib.import_module(f"flowzero.{_SIBLINGS[name]}"), name)
        globals()[name] = value
        return value
    from flowzero.compat import missing_attribute

    raise missing_attribute("metrics", name, importlib.import_module(__name__))
