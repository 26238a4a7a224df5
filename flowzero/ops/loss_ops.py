"""Cross-entropy ops: the fused, numerically stable softmax cross entropies (dense and sparse
labels) and the sigmoid / weighted cross entropies built on the stable Softplus.

The softmax cross entropies are single kernels, as in TF: they return the per-row loss and the
backprop (softmax - labels) together, computed from shifted logits so that logits of +-1e4
give finite losses and gradients without a NumPy warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework import errors as errors_mod
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import activation_ops, cast_ops, math_ops, nn_ops, reduction_ops, unary_ops
from flowzero.ops.common import DTypeError, static_value


def _log_softmax(logits: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(log_softmax, softmax) of logits along axis, from shifted logits (no overflow)."""
    z = logits - np.max(logits, axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        e = np.exp(z)
    s = np.sum(e, axis=axis, keepdims=True)
    return z - np.log(s), e / s


def _is_zero(t: Tensor) -> bool:
    """True when `t` is statically all zeros (e.g. the zeros autodiff feeds for an unused
    output), so a gradient term multiplying it can be left out (TF's IsZero)."""
    v = static_value(t)
    if v is None and t.op.type == "Fill":
        v = static_value(t.op.inputs[1])
    return v is not None and not np.any(v)


def _keep_axis(dy: Tensor, like: Tensor, axis: int) -> Tensor:
    """dy (the per-row loss gradient) with the class axis put back as size 1.

    A mean or sum loss hands down a scalar broadcast to the rows (BroadcastTo(scalar, shape));
    then the scalar itself broadcasts against the classes: one op fewer per use, and none of
    the dynamic-shape arithmetic.
    """
    if dy.op.type == "BroadcastTo" and dy.op.inputs[0].shape.ndims == 0:
        return dy.op.inputs[0]
    return reduction_ops._restore_dims(dy, like, {"axis": (axis,), "keepdims": False})


def _softmax_jvp(dbackprop: Tensor, logits: Tensor, axis: int) -> Tensor:
    """The gradient reaching logits through backprop = softmax(logits) - labels."""
    sm = nn_ops.softmax(logits, axis=axis)
    return (dbackprop - reduction_ops.reduce_sum(dbackprop * sm, axis, keepdims=True)) * sm


# -- dense labels ------------------------------------------------------------------------------
@register_op("SoftmaxCrossEntropyWithLogits")
class SoftmaxCrossEntropyWithLogits(OpDef):
    """loss = -sum(labels * log_softmax(logits), axis); backprop = softmax(logits) - labels."""

    def infer(self, logits: Tensor, labels: Tensor) -> list[TensorSpec]:
        if not logits.dtype.is_floating:
            raise self.error(
                f"logits must be floating point; got {logits.dtype.name}.", cls=DTypeError
            )
        if labels.dtype is not logits.dtype:
            raise self.error(
                f"labels must have the logits' dtype; got logits: "
                f"{logits.dtype.name}, labels: {labels.dtype.name}. Use tf.cast.",
                cls=DTypeError,
            )
        if not logits.shape.is_compatible_with(labels.shape):
            raise self.error(
                f"logits and labels must have the same shape; got logits: "
                f"{logits.shape}, labels: {labels.shape}."
            )
        shape = logits.shape.merge_with(labels.shape)
        if shape.ndims is None:
            return [spec(TensorShape(None), logits.dtype), spec(shape, logits.dtype)]
        nd, a = shape.ndims, self.attrs["axis"]
        if nd == 0:
            raise self.error("logits must have rank >= 1; got a scalar.")
        if not -nd <= a < nd:
            raise self.error(f"dim {a} is out of range for logits of shape {shape}.")
        rows = [d for i, d in enumerate(shape.as_list()) if i != a % nd]
        return [spec(rows, logits.dtype), spec(shape, logits.dtype)]

    def compute(self, logits: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
        if logits.shape != labels.shape:
            raise self.error(
                f"logits and labels must have the same shape; got logits: "
                f"{logits.shape}, labels: {labels.shape}."
            )
        a = self.attrs["axis"]
        log_sm, sm = _log_softmax(logits, a)
        loss = -np.sum(labels * log_sm, axis=a)
        return [np.asarray(loss, dtype=logits.dtype), sm - labels]

    def gradient(self, op: Any, dloss: Tensor, dbackprop: Tensor) -> list[Any]:
        # NOTE: as TF, backprop assumes each row of labels sums to 1 (a distribution); the
        # exact gradient of the loss is sum(labels) * softmax - labels.
        logits, labels = op.inputs
        a = self.attrs["axis"]
        d = _keep_axis(dloss, logits, a)
        dlogits = d * op.outputs[1]
        dlabels = d * unary_ops.negative(nn_ops.log_softmax(logits, axis=a))
        if not _is_zero(dbackprop):  # second order: backprop is an output too
            dlogits = dlogits + _softmax_jvp(dbackprop, logits, a)
            dlabels = dlabels - dbackprop
        return [dlogits, dlabels]


def raw_softmax_cross_entropy_with_logits(
    features: Any, labels: Any, axis: int = -1, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """The raw op: (loss per row, backprop = softmax - labels), as TF's raw_ops."""
    loss, backprop = apply_op(
        SoftmaxCrossEntropyWithLogits, [features, labels], {"axis": int(axis)}, name=name
    )
    return loss, backprop


def _operands(labels: Any, logits: Any, fn: str) -> tuple[Tensor, Tensor]:
    g = graph_of([labels, logits], fn)
    with g.as_default():
        logits = convert_to_tensor(logits, name="logits")
        if isinstance(labels, Tensor) or hasattr(labels, "_as_tensor"):
            labels = convert_to_tensor(labels)
            if labels.dtype is not logits.dtype:
                labels = cast_ops.cast(labels, logits.dtype)
        else:
            labels = convert_to_tensor(labels, dtype=logits.dtype, name="labels")
    return labels, logits


def _named_only(fn: str, sentinel: Any, labels: Any, logits: Any) -> None:
    if sentinel is not None:
        raise ValueError(f"Only call {fn} with named arguments (labels=..., logits=...)")
    if labels is None or logits is None:
        raise ValueError(f"{fn}: both labels and logits must be provided.")


def softmax_cross_entropy_with_logits_v2(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: int | None = None,
) -> Tensor:
    """Cross entropy between softmax(logits) and a label distribution, per row.

    One fused, stable kernel: finite for any finite logits. Gradients flow into both logits
    ((softmax - labels) * dloss) and labels (-log_softmax * dloss).

    Args:
        labels: a distribution per row (e.g. one-hot), same shape as logits.
        logits: unscaled log probabilities.
        dim / axis: the class dimension (default -1).

    Returns:
        The loss, of logits' shape without the class dimension.

    Raises:
        ValueError: called with positional arguments, or labels/logits missing.
        InvalidArgumentError: labels and logits shapes differ.

    Example:
        >>> y = tf.constant([[0., 0., 9.], [9., 0., 0.]])   # logits
        >>> y_ = tf.constant([[0., 0., 1.], [0., 1., 0.]])  # one-hot labels
        >>> loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
        ...     labels=y_, logits=y))
        >>> sess = tf.Session()
        >>> print(sess.run(loss))
        4.500247
    """
    fn = "softmax_cross_entropy_with_logits"
    _named_only(fn, _sentinel, labels, logits)
    labels, logits = _operands(labels, logits, fn)
    a = dim if axis is None else axis
    ls, gs = labels.shape, logits.shape
    if ls.ndims is not None and gs.ndims is not None and ls.ndims != gs.ndims:
        return _flattened_cross_entropy(labels, logits, int(a), name)
    loss, _ = apply_op(SoftmaxCrossEntropyWithLogits, [logits, labels], {"axis": int(a)}, name=name)
    return loss


def _flattened_cross_entropy(labels: Tensor, logits: Tensor, axis: int, name: str | None) -> Tensor:
    """TF's wrapper for labels and logits of different ranks: both flattened to [rows, classes],
    the rows broadcast against each other (a single label row applies to every logits row), and
    the loss reshaped to logits' shape without the class axis. So `labels=[one_hot]` (an extra
    leading axis of 1, as some tutorials write it) works as in TF."""
    from flowzero.ops import array_ops, manip_ops, reshape_ops, shape_ops

    if axis not in (-1, logits.shape.ndims - 1):  # type: ignore[operator]
        raise errors_mod.InvalidArgumentError(
            None,
            None,
            f"softmax_cross_entropy_with_logits: labels {labels.shape} and logits "
            f"{logits.shape} differ in rank; that is only supported with the classes on the "
            f"last axis (got axis={axis}).",
        )
    with logits.graph.as_default(), logits.graph.name_scope(name or "softmax_cross_entropy"):
        classes = array_ops.shape(logits)[-1:]
        rows_shape = array_ops.shape(logits)[:-1]
        flat = manip_ops.concat([[-1], classes], 0)
        lg = reshape_ops.reshape(logits, flat)
        lb = reshape_ops.reshape(labels, flat)
        both = shape_ops.broadcast_dynamic_shape(array_ops.shape(lg), array_ops.shape(lb))
        lg = array_ops.broadcast_to(lg, both)
        lb = array_ops.broadcast_to(lb, both)
        loss, _ = apply_op(SoftmaxCrossEntropyWithLogits, [lg, lb], {"axis": -1})
        out = reshape_ops.reshape(loss, rows_shape)
        if logits.shape.ndims is not None:
            out.set_shape(logits.shape[:-1])
        return out


def softmax_cross_entropy_with_logits(
    _sentinel: Any = None,
    labels: Any = None,
    logits: Any = None,
    dim: int = -1,
    name: str | None = None,
    axis: int | None = None,
) -> Tensor:
    """TF1's softmax cross entropy: as the _v2 version, but no gradient flows into labels.

    Must be called with named arguments (labels=..., logits=...).

    Raises:
        ValueError: called positionally ("Only call softmax_cross_entropy_with_logits with
            named arguments (labels=..., logits=...)").
    """
    from flowzero.ops import control_ops

    _named_only("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    labels, logits = _operands(labels, logits, "softmax_cross_entropy_with_logits")
    with labels.graph.as_default():
        labels = control_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(
        labels=labels, logits=logits, dim=dim, name=name, axis=axis
    )


# -- sparse labels -----------------------------------------------------------------------------
@register_op("SparseSoftmaxCrossEntropyWithLogits")
class SparseSoftmaxCrossEntropyWithLogits(OpDef):
    """loss = -log_softmax(logits)[label]; backprop = softmax(logits) - one_hot(label)
    (classes along the last axis)."""

    grads_match_inputs = True  # no broadcasting between the inputs

    def infer(self, logits: Tensor, labels: Tensor) -> list[TensorSpec]:
        if not logits.dtype.is_floating:
            raise self.error(
                f"logits must be floating point; got {logits.dtype.name}.", cls=DTypeError
            )
        if labels.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(
                f"labels must be int32 or int64 class indices; got {labels.dtype.name}.",
                cls=DTypeError,
            )
        ls, gs = labels.shape, logits.shape
        if gs.ndims == 0:
            raise self.error("logits must have rank >= 1; got a scalar.")
        if gs.ndims is not None and ls.ndims is not None and ls.ndims != gs.ndims - 1:
            raise self.error(
                f"rank of labels (received {ls.ndims}) should equal rank of logits "
                f"minus 1 (received {gs.ndims}); got labels: {ls}, logits: {gs}."
            )
        rows = TensorShape(None) if gs.ndims is None else TensorShape(gs.known[:-1])  # type: ignore
        if not rows.is_compatible_with(ls):
            raise self.error(
                f"labels shape must equal logits shape except for the last "
                f"dimension; got labels: {ls}, logits: {gs}."
            )
        rows = rows.merge_with(ls)
        full = (
            gs
            if rows.ndims is None or gs.ndims is None
            else TensorShape(rows.as_list() + [gs.as_list()[-1]])
        )
        return [spec(rows, logits.dtype), spec(full, logits.dtype)]

    def compute(self, logits: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
        if labels.shape != logits.shape[:-1]:
            raise self.error(
                f"labels shape must equal logits shape except for the last "
                f"dimension; got labels: {labels.shape}, logits: {logits.shape}."
            )
        n = logits.shape[-1]
        flat = labels.reshape(-1)
        if flat.size and (flat.min() < 0 or flat.max() >= n):
            bad = (flat < 0) | (flat >= n)
            raise self.error(
                f"Received a label value of {flat[bad][0]} which is outside the valid "
                f"range of [0, {n}). Label values: {' '.join(map(str, flat))}"
            )
        if not flat.size:
            return [np.zeros(labels.shape, logits.dtype), np.zeros(logits.shape, logits.dtype)]
        # One pass per step over (rows, classes), the label picked by flat index (the general
        # take/put_along_axis cost twice as much on a 100x10 batch).
        rows = logits.reshape(-1, n)
        z = rows - rows.max(axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        pick = np.arange(0, z.size, n) + flat
        loss = np.log(s.reshape(-1))
        loss -= z.reshape(-1)[pick]
        e /= s
        e.reshape(-1)[pick] -= 1
        return [loss.reshape(labels.shape), e.reshape(logits.shape)]

    def gradient(self, op: Any, dloss: Tensor, dbackprop: Tensor) -> list[Any]:
        logits = op.inputs[0]
        dlogits = _keep_axis(dloss, logits, -1) * op.outputs[1]
        if not _is_zero(dbackprop):
            dlogits = dlogits + _softmax_jvp(dbackprop, logits, -1)
        return [dlogits, None]


def sparse_softmax_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Softmax cross entropy with integer class labels (one per row), fused and stable.

    Args:
        labels: int32/int64 class indices in [0, num_classes), of logits' shape minus the
            last dimension.
        logits: [..., num_classes] unscaled log probabilities.

    Raises:
        ValueError: positional call; labels of the wrong rank (at build time).
        InvalidArgumentError: at run time, a label outside [0, num_classes) (names the op and
            the label).

    Example:
        >>> sess = tf.Session()
        >>> logits = [[0., 0., 9.]]
        >>> sess.run(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[2], logits=logits))
        array([0.00024673], dtype=float32)
    """
    fn = "sparse_softmax_cross_entropy_with_logits"
    _named_only(fn, _sentinel, labels, logits)
    g = graph_of([labels, logits], fn)
    with g.as_default():
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        ls, gs = labels.shape, logits.shape
        if ls.ndims is not None and gs.ndims is not None and ls.ndims != gs.ndims - 1:
            raise ValueError(
                f"Rank mismatch: Rank of labels (received {ls.ndims}) should equal "
                f"rank of logits minus 1 (received {gs.ndims})."
            )
        loss, _ = apply_op(SparseSoftmaxCrossEntropyWithLogits, [logits, labels], name=name)
    return loss


def raw_sparse_softmax_cross_entropy_with_logits(
    features: Any, labels: Any, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """The raw op: (loss per row, backprop = softmax - one_hot(labels))."""
    loss, backprop = apply_op(SparseSoftmaxCrossEntropyWithLogits, [features, labels], name=name)
    return loss, backprop


# -- sigmoid family (composites of the stable Softplus) ----------------------------------------
def _same_shape(labels: Tensor, logits: Tensor, fn: str) -> None:
    if not logits.shape.is_compatible_with(labels.shape):
        raise ValueError(
            f"{fn}: logits and labels must have the same shape ({logits.shape} vs {labels.shape})."
        )


def sigmoid_cross_entropy_with_logits(
    _sentinel: Any = None, labels: Any = None, logits: Any = None, name: str | None = None
) -> Tensor:
    """Elementwise logistic loss -z log(sigmoid(x)) - (1 - z) log(1 - sigmoid(x)).

    Computed as TF's stable max(x, 0) - x * z + log(1 + exp(-|x|)), which is
    softplus(x) - x * z with the Softplus kernel's overflow-free formula; its gradient is
    sigmoid(x) - z. Finite for any finite logits.

    Raises:
        ValueError: positional call, or labels/logits of different shapes.
    """
    fn = "sigmoid_cross_entropy_with_logits"
    _named_only(fn, _sentinel, labels, logits)
    labels, logits = _operands(labels, logits, fn)
    _same_shape(labels, logits, fn)
    with logits.graph.as_default(), logits.graph.name_scope(name or "logistic_loss") as sc:
        return math_ops.subtract(activation_ops.softplus(logits), logits * labels, name=sc)


def weighted_cross_entropy_with_logits(
    targets: Any = None,
    logits: Any = None,
    pos_weight: Any = None,
    name: str | None = None,
    labels: Any = None,
) -> Tensor:
    """Sigmoid cross entropy with positives weighted by `pos_weight`:
    pos_weight * z * -log(sigmoid(x)) + (1 - z) * -log(1 - sigmoid(x)).

    Computed stably as (1 - z) * x + (1 + (pos_weight - 1) * z) * softplus(-x).
    `labels` is the newer spelling of `targets`.
    """
    fn = "weighted_cross_entropy_with_logits"
    if targets is not None and labels is not None:
        raise ValueError(f"{fn}: give targets or labels, not both.")
    targets = labels if targets is None else targets
    if targets is None or logits is None or pos_weight is None:
        raise ValueError(f"{fn}: targets (labels), logits and pos_weight must be provided.")
    z, x = _operands(targets, logits, fn)
    _same_shape(z, x, fn)
    with x.graph.as_default(), x.graph.name_scope(name or "logistic_loss") as sc:
        q = (
            pos_weight
            if isinstance(pos_weight, Tensor)
            else convert_to_tensor(pos_weight, dtype=x.dtype)
        )
        log_weight = 1 + (q - 1) * z
        return math_ops.add(
            (1 - z) * x, log_weight * activation_ops.softplus(unary_ops.negative(x)), name=sc
        )


__all__ = [
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "sparse_softmax_cross_entropy_with_logits",
    "sigmoid_cross_entropy_with_logits",
    "weighted_cross_entropy_with_logits",
]
