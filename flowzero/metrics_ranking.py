"""tf.metrics, continued: ranking metrics — precision, recall and average precision of the top
k classes against a set of labels per example, and sensitivity/specificity at a fixed operating
point of a score.

Labels are dense integer tensors [D1, ..., DN, num_labels] (or [D1, ..., DN]: one label each);
each row is a *set*, as TF's tf.sets ops see it: a repeated id counts once, and every id counts,
so an id outside [0, num_classes) (e.g. -1 padding) is a label never retrieved (a false negative
for recall). The running counts are float64 local variables named as TF 1.15 names them, e.g.
`precision_at_5/true_positive_at_5`. SparseTensor labels are not supported yet.
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, convert_to_tensor
from flowzero.metrics import _KEPSILON, _at_thresholds, _collect, _default_thresholds, _local
from flowzero.ops import (
    array_ops,
    cast_ops,
    division_ops,
    logic_ops,
    math_ops,
    more_math_ops,
    nn_ops,
    range_ops,
    reduction_ops,
    reshape_ops,
    scan_ops,
    state_ops,
    unary_ops,
)
from flowzero.ops.indexing_ops import gather
from flowzero.ops.manip_ops import reverse
from flowzero.variables import Variable, variable_scope


def _at_k_name(name: str, k: int | None, class_id: int | None = None) -> str:
    name = f"{name}_at_{k}" if k is not None else f"{name}_at_k"
    return name if class_id is None else f"{name}_class{class_id}"


def _ids(x: Any, what: str, arg: str) -> Tensor:
    t = convert_to_tensor(x)
    if not t.dtype.is_integer:
        raise TypeError(f"tf.metrics.{what}: {arg} must be integer class ids; got {t.dtype.name}.")
    return t if t.dtype is dtypes.int64 else cast_ops.cast(t, dtypes.int64)


def _expand_labels(labels: Tensor, predictions: Tensor, what: str) -> Tensor:
    """labels of rank N get a last axis of 1 when predictions have rank N + 1 (TF's
    _maybe_expand_labels)."""
    lr, pr = labels.shape.ndims, predictions.shape.ndims
    if lr is None or pr is None or pr == lr:
        return labels
    if pr == lr + 1:
        return reshape_ops.expand_dims(labels, -1)
    raise ValueError(
        f"tf.metrics.{what}: unexpected labels shape {labels.shape} for predictions shape "
        f"{predictions.shape}; labels must have the predictions' rank, or one less."
    )


def _first_occurrence(x: Tensor) -> Tensor:
    """bool, x's shape: True where x[..., i] differs from every x[..., j], j < i (a set's
    members, each counted once)."""
    n = array_ops.shape(x)[-1]
    pos = range_ops.range(n)
    earlier = logic_ops.less(reshape_ops.expand_dims(pos, 0), reshape_ops.expand_dims(pos, 1))
    same = logic_ops.equal(reshape_ops.expand_dims(x, -1), reshape_ops.expand_dims(x, -2))
    dup = reduction_ops.reduce_any(logic_ops.logical_and(same, earlier), axis=-1)
    return logic_ops.logical_not(dup)


def _member(x: Tensor, of: Tensor) -> Tensor:
    """bool, x's shape: x[..., i] is among of[..., :]."""
    same = logic_ops.equal(reshape_ops.expand_dims(x, -1), reshape_ops.expand_dims(of, -2))
    return reduction_ops.reduce_any(same, axis=-1)


def _f64_sum(b: Tensor) -> Tensor:
    return reduction_ops.reduce_sum(cast_ops.cast(b, dtypes.float64), axis=-1)


def _set_counts(labels: Tensor, idx: Tensor, class_id: int | None) -> dict[str, Tensor]:
    """Per example (float64, shape [D1..DN]): tp = |idx ∩ labels|, fp = |idx \\ labels|,
    fn = |labels \\ idx|, over the sets of ids (only `class_id` when given)."""
    if class_id is not None:
        in_idx = reduction_ops.reduce_any(logic_ops.equal(idx, class_id), axis=-1)
        in_lab = reduction_ops.reduce_any(logic_ops.equal(labels, class_id), axis=-1)
        f = lambda b: cast_ops.cast(b, dtypes.float64)  # noqa: E731
        not_idx, not_lab = logic_ops.logical_not(in_idx), logic_ops.logical_not(in_lab)
        return {
            "tp": f(logic_ops.logical_and(in_idx, in_lab)),
            "fp": f(logic_ops.logical_and(in_idx, not_lab)),
            "fn": f(logic_ops.logical_and(in_lab, not_idx)),
        }
    first_idx = _first_occurrence(idx)
    hit = _member(idx, labels)
    tp = _f64_sum(logic_ops.logical_and(first_idx, hit))
    fp = _f64_sum(logic_ops.logical_and(first_idx, logic_ops.logical_not(hit)))
    fn = _f64_sum(_first_occurrence(labels)) - tp
    return {"tp": tp, "fp": fp, "fn": fn}


def _streaming_counts(
    labels: Tensor,
    idx: Tensor,
    k: int | None,
    class_id: int | None,
    weights: Any,
    kinds: tuple[str, str],
) -> list[tuple[Variable, Tensor]]:
    counts = _set_counts(labels, idx, class_id)
    full = {"tp": "true_positive", "fp": "false_positive", "fn": "false_negative"}
    out = []
    for kind in kinds:
        c = counts[kind]
        if weights is not None:
            c = c * cast_ops.cast(convert_to_tensor(weights), dtypes.float64)
        var = _local(_at_k_name(full[kind], k, class_id), dtypes.float64)
        out.append((var, state_ops.assign_add(var, reduction_ops.reduce_sum(c), name="update")))
    return out


def _top_k_body(
    kind: str, labels: Any, predictions_idx: Any, k: int | None, class_id: int | None, weights: Any
) -> tuple[Tensor, Tensor]:
    """(value, update) of precision or recall, in the current (metric's) variable scope."""
    what = f"{kind}_at_top_k"
    idx = _ids(predictions_idx, what, "predictions_idx")
    labels = _expand_labels(_ids(labels, what, "labels"), idx, what)
    other = "fp" if kind == "precision" else "fn"
    (tp, tp_up), (ot, ot_up) = _streaming_counts(labels, idx, k, class_id, weights, ("tp", other))
    # NOTE: a plain division, as TF: NaN before any retrieved (precision) or relevant
    # (recall) item was counted.
    value = division_ops.truediv(tp.value(), tp.value() + ot.value(), name="value")
    update = division_ops.truediv(tp_up, tp_up + ot_up, name="update")
    return value, update


def _top_k_metric(
    kind: str,
    labels: Any,
    predictions: Any,
    k: int | None,
    class_id: int | None,
    weights: Any,
    metrics_collections: Any,
    updates_collections: Any,
    name: str | None,
    from_scores: bool,
) -> tuple[Tensor, Tensor]:
    with variable_scope(name, _at_k_name(kind, k, class_id)):
        if from_scores:
            predictions = _top_k_indices(predictions, k, f"{kind}_at_k")  # type: ignore[arg-type]
        value, update = _top_k_body(kind, labels, predictions, k, class_id, weights)
    return _collect(value, update, metrics_collections, updates_collections)


def precision_at_top_k(
    labels: Any,
    predictions_idx: Any,
    k: int | None = None,
    class_id: int | None = None,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """Precision of retrieved class ids against label sets: the running
    sum(w * |retrieved ∩ labels|) / sum(w * |retrieved|).

    Args:
        labels: integer ids [D1..DN, num_labels] or [D1..DN].
        predictions_idx: the retrieved ids [D1..DN, k] (e.g. tf.nn.top_k's indices).
        k: only names the metric (`precision_at_<k>`), as TF.
        class_id: count only this class: an example counts when it retrieved `class_id`.
        weights: None, a scalar or [D1..DN].

    Returns:
        (precision, update_op), float64 scalars; NaN until something was retrieved.
    """
    return _top_k_metric(
        "precision",
        labels,
        predictions_idx,
        k,
        class_id,
        weights,
        metrics_collections,
        updates_collections,
        name,
        False,
    )


def recall_at_top_k(
    labels: Any,
    predictions_idx: Any,
    k: int | None = None,
    class_id: int | None = None,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """Recall of retrieved class ids against label sets: the running
    sum(w * |retrieved ∩ labels|) / sum(w * |labels|) (arguments as precision_at_top_k).

    Returns:
        (recall, update_op), float64 scalars; NaN until a label was counted.
    """
    return _top_k_metric(
        "recall",
        labels,
        predictions_idx,
        k,
        class_id,
        weights,
        metrics_collections,
        updates_collections,
        name,
        False,
    )


def _top_k_indices(predictions: Any, k: int, what: str) -> Tensor:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"tf.metrics.{what}: invalid k={k!r}; k must be an int >= 1.")
    _, idx = nn_ops.top_k(convert_to_tensor(predictions), k)
    return idx


def precision_at_k(
    labels: Any,
    predictions: Any,
    k: int,
    class_id: int | None = None,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """precision_at_top_k of the k highest-scoring classes of `predictions`
    [D1..DN, num_classes] (logits or probabilities).

    Example:
        >>> labels = tf.constant([[2], [0]], tf.int64)   # one true class per example
        >>> logits = tf.constant([[0.1, 0.2, 0.9, 0.5], [0.3, 0.8, 0.1, 0.6]])
        >>> p2, p2_update = tf.metrics.precision_at_k(labels, logits, k=2)
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())
        >>> print(sess.run(p2_update))   # 1 hit among 4 retrieved
        0.25
    """
    return _top_k_metric(
        "precision",
        labels,
        predictions,
        k,
        class_id,
        weights,
        metrics_collections,
        updates_collections,
        name,
        True,
    )


sparse_precision_at_k = precision_at_k  # TF 1.15's deprecated name of the same function


def recall_at_k(
    labels: Any,
    predictions: Any,
    k: int,
    class_id: int | None = None,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """recall_at_top_k of the k highest-scoring classes of `predictions` [D1..DN, num_classes].

    Example:
        >>> labels = tf.constant([[2], [0]], tf.int64)   # one true class per example
        >>> logits = tf.constant([[0.1, 0.2, 0.9, 0.5], [0.3, 0.8, 0.1, 0.6]])
        >>> r2, r2_update = tf.metrics.recall_at_k(labels, logits, k=2)
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())
        >>> print(sess.run(r2_update))   # 1 of 2 labels retrieved
        0.5
    """
    return _top_k_metric(
        "recall",
        labels,
        predictions,
        k,
        class_id,
        weights,
        metrics_collections,
        updates_collections,
        name,
        True,
    )


def average_precision_at_k(
    labels: Any,
    predictions: Any,
    k: int,
    weights: Any = None,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The running (weighted) mean over examples of the average precision of the top k
    classes: AP = sum_i precision@i * rel_i / min(num_labels, k), rel_i = the i-th retrieved
    class is a label. With dense labels, num_labels is their last dimension (as TF).

    Returns:
        (mean_average_precision, update_op), float64 scalars; 0 before any data.

    Example:
        >>> labels = tf.constant([[2], [0]], tf.int64)   # one true class per example
        >>> logits = tf.constant([[0.1, 0.2, 0.9, 0.5], [0.3, 0.8, 0.1, 0.6]])
        >>> ap, ap_update = tf.metrics.average_precision_at_k(labels, logits, k=2)
        >>> sess = tf.Session()
        >>> sess.run(tf.local_variables_initializer())
        >>> print(sess.run(ap_update))   # AP 1.0 for the first example, 0.0 for the second
        0.5
    """
    what = "average_precision_at_k"
    with variable_scope(name, _at_k_name("average_precision", k)):
        idx = _ids(_top_k_indices(predictions, k, what), what, "predictions_idx")
        labels = _expand_labels(_ids(labels, what, "labels"), idx, what)
        rel = cast_ops.cast(_member(idx, labels), dtypes.float64)  # [D1..DN, k]
        ranks = cast_ops.cast(range_ops.range(1, k + 1), dtypes.float64)
        precision_per_k = scan_ops.cumsum(rel, axis=-1) / ranks
        num_labels = array_ops.shape(labels)[-1]
        num_relevant = cast_ops.cast(math_ops.minimum(num_labels, k), dtypes.float64)
        ap = reduction_ops.reduce_sum(precision_per_k * rel, axis=-1) / num_relevant
        if weights is None:
            batch_max = cast_ops.cast(array_ops.size(ap), dtypes.float64)
        else:
            w = cast_ops.cast(convert_to_tensor(weights), dtypes.float64) * array_ops.ones_like(ap)
            ap = ap * w
            batch_max = reduction_ops.reduce_sum(w)
        # NOTE: TF's variable is `max_1` (its name scope `max` was taken when it is made).
        max_var, total_var = _local("max_1", dtypes.float64), _local("total", dtypes.float64)
        max_up = state_ops.assign_add(max_var, batch_max, name="update")
        total_up = state_ops.assign_add(total_var, reduction_ops.reduce_sum(ap), name="update")
        value = more_math_ops.div_no_nan(total_var.value(), max_var.value(), name="mean")
        update = more_math_ops.div_no_nan(total_up, max_up, name="update_op")
    return _collect(value, update, metrics_collections, updates_collections)


sparse_average_precision_at_k = average_precision_at_k  # TF 1.15's deprecated name


# -- sensitivity / specificity at a fixed operating point ----------------------------------------
def _rate(a: Tensor, b: Tensor) -> Tensor:
    return a / (a + b + _KEPSILON)


def _sens_at_spec(c: dict[str, Tensor], specificity: float, name: str) -> Tensor:
    spec = _rate(c["tn"], c["fp"])
    i = reduction_ops.argmin(unary_ops.abs(spec - specificity), 0)
    tp, fn = gather(c["tp"], i), gather(c["fn"], i)
    return division_ops.truediv(tp, tp + fn + _KEPSILON, name=name)


def _spec_at_sens(c: dict[str, Tensor], sensitivity: float, n: int, name: str) -> Tensor:
    sens = _rate(c["tp"], c["fn"])
    # The last threshold among those closest to the target (TF's choice on ties).
    i = (n - 1) - reduction_ops.argmin(reverse(unary_ops.abs(sens - sensitivity), [0]), 0)
    tn, fp = gather(c["tn"], i), gather(c["fp"], i)
    return division_ops.truediv(tn, tn + fp + _KEPSILON, name=name)


def _operating_point(
    which: str,
    labels: Any,
    predictions: Any,
    target: float,
    weights: Any,
    num_thresholds: int,
    metrics_collections: Any,
    updates_collections: Any,
    name: str | None,
) -> tuple[Tensor, Tensor]:
    arg = "specificity" if which == "sensitivity_at_specificity" else "sensitivity"
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"tf.metrics.{which}: `{arg}` must be in the range [0, 1]; got {target}.")
    th = _default_thresholds(num_thresholds)
    if which == "specificity_at_sensitivity":
        th[-1] = 1.0 - _KEPSILON  # NOTE: TF's last threshold here is just *below* 1
    with variable_scope(name, which):
        c = _at_thresholds(labels, predictions, th, weights, ("tp", "fn", "tn", "fp"), which)
        values = {k: v.value() for k, (v, _) in c.items()}
        updates = {k: u for k, (_, u) in c.items()}
        if which == "sensitivity_at_specificity":
            value = _sens_at_spec(values, target, "value")
            update = _sens_at_spec(updates, target, "update_op")
        else:
            value = _spec_at_sens(values, target, len(th), "value")
            update = _spec_at_sens(updates, target, len(th), "update_op")
    return _collect(value, update, metrics_collections, updates_collections)


def sensitivity_at_specificity(
    labels: Any,
    predictions: Any,
    specificity: float,
    weights: Any = None,
    num_thresholds: int = 200,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The sensitivity tp / (tp + fn) at the threshold (of `num_thresholds` in [0, 1]) whose
    specificity tn / (tn + fp) is closest to `specificity` (the first such threshold).

    Raises:
        ValueError: specificity outside [0, 1], num_thresholds < 2, or labels and
            predictions of different shapes.
    """
    return _operating_point(
        "sensitivity_at_specificity",
        labels,
        predictions,
        specificity,
        weights,
        num_thresholds,
        metrics_collections,
        updates_collections,
        name,
    )


def specificity_at_sensitivity(
    labels: Any,
    predictions: Any,
    sensitivity: float,
    weights: Any = None,
    num_thresholds: int = 200,
    metrics_collections: Any = None,
    updates_collections: Any = None,
    name: str | None = None,
) -> tuple[Tensor, Tensor]:
    """The specificity tn / (tn + fp) at the threshold whose sensitivity tp / (tp + fn) is
    closest to `sensitivity` (the last such threshold, as TF).

    Raises:
        ValueError: sensitivity outside [0, 1], num_thresholds < 2, or labels and
            predictions of different shapes.
    """
    return _operating_point(
        "specificity_at_sensitivity",
        labels,
        predictions,
        sensitivity,
        weights,
        num_thresholds,
        metrics_collections,
        updates_collections,
        name,
    )


__all__ = [
    "average_precision_at_k",
    "precision_at_k",
    "precision_at_top_k",
    "recall_at_k",
    "recall_at_top_k",
    "sensitivity_at_specificity",
    "sparse_average_precision_at_k",
    "sparse_precision_at_k",
    "specificity_at_sensitivity",
]
