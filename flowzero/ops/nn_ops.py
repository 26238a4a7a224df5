"""Neural-network ops: activations, softmax, bias_add, top-k, L2 loss, and the composites built
on them (dropout, moments, batch normalization, l2_normalize, crelu).

Kernels are fused only where numerical stability needs it (Sigmoid, Softplus, Softmax,
LogSoftmax never overflow) or where TF has a fused backward op (ReluGrad, BiasAddGrad).
Gradients are graph ops, so second derivatives come for free.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, graph_of
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops import array_ops, control_ops, math_ops, reduction_ops
from flowzero.ops.common import TypeError_, UnaryOp, static_value


def _quiet() -> Any:
    # Underflow of exp(-large) to 0 is expected and harmless here; never let it warn.
    return np.errstate(under="ignore")


def _mask(cond: Tensor, like: Tensor) -> Tensor:
    return math_ops.cast(cond, like.dtype)


# -- rectifiers --------------------------------------------------------------------------------
@register_op("Relu")
class Relu(UnaryOp):
    """y = max(x, 0)."""

    kinds = "fi"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, x.dtype.type(0))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [relu_grad(dy, op.outputs[0])]


def relu(features: Any, name: str | None = None) -> Tensor:
    """Rectified linear unit, max(features, 0), elementwise.

    Example:
        >>> sess.run(tf.nn.relu([-1., 0., 2.]))
        array([0., 0., 2.], dtype=float32)
    """
    return apply_op(Relu, [features], name=name)


@register_op("ReluGrad")
class ReluGrad(OpDef):
    """dx = dy * (y > 0): the fused backward pass of Relu (y may be Relu's input or output)."""

    def infer(self, dy: Tensor, y: Tensor) -> TensorSpec:
        if dy.dtype is not y.dtype:
            raise self.error(f"gradients and features must have the same dtype; got "
                             f"{dy.dtype.name} and {y.dtype.name}.", cls=TypeError_)
        if not dy.shape.is_compatible_with(y.shape):
            raise self.error(f"gradients and features must have the same shape; got "
                             f"{dy.shape} and {y.shape}.")
        return spec(dy.shape.merge_with(y.shape), dy.dtype)

    def compute(self, dy: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(y > 0, dy, dy.dtype.type(0))

    def gradient(self, op: Any, ddx: Tensor) -> list[Any]:
        # Linear in dy with the same mask; the mask is piecewise constant in y.
        return [relu_grad(ddx, op.inputs[1]), None]


def relu_grad(gradients: Any, features: Any, name: str | None = None) -> Tensor:
    """gradients * (features > 0), the backward pass of relu."""
    return apply_op(ReluGrad, [gradients, features], name=name)


@register_op("Relu6")
class Relu6(UnaryOp):
    """y = min(max(x, 0), 6)."""

    kinds = "fi"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, x.dtype.type(0), x.dtype.type(6))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        x = op.inputs[0]
        inside = math_ops.logical_and(math_ops.greater(x, 0), math_ops.less(x, 6))
        return [dy * _mask(inside, dy)]


def relu6(features: Any, name: str | None = None) -> Tensor:
    """min(max(features, 0), 6) elementwise."""
    return apply_op(Relu6, [features], name=name)


@register_op("LeakyRelu")
class LeakyRelu(UnaryOp):
    """y = x if x > 0 else alpha * x."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, x * x.dtype.type(self.attrs["alpha"]))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        alpha = self.attrs["alpha"]
        pos = _mask(math_ops.greater(op.inputs[0], 0), dy)
        return [dy * (pos * (1.0 - alpha) + alpha)]


def leaky_relu(features: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    """features where positive, else alpha * features (TF's default alpha is 0.2)."""
    return apply_op(LeakyRelu, [features], {"alpha": float(alpha)}, name=name)


@register_op("Elu")
class Elu(UnaryOp):
    """y = x if x > 0 else exp(x) - 1."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        # exp(x) = y + 1 on the negative side; written with y so it never overflows.
        pos = _mask(math_ops.greater(op.inputs[0], 0), dy)
        return [dy * (pos + (1 - pos) * (op.outputs[0] + 1))]


def elu(features: Any, name: str | None = None) -> Tensor:
    """Exponential linear unit: features if > 0, else exp(features) - 1."""
    return apply_op(Elu, [features], name=name)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@register_op("Selu")
class Selu(UnaryOp):
    """y = scale * (x if x > 0 else alpha * (exp(x) - 1))."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        t = x.dtype.type
        with _quiet():
            neg = t(SELU_ALPHA) * np.expm1(np.minimum(x, 0))
        return t(SELU_SCALE) * np.where(x > 0, x, neg)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        pos = _mask(math_ops.greater(op.inputs[0], 0), dy)
        neg_slope = op.outputs[0] + SELU_SCALE * SELU_ALPHA  # = scale * alpha * exp(x)
        return [dy * (pos * SELU_SCALE + (1 - pos) * neg_slope)]


def selu(features: Any, name: str | None = None) -> Tensor:
    """Scaled ELU (Klambauer et al. 2017) with TF's alpha and scale."""
    return apply_op(Selu, [features], name=name)


# -- smooth squashing functions ----------------------------------------------------------------
def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    with _quiet():
        e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    one = x.dtype.type(1)
    return np.where(x >= 0, one / (one + e), e / (one + e))


@register_op("Sigmoid")
class Sigmoid(UnaryOp):
    """y = 1 / (1 + exp(-x))."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return _stable_sigmoid(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y = op.outputs[0]
        return [dy * y * (1 - y)]


def sigmoid(x: Any, name: str | None = None) -> Tensor:
    """Logistic sigmoid 1 / (1 + exp(-x)), elementwise; finite for any input.

    Example:
        >>> sess.run(tf.sigmoid([0., 1e4, -1e4]))
        array([0.5, 1. , 0. ], dtype=float32)
    """
    return apply_op(Sigmoid, [x], name=name)


@register_op("Tanh")
class Tanh(UnaryOp):
    """y = tanh(x)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y = op.outputs[0]
        return [dy * (1 - y * y)]


def tanh(x: Any, name: str | None = None) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return apply_op(Tanh, [x], name=name)


@register_op("Softplus")
class Softplus(UnaryOp):
    """y = log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|))."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        with _quiet():
            return np.maximum(x, x.dtype.type(0)) + np.log1p(np.exp(-np.abs(x)))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * sigmoid(op.inputs[0])]


def softplus(features: Any, name: str | None = None) -> Tensor:
    """log(exp(features) + 1) elementwise, without overflow for large inputs."""
    return apply_op(Softplus, [features], name=name)


@register_op("Softsign")
class Softsign(UnaryOp):
    """y = x / (1 + |x|)."""

    kinds = "f"

    def compute(self, x: np.ndarray) -> np.ndarray:
        return x / (x.dtype.type(1) + np.abs(x))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        d = 1 + math_ops.abs(op.inputs[0])
        return [dy / (d * d)]


def softsign(features: Any, name: str | None = None) -> Tensor:
    """features / (abs(features) + 1) elementwise."""
    return apply_op(Softsign, [features], name=name)


# -- softmax -----------------------------------------------------------------------------------
class _SoftmaxBase(OpDef):
    def infer(self, x: Tensor) -> TensorSpec:
        if not x.dtype.is_floating:
            raise self.error(f"logits must be floating point; got {x.dtype.name}.",
                             cls=TypeError_)
        nd = x.shape.ndims
        if nd is not None:
            if nd == 0:
                raise self.error("logits must have rank >= 1; got a scalar.")
            a = self.attrs["axis"]
            if not -nd <= a < nd:
                raise self.error(f"axis {a} is out of range for logits of shape {x.shape}; "
                                 f"it must be in [{-nd}, {nd}).")
        return spec(x.shape, x.dtype)

    def _shifted(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = self.attrs["axis"]
        z = x - np.max(x, axis=a, keepdims=True)
        with _quiet():
            e = np.exp(z)
        return z, e


@register_op("Softmax")
class Softmax(_SoftmaxBase):
    """y = exp(x - max) / sum(exp(x - max)) along axis."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            return np.empty_like(x)
        _, e = self._shifted(x)
        return e / np.sum(e, axis=self.attrs["axis"], keepdims=True)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        y, a = op.outputs[0], self.attrs["axis"]
        return [(dy - reduction_ops.reduce_sum(dy * y, a, keepdims=True)) * y]


@register_op("LogSoftmax")
class LogSoftmax(_SoftmaxBase):
    """y = (x - max) - log(sum(exp(x - max))) along axis."""

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.size == 0:
            return np.empty_like(x)
        z, e = self._shifted(x)
        return z - np.log(np.sum(e, axis=self.attrs["axis"], keepdims=True))

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        a = self.attrs["axis"]
        sm = math_ops.exp(op.outputs[0])  # softmax; y <= 0 so this never overflows
        return [dy - reduction_ops.reduce_sum(dy, a, keepdims=True) * sm]


def _axis_arg(axis: Any, dim: Any, fn: str) -> int:
    if axis is not None and dim is not None:
        raise ValueError(f"{fn}: cannot specify both 'axis' and 'dim'.")
    a = dim if axis is None else axis
    return -1 if a is None else int(a)


def softmax(logits: Any, axis: int | None = None, name: str | None = None,
            dim: int | None = None) -> Tensor:
    """Softmax along `axis` (default -1; `dim` is the TF1 spelling), computed stably.

    Raises:
        InvalidArgumentError: at build time for non-float logits or an out-of-range axis.

    Example:
        >>> sess.run(tf.nn.softmax([1000., 1000.]))   # no overflow
        array([0.5, 0.5], dtype=float32)
    """
    return apply_op(Softmax, [logits], {"axis": _axis_arg(axis, dim, "softmax")}, name=name)


def log_softmax(logits: Any, axis: int | None = None, name: str | None = None,
                dim: int | None = None) -> Tensor:
    """log(softmax(logits)) along `axis` (default -1), finite for any finite logits."""
    return apply_op(LogSoftmax, [logits], {"axis": _axis_arg(axis, dim, "log_softmax")},
                    name=name)


# -- bias_add ----------------------------------------------------------------------------------
def _channel_axis(data_format: str | None) -> int:
    fmt = data_format or "NHWC"
    if fmt.startswith("NC"):
        return 1
    if fmt.startswith("N") and fmt.endswith("C"):
        return -1
    raise ValueError(f"bias_add: data_format must be 'NHWC' or 'NCHW' (or N...C / NC...); got "
                     f"{data_format!r}.")


@register_op("BiasAdd")
class BiasAdd(OpDef):
    """y = value + bias, bias added along the channel axis (last for NHWC, 1 for NCHW)."""

    def infer(self, value: Tensor, bias: Tensor) -> TensorSpec:
        if value.dtype is not bias.dtype:
            raise self.error(f"value and bias must have the same dtype; got value: "
                             f"{value.dtype.name}, bias: {bias.dtype.name}.", cls=TypeError_)
        if bias.shape.ndims not in (None, 1):
            raise self.error(f"bias must be 1-D; got shape {bias.shape}.")
        nd = value.shape.ndims
        if nd is not None and nd < 2:
            raise self.error(f"value must be at least rank 2; got shape {value.shape}.")
        if nd is not None and bias.shape.ndims == 1:
            c = value.shape.known[self.attrs["axis"]]  # type: ignore[index]
            b = bias.shape.known[0]  # type: ignore[index]
            if c is not None and b is not None and c != b:
                raise self.error(self._size_message(c, b, value.shape))
        return spec(value.shape, value.dtype)

    def _size_message(self, c: Any, b: Any, shape: Any) -> str:
        fmt = self.attrs["data_format"]
        return (f"bias must have the size of value's channel dimension ({fmt}: dimension "
                f"{self.attrs['axis']}); got bias of length {b} for value of shape {shape}.")

    def compute(self, value: np.ndarray, bias: np.ndarray) -> np.ndarray:
        a = self.attrs["axis"]
        if value.shape[a] != bias.shape[0]:
            raise self.error(self._size_message(value.shape[a], bias.shape[0], value.shape))
        if a == 1:
            bias = bias.reshape((-1,) + (1,) * (value.ndim - 2))
        return value + bias

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy, apply_op(BiasAddGrad, [dy], dict(self.attrs))]


@register_op("BiasAddGrad")
class BiasAddGrad(OpDef):
    """db = dy summed over every axis except the channel axis."""

    def infer(self, dy: Tensor) -> TensorSpec:
        if dy.shape.ndims is None:
            return spec([None], dy.dtype)
        return spec([dy.shape.known[self.attrs["axis"]]], dy.dtype)  # type: ignore[index]

    def compute(self, dy: np.ndarray) -> np.ndarray:
        a = self.attrs["axis"] % dy.ndim
        return np.sum(dy, axis=tuple(i for i in range(dy.ndim) if i != a), dtype=dy.dtype)

    def gradient(self, op: Any, ddb: Tensor) -> list[Any]:
        # ddb broadcast back along the channel axis: bias_add onto zeros does exactly that.
        dy = op.inputs[0]
        return [apply_op(BiasAdd, [array_ops.zeros_like(dy), ddb], dict(self.attrs))]


def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Tensor:
    """Adds a 1-D `bias` along the channel axis of `value`.

    Args:
        value: a tensor of rank >= 2.
        bias: a 1-D tensor of the channel size, same dtype as `value`.
        data_format: "NHWC" (channels last, default) or "NCHW" (channels at dimension 1).

    Raises:
        InvalidArgumentError: the bias length differs from the channel dimension (at build
            time when shapes are known, else at run time).

    Example:
        >>> tf.nn.bias_add(tf.zeros([2, 3, 4, 4]), [1., 2., 3.], data_format="NCHW")
    """
    axis = _channel_axis(data_format)
    g = graph_of([value, bias], "BiasAdd")
    with g.as_default():
        value = convert_to_tensor(value)
        bias = convert_to_tensor(bias, dtype=value.dtype if not isinstance(bias, Tensor)
                                 else None)
    return apply_op(BiasAdd, [value, bias], {"data_format": data_format or "NHWC",
                                             "axis": axis}, name=name)


def bias_add_grad(out_backprop: Any, data_format: str | None = None,
                  name: str | None = None) -> Tensor:
    """The bias gradient of bias_add: out_backprop summed over all but the channel axis."""
    return apply_op(BiasAddGrad, [out_backprop], {"data_format": data_format or "NHWC",
                                                  "axis": _channel_axis(data_format)},
                    name=name)


# -- top-k -------------------------------------------------------------------------------------
@register_op("TopKV2")
class TopKV2(OpDef):
    """values, indices = the k largest entries of x along the last axis, largest first (the
    lower index first among ties)."""

    def infer(self, x: Tensor, k: Tensor) -> list[TensorSpec]:
        if x.dtype.np.kind not in "fiu":
            raise self.error(f"input must be real numeric; got {x.dtype.name}.",
                             cls=TypeError_)
        if k.dtype not in (dtypes.int32, dtypes.int64) or k.shape.ndims not in (None, 0):
            raise self.error(f"k must be a scalar int32; got {k.dtype.name} of shape "
                             f"{k.shape}.", cls=TypeError_)
        kv = static_value(k)
        nd = x.shape.ndims
        if nd is None:
            return [spec(TensorShape(None), x.dtype), spec(TensorShape(None), dtypes.int32)]
        if nd == 0:
            raise self.error("input must have rank >= 1; got a scalar.")
        last = x.shape.known[-1]  # type: ignore[index]
        if kv is not None:
            self._check_k(int(kv), last)
        out = list(x.shape.known[:-1]) + [None if kv is None else int(kv)]  # type: ignore
        return [spec(out, x.dtype), spec(out, dtypes.int32)]

    def _check_k(self, k: int, last: int | None) -> None:
        if k < 0:
            raise self.error(f"k must be non-negative; got {k}.")
        if last is not None and last < k:
            raise self.error(f"input must have at least k={k} columns; got {last}.")

    def compute(self, x: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
        kv = int(k)
        self._check_k(kv, x.shape[-1])
        keys = x.astype(np.int64) if x.dtype.kind == "u" else x
        idx = np.argsort(-keys, axis=-1, kind="stable")[..., :kv]
        return [np.take_along_axis(x, idx, axis=-1), idx.astype(np.int32)]

    def gradient(self, op: Any, dvalues: Tensor, dindices: Tensor) -> list[Any]:
        # Scatter dvalues back to the chosen positions: sum_k one_hot(indices_k) * dvalues_k.
        x, idx = op.inputs[0], op.outputs[1]
        depth = x.shape.known[-1] if x.shape.known is not None else None
        if depth is None:
            raise NotImplementedError("TopKV2 gradient needs a static last dimension")
        hot = array_ops.one_hot(idx, depth, dtype=dvalues.dtype)
        scattered = hot * reduction_ops._restore_dims(
            dvalues, hot, {"axis": (-1,), "keepdims": False})
        return [reduction_ops.reduce_sum(scattered, -2), None]


def top_k(input: Any, k: Any = 1, sorted: bool = True,  # noqa: A002
          name: str | None = None) -> tuple[Tensor, Tensor]:
    """The `k` largest entries along the last axis and their int32 indices, largest first.

    Among equal values the lower index comes first. The values are differentiable (the
    gradient goes to the chosen positions); the indices are not.

    Example:
        >>> v, i = tf.nn.top_k([[1., 5., 3.]], k=2)   # v = [[5., 3.]], i = [[1, 2]]
    """
    g = graph_of([input, k], "TopKV2")
    with g.as_default():
        k_t = k if isinstance(k, Tensor) else array_ops.constant(int(k), dtype=dtypes.int32,
                                                                 name="k")
        vals, idx = apply_op(TopKV2, [input, k_t], {"sorted": bool(sorted)}, name=name)
    return vals, idx


@register_op("InTopK")
class InTopK(OpDef):
    """out[i] = targets[i] is among the k largest of predictions[i] (ties at the boundary all
    count as in; non-finite predictions and out-of-range targets never do)."""

    differentiable = False

    def infer(self, predictions: Tensor, targets: Tensor) -> TensorSpec:
        if not predictions.dtype.is_floating:
            raise self.error(f"predictions must be floating point; got "
                             f"{predictions.dtype.name}.", cls=TypeError_)
        if targets.dtype not in (dtypes.int32, dtypes.int64):
            raise self.error(f"targets must be int32 or int64; got {targets.dtype.name}.",
                             cls=TypeError_)
        if predictions.shape.ndims not in (None, 2):
            raise self.error(f"predictions must be 2-D; got shape {predictions.shape}.")
        if targets.shape.ndims not in (None, 1):
            raise self.error(f"targets must be 1-D; got shape {targets.shape}.")
        batch = TensorShape([None])
        if predictions.shape.ndims == 2:
            batch = TensorShape([predictions.shape.known[0]])  # type: ignore[index]
        if not batch.is_compatible_with(targets.shape):
            raise self.error(f"predictions and targets must have the same batch size; got "
                             f"predictions: {predictions.shape}, targets: {targets.shape}.")
        return spec(batch.merge_with(targets.shape) if targets.shape.ndims == 1 else batch,
                    dtypes.bool)

    def compute(self, predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        n, c = predictions.shape
        if targets.shape[0] != n:
            raise self.error(f"predictions and targets must have the same batch size; got "
                             f"{predictions.shape} and {targets.shape}.")
        ok = (targets >= 0) & (targets < c)
        safe = np.where(ok, targets, 0)
        p = predictions[np.arange(n), safe]
        with np.errstate(invalid="ignore"):
            above = np.sum(predictions > p[:, None], axis=1)
        return ok & np.isfinite(p) & (above < self.attrs["k"])


def in_top_k(predictions: Any, targets: Any, k: int, name: str | None = None) -> Tensor:
    """Whether each target class is among the `k` highest predictions of its row (bool).

    Example:
        >>> tf.nn.in_top_k([[0.1, 0.9], [0.8, 0.2]], [1, 1], 1)   # -> [True, False]
    """
    return apply_op(InTopK, [predictions, targets], {"k": int(k)}, name=name)


# -- L2 loss -----------------------------------------------------------------------------------
@register_op("L2Loss")
class L2Loss(OpDef):
    """y = sum(x ** 2) / 2."""

    def infer(self, x: Tensor) -> TensorSpec:
        if not x.dtype.is_floating:
            raise self.error(f"t must be floating point; got {x.dtype.name}.", cls=TypeError_)
        return spec([], x.dtype)

    def compute(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(np.sum(x * x, dtype=x.dtype) / x.dtype.type(2), dtype=x.dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        return [dy * op.inputs[0]]


def l2_loss(t: Any, name: str | None = None) -> Tensor:
    """sum(t ** 2) / 2, without the square root (weight decay's usual penalty)."""
    return apply_op(L2Loss, [t], name=name)


# -- composites --------------------------------------------------------------------------------
def _scope(values: list[Any], name: str | None, default: str) -> Any:
    g = graph_of(values, default)
    return g, g.name_scope(name or default)


def dropout(x: Any, keep_prob: Any = None, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None, rate: Any = None) -> Tensor:
    """Inverted dropout: zeroes each element with probability `rate` = 1 - `keep_prob` and
    scales the kept ones by 1 / keep_prob, so the expected value is unchanged.

    Args:
        x: a floating-point tensor.
        keep_prob: probability of keeping an element (TF1); a float or a scalar tensor
            (e.g. a placeholder fed 1.0 at evaluation time).
        noise_shape: shape of the random keep/drop mask, broadcast against x (default
            x's shape), e.g. [batch, 1] to drop whole rows.
        seed: op-level seed; with a graph seed, results repeat in every new Session.
        rate: probability of dropping (the TF2 spelling); give this or keep_prob, not both.

    Raises:
        ValueError: both or neither of rate/keep_prob given, a Python rate outside [0, 1),
            or a non-float x.

    Example:
        >>> h = tf.nn.dropout(h, keep_prob=0.5)
    """
    from flowzero.ops import random_ops

    if keep_prob is not None and rate is not None:
        raise ValueError("dropout: give either rate or keep_prob, not both.")
    if keep_prob is None and rate is None:
        raise ValueError("dropout: you must provide a rate (or keep_prob).")
    g, scope = _scope([x, keep_prob, rate], name, "dropout")
    with g.as_default(), scope as sc:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(f"dropout: x has to be a floating point tensor since it is going "
                             f"to be scaled; got a {x.dtype.name} tensor instead.")
        if keep_prob is not None and not isinstance(keep_prob, Tensor):
            keep_prob = float(keep_prob)
            if not 0 < keep_prob <= 1:
                raise ValueError(f"dropout: keep_prob must be a scalar tensor or a float in "
                                 f"the range (0, 1]; got {keep_prob}.")
            if keep_prob == 1:
                return x
            keep = convert_to_tensor(keep_prob, dtype=x.dtype, name="keep_prob")
        elif keep_prob is not None:
            keep = math_ops.cast(keep_prob, x.dtype)
        elif not isinstance(rate, Tensor):
            rate = float(rate)
            if not 0 <= rate < 1:
                raise ValueError(f"dropout: rate must be a scalar tensor or a float in the "
                                 f"range [0, 1); got {rate}.")
            if rate == 0:
                return x
            keep = convert_to_tensor(1.0 - rate, dtype=x.dtype, name="keep_prob")
        else:
            keep = 1 - math_ops.cast(rate, x.dtype)
        shape = array_ops._shape_like(x) if noise_shape is None else noise_shape
        # floor(keep + U[0, 1)) is 1 with probability keep, else 0.
        mask = math_ops.floor(keep + random_ops.random_uniform(shape, seed=seed,
                                                               dtype=x.dtype))
        out = math_ops.multiply(math_ops.realdiv(x, keep), mask, name=sc)
        if noise_shape is None:
            out.set_shape(x.shape)
        return out


def _reshape_like(t: Tensor, like: Tensor) -> Tensor:
    if like.shape.is_fully_defined():
        return array_ops.reshape(t, like.shape.as_list())
    return array_ops.reshape(t, array_ops.shape(like))


def moments(x: Any, axes: Any, shift: Any = None, name: str | None = None,
            keep_dims: bool | None = None, keepdims: bool | None = None
            ) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance of `x` over `axes`.

    Args:
        x: a floating-point tensor.
        axes: the axes to reduce, e.g. [0] for a batch of vectors, [0, 1, 2] for NHWC images.
        shift: unused (as in TF1).
        keep_dims / keepdims: keep the reduced axes as size 1.

    Returns:
        (mean, variance). The variance divides by N, not N - 1. float16 inputs are computed in
        float32 and cast back.

    Example:
        >>> mean, var = tf.nn.moments(x, axes=[0])
    """
    if keep_dims is not None and keepdims is not None:
        raise ValueError("moments: cannot specify both 'keep_dims' and 'keepdims'.")
    kd = bool(keepdims if keepdims is not None else keep_dims)
    axes = [axes] if np.isscalar(axes) else list(axes)
    g, scope = _scope([x], name, "moments")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        y = math_ops.cast(x, dtypes.float32) if x.dtype is dtypes.float16 else x
        mean_k = reduction_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        # d var / d mean = -2 mean(x - mean) = 0, so stopping that gradient is exact.
        sq = math_ops.squared_difference(y, control_ops.stop_gradient(mean_k))
        variance = reduction_ops.reduce_mean(sq, axes, keepdims=kd, name="variance")
        mean = mean_k if kd else _reshape_like(mean_k, variance)
        if x.dtype is dtypes.float16:
            return math_ops.cast(mean, x.dtype), math_ops.cast(variance, x.dtype)
        return mean, variance


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: str | None = None) -> Tensor:
    """(x - mean) / sqrt(variance + variance_epsilon) * scale + offset.

    `offset` and `scale` may be None (0 and 1). mean/variance/offset/scale broadcast against
    x (for NHWC, shape [C]).
    """
    g, scope = _scope([x, mean, variance, offset, scale], name, "batchnorm")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        inv = math_ops.rsqrt(convert_to_tensor(variance, dtype=_dt(variance, x)) +
                             variance_epsilon)
        if scale is not None:
            inv = inv * convert_to_tensor(scale, dtype=_dt(scale, x))
        shift = -convert_to_tensor(mean, dtype=_dt(mean, x)) * inv
        if offset is not None:
            shift = shift + convert_to_tensor(offset, dtype=_dt(offset, x))
        return x * inv + shift


def _dt(v: Any, x: Tensor) -> Any:
    """x's dtype for Python values (a Tensor keeps its own)."""
    return None if isinstance(v, Tensor) or hasattr(v, "_as_tensor") else x.dtype


def fused_batch_norm(x: Any, scale: Any, offset: Any = None, mean: Any = None,
                     variance: Any = None, epsilon: float = 0.001, data_format: str = "NHWC",
                     is_training: bool = True, name: str | None = None
                     ) -> tuple[Tensor, Tensor, Tensor]:
    """Batch normalization of a (4-D) tensor over all but the channel axis.

    Args:
        x: input, NHWC (channels last) or NCHW.
        scale, offset: per-channel gamma and beta, shape [C] (offset None means 0).
        mean, variance: per-channel population statistics; required when not training.
        epsilon: added to the variance (at least 1.001e-5, as TF).
        is_training: normalize with the batch's own statistics.

    Returns:
        (y, batch_mean, batch_variance). As TF, when training y uses the biased batch
        variance while the returned batch_variance is the unbiased one (times N / (N - 1)),
        ready for moving averages; when not training the given mean and variance are
        returned.
    """
    axis = _channel_axis(data_format)
    epsilon = max(float(epsilon), 1.001e-5)
    g, scope = _scope([x, scale, offset, mean, variance], name, "FusedBatchNorm")
    with g.as_default(), scope:
        x = convert_to_tensor(x)
        nd = x.shape.ndims
        if nd is None:
            raise ValueError("fused_batch_norm: x must have a known rank.")
        axis = axis % nd
        axes = [i for i in range(nd) if i != axis]

        def per_channel(t: Tensor) -> Tensor:  # [C] -> broadcastable against x
            if axis == nd - 1:
                return t
            return array_ops.reshape(t, [-1] + [1] * (nd - 1 - axis))

        scale_t = convert_to_tensor(scale, dtype=_dt(scale, x))
        offset_t = None if offset is None else convert_to_tensor(offset, dtype=_dt(offset, x))
        if is_training:
            # NOTE: as TF, a given mean/variance is ignored when training.
            batch_mean, batch_var = moments(x, axes)
            y = batch_normalization(x, per_channel(batch_mean), per_channel(batch_var),
                                    None if offset_t is None else per_channel(offset_t),
                                    per_channel(scale_t), epsilon)
            n_static = [x.shape.known[i] for i in axes]  # type: ignore[index]
            if all(d is not None for d in n_static):
                n = float(np.prod(n_static))
                factor: Any = n / max(n - 1.0, 1.0)
            else:
                count = reduction_ops.reduce_sum(array_ops.ones_like(x), axes)
                factor = count / math_ops.maximum(count - 1, 1)
            return y, batch_mean, batch_var * factor
        if mean is None or variance is None:
            raise ValueError("fused_batch_norm: mean and variance are required when "
                             "is_training=False.")
        mean_t = convert_to_tensor(mean, dtype=_dt(mean, x))
        var_t = convert_to_tensor(variance, dtype=_dt(variance, x))
        y = batch_normalization(x, per_channel(mean_t), per_channel(var_t),
                                None if offset_t is None else per_channel(offset_t),
                                per_channel(scale_t), epsilon)
        return y, mean_t, var_t


def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: str | None = None,
                 dim: Any = None) -> Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon)): unit L2 norm along `axis` (all if None)."""
    if axis is not None and dim is not None:
        raise ValueError("l2_normalize: cannot specify both 'axis' and 'dim'.")
    axis = dim if axis is None else axis
    g, scope = _scope([x], name, "l2_normalize")
    with g.as_default(), scope as sc:
        x = convert_to_tensor(x)
        square_sum = reduction_ops.reduce_sum(math_ops.square(x), axis, keepdims=True)
        inv_norm = math_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, inv_norm, name=sc)


def crelu(features: Any, name: str | None = None, axis: int = -1) -> Tensor:
    """Concatenated ReLU: concat([relu(x), relu(-x)], axis) (doubles that dimension)."""
    g, scope = _scope([features], name, "CRelu")
    with g.as_default(), scope:
        x = convert_to_tensor(features)
        return array_ops.concat([relu(x), relu(math_ops.negative(x))], axis)


def xw_plus_b(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """matmul(x, weights) + biases (biases along the last axis)."""
    g, scope = _scope([x, weights, biases], name, "xw_plus_b")
    with g.as_default(), scope as sc:
        return bias_add(math_ops.matmul(x, weights), biases, name=sc)


def relu_layer(x: Any, weights: Any, biases: Any, name: str | None = None) -> Tensor:
    """relu(matmul(x, weights) + biases)."""
    g, scope = _scope([x, weights, biases], name, "relu_layer")
    with g.as_default(), scope as sc:
        return relu(bias_add(math_ops.matmul(x, weights), biases), name=sc)


def embedding_lookup(params: Any, ids: Any, partition_strategy: str = "mod",
                     name: str | None = None, validate_indices: bool = True,
                     max_norm: Any = None) -> Tensor:
    """Rows of `params` picked by `ids` (a gather on axis 0); `params` may be a one-element
    list (unpartitioned)."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise NotImplementedError("embedding_lookup: partitioned params (a list of more "
                                      "than one tensor) are not supported.")
        params = params[0]
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup: max_norm is not supported.")
    return array_ops.gather(params, ids, name=name or "embedding_lookup")


__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "tanh", "softplus",
           "softsign", "softmax", "log_softmax", "bias_add", "top_k", "in_top_k", "l2_loss",
           "dropout", "moments", "batch_normalization", "fused_batch_norm", "l2_normalize",
           "crelu", "xw_plus_b", "relu_layer", "embedding_lookup"]
