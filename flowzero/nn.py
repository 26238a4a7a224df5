"""tf.nn: TF1's neural-network namespace (re-exports only; the ops live in flowzero/ops/).

Activations, softmax and cross entropies, bias_add, normalization, dropout, top-k, l2_loss,
and the convolution and pooling ops.

Example:
    >>> import flowzero as tf
    >>> h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b))
    >>> loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=h))
"""

from flowzero.ops.conv_ops import (
    avg_pool,
    conv2d,
    conv2d_backprop_filter,
    conv2d_backprop_input,
    conv2d_transpose,
    max_pool,
)
from flowzero.ops.loss_ops import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
    weighted_cross_entropy_with_logits,
)
from flowzero.ops.nn_ops import (
    batch_normalization,
    bias_add,
    crelu,
    dropout,
    elu,
    embedding_lookup,
    fused_batch_norm,
    in_top_k,
    l2_loss,
    l2_normalize,
    leaky_relu,
    log_softmax,
    moments,
    relu,
    relu6,
    relu_layer,
    selu,
    sigmoid,
    softmax,
    softplus,
    softsign,
    tanh,
    top_k,
    xw_plus_b,
)

__all__ = [
    "avg_pool", "batch_normalization", "bias_add", "conv2d", "conv2d_backprop_filter",
    "conv2d_backprop_input", "conv2d_transpose", "crelu", "dropout", "elu", "embedding_lookup",
    "fused_batch_norm", "in_top_k", "l2_loss", "l2_normalize", "leaky_relu", "log_softmax",
    "max_pool", "moments", "relu", "relu6", "relu_layer", "selu", "sigmoid",
    "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "softplus", "softsign",
    "sparse_softmax_cross_entropy_with_logits", "tanh", "top_k",
    "weighted_cross_entropy_with_logits", "xw_plus_b",
]
