"""More of TF's nn_impl composites (no kernels): sufficient_statistics, normalize_moments,
batch_norm_with_global_normalization, log_poisson_loss, silu, compute_average_loss,
scale_regularization_loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, convert_to_tensor, graph_of
from flowzero.ops import (
    array_ops,
    cast_ops,
    division_ops,
    indexing_ops,
    logic_ops,
    math_ops,
    reduction_ops,
    unary_ops,
)
from flowzero.ops.activation_ops import sigmoid
from flowzero.ops.nn_impl import batch_normalization


def _float(x: Tensor, fn: str, what: str) -> Tensor:
    if x.dtype.np.kind != "f":
        raise TypeError(f"{fn}: {what} must be a floating-point tensor; got {x.dtype.name}.")
    return x


def sufficient_statistics(
    x: Any,
    axes: Any,
    shift: Any = None,
    keep_dims: bool | None = None,
    name: str | None = None,
    keepdims: bool | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    """The sufficient statistics of `x` over `axes` for its mean and variance.

    Returns:
        (count, mean_ss, variance_ss, shift): the number of elements reduced (x's dtype),
        sum(x - shift), sum((x - shift)^2) (shift 0 when None), and `shift` as given.

    Example:
        >>> x = tf.constant([[1., 2.], [3., 6.]])
        >>> c, m, v, _ = tf.nn.sufficient_statistics(x, [0])
        >>> mean, var = tf.nn.normalize_moments(c, m, v, None)
        >>> sess = tf.Session()
        >>> sess.run([mean, var])
        [array([2., 4.], dtype=float32), array([1., 4.], dtype=float32)]
    """
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axes = [int(a) for a in (axes if isinstance(axes, (list, tuple)) else [axes])]
    g = graph_of([x, shift], "sufficient_statistics")
    with g.as_default(), g.name_scope(name or "SufficientStatistics"):
        x = _float(convert_to_tensor(x, name="x"), "sufficient_statistics", "x")
        dims = x.shape.as_list() if x.shape.ndims is not None else None
        if dims is not None and all(dims[a] is not None for a in axes):
            n = float(np.prod([dims[a] for a in axes])) if axes else 1.0
            count = array_ops.constant(n, dtype=x.dtype, name="count")
        else:
            sizes = indexing_ops.gather(array_ops.shape(x), axes)
            count = cast_ops.cast(reduction_ops.reduce_prod(sizes), x.dtype, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift", dtype=x.dtype)
            m_ss = math_ops.subtract(x, shift)
            v_ss = math_ops.squared_difference(x, shift)
        else:
            m_ss, v_ss = x, unary_ops.square(x)
        m_ss = reduction_ops.reduce_sum(m_ss, axes, keepdims=keep, name="mean_ss")
        v_ss = reduction_ops.reduce_sum(v_ss, axes, keepdims=keep, name="var_ss")
        return count, m_ss, v_ss, shift


def normalize_moments(
    counts: Any, mean_ss: Any, variance_ss: Any, shift: Any, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """Mean and variance from sufficient statistics: mean = mean_ss / counts + shift,
    variance = variance_ss / counts - (mean_ss / counts)^2."""
    g = graph_of([counts, mean_ss, variance_ss, shift], "normalize_moments")
    with g.as_default(), g.name_scope(name or "normalize"):
        mean_ss = convert_to_tensor(mean_ss, name="mean_ss")
        divisor = unary_ops.reciprocal(
            convert_to_tensor(counts, dtype=mean_ss.dtype), name="divisor"
        )
        shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
        mean = shifted_mean if shift is None else math_ops.add(shifted_mean, shift, name="mean")
        variance = math_ops.subtract(
            math_ops.multiply(variance_ss, divisor),
            unary_ops.square(shifted_mean),
            name="variance",
        )
        return mean, variance


def batch_norm_with_global_normalization(
    t: Any = None,
    m: Any = None,
    v: Any = None,
    beta: Any = None,
    gamma: Any = None,
    variance_epsilon: float | None = None,
    scale_after_normalization: bool | None = None,
    name: str | None = None,
    input: Any = None,  # noqa: A002
    mean: Any = None,
    variance: Any = None,
) -> Tensor:
    """TF's deprecated batch norm: (t - m) / sqrt(v + variance_epsilon) * gamma + beta, gamma
    used only when scale_after_normalization (TF2 names input/mean/variance accepted)."""
    t = input if t is None else t
    m = mean if m is None else m
    v = variance if v is None else v
    if (
        any(a is None for a in (t, m, v, beta, gamma))
        or variance_epsilon is None
        or scale_after_normalization is None
    ):
        raise TypeError(
            "batch_norm_with_global_normalization: t, m, v, beta, gamma, variance_epsilon and "
            "scale_after_normalization are required."
        )
    return batch_normalization(
        t,
        m,
        v,
        beta,
        gamma if scale_after_normalization else None,
        variance_epsilon,
        name=name or "batchnorm",
    )


def log_poisson_loss(
    targets: Any, log_input: Any, compute_full_loss: bool = False, name: str | None = None
) -> Tensor:
    """The Poisson negative log likelihood of `targets` under rate exp(log_input):
    exp(log_input) - log_input * targets, plus (compute_full_loss) Stirling's approximation
    of log(targets!) where targets > 1.

    Raises:
        ValueError: targets and log_input shapes differ.
    """
    g = graph_of([targets, log_input], "log_poisson_loss")
    with g.as_default(), g.name_scope(name or "log_poisson_loss"):
        log_input = _float(
            convert_to_tensor(log_input, name="log_input"), "log_poisson_loss", "log_input"
        )
        targets = convert_to_tensor(targets, name="targets", dtype=log_input.dtype)
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError(
                f"log_poisson_loss: log_input and targets must have the same shape; got "
                f"log_input: {log_input.shape}, targets: {targets.shape}."
            )
        result = math_ops.subtract(unary_ops.exp(log_input), math_ops.multiply(log_input, targets))
        if not compute_full_loss:
            return result
        stirling = math_ops.add(
            math_ops.subtract(math_ops.multiply(targets, unary_ops.log(targets)), targets),
            math_ops.multiply(0.5, unary_ops.log(math_ops.multiply(2.0 * np.pi, targets))),
        )
        zeros = array_ops.zeros_like(targets)
        small = logic_ops.logical_and(
            logic_ops.greater_equal(targets, zeros),
            logic_ops.less_equal(targets, array_ops.ones_like(targets)),
        )
        return math_ops.add(result, indexing_ops.where(small, zeros, stirling))


def silu(features: Any, beta: Any = 1.0, name: str | None = None) -> Tensor:
    """x * sigmoid(beta * x) (TF's tf.nn.silu; beta = 1 is tf.nn.swish)."""
    g = graph_of([features], "silu")
    with g.as_default(), g.name_scope(name or "silu"):
        x = _float(convert_to_tensor(features, name="features"), "silu", "features")
        if isinstance(beta, (int, float)) and beta == 1.0:
            return math_ops.multiply(x, sigmoid(x))
        b = convert_to_tensor(beta, dtype=x.dtype, name="beta")
        return math_ops.multiply(x, sigmoid(math_ops.multiply(b, x)))


def compute_average_loss(
    per_example_loss: Any, sample_weight: Any = None, global_batch_size: Any = None
) -> Tensor:
    """sum(per_example_loss * sample_weight) / global_batch_size (default: the number of
    examples, the first dimension; one replica).

    Raises:
        ValueError: a scalar per_example_loss.
    """
    g = graph_of([per_example_loss, sample_weight, global_batch_size], "compute_average_loss")
    with g.as_default(), g.name_scope("compute_average_loss"):
        loss = convert_to_tensor(per_example_loss, name="per_example_loss")
        if loss.shape.ndims == 0:
            raise ValueError(
                f"compute_average_loss: per_example_loss must have rank at least 1; got "
                f"{loss.shape}."
            )
        if sample_weight is not None:
            loss = math_ops.multiply(loss, convert_to_tensor(sample_weight, dtype=loss.dtype))
        if global_batch_size is None:
            n = cast_ops.cast(array_ops.shape(loss)[0], loss.dtype)
        else:
            n = cast_ops.cast(convert_to_tensor(global_batch_size), loss.dtype)
        return division_ops.divide(reduction_ops.reduce_sum(loss), n)


def scale_regularization_loss(regularization_loss: Any) -> Tensor:
    """The regularization loss(es), summed, divided by the number of replicas (one here)."""
    if isinstance(regularization_loss, (list, tuple)):
        return math_ops.add_n(list(regularization_loss))
    return convert_to_tensor(regularization_loss)


__all__: list[str] = []  # public through tf.nn
