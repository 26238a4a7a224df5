"""DeepConvNet (the book's ch. 8): six 3x3 convolutions in three pooled blocks, two affine layers
with the book's dropout, softmax. Over 99% on full MNIST in the book.

    conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool -
    conv - relu - conv - relu - pool -
    affine - relu - dropout - affine - dropout - softmax
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import flowzero as tf
from flowzero.models.multi_layer_net import classifier_outputs
from flowzero.models.multi_layer_net_extend import book_dropout

# The book's conv_param_1 ... conv_param_6. NOTE: the fourth convolution pads by 2, not 1, so
# the second block's 14x14 maps grow to 16x16 and the last pool leaves 4x4x64 = 1024 features
# (the book's W7 is 1024 x hidden_size); with padding 1 throughout it would be 3x3x64.
BOOK_CONV_PARAMS: tuple[dict[str, int], ...] = (
    {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 32, "filter_size": 3, "pad": 2, "stride": 1},
    {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
    {"filter_num": 64, "filter_size": 3, "pad": 1, "stride": 1},
)


class DeepConvNet:
    """The book's deep convolutional network, NHWC (the book's NCHW input transposed once).

    Each convolution is followed by ReLU, and every second one by a 2x2 max-pool (stride 2;
    odd sizes are floored, as the book's pooling). Weights are He-initialised,
    `sqrt(2 / fan_in) * N(0, 1)` from a NumPy generator seeded with `seed` (fan_in =
    in_channels * filter_size**2 for a convolution), biases zero. Filters are HWIO; the pooled
    maps are flattened in NHWC order. Dropout is the book's (see multi_layer_net_extend:
    unscaled mask in training, times (1 - ratio) at test), on the hidden affine layer and on
    the logits.

    Attributes:
        x: placeholder (None, H, W, C) images; t: (None,) int32 labels.
        training: bool scalar, placeholder_with_default(False); feed True to train.
        logits, loss (mean softmax cross-entropy), accuracy.
        params: dict W1, b1, ..., W8, b8 -> Variable (W1-W6 convolutions, W7-W8 affine).

    Example:
        >>> from flowzero.models import DeepConvNet
        >>> xb = np.random.default_rng(0).random((4, 784), dtype=np.float32)   # 4 images
        >>> tb = np.array([0, 1, 2, 3], np.int32)
        >>> net = DeepConvNet()
        >>> train = tf.train.AdamOptimizer(1e-3).minimize(net.loss)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> sess.run(train, {net.x: xb.reshape(-1, 28, 28, 1), net.t: tb, net.training: True})
        >>> sess.run(net.logits, {net.x: xb.reshape(-1, 28, 28, 1)}).shape
        (4, 10)
    """

    def __init__(
        self,
        input_dim: tuple[int, int, int] = (1, 28, 28),
        conv_params: Sequence[dict[str, int]] = BOOK_CONV_PARAMS,
        hidden_size: int = 50,
        output_size: int = 10,
        dropout_ratio: float = 0.5,
        seed: int | None = 0,
        dtype: Any = tf.float32,
    ) -> None:
        if len(conv_params) != 6:
            raise ValueError(
                f"DeepConvNet needs 6 conv_params (3 blocks of 2); got {len(conv_params)}."
            )
        if not 0.0 <= dropout_ratio < 1.0:
            raise ValueError(f"dropout_ratio must be in [0, 1); got {dropout_ratio}.")
        c, hgt, wid = input_dim
        npdt = tf.as_dtype(dtype).as_numpy_dtype
        rng = np.random.default_rng(seed)

        def he(fan_in: int, shape: tuple[int, ...]) -> np.ndarray:
            return (np.sqrt(2.0 / fan_in) * rng.standard_normal(shape)).astype(npdt)

        init: dict[str, np.ndarray] = {}
        channels, size_h, size_w = c, hgt, wid
        for i, cp in enumerate(conv_params, start=1):
            k, pad, stride, n = cp["filter_size"], cp["pad"], cp["stride"], cp["filter_num"]
            init[f"W{i}"] = he(channels * k * k, (k, k, channels, n))
            init[f"b{i}"] = np.zeros(n, npdt)
            channels = n
            size_h = (size_h + 2 * pad - k) // stride + 1
            size_w = (size_w + 2 * pad - k) // stride + 1
            if i % 2 == 0:
                size_h, size_w = size_h // 2, size_w // 2
        flat = channels * size_h * size_w
        init["W7"] = he(flat, (flat, hidden_size))
        init["b7"] = np.zeros(hidden_size, npdt)
        init["W8"] = he(hidden_size, (hidden_size, output_size))
        init["b8"] = np.zeros(output_size, npdt)
        self.conv_params = [dict(cp) for cp in conv_params]

        with tf.name_scope("deep_conv_net"):
            self.x = tf.placeholder(dtype, [None, hgt, wid, c], name="x")
            self.t = tf.placeholder(tf.int32, [None], name="t")
            self.training = tf.placeholder_with_default(False, [], name="training")
            self.params = {k: tf.Variable(v, name=k) for k, v in init.items()}
            p = self.params
            h = self.x
            for i, cp in enumerate(self.conv_params, start=1):
                pad, s = cp["pad"], cp["stride"]
                with tf.name_scope(f"conv{i}"):
                    h = tf.nn.conv2d(
                        h,
                        p[f"W{i}"],
                        strides=[1, s, s, 1],
                        padding=[[0, 0], [pad, pad], [pad, pad], [0, 0]],
                    )
                    h = tf.nn.relu(tf.nn.bias_add(h, p[f"b{i}"]))
                if i % 2 == 0:
                    with tf.name_scope(f"pool{i // 2}"):
                        h = tf.nn.max_pool(
                            h, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID"
                        )
            h = tf.reshape(h, [-1, flat])
            base = None if seed is None else seed * 1000
            with tf.name_scope("affine7"):
                h = tf.nn.relu(tf.matmul(h, p["W7"]) + p["b7"])
                h = book_dropout(
                    h, dropout_ratio, self.training, None if base is None else base + 7
                )
            with tf.name_scope("affine8"):
                h = tf.matmul(h, p["W8"]) + p["b8"]
                self.logits = book_dropout(
                    h, dropout_ratio, self.training, None if base is None else base + 8
                )
            self.loss, self.accuracy = classifier_outputs(self.logits, self.t, dtype)
