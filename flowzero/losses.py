"""tf.losses: TF1's loss functions (weighted, reduced, added to the LOSSES collection), plus the
book's losses ("Deep Learning from Scratch", ch. 4) as graph functions.

All are composites of ops (no kernels here). Each tf.losses function computes a per-element
loss, weights it, reduces it (default Reduction.SUM_BY_NONZERO_WEIGHTS: the weighted sum
divided by the number of non-zero weights) and adds the result to tf.GraphKeys.LOSSES.

Example:
    >>> y_ = tf.constant([[0., 1.], [1., 0.]])
    >>> logits = tf.constant([[0., 2.], [1., 1.]])
    >>> loss = tf.losses.softmax_cross_entropy(onehot_labels=y_, logits=logits)
    >>> total = tf.losses.get_total_loss()   # + regularization losses
    >>> sess = tf.Session()
    >>> print(sess.run(total))
    0.4100376
"""

from __future__ import annotations

from typing import Any

from flowzero.framework import dtypes
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    convert_to_tensor,
    get_collection,
    get_default_graph,
    graph_of,
)
from flowzero.framework.shapes import broadcast_shapes
from flowzero.ops import (
    activation_ops,
    array_ops,
    cast_ops,
    control_ops,
    division_ops,
    indexing_ops,
    logic_ops,
    loss_ops,
    math_ops,
    nn_ops,
    range_ops,
    reduction_ops,
    reshape_ops,
    select_ops,
    unary_ops,
)


class Reduction:
    """How a weighted per-element loss is reduced to the returned loss (TF1's names)."""

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key: str) -> None:
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key!r}; expected one of {cls.all()}.")


# -- collection ----------------------------------------------------------------------------------
def add_loss(loss: Any, loss_collection: str | None = GraphKeys.LOSSES) -> None:
    """Adds `loss` to `loss_collection` (of the loss's graph); None adds nothing."""
    if loss_collection:
        g = loss.graph if isinstance(loss, Tensor) else get_default_graph()
        g.add_to_collection(loss_collection, loss)


def get_losses(scope: str | None = None, loss_collection: str = GraphKeys.LOSSES) -> list[Any]:
    """The losses in `loss_collection`, optionally only those whose name matches `scope`."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope: str | None = None) -> list[Any]:
    """The tensors in tf.GraphKeys.REGULARIZATION_LOSSES (optionally filtered by scope)."""
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(
    scope: str | None = None, name: str = "total_regularization_loss"
) -> Tensor:
    """The sum of the regularization losses (a float32 0.0 when there are none)."""
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return array_ops.constant(0.0, dtype=dtypes.float32, name=name)


def get_total_loss(
    add_regularization_losses: bool = True, name: str = "total_loss", scope: str | None = None
) -> Tensor:
    """Sum of the LOSSES collection (plus the regularization losses by default).

    Raises:
        ValueError: there are no losses at all.
    """
    losses = list(get_losses(scope))
    if add_regularization_losses:
        losses += get_regularization_losses(scope)
    if not losses:
        raise ValueError(
            "get_total_loss: no losses found (nothing in tf.GraphKeys.LOSSES or "
            "REGULARIZATION_LOSSES). Create a loss with tf.losses.* first."
        )
    return math_ops.add_n(losses, name=name)


# -- weighting and reduction -------------------------------------------------------------------
def _as_float(x: Any, like: Tensor | None = None, name: str | None = None) -> Tensor:
    """A float tensor: `like`'s dtype if given, else x's own float dtype (ints -> float32)."""
    if isinstance(x, Tensor) or hasattr(x, "_as_tensor"):
        t = convert_to_tensor(x)
        target = (
            like.dtype if like is not None else (t.dtype if t.dtype.is_floating else dtypes.float32)
        )
        return t if t.dtype is target else cast_ops.cast(t, target)
    if like is not None:
        return convert_to_tensor(x, dtype=like.dtype, name=name)
    t = convert_to_tensor(x, name=name)
    return t if t.dtype.is_floating else cast_ops.cast(t, dtypes.float32)


def _div_no_nan(num: Tensor, den: Tensor) -> Tensor:
    """num / den, and 0 where den is 0 (TF's safe division of an all-zero-weight loss)."""
    zero = cast_ops.cast(logic_ops.equal(den, 0), den.dtype)
    return division_ops.realdiv(num, den + zero) * (1 - zero)


def _num_present(losses: Tensor, weights: Tensor) -> Tensor:
    """Number of elements of `losses` whose (broadcast) weight is non-zero."""
    present = cast_ops.cast(logic_ops.not_equal(weights, 0), losses.dtype)
    return reduction_ops.reduce_sum(present * array_ops.ones_like(losses))


def compute_weighted_loss(
    losses: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weights `losses` elementwise and reduces them as `reduction` says.

    Args:
        losses: per-element losses.
        weights: a scalar, or a tensor broadcastable to `losses` (e.g. one weight per example).
        reduction: a Reduction key. SUM_BY_NONZERO_WEIGHTS (default) divides the weighted sum
            by the number of non-zero weights; MEAN by the sum of the weights;
            SUM_OVER_BATCH_SIZE by the number of elements; SUM does not divide; NONE returns
            the weighted losses unreduced. A zero divisor gives 0, not nan.

    Raises:
        ValueError: an unknown reduction, or weights that do not broadcast to `losses`.
    """
    Reduction.validate(reduction)
    g = graph_of([losses, weights], "compute_weighted_loss")
    with g.as_default(), g.name_scope(scope or "weighted_loss"):
        losses = _as_float(losses)
        w = _as_float(weights, like=losses, name="weights")
        b = broadcast_shapes(losses.shape, w.shape)
        if b is None or (
            b.is_fully_defined() and losses.shape.is_fully_defined() and b != losses.shape
        ):
            raise ValueError(
                f"weights can not be broadcast to values; got weights: {w.shape}, "
                f"values: {losses.shape}."
            )
        weighted = math_ops.multiply(losses, w)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = reduction_ops.reduce_sum(weighted)
            if reduction == Reduction.MEAN:
                loss = _div_no_nan(loss, reduction_ops.reduce_sum(array_ops.ones_like(losses) * w))
            elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                loss = _div_no_nan(loss, _num_present(losses, w))
            elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                loss = _div_no_nan(loss, reduction_ops.reduce_sum(array_ops.ones_like(losses)))
        loss = control_ops.identity(loss, name="value")
    add_loss(loss, loss_collection)
    return loss


def _pair(labels: Any, predictions: Any, fn: str) -> tuple[Tensor, Tensor]:
    if labels is None or predictions is None:
        raise ValueError(f"{fn}: labels and predictions must not be None.")
    g = graph_of([labels, predictions], fn)
    with g.as_default():
        predictions = _as_float(predictions, name="predictions")
        labels = _as_float(labels, like=predictions, name="labels")
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(
            f"{fn}: shapes of labels {labels.shape} and predictions "
            f"{predictions.shape} are incompatible."
        )
    return labels, predictions


def absolute_difference(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted |predictions - labels|, reduced (see compute_weighted_loss)."""
    labels, predictions = _pair(labels, predictions, "absolute_difference")
    with labels.graph.as_default(), labels.graph.name_scope(scope or "absolute_difference") as sc:
        losses = unary_ops.abs(predictions - labels)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def mean_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted (predictions - labels) ** 2, reduced (the mean by default).

    Example:
        >>> sess = tf.Session()
        >>> print(sess.run(tf.losses.mean_squared_error(labels=[1., 2.], predictions=[1., 4.])))
        2.0
    """
    labels, predictions = _pair(labels, predictions, "mean_squared_error")
    with labels.graph.as_default(), labels.graph.name_scope(scope or "mean_squared_error") as sc:
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def huber_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    delta: float = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted Huber loss: 0.5 * e ** 2 where |e| <= delta, else delta * (|e| - 0.5 * delta),
    with e = predictions - labels."""
    labels, predictions = _pair(labels, predictions, "huber_loss")
    with labels.graph.as_default(), labels.graph.name_scope(scope or "huber_loss") as sc:
        abs_error = unary_ops.abs(predictions - labels)
        quadratic = math_ops.minimum(abs_error, delta)
        linear = abs_error - quadratic  # |e| - delta where |e| > delta, else 0
        losses = 0.5 * quadratic * quadratic + delta * linear
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def log_loss(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    epsilon: float = 1e-7,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted binary log loss of probabilities:
    -labels * log(p + epsilon) - (1 - labels) * log(1 - p + epsilon)."""
    labels, predictions = _pair(labels, predictions, "log_loss")
    with labels.graph.as_default(), labels.graph.name_scope(scope or "log_loss") as sc:
        losses = -labels * unary_ops.log(predictions + epsilon) - (1 - labels) * unary_ops.log(
            1 - predictions + epsilon
        )
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def hinge_loss(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted hinge loss max(0, 1 - (2 * labels - 1) * logits), labels in {0, 1}."""
    labels, logits = _pair(labels, logits, "hinge_loss")
    with labels.graph.as_default(), labels.graph.name_scope(scope or "hinge_loss") as sc:
        losses = activation_ops.relu(1 - (2 * labels - 1) * logits)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def cosine_distance(
    labels: Any,
    predictions: Any,
    axis: int | None = None,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
    dim: int | None = None,
) -> Tensor:
    """Weighted 1 - sum(labels * predictions, axis) of unit-normalized inputs."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("cosine_distance: you must specify 'axis'.")
    labels, predictions = _pair(labels, predictions, "cosine_distance")
    with labels.graph.as_default(), labels.graph.name_scope(scope or "cosine_distance_loss") as sc:
        losses = 1 - reduction_ops.reduce_sum(labels * predictions, axis, keepdims=True)
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def sigmoid_cross_entropy(
    multi_class_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted sigmoid cross entropy (stable). With label_smoothing s, labels become
    labels * (1 - s) + 0.5 * s."""
    labels, logits = _pair(multi_class_labels, logits, "sigmoid_cross_entropy")
    with (
        labels.graph.as_default(),
        labels.graph.name_scope(scope or "sigmoid_cross_entropy_loss") as sc,
    ):
        if label_smoothing:
            labels = labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = loss_ops.sigmoid_cross_entropy_with_logits(
            labels=labels, logits=logits, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def softmax_cross_entropy(
    onehot_labels: Any,
    logits: Any,
    weights: Any = 1.0,
    label_smoothing: float = 0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted softmax cross entropy of [batch, classes] logits against one-hot labels.

    With label_smoothing s, labels become labels * (1 - s) + s / num_classes. weights is a
    scalar or one weight per example ([batch]).

    Example:
        >>> y = tf.constant([3, 7])
        >>> logits = tf.zeros([2, 10])
        >>> loss = tf.losses.softmax_cross_entropy(tf.one_hot(y, 10), logits)
        >>> sess = tf.Session()
        >>> print(sess.run(loss))   # log 10
        2.3025851
    """
    labels, logits = _pair(onehot_labels, logits, "softmax_cross_entropy")
    with (
        labels.graph.as_default(),
        labels.graph.name_scope(scope or "softmax_cross_entropy_loss") as sc,
    ):
        labels = control_ops.stop_gradient(labels)
        if label_smoothing:
            n = labels.shape.known[-1] if labels.shape.known else None
            num_classes: Any = (
                n
                if n is not None
                else reduction_ops.reduce_sum(array_ops.ones_like(labels), -1, keepdims=True)
            )
            labels = labels * (1 - label_smoothing) + label_smoothing / num_classes
        losses = loss_ops.softmax_cross_entropy_with_logits_v2(
            labels=labels, logits=logits, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


def sparse_softmax_cross_entropy(
    labels: Any,
    logits: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
    reduction: str = Reduction.SUM_BY_NONZERO_WEIGHTS,
) -> Tensor:
    """Weighted softmax cross entropy of [batch, classes] logits against int class labels."""
    g = graph_of([labels, logits], "sparse_softmax_cross_entropy")
    with g.as_default(), g.name_scope(scope or "sparse_softmax_cross_entropy_loss") as sc:
        losses = loss_ops.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits, name="xentropy"
        )
        return compute_weighted_loss(losses, weights, sc, loss_collection, reduction)


# -- the book's losses ("Deep Learning from Scratch", ch. 4) -----------------------------------
_BOOK_DELTA = 1e-7  # the book's guard against log(0)


def mean_pairwise_squared_error(
    labels: Any,
    predictions: Any,
    weights: Any = 1.0,
    scope: str | None = None,
    loss_collection: str | None = GraphKeys.LOSSES,
) -> Tensor:
    """Mean over the pairs (i, j) of one example of ((p_i - p_j) - (l_i - l_j)) ** 2, summed
    over the batch with each example's weight (TF1's tf.losses.mean_pairwise_squared_error).

    Computed as TF does, in float32: with d = predictions - labels over an example's n
    present elements (those of nonzero weight), 2 * sum(d ** 2) / (n - 1)
    - 2 * sum(d) ** 2 / (n * (n - 1)); 0 when no weight is nonzero.

    Args:
        labels, predictions: [batch_size, d0, ... dN], the pairs run over all but axis 0.
        weights: a scalar or a tensor broadcastable to the per-example losses [batch, 1, ...].

    Example:
        >>> loss = tf.losses.mean_pairwise_squared_error([[0., 1., 2.]], [[0., 1., 5.]])
        >>> sess = tf.Session()
        >>> print(sess.run(loss))   # 4 of the 6 pairs i != j are off by 3: 4 * 9 / 6
        6.0
    """
    if labels is None or predictions is None:
        raise ValueError("mean_pairwise_squared_error: labels and predictions must not be None.")
    g = graph_of([labels, predictions, weights], "mean_pairwise_squared_error")
    with g.as_default(), g.name_scope(scope or "mean_pairwise_squared_error"):
        predictions = cast_ops.cast(convert_to_tensor(predictions), dtypes.float32)
        labels = cast_ops.cast(convert_to_tensor(labels), dtypes.float32)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(
                f"mean_pairwise_squared_error: shapes of labels {labels.shape} and "
                f"predictions {predictions.shape} are incompatible."
            )
        w = cast_ops.cast(convert_to_tensor(weights), dtypes.float32)
        diffs = predictions - labels
        rank = diffs.shape.ndims
        axis: Any = (
            list(range(1, rank)) if rank is not None else range_ops.range(1, array_ops.rank(diffs))
        )
        sum_sq = reduction_ops.reduce_sum(unary_ops.square(diffs), axis=axis, keepdims=True)
        present = cast_ops.cast(logic_ops.not_equal(w, 0.0), dtypes.float32)
        n = reduction_ops.reduce_sum(present * array_ops.ones_like(diffs), axis=axis, keepdims=True)
        term1 = 2.0 * _div_no_nan(sum_sq, math_ops.maximum(n - 1.0, 0.0))
        sum_diff = reduction_ops.reduce_sum(diffs, axis=axis, keepdims=True)
        term2 = 2.0 * _div_no_nan(unary_ops.square(sum_diff), math_ops.maximum(n * (n - 1.0), 0.0))
        loss = reduction_ops.reduce_sum((term1 - term2) * w)
        anything = logic_ops.greater(reduction_ops.reduce_sum(n), 0.0)
        loss = select_ops.where_v2(anything, loss, array_ops.zeros_like(loss), name="value")
    add_loss(loss, loss_collection)
    return loss


def sum_of_squares(y: Any, t: Any, name: str | None = None) -> Tensor:
    """The book's sum of squared errors: 0.5 * sum((y - t) ** 2), over every element.

    Not added to any collection (the book's plain function).

    Example (the book's, ch. 4):
        >>> sess = tf.Session()
        >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
        >>> print(sess.run(tf.losses.sum_of_squares(y, t)))   # 0.0975
        0.0975
    """
    g = graph_of([y, t], "sum_of_squares")
    with g.as_default(), g.name_scope(name or "sum_of_squares") as sc:
        y = _as_float(y, name="y")
        t = _as_float(t, like=y, name="t")
        return math_ops.multiply(0.5, reduction_ops.reduce_sum(unary_ops.square(y - t)), name=sc)


sum_squared_error = sum_of_squares


def cross_entropy_error(y: Any, t: Any, name: str | None = None) -> Tensor:
    """The book's cross entropy error of probabilities y (e.g. softmax outputs), batch-averaged.

    - one-hot t (same rank as y): -sum(t * log(y + 1e-7)) / batch_size;
    - label t (rank of y minus 1, class indices):
      -sum(log(y[arange(batch_size), t] + 1e-7)) / batch_size.

    A 1-D y is a batch of one. Not added to any collection.

    Raises:
        ValueError: t's rank is neither y's nor y's minus 1 (ranks must be known).

    Example (the book's, ch. 4):
        >>> sess = tf.Session()
        >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
        >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
        >>> print(sess.run(tf.losses.cross_entropy_error(y, t)))   # 0.510825...
        0.5108254
        >>> print(sess.run(tf.losses.cross_entropy_error([y, y], [2, 7])))   # batch of labels
        1.4067048
    """
    g = graph_of([y, t], "cross_entropy_error")
    with g.as_default(), g.name_scope(name or "cross_entropy_error") as sc:
        y = _as_float(y, name="y")
        t = convert_to_tensor(t, name="t")
        ry, rt = y.shape.ndims, t.shape.ndims
        if ry is None or rt is None:
            raise ValueError("cross_entropy_error: the ranks of y and t must be known.")
        if ry == 1:  # a batch of one, as the book's reshape(1, size)
            y = reshape_ops.reshape(y, [1, -1])
            t = reshape_ops.reshape(t, [1, -1] if rt == 1 else [1])
            ry, rt = 2, rt + 1
        if rt == ry:
            t = _as_float(t, like=y)
            total = reduction_ops.reduce_sum(t * unary_ops.log(y + _BOOK_DELTA))
        elif rt == ry - 1:
            if not (t.dtype.is_integer):
                t = cast_ops.cast(t, dtypes.int32)
            depth = y.shape.known[-1]  # type: ignore[index]
            if depth is None:
                depth = array_ops.shape(y)[-1]
            picked = reduction_ops.reduce_sum(y * indexing_ops.one_hot(t, depth, dtype=y.dtype), -1)
            total = reduction_ops.reduce_sum(unary_ops.log(picked + _BOOK_DELTA))
        else:
            raise ValueError(
                f"cross_entropy_error: t must be one-hot (the shape of y, "
                f"{y.shape}) or class labels (y's shape without the last axis); "
                f"got t of shape {t.shape}."
            )
        batch = cast_ops.cast(array_ops.shape(y)[0], y.dtype)
        return unary_ops.negative(division_ops.realdiv(total, batch), name=sc)


__all__ = [
    "Reduction",
    "absolute_difference",
    "add_loss",
    "compute_weighted_loss",
    "cosine_distance",
    "cross_entropy_error",
    "get_losses",
    "get_regularization_loss",
    "get_regularization_losses",
    "get_total_loss",
    "hinge_loss",
    "huber_loss",
    "log_loss",
    "mean_pairwise_squared_error",
    "mean_squared_error",
    "sigmoid_cross_entropy",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
    "sum_of_squares",
    "sum_squared_error",
]


def __getattr__(name: str) -> object:
    """A name TF 1.15's tf.losses has and flowzero lacks says so (flowzero.compat)."""
    import importlib

    from flowzero.compat import missing_attribute

    raise missing_attribute("losses", name, importlib.import_module(__name__))
