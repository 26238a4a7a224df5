"""tf.nn: TF1's neural-network namespace (re-exports only; the ops live in flowzero/ops/).

Activations, softmax and cross entropies, bias_add, normalization, dropout, top-k, l2_loss,
the convolution and pooling ops, and the recurrent networks: the cells in `tf.nn.rnn_cell` and
static_rnn / dynamic_rnn and their bidirectional forms (flowzero/nn/rnn_cell*.py, rnn.py).

Example:
    >>> import flowzero as tf
    >>> x = tf.placeholder(tf.float32, [None, 784])
    >>> y_ = tf.placeholder(tf.float32, [None, 10])
    >>> w, b = tf.Variable(tf.zeros([784, 10])), tf.Variable(tf.zeros([10]))
    >>> h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w), b))
    >>> loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y_, logits=h))
"""

from flowzero.nn.embedding_sparse import embedding_lookup_sparse, safe_embedding_lookup_sparse
from flowzero.ops.activation_ops import (
    elu,
    leaky_relu,
    relu,
    relu6,
    selu,
    sigmoid,
    softplus,
    softsign,
    tanh,
)
from flowzero.ops.batch_space_ops import space_to_batch, with_space_to_batch
from flowzero.ops.candidate_sampling_ops import (
    all_candidate_sampler,
    compute_accidental_hits,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    nce_loss,
    sampled_softmax_loss,
    uniform_candidate_sampler,
)
from flowzero.ops.conv3d_ops import (
    avg_pool3d,
    conv3d,
    conv3d_backprop_filter,
    conv3d_backprop_filter_v2,
    conv3d_transpose,
    max_pool3d,
)
from flowzero.ops.conv_impl import (
    atrous_conv2d,
    atrous_conv2d_transpose,
    avg_pool1d,
    avg_pool2d,
    avg_pool_v2,
    conv1d_transpose,
    conv_transpose,
    convolution,
    depthwise_conv2d_backprop_filter,
    depthwise_conv2d_backprop_input,
    depthwise_conv2d_native_backprop_filter,
    depthwise_conv2d_native_backprop_input,
    max_pool1d,
    max_pool2d,
    max_pool_v2,
    pool,
)
from flowzero.ops.conv_ops import (
    conv2d,
    conv2d_backprop_filter,
    conv2d_backprop_input,
    conv2d_transpose,
)
from flowzero.ops.ctc_ops import (
    collapse_repeated,
    ctc_beam_search_decoder,
    ctc_beam_search_decoder_v2,
    ctc_greedy_decoder,
    ctc_loss,
    ctc_loss_v2,
    ctc_unique_labels,
)
from flowzero.ops.depthwise_conv_ops import (
    depthwise_conv2d,
    depthwise_conv2d_native,
    separable_conv2d,
)
from flowzero.ops.fractional_pool_ops import fractional_avg_pool, fractional_max_pool
from flowzero.ops.loss_ops import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_v2,
    sparse_softmax_cross_entropy_with_logits,
    weighted_cross_entropy_with_logits,
)
from flowzero.ops.morph_ops import dilation2d, erosion2d, max_pool_with_argmax
from flowzero.ops.nn_impl import (
    batch_normalization,
    conv1d,
    crelu,
    dropout,
    embedding_lookup,
    fused_batch_norm,
    l2_normalize,
    moments,
    relu_layer,
    swish,
    weighted_moments,
    xw_plus_b,
    zero_fraction,
)
from flowzero.ops.nn_ops import (
    approx_max_k,
    approx_min_k,
    bias_add,
    in_top_k,
    l2_loss,
    log_softmax,
    softmax,
    top_k,
)
from flowzero.ops.nn_stats_impl import (
    batch_norm_with_global_normalization,
    compute_average_loss,
    log_poisson_loss,
    normalize_moments,
    scale_regularization_loss,
    silu,
    sufficient_statistics,
)
from flowzero.ops.normalization_ops import local_response_normalization, lrn
from flowzero.ops.pool_ops import avg_pool, max_pool
from flowzero.ops.space_ops import depth_to_space, space_to_depth

__all__ = [
    "approx_max_k",
    "approx_min_k",
    "collapse_repeated",
    "ctc_beam_search_decoder",
    "ctc_beam_search_decoder_v2",
    "ctc_greedy_decoder",
    "ctc_loss",
    "ctc_loss_v2",
    "ctc_unique_labels",
    "all_candidate_sampler",
    "compute_accidental_hits",
    "fixed_unigram_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "with_space_to_batch",
    "fractional_avg_pool",
    "fractional_max_pool",
    "dilation2d",
    "erosion2d",
    "max_pool_with_argmax",
    "batch_norm_with_global_normalization",
    "compute_average_loss",
    "log_poisson_loss",
    "normalize_moments",
    "scale_regularization_loss",
    "silu",
    "sufficient_statistics",
    "avg_pool3d",
    "conv3d",
    "conv3d_backprop_filter",
    "conv3d_backprop_filter_v2",
    "conv3d_transpose",
    "max_pool3d",
    "atrous_conv2d",
    "atrous_conv2d_transpose",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool_v2",
    "conv1d_transpose",
    "conv_transpose",
    "convolution",
    "depthwise_conv2d_backprop_filter",
    "depthwise_conv2d_backprop_input",
    "depthwise_conv2d_native_backprop_filter",
    "depthwise_conv2d_native_backprop_input",
    "max_pool1d",
    "max_pool2d",
    "max_pool_v2",
    "pool",
    "log_uniform_candidate_sampler",
    "nce_loss",
    "sampled_softmax_loss",
    "uniform_candidate_sampler",
    "depthwise_conv2d",
    "depthwise_conv2d_native",
    "separable_conv2d",
    "local_response_normalization",
    "lrn",
    "avg_pool",
    "batch_normalization",
    "bias_add",
    "conv1d",
    "bidirectional_dynamic_rnn",
    "conv2d",
    "conv2d_backprop_filter",
    "conv2d_backprop_input",
    "conv2d_transpose",
    "crelu",
    "depth_to_space",
    "dropout",
    "dynamic_rnn",
    "elu",
    "embedding_lookup",
    "embedding_lookup_sparse",
    "safe_embedding_lookup_sparse",
    "fused_batch_norm",
    "in_top_k",
    "l2_loss",
    "l2_normalize",
    "leaky_relu",
    "log_softmax",
    "max_pool",
    "moments",
    "relu",
    "relu6",
    "relu_layer",
    "swish",
    "weighted_moments",
    "zero_fraction",
    "rnn_cell",
    "selu",
    "sigmoid",
    "sigmoid_cross_entropy_with_logits",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2",
    "softplus",
    "softsign",
    "space_to_batch",
    "space_to_depth",
    "sparse_softmax_cross_entropy_with_logits",
    "static_bidirectional_rnn",
    "static_rnn",
    "raw_rnn",
    "static_state_saving_rnn",
    "tanh",
    "top_k",
    "weighted_cross_entropy_with_logits",
    "xw_plus_b",
]

# The recurrent networks load on first use (`import flowzero` stays light).
_RNN_NAMES = {"bidirectional_dynamic_rnn", "dynamic_rnn", "static_bidirectional_rnn", "static_rnn"}


def __getattr__(name: str) -> object:
    import importlib

    if name == "rnn_cell":
        value: object = importlib.import_module("flowzero.nn.rnn_cell")
    elif name in _RNN_NAMES:
        value = getattr(importlib.import_module("flowzero.nn.rnn"), name)
    elif name in ("raw_rnn", "static_state_saving_rnn"):
        value = getattr(importlib.import_module("flowzero.nn.rnn_raw"), name)
    else:
        from flowzero.compat import missing_attribute

        raise missing_attribute("nn", name, importlib.import_module(__name__))
    globals()[name] = value
    return value
