"""tf.layers: TF1's layer functions and classes, as composites of flowzero ops (no kernels).

Each layer opens `variable_scope(name, default_name=<layer type>, reuse=reuse)` and creates its
variables with get_variable, exactly as TF1, so the names are `dense/kernel:0`, `dense/bias:0`,
`dense_1/kernel:0`, `conv2d/kernel:0`, `batch_normalization/gamma:0` ... and `reuse=True` (or
calling the same layer object again) shares them. Regularizers given as `kernel_regularizer=`
etc. add their loss to tf.GraphKeys.REGULARIZATION_LOSSES.

UPDATE_OPS guard: batch_normalization(training=True or a bool Tensor) adds the assign ops that
update its moving mean and variance to tf.GraphKeys.UPDATE_OPS; nothing runs them unless asked.
flowzero's optimizers run that collection automatically in minimize() / apply_gradients() (the
ops already in it when minimize() is called), so

    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

keeps the moving averages current. The TF1 idiom still works (and is needed in real TF1):

    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = opt.minimize(loss)

Without an optimizer (hand-written tf.assign_sub updates), run them yourself:
`sess.run([train_step] + tf.get_collection(tf.GraphKeys.UPDATE_OPS), feed_dict=...)`.

Example:
    >>> x = tf.placeholder(tf.float32, [None, 784])
    >>> is_training = tf.placeholder(tf.bool, [])
    >>> h = tf.layers.dense(x, 128, activation=tf.nn.relu)          # dense/kernel, dense/bias
    >>> h = tf.layers.batch_normalization(h, training=is_training)  # feed is_training
    >>> logits = tf.layers.dense(h, 10)                             # dense_1/...
    >>> [v.name for v in tf.trainable_variables()][-2:]
    ['dense_1/kernel:0', 'dense_1/bias:0']
"""

from flowzero.layers.base import Layer
from flowzero.layers.convolutional import (
    Conv2D,
    Conv2DTranspose,
    Convolution2D,
    Convolution2DTranspose,
    SeparableConv2D,
    SeparableConvolution2D,
    conv2d,
    conv2d_transpose,
    separable_conv2d,
)
from flowzero.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten, l2_regularizer
from flowzero.layers.normalization import BatchNormalization, batch_normalization
from flowzero.layers.pooling import (
    AveragePooling2D,
    AvgPool2D,
    MaxPool2D,
    MaxPooling2D,
    average_pooling2d,
    max_pooling2d,
)

__all__ = [
    "Layer",
    "Dense",
    "Conv2D",
    "Convolution2D",
    "Conv2DTranspose",
    "Convolution2DTranspose",
    "conv2d_transpose",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "separable_conv2d",
    "MaxPooling2D",
    "MaxPool2D",
    "AveragePooling2D",
    "AvgPool2D",
    "Flatten",
    "Dropout",
    "BatchNormalization",
    "dense",
    "conv2d",
    "max_pooling2d",
    "average_pooling2d",
    "flatten",
    "dropout",
    "batch_normalization",
    "l2_regularizer",
]


def __getattr__(name: str) -> object:
    """A name TF 1.15's tf.layers has and flowzero lacks says so (flowzero.compat)."""
    import importlib

    from flowzero.compat import missing_attribute

    raise missing_attribute("layers", name, importlib.import_module(__name__))
