"""The canned estimators: DNN and linear classifiers and regressors over feature columns.

A canned estimator is an Estimator whose model_fn is (logits network) + (head). The network
is `tf.feature_column.input_layer` + dense hidden layers (DNN) or `tf.feature_column.
linear_model` (linear); the head turns logits into the loss (summed over the batch, TF 1.x's
default reduction), predictions, eval metrics and export signatures (flowzero/estimator/
heads.py).
"""

from __future__ import annotations

import math
from typing import Any

from flowzero.estimator.estimator import Estimator
from flowzero.estimator.heads import ClassifierHead, RegressionHead, _Head
from flowzero.estimator.model_fn import EstimatorSpec, ModeKeys
from flowzero.framework.graph import Tensor


def _tf() -> Any:
    import flowzero

    return flowzero


_OPTIMIZERS = {
    "Adagrad": "AdagradOptimizer",
    "Adam": "AdamOptimizer",
    "Ftrl": "FtrlOptimizer",
    "RMSProp": "RMSPropOptimizer",
    "SGD": "GradientDescentOptimizer",
}


def _optimizer(opt: Any, default_lr: float) -> Any:
    """An optimizer from TF's shorthand: a name ('Adagrad', 'Adam', 'RMSProp', 'SGD', 'Ftrl'),
    an Optimizer, or a callable returning one."""
    tf = _tf()
    if isinstance(opt, str):
        if opt not in _OPTIMIZERS:
            raise ValueError(
                f"Unsupported optimizer name: {opt}. Supported names are: {sorted(_OPTIMIZERS)}"
            )
        return getattr(tf.train, _OPTIMIZERS[opt])(learning_rate=default_lr)
    if callable(opt) and not hasattr(opt, "minimize"):
        opt = opt()
    if not hasattr(opt, "minimize"):
        raise ValueError(f"The given optimizer is not a tf.train.Optimizer instance. Given: {opt}")
    return opt


# -- networks ----------------------------------------------------------------------------------
def _dnn_logits(
    features: Any,
    feature_columns: Any,
    hidden_units: Any,
    units: int,
    activation_fn: Any,
    dropout: float | None,
    batch_norm: bool,
    mode: str,
) -> Tensor:
    tf = _tf()
    with tf.variable_scope("dnn"):
        with tf.variable_scope("input_from_feature_columns"):
            net = tf.feature_column.input_layer(features, feature_columns)
        for i, n in enumerate(hidden_units):
            with tf.variable_scope(f"hiddenlayer_{i}"):
                net = tf.layers.dense(
                    net,
                    n,
                    activation=activation_fn,
                    kernel_initializer=tf.glorot_uniform_initializer(),
                    name="hiddenlayer",
                )
                if dropout is not None and mode == ModeKeys.TRAIN:
                    net = tf.layers.dropout(net, rate=dropout, training=True)
                if batch_norm:
                    net = tf.layers.batch_normalization(net, training=mode == ModeKeys.TRAIN)
        with tf.variable_scope("logits"):
            return tf.layers.dense(
                net, units, kernel_initializer=tf.glorot_uniform_initializer(), name="logits"
            )


def _linear_logits(features: Any, feature_columns: Any, units: int, sparse_combiner: str) -> Tensor:
    tf = _tf()
    with tf.variable_scope("linear"):
        return tf.feature_column.linear_model(
            features, feature_columns, units=units, sparse_combiner=sparse_combiner
        )


def _check_common(feature_columns: Any) -> list[Any]:
    cols = list(feature_columns or [])
    if not cols:
        raise ValueError("feature_columns must be a non-empty list of feature columns.")
    return cols


class _DNN(Estimator):
    def __init__(
        self,
        head: _Head,
        hidden_units: Any,
        feature_columns: Any,
        model_dir: Any,
        optimizer: Any,
        activation_fn: Any,
        dropout: float | None,
        config: Any,
        warm_start_from: Any,
        batch_norm: bool,
    ) -> None:
        if not hidden_units:
            raise ValueError("hidden_units must be a non-empty list of layer sizes.")
        cols = feature_columns

        def model_fn(features: Any, labels: Any, mode: str, config: Any) -> EstimatorSpec:
            tf = _tf()
            act = activation_fn if activation_fn is not None else tf.nn.relu
            logits = _dnn_logits(
                features, cols, hidden_units, head.logits_dimension, act, dropout, batch_norm, mode
            )
            opt = _optimizer(optimizer, 0.05) if mode == ModeKeys.TRAIN else None
            return head.create_estimator_spec(features, mode, logits, labels, opt)

        super().__init__(
            model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


class _Linear(Estimator):
    def __init__(
        self,
        head: _Head,
        feature_columns: Any,
        model_dir: Any,
        optimizer: Any,
        config: Any,
        warm_start_from: Any,
        sparse_combiner: str,
    ) -> None:
        cols = feature_columns
        default_lr = min(0.2, 1 / math.sqrt(len(cols)))

        def model_fn(features: Any, labels: Any, mode: str, config: Any) -> EstimatorSpec:
            logits = _linear_logits(features, cols, head.logits_dimension, sparse_combiner)
            opt = _optimizer(optimizer, default_lr) if mode == ModeKeys.TRAIN else None
            return head.create_estimator_spec(features, mode, logits, labels, opt)

        super().__init__(
            model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from
        )


class DNNClassifier(_DNN):
    """A feed-forward classifier (TF1's tf.estimator.DNNClassifier).

    Example:
        >>> x = np.random.RandomState(0).rand(120, 4).astype(np.float32)
        >>> y = (x[:, 0] > 0.5).astype(np.int32) + (x[:, 1] > 0.5)   # classes 0, 1, 2
        >>> input_fn = tf.estimator.inputs.numpy_input_fn(
        ...     {"x": x}, y, batch_size=20, num_epochs=None, shuffle=True)
        >>> clf = tf.estimator.DNNClassifier(hidden_units=[16, 8], n_classes=3,
        ...     feature_columns=[tf.feature_column.numeric_column("x", shape=[4])],
        ...     model_dir="dnn")
        >>> _ = clf.train(input_fn, steps=20)
        >>> print(tf.train.latest_checkpoint("dnn"))
        dnn/model.ckpt-20
        >>> eval_fn = tf.estimator.inputs.numpy_input_fn({"x": x}, y, shuffle=False)
        >>> sorted(clf.evaluate(eval_fn))
        ['accuracy', 'average_loss', 'global_step', 'loss']
    """

    def __init__(
        self,
        hidden_units: Any,
        feature_columns: Any,
        model_dir: Any = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        optimizer: Any = "Adagrad",
        activation_fn: Any = None,
        dropout: float | None = None,
        input_layer_partitioner: Any = None,
        config: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        batch_norm: bool = False,
    ) -> None:
        cols = _check_common(feature_columns)
        super().__init__(
            ClassifierHead(n_classes, weight_column, label_vocabulary),
            hidden_units,
            cols,
            model_dir,
            optimizer,
            activation_fn,
            dropout,
            config,
            warm_start_from,
            batch_norm,
        )


class DNNRegressor(_DNN):
    """A feed-forward regressor (TF1's tf.estimator.DNNRegressor); squared-error loss."""

    def __init__(
        self,
        hidden_units: Any,
        feature_columns: Any,
        model_dir: Any = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        optimizer: Any = "Adagrad",
        activation_fn: Any = None,
        dropout: float | None = None,
        input_layer_partitioner: Any = None,
        config: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        batch_norm: bool = False,
    ) -> None:
        cols = _check_common(feature_columns)
        super().__init__(
            RegressionHead(label_dimension, weight_column),
            hidden_units,
            cols,
            model_dir,
            optimizer,
            activation_fn,
            dropout,
            config,
            warm_start_from,
            batch_norm,
        )


class LinearClassifier(_Linear):
    """A linear (logistic / softmax regression) classifier (TF1's tf.estimator.
    LinearClassifier); the default optimizer is FTRL, as TF's."""

    def __init__(
        self,
        feature_columns: Any,
        model_dir: Any = None,
        n_classes: int = 2,
        weight_column: Any = None,
        label_vocabulary: Any = None,
        optimizer: Any = "Ftrl",
        config: Any = None,
        partitioner: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        sparse_combiner: str = "sum",
    ) -> None:
        cols = _check_common(feature_columns)
        super().__init__(
            ClassifierHead(n_classes, weight_column, label_vocabulary),
            cols,
            model_dir,
            optimizer,
            config,
            warm_start_from,
            sparse_combiner,
        )


class LinearRegressor(_Linear):
    """A linear regressor (TF1's tf.estimator.LinearRegressor); squared-error loss, FTRL by
    default, as TF's."""

    def __init__(
        self,
        feature_columns: Any,
        model_dir: Any = None,
        label_dimension: int = 1,
        weight_column: Any = None,
        optimizer: Any = "Ftrl",
        config: Any = None,
        partitioner: Any = None,
        warm_start_from: Any = None,
        loss_reduction: Any = None,
        sparse_combiner: str = "sum",
    ) -> None:
        cols = _check_common(feature_columns)
        super().__init__(
            RegressionHead(label_dimension, weight_column),
            cols,
            model_dir,
            optimizer,
            config,
            warm_start_from,
            sparse_combiner,
        )


__all__ = ["DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor"]
