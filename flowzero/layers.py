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
    >>> h = tf.layers.dense(x, 128, activation=tf.nn.relu)          # dense/kernel, dense/bias
    >>> h = tf.layers.batch_normalization(h, training=is_training)  # feed is_training
    >>> logits = tf.layers.dense(h, 10)                             # dense_1/...
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.ops import array_ops, control_ops, math_ops, state_ops
from flowzero.variables import Variable, get_variable, variable_scope, zeros_initializer

_ZEROS = zeros_initializer()  # TF's default bias initializer (stateless, so one is shared)


# -- argument helpers --------------------------------------------------------------------------


def _tuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    """An int or n ints as an n-tuple (TF's normalize_tuple)."""
    if isinstance(value, (numbers.Integral, np.integer)):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers; got "
                         f"{value!r}.") from None
    if len(out) != n:
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers; got "
                         f"{value!r}.")
    return out


def _padding(padding: str) -> str:
    p = str(padding).upper()
    if p not in ("VALID", "SAME"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'; got "
                         f"{padding!r}.")
    return p


def _data_format(data_format: str) -> str:
    df = str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of 'channels_first', "
                         f"'channels_last'; got {data_format!r}.")
    return "NHWC" if df == "channels_last" else "NCHW"


def _static_bool(flag: Any) -> bool | None:
    """A Python bool when `flag` is known at build time (bool or constant), else None."""
    if isinstance(flag, (bool, np.bool_)):
        return bool(flag)
    if isinstance(flag, Tensor):
        from flowzero.ops.common import static_value

        v = static_value(flag)
        return None if v is None else bool(np.asarray(v))
    if isinstance(flag, Variable):
        return None
    return bool(flag)


def _select(flag: Tensor, if_true: Tensor, if_false: Tensor) -> Tensor:
    """`if_true` where the bool scalar `flag` holds, else `if_false` (tf.cond's job, which does
    not exist yet): t * c + f * (1 - c), exact for c in {0, 1} and finite values."""
    c = math_ops.cast(flag, if_true.dtype)
    return math_ops.add(if_true * c, if_false * (1.0 - c), name="cond")


def _check_training(training: Any) -> Any:
    if isinstance(training, (Tensor, Variable)):
        t = convert_to_tensor(training)
        if t.dtype is not dtypes.bool:
            raise TypeError(f"`training` must be a Python bool or a bool Tensor; got a "
                            f"{t.dtype.name} tensor {t.name}.")
        return t
    return training


def _nn() -> Any:
    from flowzero.ops import nn_ops

    return nn_ops


# -- the base class ----------------------------------------------------------------------------
class Layer:
    """TF1's tf.layers.Layer: a callable owning variables made under its variable scope.

    The first call opens `variable_scope(name, default_name=<layer type>, reuse=reuse)`,
    builds the variables there and remembers the scope; later calls re-enter it with reuse.
    """

    _base_name = "layer"

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None,
                 activity_regularizer: Callable[[Any], Any] | None = None,
                 _reuse: Any = None, **kwargs: Any) -> None:
        self.trainable = bool(trainable)
        self._given_name = name
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype)
        self.activity_regularizer = activity_regularizer
        self._reuse = _reuse
        self._scope: Any = None
        self.built = False
        self._trainable_weights: list[Variable] = []
        self._non_trainable_weights: list[Variable] = []
        self._updates: list[Any] = []
        self._losses: list[Tensor] = []

    @property
    def name(self) -> str:
        if self._scope is not None:
            return self._scope.name
        return self._given_name or self._base_name

    @property
    def dtype(self) -> Any:
        return self._dtype

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self) -> list[Variable]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self) -> list[Any]:
        return list(self._updates)

    @property
    def losses(self) -> list[Tensor]:
        return list(self._losses)

    def add_weight(self, name: str, shape: Any, dtype: Any = None, initializer: Any = None,
                   regularizer: Any = None, trainable: bool = True, constraint: Any = None
                   ) -> Variable:
        """get_variable in the layer's scope; tracks it (and its regularization loss)."""
        g = get_default_graph()
        n_before = len(g.get_collection(GraphKeys.REGULARIZATION_LOSSES))
        v = get_variable(name, shape, dtype=dtype or self._dtype, initializer=initializer,
                         regularizer=regularizer, trainable=trainable and self.trainable,
                         constraint=constraint)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(v)
        self._losses.extend(g.get_collection(GraphKeys.REGULARIZATION_LOSSES)[n_before:])
        return v

    def add_update(self, update: Any) -> None:
        self._updates.append(update)
        get_default_graph().add_to_collection(GraphKeys.UPDATE_OPS, update)

    def add_loss(self, loss: Tensor) -> None:
        self._losses.append(loss)
        get_default_graph().add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)

    def build(self, input_shape: TensorShape) -> None:
        """Creates the variables (subclasses); runs once, inside the layer's scope."""

    def call(self, inputs: Tensor, **kwargs: Any) -> Tensor:
        raise NotImplementedError

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Tensor:
        x = convert_to_tensor(inputs)
        if self._dtype is None:
            self._dtype = x.dtype if x.dtype.is_floating else dtypes.float32
        if self._scope is None:
            scope_cm = variable_scope(self._given_name, default_name=self._base_name,
                                      reuse=self._reuse)
        else:
            scope_cm = variable_scope(self._scope, reuse=True)
        with x.graph.as_default(), scope_cm as scope:
            if self._scope is None:
                self._scope = scope
            if not self.built:
                self.build(x.shape)
                self.built = True
            out = self.call(x, *args, **kwargs)
            if self.activity_regularizer is not None:
                with get_default_graph().name_scope("ActivityRegularizer"):
                    loss = self.activity_regularizer(out)
                if loss is not None:
                    self.add_loss(loss)
        return out

    apply = __call__


# -- dense -------------------------------------------------------------------------------------
def _dense_matmul(x: Tensor, kernel: Any, units: int) -> Tensor:
    """x @ kernel on x's last axis; rank > 2 is flattened to a matrix and back (TF's
    tensordot), or broadcast when more than one leading dimension is unknown."""
    dims = x.shape.as_list() if x.shape.ndims is not None else None
    if dims is None or len(dims) <= 2:
        return math_ops.matmul(x, kernel, name="MatMul")
    lead = dims[:-1]
    if sum(d is None for d in lead) > 1:
        return math_ops.matmul(x, kernel, name="Tensordot")
    with get_default_graph().name_scope("Tensordot"):
        flat = array_ops.reshape(x, [-1, dims[-1]])
        y = math_ops.matmul(flat, kernel, name="MatMul")
        return array_ops.reshape(y, [-1 if d is None else d for d in lead] + [units])


def _bias_add(x: Tensor, bias: Any, data_format: str = "NHWC") -> Tensor:
    nn = _nn()
    return nn.bias_add(x, bias, data_format=data_format, name="BiasAdd")


class Dense(Layer):
    """Densely-connected layer: `activation(inputs @ kernel + bias)` on the last axis.

    Variables: `kernel` [in_units, units] (glorot uniform unless kernel_initializer) and `bias`
    [units] (zeros unless bias_initializer), in the scope `name` (default "dense", "dense_1",
    ...).
    """

    _base_name = "dense"

    def __init__(self, units: int, activation: Callable[[Any], Any] | None = None,
                 use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel: Variable | None = None
        self.bias: Variable | None = None

    def build(self, input_shape: TensorShape) -> None:
        ndims = input_shape.ndims
        if ndims is not None and ndims < 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected min_ndim=2, found ndim={ndims}. Full shape received: "
                             f"{input_shape}")
        last = input_shape[-1].value if ndims else None
        if last is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                             f"Found `None`. (layer '{self.name}', inputs of shape "
                             f"{input_shape})")
        self.kernel = self.add_weight("kernel", [last, self.units],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, inputs: Tensor) -> Tensor:
        out = _dense_matmul(inputs, self.kernel, self.units)
        if self.bias is not None:
            out = _bias_add(out, self.bias)
        return self.activation(out) if self.activation is not None else out


def dense(inputs: Any, units: int, activation: Callable[[Any], Any] | None = None,
          use_bias: bool = True, kernel_initializer: Any = None,
          bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
          bias_regularizer: Any = None, activity_regularizer: Any = None,
          kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
          name: str | None = None, reuse: Any = None) -> Tensor:
    """Functional Dense: `activation(inputs @ kernel + bias)`; inputs of rank > 2 are
    multiplied on their last axis.

    Args:
        inputs: a float Tensor whose last dimension is statically known.
        units: the output size.
        activation: e.g. tf.nn.relu; None for linear.
        kernel_regularizer, bias_regularizer: fn(weights) -> loss, added to
            REGULARIZATION_LOSSES (e.g. tf.contrib.layers.l2_regularizer(1e-4)).
        activity_regularizer: fn(outputs) -> loss, also added there.
        trainable: add the variables to TRAINABLE_VARIABLES.
        name: the variable scope (default "dense", uniquified: "dense_1", ...).
        reuse: True to reuse the variables of a previous layer of the same name.

    Raises:
        ValueError: the last dimension of `inputs` is unknown, or rank < 2.

    Example:
        >>> h = tf.layers.dense(x, 64, activation=tf.nn.relu, name="fc1")  # fc1/kernel:0
    """
    layer = Dense(units, activation, use_bias, kernel_initializer, bias_initializer,
                  kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
                  bias_constraint, trainable, name, _reuse=reuse)
    return layer(inputs)


# -- conv2d ------------------------------------------------------------------------------------
class Conv2D(Layer):
    """2-D convolution layer: `activation(conv2d(inputs, kernel) + bias)`.

    Variables: `kernel` [kh, kw, in_channels, filters] and `bias` [filters], scope "conv2d".
    """

    _base_name = "conv2d"

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str = "channels_last",
                 dilation_rate: Any = (1, 1), activation: Callable[[Any], Any] | None = None,
                 use_bias: bool = True, kernel_initializer: Any = None,
                 bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.filters = int(filters)
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.strides = _tuple(strides, 2, "strides")
        self.dilation_rate = _tuple(dilation_rate, 2, "dilation_rate")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)
        self.activation = activation
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint
        self.kernel: Variable | None = None
        self.bias: Variable | None = None

    def build(self, input_shape: TensorShape) -> None:
        if input_shape.ndims is not None and input_shape.ndims != 4:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: "
                             f"expected ndim=4, found ndim={input_shape.ndims}. Full shape "
                             f"received: {input_shape}")
        axis = 1 if self.data_format == "NCHW" else -1
        channels = input_shape[axis].value if input_shape.ndims else None
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found "
                             f"`None`. (layer '{self.name}', inputs of shape {input_shape})")
        self.kernel = self.add_weight("kernel", [*self.kernel_size, channels, self.filters],
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", [self.filters],
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)

    def call(self, inputs: Tensor) -> Tensor:
        from flowzero.ops import conv_ops

        out = conv_ops.conv2d(inputs, self.kernel, strides=list(self.strides),
                              padding=self.padding, data_format=self.data_format,
                              dilations=list(self.dilation_rate), name="Conv2D")
        if self.bias is not None:
            out = _bias_add(out, self.bias, data_format=self.data_format)
        return self.activation(out) if self.activation is not None else out


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = (1, 1), activation: Callable[[Any], Any] | None = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = _ZEROS, kernel_regularizer: Any = None,
           bias_regularizer: Any = None, activity_regularizer: Any = None,
           kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
           name: str | None = None, reuse: Any = None) -> Tensor:
    """Functional 2-D convolution layer.

    Args:
        inputs: 4-D tensor, [batch, height, width, channels] ('channels_last') or [batch,
            channels, height, width] ('channels_first'); channels must be known.
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or 2 ints.
        padding: 'valid' or 'same' (case-insensitive).
        Others: as dense.

    Example:
        >>> h = tf.layers.conv2d(images, 32, 5, padding="same", activation=tf.nn.relu)
    """
    layer = Conv2D(filters, kernel_size, strides, padding, data_format, dilation_rate,
                   activation, use_bias, kernel_initializer, bias_initializer,
                   kernel_regularizer, bias_regularizer, activity_regularizer,
                   kernel_constraint, bias_constraint, trainable, name, _reuse=reuse)
    return layer(inputs)


# -- pooling -----------------------------------------------------------------------------------
class _Pooling2D(Layer):
    _op = ""

    def __init__(self, pool_size: Any, strides: Any, padding: str = "valid",
                 data_format: str = "channels_last", name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_size = _tuple(pool_size, 2, "pool_size")
        self.strides = _tuple(strides, 2, "strides")
        self.padding = _padding(padding)
        self.data_format = _data_format(data_format)

    def call(self, inputs: Tensor) -> Tensor:
        from flowzero.ops import conv_ops

        fn = conv_ops.max_pool if self._op == "MaxPool" else conv_ops.avg_pool
        return fn(inputs, ksize=list(self.pool_size), strides=list(self.strides),
                  padding=self.padding, data_format=self.data_format, name=self._op)


class MaxPooling2D(_Pooling2D):
    """Max pooling over height and width (scope "max_pooling2d")."""

    _base_name, _op = "max_pooling2d", "MaxPool"


class AveragePooling2D(_Pooling2D):
    """Average pooling over height and width (scope "average_pooling2d")."""

    _base_name, _op = "average_pooling2d", "AvgPool"


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """Max pooling: pool_size and strides are an int or 2 ints; padding 'valid' or 'same'.

    Example:
        >>> tf.layers.max_pooling2d(h, pool_size=2, strides=2)   # (?, 28, 28, c) -> (?, 14, 14, c)
    """
    return MaxPooling2D(pool_size, strides, padding, data_format, name)(inputs)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """Average pooling; arguments as max_pooling2d."""
    return AveragePooling2D(pool_size, strides, padding, data_format, name)(inputs)


# -- flatten -----------------------------------------------------------------------------------
def _flatten_tensor(x: Tensor, name: str = "Reshape") -> Tensor:
    """x as [batch, prod(other dims)], the static shape kept where known."""
    if x.shape.ndims is None:
        raise ValueError(f"flatten: the inputs' rank must be known; got {x.name} of shape "
                         f"{x.shape}.")
    dims = x.shape.as_list()
    if not dims:
        raise ValueError(f"flatten: inputs must have a batch dimension; got a scalar {x.name}.")
    rest = dims[1:]
    k = int(np.prod(rest, dtype=np.int64)) if None not in rest else None
    if k is not None and k > 0:
        target: Any = [-1, k]
    elif dims[0] is not None:
        target = [dims[0], -1 if k is None else k]
    else:  # the batch size must come from the run-time shape
        target = array_ops.stack([array_ops.shape(x)[0], -1 if k is None else k])
    out = array_ops.reshape(x, target, name=name)
    out.set_shape([dims[0], k])
    return out


class Flatten(Layer):
    """Flattens all but the batch dimension (scope "flatten")."""

    _base_name = "flatten"

    def __init__(self, data_format: str = "channels_last", name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.data_format = _data_format(data_format)

    def call(self, inputs: Tensor) -> Tensor:
        x = inputs
        if self.data_format == "NCHW" and x.shape.ndims is not None and x.shape.ndims > 2:
            # Flatten in channels-last order so that the result does not depend on the layout.
            x = array_ops.transpose(x, [0, *range(2, x.shape.ndims), 1])
        return _flatten_tensor(x)


def flatten(inputs: Any, name: str | None = None, data_format: str = "channels_last"
            ) -> Tensor:
    """Flattens `inputs` to [batch, k] keeping the batch dimension (static shape where known).

    Example:
        >>> tf.layers.flatten(tf.placeholder(tf.float32, [None, 7, 7, 64]))   # -> (?, 3136)
    """
    return Flatten(data_format, name)(inputs)


# -- dropout -----------------------------------------------------------------------------------
class Dropout(Layer):
    """Dropout at `rate` (the fraction dropped) when training; identity otherwise."""

    _base_name = "dropout"

    def __init__(self, rate: float = 0.5, noise_shape: Any = None, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        training = _check_training(training)
        flag = _static_bool(training)
        if flag is False:
            return control_ops.identity(inputs)
        dropped = _nn().dropout(inputs, rate=self.rate, noise_shape=self.noise_shape,
                                seed=self.seed)
        if flag is True:
            return dropped
        return _select(training, dropped, inputs)


def dropout(inputs: Any, rate: float = 0.5, noise_shape: Any = None, seed: int | None = None,
            training: Any = False, name: str | None = None) -> Tensor:
    """Randomly zeroes a fraction `rate` of the inputs and scales the rest by 1 / (1 - rate),
    when `training` (a Python bool or a bool Tensor, e.g. a placeholder fed per run).

    Example:
        >>> is_training = tf.placeholder(tf.bool, [])
        >>> h = tf.layers.dropout(h, rate=0.3, training=is_training)
    """
    return Dropout(rate, noise_shape, seed, name)(inputs, training=training)


# -- batch normalization -----------------------------------------------------------------------
class BatchNormalization(Layer):
    """Batch normalization (Ioffe & Szegedy 2015) over the axes other than `axis`.

    Variables: `gamma` (scale, ones) and `beta` (offset, zeros) trainable; `moving_mean`
    (zeros) and `moving_variance` (ones) non-trainable, in GLOBAL_VARIABLES. See
    batch_normalization for the training/inference behaviour and the UPDATE_OPS guard.
    """

    _base_name = "batch_normalization"

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = None,
                 gamma_initializer: Any = None, moving_mean_initializer: Any = None,
                 moving_variance_initializer: Any = None, beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, fused: bool | None = None,
                 trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(trainable=trainable, name=name, **kwargs)
        from flowzero.variables import ones_initializer

        if not isinstance(axis, (numbers.Integral, np.integer)):
            raise TypeError(f"batch_normalization: axis must be an int; got {axis!r}.")
        self.axis = int(axis)
        self.momentum, self.epsilon = momentum, epsilon
        self.center, self.scale = center, scale
        self.beta_initializer = beta_initializer or zeros_initializer()
        self.gamma_initializer = gamma_initializer or ones_initializer()
        self.moving_mean_initializer = moving_mean_initializer or zeros_initializer()
        self.moving_variance_initializer = moving_variance_initializer or ones_initializer()
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.beta_constraint, self.gamma_constraint = beta_constraint, gamma_constraint
        self.fused = fused
        self.gamma: Variable | None = None
        self.beta: Variable | None = None
        self.moving_mean: Variable | None = None
        self.moving_variance: Variable | None = None

    def build(self, input_shape: TensorShape) -> None:
        ndims = input_shape.ndims
        if not ndims:
            raise ValueError(f"Input has undefined rank: {input_shape} (layer '{self.name}').")
        axis = self.axis + ndims if self.axis < 0 else self.axis
        if not 0 <= axis < ndims:
            raise ValueError(f"Invalid axis: {self.axis} for inputs of rank {ndims} (layer "
                             f"'{self.name}').")
        self.axis = axis
        channels = input_shape[axis].value
        if channels is None:
            raise ValueError(f"Input has undefined `axis` dimension. Input shape: {input_shape}"
                             f" (layer '{self.name}', axis {axis}).")
        # TF1 uses its fused kernel for 4-D inputs normalized over the channel axis (1 or 3);
        # that kernel feeds the moving variance the *unbiased* batch variance (n / (n - 1)).
        self._bessel = (self.fused is not False) and ndims == 4 and axis in (1, 3)
        dt = self._dtype if self._dtype not in (dtypes.float16,) else dtypes.float32
        shape = [channels]
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, dt, self.gamma_initializer,
                                         self.gamma_regularizer, True, self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", shape, dt, self.beta_initializer,
                                        self.beta_regularizer, True, self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", shape, dt,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, dt,
                                               self.moving_variance_initializer,
                                               trainable=False)

    def _assign_moving_average(self, variable: Variable, value: Tensor, decay: Any) -> Tensor:
        # TF: variable -= (variable - value) * (1 - momentum)
        with get_default_graph().name_scope("AssignMovingAvg") as scope:
            delta = math_ops.multiply(math_ops.subtract(variable, value), decay)
            return state_ops.assign_sub(variable, delta, name=scope)

    def call(self, inputs: Tensor, training: Any = False) -> Tensor:
        nn = _nn()
        training = _check_training(training)
        flag = _static_bool(training)
        ndims = inputs.shape.ndims
        red_axes = [i for i in range(ndims) if i != self.axis]
        bshape = [1] * ndims
        bshape[self.axis] = self.moving_mean.shape[0].value

        def bcast(v: Any) -> Any:
            # Parameters of shape [C] broadcast against the last axis only.
            if v is None or self.axis == ndims - 1:
                return v
            return array_ops.reshape(v, bshape)

        if flag is False:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            mean, variance = nn.moments(inputs, red_axes)
            moving_var_in = variance
            if self._bessel:
                moving_var_in = variance * self._bessel_factor(inputs, red_axes)
            decay = 1.0 - self.momentum
            if flag is None:
                mean = _select(training, mean, self.moving_mean.value())
                variance = _select(training, variance, self.moving_variance.value())
                moving_var_in = _select(training, moving_var_in, self.moving_variance.value())
            self.add_update(self._assign_moving_average(self.moving_mean, mean, decay))
            self.add_update(self._assign_moving_average(self.moving_variance, moving_var_in,
                                                        decay))
        out = nn.batch_normalization(inputs, bcast(mean), bcast(variance), bcast(self.beta),
                                     bcast(self.gamma), self.epsilon)
        out.set_shape(inputs.shape)
        return out

    def _bessel_factor(self, inputs: Tensor, red_axes: list[int]) -> Any:
        """n / (n - 1), n = the number of values averaged per channel."""
        known = [inputs.shape[i].value for i in red_axes]
        if None not in known:
            n: Any = float(np.prod(known))
            return n / max(n - 1.0, 1.0)
        channels = float(self.moving_mean.shape[0].value)
        n = math_ops.cast(array_ops.size(inputs), inputs.dtype) / channels
        return n / math_ops.maximum(n - 1.0, 1.0)


def batch_normalization(inputs: Any, axis: int = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer: Any = None, gamma_initializer: Any = None,
                        moving_mean_initializer: Any = None,
                        moving_variance_initializer: Any = None, beta_regularizer: Any = None,
                        gamma_regularizer: Any = None, beta_constraint: Any = None,
                        gamma_constraint: Any = None, training: Any = False,
                        trainable: bool = True, name: str | None = None, reuse: Any = None,
                        renorm: bool = False, renorm_clipping: Any = None,
                        renorm_momentum: float = 0.99, fused: bool | None = None,
                        virtual_batch_size: Any = None, adjustment: Any = None) -> Tensor:
    """Batch normalization: `gamma * (x - mean) / sqrt(var + epsilon) + beta` per channel.

    With training=True the batch's mean and (biased) variance over every axis but `axis` are
    used; with training=False the moving averages. `training` may also be a bool Tensor (e.g.
    a placeholder), selecting between the two at run time.

    Moving averages: when training is True or a Tensor, two assign ops are added to
    tf.GraphKeys.UPDATE_OPS, computing as TF `moving = moving * momentum + batch * (1 -
    momentum)` (written `moving -= (moving - batch) * (1 - momentum)`; with a Tensor that is
    False they leave the averages unchanged). As in TF1, for 4-D inputs normalized over axis 1
    or 3 (where TF1 uses its fused kernel) the moving variance receives the unbiased batch
    variance (times n / (n - 1)); pass fused=False for the biased one.

    UPDATE_OPS guard: flowzero's optimizers' minimize() runs UPDATE_OPS automatically, so
    `opt.minimize(loss)` updates the moving averages. The TF1 idiom
    `with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train_op = opt.minimize(loss)` still works. Without an optimizer, run the collection's ops
    yourself next to your training step.

    Args:
        inputs: a float Tensor of known rank whose `axis` dimension is known.
        axis: the channel axis (-1 for channels_last, 1 for channels_first).
        momentum, epsilon: as above.
        center, scale: whether to create and use `beta` / `gamma`.
        training: Python bool or bool Tensor.
        name, reuse: variable scope (default "batch_normalization") and sharing.
        renorm, virtual_batch_size, adjustment: not supported (ValueError if set).

    Example:
        >>> is_training = tf.placeholder(tf.bool, [])
        >>> h = tf.layers.batch_normalization(h, training=is_training)
        >>> train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)   # also runs UPDATE_OPS
    """
    if renorm or virtual_batch_size is not None or adjustment is not None:
        raise ValueError("batch_normalization: renorm, virtual_batch_size and adjustment are "
                         "not supported by flowzero.")
    layer = BatchNormalization(axis, momentum, epsilon, center, scale, beta_initializer,
                               gamma_initializer, moving_mean_initializer,
                               moving_variance_initializer, beta_regularizer,
                               gamma_regularizer, beta_constraint, gamma_constraint, fused,
                               trainable, name, _reuse=reuse)
    return layer(inputs, training=training)


def l2_regularizer(scale: float, scope: str | None = None) -> Callable[[Any], Any]:
    """tf.contrib.layers.l2_regularizer, here for convenience: fn(w) = scale * sum(w**2) / 2."""
    from flowzero.contrib.layers import l2_regularizer as _l2

    return _l2(scale, scope)



# TF1's alternative class names.
Convolution2D = Conv2D
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D

__all__ = ["Layer", "Dense", "Conv2D", "Convolution2D", "MaxPooling2D", "MaxPool2D",
           "AveragePooling2D", "AvgPool2D", "Flatten", "Dropout", "BatchNormalization",
           "dense", "conv2d", "max_pooling2d", "average_pooling2d", "flatten", "dropout",
           "batch_normalization", "l2_regularizer"]
