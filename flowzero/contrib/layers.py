"""tf.contrib.layers: regularizers, initializers, flatten, fully_connected, batch_norm, and (from
layers_conv.py) conv2d, conv2d_transpose, max_pool2d, avg_pool2d, dropout, layer_norm,
one_hot_encoding, repeat, stack (TF1 semantics; arg_scope applies to the layers).

Composites of public ops only (no kernels here), as flowzero/layers.py.

Example:
    >>> reg = tf.contrib.layers.l2_regularizer(1e-4)
    >>> w = tf.get_variable("w", [784, 10], regularizer=reg,
    ...                     initializer=tf.contrib.layers.xavier_initializer())
    >>> tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)  # [scale * sum(w**2) / 2]
    [<tf.Tensor 'w/Regularizer/l2_regularizer:0' shape=() dtype=float32>]
"""

from __future__ import annotations

from typing import Any

from flowzero.contrib.framework import add_arg_scope
from flowzero.contrib.initializers import (
    _collect,
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)
from flowzero.contrib.layers_conv import (
    _Common,
    _weighted_layer,
    avg_pool2d,
    conv2d,
    conv2d_transpose,
    convolution,
    convolution2d,
    convolution2d_transpose,
    dropout,
    layer_norm,
    max_pool2d,
    one_hot_encoding,
    repeat,
    stack,
)
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from flowzero.layers.core import _dense_matmul, _flatten_tensor
from flowzero.layers.normalization import BatchNormalization

# The regularizers live below tf.layers and tf.contrib.layers, which both hand them out.
from flowzero.layers.regularizers import (
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
)
from flowzero.ops import control_ops


# -- layers ------------------------------------------------------------------------------------
@add_arg_scope
def flatten(inputs: Any, outputs_collections: Any = None, scope: str | None = None) -> Tensor:
    """Flattens `inputs` to [batch_size, k], keeping the batch dimension (scope "Flatten")."""
    x = convert_to_tensor(inputs)
    with name_scope(scope, "Flatten"):
        out = _flatten_tensor(x)
    _collect(outputs_collections, out)
    return out


@add_arg_scope
def fully_connected(
    inputs: Any,
    num_outputs: int,
    activation_fn: Any = "relu",
    normalizer_fn: Any = None,
    normalizer_params: Any = None,
    weights_initializer: Any = None,
    weights_regularizer: Any = None,
    biases_initializer: Any = "zeros",
    biases_regularizer: Any = None,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    scope: str | None = None,
) -> Tensor:
    """contrib's dense layer: variables `fully_connected/weights` and `.../biases` (also in
    MODEL_VARIABLES), activation tf.nn.relu by default (pass None for a linear layer).

    `biases_initializer=None` (or a normalizer_fn) drops the bias, as TF.
    """
    x = convert_to_tensor(inputs)
    in_dim = x.shape[-1].value if x.shape.ndims else None
    if in_dim is None:
        raise ValueError(
            f"fully_connected: the last dimension of the inputs must be defined; "
            f"got inputs of shape {x.shape}."
        )
    common = _Common(
        activation_fn, normalizer_fn, normalizer_params, weights_initializer,
        weights_regularizer, biases_initializer, biases_regularizer, reuse,
        variables_collections, outputs_collections, trainable, scope,
    )  # fmt: skip
    return _weighted_layer(
        x,
        "fully_connected",
        [in_dim, num_outputs],
        lambda x, w: _dense_matmul(x, w, num_outputs),
        num_outputs,
        "NHWC",  # (the bias along the last axis)
        common,
    )


class _ContribBatchNorm(BatchNormalization):
    _base_name = "BatchNorm"


@add_arg_scope
def batch_norm(
    inputs: Any,
    decay: float = 0.999,
    center: bool = True,
    scale: bool = False,
    epsilon: float = 0.001,
    activation_fn: Any = None,
    param_initializers: Any = None,
    param_regularizers: Any = None,
    updates_collections: Any = GraphKeys.UPDATE_OPS,
    is_training: Any = True,
    reuse: Any = None,
    variables_collections: Any = None,
    outputs_collections: Any = None,
    trainable: bool = True,
    batch_weights: Any = None,
    fused: bool | None = None,
    data_format: str = "NHWC",
    zero_debias_moving_mean: bool = False,
    scope: str | None = None,
    renorm: bool = False,
    renorm_clipping: Any = None,
    renorm_decay: float = 0.99,
    adjustment: Any = None,
) -> Tensor:
    """contrib's batch normalization (TF1's tf.contrib.layers.batch_norm), as tf.layers'
    BatchNormalization with contrib's defaults and names: scope "BatchNorm", variables `beta`,
    `gamma` (only with scale=True), `moving_mean`, `moving_variance`; decay 0.999.

    Args:
        inputs: a float Tensor of known rank, channels last (NHWC) or at axis 1 (NCHW).
        decay: the moving averages' momentum.
        center, scale: create and use `beta` / `gamma` (scale is off by default, as TF).
        param_initializers / param_regularizers: dicts keyed 'beta', 'gamma', 'moving_mean',
            'moving_variance' (initializers) and 'beta', 'gamma' (regularizers).
        updates_collections: where the moving-average updates go (UPDATE_OPS by default); None
            runs them with the output (a control dependency), as TF.
        is_training: Python bool or bool Tensor.
        variables_collections / outputs_collections: extra collections, as the other contrib
            layers.

    Raises:
        ValueError: batch_weights, zero_debias_moving_mean or renorm (not supported).

    Example:
        >>> h = tf.placeholder(tf.float32, [None, 64])
        >>> is_training = tf.placeholder(tf.bool, [])
        >>> h = tf.contrib.layers.batch_norm(h, is_training=is_training, scale=True)
        >>> len(tf.get_collection(tf.GraphKeys.UPDATE_OPS))   # moving mean and variance
        2
    """
    for flag, what in (
        (batch_weights is not None, "batch_weights"),
        (zero_debias_moving_mean, "zero_debias_moving_mean"),
        (renorm, "renorm"),
        (adjustment is not None, "adjustment"),
    ):
        if flag:
            raise ValueError(f"contrib.layers.batch_norm: {what} is not supported.")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format has to be either NCHW or NHWC; got {data_format!r}.")
    inits = dict(param_initializers or {})
    regs = dict(param_regularizers or {})
    x = convert_to_tensor(inputs)
    if x.shape.ndims is None:
        raise ValueError(f"Inputs {x.name} has undefined rank.")
    axis = 1 if data_format == "NCHW" and x.shape.ndims > 2 else -1
    layer = _ContribBatchNorm(
        axis=axis,
        momentum=decay,
        epsilon=epsilon,
        center=center,
        scale=scale,
        beta_initializer=inits.get("beta"),
        gamma_initializer=inits.get("gamma"),
        moving_mean_initializer=inits.get("moving_mean"),
        moving_variance_initializer=inits.get("moving_variance"),
        beta_regularizer=regs.get("beta"),
        gamma_regularizer=regs.get("gamma"),
        fused=fused,
        trainable=trainable,
        name=scope,
        _reuse=reuse,
    )
    out = layer(x, training=is_training)
    g = get_default_graph()
    if updates_collections is not GraphKeys.UPDATE_OPS and layer.updates:
        ref = g.get_collection_ref(GraphKeys.UPDATE_OPS)
        ref[:] = [u for u in ref if all(u is not mine for mine in layer.updates)]
        if updates_collections is None:
            with g.control_dependencies(layer.updates):
                out = control_ops.identity(out)
        else:
            for c in (
                [updates_collections]
                if isinstance(updates_collections, str)
                else updates_collections
            ):
                for u in layer.updates:
                    g.add_to_collection(c, u)
    for v in layer.trainable_weights + layer.non_trainable_weights:
        if v not in g.get_collection(GraphKeys.MODEL_VARIABLES):
            g.add_to_collection(GraphKeys.MODEL_VARIABLES, v)
    if variables_collections is not None:
        for v in layer.trainable_weights + layer.non_trainable_weights:
            short = v.op.name.rsplit("/", 1)[-1]
            cols = (
                variables_collections.get(short)
                if isinstance(variables_collections, dict)
                else variables_collections
            )
            for c in [cols] if isinstance(cols, str) else cols or []:
                g.add_to_collection(c, v)
    if activation_fn is not None:
        out = activation_fn(out)
    _collect(outputs_collections, out)
    return out


__all__ = [
    "l1_regularizer",
    "l2_regularizer",
    "l1_l2_regularizer",
    "sum_regularizer",
    "apply_regularization",
    "variance_scaling_initializer",
    "xavier_initializer",
    "xavier_initializer_conv2d",
    "flatten",
    "fully_connected",
    "batch_norm",
    "dropout",
    "conv2d",
    "convolution",
    "convolution2d",
    "conv2d_transpose",
    "convolution2d_transpose",
    "max_pool2d",
    "avg_pool2d",
    "one_hot_encoding",
    "layer_norm",
    "repeat",
    "stack",
]
